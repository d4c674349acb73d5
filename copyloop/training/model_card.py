"""The model card written beside every adapter: data, recipe, reward weights, λ, and before/after figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from copyloop.tools.scoring import creativity_conversion
from copyloop.training.config import FinetuneConfig

# Metric → (label, higher is better). The order is the order of the tables.
METRICS = {
    "raw_sense_pass": ("passes every sense check", True),
    "sense_pass": ("shipped variants passing every sense check", True),
    "model_share": ("shipped variants the model wrote", True),
    "combined": ("combined reward", True),
    "sentiment_fit": ("sentiment fit", True),
    "novelty": ("novelty vs past copy", True),
    "sibling_diversity": ("sibling diversity", True),
    "cta": ("CTA reward", True),
    "length_fit": ("length fit", True),
    "grounding": ("grounding", True),
    "compliance": ("compliance reward", True),
    "fluency": ("fluency (1 - repetition)", True),
    "cta_rate": ("CTA rate", True),
    "findings_per_100": ("compliance findings / 100 variants", False),
    "invented_fact_rate": ("invented-fact rate", False),
    "distinct_2": ("distinct-2 within a brief", True),
    "distinct_2_body": ("distinct-2 within a brief, CTA cut out", True),
    "distinct_2_copy": ("distinct-2 within a brief, name and CTA cut out", True),
    "variants": ("variants per brief", True),
    "loops": ("revise loops per brief", False),
    "seconds": ("seconds per brief", False),
}


def acceptance(evaluation: dict[str, Any]) -> dict[str, bool]:
    """The bar an adapter must clear: raw drafts pass every sense check at least twice as often as the base model's,
    with an interval that excludes zero, without losing more than 5% of the base model's distinct-2 or novelty."""
    raw = evaluation["raw"]
    ratio = {m: raw["tuned"][m]["mean"] / raw["base"][m]["mean"] if raw["base"][m]["mean"] else float("inf")
             for m in ("raw_sense_pass", "distinct_2", "novelty")}
    return {
        "raw-draft sense pass rate at least twice base": ratio["raw_sense_pass"] >= 2.0,
        "raw-draft sense pass difference excludes zero": raw["difference"]["raw_sense_pass"]["low"] > 0,
        "distinct-2 at least 95% of base": ratio["distinct_2"] >= 0.95,
        "novelty at least 95% of base": ratio["novelty"] >= 0.95,
    }


def metric_table(stage: dict[str, Any]) -> str:
    """Markdown table: base, tuned and the paired difference, each with its bootstrap 95% interval."""
    lines = ["| metric | base | fine-tuned | difference (95% CI) |", "|---|---|---|---|"]
    for key, (label, _) in METRICS.items():
        if key not in stage["base"]:
            continue
        b, t, d = stage["base"][key], stage["tuned"][key], stage["difference"][key]
        lines.append(f"| {label} | {_fmt(b)} | {_fmt(t)} | {d['mean']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}] |")
    return "\n".join(lines)


def sweep_table(points: dict[str, dict[str, float]]) -> str:
    """Markdown table of the λ sweep: both axes and the figures behind them."""
    lines = ["| λ | creativity | conversion | novelty | distinct-2 | CTA rate | combined |", "|---|" * 6 + "---|"]
    for label, m in points.items():
        creativity, conversion = creativity_conversion(m)
        lines.append(f"| {label} | {creativity:.3f} | {conversion:.3f} | {m['novelty']:.3f} | {m['distinct_2']:.3f} | "
                     f"{m['cta_rate']:.3f} | {m['combined']:.3f} |")
    return "\n".join(lines)


