"""Acceptance check over every shipped example brief, on the default model, with a fresh memory.

For each brief it prints how many of the variants ship, how many the model wrote (the rest the composer built),
and whether each shipped one passes every sense check (the product named exactly, nothing invented), is distinct,
within the channel's limit, carries a CTA, has no blocking finding and has its sentiment in band; then it runs the
first brief a second time against the same memory and reports how novel the second run is against the stored
copy.

Run: `.venv/bin/python bench/examples_check.py` (about a minute per brief on a 2-core CPU).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from copyloop.brief import load_brief
from copyloop.config import Settings
from copyloop.generation import generate
from copyloop.memory import CopyMemory
from copyloop.result import Result
from copyloop.tools.channels import channel_spec
from copyloop.tools.cta import cta_as_channel_wants
from copyloop.tools.sense.checks import passes_sense

BRIEFS = Path(__file__).resolve().parents[1] / "examples" / "briefs"


def verdict(result: Result) -> dict[str, object]:
    """The acceptance criteria for one result."""
    brief, shipped = result.brief, result.shippable
    spec = channel_spec(brief.channel)
    low, high = brief.sentiment_band
    return {
        "shipped": f"{len(shipped)}/{brief.n_variants}",
        "model_written": sum(v.origin == "model" for v in shipped),
        "sense": all(passes_sense(v.text, brief) for v in shipped),
        "distinct": len({v.text for v in shipped}) == len(shipped),
        "in_limit": all(spec.min_chars <= len(v.text) <= spec.max_chars for v in shipped),
        "cta": all(cta_as_channel_wants(v.text, brief) for v in shipped),  # none on a product title
        "no_block": all(not [f for f in v.findings if f.severity == "block" and not f.fixed] for v in shipped),
        "in_band": all(low <= v.scores.sentiment <= high for v in shipped),
    }


def main() -> None:
    paths = sorted(p for p in BRIEFS.iterdir() if p.suffix in (".yaml", ".json"))
    settings = Settings.from_env()
    seconds = []
    with tempfile.TemporaryDirectory() as scratch:
        for path in paths:
            brief = load_brief(path)
            result = generate(brief, settings, memory=CopyMemory(Path(scratch) / path.stem))
            seconds.append(result.seconds)
            checks = verdict(result)
            print(f"{path.name:32} {brief.channel.value:20} {result.seconds:6.1f}s loops {result.rounds} {checks}")
            for v in result.variants:
                print(f"    {v.status:7} {v.origin:8} {v.text!r}" + (f"  [{v.blocked_reason}]" if v.blocked_reason
                                                                       else ""))
        first = paths[0]
        memory = CopyMemory(Path(scratch) / first.stem)
        stored = {r.text for r in memory.all()}
        again = generate(load_brief(first), settings, memory=memory)
        reused = [v.text for v in again.shippable if v.text in stored]
        novelty = [v.scores.novelty for v in again.shippable]
        print(f"second run of {first.name}: {len(again.shippable)} shipped, {len(reused)} repeated stored copy, "
              f"novelty min {min(novelty, default=0):.2f} median {statistics.median(novelty or [0]):.2f}")
    print(f"median seconds per brief: {statistics.median(seconds):.1f}", file=sys.stderr)


if __name__ == "__main__":
    main()
