"""The brand's library: the copy it serves now, per SKU, channel and segment, beside what its latest experiment on
that placement measured. One page of the web app reads it; /v1/variants stays the send-time lookup.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from copyloop.service import experiments
from copyloop.service.db import served_copy
from copyloop.service.experiment_results import results
from copyloop.service.served_copy import COLUMNS

ARM_FIELDS = ("key", "text", "impressions", "clicks", "conversions", "ctr", "cvr")


def library(engine: Engine, brand: str, sku: str | None = None, channel: str | None = None,
            limit: int = 100) -> list[dict[str, Any]]:
    """Active copy of the `limit` most recently written placements, newest first, each with the results of the
    latest experiment on its SKU and channel."""
    active = [served_copy.c.brand == brand, served_copy.c.active.is_(True)]
    if sku is not None:
        active.append(served_copy.c.sku == sku)
    if channel is not None:
        active.append(served_copy.c.channel == channel)
    placement = (served_copy.c.sku, served_copy.c.channel, served_copy.c.segment)
    with engine.connect() as conn:
        newest = conn.execute(sa.select(*placement).where(*active).group_by(*placement)
                              .order_by(sa.func.max(served_copy.c.created_at).desc(), *placement).limit(limit)).all()
        if not newest:
            return []
        rows = conn.execute(sa.select(*placement, *COLUMNS).where(
            *active, sa.tuple_(*placement).in_([tuple(p) for p in newest])).order_by(served_copy.c.rank)).all()
        grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = {tuple(p): [] for p in newest}
        for row in rows:
            grouped[(row.sku, row.channel, row.segment)].append(
                {k: row._mapping[k] for k in ("text", "rank", "angle", "predicted_ctr", "source", "created_at")})
        latest = {key: experiments.latest_on(conn, brand, key[0], key[1]) for key in {k[:2] for k in grouped}}
    measured = {key: _measured(engine, brand, found) if found else None for key, found in latest.items()}
    return [{"sku": key[0], "channel": key[1], "segment": key[2], "variants": variants, "results": measured[key[:2]]}
            for key, variants in grouped.items()]


def _measured(engine: Engine, brand: str, experiment_id: str) -> dict[str, Any]:
    """An experiment's numbers as the library shows them: per variant, what was shown, clicked and bought."""
    report = results(engine, brand, experiment_id)
    return {"experiment_id": report["id"], "name": report["name"], "status": report["status"],
            "winner": report["winner"], "arms": [{k: v[k] for k in ARM_FIELDS} for v in report["variants"]]}
