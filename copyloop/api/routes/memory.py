"""GET and POST /v1/memory: the brand's own past copy, to inspect it or seed it with copy that ran elsewhere."""

from __future__ import annotations

from itertools import islice
from typing import Annotated, Any

from fastapi import APIRouter, Query

from copyloop.api.deps import Caller, Context
from copyloop.api.schemas import READ_ERRORS, WRITE_ERRORS, MemoryImport
from copyloop.brief import Channel
from copyloop.memory import MemoryRecord

router = APIRouter(prefix="/v1/memory", tags=["memory"])


@router.get("", responses=READ_ERRORS)
def read(caller: Caller, context: Context, channel: Channel | None = None,
         category: Annotated[str | None, Query(max_length=120)] = None,
         limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """The brand's stored copy, best measured first when channel and category are given."""
    memory = context.copy_memory()
    if channel and category:
        records = memory.exemplars(category, channel, k=limit, brand=caller.brand)
    else:
        records = list(islice(memory.select(caller.brand, channel, category), limit))
    return {"records": [r.model_dump(mode="json") for r in records]}


@router.post("", status_code=201, responses=WRITE_ERRORS)
def add(body: MemoryImport, caller: Caller, context: Context) -> dict[str, Any]:
    """Store copy for the key's brand (with its measured counts, if any); known copy keeps its history."""
    records = [MemoryRecord(**item.model_dump(), brand=caller.brand, source="api") for item in body.records]
    return {"ids": context.copy_memory().add(records)}
