"""Training and validating the click model on real headline A/B tests (`copyloop train-click-model`).

Pairwise logistic regression (Bradley–Terry) on embedding differences: each pair says which of two headlines
of one test and image drew the higher CTR, weighted by its evidence (|z|, capped, so a few huge tests do not
dominate). Both orientations of every pair are used, so the model has no side preference. The L2 strength is
picked on the latest weeks of the training split; the validation weeks are touched once, for the report.
A slope fitted on measured log CTR ratios turns score differences into a predicted relative CTR.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from copyloop.memory.embeddings import MODEL_NAME, embed
from copyloop.tools.click_model import ClickModel
from copyloop.training.click_data import SIGNIFICANT_P, HeadlinePairs, headline_pairs, load_arms, split_by_time

STRENGTHS = (0.01, 0.03, 0.1, 0.3, 1.0)  # inverse L2 strength C, searched on the inner split
Z_CAP = 4.0
BOOTSTRAP_SAMPLES = 2000
LLM_BASELINE = {"model": "gemini-2.5-flash-lite", "pairs": 100, "accuracy": 0.60}
CITATION = ('J. Nathan Matias, Kevin Munger, Marianne Aubin Le Quere, Charles Ebersole, "The Upworthy Research '
            'Archive, a time series of 32,487 experiments in U.S. media", Scientific Data 8, 195 (2021). CC BY 4.0.')


def fit_head(vectors: np.ndarray, pairs: HeadlinePairs, strength: float) -> np.ndarray:
    """Weights w such that sigmoid(w·(x_a − x_b)) is the probability that a out-clicks b."""
    diff = vectors[pairs.a] - vectors[pairs.b]
    wins = (pairs.z > 0).astype(int)
    evidence = np.minimum(np.abs(pairs.z), Z_CAP) + 1e-3
    head = LogisticRegression(C=strength, fit_intercept=False, max_iter=5000)
    head.fit(np.vstack([diff, -diff]), np.concatenate([wins, 1 - wins]), sample_weight=np.tile(evidence, 2))
    return head.coef_[0]


def pairwise_accuracy(scores: np.ndarray, pairs: HeadlinePairs) -> float:
    """Share of pairs whose higher-scored text is the one that measured the higher CTR."""
    if not len(pairs):
        return float("nan")
    return float(np.mean(np.sign(scores[pairs.a] - scores[pairs.b]) == np.sign(pairs.z)))


def accuracy_interval(scores: np.ndarray, pairs: HeadlinePairs, seed: int = 0) -> dict[str, float]:
    """Accuracy with a 95% bootstrap interval that resamples whole tests (pairs of one test are not independent)."""
    right = (np.sign(scores[pairs.a] - scores[pairs.b]) == np.sign(pairs.z)).astype(float)
    tests, index = np.unique(pairs.test, return_inverse=True)
    hits, counts = np.bincount(index, right, len(tests)), np.bincount(index, minlength=len(tests))
    picks = np.random.default_rng(seed).integers(0, len(tests), size=(BOOTSTRAP_SAMPLES, len(tests)))
    resampled = hits[picks].sum(axis=1) / np.maximum(counts[picks].sum(axis=1), 1)
    low, high = np.percentile(resampled, [2.5, 97.5])
    return {"accuracy": float(right.mean()), "low": float(low), "high": float(high), "pairs": len(pairs),
            "tests": len(tests)}


def ctr_slope(scores: np.ndarray, pairs: HeadlinePairs) -> float:
    """Log CTR ratio per unit of score difference: weighted least squares through the origin."""
    diff = scores[pairs.a] - scores[pairs.b]
    weight = 1.0 / pairs.variance
    denominator = float(np.sum(weight * diff * diff))
    return float(np.sum(weight * diff * pairs.log_ratio) / denominator) if denominator else 0.0


def train_click_model(data: Path | None = None, validation_share: float = 0.2,
                      say: Callable[[str], None] = print) -> ClickModel:
    """Fit on the earlier weeks, choose C on the latest training weeks, report on the held-out latest weeks."""
    started = time.perf_counter()
    arms = load_arms(data)
    pairs = headline_pairs(arms)
    train, validation = split_by_time(pairs, validation_share)
    inner_train, inner_check = split_by_time(train, validation_share)
    say(f"{len(arms)} arms, {len(pairs)} same-image pairs; train {len(train)} pairs (weeks ≤ {train.week.max()}),"
        f" validation {len(validation)} (weeks {validation.week.min()}–{validation.week.max()})")
    say(f"embedding {len(pairs.texts)} headlines with {MODEL_NAME}")
    vectors = embed(pairs.texts)
    significant_check = inner_check.subset(inner_check.significant)
    search = {c: pairwise_accuracy(vectors @ fit_head(vectors, inner_train, c), significant_check) for c in STRENGTHS}
    strength = max(search, key=lambda c: (search[c], -c))
    say("inner-split accuracy by C: " + ", ".join(f"{c:g}: {a:.3f}" for c, a in search.items()))
    weights = fit_head(vectors, train, strength)
    scores = vectors @ weights
    card = _card(arms, train, validation, scores, strength, search, time.perf_counter() - started)
    say(f"validation accuracy on significant pairs: {card['validation']['significant']['accuracy']:.3f}")
    return ClickModel(weights=weights, ctr_slope=ctr_slope(scores, train), card=card)


def _card(arms: Any, train: HeadlinePairs, validation: HeadlinePairs, scores: np.ndarray, strength: float,
          search: dict[float, float], seconds: float) -> dict[str, Any]:
    significant = validation.subset(validation.significant)
    return {
        "model": f"{MODEL_NAME} embeddings + pairwise logistic head (Bradley–Terry)",
        "data": {"source": "Upworthy Research Archive, exploratory set (earlier weeks)", "citation": CITATION,
                 "arms": len(arms), "tests": int(arms.clickability_test_id.nunique()),
                 "pairs_rule": "arms of one test sharing an image, with different headlines",
                 "train_pairs": len(train), "train_weeks": [int(train.week.min()), int(train.week.max())],
                 "validation_pairs": len(validation),
                 "validation_weeks": [int(validation.week.min()), int(validation.week.max())],
                 "validation_rule": "latest weeks; pairs whose headlines also appear in training dropped"},
        "training": {"C": strength, "inner_split_accuracy": {f"{c:g}": round(a, 4) for c, a in search.items()},
                     "evidence_weight": f"min(|z|, {Z_CAP:g})", "seconds": round(seconds, 1)},
        "validation": {
            "significant": {**accuracy_interval(scores, significant), "p_below": SIGNIFICANT_P},
            "all_pairs": accuracy_interval(scores, validation),
            "chance": 0.5,
            "llm_baseline": LLM_BASELINE,
        },
        "caveat": "Learned from news headlines: a proxy for which wording draws more clicks, not a measured "
                  "e-commerce CTR.",
    }


def model_card_markdown(model: ClickModel) -> str:
    """The human-readable card written beside the weights."""
    card = model.card
    training = card["training"]
    sig, every = card["validation"]["significant"], card["validation"]["all_pairs"]
    data = card["data"]
    return "\n".join([
        "# copyloop click model",
        "",
        f"{card['model']}: predicts which of several texts draws more clicks. {card['caveat']}",
        "",
        "## Data",
        f"- {data['source']}: {data['arms']} arms in {data['tests']} tests. {data['citation']}",
        f"- Pairs: {data['pairs_rule']}. Train {data['train_pairs']} pairs (weeks {data['train_weeks'][0]}–"
        f"{data['train_weeks'][1]}); validation {data['validation_pairs']} pairs (weeks "
        f"{data['validation_weeks'][0]}–{data['validation_weeks'][1]}; {data['validation_rule']}).",
        "",
        "## Validation (pairwise accuracy, 95% bootstrap over tests)",
        "| pairs | n pairs | n tests | accuracy | 95% interval |",
        "|---|---|---|---|---|",
        f"| significant (p < {sig['p_below']}) | {sig['pairs']} | {sig['tests']} | {sig['accuracy']:.3f} | "
        f"{sig['low']:.3f}–{sig['high']:.3f} |",
        f"| all | {every['pairs']} | {every['tests']} | {every['accuracy']:.3f} | "
        f"{every['low']:.3f}–{every['high']:.3f} |",
        "",
        f"Chance is 0.50; an LLM ({LLM_BASELINE['model']}) picked the winner of {LLM_BASELINE['pairs']} Upworthy "
        f"pairs with {LLM_BASELINE['accuracy']:.2f} accuracy.",
        "",
        "## Training",
        f"- C = {training['C']:g} (chosen on the latest training weeks: {training['inner_split_accuracy']}); "
        f"evidence weight {training['evidence_weight']}; {training['seconds']} s on this CPU.",
        f"- Predicted relative CTR = exp({model.ctr_slope:.3f} × score difference), the slope fitted on measured "
        "log CTR ratios of the training pairs.",
        "- Retrain: `copyloop train-click-model --output copyloop/models/click-model`.",
        "",
    ])
