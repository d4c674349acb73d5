"""Approved copy ready for send-time pulls: one indexed lookup per request, no model, no vector search.

Every finished generation replaces the active copy for its brand, SKU, channel and segment; a concluded
experiment puts its winner first; a chat's approvals replace it too, and dropping an approved variant there
retires its text.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from copyloop.brief import Brief
from copyloop.result import Result, Variant
from copyloop.service.db import now, served_copy, writing

COLUMNS = (served_copy.c.text, served_copy.c.rank, served_copy.c.angle, served_copy.c.predicted_ctr,
           served_copy.c.source, served_copy.c.created_at)


def sku_of(result: Result) -> str:
    """The key copy is served under: the brief's SKU, else its product name."""
    return placement(result.brief)[0]


def placement(brief: Brief) -> tuple[str, str, str]:
    """Where a brief's copy is served: its SKU (else product name), channel and segment (its audience)."""
    return brief.sku or brief.product_name, brief.channel.value, brief.audience or ""


def publish(engine: Engine, brand: str, result: Result, source: str) -> int:
    """Make a result's shippable variants the active copy for its placement; returns how many."""
    shippable = result.shippable
    if not shippable:
        return 0
    rows = [{"text": v.text, "angle": v.angle, "predicted_ctr": v.scores.predicted_ctr} for v in shippable]
    with writing(engine) as conn:
        replace(conn, brand, sku_of(result), result.brief.channel.value, result.brief.audience or "", rows, source)
    return len(rows)


def publish_variants(engine: Engine, brand: str, brief: Brief, variants: list[Variant], source: str) -> int:
    """Make `variants` (best first, as the marketer ordered them) the active copy for the brief's placement."""
    rows = [{"text": v.text, "angle": v.angle, "predicted_ctr": v.scores.predicted_ctr} for v in variants]
    if rows:
        with writing(engine) as conn:
            replace(conn, brand, *placement(brief), rows, source)
    return len(rows)


def retire(engine: Engine, brand: str, brief: Brief, texts: list[str], source: str) -> int:
    """Stop serving these texts (published by `source`) for the brief's placement; returns how many rows."""
    if not texts:
        return 0
    with writing(engine) as conn:
        done = conn.execute(served_copy.update().where(
            *_key(brand, *placement(brief)), served_copy.c.active.is_(True), served_copy.c.source == source,
            served_copy.c.text.in_(texts)).values(active=False))
    return done.rowcount


def replace(conn: Connection, brand: str, sku: str, channel: str, segment: str, rows: list[dict[str, Any]],
            source: str) -> None:
    """Retire the placement's active copy and insert `rows` (best first) in one transaction."""
    key = _key(brand, sku, channel, segment)
    conn.execute(served_copy.update().where(*key, served_copy.c.active.is_(True)).values(active=False))
    stamp = now()
    conn.execute(served_copy.insert(), [
        {"brand": brand, "sku": sku, "channel": channel, "segment": segment, "rank": rank, "source": source,
         "active": True, "created_at": stamp, **row} for rank, row in enumerate(rows, start=1)])


def lookup(engine: Engine, brand: str, sku: str, channel: str | None, segment: str | None,
           limit: int) -> list[dict[str, Any]]:
    """Active copy for the segment, else the copy written for every segment; with no segment asked, else the
    newest copy written for any one segment (a brief's audience is a segment, which a pull may not name)."""
    with engine.connect() as conn:
        for seg in [*dict.fromkeys([segment or "", ""]), *([None] if segment is None else [])]:
            query = sa.select(served_copy.c.channel, served_copy.c.segment, *COLUMNS).where(
                served_copy.c.brand == brand, served_copy.c.sku == sku, served_copy.c.active.is_(True))
            if seg is not None:
                query = query.where(served_copy.c.segment == seg)
            if channel:
                query = query.where(served_copy.c.channel == channel)
            order = (served_copy.c.created_at.desc(), served_copy.c.segment, served_copy.c.channel,
                     served_copy.c.rank)
            rows = conn.execute(query.order_by(*order).limit(limit)).all()
            if rows:
                first = (rows[0].segment, rows[0].channel)
                return [dict(r._mapping) for r in rows if (r.segment, r.channel) == first]
    return []


def _key(brand: str, sku: str, channel: str, segment: str) -> tuple[Any, ...]:
    return (served_copy.c.brand == brand, served_copy.c.sku == sku, served_copy.c.channel == channel,
            served_copy.c.segment == segment)
