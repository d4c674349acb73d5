"""POST /v1/events: impressions, clicks and conversions, one or a batch; an event id counts once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from copyloop.api.deps import DB, Caller
from copyloop.api.schemas import WRITE_ERRORS, Event, EventBatch, error_responses
from copyloop.service import experiments

router = APIRouter(prefix="/v1", tags=["experiments"])


@router.post("/events", responses={**WRITE_ERRORS, **error_responses(404, 409)})
def ingest(body: EventBatch | Event, caller: Caller, engine: DB) -> dict[str, int]:
    """Store the events atomically: all of a batch, or none with a 422 naming the bad one."""
    batch: list[Any] = body.events if isinstance(body, EventBatch) else [body]
    return experiments.record(engine, caller.brand, [e.model_dump() for e in batch])
