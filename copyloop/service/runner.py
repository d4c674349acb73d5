"""Runs one generation request for a brand: the brief made the brand's, the workflow run, the copy published.

The HTTP endpoint and the background job worker both call `run_request`, and chats run beside them: runs at the
same time share the local model's decoding batch (`llm/shared_batches.py`), so two cost far less than twice one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

from copyloop.brief import Brief, brief_from_dict
from copyloop.errors import BriefError
from copyloop.graphs.context import CopyContext
from copyloop.result import Result
from copyloop.service import approvals, served_copy
from copyloop.tools.rulebook import using_rules


class ForeignBrand(BriefError):
    """A brief naming a brand other than the API key's: valid, but not this key's to write (HTTP 403)."""


def brief_for(brand: str, brief: Brief | dict[str, Any]) -> Brief:
    """The brief with the key's brand; a brief naming another brand is refused."""
    data = brief.model_dump() if isinstance(brief, Brief) else dict(brief)
    named = data.get("brand")
    if named and str(named).casefold() != brand.casefold():
        raise ForeignBrand([f"brand: {named!r} is not the brand this API key acts for ({brand!r}); leave it out"])
    return brief_from_dict({**data, "brand": brand})


def run_request(engine: Engine, context: CopyContext, brand: str, request: dict[str, Any], source: str,
                on_progress: Callable[[str, dict[str, Any]], None] | None = None) -> Result:
    """Generate for `request` (a GenerateRequest as a dict) and publish the shippable copy when asked.

    With `approval: human` the run pauses before anything is stored or published: it is recorded as pending and
    AwaitingApproval is raised; `resume_request` finishes it once a person has chosen."""
    from copyloop.generation import ApprovalPending, generate

    with using_rules(context.rules):  # the server's rules, in the request's thread and the run it starts
        brief = brief_for(brand, request["brief"])
        settings = context.settings.with_(approval=_mode(request))
        try:
            result = generate(brief, settings, llm=context.chat_model(), memory=context.copy_memory(),
                              guidance=request.get("guidance"), on_progress=on_progress)
        except ApprovalPending as paused:  # only `approval: human` pauses (see _mode)
            offered = list((paused.payload or {}).get("variants") or [])
            raise approvals.record(engine, brand, paused.thread_id, brief, offered, request, source) from None
    if request.get("publish", True):
        served_copy.publish(engine, brand, result, source)
    return result


def resume_request(engine: Engine, context: CopyContext, brand: str, approval: dict[str, Any],
                   approve: list[int]) -> tuple[Result, list[int]]:
    """Finish a paused run (claimed with approvals.claim) with a person's choice: the approved variants are
    stored in memory (unless the request said `store: false`) and published as served copy (unless `publish:
    false`). Returns the run and the ids approved; on any failure the claim is released, so the decision can be
    sent again."""
    from copyloop.generation import resume

    request = approval["request"]
    try:
        with using_rules(context.rules):
            result = resume(approval["id"], approve if request.get("store", True) else [],
                            context.settings.with_(approval="human"), llm=context.llm, memory=context.copy_memory())
        chosen = [v for v in result.shippable if v.id in approve]
        if request.get("publish", True):
            served_copy.publish(engine, brand, result.model_copy(update={"variants": chosen}), "approval")
        approvals.decide(engine, approval["id"], [v.id for v in chosen])
    except BaseException:
        approvals.release(engine, approval["id"])
        raise
    return result, [v.id for v in chosen]


def _mode(request: dict[str, Any]) -> str:
    """The workflow's approval mode for a request: a person, everything shippable, or nothing stored."""
    if request.get("approval") == "human":
        return "human"
    return "auto" if request.get("store", True) else "off"
