"""`copyloop eval`: run configurations over a brief set and write a report (Markdown, PNG plots, JSON).

Configurations: `baseline` (the base model, a plain one-line prompt, no agents), `workflow` (the agents on the
base model), `finetuned` (the agents on the base model plus copyloop's LoRA adapter, the default), `human` (the
product's own description). Every configuration is judged against one throwaway memory holding the shop's past
copy, with the same per-brief metrics; differences are paired by brief with bootstrap 95% intervals.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from copyloop.brief import Brief
from copyloop.catalog import split_briefs
from copyloop.config import Settings
from copyloop.errors import CopyloopError
from copyloop.evaluation.ab_simulator import POLICIES, simulate
from copyloop.evaluation.metrics import brief_metrics, compare, sense_metrics, summarize
from copyloop.evaluation.outputs import BRIEFS_AT_ONCE, BriefOutput, baseline, human, workflow_outputs
from copyloop.evaluation.past_copy import eval_memory, past_copy
from copyloop.evaluation.report_writing import plot_metrics, plot_simulation, write_markdown
from copyloop.llm.factory import chat_model, model_label
from copyloop.tools.click_model import shipped_click_model
from copyloop.tools.rewards import NoveltyReward, reward_functions
from copyloop.tools.scoring import DEFAULT_WEIGHTS

CONFIGS = ("baseline", "workflow", "finetuned", "human")
EVAL_BRIEFS = Path(__file__).resolve().parent.parent / "data" / "eval" / "briefs.jsonl"
BASE_CTR = 0.02  # the simulator's CTR for a variant the click model rates average
Say = Callable[[str], None]


def parse_configs(text: str) -> list[str]:
    """The comma-separated configuration list, checked against the known names."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown or not names:
        raise CopyloopError(f"--configs {text!r}: unknown {', '.join(unknown) or '(empty)'}; "
                            f"choose from {', '.join(CONFIGS)}")
    return list(dict.fromkeys(names))


def run_eval(briefs: Sequence[Brief], configs: Sequence[str], output: Path, settings: Settings | None = None,
             say: Say = print) -> dict[str, Any]:
    """Run every configuration, score it, compare, simulate A/B tests, and write report.md/json and plots."""
    settings = (settings or Settings.from_env()).with_(approval="off")
    output.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    references = past_copy(split_briefs("train"), None)
    rewards = reward_functions(NoveltyReward(references))
    outputs: dict[str, list[BriefOutput]] = {}
    models: dict[str, str] = {}
    config_minutes: dict[str, float] = {}
    with eval_memory(references) as (home, memory):
        run_settings = settings.with_(home=home)
        for name in configs:
            say(f"{name}: {len(briefs)} briefs")
            progress = _progress(say, name)
            if name == "human":
                outputs[name], models[name] = human(briefs), "human-written product description"
                continue
            tuned = run_settings.with_(tuned=name == "finetuned")
            models[name] = model_label(tuned)
            llm = chat_model(tuned)
            config_started = time.perf_counter()
            outputs[name] = (baseline(llm, briefs, tuned, progress) if name == "baseline"
                             else workflow_outputs(llm, briefs, tuned, memory, progress))
            config_minutes[name] = round((time.perf_counter() - config_started) / 60, 1)
            say(f"  {name}: {config_minutes[name]} min")
    rows = {name: [_metrics(o, rewards, name) for o in outs] for name, outs in outputs.items()}
    report = {
        "briefs": len(briefs),
        "channels": sorted({b.channel.value for b in briefs}),
        "configs": list(configs),
        "models": models,
        "summary": {name: summarize(r) for name, r in rows.items()},
        "by_channel": {name: by_channel(outputs[name], r) for name, r in rows.items()},
        "differences": {f"{a} - {b}": compare(rows[b], rows[a]) for a, b in _contrasts(list(configs))},
        "click_model": shipped_click_model().card,
        "simulation": simulate_best(outputs, list(configs)),
        "minutes": round((time.perf_counter() - started) / 60, 1),
        "config_minutes": config_minutes,
        "briefs_at_once": BRIEFS_AT_ONCE,
    }
    (output / "report.json").write_text(json.dumps(_finite(report), indent=2) + "\n")
    (output / "texts.json").write_text(json.dumps(
        {name: [{"product": o.brief.product_name, "channel": o.brief.channel.value, "texts": o.texts,
                 "origins": list(o.origins), "raw": list(o.raw)} for o in outs] for name, outs in outputs.items()},
        indent=1, ensure_ascii=False) + "\n")
    if sampled := next((c for c in ("finetuned", "workflow", "baseline") if c in outputs), None):
        write_sample(outputs[sampled], sampled, output / "sample.md")
    plot_metrics(report, output / "metrics.png")
    if report["simulation"]:
        plot_simulation(report["simulation"], output / "ab_simulation.png")
    write_markdown(report, output / "report.md")
    return report


