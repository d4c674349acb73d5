"""Diversity check: compares variants with each other and with past copy in memory (MiniLM cosine, distinct-2).

Returns novelty and sibling-similarity scores per variant and marks clashing variants for a fresh angle while
the regenerate cap allows; past the cap, a near-duplicate is blocked rather than shipped. It is the last check
before drafting again: every variant the sense, tone or novelty check marked is redrafted in one model pass.
Drafts already marked are left out of the comparison (their text is about to change).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from langgraph.runtime import Runtime

from copyloop.drafting.prompts import angles, next_focus
from copyloop.graphs.context import CopyContext
from copyloop.graphs.state import CopyState, bump, changed, drop_spare, has_spare, live, under_cap, working_copies
from copyloop.memory.embeddings import embed
from copyloop.result import Variant
from copyloop.tools.diversity import distinct_n

# Past the cap, copy this close to a sibling is a duplicate, not a variant. Copy closer to stored copy than the
# user's memory_similarity_max is never shipped: novelty against what is already live is a promise.
DUPLICATE_SIMILARITY = 0.97


def diversity_check(state: CopyState, runtime: Runtime[CopyContext]) -> dict:
    """Score novelty; flag the later of two clashing siblings and anything too close to memory."""
    settings = runtime.context.settings
    brief = state["brief"]
    variants = working_copies(state["variants"])
    current = [v for v in variants if not v.feedback]
    if not current:
        return {"distinct_2": 0.0}
    vectors = embed([v.body for v in current])
    siblings = vectors @ vectors.T
    np.fill_diagonal(siblings, -1.0)
    remembered = runtime.context.copy_memory().nearest_similarity([v.text for v in current], brand=brief.brand)
    can_regenerate = under_cap(state, "regenerate", settings)
    used_angles = {v.angle for v in current}
    flagged = False
    for i, variant in enumerate(current):
        closest = int(np.argmax(siblings[i, :i])) if i else None
        sibling_sim = float(siblings[i, :i].max()) if i else 0.0
        variant.scores.max_sibling_similarity = round(float(siblings[i].max()) if len(current) > 1 else 0.0, 4)
        variant.scores.novelty = round(1.0 - max(0.0, remembered[i]), 4)
        problem = None
        if sibling_sim > settings.sibling_similarity_max:
            problem = (f"too close to variant #{current[closest].id} (cosine {sibling_sim:.2f}); "
                       f"say it differently from: \"{current[closest].text[:100]}\"")
        elif remembered[i] > settings.memory_similarity_max:
            problem = f"too close to copy already in memory (cosine {remembered[i]:.2f}); take a fresh angle"
        if problem is None:
            continue
        if has_spare(variants, brief):
            drop_spare(variant, "diversity_check", problem)
        elif can_regenerate:
            variant.feedback = problem
            variant.angle = fresh_angle(variant, used_angles)
            variant.focus = next_focus(brief, variant.focus)
            used_angles.add(variant.angle)
            variant.note("diversity_check", "send back", problem)
            flagged = True
        elif sibling_sim >= DUPLICATE_SIMILARITY or remembered[i] > settings.memory_similarity_max:
            variant.status = "blocked"
            variant.blocked_reason = f"near-duplicate after {settings.max_regenerations} regenerations: {problem}"
            variant.note("diversity_check", "block", variant.blocked_reason)
    update: dict = {"variants": changed(state["variants"], variants),
                    "distinct_2": round(distinct_n([v.text for v in live(variants)], 2), 4)}
    if flagged:
        update["rounds"] = bump(state, "regenerate")
    return update


def fresh_angle(variant: Variant, used: set[str]) -> str:
    """An angle no sibling uses yet (or the next one round the list)."""
    ids = [a.id for a in angles()]
    start = ids.index(variant.angle) + 1
    ordered = ids[start:] + ids[:start]
    return next((a for a in ordered if a not in used), ordered[0])


def route_after_diversity(state: CopyState) -> Literal["draft", "cta_insert"]:
    """Back to drafting while any variant carries feedback from any of the three checks."""
    return "draft" if any(v.feedback for v in live(state["variants"])) else "cta_insert"
