"""Drafting agent: writes every variant that has no text yet or carries a critic's feedback.

Returns the variants with fresh text; the work itself is `drafting.drafts.draft_pass`, which training and
evaluation call too.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from copyloop.drafting.drafts import draft_pass, needs_draft, new_variants
from copyloop.graphs.context import CopyContext
from copyloop.graphs.state import CopyState


def draft(state: CopyState, runtime: Runtime[CopyContext]) -> dict:
    """Create the brief's variants on the first pass; redraft those with feedback afterwards."""
    brief = state["brief"]
    ctx = runtime.context
    variants = [v.model_copy(deep=True) for v in state.get("variants") or []] or new_variants(brief, ctx.settings)
    if not any(needs_draft(v) for v in variants):
        return {"variants": variants}
    passes = state.get("drafts", 0)
    draft_pass(brief, variants, ctx.chat_model(), ctx.copy_memory(), ctx.settings, passes, state.get("guidance"))
    return {"variants": variants, "drafts": passes + 1}
