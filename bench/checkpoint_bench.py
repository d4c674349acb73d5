"""Benchmark: the size of the checkpoint database over many generations, with checkpoint retention and without.

Run: `.venv/bin/python bench/checkpoint_bench.py [--runs 1000] [--every 100] [--keep 100] [--postgres |
--database-url postgresql://admin@host/db] [--json]`.

Every `generate()` leaves its run as a LangGraph thread. This runs `--runs` generations through the real
`generate()` (the whole workflow, the real checkpointer, a real Chroma memory in a scratch home) twice: with
retention (`keep_threads=--keep`, the other limits at their defaults, so the count limit is what prunes) and with
every limit off (as before retention existed), and prints the database size and the threads it holds every
`--every` runs.

The chat model is scripted (tests/fakes.py), because what fills the database is the workflow's state (the brief,
every variant with its scores, findings and trace, one checkpoint per node), not the model's speed: SmolLM2 would
write checkpoints of the same shape at tens of seconds a run, so 1,000 runs would take hours on a laptop CPU;
scripted, a run takes under a second. `approval=off`: nothing is stored in the copy memory, so every run takes the
same path (with approval on, the memory fills with the scripted lines and later runs loop on novelty, which would
measure the memory, not retention).

SQLite: the checkpoint file plus its write-ahead log, in a scratch home per configuration (the log keeps its
high-water size, about 4 MB). Postgres (`--postgres`: a throwaway server from the test harness, or the admin URL in
COPYLOOP_TEST_POSTGRES_URL; `--database-url`: a server whose user may CREATE DATABASE): `pg_total_relation_size`
of every table (indexes and TOAST included) in a fresh database per configuration, dropped afterwards; autovacuum
runs as the server's defaults say.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the scripted model and the Postgres harness

from copyloop.config import Settings
from copyloop.generation import generate
from copyloop.graphs import retention
from copyloop.graphs.checkpoints import open_checkpointer, sqlite_bytes
from copyloop.memory import CopyMemory
from tests.fakes import ScriptedChatModel, reply_for

BRIEF = {"product_name": "Trail Bottle", "sku": "TB-750", "category": "Drinkware", "channel": "email_subject",
         "tone": "playful", "features": ["keeps drinks cold 24h", "750 ml of stainless steel"], "price": 29,
         "brand": "Acme", "audience": "hikers"}
OFF = {"keep_threads": 0, "keep_threads_days": 0, "keep_approvals_days": 0, "keep_chats_days": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1000, help="generations per configuration")
    parser.add_argument("--every", type=int, default=100, help="print the size every this many runs")
    parser.add_argument("--keep", type=int, default=100, help="keep_threads with retention")
    parser.add_argument("--postgres", action="store_true", help="on a throwaway Postgres server (test harness)")
    parser.add_argument("--database-url", help="Postgres admin URL: a fresh database per configuration")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON at the end")
    args = parser.parse_args()
    figures: dict[str, list[dict[str, Any]]] = {}
    with postgres_server(args) as admin_url:
        for name, limits in (("retention", {"keep_threads": args.keep}), ("no retention", OFF)):
            print(f"\n{name} ({', '.join(f'{k}={v}' for k, v in limits.items())}):", flush=True)
            with tempfile.TemporaryDirectory(prefix="copyloop-ckpt-") as home, database(admin_url) as url:
                settings = Settings(home=Path(home), approval="off", database_url=url, **limits)
                figures[name] = measure(settings, args.runs, args.every)
    print_table(figures)
    if args.json:
        print(json.dumps(figures, indent=2))


def measure(settings: Settings, runs: int, every: int) -> list[dict[str, Any]]:
    """Run `runs` generations; the size and the thread count every `every` runs."""
    memory, model = CopyMemory(settings.memory_dir), ScriptedChatModel(script=reply_for)
    generate(BRIEF, settings.with_(**OFF), llm=model, memory=memory)  # warm-up: loads the embeddings
    points, started = [], time.perf_counter()
    for done in range(1, runs + 1):
        generate(BRIEF, settings, llm=model, memory=memory)
        if done % every == 0 or done == runs:
            point = {"runs": done, "bytes": size(settings), "threads": threads(settings),
                     "seconds_per_run": round((time.perf_counter() - started) / done, 3)}
            points.append(point)
            print(f"  {done:>5} runs: {point['bytes'] / 1e6:8.1f} MB, {point['threads']:>5} threads, "
                  f"{point['seconds_per_run']:.2f} s/run", flush=True)
    return points


def size(settings: Settings) -> int:
    """The bytes the checkpoints take on disk (the warm-up run's thread included)."""
    if not settings.database_url:
        return sqlite_bytes(settings.checkpoint_db)
    import psycopg

    with psycopg.connect(settings.database_url) as conn:
        return int(conn.execute("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN "
                                "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
                                "AND c.relkind = 'r'").fetchone()[0])


def threads(settings: Settings) -> int:
    saver, close = open_checkpointer(settings)
    try:
        return sum(retention.counts(saver).values())
    finally:
        close()


@contextmanager
def postgres_server(args: argparse.Namespace) -> Iterator[str | None]:
    """The Postgres admin URL to make databases on, if the run is on Postgres."""
    if args.database_url:
        yield args.database_url
    elif args.postgres:
        from tests.postgres import server

        with server() as url:
            yield url
    else:
        yield None


def database(admin_url: str | None) -> Any:
    """A fresh database for one configuration (dropped afterwards), or SQLite in the scratch home (None)."""
    if admin_url is None:
        return nullcontext(None)
    from tests.postgres import database as fresh

    return fresh(admin_url)


def print_table(figures: dict[str, list[dict[str, Any]]]) -> None:
    names = list(figures)
    print("\n| runs | " + " | ".join(f"{n}: MB (threads)" for n in names) + " |")
    print("|---:|" + "---:|" * len(names))
    for row in zip(*(figures[n] for n in names), strict=True):
        print(f"| {row[0]['runs']:,} | " + " | ".join(f"{p['bytes'] / 1e6:.1f} ({p['threads']})" for p in row) + " |")


if __name__ == "__main__":
    main()
