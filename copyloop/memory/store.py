"""The memory of past copy: what was approved, where it ran and how it performed.

Backed by a Chroma persistent collection (SQLite plus an HNSW index in cosine space), so new copy
can be checked for novelty against everything already written and drafting can borrow the
best-performing past copy as few-shot examples.

Durability: every write is committed to SQLite before `add` returns, so a process killed mid-write
loses at most the batch in flight. Chroma's HNSW files are the weak spot: they are rewritten in
place every 1,000 writes, and a kill during that leaves them torn. Their sizes and hashes are
recorded after each completed operation; on open, files that no longer match are discarded and the
index is rebuilt from the copy in SQLite before Chroma ever loads them.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import chromadb
from chromadb.config import Settings
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from copyloop.brief import Channel, CtaGoal, clean_field, describe_validation_error
from copyloop.errors import CopyloopError, MemoryStoreError
from copyloop.memory.embeddings import MiniLMEmbeddingFunction, embed

log = logging.getLogger(__name__)

COLLECTION = "copy"
REINDEX_MARK = "copyloop-reindexing"
INDEX_MANIFEST = "copyloop-index.json"
BATCH = 256
PAGE = 1000
CTR_PRIOR_CLICKS = 1
CTR_PRIOR_IMPRESSIONS = 20
COUNTERS = ("impressions", "clicks", "conversions")
# Lower-cased copies of fields people filter by, so "Acme" and "acme" are one brand. Never shown to callers.
_KEYS = {"brand": "brand_key", "category": "category_key"}


@dataclass
class _Folder:
    """What every CopyMemory on one folder in this process shares, as Chroma shares one client per folder."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    users: int = 0
    hashes: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # file -> (size, mtime_ns, sha256)
    saved: dict[str, list[Any]] | None = None


_folders: dict[Path, _Folder] = {}
_folders_guard = threading.Lock()


def _folder(path: Path) -> _Folder:
    with _folders_guard:
        return _folders.setdefault(path.resolve(), _Folder())


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def record_id(brand: str | None, sku: str | None, channel: str, text: str) -> str:
    """Stable id from what makes copy the same copy, so importing it twice stores it once."""
    key = "|".join([brand or "", sku or "", channel, text])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


MAX_COUNT = 10**12  # impressions, clicks or conversions of one text: far above any real total, far below int64


class MemoryRecord(BaseModel):
    """One piece of stored copy with its placement and measured performance."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(default="", max_length=128)
    text: str = Field(min_length=1, max_length=5000)
    sku: str | None = Field(default=None, max_length=64)
    brand: str | None = Field(default=None, max_length=120)
    category: str = Field(default="General", max_length=120)
    channel: Channel = Channel.PRODUCT_DESCRIPTION
    segment: str | None = Field(default=None, max_length=120)
    angle: str | None = Field(default=None, max_length=120)
    cta_goal: CtaGoal | None = None
    created_at: str = Field(default_factory=_now_iso)
    impressions: int = Field(default=0, ge=0, le=MAX_COUNT)
    clicks: int = Field(default=0, ge=0, le=MAX_COUNT)
    conversions: int = Field(default=0, ge=0, le=MAX_COUNT)
    approved: bool = True
    source: str = Field(default="copyloop", max_length=60)

    @field_validator("text", "sku", "brand", "category", "segment", "angle", "source")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        """Stored copy is fed back into prompts as examples, so it gets the same cleaning as a brief; text that
        cleaning empties is refused, not stored as a record no read could parse back."""
        return clean_field(value) if value is not None else None

    @field_validator("sku", "brand", "segment", "angle", "cta_goal", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        """Chroma metadata stores None as "", and hand-written imports often do too."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("created_at", mode="before")
    @classmethod
    def _utc_iso(cls, value: Any) -> str:
        """One fixed UTC format, so timestamps sort as strings and compare across sources."""
        if isinstance(value, datetime):
            stamp = value
        elif isinstance(value, str):
            try:
                stamp = datetime.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(f"{value!r} is not an ISO 8601 date-time, e.g. 2025-01-31T12:00:00Z") from None
        else:
            raise ValueError("expected an ISO 8601 date-time string")
        stamp = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
        return stamp.isoformat(timespec="microseconds")

    @model_validator(mode="after")
    def _default_id(self) -> MemoryRecord:
        if not self.id:
            self.id = record_id(self.brand, self.sku, self.channel.value, self.text)
        return self

    @property
    def smoothed_ctr(self) -> float:
        """Click-through rate pulled towards a 5% prior, so 1 click in 2 views does not beat 300 in 10,000."""
        return (self.clicks + CTR_PRIOR_CLICKS) / (self.impressions + CTR_PRIOR_IMPRESSIONS)


