"""Where the server may send a webhook, and how long one delivery may take (SSRF and slow-receiver guard).

A callback URL comes from a caller, so it must not reach what only the server can reach: loopback, private and
link-local networks, cloud metadata endpoints, in any spelling ("2130706433", "0x7f000001", "[::1]",
"metadata.google.internal"). The host is resolved at delivery and every address it resolves to is checked; the
request then goes to that checked address (the Host header and TLS name stay the URL's), so a name that resolves
differently a second later (DNS rebinding) gains nothing. An operator may allow named hosts or networks
(`COPYLOOP_WEBHOOK_ALLOW`, e.g. "127.0.0.1,10.0.0.0/8,hooks.internal").

One delivery is bounded as a whole: a watchdog closes the socket at the deadline however slowly the receiver
drips bytes, and nothing of the response but its status line is read.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

DEADLINE_SECONDS = 10.0  # a whole delivery: resolve, connect, send, status line
_BLOCKED_NAMES = ("localhost", "metadata.google.internal", "metadata", "instance-data")
_BLOCKED_SUFFIXES = (".localhost", ".internal", ".local")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """A callback URL the outbound policy does not allow, with the reason."""


@dataclass(frozen=True)
class Target:
    """A checked destination: where to connect, and what to call the host there."""

    scheme: str
    host: str
    address: str
    port: int
    path: str


def _allowed(host: str, address: Address | None, allow: Sequence[str]) -> bool:
    for entry in allow:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == host.lower():
            return True
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


def _public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not (address.is_multicast or address.is_reserved)


def check_url(url: str, allow: Sequence[str] = ()) -> tuple[str, str, int, str]:
    """The URL's scheme, host, port and path, or Refused when its form alone rules it out (submit time)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Refused("callback_url must be http or https")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused("callback_url has no host")
    if parts.username or parts.password:
        raise Refused("callback_url must not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused("callback_url has an invalid port") from None
    lowered = host.lower()
    if (lowered in _BLOCKED_NAMES or lowered.endswith(_BLOCKED_SUFFIXES)) and not _allowed(host, None, allow):
        raise Refused(f"callback_url host {host!r} is internal; the server does not send webhooks there")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port, path


def check_submitted(url: str, allow: Sequence[str] = ()) -> None:
    """Refuse at submit time what can be refused without DNS: a bad form, an internal name, or an address
    literal in any spelling that is not public. Names are resolved and checked again at each delivery."""
    _scheme, host, port, _path = check_url(url, allow)
    try:
        infos = socket.getaddrinfo(host, port, flags=socket.AI_NUMERICHOST, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return  # a name, not an address
    _check_addresses(host, _addresses(infos), allow)


def _addresses(infos: list[tuple]) -> list[Address]:
    """The addresses of a getaddrinfo() answer (an IPv6 zone, "%eth0", dropped)."""
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def _check_addresses(host: str, addresses: list[Address], allow: Sequence[str]) -> None:
    for address in addresses:
        if not _public(address) and not _allowed(host, address, allow):
            raise Refused(f"callback_url host {host!r} is a loopback, private, link-local or reserved address; "
                          "the server does not send webhooks there")


def resolve(url: str, allow: Sequence[str] = ()) -> Target:
    """The checked destination of a callback URL: every address the host resolves to must be public (or
    allowed by the operator); Refused otherwise, naming no internal detail beyond the rule."""
    scheme, host, port, path = check_url(url, allow)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Refused(f"callback_url host {host!r} does not resolve") from None
    addresses = _addresses(infos)
    _check_addresses(host, addresses, allow)
    return Target(scheme, host, str(addresses[0]), port, path)


def post_bounded(target: Target, body: bytes, headers: dict[str, str],
                 deadline: float = DEADLINE_SECONDS) -> int:
    """POST `body` to a checked target and return the response status; raises OSError (or a subclass) on
    failure, TimeoutError when the whole exchange outlasts `deadline`. The response body is never read."""
    sock = socket.create_connection((target.address, target.port), timeout=deadline)
    held = [sock]  # the socket the watchdog shuts: the TLS one once wrapped (wrapping detaches the plain one)
    fired = threading.Event()

    def watchdog() -> None:
        fired.set()
        _shut(held[0])

    timer = threading.Timer(deadline, watchdog)
    timer.start()
    try:
        if target.scheme == "https":
            sock = held[0] = ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)
        connection = http.client.HTTPConnection(target.host, target.port, timeout=deadline)
        connection.sock = sock  # already connected to the checked address
        connection.request("POST", target.path, body=body, headers={**headers, "Host": _host_header(target)})
        response = connection.getresponse()
        return response.status
    except OSError:
        if fired.is_set():
            raise TimeoutError(f"no answer within {deadline:.0f} s") from None
        raise
    except http.client.HTTPException as exc:
        if fired.is_set():
            raise TimeoutError(f"no answer within {deadline:.0f} s") from None
        raise OSError(f"bad HTTP response: {type(exc).__name__}") from None
    finally:
        timer.cancel()
        sock.close()


def _shut(sock: socket.socket) -> None:
    """The watchdog: at the deadline, stop whatever read or write is blocked on the socket."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"
