"""One stored piece of copy, how it is flattened into Chroma metadata and back, and JSON lines import parsing.

Nothing here talks to Chroma: the same records and filters serve the embedded folder and a Chroma server.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from copyloop.brief import Channel, CtaGoal, clean_field, describe_validation_error
from copyloop.errors import MemoryStoreError

log = logging.getLogger(__name__)

CTR_PRIOR_CLICKS = 1
CTR_PRIOR_IMPRESSIONS = 20
COUNTERS = ("impressions", "clicks", "conversions")
MAX_COUNT = 10**12  # impressions, clicks or conversions of one text: far above any real total, far below int64
# Lower-cased copies of fields people filter by, so "Acme" and "acme" are one brand. Never shown to callers.
_KEYS = {"brand": "brand_key", "category": "category_key"}


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def record_id(brand: str | None, sku: str | None, channel: str, text: str) -> str:
    """Stable id from what makes copy the same copy, so importing it twice stores it once."""
    key = "|".join([brand or "", sku or "", channel, text])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


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


def to_metadata(record: MemoryRecord) -> dict[str, str | int | bool]:
    """Flatten a record for Chroma, whose metadata cannot hold None."""
    meta: dict[str, Any] = record.model_dump(mode="json", exclude={"id", "text"})
    meta = {k: ("" if v is None else v) for k, v in meta.items()}
    for name, key in _KEYS.items():
        meta[key] = str(meta[name]).casefold()
    return meta


def from_chroma(result: Any) -> list[MemoryRecord]:
    """MemoryRecords from a Chroma get() result; records no longer valid are logged and skipped."""
    metas = result.get("metadatas") or []
    docs = result.get("documents") or []
    found = []
    for id_, doc, meta in zip(result["ids"], docs, metas, strict=True):
        fields = {k: v for k, v in (meta or {}).items() if k in MemoryRecord.model_fields}
        try:
            found.append(MemoryRecord.model_validate({**fields, "id": id_, "text": doc}))
        except ValidationError as exc:  # written by an older version that let it in: skip it, keep reads working
            log.warning("copy memory: record %s is unreadable and skipped (%s)", id_,
                        exc.errors()[0].get("msg", "invalid"))
    return found


def where(**conditions: Any) -> dict[str, Any] | None:
    """A Chroma where-filter from the conditions that are not None; Chroma wants $and only for two or more."""
    parts = [{k: v} for k, v in conditions.items() if v is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def merge(stored: MemoryRecord, incoming: MemoryRecord) -> MemoryRecord:
    """Re-adding known copy keeps its history: counters only grow and the first sighting stays the creation date."""
    update: dict[str, Any] = {c: max(getattr(stored, c), getattr(incoming, c)) for c in COUNTERS}
    update["created_at"] = min(stored.created_at, incoming.created_at)
    return incoming.model_copy(update=update)


def dedupe(records: Iterable[MemoryRecord]) -> list[MemoryRecord]:
    """Chroma rejects a batch with repeated ids; the last copy of an id wins, as it would sequentially."""
    by_id: dict[str, MemoryRecord] = {}
    for record in records:
        by_id.pop(record.id, None)
        by_id[record.id] = record
    return list(by_id.values())


def summarise(records: Iterable[MemoryRecord]) -> dict[str, Any]:
    """Counts and performance totals overall and per channel, category and brand."""
    totals = _bucket()
    groups: dict[str, dict[str, dict[str, Any]]] = {"by_channel": {}, "by_category": {}, "by_brand": {}}
    approved = 0
    for record in records:
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


def read_lines(source: str | Path | TextIO) -> Iterator[tuple[int, bytes | str]]:
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


def parse_line(number: int, raw: bytes | str, errors: list[str]) -> MemoryRecord | None:
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
