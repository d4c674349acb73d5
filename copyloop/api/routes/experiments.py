"""Experiments: create, sticky assignment, results with intervals and a recommended winner, conclusion."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from copyloop.api.deps import DB, Caller, Context
from copyloop.api.schemas import (
    READ_ERRORS,
    WRITE_ERRORS,
    Conclude,
    ExperimentCreate,
    ExperimentList,
    error_responses,
)
from copyloop.service import experiments
from copyloop.service.experiment_results import conclude, results
from copyloop.service.runner import brief_for

router = APIRouter(prefix="/v1/experiments", tags=["experiments"])


@router.post("", status_code=201, responses={**WRITE_ERRORS, **error_responses(403)})
def create(body: ExperimentCreate, caller: Caller, engine: DB, response: Response) -> dict[str, Any]:
    """Start an A/B/n test: a fixed split (weights) or Thompson sampling, per segment."""
    keys = [v.key or f"v{i + 1}" for i, v in enumerate(body.variants)]
    brief = brief_for(caller.brand, body.brief).model_dump(mode="json") if body.brief else None
    experiment_id = experiments.create(
        engine, caller.brand, name=body.name, sku=body.sku, category=body.category, channel=body.channel.value,
        allocation=body.allocation, control=keys.index(body.control) if body.control else 0, brief=brief,
        variants=[{**v.model_dump(), "key": k} for v, k in zip(body.variants, keys, strict=True)])
    response.headers["Location"] = f"/v1/experiments/{experiment_id}"
    return results(engine, caller.brand, experiment_id)


@router.get("", responses=READ_ERRORS)
def listing(caller: Caller, engine: DB, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> ExperimentList:
    """The brand's experiments, newest first; read one for its numbers."""
    return ExperimentList(experiments=experiments.listing(engine, caller.brand, limit))


@router.get("/{experiment_id}", responses={**READ_ERRORS, **error_responses(404)})
def read(experiment_id: str, caller: Caller, engine: DB) -> dict[str, Any]:
    """Per variant: impressions, clicks, conversions, CTR and CVR with 95% Wilson intervals, probability to beat
    the control; the sample-ratio-mismatch check; the recommended winner and whether it is significant."""
    return results(engine, caller.brand, experiment_id)


@router.get("/{experiment_id}/assign", responses={**READ_ERRORS, **error_responses(404, 409)})
def assign(experiment_id: str, caller: Caller, engine: DB,
           unit: Annotated[str, Query(min_length=1, max_length=200)],
           segment: Annotated[str | None, Query(max_length=120)] = None) -> dict[str, Any]:
    """The unit's variant, the same on every call (after conclusion: the winner)."""
    arm, new = experiments.assign(engine, caller.brand, experiment_id, unit, segment or "")
    return {"experiment_id": experiment_id, "unit": unit, "variant": arm.key, "text": arm.text, "new": new}


@router.post("/{experiment_id}/conclude", responses={**WRITE_ERRORS, **error_responses(404, 409)})
def finish(experiment_id: str, caller: Caller, engine: DB, context: Context,
           body: Conclude | None = None) -> dict[str, Any]:
    """Stop the test, serve the winner, and write every variant's measured outcome into memory."""
    return conclude(engine, context.copy_memory(), caller.brand, experiment_id, body.winner if body else None)
