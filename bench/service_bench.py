"""Benchmark: the HTTP service under load on loopback — /v1/variants latency and /v1/events ingestion rate.

Run: `.venv/bin/python bench/service_bench.py [--requests 2000] [--clients 4] [--events 10000] [--repeats 3]
[--database postgresql://user:pass@localhost/db] [--json]`.

It makes a scratch home in a temp folder, creates an API key and seeds served copy for `--skus` SKUs straight in
the service database (SQLite in the scratch home, or `--database`), starts the real server as a subprocess
(`python -m copyloop serve --host 127.0.0.1 --port <free port>`), waits for /healthz, creates one experiment
through the API, then measures:

- variants: GET /v1/variants/{sku}?channel=… after a warm-up, `--requests` sequential requests on one keep-alive
  connection (p50/p95/p99 latency in ms, requests/s), then the same count spread over `--clients` threads;
  the spec's target is p99 <= 50 ms sequential on a 2-core machine;
- events: `--events` events POSTed as batches of `--batch` to /v1/events by `--clients` threads, then
  `--single-events` single-event POSTs, in events/s; one batch is then sent again (its events must come back
  as duplicates) and GET /v1/experiments/{id} must report exactly the impressions, clicks and conversions sent.

Each figure is the median over `--repeats` passes. The client runs on the same cores as the server, so the
figures are a floor for what a separate load generator would see. The server runs with a model backend that
cannot load (transformers without a checkpoint): these endpoints must never need the LLM, and a request that
did would answer 503 and count as an error. The server's memory maps are checked for model weights as well.
Everything talks to 127.0.0.1 only; every loop is bounded in count and by `--max-seconds`, and the server is
terminated (then killed if it lingers) on the way out, error or not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from copyloop.brief import Channel
from copyloop.service.db import connect, default_url, writing
from copyloop.service.keys import create_key
from copyloop.service.served_copy import replace

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # loopback only, never another interface
CHANNELS = (Channel.PRODUCT_DESCRIPTION, Channel.EMAIL_SUBJECT)
VARIANTS = ("control", "benefit", "urgency")
TYPES = ("impression",) * 7 + ("click",) * 2 + ("conversion",)  # 70/20/10, cycled over the event sequence
TARGET_P99_MS = 50.0
GENERATIONS_AT_ONCE = 2  # the default `generate_concurrency`: every slot busy


class Deadline:
    """The time budget every request loop checks before each request."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds
        self.hit = False

    def over(self) -> bool:
        self.hit = self.hit or time.monotonic() > self.end
        return self.hit


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def seed(url: str, brand: str, skus: int) -> str:
    """An API key for `brand` and three ranked variants per SKU on each benchmark channel; returns the key."""
    engine = connect(url)
    try:
        key = create_key(engine, brand, "service bench")
        with writing(engine) as conn:
            for i in range(skus):
                for channel in CHANNELS:
                    replace(conn, brand, sku_name(i), channel.value, "", [
                        {"text": f"Variant {rank} for SKU {i} on {channel.value}: insulated, leak-proof, 750 ml.",
                         "angle": angle, "predicted_ctr": round(0.05 - rank * 0.01, 3)}
                        for rank, angle in enumerate(("benefit", "feature", "social proof"), start=1)],
                        "bench")
    finally:
        engine.dispose()
    return key.api_key


def sku_name(i: int) -> str:
    return f"BENCH-{i:05d}"


