"""The λ sweep: how the creativity–conversion knob moves a fine-tuned model, drawn as a trade-off curve.

Each λ re-selects SFT targets from the same sampled candidates by the combined reward under the diversity
constraint (training/selection.py; the reward is the only thing that changes), trains a small adapter, and
measures raw drafts on validation products: creativity (novelty and
sibling diversity) against conversion (CTA, sentiment fit, grounding). The base model is the reference point.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from copyloop.brief import Brief
from copyloop.catalog import split_briefs
from copyloop.config import Settings
from copyloop.evaluation.metrics import brief_metrics
from copyloop.evaluation.outputs import raw_drafts
from copyloop.evaluation.past_copy import eval_memory, past_copy
from copyloop.llm.local import LocalChatModel
from copyloop.llm.smollm2 import converted_model_dir
from copyloop.tools.rewards import (
    NoveltyReward,
    RewardFunc,
    combined_rewards,
    components,
    reward_functions,
    sibling_diversity_reward,
    zero_when_blank,
)
from copyloop.tools.scoring import creativity_conversion
from copyloop.training.config import FinetuneConfig
from copyloop.training.finetune import sample_round
from copyloop.training.model_card import write_model_card
from copyloop.training.sampling import Candidate
from copyloop.training.selection import select_targets
from copyloop.training.trainers import train_sft


def lambda_sweep(cfg: FinetuneConfig, settings: Settings | None = None,
                 say: Callable[[str], None] = print) -> dict[str, Any]:
    """Train and measure one adapter per λ; writes sweep.json and lambda_sweep.png under output_dir/sweep."""
    settings = settings or Settings.from_env()
    out = cfg.output_dir / "sweep"
    out.mkdir(parents=True, exist_ok=True)
    model_dir = converted_model_dir(settings.model_cache)
    train = split_briefs("train")[: cfg.data.train_briefs]
    validation = split_briefs("validation")[: cfg.sweep.eval_briefs]
    references = past_copy(train, cfg.memory_dir)
    rewards = reward_functions(NoveltyReward(references))
    candidates = sample_round(cfg, model_dir, train, 1, say=say, per_brief=cfg.sweep.candidates)
    texts = [c.text for c in candidates]
    table = candidate_table(candidates, train, rewards)
    steps = cfg.model_copy(update={"schedule": cfg.schedule.model_copy(update={"max_steps": cfg.sweep.train_steps})})
    points: dict[str, dict[str, float]] = {}
    with eval_memory(references) as (home, memory):
        run_settings = settings.with_(home=home, seed=cfg.seed)
        for balance in [None, *cfg.sweep.balances]:
            label = "base" if balance is None else f"{balance:g}"
            adapter = None
            if balance is not None:
                chosen = select_targets(texts, [c.brief_index for c in candidates],
                                        combined_rewards(table, cfg.weights, balance), cfg.sft)
                adapter = out / f"lambda-{label}"
                if not (adapter / "adapter_config.json").is_file():
                    say(f"λ={label}: training on {len(chosen)} targets for {cfg.sweep.train_steps} steps")
                    train_sft(model_dir, targets(candidates, chosen), steps, out / f"trainer-{label}", adapter)
            say(f"{label}: raw drafts on {len(validation)} validation briefs")
            llm = LocalChatModel(model_path=str(model_dir), adapter_path=str(adapter) if adapter else None,
                                 seed=cfg.seed)
            rows = [brief_metrics(o, rewards, cfg.weights, 0.5) for o in raw_drafts(llm, validation, run_settings,
                                                                                     memory)]
            points[label] = {name: float(np.mean([r[name] for r in rows])) for name in rows[0]}
    (out / "sweep.json").write_text(json.dumps(points, indent=2))
    plot_sweep(points, out / "lambda_sweep.png")
    _add_to_model_card(cfg, points, out / "lambda_sweep.png")
    return points


def candidate_table(candidates: list[Candidate], train: list[Brief],
                    rewards: dict[str, RewardFunc]) -> dict[str, list[float]]:
    """Every reward component of every candidate; sibling diversity twin-aware (see `sibling_scores`)."""
    return components([c.text for c in candidates], [train[c.brief_index] for c in candidates], rewards,
                      prompts=[str(c.brief_index) for c in candidates],
                      measured={"sibling_diversity": sibling_scores(candidates)})


def sibling_scores(candidates: list[Candidate]) -> list[float]:
    """Sibling diversity among a brief's samples; a polished candidate takes its own sample's score.

    Comparing a polished draft with the sample it came from would call every candidate a near-duplicate.
    """
    samples = [i for i, c in enumerate(candidates) if c.source == "sample"]
    scores = zero_when_blank(sibling_diversity_reward)(None, [candidates[i].text for i in samples],
                                                       group=[candidates[i].brief_index for i in samples])
    by_slot = {(candidates[i].brief_index, candidates[i].slot): score for i, score in zip(samples, scores, strict=True)}
    return [by_slot.get((c.brief_index, c.slot), 1.0) for c in candidates]



def targets(candidates: list[Candidate], chosen: list[int],
            rewards: list[float] | None = None) -> list[dict[str, Any]]:
    """SFT rows (chat prompt, assistant completion) for the chosen candidates, with where each came from."""
    return [{"prompt": candidates[i].prompt, "completion": [{"role": "assistant", "content": candidates[i].text}],
             "reward": round(rewards[i], 4) if rewards else None, "source": candidates[i].source,
             "brief_index": candidates[i].brief_index} for i in chosen]




def _add_to_model_card(cfg: FinetuneConfig, points: dict[str, dict[str, float]], plot: Path) -> None:
    """Put the plot and its numbers beside the run's adapter, when the run has one."""
    adapter, summary_file = cfg.output_dir / "adapter", cfg.output_dir / "summary.json"
    if not (adapter / "adapter_config.json").is_file() or not summary_file.is_file():
        return
    shutil.copyfile(plot, adapter / plot.name)
    summary = json.loads(summary_file.read_text())
    summary["sweep"] = points
    summary_file.write_text(json.dumps(summary, indent=2))
    write_model_card(adapter / "README.md", cfg, summary)


def plot_sweep(points: dict[str, dict[str, float]], path: Path) -> None:
    """Creativity on x, conversion on y, one labelled point per λ joined in λ order; the base model apart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=120)
    tuned = [(float(k), *creativity_conversion(v)) for k, v in points.items() if k != "base"]
    tuned.sort()
    ax.plot([p[1] for p in tuned], [p[2] for p in tuned], "o-", color="tab:blue", label="fine-tuned, by λ")
    for balance, x, y in tuned:
        ax.annotate(f"λ={balance:g}", (x, y), textcoords="offset points", xytext=(6, 6))
    if "base" in points:
        bx, by = creativity_conversion(points["base"])
        ax.plot([bx], [by], "s", color="tab:gray", label="base SmolLM2")
    ax.set_xlabel("creativity: mean of novelty and sibling diversity")
    ax.set_ylabel("conversion: mean of CTA, sentiment fit, grounding")
    ax.set_title("Creativity–conversion trade-off of raw drafts (validation products)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
