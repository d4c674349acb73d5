"""Benchmark: click-model throughput on this CPU (texts/s); the issue's floor is 200 texts/s.

Run: `.venv/bin/python bench/click_model_bench.py [--texts 1000] [--repeats 3]`.
Two real text sets, timed apart because MiniLM's cost grows with length: short copy (held-out Upworthy
headlines, the length of the variants copyloop writes) and long copy (the catalog's human-written product
descriptions, truncated by MiniLM at 256 word pieces). Each figure is the median over `repeats` timed passes
after a warm-up (model loading not counted); batch 1 is what scoring one text at a time costs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from copyloop.catalog import split_briefs
from copyloop.tools.click_model import shipped_click_model
from copyloop.training.click_data import headline_pairs, load_arms, split_by_time


def short_texts(count: int) -> list[str]:
    _, validation = split_by_time(headline_pairs(load_arms()))
    return sorted({validation.texts[i] for i in (*validation.a, *validation.b)})[:count]


def long_texts(count: int) -> list[str]:
    descriptions = [b.reference_copy for split in ("train", "validation") for b in split_briefs(split)
                    if b.reference_copy]
    return (descriptions * (count // len(descriptions) + 1))[:count]


def texts_per_second(texts: list[str], batch: int, repeats: int) -> float:
    model = shipped_click_model()
    model.scores(texts[:batch])
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for i in range(0, len(texts), batch):
            model.scores(texts[i:i + batch])
        rates.append(len(texts) / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for name, texts in (("short copy", short_texts(args.texts)), ("long copy", long_texts(args.texts // 4))):
        chars = statistics.median(len(t) for t in texts)
        print(f"click model, {name}: {len(texts)} texts (median {chars:.0f} characters), "
              f"median of {args.repeats} passes")
        for batch in (64, 8, 1):
            subset = texts if batch > 1 else texts[:100]
            print(f"  batch {batch:>2}: {texts_per_second(subset, batch, args.repeats):7.0f} texts/s")


if __name__ == "__main__":
    main()
