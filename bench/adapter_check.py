"""Re-measure an adapter's before/after evaluation and acceptance checks without training it again.

Run: `.venv/bin/python bench/adapter_check.py [--adapter DIR] [--briefs FILE] [--output runs/adapter-check]`
(about 10 min; `--briefs examples/unseen/briefs.jsonl` judges on the held-out retail products instead of the
catalog's validation split).
The same evaluation `copyloop finetune` runs after training (raw drafts on the recipe's validation briefs, the
whole workflow on a few), for when the prompt, the sampler or the scoring changed under a shipped adapter.
Writes `evaluation.json` and `evaluation_texts.json` to the output folder and prints the four checks; with
`--summary runs/RUN/summary.json` (the training run that made the adapter) it also rewrites the adapter's model card
with this evaluation.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from itertools import chain, zip_longest
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from copyloop.brief import Brief, load_briefs
from copyloop.catalog import split_briefs
from copyloop.config import Settings
from copyloop.evaluation.past_copy import past_copy
from copyloop.llm.factory import SHIPPED_ADAPTER
from copyloop.llm.smollm2 import converted_model_dir
from copyloop.training.config import FinetuneConfig, load_config
from copyloop.training.finetune import evaluate
from copyloop.training.model_card import acceptance, write_model_card


def by_channel_turns(briefs: list[Brief]) -> list[Brief]:
    """One brief of each channel in turn, so the first N raw-draft briefs cover every channel."""
    groups: dict[str, list[Brief]] = {}
    for brief in briefs:
        groups.setdefault(brief.channel.value, []).append(brief)
    return [b for b in chain.from_iterable(zip_longest(*groups.values())) if b is not None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--adapter", type=Path, default=SHIPPED_ADAPTER)
    parser.add_argument("--config", type=Path, default=None, help="recipe YAML (default: the shipped one)")
    parser.add_argument("--output", type=Path, default=Path("runs/adapter-check"))
    parser.add_argument("--briefs", type=Path, default=None, help="held-out briefs (default: catalog validation)")
    parser.add_argument("--summary", type=Path, default=None, help="training summary.json: rewrite the model card")
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    cfg = load_config(args.config).model_copy(update={"output_dir": args.output})
    settings = Settings.from_env()
    references = past_copy(split_briefs("train"), cfg.memory_dir)
    started = time.perf_counter()
    briefs = by_channel_turns(load_briefs(args.briefs)) if args.briefs else None
    report = evaluate(cfg, converted_model_dir(settings.model_cache), args.adapter, references, settings, print,
                      briefs=briefs)
    report["minutes"] = round((time.perf_counter() - started) / 60, 1)
    (args.output / "evaluation.json").write_text(json.dumps(report, indent=2))
    for name, passed in acceptance(report).items():
        print(f"{'PASS' if passed else 'FAIL'}  {name}")
    raw = report["raw"]
    for key in ("raw_sense_pass", "combined", "distinct_2", "novelty"):
        d = raw["difference"][key]
        print(f"{key}: base {raw['base'][key]['mean']:.3f}, tuned {raw['tuned'][key]['mean']:.3f}, "
              f"difference {d['mean']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]")
    print(f"{report['minutes']} min")
    if args.summary:
        summary = json.loads(args.summary.read_text()) | {"evaluation": report}
        trained_with = FinetuneConfig.model_validate_json((args.summary.parent / "config.json").read_text())
        write_model_card(args.adapter / "README.md", trained_with, summary)
        print(f"model card rewritten: {args.adapter / 'README.md'}")


if __name__ == "__main__":
    main()
