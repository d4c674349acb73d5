"""Real loopback servers for service tests: the copyloop app on uvicorn or as `copyloop serve`, and a webhook
receiver that records."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Run an ASGI app on uvicorn in a thread on 127.0.0.1; yields its base URL; stops it on exit."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class Received:
    """One webhook delivery as the receiver saw it."""

    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook endpoint: answers each POST with `status(n)` for the n-th delivery (0-based), records it."""

    url: str
    received: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def record(self, delivery: Received) -> None:
        with self.arrived:
            self.received.append(delivery)
            self.arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Received]:
        """The deliveries so far, once there are `count` of them (or `timeout` seconds have passed)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)


@contextmanager
def webhook_receiver(status: Callable[[int], int] = lambda _n: 200) -> Iterator[Receiver]:
    """A threading HTTP server on 127.0.0.1 that records every POST."""
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            code = status(len(receiver.received))
            receiver.record(Received({k: v for k, v in self.headers.items()}, body))
            self.send_response(code)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        httpd.shutdown()
        thread.join(5)


@contextmanager
def copyloop_server(home: Path, port: int, *options: str, env: dict[str, str] | None = None,
                    startup_seconds: float = 120) -> Iterator[subprocess.Popen]:
    """`copyloop serve` as a user runs it: a subprocess on 127.0.0.1:`port` with `home`, logging into it; yields
    once /healthz answers; terminated on exit unless the test already killed it."""
    log = (home / f"server-{port}-{time.monotonic_ns()}.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "copyloop", "serve", "--port", str(port), "--home", str(home),
                                *options], env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process, Path(log.name), startup_seconds)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(30)
        log.close()


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `check` until it returns something truthy (returned), failing with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def wait_for_delivery(job: Callable[[], dict[str, Any]], timeout: float = 60.0) -> dict[str, Any]:
    """The job (as `job()` reads it from the API) once its webhook delivery is no longer pending; a timeout names
    the attempts made and the last delivery error, so a failure says why it was not delivered."""
    deadline = time.monotonic() + timeout
    while True:
        seen = job()
        if seen["delivery"] != "pending":
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"the delivery was not recorded within {timeout:.0f} s: "
                                 f"{seen['delivery_attempts']} attempts, last error {seen['delivery_error']!r}")
        time.sleep(0.25)


def wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float) -> None:
    """Poll `url` until it answers 200; a server that exits or never answers fails with the end of its log."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{' '.join(map(str, process.args))} did not answer {url}:\n"
                               f"{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


def sse_events(text: str) -> list[tuple[str, Any]]:
    """(event, data) for each event of a text/event-stream body; comment lines (keep-alive pings) are skipped."""
    found = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith(":")]
        if lines:
            fields = dict(line.split(": ", 1) for line in lines)
            found.append((fields["event"], json.loads(fields["data"])))
    return found
