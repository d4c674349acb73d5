"""The memory suite of tests/integration/test_memory.py again, on a real Chroma server (`chroma run` on loopback).

Every test there that takes the `mem` fixture runs here with `mem` backed by the server, each on an empty
collection. The rest build their own embedded folders (crash repair, reopening, Chroma's files on disk) or test
only the embedding model, so they are skipped here with that reason. Server-only behaviour follows.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from copyloop.cli import app
from copyloop.config import Settings
from copyloop.errors import MemoryStoreError
from copyloop.memory import CopyMemory, open_memory
from copyloop.memory.server import ServerStore
from tests.chroma import empty_copy
from tests.integration.test_memory import *  # noqa: F403 - the shared suite, collected here against the server
from tests.integration.test_memory import rec
from tests.servers import free_port

FOLDER_ONLY = "builds its own embedded folder or tests only the embedding model: runs in test_memory.py"


@pytest.fixture
def mem(chroma_url: str) -> Iterator[CopyMemory]:
    memory = CopyMemory.on_server(chroma_url)
    yield memory
    memory.close()
    empty_copy(chroma_url)


@pytest.fixture(autouse=True)
def _only_the_store_suite(request: pytest.FixtureRequest) -> None:
    """The shared suite's tests that do not go through `mem` are not about the client."""
    if request.function.__module__ != __name__ and "mem" not in request.fixturenames:
        pytest.skip(FOLDER_ONLY)


@pytest.fixture
def persisted_store() -> None:
    """Replaces the suite's module-wide folder fixture, which would otherwise be built before the skip above."""
    pytest.skip(FOLDER_ONLY)


def test_two_memories_on_one_server_see_each_others_copy(mem: CopyMemory, chroma_url: str):
    other = CopyMemory.on_server(chroma_url)  # as a second copyloop server would
    (copy_id,) = other.add([rec("Written through the other server.", brand="Acme")])
    assert mem.get(copy_id) is not None
    assert mem.nearest_similarity(["Written through the other server."], brand="acme") == [pytest.approx(1.0, abs=1e-3)]
    mem.record_outcome(copy_id, impressions=40, clicks=3)
    assert other.get(copy_id).clicks == 3
    other.close()
    with pytest.raises(MemoryStoreError, match="closed"):
        other.count()
    assert mem.count() == 1  # closing one connection leaves the others working


def test_open_memory_uses_the_configured_server_once_per_process(mem: CopyMemory, chroma_url: str, tmp_path):
    settings = Settings(home=tmp_path / "home", memory_url=chroma_url)
    memory = open_memory(settings)
    assert memory is open_memory(settings.with_(home=tmp_path / "elsewhere"))  # keyed by the server, not the home
    assert chroma_url in repr(memory)
    assert not (tmp_path / "home" / "memory").exists()


@pytest.mark.parametrize(("url", "problem"), [
    ("chroma:8000", "must start with http:// or https://"),
    ("ftp://chroma:8000", "must start with http:// or https://"),
    ("http://", "names no host"),
    ("http://chroma:port", "port is not a number"),
    ("http://chroma:8000/api", "with no path"),
    ("http://user:secret@chroma:8000", "no path or credentials"),
])
def test_a_bad_memory_url_says_what_is_wrong(url: str, problem: str):
    with pytest.raises(MemoryStoreError, match=problem):
        CopyMemory.on_server(url)


def test_an_unreachable_server_fails_with_a_clear_error():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(MemoryStoreError, match=f"cannot open copy memory on the Chroma server at {url}"):
        CopyMemory.on_server(url)


def test_a_server_that_never_answers_fails_within_the_deadline():
    """Something listening on the port that never replies (a hung Chroma, a wrong service) is an error, not a hang:
    chromadb's own client would wait forever."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(MemoryStoreError, match="no answer within 1 s"):
            ServerStore(url, request_seconds=1.0)


def test_memory_commands_use_the_configured_server(mem: CopyMemory, chroma_url: str, tmp_path, monkeypatch):
    """How a folder's memory moves to a server: `memory export` there, `memory import` with COPYLOOP_MEMORY_URL."""
    source = tmp_path / "copy.jsonl"
    source.write_text(json.dumps({"text": "Imported onto the server.", "brand": "Acme"}) + "\n", encoding="utf-8")
    monkeypatch.setenv("COPYLOOP_MEMORY_URL", chroma_url)
    result = CliRunner().invoke(app, ["memory", "import", str(source), "--home", str(tmp_path / "home")])
    assert result.exit_code == 0, result.output
    assert [r.text for r in mem.all()] == ["Imported onto the server."]
    assert not (tmp_path / "home" / "memory").exists()


def test_serve_refuses_an_unreachable_memory_server_without_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("COPYLOOP_MEMORY_URL", f"http://127.0.0.1:{free_port()}")
    result = CliRunner().invoke(app, ["serve", "--home", str(tmp_path / "home")])
    assert result.exit_code == 2, result.output
    assert "Chroma server" in result.output and "Traceback" not in result.output
