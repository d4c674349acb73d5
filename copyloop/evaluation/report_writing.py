"""Turning an evaluation's numbers into report.md and its PNG plots; no scoring happens here."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

# (key, label, higher is better); the order is the report's.
METRICS: tuple[tuple[str, str, bool], ...] = (
    ("sense_pass", "shipped variants passing every sense check", True),
    ("raw_sense_pass", "raw drafts passing every sense check", True),
    ("ships_all", "briefs shipping all their variants", True),
    ("model_share", "shipped variants the model wrote (not composed)", True),
    ("predicted_ctr_vs_human", "predicted CTR vs human copy (×)", True),
    ("cta_rate", "CTA rate", True),
    ("findings_per_100", "compliance findings per 100 variants", False),
    ("invented_fact_rate", "invented-fact rate", False),
    ("length_ok", "length compliance", True),
    ("sentiment", "sentiment (VADER compound)", True),
    ("sentiment_fit", "sentiment fit to the brief's band", True),
    ("distinct_1", "distinct-1", True),
    ("distinct_2", "distinct-2", True),
    ("distinct_2_copy", "distinct-2 of the copy around the name and CTA", True),
    ("self_bleu", "self-BLEU (lower = more varied)", False),
    ("novelty", "novelty vs memory", True),
    ("combined", "combined score", True),
    ("seconds", "latency per brief (s)", False),
    ("loops", "revise loops per brief", False),
)
VERDICT = ("sense_pass", "predicted_ctr_vs_human", "cta_rate", "findings_per_100")
CHANNEL_COLUMNS = (("briefs", "briefs"), ("sense_pass", "shipped pass"), ("raw_sense_pass", "raw drafts pass"),
                   ("ships_all", "ship all"), ("model_share", "model-written"),
                   ("predicted_ctr_vs_human", "pred. CTR vs human"))
COLOURS = {"baseline": "#9aa", "workflow": "#69c", "finetuned": "#3a7", "human": "#c96"}


def _cell(stats: dict[str, float] | None, signed: bool = False) -> str:
    if not stats or stats.get("mean") is None or not math.isfinite(stats["mean"]):
        return "–"
    fmt = "{:+.3f}" if signed else "{:.3f}"
    return f"{fmt.format(stats['mean'])} [{fmt.format(stats['low'])}, {fmt.format(stats['high'])}]"


def _excludes_zero(stats: dict[str, float]) -> bool:
    return bool(stats) and stats.get("low") is not None and math.isfinite(stats["low"]) and \
        (stats["low"] > 0 or stats["high"] < 0)


def verdicts(report: dict[str, Any]) -> list[str]:
    """Plain sentences: does each agentic configuration beat the baseline where the issue asks, and how surely."""
    lines = []
    for contrast, diffs in report["differences"].items():
        if not contrast.endswith("- baseline") or contrast.startswith("human"):
            continue
        for key in VERDICT:
            label, better_high = next((lab, hi) for k, lab, hi in METRICS if k == key)
            d = diffs.get(key)
            if not d or d.get("mean") is None or not math.isfinite(d["mean"]):
                lines.append(f"- {contrast}, {label}: no data.")
                continue
            better = d["mean"] > 0 if better_high else d["mean"] < 0
            sure = _excludes_zero(d)
            word = ("better" if better else "worse") + (", interval excludes zero" if sure else
                                                        ", but the interval includes zero: not shown")
            lines.append(f"- {contrast}, {label}: {d['mean']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}] — {word}.")
    return lines


def _timing(report: dict[str, Any]) -> str:
    """How the run spent its time, and what "latency per brief" means when briefs run side by side."""
    spent = ", ".join(f"{name} {minutes} min ({60 * minutes / report['briefs']:.1f} s per brief)"
                      for name, minutes in report.get("config_minutes", {}).items())
    return (f"Model configurations run {report.get('briefs_at_once', 1)} briefs at a time, their model calls decoding "
            "in one shared batch; latency per brief is a brief's wall time with the others running beside it. "
            + (f"Time per configuration: {spent}." if spent else ""))


def _sense_tables(report: dict[str, Any]) -> list[str]:
    """Per channel: sense pass rates, briefs shipping all, model-written share; per check: share of shipped
    variants failing it."""
    lines = ["", "## Sense checks per channel (mean over the channel's briefs)", ""]
    for config, channels in report.get("by_channel", {}).items():
        lines += [f"**{config}**", "", "| channel | " + " | ".join(label for _, label in CHANNEL_COLUMNS) + " |",
                  "|---|" + "---|" * len(CHANNEL_COLUMNS)]
        for channel, row in channels.items():
            cells = [f"{row[k]:.0f}" if k == "briefs" else (f"{row[k]:.2f}" if row.get(k) is not None
                                                             and math.isfinite(row[k]) else "–")
                     for k, _ in CHANNEL_COLUMNS]
            lines.append(f"| {channel} | " + " | ".join(cells) + " |")
        lines.append("")
    checks = sorted({k for c in report["configs"] for k in report["summary"][c] if k.startswith("fails_")})
    if checks:
        lines += ["## Share of shipped variants failing each sense check", "",
                  "| check | " + " | ".join(report["configs"]) + " |", "|---|" + "---|" * len(report["configs"])]
        for key in checks:
            lines.append(f"| {key.removeprefix('fails_')} | "
                         + " | ".join(_cell(report["summary"][c].get(key)) for c in report["configs"]) + " |")
    return lines


def write_markdown(report: dict[str, Any], path: Path) -> None:
    """report.md: setup, the proxy warning with the click model's accuracy, tables, verdicts, simulation."""
    configs = report["configs"]
    card = report["click_model"]
    sig = card["validation"]["significant"]
    lines = [
        "# copyloop evaluation report",
        "",
        f"{report['briefs']} briefs ({', '.join(report['channels'])}); configurations: "
        + "; ".join(f"**{c}** = {report['models'][c]}" for c in configs) + f". Run time {report['minutes']} min.",
        "",
        _timing(report),
        "",
        "> **Predicted CTR is a proxy, not a measured e-commerce CTR.** It comes from a click model learned on news "
        "headline A/B tests (Upworthy Research Archive, 2013–2014). On held-out later weeks it picks the "
        f"higher-CTR headline of statistically significant pairs {sig['accuracy']:.1%} of the time (95% interval "
        f"{sig['low']:.1%}–{sig['high']:.1%}, {sig['pairs']} pairs; chance 50%, an LLM baseline 60%). Treat it as a "
        "ranking signal and confirm winners with a live A/B test.",
        "",
        "## Per configuration (mean over briefs, 95% bootstrap interval)",
        "",
        "| metric | " + " | ".join(configs) + " |",
        "|---|" + "---|" * len(configs),
    ]
    for key, label, _ in METRICS:
        lines.append(f"| {label} | " + " | ".join(_cell(report["summary"][c].get(key)) for c in configs) + " |")
    contrasts = list(report["differences"])
    if contrasts:
        lines += ["", "## Differences (paired by brief; ✓ = interval excludes zero)", "",
                  "| metric | " + " | ".join(contrasts) + " |", "|---|" + "---|" * len(contrasts)]
        for key, label, _ in METRICS:
            cells = []
            for contrast in contrasts:
                d = report["differences"][contrast].get(key)
                cells.append(_cell(d, signed=True) + (" ✓" if d and _excludes_zero(d) else ""))
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += _sense_tables(report)
    if found := verdicts(report):
        lines += ["", "## Verdict against the baseline", "", *found]
    lines += ["", "![metrics](metrics.png)", ""]
    if sim := report.get("simulation"):
        lines += [
            "## Simulated A/B/n tests",
            "",
            f"Each of {sim['tests']} briefs' **{sim['config']}** variants, with true CTRs = {sim['base_ctr']:.0%} × "
            f"the click model's relative CTR (median best/worst ratio {sim['median_best_to_worst']:.2f}), tested on "
            f"{sim['visitors']:,} visitors, {sim['replications']} replications per brief.",
            "",
            "| policy | median visitors to significance | significant by the end | regret (clicks lost) | "
            "P(pick the true best) |",
            "|---|---|---|---|---|",
        ]
        for policy in ("fixed", "thompson"):
            s = sim[policy]
            traffic = s["median_traffic_to_significance"]
            shown = f"{traffic:,.0f}" if traffic is not None and math.isfinite(traffic) else "not reached"
            lines.append(f"| {policy} | {shown} | {s['significant_share']:.0%} | {s['regret_clicks']:.1f} | "
                         f"{s['p_pick_best']:.0%} |")
        lines += ["", "![A/B simulation](ab_simulation.png)", ""]
    path.write_text("\n".join(lines) + "\n")


