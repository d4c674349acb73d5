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
from chromadb.config import Settings

from copyloop.errors import MemoryStoreError
from copyloop.memory.collection import copy_collection

DEFAULT_PORTS = {"http": 80, "https": 443}


class ServerStore:
    """The copy collection on the Chroma server at `url` (http or https, no path); fails early when unreachable."""

    def __init__(self, url: str):
        host, port, ssl = _parse(url)
        self.where = f"on {url}"
        self.lock = threading.RLock()
        try:
            self._client = chromadb.HttpClient(host=host, port=port, ssl=ssl,
                                               settings=Settings(anonymized_telemetry=False))
            self.collection = copy_collection(self._client)
        except Exception as exc:
            raise MemoryStoreError(f"cannot open copy memory on the Chroma server at {url}: {exc}") from exc

    def written(self) -> None:
        """Nothing to record: the server keeps its own files consistent."""

    def close(self) -> None:
        self._client.close()


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
