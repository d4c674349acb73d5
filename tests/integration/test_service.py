"""`copyloop serve` as a user runs it — a subprocess on loopback with the real SmolLM2 model — killed mid-job.

The restarted server finishes the job and delivers its webhook at least once, every delivery signed and carrying
the same idempotency key. The synchronous generate and chat endpoints run on the real model too.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest

from copyloop.service.webhooks import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.servers import copyloop_server, free_port, wait_for, webhook_receiver

pytestmark = pytest.mark.model

BRIEF = {"product_name": "Trail Bottle", "sku": "TB-750", "category": "Drinkware", "channel": "email_subject",
         "features": ["keeps drinks cold 24h", "750 ml"], "price": 29, "audience": "hikers"}


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "copyloop", *args, "--home", str(home)], capture_output=True,
                          text=True, timeout=120, check=True)


def server(home: Path, port: int) -> AbstractContextManager[subprocess.Popen]:
    """`copyloop serve` with a short job lease, so a restart takes over a killed server's job within seconds."""
    return copyloop_server(home, port, env={
        "COPYLOOP_JOB_LEASE_SECONDS": "3", "COPYLOOP_WEBHOOK_BACKOFF_SECONDS": "0.2",
        "COPYLOOP_WEBHOOK_ALLOW": "127.0.0.1"})  # the test receiver is on loopback


def test_killed_mid_job_the_restarted_server_finishes_and_delivers(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    key = json.loads(cli(home, "keys", "create", "--brand", "Acme", "--json").stdout)
    headers = {"X-API-Key": key["api_key"]}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with webhook_receiver(status=lambda n: 503 if n == 0 else 200) as receiver:
        with server(home, port) as first:
            job = httpx.post(f"{base}/v1/jobs", json={"brief": BRIEF, "callback_url": receiver.url},
                             headers=headers, timeout=30).json()["id"]
            wait_for(lambda: httpx.get(f"{base}/v1/jobs/{job}", headers=headers).json()["status"] == "running", 120,
                     "the job to start")
            first.send_signal(signal.SIGKILL)  # mid-generation: the model takes far longer than one status poll
            first.wait(30)
        assert receiver.received == []
        with server(home, port):
            done = wait_for(lambda: (j := httpx.get(f"{base}/v1/jobs/{job}", headers=headers).json())["delivery"]
                            == "delivered" and j, 600, "the job to finish and its webhook to be delivered")
            deliveries = receiver.wait_for(2, timeout=10)
    assert done["status"] == "succeeded" and done["runs"] == 2, done
    assert len(deliveries) >= 2, "the first delivery was answered 503 and must be retried"
    assert {d.headers[IDEMPOTENCY_HEADER] for d in deliveries} == {job}
    for delivery in deliveries:
        assert verify(key["webhook_secret"], delivery.body, delivery.headers[TIMESTAMP_HEADER],
                      delivery.headers[SIGNATURE_HEADER])
    result = deliveries[-1].json["result"]
    assert result["model"].startswith("SmolLM2") and result["brief"]["brand"] == "Acme"
    shippable = [v for v in result["variants"] if v["status"] == "ok"]
    assert shippable and all(v["text"].strip() for v in shippable)


def test_generate_chat_and_variants_on_the_real_model(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    key = json.loads(cli(home, "keys", "create", "--brand", "Acme", "--json").stdout)
    port = free_port()
    with server(home, port), httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600,
                                          headers={"Authorization": f"Bearer {key['api_key']}"}) as http:
        result = http.post("/v1/generate", json={"brief": BRIEF}).json()
        shippable = [v for v in result["variants"] if v["status"] == "ok"]
        assert shippable and [v["rank"] for v in shippable] == list(range(1, len(shippable) + 1))
        assert all(0 < v["scores"]["predicted_ctr"] < 10 for v in shippable)
        served = http.get("/v1/variants/TB-750", params={"channel": "email_subject"}).json()
        assert [v["text"] for v in served["variants"]] == [v["text"] for v in shippable]

        chat = http.post("/v1/chat", json={"message": "Write 2 email subject lines for the Ridge Mug, a 350 ml "
                                                      "enamel camping mug, $18"}).json()
        assert chat["thread_id"] and chat["reply"].strip()
        assert chat["fields"]["product_name"].lower().startswith("ridge mug")
        assert len(chat["variants"]) >= 1
        follow = http.post("/v1/chat", json={"thread_id": chat["thread_id"], "message": "approve #1"}).json()
        assert "Approved #1" in follow["reply"]
