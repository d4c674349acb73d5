"""POST /v1/generate: a brief in, ranked variants with scores and findings out, in the request.

The workflow runs on the app's own generation slots, never on the thread pool the read routes share; when every
slot is busy the request is queued as a job (202 + Location) instead of holding its connection in a queue.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Response

from copyloop.api.deps import DB, Caller, Context, Slots
from copyloop.api.routes.jobs import queue
from copyloop.api.schemas import GENERATE_QUEUED, WRITE_ERRORS, GenerateQueued, GenerateRequest, error_responses
from copyloop.api.slots import SlotsBusy
from copyloop.service.approvals import AwaitingApproval
from copyloop.service.runner import run_request

router = APIRouter(prefix="/v1", tags=["generate"])


@router.post("/generate", responses={**GENERATE_QUEUED, **WRITE_ERRORS, **error_responses(403)})
async def generate(body: GenerateRequest, caller: Caller, engine: DB, context: Context, slots: Slots,
                   response: Response) -> dict[str, Any]:
    """Run the workflow now (tens of seconds on a laptop CPU); use /v1/jobs to be called back instead. With
    `approval: human` it answers 202 with the variants waiting for a person at /v1/approvals/{id}."""
    request = body.model_dump(mode="json")
    try:
        result = await slots.run(lambda: run_request(engine, context, caller.brand, request, "generate"))
    except AwaitingApproval as paused:  # approval: human — nothing stored or published until a person decides
        response.status_code, response.headers["Location"] = 202, paused.body["url"]
        return paused.body
    except SlotsBusy as busy:
        accepted = await anyio.to_thread.run_sync(queue, engine, caller, body, None)  # a short insert, off the loop
        response.status_code, response.headers["Location"] = 202, accepted.url
        return GenerateQueued(**accepted.model_dump(), detail=str(busy)).model_dump()
    return result.model_dump(mode="json")
