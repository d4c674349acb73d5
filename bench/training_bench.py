"""Benchmark: LoRA training throughput on this machine (tokens/s), for SFT at two batch sizes and for GRPO.

Run: `.venv/bin/python bench/training_bench.py [--repeats 3] [--steps 4]`.
SFT rows are the drafting node's real prompts for catalog training briefs, with short copy as the completion;
each figure is the median over `repeats` fresh runs of `steps` optimiser steps (model loading not counted).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from copyloop.catalog import split_briefs
from copyloop.config import Settings
from copyloop.llm.smollm2 import converted_model_dir
from copyloop.tools.rewards import reward_functions
from copyloop.training.config import CONFIG_DIR, load_config
from copyloop.training.sampling import prompt_for
from copyloop.training.trainers import train_grpo, train_sft


def sft_rows(count: int) -> list[dict]:
    briefs = split_briefs("train")[:count]
    return [{"prompt": prompt_for(b, i), "completion": [{"role": "assistant", "content": f"{b.product_name}: "
                                                         "made for every day, built to last. Shop now."}]}
            for i, b in enumerate(briefs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    model_dir = converted_model_dir(Settings().model_cache)
    results: dict[str, list] = {}
    for batch in (4, 8):
        cfg = load_config(overrides={"schedule.batch_size": batch, "schedule.max_steps": args.steps,
                                     "schedule.save_steps": 10_000})
        for r in range(args.repeats):
            with tempfile.TemporaryDirectory() as tmp:
                stats = train_sft(model_dir, sft_rows(batch * args.steps), cfg, Path(tmp) / "t", Path(tmp) / "a")
            results.setdefault(f"SFT batch {batch}", []).append(stats)
            print(f"  SFT batch {batch} run {r + 1}: {stats.tokens_per_second:.1f} tokens/s", flush=True)
    grpo = load_config(CONFIG_DIR / "grpo.yaml", quick=True, overrides={"schedule.save_steps": 10_000})
    rows = [{"prompt": prompt_for(b, i), "brief": b.model_dump_json()}
            for i, b in enumerate(split_briefs("train")[:8])]
    for r in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            stats = train_grpo(model_dir, rows, reward_functions(), grpo, Path(tmp) / "t", Path(tmp) / "a")
        results.setdefault("GRPO (4 generations of <=24 tokens, batch 4)", []).append(stats)
        print(f"  GRPO run {r + 1}: {stats.tokens_per_second:.1f} tokens/s", flush=True)
    print(f"\ntraining throughput, median of {args.repeats} runs of {args.steps} steps (GRPO: 2 steps), "
          f"{os.cpu_count()} CPU threads:")
    for name, runs in results.items():
        rate = statistics.median(s.tokens_per_second for s in runs)
        per_step = statistics.median(s.seconds / max(1, s.steps) for s in runs)
        print(f"  {name:46s} {rate:7.1f} tokens/s   {per_step:6.1f} s/step")
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
