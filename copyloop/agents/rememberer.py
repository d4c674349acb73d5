"""Remember: stores approved copy in the Chroma memory with its metadata, so later copy stays novel
and drafting can learn from it. Returns the stored record ids."""

from __future__ import annotations

from langgraph.runtime import Runtime

from copyloop.brief import Brief
from copyloop.graphs.context import CopyContext
from copyloop.graphs.state import CopyState
from copyloop.memory import MemoryRecord
from copyloop.result import Variant


def remember(state: CopyState, runtime: Runtime[CopyContext]) -> dict:
    """Write the approved variants to memory."""
    approved = set(state.get("approved") or [])
    records = [to_record(v, state["brief"]) for v in state["variants"] if v.id in approved]
    ids = runtime.context.copy_memory().add(records) if records else []
    return {"stored_ids": ids}


def to_record(variant: Variant, brief: Brief) -> MemoryRecord:
    """A memory record for one approved variant."""
    return MemoryRecord(
        text=variant.text, sku=brief.sku or brief.product_name, brand=brief.brand, category=brief.category,
        channel=brief.channel.value, segment=brief.audience, angle=variant.angle, cta_goal=brief.cta_goal.value,
        approved=True, source="copyloop",
    )
