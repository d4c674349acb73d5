"""The copy memory in a folder (`chromadb.PersistentClient`), and the repair of what a crash leaves in it.

Every write is committed to Chroma's SQLite before it returns, so a process killed mid-write loses at most the
batch in flight. Chroma's HNSW files are the weak spot: they are rewritten in place every 1,000 writes, and a
kill during that leaves them torn. Their sizes and hashes are recorded after opening and after each completed
write; on open, files that no longer match are discarded and the index is rebuilt from the copy in SQLite before
Chroma ever loads them. Reads never touch the HNSW files (measured: `bench/memory_bench.py`), so they are not
fingerprinted. None of this applies to a Chroma server, which owns its files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings

from copyloop.errors import CopyloopError, MemoryStoreError
from copyloop.memory.collection import BATCH, copy_collection
from copyloop.memory.embeddings import embed

log = logging.getLogger(__name__)

REINDEX_MARK = "copyloop-reindexing"
INDEX_MANIFEST = "copyloop-index.json"


@dataclass
class _Folder:
    """What every store on one folder in this process shares, as Chroma shares one client per folder."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    users: int = 0
    hashes: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # file -> (size, mtime_ns, sha256)
    saved: dict[str, list[Any]] | None = None


_folders: dict[Path, _Folder] = {}
_folders_guard = threading.Lock()


class FolderStore:
    """The copy collection in a folder, opened with its crash repair; serialised per folder within a process.

    Two processes must not write the same folder at once: Chroma's local mode keeps the vector index in memory
    and does not coordinate writers. Several servers share a Chroma server instead (`memory_url`).
    """

    def __init__(self, path: Path):
        self.path = path
        self.where = f"at {path}"
        _ensure_writable_dir(path)
        with _folders_guard:
            self._folder = _folders.setdefault(path.resolve(), _Folder())
        self.lock = self._folder.lock
        with self.lock:
            self._client, self.collection = self._open()
            self._folder.users += 1

    def _open(self) -> tuple[Any, Any]:
        """Create or open the store, repairing a vector index a crash left broken; failures become one clear error."""
        try:
            if self._folder.users == 0 and not _index_files_trusted(self.path, self._folder):
                log.warning("copy memory at %s: vector index files were left half-written; rebuilding them", self.path)
                _mark_reindex(self.path)
                _drop_vector_files(self.path)
            client, collection = _connect(self.path)
            if not _index_readable(collection):
                log.warning("copy memory at %s: Chroma cannot load the vector index; rebuilding it", self.path)
                _mark_reindex(self.path)
                _forget_client(client)
                _drop_vector_files(self.path)
                client, collection = _connect(self.path)
            if (self.path / REINDEX_MARK).exists():
                _reindex(self.path, collection)
            _save_index_state(self.path, self._folder)
        except CopyloopError:
            raise
        except Exception as exc:
            raise MemoryStoreError(f"cannot open copy memory at {self.path}: {exc}") from exc
        return client, collection

    def written(self) -> None:
        """Fingerprint the HNSW files as this completed write left them (hashing only files that changed)."""
        _save_index_state(self.path, self._folder)

    def close(self) -> None:
        """Release Chroma's hold on the folder (the caller holds `lock`)."""
        self._folder.users -= 1
        self._client.close()


def _connect(path: Path) -> tuple[Any, Any]:
    client = chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))
    return client, copy_collection(client)


def _index_readable(collection: Any) -> bool:
    """False when Chroma fails loudly to load or replay the vector index: the second line of defence."""
    try:
        collection.count()
    except Exception as exc:
        if "hnsw" in str(exc).lower():
            return False
        raise
    return True


def _index_files(path: Path) -> list[Path]:
    return sorted(f for folder in _vector_index_folders(path) for f in folder.iterdir() if f.is_file())


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _index_state(path: Path, cache: dict[str, tuple[int, int, str]]) -> dict[str, list[Any]]:
    """Size and SHA-256 of every vector-index file; a hash is reused while the file's size and mtime stay put."""
    state: dict[str, list[Any]] = {}
    for file in _index_files(path):
        info, name = file.stat(), f"{file.parent.name}/{file.name}"
        cached = cache.get(name)
        if cached is None or cached[:2] != (info.st_size, info.st_mtime_ns):
            cached = cache[name] = (info.st_size, info.st_mtime_ns, _sha256(file))
        state[name] = [cached[0], cached[2]]
    return state


