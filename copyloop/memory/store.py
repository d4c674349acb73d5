"""The memory of past copy: what was approved, where it ran and how it performed.

One Chroma collection in cosine space (`collection.py`), so new copy can be checked for novelty against
everything already written and drafting can borrow the best-performing past copy as few-shot examples. It lives
in a folder on this machine (`embedded.py`, the zero-config default, with its crash repair) or on a Chroma server
that several copyloop servers share (`server.py`, `memory_url`); everything here works the same on both.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TextIO

from copyloop.brief import Channel
from copyloop.config import Settings
from copyloop.errors import CopyloopError, MemoryStoreError
from copyloop.memory.collection import BATCH
from copyloop.memory.embedded import FolderStore
from copyloop.memory.embeddings import embed
from copyloop.memory.records import (
    MemoryRecord,
    dedupe,
    from_chroma,
    merge,
    parse_line,
    read_lines,
    summarise,
    to_metadata,
    where,
)
from copyloop.memory.server import ServerStore

PAGE = 1000


class _Store(Protocol):
    """Where the collection lives: a folder (with crash repair) or a Chroma server."""

    where: str  # "at /folder" or "on http://host:port", for messages
    lock: AbstractContextManager[Any]  # serialises read-modify-write within this process
    collection: Any

    def written(self) -> None: ...
    def close(self) -> None: ...


class CopyMemory:
    """Past copy in a Chroma collection; safe to share between threads of one process.

    `CopyMemory(folder)` keeps it on this machine; `CopyMemory.on_server(url)` on a Chroma server.
    """

    def __init__(self, path: str | Path):
        self._attach(FolderStore(Path(path).expanduser()))

    @classmethod
    def on_server(cls, url: str) -> CopyMemory:
        """The memory on the Chroma server at `url` (http(s)://host:port), shared by every process that names it."""
        memory = cls.__new__(cls)
        memory._attach(ServerStore(url))
        return memory

    def _attach(self, store: _Store) -> None:
        self._store: _Store | None = store
        self._where = store.where

    def __repr__(self) -> str:
        return f"CopyMemory({self._where})"

    def __enter__(self) -> CopyMemory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the folder or the connection; a new CopyMemory reopens it."""
        store = self._store
        if store is None:
            return
        with store.lock:
            if self._store is not None:
                self._store = None
                store.close()

    @contextmanager
    def _guard(self, action: str, write: bool = False) -> Iterator[Any]:
        """Run one Chroma operation on the collection: serialised, a completed write recorded, errors made clear."""
        store = self._store
        if store is None:
            raise MemoryStoreError(f"copy memory {self._where} is closed")
        with store.lock:
            if self._store is None:
                raise MemoryStoreError(f"copy memory {self._where} is closed")
            try:
                yield store.collection
                if write:
                    store.written()
            except CopyloopError:
                raise
            except Exception as exc:
                raise MemoryStoreError(f"copy memory {self._where}: could not {action}: {exc}") from exc

    # -- writing -------------------------------------------------------------------------------------------------

    def add(self, records: Iterable[MemoryRecord | dict[str, Any]]) -> list[str]:
        """Store copy (insert or update by id) and return the id of each record, in input order."""
        items = [r if isinstance(r, MemoryRecord) else MemoryRecord.model_validate(r) for r in records]
        for start in range(0, len(items), BATCH):
            self._upsert(dedupe(items[start : start + BATCH]))
        return [r.id for r in items]

    def _upsert(self, batch: list[MemoryRecord]) -> None:
        vectors = list(embed([r.text for r in batch]))  # outside the lock: embedding is the slow part
        with self._guard("store copy", write=True) as collection:
            stored = {r.id: r for r in self._get_many([r.id for r in batch])}
            batch = [merge(stored[r.id], r) if r.id in stored else r for r in batch]
            collection.upsert(ids=[r.id for r in batch], documents=[r.text for r in batch], embeddings=vectors,
                              metadatas=[to_metadata(r) for r in batch])

    def record_outcome(self, id: str, impressions: int, clicks: int, conversions: int = 0) -> MemoryRecord:
        """Add newly measured performance to a record and return it; counts accumulate across calls."""
        deltas = {"impressions": impressions, "clicks": clicks, "conversions": conversions}
        bad = [f"{k}={v!r}" for k, v in deltas.items() if not isinstance(v, int) or isinstance(v, bool) or v < 0]
        if bad:
            raise MemoryStoreError(f"outcome for {id!r}: counts must be non-negative integers, got {', '.join(bad)}")
        with self._guard("record an outcome", write=True) as collection:
            record = self.get(id)
            if record is None:
                raise MemoryStoreError(f"no copy with id {id!r} in the memory {self._where}")
            updated = record.model_copy(update={k: getattr(record, k) + v for k, v in deltas.items()})
            collection.update(ids=[id], metadatas=[to_metadata(updated)])
        return updated

    # -- reading -------------------------------------------------------------------------------------------------

    def get(self, id: str) -> MemoryRecord | None:
        """The record with this id, or None."""
        found = self._get_many([id])
        return found[0] if found else None

    def _get_many(self, ids: Sequence[str]) -> list[MemoryRecord]:
        with self._guard("read copy") as collection:
            return from_chroma(collection.get(ids=list(ids), include=["documents", "metadatas"]))

    def count(self) -> int:
        """How many pieces of copy are stored."""
        with self._guard("count copy") as collection:
            return int(collection.count())

    def all(self) -> Iterator[MemoryRecord]:
        """Every stored record, read a page at a time."""
        return self._iter(None)

    def select(self, brand: str | None = None, channel: Channel | str | None = None,
               category: str | None = None) -> Iterator[MemoryRecord]:
        """Stored records of one brand, channel and/or category (each ignored when None), a page at a time."""
        return self._iter(where(brand_key=brand.casefold() if brand is not None else None,
                                channel=Channel(channel).value if channel is not None else None,
                                category_key=category.casefold() if category is not None else None))

    def _iter(self, condition: dict[str, Any] | None) -> Iterator[MemoryRecord]:
        offset = 0
        while True:
            with self._guard("read copy") as collection:
                records = from_chroma(collection.get(where=condition, limit=PAGE, offset=offset,
                                                     include=["documents", "metadatas"]))
            yield from records
            if len(records) < PAGE:
                return
            offset += PAGE

    def nearest_similarity(self, texts: Sequence[str], brand: str | None = None) -> list[float]:
        """For each text, the highest cosine similarity to stored copy (of `brand`, or any brand), in [0, 1].

        0.0 means nothing comparable is stored; 1.0 means the same text is already there.
        """
        texts = list(texts)
        if not texts or self.count() == 0:
            return [0.0] * len(texts)
        condition = where(brand_key=brand.casefold()) if brand is not None else None
        vectors = list(embed(texts))
        with self._guard("search copy") as collection:
            result = collection.query(query_embeddings=vectors, n_results=1, where=condition, include=["distances"])
        # Chroma's cosine distance is 1 - cosine similarity; no hit (filter matched nothing) means 0.0.
        return [min(1.0, max(0.0, 1.0 - hits[0])) if hits else 0.0 for hits in result["distances"]]

    def exemplars(
        self, category: str, channel: Channel | str, k: int = 3, brand: str | None = None
    ) -> list[MemoryRecord]:
        """The best approved past copy for this channel and category, to show the writer as examples.

        Copy with measured impressions comes first, by smoothed CTR; untested copy follows, newest first.
        """
        if k <= 0:
            return []
        candidates = list(self._iter(where(
            channel=Channel(channel).value,
            category_key=category.casefold(),
            approved=True,
            brand_key=brand.casefold() if brand is not None else None,
        )))
        candidates.sort(key=lambda r: (r.impressions > 0, r.smoothed_ctr if r.impressions else 0.0, r.created_at))
        return candidates[::-1][:k]

    def stats(self) -> dict[str, Any]:
        """Counts and performance totals overall and per channel, category and brand."""
        return summarise(self.all())

    # -- files ---------------------------------------------------------------------------------------------------

    def export_jsonl(self, target: str | Path | TextIO) -> int:
        """Write every record as one JSON object per line; returns how many. Files are replaced atomically."""
        if not isinstance(target, str | Path):
            return self._write_jsonl(target)
        path = Path(target)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with tmp.open("w", encoding="utf-8") as stream:
                written = self._write_jsonl(stream)
                stream.flush()
                os.fsync(stream.fileno())  # on disk before it replaces the old export
            os.replace(tmp, path)
        except OSError as exc:
            raise MemoryStoreError(f"cannot export copy memory to {path}: {exc.strerror or exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)  # only left behind when writing or renaming failed
        return written

    def _write_jsonl(self, stream: TextIO) -> int:
        written = 0
        for record in self.all():
            stream.write(record.model_dump_json() + "\n")
            written += 1
        return written

    def import_jsonl(self, source: str | Path | TextIO) -> tuple[int, list[str]]:
        """Add records from JSON lines; returns (records imported, one error per bad line).

        A bad line is reported with its line number and skipped; good lines are still imported and
        stored copy is never touched by a bad line.
        """
        imported, errors, pending = 0, [], []
        for number, raw in read_lines(source):
            record = parse_line(number, raw, errors)
            if record is not None:
                pending.append(record)
            if len(pending) >= BATCH:
                imported += len(self.add(pending))
                pending = []
        imported += len(self.add(pending))
        return imported, errors


def open_memory(settings: Settings) -> CopyMemory:
    """The memory the settings configure, one object per location per process: the Chroma server at
    `memory_url`, else the folder in `home`."""
    if settings.memory_url:
        return _shared("url", settings.memory_url.strip())
    return _shared("folder", str(settings.memory_dir))


@cache
def _shared(kind: str, location: str) -> CopyMemory:
    return CopyMemory.on_server(location) if kind == "url" else CopyMemory(location)