def _metrics(output: BriefOutput, rewards: dict, config: str) -> dict[str, float]:
    if not output.texts and config == "human":  # a product without a description (a workflow shipping none fails)
        return {name: math.nan for name in brief_metrics(BriefOutput(output.brief, [""], 0.0), rewards,
                                                         DEFAULT_WEIGHTS, 0.5)}
    metrics = brief_metrics(output, rewards, DEFAULT_WEIGHTS, 0.5)
    if config == "human":  # the description is read against the brief's facts, not against itself
        metrics.update(sense_metrics(output, judge=output.brief.model_copy(update={"reference_copy": None})))
    return metrics


CHANNEL_METRICS = ("sense_pass", "raw_sense_pass", "ships_all", "model_share", "predicted_ctr_vs_human")


def by_channel(outputs: Sequence[BriefOutput], rows: Sequence[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean of the sense and shipping figures per channel (briefs of one channel only), with the brief count."""
    channels: dict[str, list[dict[str, float]]] = {}
    for output, row in zip(outputs, rows, strict=True):
        channels.setdefault(output.brief.channel.value, []).append(row)
    table = {}
    for channel, members in sorted(channels.items()):
        table[channel] = {"briefs": float(len(members))}
        for key in CHANNEL_METRICS:
            values = [r[key] for r in members if key in r and math.isfinite(r[key])]
            table[channel][key] = float(np.mean(values)) if values else math.nan
    return table


SAMPLE_SIZE = 40


def write_sample(outputs: Sequence[BriefOutput], config: str, path: Path, size: int = SAMPLE_SIZE,
                 seed: int = 13) -> None:
    """sample.md: `size` shipped texts drawn at random, each with its brief's facts and call to action, for a person
    to read.

    Who wrote each text (model or composer) is listed apart at the end, so a reader can judge before knowing.
    """
    pool = [(o, text, origin) for o in outputs
            for text, origin in zip(o.texts, o.origins or ("model",) * len(o.texts), strict=True) if text.strip()]
    picks = [pool[i] for i in sorted(np.random.default_rng(seed).choice(len(pool), min(size, len(pool)),
                                                                        replace=False))] if pool else []
    lines = [f"# {len(picks)} shipped texts ({config}), drawn at random", "",
             "Read each as its brand's editor would: would you publish it as is, after a light edit, or not at all?",
             ""]
    for number, (output, text, _) in enumerate(picks, start=1):
        brief = output.brief  # the facts, and what the brand asked the reader to do (a store CTA is no invention)
        facts = "; ".join([*brief.facts(), f"Call to action: {brief.cta_goal.value.replace('_', ' ')}"])
        lines += [f"## {number}. {brief.channel.value}", "", f"**Brief:** {facts}", "", f"> {text}", ""]
    lines += ["## Who wrote them", "", ", ".join(f"{n}: {origin}" for n, (_, _, origin) in enumerate(picks, 1)), ""]
    path.write_text("\n".join(lines))


def _contrasts(configs: list[str]) -> list[tuple[str, str]]:
    """Which differences the report shows: each against the baseline, fine-tuning's own effect, each vs human."""
    pairs = [(c, "baseline") for c in configs if c != "baseline" and "baseline" in configs]
    if "workflow" in configs and "finetuned" in configs:
        pairs.append(("finetuned", "workflow"))
    pairs += [(c, "human") for c in configs if c not in ("human", "baseline") and "human" in configs]
    return pairs


def simulate_best(outputs: dict[str, list[BriefOutput]], configs: list[str], replications: int = 100,
                  visitors: int = 40_000) -> dict[str, Any]:
    """A/B/n tests of each brief's variants from the most agentic configuration, with the click model's CTRs."""
    name = next((c for c in ("finetuned", "workflow", "baseline") if c in configs), None)
    if name is None:
        return {}
    model = shipped_click_model()
    runs: dict[str, list] = {policy: [] for policy in POLICIES}
    spreads = []
    for index, output in enumerate(outputs[name]):
        texts = [t for t in output.texts if t.strip()]
        if len(texts) < 2:
            continue
        scores = model.scores(texts)
        ctrs = BASE_CTR * model.ctr_multiple(scores, float(scores.mean()))
        spreads.append(float(ctrs.max() / ctrs.min()))
        for policy in POLICIES:
            runs[policy].append(simulate(ctrs, policy, visitors=visitors, replications=replications, seed=index))
    if not spreads:
        return {}
    result: dict[str, Any] = {"config": name, "tests": len(spreads), "base_ctr": BASE_CTR, "visitors": visitors,
                              "replications": replications, "median_best_to_worst": float(np.median(spreads))}
    for policy, sims in runs.items():
        summaries = [s.summary() for s in sims]
        result[policy] = {key: float(np.nanmedian([s[key] for s in summaries])) if key.startswith("median")
                          else float(np.mean([s[key] for s in summaries])) for key in summaries[0]}
        result[policy]["curve"] = {"visitors": sims[0].checkpoints.tolist(),
                                   "regret": np.mean([s.mean_regret for s in sims], axis=0).tolist(),
                                   "significant": np.mean([s.significant_share for s in sims], axis=0).tolist()}
    return result


def _progress(say: Say, name: str) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        if done == total or done % 5 == 0:
            say(f"  {name}: {done}/{total}")
    return report


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