def server_env(model: bool = False) -> dict[str, str]:
    """The environment minus COPYLOOP_* settings; without `model`, a backend that fails if anything loads one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPYLOOP_")}
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", ANONYMIZED_TELEMETRY="False")
    if not model:
        env["COPYLOOP_BACKEND"] = "transformers"
    return env


@contextmanager
def running_server(home: Path, database: str | None, log_path: Path, wait_seconds: float,
                   model: bool = False) -> Iterator[Server]:
    """`copyloop serve` on a free loopback port, up once /healthz answers; terminated on exit, error or not."""
    port = free_port()
    command = [sys.executable, "-m", "copyloop", "serve", "--host", HOST, "--port", str(port), "--home", str(home)]
    if database:
        command += ["--database", database]
    log = log_path.open("wb")
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=server_env(model), stdin=subprocess.DEVNULL, stdout=log,
                               stderr=subprocess.STDOUT)
    server = Server(process, f"http://{HOST}:{port}", log_path)
    try:
        server.startup_seconds = server.wait_healthy(wait_seconds, started)
        yield server
    finally:
        server.stop()
        log.close()


class Server:
    """The server subprocess: its base URL, log, start-up time and how it stopped."""

    def __init__(self, process: subprocess.Popen, base_url: str, log_path: Path):
        self.process, self.base_url, self.log_path = process, base_url, log_path
        self.startup_seconds = float("nan")
        self.shutdown_seconds = float("nan")
        self.exit_code: int | None = None
        self.killed = False

    def wait_healthy(self, seconds: float, started: float) -> float:
        deadline = time.monotonic() + seconds
        with httpx.Client(base_url=self.base_url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
                try:
                    if client.get("/healthz").status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"no answer from {self.base_url}/healthz within {seconds:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM (uvicorn's graceful shutdown, after which it re-raises the signal: exit code -15), then SIGKILL
        after 20 s."""
        if self.process.poll() is None:
            began = time.perf_counter()
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.killed = True
                self.process.kill()
                self.process.wait(10)
            self.shutdown_seconds = time.perf_counter() - began
        self.exit_code = self.process.returncode

    def clean_shutdown(self) -> bool:
        """Stopped by SIGTERM without a kill, after the app's shutdown (job worker stopped, engine disposed)."""
        return not self.killed and "Application shutdown complete" in self.log_tail(10)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def mapped(self) -> set[str]:
        """Files the server process has mapped (its libraries, and model weights if any were loaded)."""
        paths = set()
        for line in Path(f"/proc/{self.process.pid}/maps").read_text().splitlines():
            parts = line.split(maxsplit=5)
            if len(parts) == 6 and parts[5].startswith("/"):
                paths.add(parts[5])
        return paths

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def model_check(server: Server) -> dict[str, Any]:
    """Whether the server holds model weights or has loaded torch (it should need neither for these endpoints)."""
    paths = server.mapped()
    weights = sorted(p for p in paths if p.endswith((".safetensors", ".gguf", ".bin", ".pt")))
    return {"weights_mapped": weights, "torch_loaded": any("libtorch" in Path(p).name for p in paths),
            "rss_mb": round(server.rss_mb(), 1)}


