"""Benchmark: what one copy-memory read costs, embedded and on a Chroma server, with and without crash fingerprints.

Run: `.venv/bin/python bench/memory_bench.py [--records 2000] [--reads 300]`.

It fills an embedded store in a temp folder with `--records` records (2,000 by default: past Chroma's 1,000-write
sync, so its HNSW files are on disk), then times `--reads` calls each of the three reads drafting and novelty
checks make (nearest_similarity of one text within a brand, exemplars of one brand/channel/category, get by id),
after a warm-up, and prints the median of each in milliseconds:

- embedded: as the store runs now, HNSW files fingerprinted after writes only;
- embedded + per-read fingerprint: each read followed by the fingerprint step (stat every HNSW file, hash the
  ones whose size or mtime changed, compare with the manifest), as every read did before the split; timed
  alternately with the plain read, so both see the same load;
- server: the same records on a Chroma server over HTTP on loopback, `chroma run` started by the test harness
  (tests/chroma.py) in a temp folder and stopped afterwards.

Query vectors are cached after the warm-up, so the figures are the store's cost, not MiniLM's. The reads check
afterwards that they never changed an HNSW file, the reason reads no longer fingerprint them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test harness's Chroma server, not a copy of it

from copyloop.memory import CopyMemory, MemoryRecord
from copyloop.memory.embedded import _index_state
from tests.chroma import chroma_server

BRANDS = ("Acme", "Globex", "Initech", "Umbrella")
CATEGORIES = ("Apparel", "Drinkware", "Outdoor", "Kitchen")
CHANNELS = ("email_subject", "social_post", "product_description")


def records(count: int) -> list[MemoryRecord]:
    """Distinct short copy spread over brands, categories and channels, some with measured counts."""
    return [MemoryRecord(text=f"Copy {i}: the {CATEGORIES[i % 4].lower()} pick number {i} for day {i % 97}.",
                         brand=BRANDS[i % 4], category=CATEGORIES[(i // 4) % 4], channel=CHANNELS[i % 3],
                         impressions=(i * 37) % 500, clicks=(i * 7) % 20) for i in range(count)]


def reads(memory: CopyMemory, sample: MemoryRecord) -> dict[str, Callable[[], object]]:
    return {
        "nearest_similarity": lambda: memory.nearest_similarity([sample.text], brand="Acme"),
        "exemplars": lambda: memory.exemplars("Apparel", "email_subject", k=3, brand="Acme"),
        "get": lambda: memory.get(sample.id),
    }


def timed(call: Callable[[], object], after: Callable[[], object] | None = None) -> float:
    start = time.perf_counter()
    call()
    if after is not None:
        after()
    return (time.perf_counter() - start) * 1000


def median_ms(call: Callable[[], object], count: int) -> float:
    """Median ms of `call` after a warm-up (which also caches the query vectors)."""
    for _ in range(5):
        call()
    return statistics.median(timed(call) for _ in range(count))


def paired_ms(call: Callable[[], object], count: int, after: Callable[[], object]) -> tuple[float, float]:
    """Median ms of `call` alone and of `call` then `after`, timed alternately so both see the same load."""
    for _ in range(5):
        call()
    pairs = [(timed(call), timed(call, after)) for _ in range(count)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--reads", type=int, default=300)
    args = parser.parse_args()
    data = records(args.records)
    sample = data[0]
    rows: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="copyloop-memory-bench-") as scratch:
        folder = Path(scratch) / "memory"
        memory = CopyMemory(folder)
        memory.add(data)
        before = _index_state(folder, {})
        assert before, "Chroma saved no HNSW files: raise --records past 1,000"
        store = memory._store
        assert store is not None
        both = {n: paired_ms(c, args.reads, store.written) for n, c in reads(memory, sample).items()}
        rows.append(("embedded", {n: plain for n, (plain, _) in both.items()}))
        rows.append(("embedded + per-read fingerprint", {n: checked for n, (_, checked) in both.items()}))
        unchanged = _index_state(folder, {}) == before
        fingerprint = median_ms(store.written, args.reads)
        memory.close()
    with chroma_server() as url:
        remote = CopyMemory.on_server(url)
        remote.add(data)
        rows.append((f"server ({url})", {n: median_ms(c, args.reads) for n, c in reads(remote, sample).items()}))
        remote.close()
    print(f"{args.records} records, median of {args.reads} reads each, ms")
    names = list(rows[0][1])
    print(f"{'store':<34}" + "".join(f"{n:>20}" for n in names))
    for label, figures in rows:
        print(f"{label:<34}" + "".join(f"{figures[n]:>20.3f}" for n in names))
    print(f"fingerprint step alone: {fingerprint:.3f} ms; HNSW files unchanged by {3 * args.reads * 2} reads: "
          f"{unchanged}")


if __name__ == "__main__":
    main()
