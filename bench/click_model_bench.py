"""Benchmark: click-model throughput on this CPU (texts/s), the issue's floor being 200 texts/s.

Run: `.venv/bin/python bench/click_model_bench.py [--texts 2000] [--repeats 5]`.
Texts are real: held-out Upworthy headlines and the shipped catalog's product descriptions and names, mixed.
Each figure is the median over `repeats` timed passes after one warm-up pass (model loading not counted);
batch 1 is what scoring one variant at a time costs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from copyloop.tools.click_model import shipped_click_model
from copyloop.training.catalog import split_briefs
from copyloop.training.click_data import headline_pairs, load_arms, split_by_time


def sample_texts(count: int) -> list[str]:
    _, validation = split_by_time(headline_pairs(load_arms()))
    headlines = sorted({validation.texts[i] for i in (*validation.a, *validation.b)})
    products = [t for b in split_briefs("validation") for t in (b.product_name, b.reference_copy) if t]
    repeated = products * (len(headlines) // len(products) + 1)
    mixed = [text for pair in zip(headlines, repeated[: len(headlines)], strict=True) for text in pair]
    return mixed[:count]


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
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    texts = sample_texts(args.texts)
    words = statistics.median(len(t.split()) for t in texts)
    print(f"click model: {len(texts)} texts (median {words:.0f} words), median of {args.repeats} passes")
    for batch in (64, 8, 1):
        subset = texts if batch > 1 else texts[:200]
        print(f"  batch {batch:>2}: {texts_per_second(subset, batch, args.repeats):7.0f} texts/s")


if __name__ == "__main__":
    main()
