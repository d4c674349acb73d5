"""The workflow's state: the brief, the variants travelling together, and the loop counters that cap every cycle."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, NotRequired, TypedDict

from copyloop.brief import Brief
from copyloop.config import Approval, Settings
from copyloop.result import Variant
from copyloop.tools.channels import channel_spec

# Each arrow back in the graph counts its trips in `rounds`; this names the Settings field that caps each one.
LOOP_CAPS = {"revise": "max_revisions", "sense": "max_revisions", "regenerate": "max_regenerations",
             "fix": "max_fix_rounds", "redraft": "max_revisions", "replace": "max_replacements"}


def merge_variants(current: list[Variant] | None, update: Sequence[Variant | dict[str, Any]]) -> list[Variant]:
    """The `variants` reducer: an update replaces the variants with its ids and appends new ones, so a node returns
    only the variants it changed. The ranker, which orders them and lets spares go, writes the whole list with
    `langgraph.types.Overwrite`. Variants arriving as JSON (LangGraph API, Studio) are validated here."""
    merged = list(current or [])
    index = {v.id: i for i, v in enumerate(merged)}
    for item in update:
        variant = item if isinstance(item, Variant) else Variant.model_validate(item)
        if variant.id in index:
            merged[index[variant.id]] = variant
        else:
            index[variant.id] = len(merged)
            merged.append(variant)
    return merged


def changed(before: Sequence[Variant], after: Sequence[Variant]) -> list[Variant]:
    """The variants of `after` that differ from (or are missing in) `before`: what a node hands the reducer."""
    old = {v.id: v for v in before}
    return [v for v in after if old.get(v.id) != v]


def working_copies(variants: Sequence[Variant]) -> list[Variant]:
    """Copies of the live variants for a node to change; the state's own objects stay as they were."""
    return [v.model_copy(deep=True) for v in live(variants)]


class CopyInput(TypedDict):
    """What a caller passes in: the brief, optional guidance for the first drafts ("shorter"), and per-run choices
    that override the settings — the seed (a chat asking for new copy wants new drafts) and the approval mode (a chat
    stores nothing until the marketer says "approve #2")."""

    brief: Brief
    guidance: NotRequired[str | None]
    seed: NotRequired[int]
    approval: NotRequired[Approval]


class CopyState(TypedDict, total=False):
    """Everything the agents read and write while a brief becomes ranked copy."""

    brief: Brief
    guidance: str | None
    seed: int
    approval: Approval
    variants: Annotated[list[Variant], merge_variants]
    rounds: dict[str, int]
    drafts: int
    distinct_2: float
    approved: list[int]
    stored_ids: list[str]
    input_warnings: list[str]


def bump(state: CopyState, loop: str) -> dict[str, int]:
    """The loop counters with one more trip round `loop`."""
    rounds = dict(state.get("rounds") or {})
    rounds[loop] = rounds.get(loop, 0) + 1
    return rounds


def trips(state: CopyState, loop: str) -> int:
    """How often the workflow has gone round `loop` so far."""
    return (state.get("rounds") or {}).get(loop, 0)


def drafting_passes(state: CopyState) -> int:
    """How many model passes the drafter has made so far (the first included).

    Counted by the drafter itself, not from the loop counters: one redraft pass answers every check that sent a
    variant back in the same round (sense, tone and novelty), so several counters can rise for one pass.
    """
    return state.get("drafts") or 1


def under_cap(state: CopyState, loop: str, settings: Settings) -> bool:
    """Whether `loop` may go round once more.

    Each loop has its own cap per pass (a replacement pass earns a fresh set), and every loop that redrafts
    also counts against the bound on model passes per brief that keeps latency predictable (`max_drafts`, by
    default the channel's `passes`).
    """
    cap = getattr(settings, LOOP_CAPS[loop])
    per_pass = trips(state, loop) < cap * (1 + (trips(state, "replace") if loop != "replace" else 0))
    passes = settings.max_drafts or channel_spec(state["brief"].channel).passes
    return per_pass and (loop == "fix" or drafting_passes(state) < passes)


def live(variants: list[Variant]) -> list[Variant]:
    """Variants still in play (not blocked)."""
    return [v for v in variants if v.status == "ok"]


def has_spare(variants: list[Variant], brief: Brief) -> bool:
    """Whether more variants are in play than the brief asked for, so a failing one can simply be dropped."""
    return len(live(variants)) > brief.n_variants


def drop_spare(variant: Variant, node: str, problem: str) -> None:
    """Retire a failing variant because a spare sibling can take its place: cheaper than another model pass."""
    variant.status = "blocked"
    variant.blocked_reason = f"dropped for a spare: {problem}"
    variant.note(node, "drop", variant.blocked_reason)


def is_spare_drop(variant: Variant) -> bool:
    """Whether a variant was retired only because a spare replaced it."""
    return bool(variant.blocked_reason and variant.blocked_reason.startswith("dropped for a spare"))
