"""`copyloop finetune`: sample → score → select → LoRA SFT (optionally in rounds), or GRPO; then evaluate.

Every stage writes its output under `output_dir` before the next starts, so a rerun after an interruption skips
what is done: sampled candidates are appended brief by brief, trainers resume from their latest checkpoint.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from copyloop.brief import Brief
from copyloop.catalog import split_briefs, training_briefs
from copyloop.config import Settings
from copyloop.errors import CopyloopError
from copyloop.evaluation.metrics import brief_metrics, compare, summarize
from copyloop.evaluation.outputs import raw_drafts, workflow_outputs
from copyloop.evaluation.past_copy import eval_memory, past_copy
from copyloop.llm.local import LocalChatModel
from copyloop.llm.smollm2 import MODEL_NAME, converted_model_dir
from copyloop.tools.rewards import NoveltyReward, RewardFunc, reward_functions
from copyloop.tools.scoring import effective_weights
from copyloop.training.clean_targets import composed_targets, human_targets, passing_samples
from copyloop.training.config import FinetuneConfig
from copyloop.training.model_card import write_model_card
from copyloop.training.offload import offloaded_candidates, offloaded_training
from copyloop.training.outcomes import winner_targets
from copyloop.training.sampling import Candidate, prompt_for, sample_candidates
from copyloop.training.selection import best_samples
from copyloop.training.trainers import (
    TrainStats,
    halve_adapter,
    saved_stats,
    set_strength,
    train_grpo,
    train_sft,
)

Say = Callable[[str], None]


def finetune(cfg: FinetuneConfig, settings: Settings | None = None, say: Say = print,
             offload: Path | None = None, outcomes: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """Run the recipe end to end; returns the summary that is also written to `output_dir/summary.json`.

    `outcomes`: significant winners of live experiments (`service.experiment_results.significant_winners`), which
    join the training targets. With `offload`, sampling and training are handed to the GPU worker through that
    folder (training/offload.py): the run stops with `Handoff` until the worker's answer is there, and a rerun goes
    on from it."""
    settings = settings or Settings.from_env()
    if outcomes and cfg.method != "sft":
        raise CopyloopError("measured experiment winners are training targets: they need method 'sft'")
    started = time.perf_counter()
    out = cfg.output_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(cfg.model_dump_json(indent=2))
    model_dir = converted_model_dir(settings.model_cache)
    train = training_briefs()[: cfg.data.train_briefs]
    references = past_copy(train, cfg.memory_dir)
    rewards = reward_functions(NoveltyReward(references))
    say(f"{len(train)} training briefs; {len(references)} texts of past copy to be novel against")
    if cfg.method == "sft":
        adapter, stats, data = _clean_target_sft(cfg, model_dir, train, say, rewards, offload, outcomes)
    else:
        rows = [{"prompt": prompt_for(b, cfg.seed + i), "brief": b.model_dump_json()} for i, b in enumerate(train)]
        stats = train_grpo(model_dir, rows, rewards, cfg, out / "grpo" / "trainer", out / "grpo" / "adapter")
        adapter, data = out / "grpo" / "adapter", {"prompts": len(rows)}
    final = out / "adapter"
    if final.resolve() != adapter.resolve():
        shutil.rmtree(final, ignore_errors=True)
        shutil.copytree(adapter, final)
        halve_adapter(final)
        set_strength(final, cfg.lora.strength)
    summary: dict[str, Any] = {"method": cfg.method, "base_model": MODEL_NAME, "train_briefs": len(train),
                               "data": data, "training": {**asdict(stats), "tokens_per_second":
                                                          round(stats.tokens_per_second, 1)},
                               "weights": effective_weights(cfg.weights, cfg.balance), "balance": cfg.balance,
                               "offloaded": offload is not None}
    summary["minutes"] = {"training_total": round((time.perf_counter() - started) / 60, 1)}
    if cfg.evaluate:
        summary["evaluation"] = evaluate(cfg, model_dir, final, references, settings, say)
        summary["minutes"]["with_evaluation"] = round((time.perf_counter() - started) / 60, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    write_model_card(final / "README.md", cfg, summary)
    say(f"adapter written to {final}")
    return summary


def _clean_target_sft(cfg: FinetuneConfig, model_dir: Path, train: list[Brief], say: Say,
                      rewards: dict[str, RewardFunc], offload: Path | None,
                      outcomes: Sequence[Mapping[str, Any]]) -> tuple[Path, TrainStats, dict[str, Any]]:
    """SFT on clean targets only: composed copy for the drafting prompts, the shop's copy where it passes, and (with
    `sft.candidates`) the best sampled drafts that pass every check — by the combined reward, click model included,
    under the diversity caps of training/selection.py; each round samples with the adapter trained so far."""
    s = cfg.sft
    rows: list[dict[str, Any]] = winner_targets(outcomes)
    data: dict[str, Any] = {"rounds": [], "measured_winners": len(rows)}
    if rows:
        say(f"{len(rows)} significant winners of live experiments join the training targets")
    composed = composed_targets(train, s.composed_per_brief, cfg.seed)
    human = human_targets(train, cfg.seed) if s.human_copy else []
    rows += composed + human
    data.update(composed=len(composed), human=len(human))
    say(f"{len(composed)} composed and {len(human)} human-written targets pass every check")
    adapter: Path | None = None
    stats = TrainStats(0.0, 0, 0)
    for number in range(1, s.rounds + 1):
        folder = cfg.output_dir / f"round-{number}"
        folder.mkdir(parents=True, exist_ok=True)
        if s.candidates:
            say(f"round {number}: sampling {s.candidates} drafts for each of {len(train)} briefs")
            started = time.perf_counter()
            sampler = adapter or cfg.sft.sample_adapter
            candidates = (offloaded_candidates(cfg, train, number, sampler, offload) if offload
                          else sample_round(cfg, model_dir, train, number, sampler, say))
            passing = passing_samples(candidates, train)
            kept = best_samples(passing, train, rewards, cfg)
            rows += kept
            data["rounds"].append({"candidates": len(candidates), "passing": len(passing), "kept": len(kept),
                                   "sampling_seconds": round(time.perf_counter() - started, 1)})
            say(f"round {number}: {len(passing)} of {len(candidates)} sampled drafts pass every check; "
                f"the best {len(kept)} become targets")
        (folder / "targets.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        say(f"round {number}: training on {len(rows)} targets")
        adapter = folder / "adapter"
        done = (adapter / "adapter_config.json").is_file() and (adapter / "train_stats.json").is_file()
        if done:
            stats = saved_stats(adapter)
        elif offload:
            stats = offloaded_training(cfg, rows, offload, adapter)
        else:
            stats = train_sft(model_dir, rows, cfg, folder / "trainer", adapter)
    assert adapter is not None
    return adapter, stats, data


def sample_round(cfg: FinetuneConfig, model_dir: Path, train: list[Brief], number: int,
                 adapter: Path | None = None, say: Say | None = None, per_brief: int | None = None) -> list[Candidate]:
    """Round `number`'s candidates, sampled by the model as it stands (base, or the last round's adapter)."""
    s = cfg.sft
    llm = LocalChatModel(model_path=str(model_dir), adapter_path=str(adapter) if adapter else None, seed=cfg.seed)
    return sample_candidates(
        llm, train, cfg.output_dir / f"round-{number}" / "candidates.jsonl", per_brief=per_brief or s.candidates,
        temperature=s.temperature, seed=cfg.seed + number, batch=s.generation_batch, polish=s.polish,
        progress=(lambda done, total: say(f"  sampled {done}/{total} briefs")) if say else None)


def evaluate(cfg: FinetuneConfig, model_dir: Path, adapter: Path, references: list[str], settings: Settings,
             say: Say, briefs: list[Brief] | None = None) -> dict[str, Any]:
    """Base vs fine-tuned on held-out products (the catalog's validation split unless `briefs` are given): raw drafts
    and whole-workflow output, with intervals."""
    validation = briefs or split_briefs("validation")
    raw_briefs, flow_briefs = validation[: cfg.data.eval_briefs], validation[: cfg.data.workflow_briefs]
    rewards = reward_functions(NoveltyReward(references))
    weights = cfg.weights
    report: dict[str, Any] = {"raw_briefs": len(raw_briefs), "workflow_briefs": len(flow_briefs)}
    with eval_memory(references) as (home, memory):
        eval_settings = settings.with_(home=home, seed=cfg.seed)
        per_model: dict[str, dict[str, list[dict[str, float]]]] = {}
        texts: dict[str, Any] = {}
        for name, adapter_path in (("base", None), ("tuned", adapter)):
            llm = LocalChatModel(model_path=str(model_dir), adapter_path=str(adapter_path) if adapter_path else None,
                                 seed=cfg.seed)
            say(f"evaluating {name}: raw drafts on {len(raw_briefs)} validation briefs")
            raw = raw_drafts(llm, raw_briefs, eval_settings, memory)
            say(f"evaluating {name}: whole workflow on {len(flow_briefs)} validation briefs")
            flow = workflow_outputs(llm, flow_briefs, eval_settings, memory)
            per_model[name] = {stage: [brief_metrics(o, rewards, weights, cfg.balance) for o in outputs]
                               for stage, outputs in (("raw", raw), ("workflow", flow))}
            texts[name] = {stage: [{"product": o.brief.product_name, "channel": o.brief.channel.value,
                                    "texts": o.texts} for o in outputs]
                           for stage, outputs in (("raw", raw), ("workflow", flow))}
    (cfg.output_dir / "evaluation_texts.json").write_text(json.dumps(texts, indent=1, ensure_ascii=False))
    for stage in ("raw", "workflow"):
        base, tuned = per_model["base"][stage], per_model["tuned"][stage]
        report[stage] = {"base": summarize(base), "tuned": summarize(tuned), "difference": compare(base, tuned)}
    return report
