"""Drafting agent: writes every variant that has no text yet or carries a critic's feedback.

Returns the variants it wrote (all of them on the first pass); the work itself is `drafting.drafts.draft_pass`,
which training and evaluation call too.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from copyloop.drafting.drafts import draft_pass, needs_draft, new_variants
from copyloop.graphs.context import CopyContext
from copyloop.graphs.state import CopyState, working_copies


def draft(state: CopyState, runtime: Runtime[CopyContext]) -> dict:
    """Create the brief's variants on the first pass; redraft those with feedback afterwards."""
    brief = state["brief"]
    ctx = runtime.context
    settings = ctx.settings if state.get("seed") is None else ctx.settings.with_(seed=state["seed"])
    first = not state.get("variants")
    variants = new_variants(brief, settings) if first else working_copies(state["variants"])
    if not any(needs_draft(v) for v in variants):
        return {"variants": variants if first else []}
    passes = state.get("drafts", 0)
    drafted = draft_pass(brief, variants, ctx.chat_model(), ctx.copy_memory(), settings, passes,
                         state.get("guidance"))
    return {"variants": variants if first else drafted, "drafts": passes + 1}
