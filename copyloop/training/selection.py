"""Which sampled drafts become SFT targets: the best by combined reward, under a diversity constraint.

Greedy over all candidates, best first: at most `keep_per_brief` per brief, none closer than `max_similarity`
(MiniLM cosine) to a sibling already kept, and no opening or ending (first or last three words) in more than
`max_opening_share` of the kept set, so the model is taught neither one template nor one call to action.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from copyloop.brief import Brief
from copyloop.memory.embeddings import embed
from copyloop.tools.diversity import tokens
from copyloop.tools.rewards import RewardFunc, combined_rewards, components
from copyloop.training.config import FinetuneConfig, SftConfig


def opening(text: str, words: int = 3) -> str:
    """The first words of a text, lower-cased, punctuation ignored."""
    return " ".join(tokens(text)[:words])


def ending(text: str, words: int = 3) -> str:
    """The last words of a text (where a call to action sits), lower-cased, punctuation ignored."""
    return " ".join(tokens(text)[-words:])


def select_targets(texts: Sequence[str], groups: Sequence[int], rewards: Sequence[float], cfg: SftConfig) -> list[int]:
    """Indices of the kept candidates, best reward first."""
    if not texts:
        return []
    vectors = embed(list(texts))
    briefs = len(set(groups))
    opening_cap = max(1, int(cfg.max_opening_share * briefs * cfg.keep_per_brief))
    kept: list[int] = []
    per_group: dict[int, list[int]] = {}
    shapes: Counter[str] = Counter()
    seen: set[str] = set()
    for index in np.argsort(-np.asarray(rewards, dtype=float), kind="stable"):
        index = int(index)
        text, group = texts[index], groups[index]
        siblings = per_group.setdefault(group, [])
        if (rewards[index] < cfg.min_reward or not text.strip() or text in seen
                or len(siblings) >= cfg.keep_per_brief
                or max(shapes["^" + opening(text)], shapes[ending(text) + "$"]) >= opening_cap):
            continue
        if siblings and float((vectors[siblings] @ vectors[index]).max()) > cfg.max_similarity:
            continue
        kept.append(index)
        siblings.append(index)
        shapes.update(["^" + opening(text), ending(text) + "$"])
        seen.add(text)
    return kept


def best_samples(rows: Sequence[Mapping[str, Any]], briefs: Sequence[Brief], rewards: Mapping[str, RewardFunc],
                 cfg: FinetuneConfig) -> list[Mapping[str, Any]]:
    """The passing samples worth training on: best by the recipe's combined reward on the finished text (the click
    model's predicted CTR among its components), at most `keep_per_brief` per brief, under the diversity caps above
    on the target (the name as the slot, so "Enjoy the [product]." is one opening for every product)."""
    if not rows:
        return []
    table = components([str(r["text"]) for r in rows], [briefs[r["brief_index"]] for r in rows], rewards,
                       prompts=[str(r["brief_index"]) for r in rows])
    targets = [str(r["completion"][0]["content"]) for r in rows]  # with the slot: one opening, whatever the name
    chosen = select_targets(targets, [int(r["brief_index"]) for r in rows],
                            combined_rewards(table, cfg.weights, cfg.balance), cfg.sft)
    return [rows[i] for i in chosen]
