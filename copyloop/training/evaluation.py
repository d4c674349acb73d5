"""Before/after figures for a fine-tuned adapter: raw drafts and whole-workflow output on validation products.

Every number comes from the shared scores (tools/rewards, tools/*) over per-brief groups of variants; intervals
are percentile bootstraps over briefs (2,000 resamples), and base-vs-tuned differences are paired by brief.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
from langchain_core.language_models import BaseChatModel

from copyloop.agents.drafter import draft
from copyloop.brief import Brief
from copyloop.config import Settings
from copyloop.generation import generate
from copyloop.graphs.context import CopyContext
from copyloop.memory import CopyMemory
from copyloop.tools.compliance import check_compliance
from copyloop.tools.cta import find_cta, without_cta
from copyloop.tools.diversity import distinct_n
from copyloop.tools.grounding import invented_facts
from copyloop.tools.rewards import RewardFunc, combined_rewards, reward_table

BOOTSTRAP_SAMPLES = 2000
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BriefOutput:
    """The variants one configuration produced for one brief, how long it took and how many loops it ran."""

    brief: Brief
    texts: list[str]
    seconds: float
    loops: int = 0


def raw_drafts(llm: BaseChatModel, briefs: Sequence[Brief], settings: Settings, memory: CopyMemory,
               progress: Progress | None = None) -> list[BriefOutput]:
    """The drafting node's first pass for each brief (every variant and spare), before any critic."""
    outputs = []
    for index, brief in enumerate(briefs):
        runtime = SimpleNamespace(context=CopyContext(settings=settings, llm=llm, memory=memory))
        started = time.perf_counter()
        update = draft({"brief": brief}, runtime)  # type: ignore[arg-type]
        outputs.append(BriefOutput(brief, [v.text for v in update["variants"]], time.perf_counter() - started))
        if progress:
            progress(index + 1, len(briefs))
    return outputs


def workflow_outputs(llm: BaseChatModel, briefs: Sequence[Brief], settings: Settings, memory: CopyMemory,
                     progress: Progress | None = None) -> list[BriefOutput]:
    """The whole workflow per brief (approval off, so memory stays as it was); shipped variants only."""
    outputs = []
    for index, brief in enumerate(briefs):
        result = generate(brief, settings.with_(approval="off"), llm=llm, memory=memory)
        outputs.append(BriefOutput(brief, [v.text for v in result.shippable], result.seconds,
                                   loops=sum(result.rounds.values())))
        if progress:
            progress(index + 1, len(briefs))
    return outputs


def brief_metrics(output: BriefOutput, rewards: dict[str, RewardFunc], weights: dict[str, float],
                  balance: float) -> dict[str, float]:
    """Per-brief figures: mean of each reward component and the combined reward, and the issue's rates."""
    texts = [t for t in output.texts if t.strip()] or [""]
    briefs = [output.brief] * len(texts)
    table = reward_table(["brief"] * len(texts), texts, briefs, rewards)
    metrics = {name: float(np.mean(values)) for name, values in table.items()}
    metrics["combined"] = float(np.mean(combined_rewards(table, weights, balance)))
    metrics["cta_rate"] = float(np.mean([find_cta(t, output.brief.cta_goal) is not None for t in texts]))
    metrics["findings_per_100"] = 100.0 * float(np.mean([len(check_compliance(t, output.brief)) for t in texts]))
    metrics["invented_fact_rate"] = float(np.mean([bool(invented_facts(t, output.brief)) for t in texts]))
    metrics["distinct_2"] = distinct_n(texts, 2)
    metrics["distinct_2_body"] = distinct_n([without_cta(t, output.brief.cta_goal) for t in texts], 2)
    metrics["seconds"] = output.seconds
    metrics["loops"] = float(output.loops)
    metrics["variants"] = float(len([t for t in output.texts if t.strip()]))
    return metrics


def summarize(rows: Sequence[dict[str, float]], seed: int = 0) -> dict[str, dict[str, float]]:
    """Mean and bootstrap 95% interval of every metric over briefs."""
    picks = _resamples(len(rows), seed)
    return {name: _interval(np.array([r[name] for r in rows]), picks) for name in rows[0]} if rows else {}


def compare(base: Sequence[dict[str, float]], tuned: Sequence[dict[str, float]],
            seed: int = 0) -> dict[str, dict[str, float]]:
    """Tuned minus base per metric, paired by brief, with a bootstrap 95% interval and the tuned/base ratio."""
    if len(base) != len(tuned):
        raise ValueError(f"paired comparison needs the same briefs: {len(base)} vs {len(tuned)}")
    picks = _resamples(len(base), seed)
    out = {}
    for name in base[0] if base else {}:
        b = np.array([r[name] for r in base])
        t = np.array([r[name] for r in tuned])
        out[name] = {**_interval(t - b, picks), "ratio": float(t.mean() / b.mean()) if b.mean() else float("nan")}
    return out


def _resamples(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(BOOTSTRAP_SAMPLES, n)) if n else np.zeros((0, 0), int)


def _interval(values: np.ndarray, picks: np.ndarray) -> dict[str, float]:
    means = values[picks].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return {"mean": float(values.mean()), "low": float(low), "high": float(high)}