def percentiles(latencies: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 in ms of latencies in seconds."""
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50_ms": cuts[49] * 1000, "p95_ms": cuts[94] * 1000, "p99_ms": cuts[98] * 1000}


def get_variants(client: httpx.Client, path: str) -> float:
    began = time.perf_counter()
    response = client.get(path)
    seconds = time.perf_counter() - began
    if response.status_code != 200 or not response.json()["variants"]:
        raise RuntimeError(f"GET {path}: HTTP {response.status_code}: {response.text[:300]}")
    return seconds


def variant_paths(count: int, skus: int, rng: random.Random) -> list[str]:
    return [f"/v1/variants/{sku_name(rng.randrange(skus))}?channel={rng.choice(CHANNELS).value}"
            for _ in range(count)]


def variants_pass(server: Server, api_key: str, paths: list[str], clients: int, deadline: Deadline) -> dict[str, Any]:
    """GET every path, split over `clients` threads (each with its own keep-alive connection)."""
    shards = [paths[i::clients] for i in range(clients)]

    def worker(shard: list[str]) -> list[float]:
        latencies = []
        with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {api_key}"},
                          timeout=30.0) as client:
            for path in shard:
                if deadline.over():
                    break
                latencies.append(get_variants(client, path))
        return latencies

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(worker, shards))
    wall = time.perf_counter() - began
    latencies = [x for shard in results for x in shard]
    return {**percentiles(latencies), "requests_per_s": len(latencies) / wall, "requests": len(latencies)}


class EventLedger:
    """What was sent: fresh event ids, and the impressions, clicks and conversions per variant."""

    def __init__(self, experiment_id: str):
        self.experiment_id = experiment_id
        self.sent: Counter[tuple[str, str]] = Counter()
        self.accepted = 0
        self.duplicates = 0
        self.errors: list[str] = []
        self._n = 0

    def make(self, count: int) -> list[dict[str, Any]]:
        events = []
        for _ in range(count):
            i, self._n = self._n, self._n + 1
            events.append({"event_id": f"ev-{i:08d}", "experiment_id": self.experiment_id,
                           "type": TYPES[i % len(TYPES)], "variant": VARIANTS[(i // len(TYPES)) % len(VARIANTS)]})
        return events

    def confirm(self, events: list[dict[str, Any]], answer: dict[str, int]) -> None:
        """Count a POST's events as sent once the server accepted it (called from one thread at a time)."""
        self.sent.update((e["variant"], e["type"]) for e in events)
        self.accepted += answer["accepted"]
        self.duplicates += answer["duplicates"]


def events_pass(server: Server, api_key: str, ledger: EventLedger, bodies: list[tuple[list[dict], Any]],
                clients: int, deadline: Deadline) -> dict[str, Any]:
    """POST every body (a batch or one event) over `clients` threads; events/s counts only accepted POSTs."""
    shards = [bodies[i::clients] for i in range(clients)]
    done: list[tuple[list[dict], dict[str, int]]] = []

    def worker(shard: list[tuple[list[dict], Any]]) -> list[float]:
        latencies = []
        with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {api_key}"},
                          timeout=60.0) as client:
            for events, body in shard:
                if deadline.over():
                    break
                began = time.perf_counter()
                try:
                    response = client.post("/v1/events", json=body)
                except httpx.HTTPError as exc:
                    ledger.errors.append(f"POST /v1/events: {type(exc).__name__}: {exc}")
                    continue
                latencies.append(time.perf_counter() - began)
                if response.status_code != 200:
                    ledger.errors.append(f"POST /v1/events: HTTP {response.status_code}: {response.text[:300]}")
                    continue
                done.append((events, response.json()))  # list.append is atomic under the GIL
        return latencies

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = [x for shard in pool.map(worker, shards) for x in shard]
    wall = time.perf_counter() - began
    for events, answer in done:
        ledger.confirm(events, answer)
    sent = sum(len(events) for events, _ in done)
    return {"events_per_s": sent / wall, "posts_per_s": len(done) / wall, "events": sent, "posts": len(done),
            **(percentiles(latencies) if len(latencies) > 1 else {})}


def check_counts(client: httpx.Client, ledger: EventLedger, resend: list[dict[str, Any]]) -> dict[str, Any]:
    """Send one batch again (all duplicates), then compare the experiment's counts with what was sent."""
    problems = list(ledger.errors[:5])
    if resend:
        answer = client.post("/v1/events", json={"events": resend})
        if answer.status_code != 200 or answer.json() != {"accepted": 0, "duplicates": len(resend), "late": 0}:
            problems.append(f"re-sent batch of {len(resend)}: HTTP {answer.status_code} {answer.text[:200]}")
    if ledger.accepted != sum(ledger.sent.values()) or ledger.duplicates:
        problems.append(f"server accepted {ledger.accepted} and called {ledger.duplicates} duplicates of "
                        f"{sum(ledger.sent.values())} fresh events")
    report = client.get(f"/v1/experiments/{ledger.experiment_id}")
    report.raise_for_status()
    counted = {(v["key"], kind): v[kind + "s"] for v in report.json()["variants"]
               for kind in ("impression", "click", "conversion")}
    for key in sorted(set(counted) | set(ledger.sent)):
        if counted.get(key, 0) != ledger.sent.get(key, 0):
            problems.append(f"{key[0]} {key[1]}s: server counts {counted.get(key, 0)}, sent {ledger.sent.get(key, 0)}")
    return {"pass": not problems, "sent": sum(ledger.sent.values()), "counted": sum(counted.values()),
            "problems": problems}


