"""GET /v1/library: the copy the brand serves now, per SKU, channel and segment, with what experiments measured."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from copyloop.api.deps import DB, Caller
from copyloop.api.schemas import READ_ERRORS, Library
from copyloop.brief import Channel
from copyloop.service.library import library

router = APIRouter(prefix="/v1/library", tags=["library"])


@router.get("", responses=READ_ERRORS)
def read(caller: Caller, engine: DB, sku: Annotated[str | None, Query(min_length=1, max_length=120)] = None,
         channel: Channel | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Library:
    """Active approved copy (what /v1/variants serves), the most recently written placements first, each with the
    results of the latest experiment on its SKU and channel (null when none ran)."""
    return Library(items=library(engine, caller.brand, sku, channel.value if channel else None, limit))
