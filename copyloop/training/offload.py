"""`copyloop finetune --offload DIR`: the slow steps go to a GPU machine as files, and come back the same way.

Sampling: the round's prompts go to DIR/jobs.jsonl and the run stops (`Handoff`); `gpu_worker sample` answers them
in DIR/samples.jsonl; the rerun cleans each answer exactly as `sample_candidates` would and goes on. Training: the
round's clean targets and the recipe go to DIR, the run stops; `gpu_worker train` writes DIR/adapter; the rerun
takes it as the round's adapter. Each answer carries the digest of its question, so a stale one is never used.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from copyloop.brief import Brief
from copyloop.drafting.prompts import focus_fact
from copyloop.errors import CopyloopError
from copyloop.llm.local import LocalChatModel
from copyloop.tools.channels import channel_spec
from copyloop.training.config import FinetuneConfig
from copyloop.training.gpu_worker import (
    ADAPTER,
    ANSWERS_TO,
    JOBS,
    RECIPE,
    SAMPLES,
    TARGETS,
    digest,
    read_lines,
    write_lines,
)
from copyloop.training.sampling import Candidate, candidates_of, prompt_for, read_candidates
from copyloop.training.trainers import TrainStats, saved_stats


class Handoff(Exception):  # not an error: the run waits for the GPU worker
    """The run stopped until the GPU worker has answered; the message says what to run."""


def _worker(step: str, folder: Path) -> str:
    return (f"copy {folder} to the GPU machine, run `python -m copyloop.training.gpu_worker {step} {folder} --gguf "
            f"SmolLM2-135M-Instruct.Q4_1.gguf` there, copy {folder} back, and rerun this command")


def sampling_jobs(cfg: FinetuneConfig, train: Sequence[Brief], number: int, adapter: Path | None
                  ) -> list[dict[str, Any]]:
    """A header (model, sampler settings) and one job per sample `sample_candidates` would draw in this round."""
    fields = LocalChatModel.model_fields
    header = {"round": number, "adapter": str(adapter) if adapter else None, "seed": cfg.seed + number,
              "top_p": fields["top_p"].default, "repetition_penalty": fields["repetition_penalty"].default}
    seed = cfg.seed + number
    jobs = [{"brief_index": i, "slot": slot, "prompt": prompt_for(brief, seed + i + slot),
             "max_new_tokens": channel_spec(brief.channel).max_new_tokens, "temperature": cfg.sft.temperature}
            for i, brief in enumerate(train) for slot in range(cfg.sft.candidates)]
    return [header, *jobs]


def offloaded_candidates(cfg: FinetuneConfig, train: Sequence[Brief], number: int, adapter: Path | None,
                         folder: Path) -> list[Candidate]:
    """The round's candidates from the worker's samples; without them, the jobs are written and the run stops."""
    path = cfg.output_dir / f"round-{number}" / "candidates.jsonl"
    saved = read_candidates(path, len(train))
    if {c.brief_index for c in saved} == set(range(len(train))):
        return saved
    folder.mkdir(parents=True, exist_ok=True)
    jobs = sampling_jobs(cfg, train, number, adapter)
    if not (folder / JOBS).is_file() or read_lines(folder / JOBS) != jobs:
        write_lines(folder / JOBS, jobs)
    answers = read_lines(folder / SAMPLES) if (folder / SAMPLES).is_file() else []
    if not answers or answers[0].get("jobs_sha256") != digest(folder / JOBS):
        raise Handoff(f"round {number}: {len(jobs) - 1} sampling jobs written to {folder / JOBS}; "
                      f"{_worker('sample', folder)}")
    prompts = {(j["brief_index"], j["slot"]): j["prompt"] for j in jobs[1:]}
    seed = cfg.seed + number
    found = [c for a in answers[1:] for c in candidates_of(
        a["text"], train[a["brief_index"]], a["brief_index"], a["slot"], prompts[a["brief_index"], a["slot"]],
        focus_fact(train[a["brief_index"]], seed + a["brief_index"] + a["slot"]), polish=cfg.sft.polish, seed=seed)]
    found.sort(key=lambda c: (c.brief_index, c.slot))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_lines(path, [asdict(c) for c in found])
    return read_candidates(path, len(train))


def offloaded_training(cfg: FinetuneConfig, rows: Sequence[Mapping[str, Any]], folder: Path, adapter_dir: Path
                       ) -> TrainStats:
    """The round's adapter as the worker trained it on exactly these targets; otherwise they are written and the
    run stops."""
    folder.mkdir(parents=True, exist_ok=True)
    targets = [{"prompt": r["prompt"], "completion": r["completion"]} for r in rows]
    if not (folder / TARGETS).is_file() or read_lines(folder / TARGETS) != targets:
        write_lines(folder / TARGETS, targets)
    (folder / RECIPE).write_text(cfg.model_dump_json(indent=2), encoding="utf-8")
    answered = folder / ADAPTER / ANSWERS_TO
    if not answered.is_file() or answered.read_text().strip() != digest(folder / TARGETS):
        raise Handoff(f"{len(targets)} training targets written to {folder / TARGETS}; {_worker('train', folder)}")
    if not (folder / ADAPTER / "train_stats.json").is_file():
        raise CopyloopError(f"{folder / ADAPTER} has no train_stats.json: the worker did not finish; run it again")
    shutil.rmtree(adapter_dir, ignore_errors=True)
    shutil.copytree(folder / ADAPTER, adapter_dir, ignore=shutil.ignore_patterns(ANSWERS_TO))
    return saved_stats(adapter_dir)

