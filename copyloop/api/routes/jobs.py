"""POST /v1/jobs and GET /v1/jobs/{id}: background generation with a signed webhook on completion."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response
from sqlalchemy.engine import Engine

from copyloop.api.deps import DB, Caller, Context
from copyloop.api.schemas import READ_ERRORS, WRITE_ERRORS, GenerateRequest, JobAccepted, JobRequest, error_responses
from copyloop.service import jobs
from copyloop.service.keys import Tenant
from copyloop.service.outbound import Refused, check_submitted
from copyloop.service.runner import brief_for

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.post("", status_code=202, responses={**WRITE_ERRORS, **error_responses(403)})
def submit(body: JobRequest, caller: Caller, engine: DB, context: Context, response: Response) -> JobAccepted:
    """Queue a generation; the job survives a server restart and its webhook is retried with backoff."""
    if body.callback_url:
        try:
            check_submitted(str(body.callback_url), context.settings.webhook_allow_list)
        except Refused as exc:
            raise HTTPException(422, str(exc)) from None
    accepted = queue(engine, caller, body, str(body.callback_url) if body.callback_url else None)
    response.headers["Location"] = accepted.url
    return accepted


def queue(engine: Engine, caller: Tenant, body: GenerateRequest, callback_url: str | None) -> JobAccepted:
    """Queue `body` as the caller's job: here, and for a POST /v1/generate that finds every slot busy."""
    brief_for(caller.brand, body.brief)  # refuse another brand's brief now, not in the worker
    request = body.model_dump(mode="json", exclude={"callback_url"}) | {"key_id": caller.key_id}
    job_id = jobs.submit(engine, caller.brand, request, callback_url)
    return JobAccepted(id=job_id, status="queued", url=f"/v1/jobs/{job_id}")


@router.get("/{job_id}", responses={**READ_ERRORS, **error_responses(404)})
def status(job_id: str, caller: Caller, engine: DB) -> dict[str, Any]:
    """The job's status, its result once it succeeded, and the state of its webhook delivery."""
    found = jobs.get(engine, caller.brand, job_id)
    if found is None:
        raise HTTPException(404, f"no job {job_id!r} for this API key's brand")
    return found
