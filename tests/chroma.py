"""A real Chroma server for tests: `chroma run` from the installed chromadb package, on loopback, in a temp folder.

The server-backed memory must behave like the embedded one, and only the real server shows Chroma's HTTP API,
its filters and its errors, so the tests never fall back to a fake.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import chromadb
from chromadb.config import Settings

from copyloop.memory.collection import COLLECTION
from tests.servers import free_port, wait_until_up

STARTUP_SECONDS = 60


@contextmanager
def chroma_server() -> Iterator[str]:
    """Start `chroma run` on 127.0.0.1 with its data in a temp folder; yields its URL; stops it and deletes the data."""
    with tempfile.TemporaryDirectory(prefix="copyloop-chroma-") as home:
        port = free_port()
        log_path = Path(home) / "server.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [str(Path(sys.executable).with_name("chroma")), "run", "--host", "127.0.0.1", "--port", str(port),
                 "--path", str(Path(home) / "data")],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
            try:
                url = f"http://127.0.0.1:{port}"
                wait_until_up(f"{url}/api/v2/heartbeat", process, log_path, STARTUP_SECONDS)
                yield url
            finally:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(30)


def empty_copy(url: str) -> None:
    """Delete every record of the copy collection, keeping the collection itself, so memories still open on it (a
    process's cached one) stay usable and the next test starts empty."""
    host, port = url.removeprefix("http://").split(":")
    client = chromadb.HttpClient(host=host, port=int(port), settings=Settings(anonymized_telemetry=False))
    try:
        collection = client.get_collection(COLLECTION)
        ids = collection.get(include=[])["ids"]
        if ids:
            collection.delete(ids=ids)
    finally:
        client.close()
