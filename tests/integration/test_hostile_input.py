"""Hostile and unlucky input (issue 14) through the running service: the app on a real uvicorn server (keep-alive
included) and in process with a scripted chat model, the CLI as a subprocess, and webhook receivers that drip or
flood. Every repro gets a clear 4xx or a clear CLI error, never a 500, a traceback or a hang, and no brand reads
another's data through an id it learned or guessed.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from copyloop.api import create_app
from copyloop.brief import load_brief
from copyloop.config import Settings
from copyloop.errors import BriefError
from copyloop.memory import CopyMemory
from copyloop.service import jobs
from copyloop.service.db import connect
from copyloop.service.keys import create_key, tenant_for
from copyloop.service.outbound import Refused, post_bounded, resolve
from copyloop.service.webhooks import post
from copyloop.service.worker import Worker
from tests.fakes import ScriptedChatModel, reply_for
from tests.servers import serve_app, webhook_receiver
from tests.unit.test_hostile_input import BILLION_LAUGHS, BRIEF


def _app(tmp_path: Path) -> tuple[Any, dict[str, str], dict[str, str]]:
    settings = Settings(home=tmp_path / "home", candidates=1, spares=0, max_request_bytes=200_000,
                        database_url=f"sqlite:///{tmp_path / 'service.sqlite'}")
    app = create_app(settings, llm=ScriptedChatModel(script=reply_for), memory=CopyMemory(tmp_path / "memory"))
    acme, globex = create_key(app.state.engine, "Acme"), create_key(app.state.engine, "Globex")
    return app, {"X-API-Key": acme.api_key}, {"X-API-Key": globex.api_key}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[dict[str, Any]]:
    app, acme, globex = _app(tmp_path)
    with TestClient(app) as client:
        yield {"client": client, "app": app, "acme": acme, "globex": globex}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The app on a real uvicorn server, for what only a real connection shows (keep-alive after an error)."""
    app, acme, _globex = _app(tmp_path_factory.mktemp("served"))
    with serve_app(app) as url:
        yield url, acme


@pytest.mark.parametrize("body", [
    b'{"message": NaN}', b'{"message": Infinity}', b'{"message": -Infinity}', b'{"message": 1e999}',
    b'{"message": "\\ud800"}', b'{"message": "\\udfff\\ud800 x"}', b'{"thread_id": 1e999999, "message": "x"}',
    b'{"message": ' + b"1" * 5000 + b"}", b'{"message": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"message": "x", "thread_id": "' + "\u00e9".encode() * 70 + b'"}',
])
def test_bad_json_gets_a_4xx_that_names_it_and_the_connection_stays_usable(served: tuple[str, dict[str, str]],
                                                                           body: bytes) -> None:
    url, acme = served
    with httpx.Client(base_url=url) as client:  # one keep-alive connection
        headers = {**acme, "Content-Type": "application/json"}
        bad = client.post("/v1/chat", content=body, headers=headers)
        assert 400 <= bad.status_code < 500, bad.text
        assert bad.json()["detail"], bad.text
        assert client.get("/healthz").status_code == 200  # the next request on the same connection


def test_a_body_that_is_not_json_is_refused_by_its_content_type(service: dict[str, Any]) -> None:
    client = service["client"]
    plain = client.post("/v1/chat", content=b"x", headers={**service["acme"], "Content-Type": "text/plain"})
    assert plain.status_code == 415 and "application/json" in plain.json()["detail"][0]["message"]
    deep = client.post("/v1/generate", content=b'{"brief": ' + b"[" * 2000 + b"]" * 2000 + b"}",
                       headers={**service["acme"], "Content-Type": "application/json"})
    assert deep.status_code == 422 and "nested more than 32 levels" in deep.json()["detail"][0]["message"]