def create_experiment(client: httpx.Client) -> str:
    response = client.post("/v1/experiments", json={
        "name": "service bench", "sku": "BENCH-EXPERIMENT", "category": "Drinkware",
        "channel": Channel.EMAIL_SUBJECT.value, "allocation": "split",
        "variants": [{"key": key, "text": f"Subject line, {key} angle"} for key in VARIANTS]})
    if response.status_code != 201:
        raise RuntimeError(f"POST /v1/experiments: HTTP {response.status_code}: {response.text[:300]}")
    return response.json()["id"]


def median_of(passes: list[dict[str, Any]], *names: str) -> dict[str, float]:
    return {name: round(statistics.median(p[name] for p in passes), 2) for name in names if name in passes[0]}


def repeat(times: int, deadline: Deadline, run: Callable[[int], dict[str, Any]]) -> list[dict[str, Any]]:
    passes = []
    for r in range(times):
        if deadline.over():
            break
        passes.append(run(r))
    return passes


def safe_url(url: str | None) -> str | None:
    return sa.engine.make_url(url).render_as_string(hide_password=True) if url else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="variant GETs per pass (sequential and parallel)")
    parser.add_argument("--warmup", type=int, default=100, help="variant GETs before timing")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--events", type=int, default=10000, help="events sent in batches per pass")
    parser.add_argument("--batch", type=int, default=100, help="events per batched POST (at most 1000)")
    parser.add_argument("--single-events", type=int, default=400, help="single-event POSTs per pass")
    parser.add_argument("--skus", type=int, default=200, help="SKUs seeded with served copy")
    parser.add_argument("--repeats", type=int, default=3, help="passes per measurement; figures are medians")
    parser.add_argument("--database", help="service database URL (default: SQLite in the scratch home)")
    parser.add_argument("--max-seconds", type=float, default=300, help="stop sending after this long")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    parser.add_argument("--during-generation", action="store_true",
                        help="last, also time sequential /v1/variants while POST /v1/generate runs on the real "
                             "model, one request per generation slot (both cores busy)")
    args = parser.parse_args()
    if not 1 <= args.batch <= 1000 or min(args.requests, args.clients, args.repeats, args.skus) < 1:
        parser.error("--batch must be 1-1000; --requests, --clients, --repeats and --skus at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so a killed bench still stops its server
    say = (lambda line: print(line, file=sys.stderr)) if args.json else print
    began = time.perf_counter()
    deadline = Deadline(args.max_seconds)
    rng = random.Random(7)
    brand = f"bench-{uuid.uuid4().hex[:8]}"  # fresh per run, so a shared Postgres database does not mix runs
    with tempfile.TemporaryDirectory(prefix="copyloop-service-bench-") as scratch:
        home = Path(scratch) / "home"
        api_key = seed(args.database or default_url(home), brand, args.skus)
        with running_server(home, args.database, Path(scratch) / "server.log", wait_seconds=120,
                            model=args.during_generation) as server:
            try:
                figures = measure(server, api_key, args, rng, deadline, say)
            except Exception:
                print(f"server log (last lines):\n{server.log_tail()}", file=sys.stderr)
                raise
        figures["server"] |= {"startup_s": round(server.startup_seconds, 2),
                              "shutdown_s": round(server.shutdown_seconds, 2), "exit_code": server.exit_code,
                              "clean_shutdown": server.clean_shutdown()}
    figures["run"] = {"seconds": round(time.perf_counter() - began, 1), "cpus": os.cpu_count(),
                      "load_avg_1m": round(os.getloadavg()[0], 2), "database": safe_url(args.database) or "sqlite",
                      "deadline_hit": deadline.hit, **{k: getattr(args, k) for k in (
                          "requests", "clients", "events", "batch", "single_events", "skus", "repeats")}}
    table(figures, say)
    print(json.dumps(figures, separators=(",", ":")))
    if not figures["counts"]["pass"] or deadline.hit or not figures["server"]["clean_shutdown"]:
        sys.exit(1)


def measure(server: Server, api_key: str, args: argparse.Namespace, rng: random.Random, deadline: Deadline,
            say: Callable[[str], None]) -> dict[str, Any]:
    at_start = model_check(server)
    say(f"server up in {server.startup_seconds:.1f} s at {server.base_url}, RSS {at_start['rss_mb']:.0f} MB")
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {api_key}"},
                      timeout=30.0) as client:
        experiment_id = create_experiment(client)
        for path in variant_paths(args.warmup, args.skus, rng):
            get_variants(client, path)
    sequential = repeat(args.repeats, deadline, lambda r: variants_pass(
        server, api_key, variant_paths(args.requests, args.skus, rng), 1, deadline))
    say(f"variants, sequential: {[round(p['p99_ms'], 1) for p in sequential]} ms p99 per pass")
    parallel = repeat(args.repeats, deadline, lambda r: variants_pass(
        server, api_key, variant_paths(args.requests, args.skus, rng), args.clients, deadline))
    ledger = EventLedger(experiment_id)
    first_batch: list[dict[str, Any]] = []

    def batched(r: int) -> dict[str, Any]:
        sizes = [min(args.batch, args.events - i) for i in range(0, args.events, args.batch)]
        bodies = [(events, {"events": events}) for events in (ledger.make(n) for n in sizes)]
        if not first_batch and bodies:
            first_batch.extend(bodies[0][0])
        return events_pass(server, api_key, ledger, bodies, args.clients, deadline)

    def single(r: int) -> dict[str, Any]:
        bodies = [([event], event) for event in ledger.make(args.single_events)]
        return events_pass(server, api_key, ledger, bodies, args.clients, deadline)

    batches = repeat(args.repeats, deadline, batched)
    say(f"events, batches of {args.batch}: {[round(p['events_per_s']) for p in batches]} events/s per pass")
    singles = repeat(args.repeats, deadline, single) if args.single_events else []
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {api_key}"},
                      timeout=60.0) as client:
        counts = check_counts(client, ledger, first_batch)
    at_end = model_check(server)
    percentile_names = ("p50_ms", "p95_ms", "p99_ms")
    loaded = during_generation(server, api_key, args, rng, deadline, say) if args.during_generation else {}
    return {
        **({"variants_during_generation": loaded} if loaded else {}),
        "variants_sequential": median_of(sequential, *percentile_names, "requests_per_s"),
        "variants_parallel": {"clients": args.clients, **median_of(parallel, *percentile_names, "requests_per_s")},
        "events_batched": {"clients": args.clients, "batch": args.batch,
                           **median_of(batches, "events_per_s", "posts_per_s", *percentile_names)},
        "events_single": ({"clients": args.clients, **median_of(singles, "events_per_s", *percentile_names)}
                          if singles else {}),
        "counts": counts,
        "target": {"p99_ms": TARGET_P99_MS,
                   "met": bool(sequential) and statistics.median(p["p99_ms"] for p in sequential) <= TARGET_P99_MS},
        "server": {"rss_mb_start": at_start["rss_mb"], "rss_mb_end": at_end["rss_mb"],
                   "torch_loaded": at_end["torch_loaded"], "weights_mapped": at_end["weights_mapped"]},
    }


