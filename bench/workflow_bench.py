"""Benchmark: whole-workflow wall time and peak RSS for one brief (4 variants), and model throughput.

Run: `make bench` or `.venv/bin/python bench/workflow_bench.py [--runs 3] [--brief FILE]`.
Prints medians over the runs; each run uses a fresh, empty memory so runs are comparable.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from langchain_core.messages import HumanMessage, SystemMessage

from copyloop.brief import load_brief
from copyloop.config import Settings
from copyloop.generation import generate
from copyloop.llm.factory import chat_model
from copyloop.memory import CopyMemory

ROOT = Path(__file__).resolve().parents[1]
PROMPT = [SystemMessage("You write e-commerce marketing copy."),
          HumanMessage("Describe a 750 ml insulated steel bottle for hikers in three sentences.")]


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def throughput(settings: Settings, batch: int, new_tokens: int = 64, repeats: int = 3) -> float:
    """Generated tokens per second for `batch` prompts in one call (median of repeats)."""
    model = chat_model(settings)
    rates = []
    for r in range(repeats):
        started = time.perf_counter()
        texts = model.generate_texts([PROMPT] * batch, max_new_tokens=new_tokens, seed=r)
        seconds = time.perf_counter() - started
        rates.append(sum(model.count_tokens(t) for t in texts) / seconds)
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--brief", type=Path, default=ROOT / "examples/briefs/cold-brew-description.yaml")
    args = parser.parse_args()
    brief = load_brief(args.brief)
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings.from_env()
        started = time.perf_counter()
        chat_model(settings)
        load_seconds = time.perf_counter() - started
        walls, loops = [], []
        for run in range(args.runs):
            memory = CopyMemory(Path(scratch) / f"memory-{run}")
            result = generate(brief, settings.with_(seed=settings.seed + run), memory=memory)
            walls.append(result.seconds)
            loops.append(sum(result.rounds.values()))
            print(f"run {run + 1}: {result.seconds:.1f} s, {len(result.shippable)} shippable, loops {result.rounds}",
                  file=sys.stderr)
        single = throughput(settings, 1)
        batched = throughput(settings, 4)
        batched8 = throughput(settings, 8)
    print(f"brief: {args.brief.name} ({brief.channel.value}, {brief.n_variants} variants), cpus: {os.cpu_count()}")
    print(f"model load (cached folder): {load_seconds:.1f} s")
    print(f"workflow wall time: median {statistics.median(walls):.1f} s over {args.runs} runs "
          f"(min {min(walls):.1f}, max {max(walls):.1f}); median loops back {statistics.median(loops)}")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")
    print(f"generation throughput: single-stream {single:.1f} tok/s, batch of 4 {batched:.1f} tok/s "
          f"({batched / single:.2f}x), batch of 8 {batched8:.1f} tok/s ({batched8 / single:.2f}x)")


if __name__ == "__main__":
    main()