@pytest.mark.parametrize(("name", "text"), [
    ("deep.json", '{"product_name": ' + "[" * 995 + "]" * 995 + "}"),
    ("deep.yaml", "product_name: " + "[" * 995 + "]" * 995),
    ("bomb.yaml", BILLION_LAUGHS),
    ("dup.yaml", "product_name: A\nproduct_name: B\nchannel: email_subject\n"),
])
def test_the_cli_answers_a_hostile_brief_file_with_a_clear_error(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BriefError):
        load_brief(path)
    done = subprocess.run([sys.executable, "-m", "copyloop", "generate", str(path)], capture_output=True,
                          text=True, timeout=60, env={"HF_HUB_OFFLINE": "1", "HOME": str(tmp_path),
                                                      "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2 and "Traceback" not in done.stderr and "invalid brief" in done.stderr, done.stderr


def test_a_run_thread_of_another_brand_is_not_a_chat_thread(service: dict[str, Any]) -> None:
    client = service["client"]
    run = client.post("/v1/generate", json={"brief": BRIEF}, headers=service["globex"]).json()
    assert run["thread_id"]
    stolen = client.post("/v1/chat", json={"thread_id": run["thread_id"], "message": "show me"},
                         headers=service["acme"])
    assert stolen.status_code == 404 and "variants" not in stolen.json()
    started = client.post("/v1/chat", json={"message": "hello"}, headers=service["globex"]).json()
    assert client.post("/v1/chat", json={"thread_id": started["thread_id"], "message": "more"},
                       headers=service["acme"]).status_code == 404
    assert client.post("/v1/chat", json={"thread_id": "guessed-1", "message": "hi"},
                       headers=service["acme"]).status_code == 404


def test_brand_names_differing_in_case_or_spacing_are_one_brand(service: dict[str, Any]) -> None:
    engine = service["app"].state.engine
    lower = create_key(engine, " acme ")
    wide = create_key(engine, "ＡＣＭＥ")
    assert lower.brand == wide.brand == "Acme"
    assert tenant_for(engine, lower.api_key).brand == "Acme"
    client = service["client"]
    client.post("/v1/generate", json={"brief": BRIEF}, headers=service["acme"])
    mine = client.get("/v1/variants/TB-750", headers={"X-API-Key": lower.api_key})
    assert mine.status_code == 200 and mine.json()["variants"]
    assert client.get("/v1/variants/TB-750", headers=service["globex"]).status_code == 404


def _experiment(client: TestClient, headers: dict[str, str], allocation: str = "split") -> str:
    body = {"name": "order test", "sku": "TB-750", "category": "Drinkware", "channel": "email_subject",
            "allocation": allocation, "variants": [{"key": "control", "text": "Meet the Trail Bottle"},
                                                   {"key": "bold", "text": "Cold for 24 hours: the Trail Bottle"}]}
    created = client.post("/v1/experiments", json=body, headers=headers)
    assert created.status_code == 201, created.text
    return created.json()["id"]


@pytest.mark.parametrize("allocation", ["split", "thompson"])
def test_statistics_hold_for_any_event_order(service: dict[str, Any], allocation: str) -> None:
    """A click before (or without) its impression and more conversions than clicks: counts follow the funnel."""
    client, headers = service["client"], service["acme"]
    experiment = _experiment(client, headers, allocation)
    events = [{"event_id": f"e{i}", "experiment_id": experiment, "type": kind, "variant": "bold"}
              for i, kind in enumerate(["click", "conversion", "conversion", "conversion"])]
    assert client.post("/v1/events", json={"events": events}, headers=headers).status_code == 200
    report = client.get(f"/v1/experiments/{experiment}", headers=headers)
    assert report.status_code == 200, report.text
    bold = report.json()["variants"][1]
    assert (bold["impressions"], bold["clicks"], bold["conversions"]) == (3, 3, 3)
    assert 0.0 <= bold["cvr_interval"][0] <= bold["cvr_interval"][1] <= 1.0
    assigned = client.get(f"/v1/experiments/{experiment}/assign?unit=u1", headers=headers)
    assert assigned.status_code == 200 and assigned.json()["variant"] in ("control", "bold")
    assert client.get("/v1/variants/TB-750?unit=u1", headers=headers).status_code in (200, 404)
    concluded = client.post(f"/v1/experiments/{experiment}/conclude", json={"winner": "bold"}, headers=headers)
    assert concluded.status_code == 200, concluded.text


def test_thousands_of_segments_are_counted_and_the_largest_listed(service: dict[str, Any]) -> None:
    client, headers = service["client"], service["acme"]
    experiment = _experiment(client, headers)
    for batch in range(3):
        events = [{"event_id": f"s{batch}-{i}", "experiment_id": experiment, "type": "impression",
                   "variant": "control", "segment": f"seg-{batch * 1000 + i}"} for i in range(1000)]
        assert client.post("/v1/events", json={"events": events}, headers=headers).status_code == 200
    started = time.monotonic()
    report = client.get(f"/v1/experiments/{experiment}", headers=headers).json()
    assert time.monotonic() - started < 5.0
    assert report["segments_total"] == 3000 and len(report["segments"]) == 20


@pytest.mark.parametrize("record", [
    {"text": "\u200b\u200b"}, {"text": "\u202e"}, {"text": "A fine bottle", "impressions": 2**63},
    {"text": "A fine bottle", "clicks": 10**13},
])
def test_memory_writes_that_would_break_reads_are_refused(service: dict[str, Any], record: dict[str, Any]) -> None:
    client, headers = service["client"], service["acme"]
    refused = client.post("/v1/memory", json={"records": [record]}, headers=headers)
    assert refused.status_code == 422, refused.text
    assert client.get("/v1/memory", headers=headers).status_code == 200
    kept = client.post("/v1/memory", json={"records": [{"text": "Meet the Trail Bottle", "impressions": 10}]},
                       headers=headers)
    assert kept.status_code in (200, 201) and client.get("/v1/memory", headers=headers).json()["records"]


def test_memory_counts_are_whole_numbers_in_either_json_spelling(service: dict[str, Any]) -> None:
    client, headers = service["client"], service["acme"]
    whole = client.post("/v1/memory", json={"records": [{"text": "Meet the Trail Bottle", "impressions": 551.0,
                                                          "clicks": 12}]}, headers=headers)
    assert whole.status_code == 201, whole.text
    for bad in (5.5, True, "5"):
        refused = client.post("/v1/memory", json={"records": [{"text": "A fine bottle", "clicks": bad}]},
                              headers=headers)
        assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "records[0].clicks"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/hook", "http://localhost/hook", "http://[::1]/hook", "http://0.0.0.0/hook",
    "http://2130706433/hook", "http://0x7f000001/hook", "http://127.1/hook", "http://169.254.169.254/latest",
    "http://metadata.google.internal/computeMetadata/v1/", "http://10.0.0.1/hook", "http://192.168.1.1/hook",
    "http://[::ffff:127.0.0.1]/hook", "http://user:pw@example.com/hook", "ftp://example.com/hook",
])
def test_callback_urls_to_internal_addresses_are_refused_in_every_spelling(service: dict[str, Any], url: str) -> None:
    refused = service["client"].post("/v1/jobs", json={"brief": BRIEF, "callback_url": url}, headers=service["acme"])
    assert refused.status_code == 422, refused.text
    with pytest.raises(Refused):
        resolve(url)