def _to_metadata(record: MemoryRecord) -> dict[str, str | int | bool]:
    """Flatten a record for Chroma, whose metadata cannot hold None."""
    meta: dict[str, Any] = record.model_dump(mode="json", exclude={"id", "text"})
    meta = {k: ("" if v is None else v) for k, v in meta.items()}
    for name, key in _KEYS.items():
        meta[key] = str(meta[name]).casefold()
    return meta


def _from_metadata(record_id_: str, text: str, meta: dict[str, Any]) -> MemoryRecord:
    fields = {k: v for k, v in meta.items() if k in MemoryRecord.model_fields}
    return MemoryRecord.model_validate({**fields, "id": record_id_, "text": text})


def _where(**conditions: Any) -> dict[str, Any] | None:
    """A Chroma where-filter from the conditions that are not None; Chroma wants $and only for two or more."""
    parts = [{k: v} for k, v in conditions.items() if v is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _merge(stored: MemoryRecord, incoming: MemoryRecord) -> MemoryRecord:
    """Re-adding known copy keeps its history: counters only grow and the first sighting stays the creation date."""
    update: dict[str, Any] = {c: max(getattr(stored, c), getattr(incoming, c)) for c in COUNTERS}
    update["created_at"] = min(stored.created_at, incoming.created_at)
    return incoming.model_copy(update=update)


def _dedupe(records: Iterable[MemoryRecord]) -> list[MemoryRecord]:
    """Chroma rejects a batch with repeated ids; the last copy of an id wins, as it would sequentially."""
    by_id: dict[str, MemoryRecord] = {}
    for record in records:
        by_id.pop(record.id, None)
        by_id[record.id] = record
    return list(by_id.values())


class CopyMemory:
    """Past copy in a Chroma collection on disk; safe to share between threads of one process.

    Two processes must not write the same folder at once: Chroma's local mode keeps the vector index
    in memory and does not coordinate writers.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()
        _ensure_writable_dir(self.path)
        self._folder = _folder(self.path)
        self._lock = self._folder.lock
        with self._lock:
            self._client: Any = None
            self._client, self._collection = self._open()
            self._folder.users += 1

    def __repr__(self) -> str:
        return f"CopyMemory({str(self.path)!r})"

    def __enter__(self) -> CopyMemory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release Chroma's hold on the folder; a new CopyMemory reopens it from disk."""
        with self._lock:
            if self._client is None:
                return
            client, self._client = self._client, None
            self._folder.users -= 1
            client.close()

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

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Run one Chroma operation: serialised per folder, index files fingerprinted after it, errors made clear."""
        with self._lock:
            if self._client is None:
                raise MemoryStoreError(f"copy memory at {self.path} is closed")
            try:
                yield
                _save_index_state(self.path, self._folder)
            except CopyloopError:
                raise
            except Exception as exc:
                raise MemoryStoreError(f"copy memory at {self.path}: could not {action}: {exc}") from exc

    # -- writing -------------------------------------------------------------------------------------------------

    def add(self, records: Iterable[MemoryRecord | dict[str, Any]]) -> list[str]:
        """Store copy (insert or update by id) and return the id of each record, in input order."""
        items = [r if isinstance(r, MemoryRecord) else MemoryRecord.model_validate(r) for r in records]
        for start in range(0, len(items), BATCH):
            self._upsert(_dedupe(items[start : start + BATCH]))
        return [r.id for r in items]

    def _upsert(self, batch: list[MemoryRecord]) -> None:
        vectors = list(embed([r.text for r in batch]))  # outside the lock: embedding is the slow part
        with self._guard("store copy"):
            stored = {r.id: r for r in self._get_many([r.id for r in batch])}
            batch = [_merge(stored[r.id], r) if r.id in stored else r for r in batch]
            self._collection.upsert(
                ids=[r.id for r in batch],
                documents=[r.text for r in batch],
                embeddings=vectors,
                metadatas=[_to_metadata(r) for r in batch],
            )

    def record_outcome(self, id: str, impressions: int, clicks: int, conversions: int = 0) -> MemoryRecord:
        """Add newly measured performance to a record and return it; counts accumulate across calls."""
        deltas = {"impressions": impressions, "clicks": clicks, "conversions": conversions}
        bad = [f"{k}={v!r}" for k, v in deltas.items() if not isinstance(v, int) or isinstance(v, bool) or v < 0]
        if bad:
            raise MemoryStoreError(f"outcome for {id!r}: counts must be non-negative integers, got {', '.join(bad)}")
        with self._guard("record an outcome"):
            record = self.get(id)
            if record is None:
                raise MemoryStoreError(f"no copy with id {id!r} in the memory at {self.path}")
            updated = record.model_copy(update={k: getattr(record, k) + v for k, v in deltas.items()})
            self._collection.update(ids=[id], metadatas=[_to_metadata(updated)])
        return updated

    # -- reading -------------------------------------------------------------------------------------------------

    def get(self, id: str) -> MemoryRecord | None:
        """The record with this id, or None."""
        found = self._get_many([id])
        return found[0] if found else None

    def _get_many(self, ids: Sequence[str]) -> list[MemoryRecord]:
        with self._guard("read copy"):
            return _records(self._collection.get(ids=list(ids), include=["documents", "metadatas"]))

    def count(self) -> int:
        """How many pieces of copy are stored."""
        with self._guard("count copy"):
            return int(self._collection.count())

    def all(self) -> Iterator[MemoryRecord]:
        """Every stored record, read a page at a time."""
        return self._iter(None)

    def select(self, brand: str | None = None, channel: Channel | str | None = None,
               category: str | None = None) -> Iterator[MemoryRecord]:
        """Stored records of one brand, channel and/or category (each ignored when None), a page at a time."""
        return self._iter(_where(brand_key=brand.casefold() if brand is not None else None,
                                 channel=Channel(channel).value if channel is not None else None,
                                 category_key=category.casefold() if category is not None else None))

    def _iter(self, where: dict[str, Any] | None) -> Iterator[MemoryRecord]:
        offset = 0
        while True:
            with self._guard("read copy"):
                page = self._collection.get(where=where, limit=PAGE, offset=offset, include=["documents", "metadatas"])
                records = _records(page)
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
        where = _where(brand_key=brand.casefold()) if brand is not None else None
        vectors = list(embed(texts))
        with self._guard("search copy"):
            result = self._collection.query(query_embeddings=vectors, n_results=1, where=where, include=["distances"])
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
        where = _where(
            channel=Channel(channel).value,
            category_key=category.casefold(),
            approved=True,
            brand_key=brand.casefold() if brand is not None else None,
        )
        candidates = list(self._iter(where))
        candidates.sort(key=lambda r: (r.impressions > 0, r.smoothed_ctr if r.impressions else 0.0, r.created_at))
        return candidates[::-1][:k]

    def stats(self) -> dict[str, Any]:
        """Counts and performance totals overall and per channel, category and brand."""
        totals = _bucket()
        groups: dict[str, dict[str, dict[str, Any]]] = {"by_channel": {}, "by_category": {}, "by_brand": {}}
        approved = 0
        for record in self.all():
            approved += record.approved
            _tally(totals, record)
            _tally(groups["by_channel"].setdefault(record.channel.value, _bucket()), record)
            _tally(groups["by_category"].setdefault(record.category, _bucket()), record)
            _tally(groups["by_brand"].setdefault(record.brand or "(none)", _bucket()), record)
        return {
            "count": totals["count"],
            "approved": approved,
            "totals": _with_ctr(totals),
            **{name: {k: _with_ctr(v) for k, v in sorted(g.items())} for name, g in groups.items()},
        }

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
        for number, raw in _read_lines(source):
            record = _parse_line(number, raw, errors)
            if record is not None:
                pending.append(record)
            if len(pending) >= BATCH:
                imported += len(self.add(pending))
                pending = []
        imported += len(self.add(pending))
        return imported, errors


def _connect(path: Path) -> tuple[Any, Any]:
    """A Chroma client and the copy collection: our embedding function (Chroma's default downloads one), cosine."""
    client = chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))
    collection = client.get_or_create_collection(
        COLLECTION,
        embedding_function=MiniLMEmbeddingFunction(),  # type: ignore[arg-type]
        configuration={"hnsw": {"space": "cosine"}},
    )
    return client, collection


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
    bound when it loads them (chroma-core/chroma#7238, #7510). Every completed operation records the
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


def _records(result: Any) -> list[MemoryRecord]:
    """MemoryRecords from a Chroma get() result."""
    metas = result.get("metadatas") or []
    docs = result.get("documents") or []
    found = []
    for record_id_, doc, meta in zip(result["ids"], docs, metas, strict=True):
        try:
            found.append(_from_metadata(record_id_, doc, meta or {}))
        except ValidationError as exc:  # written by an older version that let it in: skip it, keep reads working
            log.warning("copy memory: record %s is unreadable and skipped (%s)", record_id_,
                        exc.errors()[0].get("msg", "invalid"))
    return found


def _bucket() -> dict[str, Any]:
    return {"count": 0, **dict.fromkeys(COUNTERS, 0)}


def _tally(bucket: dict[str, Any], record: MemoryRecord) -> None:
    bucket["count"] += 1
    for counter in COUNTERS:
        bucket[counter] += getattr(record, counter)


def _with_ctr(bucket: dict[str, Any]) -> dict[str, Any]:
    """Raw CTR over all impressions in the group; None where nothing was measured."""
    ctr = bucket["clicks"] / bucket["impressions"] if bucket["impressions"] else None
    return {**bucket, "ctr": ctr}


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


def _read_lines(source: str | Path | TextIO) -> Iterator[tuple[int, bytes | str]]:
    """Numbered lines of a file or text stream; file lines stay bytes so bad UTF-8 is reported per line."""
    if not isinstance(source, str | Path):
        yield from enumerate(source, start=1)
        return
    path = Path(source)
    try:
        stream: io.BufferedReader = path.open("rb")
    except OSError as exc:
        raise MemoryStoreError(f"cannot import copy from {path}: {exc.strerror or exc}") from exc
    with stream:
        yield from enumerate(stream, start=1)


def _parse_line(number: int, raw: bytes | str, errors: list[str]) -> MemoryRecord | None:
    """One JSON line as a record, or None with a 'line N: ...' message appended to `errors`."""
    try:
        line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        errors.append(f"line {number}: not valid UTF-8 ({exc.reason} at byte {exc.start})")
        return None
    if not line.strip():
        return None
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        errors.append(f"line {number}: not valid JSON: {exc.msg} at column {exc.colno}")
        return None
    if not isinstance(data, dict):
        errors.append(f"line {number}: expected a JSON object, got {type(data).__name__}")
        return None
    try:
        return MemoryRecord.model_validate(data)
    except ValidationError as exc:
        errors.append(f"line {number}: " + "; ".join(describe_validation_error(exc)))
        return None
