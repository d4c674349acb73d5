"""The multi-objective reward: every component the agents score, as trl reward functions, and their λ-weighted sum.

Each function has trl's shape `f(prompts, completions, **columns) -> list[float]` and is the very score an agent
uses, so fine-tuning optimises what the workflow checks and what the reports measure. Diversity has two parts:
novelty against stored copy (and whatever else the caller counts as already written) and distance from the other
completions for the same prompt.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from copyloop.memory.embeddings import embed
from copyloop.tools.click_model import shipped_click_model
from copyloop.tools.compliance import compliance_reward
from copyloop.tools.cta import cta_reward
from copyloop.tools.diversity import repetition_reward
from copyloop.tools.grounding import grounding_reward
from copyloop.tools.reward_inputs import completion_text
from copyloop.tools.scoring import DEFAULT_WEIGHTS, combined_score
from copyloop.tools.sense.checks import sense_reward
from copyloop.tools.sentiment import sentiment_reward
from copyloop.tools.text_cleanup import length_reward

RewardFunc = Callable[..., list[float]]


class NoveltyReward:
    """trl reward: 1 - the highest cosine similarity to any reference text (stored copy, examples, kept targets).

    With no references every completion is fully novel.
    """

    __name__ = "novelty_reward"

    def __init__(self, references: Iterable[str] = ()):
        self._vectors = np.zeros((0, 0), dtype=np.float32)
        self.extend(references)

    def __len__(self) -> int:
        return len(self._vectors)

    def extend(self, texts: Iterable[str]) -> None:
        """Count more texts as already written (e.g. targets kept in an earlier round)."""
        texts = [t for t in texts if t and t.strip()]
        if texts:
            vectors = embed(texts)
            self._vectors = vectors if not len(self._vectors) else np.vstack([self._vectors, vectors])

    def __call__(self, prompts: Sequence[Any] | None, completions: Sequence[Any], **_: Any) -> list[float]:
        texts = [completion_text(c) for c in completions]
        if not len(self._vectors):
            return [1.0] * len(texts)
        nearest = (embed(texts) @ self._vectors.T).max(axis=1)
        return [float(1.0 - max(0.0, s)) for s in nearest]


def prompt_key(prompt: Any) -> str:
    """A hashable identity for a prompt given as text or as a chat-message list."""
    return prompt if isinstance(prompt, str) else json.dumps(prompt, sort_keys=True, default=str)


def sibling_diversity_reward(prompts: Sequence[Any] | None, completions: Sequence[Any], **kw: Any) -> list[float]:
    """trl reward: 1 - the highest cosine to another completion of the same prompt (a `group` column may say which).

    GRPO samples a group of completions per prompt; this pays each for being unlike its siblings, the same
    measure the diversity checker applies to variants. A completion alone in its group scores 1.
    """
    texts = [completion_text(c) for c in completions]
    vectors = embed(texts)
    rewards = [1.0] * len(texts)
    for members in _sibling_groups(prompts, len(texts), kw.get("group")):
        if len(members) < 2:
            continue
        similarity = vectors[members] @ vectors[members].T
        np.fill_diagonal(similarity, -1.0)
        for row, index in enumerate(members):
            rewards[index] = float(1.0 - max(0.0, similarity[row].max()))
    return rewards


def click_reward(prompts: Sequence[Any] | None, completions: Sequence[Any], **kw: Any) -> list[float]:
    """trl reward: the click model's probability that a completion out-clicks the average of its siblings.

    The same number the ranker puts on variants (`Scores.win_probability`); alone in its group a text scores 0.5.
    """
    texts = [completion_text(c) for c in completions]
    model = shipped_click_model()
    scores = model.scores(texts)
    rewards = [0.5] * len(texts)
    for members in _sibling_groups(prompts, len(texts), kw.get("group")):
        for index, value in zip(members, model.win_probability(scores[members], scores[members].mean()), strict=True):
            rewards[index] = float(value)
    return rewards


def _sibling_groups(prompts: Sequence[Any] | None, n: int, group: Sequence[Any] | None) -> list[list[int]]:
    """Indices of completions that answer the same prompt (or share a `group` value)."""
    keys = group or [prompt_key(p) for p in (prompts if prompts is not None else [""] * n)]
    groups: dict[str, list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        groups[str(key)].append(index)
    return list(groups.values())


def zero_when_blank(function: RewardFunc) -> RewardFunc:
    """The reward, with 0 for a blank completion: one rule for every component (blank copy is never calm, fluent or
    the right length; left to each function, some paid it 1)."""
    def reward(prompts: Sequence[Any] | None, completions: Sequence[Any], **kw: Any) -> list[float]:
        scores = function(prompts=prompts, completions=completions, **kw)
        return [0.0 if not completion_text(c).strip() else float(r) for c, r in zip(completions, scores, strict=True)]
    reward.__name__ = getattr(function, "__name__", type(function).__name__)  # trl logs rewards by name
    return reward


def reward_functions(novelty: NoveltyReward | None = None) -> dict[str, RewardFunc]:
    """One trl reward function per component of scoring.DEFAULT_WEIGHTS, keyed by component name; a blank
    completion earns 0 from each (`zero_when_blank`)."""
    return {name: zero_when_blank(f) for name, f in _components(novelty).items()}


def _components(novelty: NoveltyReward | None) -> dict[str, RewardFunc]:
    return {
        "sentiment_fit": sentiment_reward,
        "novelty": novelty if novelty is not None else NoveltyReward(),
        "sibling_diversity": sibling_diversity_reward,
        "cta": cta_reward,
        "length_fit": length_reward,
        "grounding": grounding_reward,
        "compliance": compliance_reward,
        "fluency": repetition_reward,
        "sense": sense_reward,
        "predicted_ctr": click_reward,
    }


def components(texts: Sequence[Any], briefs: Sequence[Any], functions: Mapping[str, RewardFunc], *,
               prompts: Sequence[Any] | None = None,
               measured: Mapping[str, Sequence[float]] | None = None) -> dict[str, list[float]]:
    """Every component score of every text: the one table the ranker, the fine-tuning selection and the evaluation
    combine (`combined_rewards`), so the three can never weigh a different sum.

    `measured` hands in components the caller has already measured its own way, one value per text: the ranker's
    novelty comes from the diversity checker's search of stored copy, its predicted CTR from the click model against
    the brief's human copy. Every other component comes from `functions` (see `reward_functions`); `prompts` group
    texts into siblings (the default: one group).
    """
    measured = measured or {}
    prompts = list(prompts) if prompts is not None else ["brief"] * len(texts)
    table = {name: [float(x) for x in (measured[name] if name in measured else
                                       function(prompts=prompts, completions=list(texts), briefs=list(briefs)))]
             for name, function in functions.items()}
    if any(len(values) != len(texts) for values in table.values()):
        raise ValueError(f"every component needs one value per text ({len(texts)})")
    return table


def combined_rewards(table: Mapping[str, Sequence[float]], weights: Mapping[str, float] | None = None,
                     balance: float = 0.5) -> list[float]:
    """The λ-weighted combination per completion: scoring.combined_score over each completion's components."""
    names = [name for name in table if name in (weights or DEFAULT_WEIGHTS)]
    count = len(next(iter(table.values()), []))
    return [combined_score({name: table[name][i] for name in names}, weights, balance) for i in range(count)]
