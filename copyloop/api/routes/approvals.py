"""Runs waiting for a person (`approval: human`): list them, read one, approve some of its variants.

Approving resumes the paused run on whichever server gets the request (the thread is in the shared checkpointer),
stores the approved variants in memory and serves them; a second decision, even one racing the first, gets 409.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from fastapi.exceptions import RequestValidationError

from copyloop.api.deps import DB, Caller, Context
from copyloop.api.schemas import (
    READ_ERRORS,
    WRITE_ERRORS,
    Approval,
    ApprovalDecision,
    ApprovalDone,
    PendingApprovals,
    error_responses,
)
from copyloop.service import approvals
from copyloop.service.runner import resume_request

router = APIRouter(prefix="/v1/approvals", tags=["approvals"])
ApprovalId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("", responses=READ_ERRORS)
def pending(caller: Caller, engine: DB) -> PendingApprovals:
    """The brand's runs waiting for a person, oldest first."""
    return PendingApprovals(pending=[Approval(**row) for row in approvals.pending(engine, caller.brand)])


@router.get("/{approval_id}", responses={**READ_ERRORS, **error_responses(404)})
def read(approval_id: ApprovalId, caller: Caller, engine: DB) -> Approval:
    """One run waiting for a person (or decided already: its status and the ids approved)."""
    return Approval(**_found(engine, caller.brand, approval_id))


@router.post("/{approval_id}", responses={**WRITE_ERRORS, **error_responses(404, 409)})
def decide(approval_id: ApprovalId, body: ApprovalDecision, caller: Caller, engine: DB,
           context: Context) -> ApprovalDone:
    """Approve the listed variants (`[]` rejects them all) and finish the run: the approved ones are stored in
    memory and served from /v1/variants/{sku}, as the request that paused asked."""
    found = _found(engine, caller.brand, approval_id)
    offered = [v["id"] for v in found["variants"]]
    unknown = [(i, n) for i, n in enumerate(body.approve) if n not in offered]
    if unknown and found["status"] in ("pending", "deciding"):  # a decided one answers 409 below, whatever the ids
        raise RequestValidationError([{"loc": ("body", "approve", i), "input": n, "type": "value_error",
                                       "msg": f"variant {n} is not one of this run's variants {offered}"}
                                      for i, n in unknown])
    try:
        claimed = approvals.claim(engine, caller.brand, approval_id, context.settings.job_lease_seconds)
    except approvals.Undecidable as exc:
        raise HTTPException(exc.status, str(exc)) from None
    result, approved = resume_request(engine, context, caller.brand, claimed, list(dict.fromkeys(body.approve)))
    return ApprovalDone(id=approval_id, status="approved" if approved else "rejected", approved=approved,
                        result=result.model_dump(mode="json"))


def _found(engine: Any, brand: str, approval_id: str) -> dict[str, Any]:
    found = approvals.get(engine, brand, approval_id)
    if found is None:
        raise HTTPException(404, f"no approval {approval_id!r} for this API key's brand")
    return found
