"""`copyloop finetune`: sample → score → select → LoRA SFT (optionally in rounds), or GRPO; then evaluate.

Every stage writes its output under `output_dir` before the next starts, so a rerun after an interruption skips
what is done: sampled candidates are appended brief by brief, trainers resume from their latest checkpoint.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from copyloop.brief import Brief
from copyloop.config import Settings
from copyloop.errors import CopyloopError
from copyloop.evaluation.metrics import brief_metrics, compare, summarize
from copyloop.evaluation.outputs import raw_drafts, workflow_outputs
from copyloop.evaluation.past_copy import eval_memory, past_copy
from copyloop.llm.local import LocalChatModel
from copyloop.llm.smollm2 import MODEL_NAME, converted_model_dir
from copyloop.tools.rewards import (
    NoveltyReward,
    RewardFunc,
    combined_rewards,
    reward_functions,
    reward_table,
    sibling_diversity_reward,
)
from copyloop.tools.scoring import effective_weights
from copyloop.training.catalog import split_briefs
from copyloop.training.config import FinetuneConfig
from copyloop.training.model_card import write_model_card
from copyloop.training.outcomes import measured_winners
from copyloop.training.sampling import Candidate, prompt_for, sample_candidates
from copyloop.training.selection import select_targets
from copyloop.training.trainers import (
    TrainStats,
    halve_adapter,
    saved_stats,
    set_strength,
    train_grpo,
    train_sft,
)

Say = Callable[[str], None]


def finetune(cfg: FinetuneConfig, settings: Settings | None = None, say: Say = print) -> dict[str, Any]:
    """Run the recipe end to end; returns the summary that is also written to `output_dir/summary.json`."""
    settings = settings or Settings.from_env()
    if cfg.outcomes_url and cfg.method != "sft":
        raise CopyloopError("outcomes_url (measured experiment winners) is a training target: it needs method 'sft'")
    started = time.perf_counter()
    out = cfg.output_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(cfg.model_dump_json(indent=2))
    model_dir = converted_model_dir(settings.model_cache)
    train = split_briefs("train")[: cfg.data.train_briefs]
    references = past_copy(train, cfg.memory_dir)
    rewards = reward_functions(NoveltyReward(references))
    say(f"{len(train)} training briefs; {len(references)} texts of past copy to be novel against")
    if cfg.method == "sft":
        adapter, stats, data = _reward_ranked_sft(cfg, model_dir, train, rewards, say)
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
                               "weights": effective_weights(cfg.weights, cfg.balance), "balance": cfg.balance}
    summary["minutes"] = {"training_total": round((time.perf_counter() - started) / 60, 1)}
    if cfg.evaluate:
        summary["evaluation"] = evaluate(cfg, model_dir, final, references, settings, say)
        summary["minutes"]["with_evaluation"] = round((time.perf_counter() - started) / 60, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    write_model_card(final / "README.md", cfg, summary)
    say(f"adapter written to {final}")
    return summary


def _reward_ranked_sft(cfg: FinetuneConfig, model_dir: Path, train: list[Brief], rewards: dict[str, RewardFunc],
                       say: Say) -> tuple[Path, TrainStats, dict[str, Any]]:
    s = cfg.sft
    rows: list[dict[str, Any]] = measured_winners(cfg.outcomes_url) if cfg.outcomes_url else []
    adapter: Path | None = None
    data: dict[str, Any] = {"rounds": [], "measured_winners": len(rows)}
    if rows:
        say(f"{len(rows)} significant winners of live experiments join the training targets")
    stats = TrainStats(0.0, 0, 0)
    for number in range(1, s.rounds + 1):
        folder = cfg.output_dir / f"round-{number}"
        say(f"round {number}: sampling {s.candidates} drafts for each of {len(train)} briefs")
        started = time.perf_counter()
        candidates = sample_round(cfg, model_dir, train, number, adapter, say)
        sampled_in = time.perf_counter() - started
        kept = _keep(candidates, train, rewards, cfg)
        rewards["novelty"].extend(c["completion"][0]["content"] for c in kept)  # type: ignore[attr-defined]
        rows += kept
        (folder / "kept.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept))
        polished = sum(r["source"] == "polished" for r in kept)
        data["rounds"].append({"candidates": len(candidates), "kept": len(kept), "kept_polished": polished,
                               "mean_kept_reward": round(sum(r["reward"] for r in kept) / max(1, len(kept)), 4),
                               "sampling_seconds": round(sampled_in, 1)})
        say(f"round {number}: kept {len(kept)} of {len(candidates)} candidates ({polished} post-processed); "
            f"training on {len(rows)}")
        adapter = folder / "adapter"
        done = (adapter / "adapter_config.json").is_file() and (adapter / "train_stats.json").is_file()
        stats = saved_stats(adapter) if done else train_sft(model_dir, rows, cfg, folder / "trainer", adapter)
    assert adapter is not None
    return adapter, stats, data


def sample_round(cfg: FinetuneConfig, model_dir: Path, train: list[Brief], number: int,
                 adapter: Path | None = None, say: Say | None = None) -> list[Candidate]:
    """Round `number`'s candidates, sampled by the model as it stands (base, or the last round's adapter)."""
    s = cfg.sft
    llm = LocalChatModel(model_path=str(model_dir), adapter_path=str(adapter) if adapter else None, seed=cfg.seed)
    return sample_candidates(
        llm, train, cfg.output_dir / f"round-{number}" / "candidates.jsonl", per_brief=s.candidates,
        temperature=s.temperature, seed=cfg.seed + number, batch=s.generation_batch, polish=s.polish,
        progress=(lambda done, total: say(f"  sampled {done}/{total} briefs")) if say else None)


def _keep(candidates: list[Candidate], train: list[Brief], rewards: dict[str, RewardFunc],
          cfg: FinetuneConfig) -> list[dict[str, Any]]:
    """Score every candidate with the shared rewards and keep the best under the diversity constraint."""
    combined = combined_rewards(candidate_table(candidates, train, rewards), cfg.weights, cfg.balance)
    chosen = select_targets([c.text for c in candidates], [c.brief_index for c in candidates], combined, cfg.sft)
    return targets(candidates, chosen, combined)


def candidate_table(candidates: list[Candidate], train: list[Brief],
                    rewards: dict[str, RewardFunc]) -> dict[str, list[float]]:
    """Every reward component of every candidate; sibling diversity twin-aware (see `sibling_scores`)."""
    others = {name: f for name, f in rewards.items() if name != "sibling_diversity"}
    table = reward_table([str(c.brief_index) for c in candidates], [c.text for c in candidates],
                         [train[c.brief_index] for c in candidates], others)
    table["sibling_diversity"] = sibling_scores(candidates)
    return table


def sibling_scores(candidates: list[Candidate]) -> list[float]:
    """Sibling diversity among a brief's samples; a polished candidate takes its own sample's score.

    Comparing a polished draft with the sample it came from would call every candidate a near-duplicate.
    """
    samples = [i for i, c in enumerate(candidates) if c.source == "sample"]
    scores = sibling_diversity_reward(None, [candidates[i].text for i in samples],
                                      group=[candidates[i].brief_index for i in samples])
    by_slot = {(candidates[i].brief_index, candidates[i].slot): score for i, score in zip(samples, scores, strict=True)}
    return [by_slot.get((c.brief_index, c.slot), 1.0) for c in candidates]


def targets(candidates: list[Candidate], chosen: list[int],
            rewards: list[float] | None = None) -> list[dict[str, Any]]:
    """SFT rows (chat prompt, assistant completion) for the chosen candidates, with where each came from."""
    return [{"prompt": candidates[i].prompt, "completion": [{"role": "assistant", "content": candidates[i].text}],
             "reward": round(rewards[i], 4) if rewards else None, "source": candidates[i].source,
             "brief_index": candidates[i].brief_index} for i in chosen]


def evaluate(cfg: FinetuneConfig, model_dir: Path, adapter: Path, references: list[str], settings: Settings,
             say: Say) -> dict[str, Any]:
    """Base vs fine-tuned on validation products: raw drafts and whole-workflow output, with intervals."""
    validation = split_briefs("validation")
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