def strength_table(curve: dict[str, dict[str, float]]) -> str:
    """Raw-draft figures per adapter strength, base model first: the diversity–conversion dial after training."""
    names = ("combined", "cta_rate", "distinct_2", "novelty", "findings_per_100", "invented_fact_rate")
    lines = ["| strength | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    lines += [f"| {label} | " + " | ".join(f"{m[n]:.3f}" for n in names) + " |" for label, m in curve.items()]
    return "\n".join(lines)


def _fmt(cell: dict[str, float]) -> str:
    return f"{cell['mean']:.3f} [{cell['low']:.3f}, {cell['high']:.3f}]"


def write_model_card(path: Path, cfg: FinetuneConfig, summary: dict[str, Any]) -> None:
    """README.md for the adapter folder (the Hugging Face model-card layout, with YAML front matter)."""
    training = summary["training"]
    parts = [
        "---\nlibrary_name: peft\nbase_model: HuggingFaceTB/SmolLM2-135M-Instruct\nlicense: apache-2.0\n"
        "tags: [lora, copyloop, marketing-copy]\n---",
        "# copyloop LoRA adapter for SmolLM2-135M-Instruct",
        f"Trained by `copyloop finetune` ({cfg.method}). It teaches the drafting node's model to write copy that "
        "makes sense for its brief: one benefit of the fact it is asked about, the product's name as the slot "
        "`[product]` (copyloop writes the exact name), nothing the brief does not say.",
        "## Data",
        f"{summary['train_briefs']} training briefs: the written training briefs in `copyloop/data/training` "
        "(features as shops send them) and the training split of the product catalog in `copyloop/data/catalog` "
        "(open-source shop demos; sources and licences in its README). Catalog products are split by a hash of "
        "their id: one in five is validation and never trained on; the held-out briefs in `examples/unseen` are in "
        "neither. Targets are clean: copy that passes every check once finished (sense, compliance, tone, length, "
        "CTA) — the composer's structures for the drafting node's own prompts, the shops' descriptions where they "
        "pass against the brief's facts, and the best sampled drafts that pass and keep to their prompt's fact "
        "(by the combined reward, predicted CTR included, at most two per brief, no opening or ending in more than "
        "5 % of them) — without the CTA and with the name as the slot.",
        f"```json\n{json.dumps(summary['data'], indent=2)}\n```",
        "## Recipe",
        f"λ (creativity 0 … conversion 1) = {cfg.balance}; adapter strength (lora_alpha × strength, applied to "
        f"the trained weights) = {cfg.lora.strength}. Reward weights after λ (GRPO's `reward_weights` and the "
        "evaluation's combined score):",
        f"```json\n{json.dumps(summary['weights'], indent=2)}\n```",
        f"Config:\n```json\n{cfg.model_dump_json(indent=2)}\n```",
        f"Training: {training['steps']} steps, {training['seconds']:.0f} s, {training['tokens']} tokens, "
        f"{training['tokens_per_second']} tokens/s on the machine that trained it.",
    ]
    if summary.get("offloaded"):
        parts.append("Sampling and training ran on a GPU machine through `copyloop finetune --offload` "
                     "(`copyloop/training/gpu_worker.py`); every check, and the choice of targets, ran here.")
    evaluation = summary.get("evaluation")
    if evaluation:
        checks = acceptance(evaluation)
        parts += [
            "## Before and after (validation products)",
            "Means over briefs with bootstrap 95% intervals (2,000 resamples); differences are paired by brief.",
            f"### Raw drafts (the drafting node's output before any critic), {evaluation['raw_briefs']} briefs",
            metric_table(evaluation["raw"]),
            f"### After the whole workflow, {evaluation['workflow_briefs']} briefs",
            metric_table(evaluation["workflow"]),
            "### Acceptance",
            "\n".join(f"- {'✅' if ok else '❌'} {label}" for label, ok in checks.items()),
        ]
    if summary.get("strength_curve"):
        parts += ["## Adapter strength",
                  "The same trained weights applied at several strengths (lora_alpha × strength); raw drafts on the "
                  "validation briefs, means. The shipped strength is the strongest whose distinct-2 stays within 95% "
                  "of the base model's.",
                  strength_table(summary["strength_curve"])]
    if summary.get("sweep"):
        parts += ["## λ sweep",
                  f"One adapter per λ, each trained for {cfg.sweep.train_steps} steps on targets re-selected from the "
                  f"same candidates; raw drafts on {cfg.sweep.eval_briefs} validation briefs.",
                  sweep_table(summary["sweep"])]
        if (path.parent / "lambda_sweep.png").is_file():
            parts.append("![creativity–conversion trade-off](lambda_sweep.png)")
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
