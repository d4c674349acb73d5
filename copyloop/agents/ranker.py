"""Ranker: puts the click model's predicted CTR and one combined score on every variant, and orders them.

Returns the best N shippable variants (spares beyond N are let go), followed by the blocked ones with their
reasons only when fewer than N could ship; the combined score is the one fine-tuning and reports use.
"""

from __future__ import annotations

import numpy as np
from langgraph.types import Overwrite

from copyloop.brief import Brief
from copyloop.graphs.state import CopyState
from copyloop.result import Variant
from copyloop.tools.click_model import shipped_click_model
from copyloop.tools.diversity import ngram_overlap
from copyloop.tools.finishing import facts_said, repeats_siblings
from copyloop.tools.rewards import combined_rewards, components, reward_functions

OVERLAP_WEIGHT = 0.15  # score a variant gives up per unit of bigram overlap (Jaccard) with a chosen sibling
REPEAT_WEIGHT = 0.1  # score a variant gives up when it repeats the facts of chosen siblings (`repeats_siblings`):
# more than the spread of the combined score among shippable siblings, so a spare with a new fact goes first (round
# 13: four push notifications all about one barrel clasp)


def rank(state: CopyState) -> dict:
    """Score and order the variants."""
    brief = state["brief"]
    variants = [v.model_copy(deep=True) for v in state["variants"]]
    predict_clicks(variants, brief.reference_copy)
    score_overall(variants, brief)
    variants.sort(key=lambda v: (v.status != "ok", -v.scores.overall, v.id))
    shipped = varied_selection([v for v in variants if v.status == "ok"], brief.n_variants, brief)
    held = [] if len(shipped) == brief.n_variants else [v for v in variants if v.status == "blocked"]
    for position, variant in enumerate(shipped + held, start=1):
        variant.rank = position
    return {"variants": Overwrite(shipped + held)}


def score_overall(variants: list[Variant], brief: Brief) -> None:
    """Put the combined score on every variant: the very table and sum fine-tuning and evaluation use
    (`rewards.components`, `rewards.combined_rewards`), with the three components this workflow measures its own
    way handed in — novelty against stored copy (the diversity checker's search), distance from the siblings, and
    the click model's win probability. A variant with no text scores 0."""
    scored = [v for v in variants if v.text.strip()]
    for variant in variants:
        variant.scores.overall = 0.0
    if not scored:
        return
    measured = {"novelty": [v.scores.novelty for v in scored],
                "sibling_diversity": [1.0 - max(0.0, v.scores.max_sibling_similarity) for v in scored],
                "predicted_ctr": [v.scores.win_probability for v in scored]}
    table = components([v.text for v in scored], [brief] * len(scored), reward_functions(), measured=measured)
    for variant, overall in zip(scored, combined_rewards(table), strict=True):
        variant.scores.overall = round(overall, 4)


def varied_selection(ranked: list[Variant], n: int, brief: Brief) -> list[Variant]:
    """The best variant, then each next one by its score less its word overlap with those already picked, and
    less REPEAT_WEIGHT when it repeats their facts: with spares to choose from, a marketer gets n different texts
    to test, not n rewordings of the best one."""
    said = {v.id: facts_said(v.body, brief) for v in ranked}
    chosen = ranked[:1]
    rest = ranked[1:]
    while rest and len(chosen) < n:
        siblings = [said[c.id] for c in chosen]

        def value(v: Variant, siblings: list[frozenset[str]] = siblings) -> float:
            overlap = max(ngram_overlap(v.body, c.body, 2) for c in chosen)
            return v.scores.overall - OVERLAP_WEIGHT * overlap - REPEAT_WEIGHT * repeats_siblings(said[v.id], siblings)
        pick = max(rest, key=value)
        chosen.append(pick)
        rest.remove(pick)
    return chosen


def predict_clicks(variants: list[Variant], reference: str | None) -> None:
    """Put the click model's predictions on every variant with text, relative to its shippable siblings.

    Predicted CTR is a multiple of the brief's human-written copy when there is one, else of the siblings' mean.
    """
    scored = [v for v in variants if v.text.strip()]
    if not scored:
        return
    model = shipped_click_model()
    scores = model.scores([v.text for v in scored])
    ok = [s for s, v in zip(scores, scored, strict=True) if v.status == "ok"]
    centre = float(np.mean(ok if ok else scores))
    base = float(model.scores([reference])[0]) if reference else centre
    for variant, win, multiple in zip(scored, model.win_probability(scores, centre), model.ctr_multiple(scores, base),
                                      strict=True):
        variant.scores.win_probability = round(float(win), 4)
        variant.scores.predicted_ctr = round(float(multiple), 4)
