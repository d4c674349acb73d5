"""The copy memory on a Chroma server (`chromadb.HttpClient`), shared by every copyloop server that names it.

The server owns its files, so there is no crash repair here. Writes are serialised within this process only:
two copyloop servers adding the same text at the same moment may each merge it with what they read first, so one
of their counter updates can be lost (Chroma has no transactions). Concluding an experiment is guarded by the
service database, so its outcomes are written once.
"""

from __future__ import annotations

import threading
from urllib.parse import SplitResult, urlsplit

import chromadb
import httpx
from chromadb.config import Settings

from copyloop.errors import MemoryStoreError
from copyloop.memory.collection import copy_collection

DEFAULT_PORTS = {"http": 80, "https": 443}
REQUEST_SECONDS = 30.0  # one memory call; Chroma's own client waits forever on a server that stopped answering
CONNECT_SECONDS = 5.0


class ServerStore:
    """The copy collection on the Chroma server at `url` (http or https, no path); fails early when unreachable."""

    def __init__(self, url: str, request_seconds: float = REQUEST_SECONDS):
        host, port, ssl = _parse(url)
        self.where = f"on {url}"
        self.lock = threading.RLock()
        timeout = httpx.Timeout(request_seconds, connect=min(CONNECT_SECONDS, request_seconds))
        try:
            _heartbeat(url, timeout)  # the client's own first requests have no timeout: a hung server hangs them
            self._client = chromadb.HttpClient(host=host, port=port, ssl=ssl,
                                               settings=Settings(anonymized_telemetry=False))
            _bound_requests(self._client, timeout)
            self.collection = copy_collection(self._client)
        except Exception as exc:
            raise MemoryStoreError(f"cannot open copy memory on the Chroma server at {url}: {exc}") from exc

    def written(self) -> None:
        """Nothing to record: the server keeps its own files consistent."""

    def close(self) -> None:
        self._client.close()


def _heartbeat(url: str, timeout: httpx.Timeout) -> None:
    """Fail within `timeout` when nothing answers at `url` as a Chroma server would."""
    try:
        httpx.get(url.rstrip("/") + "/api/v2/heartbeat", timeout=timeout).raise_for_status()
    except httpx.TimeoutException:
        raise MemoryStoreError("no answer within "
                               f"{timeout.read:.0f} s (is it a Chroma server, and is it up?)") from None


def _bound_requests(client: chromadb.api.ClientAPI, timeout: httpx.Timeout) -> None:
    """Give every later request of the client a deadline, so a Chroma server that stops answering fails a memory
    call with an error instead of holding a generation forever. chromadb (1.x) builds its httpx session with
    `timeout=None` and has no setting for it, so the session's timeout is set in place."""
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = timeout


def _parse(url: str) -> tuple[str, int, bool]:
    """Host, port and TLS from `http(s)://host[:port]`; anything else is refused with what is wrong with it."""
    parts = urlsplit(url.strip())
    problem = _problem(parts)
    if problem:
        raise MemoryStoreError(f"memory_url {url!r} is not a Chroma server URL: {problem} (e.g. http://chroma:8000)")
    return str(parts.hostname), parts.port or DEFAULT_PORTS[parts.scheme], parts.scheme == "https"


def _problem(parts: SplitResult) -> str | None:
    if parts.scheme not in DEFAULT_PORTS:
        return "it must start with http:// or https://"
    if not parts.hostname:
        return "it names no host"
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        return "its port is not a number from 1 to 65535"
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
        return "it must be only http(s)://host[:port], with no path or credentials"
    return None