def _index_files_trusted(path: Path, folder: _Folder) -> bool:
    """True when the HNSW files are exactly as they were after the last operation that completed.

    Chroma rewrites its HNSW files in place, non-atomically, every 1,000 writes. A process killed
    during that leaves them torn, and Chroma then fails, segfaults or grows link_lists.bin without
    bound when it loads them (chroma-core/chroma#7238, #7510). Every completed write records the
    files' sizes and hashes, so a torn save is caught here before Chroma ever reads the files.
    """
    manifest = path / INDEX_MANIFEST
    if not manifest.exists():
        return not _index_files(path)
    try:
        saved = json.loads(manifest.read_text(encoding="utf-8"))
        saved_sizes = {name: int(entry[0]) for name, entry in saved.items()}
    except (OSError, ValueError, TypeError, AttributeError, KeyError, IndexError):
        return False
    sizes = {f"{f.parent.name}/{f.name}": f.stat().st_size for f in _index_files(path)}
    # Sizes first: a torn save usually changes them, and hashing a runaway sparse file would never end.
    return sizes == saved_sizes and _index_state(path, folder.hashes) == saved


def _save_index_state(path: Path, folder: _Folder) -> None:
    """Record the HNSW files as Chroma left them after a completed operation (written only when they changed)."""
    state = _index_state(path, folder.hashes)
    if state != folder.saved:
        _write_atomically(path / INDEX_MANIFEST, json.dumps(state, sort_keys=True))
        folder.saved = state


def _write_atomically(target: Path, text: str) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(tmp, target)


def _mark_reindex(path: Path) -> None:
    """A marker that survives a crash, so an interrupted rebuild resumes on the next open instead of leaving gaps."""
    (path / REINDEX_MARK).write_text("rebuilding the vector index; resumes on the next open\n", encoding="utf-8")


def _forget_client(client: Any) -> None:
    """Stop Chroma's cached in-process system for this folder: it keeps the broken index in memory otherwise."""
    from chromadb.api.shared_system_client import SharedSystemClient

    system = SharedSystemClient._identifier_to_system.pop(client._identifier, None)
    SharedSystemClient._identifier_to_refcount.pop(client._identifier, None)
    if system is not None:
        system.stop()


def _vector_index_folders(path: Path) -> list[Path]:
    """Chroma keeps each HNSW index in a folder named by its segment's UUID, beside chroma.sqlite3."""
    folders = []
    for child in path.iterdir():
        try:
            uuid.UUID(child.name)
        except ValueError:
            continue
        if child.is_dir():
            folders.append(child)
    return folders


def _drop_vector_files(path: Path) -> None:
    """Delete the HNSW folders; Chroma starts them empty and _reindex refills them from SQLite."""
    for folder in _vector_index_folders(path):
        shutil.rmtree(folder)


def _reindex(path: Path, collection: Any) -> None:
    """Re-embed and re-add every stored record so the vector index covers all of them again."""
    ids = collection.get(include=[])["ids"]  # ids first: paging while upserting could skip or repeat rows
    for start in range(0, len(ids), BATCH):
        page = collection.get(ids=ids[start : start + BATCH], include=["documents", "metadatas"])
        vectors = list(embed(page["documents"]))
        collection.upsert(ids=page["ids"], documents=page["documents"], metadatas=page["metadatas"], embeddings=vectors)
    (path / REINDEX_MARK).unlink()
    log.warning("copy memory at %s: vector index rebuilt for %d records", path, len(ids))


def _ensure_writable_dir(path: Path) -> None:
    """Create the store folder, failing early with a message a user can act on."""
    if path.exists() and not path.is_dir():
        raise MemoryStoreError(f"cannot open copy memory at {path}: it is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MemoryStoreError(f"cannot create copy memory folder {path}: {exc.strerror or exc}") from exc
    if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
        raise MemoryStoreError(f"cannot open copy memory at {path}: the folder is not readable and writable")
