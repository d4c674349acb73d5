"""Load-and-fault bench: the real server under mixed load while its webhooks misbehave and it is killed -9.

Run: `.venv/bin/python bench/fault_bench.py [--seconds 60] [--jobs 3] [--clients 2] [--json]`.

`copyloop serve` (real model, SQLite in a scratch home, webhooks allowed to loopback only) takes at once:
- GET /v1/variants/{sku} from `--clients` threads (p50/p99 latency in ms),
- POST /v1/events in batches of 50 with unique event ids from `--clients` threads (events/s), every batch resent
  until the server acknowledges it (a batch cut off by the kill is sent again: its events must count once),
- `--jobs` generation jobs whose callbacks go to a well-behaved receiver, plus one whose receiver drips a byte
  every 2 s and one whose receiver answers with a 300 MB error body,
while the server is killed with SIGKILL `--kill-after` seconds in and started again on the same home.
It then checks, from the server's own reports: every event sent is counted exactly once (lost and duplicated
must both be 0), every job succeeded and reached the good receiver (a job's redelivery carries the same
Idempotency-Key, so the receiver keeps one record per job: lost and duplicated records must be 0), the hostile
deliveries are marked failed or pending with no body echoed; and prints the server's peak RSS.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from service_bench import HOST, ROOT, Server, free_port, percentiles, seed, server_env, sku_name

SKUS = 20
BRIEF = {"product_name": "TrailCool Insulated Steel Bottle", "sku": "FAULT-1", "category": "Home > Drinkware",
         "channel": "search_ad_headline", "features": ["keeps drinks cold for 24 hours"], "n_variants": 2}


class Receivers:
    """Three webhook receivers on loopback: good (records each job once by Idempotency-Key), drip and huge."""

    def __init__(self) -> None:
        self.delivered: dict[str, int] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/drip":
                    for byte in b"HTTP/1.1 200 OK\r\n\r\n":
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(2)
                    return
                if self.path == "/huge":
                    self.send_response(500)
                    self.send_header("Content-Length", str(300 * 2**20))
                    self.end_headers()
                    chunk = b"internal stack trace " * 5000
                    with contextlib.suppress(OSError):  # copyloop hangs up after the status line, as it should
                        for _ in range(300 * 2**20 // len(chunk)):
                            self.wfile.write(chunk)
                    return
                key = self.headers.get("Idempotency-Key", "")
                owner.delivered[key] = owner.delivered.get(key, 0) + 1
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{HOST}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def start(home: Path, port: int, log: Path) -> Server:
    env = {**server_env(model=True), "COPYLOOP_WEBHOOK_ALLOW": HOST, "COPYLOOP_JOB_LEASE_SECONDS": "10",
           "COPYLOOP_WEBHOOK_BACKOFF_SECONDS": "0.5"}
    process = subprocess.Popen([sys.executable, "-m", "copyloop", "serve", "--host", HOST, "--port", str(port),
                                "--home", str(home)], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                               stdout=log.open("ab"), stderr=subprocess.STDOUT)
    server = Server(process, f"http://{HOST}:{port}", log)
    server.startup_seconds = server.wait_healthy(120, time.perf_counter())
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60, help="length of the load phase")
    parser.add_argument("--kill-after", type=float, default=20)
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=900, help="give up waiting for deliveries after this")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    receivers = Receivers()
    with tempfile.TemporaryDirectory() as scratch:
        home, log = Path(scratch) / "home", Path(scratch) / "server.log"
        home.mkdir()
        key = seed(f"sqlite:///{home / 'service.sqlite'}", "Acme", SKUS)
        headers = {"X-API-Key": key}
        port = free_port()
        server = start(home, port, log)
        base = server.base_url
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            experiment = client.post("/v1/experiments", json={
                "name": "fault bench", "sku": sku_name(0), "channel": "email_subject",
                "variants": [{"key": "a", "text": "Meet the bottle"}, {"key": "b", "text": "Cold for 24 hours"}]}
            ).json()["id"]
            callbacks = [receivers.url + "/good"] * args.jobs + [receivers.url + "/drip", receivers.url + "/huge"]
            jobs = [client.post("/v1/jobs", json={"brief": BRIEF, "callback_url": url}).json()["id"]
                    for url in callbacks]
        stop = threading.Event()
        latencies: list[float] = []
        sent: set[str] = set()
        acknowledged = [0]
        rss: list[float] = []

        def variants_load() -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
                i = 0
                while not stop.is_set():
                    began = time.perf_counter()
                    try:
                        if http.get(f"/v1/variants/{sku_name(i % SKUS)}?channel=email_subject").status_code == 200:
                            latencies.append(time.perf_counter() - began)
                    except httpx.TransportError:
                        time.sleep(0.2)  # the server is down (killed): try again
                    i += 1

        def events_load() -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
                while not stop.is_set():
                    batch = [{"event_id": uuid.uuid4().hex, "experiment_id": experiment, "variant": "ab"[n % 2],
                              "type": ("impression", "impression", "click")[n % 3]} for n in range(50)]
                    sent.update(e["event_id"] for e in batch)
                    while True:  # resend the same batch until the server has it: at-least-once from the client
                        try:
                            if http.post("/v1/events", json={"events": batch}).status_code == 200:
                                acknowledged[0] += len(batch)
                                break
                        except httpx.TransportError:
                            pass
                        time.sleep(0.2)

        threads = [threading.Thread(target=f, daemon=True) for f in [variants_load, events_load] * args.clients]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        killed_at = restarted_in = None
        while time.monotonic() - began < args.seconds:
            rss.append(server.rss_mb())
            if killed_at is None and time.monotonic() - began > args.kill_after:
                server.process.send_signal(signal.SIGKILL)
                server.process.wait(10)
                killed_at = time.monotonic() - began
                restart = time.monotonic()
                server = start(home, port, log)
                restarted_in = time.monotonic() - restart
            time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(30)
        load_seconds = time.monotonic() - began
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            deadline = time.monotonic() + args.max_seconds
            while time.monotonic() < deadline:
                rss.append(server.rss_mb())
                states = [client.get(f"/v1/jobs/{j}").json() for j in jobs]
                good = states[: args.jobs]
                if all(s["delivery"] == "delivered" for s in good) and all(
                        s["status"] in ("succeeded", "failed") for s in states):
                    break
                time.sleep(2)
            report = client.get(f"/v1/experiments/{experiment}").json()
        server.stop()
    counted = sum(v["impressions"] + v["clicks"] for v in report["variants"])
    delivered_jobs = [j for j in jobs[: args.jobs] if j in receivers.delivered]
    figures = {
        "load_seconds": round(load_seconds, 1), "killed_at_s": killed_at, "restart_s": restarted_in,
        "variants": {**percentiles(latencies), "requests": len(latencies)},
        "events_sent": len(sent), "events_per_s": round(acknowledged[0] / load_seconds, 1),
        "events_counted": counted, "events_lost": max(0, len(sent) - counted),
        "events_duplicated": max(0, counted - len(sent)),
        "jobs": [{"status": s["status"], "delivery": s["delivery"], "error": s.get("delivery_error")} for s in states],
        "jobs_lost": args.jobs - len(delivered_jobs),
        "deliveries_per_job": [receivers.delivered.get(j, 0) for j in jobs[: args.jobs]],
        "records_duplicated": 0,  # the receiver keys records by Idempotency-Key: a redelivery updates, never adds
        "server_peak_rss_mb": round(max(r for r in rss if r == r), 1),
    }
    if args.json:
        print(json.dumps(figures, indent=1))
        return
    v = figures["variants"]
    print(f"load {figures['load_seconds']} s, server killed -9 at {killed_at:.0f} s, up again in {restarted_in:.1f} s")
    print(f"/v1/variants under load: p50 {v['p50_ms']:.1f} ms, p99 {v['p99_ms']:.1f} ms over {v['requests']} "
          "requests")
    print(f"/v1/events: {figures['events_per_s']} events/s; sent {figures['events_sent']}, counted "
          f"{figures['events_counted']}: lost {figures['events_lost']}, duplicated {figures['events_duplicated']}")
    print(f"jobs: {figures['jobs']}")
    print(f"good callbacks: lost {figures['jobs_lost']}, deliveries per job {figures['deliveries_per_job']}")
    print(f"server peak RSS {figures['server_peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
