"""Marketer's edit: a person's own text for a variant, judged by the same checks the workflow's copy passes
(compliance, sense, tone, length, CTA) and scored like it (novelty, click model, combined score).

Returns the edited variant: blocked with its findings when a check fails, else ok with fresh scores. The text is
never rewritten — a fix the checks know is offered in the findings, not applied behind the marketer's back.
"""

from __future__ import annotations

import numpy as np

from copyloop.agents.postprocessor import final_checks, recheck, score_final
from copyloop.agents.ranker import predict_clicks, score_overall
from copyloop.brief import Brief
from copyloop.memory import CopyMemory
from copyloop.memory.embeddings import embed
from copyloop.result import Variant
from copyloop.tools.cta import find_cta


def edit_variant(table: list[Variant], position: int, text: str, brief: Brief, memory: CopyMemory) -> Variant:
    """The variant at `position` (0-based) of the table with the marketer's `text`, re-checked and re-scored
    against its siblings; the table itself is left as it was."""
    edited = table[position].model_copy(deep=True)
    before = edited.text
    edited.text = text
    edited.status, edited.blocked_reason, edited.feedback, edited.findings = "ok", None, None, []
    edited.note("marketer", "edit", "edited by the marketer; re-checked and re-scored", before=before)
    recheck(edited, brief, fix=False)
    final_checks(edited, brief)
    span = find_cta(edited.text, brief.cta_goal)
    edited.cta = edited.text[span[0]:span[1]] if span else None
    score_final(edited, brief)
    siblings = [v.model_copy(deep=True) for i, v in enumerate(table) if i != position and v.text.strip()]
    score_against(edited, siblings, brief, memory)
    return edited


def score_against(variant: Variant, siblings: list[Variant], brief: Brief, memory: CopyMemory) -> None:
    """Novelty against stored copy, similarity to the siblings, the click model's view relative to them, and the
    combined score: what the diversity checker and the ranker put on the workflow's own variants."""
    variant.scores.novelty = round(1.0 - max(0.0, memory.nearest_similarity([variant.text], brand=brief.brand)[0]), 4)
    if siblings:
        vectors = embed([variant.body] + [v.body for v in siblings])
        variant.scores.max_sibling_similarity = round(float(np.max(vectors[1:] @ vectors[0])), 4)
    else:
        variant.scores.max_sibling_similarity = 0.0
    group = [*siblings, variant]  # the siblings are copies: only the edited variant's scores are kept
    predict_clicks(group, brief.reference_copy)
    score_overall(group, brief)
