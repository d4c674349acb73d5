"""Per-brief metrics of a configuration's copy, their means with bootstrap intervals, and paired differences.

Every number comes from the shared scores (tools/rewards, tools/*), so reports measure what the agents check
and what fine-tuning rewards. Intervals are percentile bootstraps over briefs (2,000 resamples); differences
between configurations are paired by brief. A metric a brief cannot have (predicted CTR against a human
description the brief lacks, self-BLEU of a single text) is NaN there and left out of that metric's figures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from copyloop.brief import Brief
from copyloop.evaluation.outputs import BriefOutput
from copyloop.tools.channels import length_ok
from copyloop.tools.click_model import shipped_click_model
from copyloop.tools.compliance import check_compliance
from copyloop.tools.cta import cta_as_channel_wants, without_cta
from copyloop.tools.diversity import distinct_n, self_bleu
from copyloop.tools.grounding import invented_facts, phrase_regex
from copyloop.tools.rewards import RewardFunc, combined_rewards, components
from copyloop.tools.sense.checks import CHECKS, sense_failures
from copyloop.tools.sense.context import name_forms
from copyloop.tools.sentiment import sentiment_score

BOOTSTRAP_SAMPLES = 2000


def brief_metrics(output: BriefOutput, rewards: dict[str, RewardFunc], weights: dict[str, float],
                  balance: float) -> dict[str, float]:
    """Per-brief figures: mean of each reward component and the combined reward, and the issue's rates."""
    texts = [t for t in output.texts if t.strip()] or [""]
    briefs = [output.brief] * len(texts)
    table = components(texts, briefs, rewards)
    metrics = {name: float(np.mean(values)) for name, values in table.items()}
    metrics["combined"] = float(np.mean(combined_rewards(table, weights, balance)))
    metrics["cta_rate"] = float(np.mean([cta_as_channel_wants(t, output.brief) for t in texts]))
    metrics["findings_per_100"] = 100.0 * float(np.mean([len(check_compliance(t, output.brief)) for t in texts]))
    metrics["invented_fact_rate"] = float(np.mean([bool(invented_facts(t, output.brief)) for t in texts]))
    metrics["distinct_1"] = distinct_n(texts, 1)
    metrics["distinct_2"] = distinct_n(texts, 2)
    metrics["distinct_2_body"] = distinct_n([without_cta(t, output.brief.cta_goal) for t in texts], 2)
    metrics["distinct_2_copy"] = distinct_n([without_name(without_cta(t, output.brief.cta_goal), output.brief)
                                             for t in texts], 2)
    metrics["self_bleu"] = self_bleu(texts) if len(texts) > 1 else float("nan")
    metrics["sentiment"] = float(np.mean([sentiment_score(t) for t in texts]))
    metrics["length_ok"] = float(np.mean([length_ok(t, output.brief.channel) for t in texts]))
    metrics["predicted_ctr_vs_human"] = predicted_ctr_vs_human(texts, output.brief.reference_copy)
    metrics["seconds"] = output.seconds
    metrics["loops"] = float(output.loops)
    metrics["variants"] = float(len([t for t in output.texts if t.strip()]))
    metrics.update(sense_metrics(output))
    return metrics


def without_name(text: str, brief: Brief) -> str:
    """The copy with the product's names cut out: every variant must carry one, so only the rest can differ."""
    for name in name_forms(brief):
        text = re.sub(rf"(?<!\w){phrase_regex(name)}(?!\w)", " ", text)
    return text


def sense_metrics(output: BriefOutput, judge: Brief | None = None) -> dict[str, float]:
    """Share of shipped texts (and of raw drafts) that pass every sense check, the share failing each check,
    whether the brief shipped all its variants and how many the model wrote. `judge` is the brief the texts are
    read against (the human configuration's own description is no source of facts for itself)."""
    brief = judge or output.brief
    shipped = [t for t in output.texts if t.strip()]
    failures = [sense_failures(t, brief) for t in shipped]
    raw = [sense_failures(t, brief) for t in output.raw]
    nan = float("nan")
    found = {
        "sense_pass": float(np.mean([not f for f in failures])) if failures else nan,
        "raw_sense_pass": float(np.mean([not f for f in raw])) if raw else nan,
        "ships_all": float(len(shipped) >= output.brief.n_variants) if output.raw else nan,
        "model_share": float(np.mean([o == "model" for o in output.origins])) if output.origins else nan,
    }
    for check in CHECKS:
        found[f"fails_{check}"] = float(np.mean([check in f for f in failures])) if failures else nan
    return found


def predicted_ctr_vs_human(texts: Sequence[str], reference: str | None) -> float:
    """The click model's mean predicted CTR of the texts as a multiple of the human-written copy's."""
    if not reference or not any(t.strip() for t in texts):
        return float("nan")
    model = shipped_click_model()
    scores = model.scores([*texts, reference])
    return float(np.mean(model.ctr_multiple(scores[:-1], float(scores[-1]))))


def summarize(rows: Sequence[dict[str, float]], seed: int = 0) -> dict[str, dict[str, float]]:
    """Mean and bootstrap 95% interval of every metric over the briefs that have it."""
    return {name: _interval(np.array([r[name] for r in rows], dtype=float), seed) for name in rows[0]} if rows else {}


def compare(base: Sequence[dict[str, float]], other: Sequence[dict[str, float]],
            seed: int = 0) -> dict[str, dict[str, float]]:
    """Other minus base per metric, paired by brief, with a bootstrap 95% interval and the other/base ratio."""
    if len(base) != len(other):
        raise ValueError(f"paired comparison needs the same briefs: {len(base)} vs {len(other)}")
    out = {}
    for name in base[0] if base else {}:
        b = np.array([r[name] for r in base], dtype=float)
        o = np.array([r.get(name, np.nan) for r in other], dtype=float)
        both = np.isfinite(b) & np.isfinite(o)
        ratio = float(o[both].mean() / b[both].mean()) if both.any() and b[both].mean() else float("nan")
        out[name] = {**_interval(np.where(both, o - b, np.nan), seed), "ratio": ratio}
    return out


def _interval(values: np.ndarray, seed: int) -> dict[str, float]:
    values = values[np.isfinite(values)]
    if not len(values):
        return {"mean": float("nan"), "low": float("nan"), "high": float("nan"), "n": 0}
    picks = np.random.default_rng(seed).integers(0, len(values), size=(BOOTSTRAP_SAMPLES, len(values)))
    low, high = np.percentile(values[picks].mean(axis=1), [2.5, 97.5])
    return {"mean": float(values.mean()), "low": float(low), "high": float(high), "n": len(values)}