def during_generation(server: Server, api_key: str, args: argparse.Namespace, rng: random.Random,
                      deadline: Deadline, say: Callable[[str], None]) -> dict[str, Any]:
    """Sequential /v1/variants latency while POST /v1/generate requests run on the real model in the same server
    process: one per generation slot (default 2), each holding its HTTP request open until the copy is written."""
    brief = {"product_name": "Trail Bottle", "sku": "TB-750", "channel": "product_description",
             "features": ["keeps drinks cold 24h", "750 ml"], "price": 29}
    statuses: list[int] = []

    def post_generate() -> None:
        with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {api_key}"},
                          timeout=900.0) as client:
            statuses.append(client.post("/v1/generate", json={"brief": brief}).status_code)

    generations = [threading.Thread(target=post_generate, daemon=True) for _ in range(GENERATIONS_AT_ONCE)]
    for thread in generations:
        thread.start()
    time.sleep(5)  # past the requests' admission, into the generations themselves
    figures = variants_pass(server, api_key, variant_paths(args.requests, args.skus, rng), 1, deadline)
    still_running = sum(thread.is_alive() for thread in generations)
    for thread in generations:
        thread.join()
    say(f"variants during generation: p99 {figures['p99_ms']:.1f} ms ({still_running} of {len(generations)} "
        f"POST /v1/generate still running at the end; their statuses {statuses})")
    return {**{k: round(figures[k], 2) for k in ("p50_ms", "p95_ms", "p99_ms", "requests_per_s")},
            "generations_running_at_end": still_running, "generate_statuses": statuses}


