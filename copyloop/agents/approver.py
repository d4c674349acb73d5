"""Approval: decides which ranked variants are approved for use and stored in memory.

Returns the approved variant ids: all shippable ones (auto), none (off), or a person's choice via interrupt().
"""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from copyloop.graphs.context import CopyContext
from copyloop.graphs.state import CopyState, live


def approve(state: CopyState, runtime: Runtime[CopyContext]) -> dict:
    """Approve per the settings; in human mode pause the graph until a person answers."""
    shippable = [v.id for v in live(state["variants"])]
    mode = state.get("approval") or runtime.context.settings.approval
    if mode == "off" or not shippable:
        return {"approved": []}
    if mode == "auto":
        return {"approved": shippable}
    answer = interrupt({
        "question": "Which variants do you approve? Resume with {'approve': [ids]} or {'approve': 'all'}.",
        "variants": [v.model_dump(mode="json") for v in live(state["variants"])],  # id, text, rank, scores …
    })
    chosen = answer.get("approve", []) if isinstance(answer, dict) else answer
    if chosen == "all":
        return {"approved": shippable}
    return {"approved": [i for i in chosen if i in shippable]}
