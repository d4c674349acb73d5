"""GET /v1/variants/{sku}: approved copy for send-time pulls (Braze Connected Content, Iterable data feeds).

With `unit`, a running experiment on the placement decides which variant that recipient sees (sticky).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from copyloop.api.deps import DB, Caller
from copyloop.api.schemas import READ_ERRORS, error_responses
from copyloop.brief import Channel
from copyloop.service import experiments, served_copy

router = APIRouter(prefix="/v1/variants", tags=["variants"])


@router.get("/{sku}", responses={**READ_ERRORS, **error_responses(404)})
def variants(sku: str, caller: Caller, engine: DB, channel: Channel | None = None,
             segment: Annotated[str | None, Query(max_length=120)] = None,
             unit: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
             limit: Annotated[int, Query(ge=1, le=20)] = 5) -> dict[str, Any]:
    """The best approved copy first; 404 when none has been generated for this SKU (and channel)."""
    if unit and channel:
        running = _running_experiment(engine, caller.brand, sku, channel.value)
        if running:
            arm, _ = experiments.assign(engine, caller.brand, running, unit, segment or "")
            return {"sku": sku, "channel": channel.value, "segment": segment or "",
                    "variants": [{"text": arm.text, "rank": 1, "angle": arm.angle, "key": arm.key}],
                    "experiment": {"id": running, "variant": arm.key, "unit": unit}}
    rows = served_copy.lookup(engine, caller.brand, sku, channel.value if channel else None, segment, limit)
    if not rows:
        where = f" on channel {channel.value!r}" if channel else ""
        raise HTTPException(404, f"no approved copy for SKU {sku!r}{where}; generate some first")
    return {"sku": sku, "channel": rows[0]["channel"], "segment": rows[0]["segment"],
            "variants": [{k: r[k] for k in ("text", "rank", "angle", "predicted_ctr", "source")} for r in rows],
            "experiment": None}


def _running_experiment(engine: Any, brand: str, sku: str, channel: str) -> str | None:
    with engine.connect() as conn:
        return experiments.latest_on(conn, brand, sku, channel, status="running")
