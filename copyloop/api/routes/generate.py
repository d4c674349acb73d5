"""POST /v1/generate: a brief in, ranked variants with scores and findings out (synchronous)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from copyloop.api.deps import DB, Caller, Context
from copyloop.api.schemas import WRITE_ERRORS, GenerateRequest, error_responses
from copyloop.service.runner import run_request

router = APIRouter(prefix="/v1", tags=["generate"])


@router.post("/generate", responses={**WRITE_ERRORS, **error_responses(403)})
def generate(body: GenerateRequest, caller: Caller, engine: DB, context: Context) -> dict[str, Any]:
    """Run the workflow now (tens of seconds on a laptop CPU); use /v1/jobs to be called back instead."""
    result = run_request(engine, context, caller.brand, body.model_dump(mode="json"), "generate")
    return result.model_dump(mode="json")