def table(f: dict[str, Any], say: Callable[[str], None]) -> None:
    run, server, counts = f["run"], f["server"], f["counts"]
    say(f"\ncopyloop service on {HOST}, {run['database']}, {run['cpus']} cpus (load {run['load_avg_1m']}), "
        f"medians of {run['repeats']} passes, {run['seconds']} s in all")
    say(f"{'measurement':<36} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'rate':>16}")
    rows = [(f"GET /v1/variants, 1 client x {run['requests']}", f["variants_sequential"], "requests_per_s", "req/s"),
            (f"GET /v1/variants, {run['clients']} clients", f["variants_parallel"], "requests_per_s", "req/s"),
            (f"POST /v1/events, batches of {run['batch']}", f["events_batched"], "events_per_s", "events/s"),
            (f"POST /v1/events, single, {run['clients']} cl.", f["events_single"], "events_per_s", "events/s"),
            ("GET /v1/variants, during generation", f.get("variants_during_generation"), "requests_per_s", "req/s")]
    for name, row, rate, unit in rows:
        if row:
            cells = [f"{row.get(p, float('nan')):8.1f}" for p in ("p50_ms", "p95_ms", "p99_ms")]
            say(f"{name:<36} {' '.join(cells)} {row[rate]:>9.0f} {unit:<6}")
    target = f["target"]
    say(f"variants p99 target <= {target['p99_ms']:.0f} ms (sequential): {'met' if target['met'] else 'NOT met'}")
    say(f"event counts: {'PASS' if counts['pass'] else 'FAIL'} ({counts['counted']} counted, {counts['sent']} sent"
        + (", " + "; ".join(counts["problems"]) if counts["problems"] else "") + ")")
    say(f"server: up in {server['startup_s']} s, RSS {server['rss_mb_start']:.0f} -> {server['rss_mb_end']:.0f} MB, "
        f"torch loaded: {server['torch_loaded']}, model weights mapped: {len(server['weights_mapped'])}; "
        f"stopped in {server['shutdown_s']} s ({'clean' if server['clean_shutdown'] else 'NOT clean'}, "
        f"exit code {server['exit_code']})")
    if run["deadline_hit"]:
        say("stopped early: --max-seconds reached; figures cover only what was sent")


if __name__ == "__main__":
    main()