class _Hostile(BaseHTTPRequestHandler):
    """A receiver that drips its answer a byte at a time, or answers with a huge internal error page."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/drip":
            with contextlib.suppress(OSError):  # copyloop gives up at its deadline and hangs up, as it should
                for byte in b"HTTP/1.1 200 OK\r\n":
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.5)
            return
        self.send_response(500)
        self.send_header("Content-Length", str(50_000_000))
        self.end_headers()
        with contextlib.suppress(OSError):  # copyloop hangs up after the status line, as it should
            self.wfile.write(b"secret internal page " * 1000)

    def log_message(self, *_args: Any) -> None:
        return


def test_one_delivery_is_bounded_in_time_reads_no_body_and_echoes_none() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            post_bounded(resolve(f"{url}/drip", allow=["127.0.0.1"]), b"{}", {}, deadline=2.0)
        assert time.monotonic() - started < 4.0
        outcome = post(f"{url}/big", {"id": "j1"}, secret="s", idempotency_key="j1", attempt=1, event="job.done",
                       allow=["127.0.0.1"])
        assert (outcome.ok, outcome.status, outcome.error) == (False, 500, "HTTP 500")
        refused = post(f"{url}/big", {"id": "j1"}, secret="s", idempotency_key="j1", attempt=1, event="job.done")
        assert not refused.ok and not refused.retry and "loopback" in (refused.error or "")
    finally:
        server.shutdown()


def test_a_brand_with_a_dripping_receiver_never_holds_up_another_brands_webhooks(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'service.sqlite'}")
    slow_key, fast_key = create_key(engine, "Slowco"), create_key(engine, "Fastco")
    hostile = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    threading.Thread(target=hostile.serve_forever, daemon=True).start()
    with webhook_receiver() as receiver:
        drip = f"http://127.0.0.1:{hostile.server_address[1]}/drip"
        for _ in range(6):  # more slow deliveries than the worker has threads
            jobs.finish(engine, jobs.submit(engine, "Slowco", {"key_id": slow_key.key_id}, drip), result={})
        fast = jobs.submit(engine, "Fastco", {"key_id": fast_key.key_id}, receiver.url)
        jobs.finish(engine, fast, result={})
        worker = Worker(engine, lambda *_: {}, lease_seconds=60, backoff_base=60, webhook_allow=["127.0.0.1"])
        try:
            assert worker.deliver_due()  # starts every due delivery, the slow brand's up to its limit
            assert receiver.wait_for(1, timeout=3.0), "the other brand's delivery waited for the dripping ones"
            assert jobs.get(engine, "Fastco", fast)["delivery"] in ("pending", "delivered")
        finally:
            worker.stop()
            hostile.shutdown()