def plot_metrics(report: dict[str, Any], path: Path) -> None:
    """One small bar chart per metric: each configuration's mean with its 95% interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    configs = report["configs"]
    fig, axes = plt.subplots(4, 5, figsize=(18, 13))
    for ax, (key, label, _) in zip(axes.flat, METRICS, strict=False):
        stats = [report["summary"][c].get(key) or {} for c in configs]
        means = [s.get("mean") if s.get("mean") is not None else math.nan for s in stats]
        errors = [[max(0.0, m - (s.get("low") or m)) for m, s in zip(means, stats, strict=True)],
                  [max(0.0, (s.get("high") or m) - m) for m, s in zip(means, stats, strict=True)]]
        ax.bar(configs, means, yerr=errors, capsize=4, color=[COLOURS[c] for c in configs])
        ax.set_title(label, fontsize=9)
        ax.tick_params(axis="x", labelsize=8, rotation=20)
    for ax in list(axes.flat)[len(METRICS):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_simulation(sim: dict[str, Any], path: Path) -> None:
    """Cumulative regret and the share of tests significant, against visitors, for both policies."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (regret, significant) = plt.subplots(1, 2, figsize=(11, 4))
    for policy in ("fixed", "thompson"):
        curve = sim[policy]["curve"]
        regret.plot(curve["visitors"], curve["regret"], label=policy)
        significant.plot(curve["visitors"], curve["significant"], label=policy)
    regret.set(xlabel="visitors", ylabel="expected clicks lost", title="cumulative regret")
    significant.set(xlabel="visitors", ylabel="share of tests", title="significant winner found", ylim=(0, 1))
    for ax in (regret, significant):
        ax.legend()
    fig.suptitle(f"{sim['config']} variants, base CTR {sim['base_ctr']:.0%} (click-model proxy)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
