"""Two `copyloop serve` processes on one Postgres and one Chroma server, as behind a load balancer.

What one server writes into the copy memory (an experiment's conclusion) is what the other reads for exemplars,
novelty and `/v1/memory`; a job taken by one is finished by the other after the first is killed. Each server has a
home of its own, so nothing can pass between them through a local folder. Runs the real SmolLM2 model.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.postgres import database
from tests.servers import copyloop_server, free_port, wait_for

pytestmark = pytest.mark.model

WINNER, LOSER = "Cold for 24 hours, wherever the trail goes.", "A bottle for hikers."
EXPERIMENT = {"name": "trail bottle subject", "sku": "TB-750", "category": "Drinkware", "channel": "email_subject",
              "variants": [{"key": "cold", "text": WINNER}, {"key": "plain", "text": LOSER}]}
BRIEF = {"product_name": "Trail Bottle", "sku": "TB-750", "category": "Drinkware", "channel": "email_subject",
         "features": ["keeps drinks cold 24h", "750 ml"], "price": 29, "audience": "hikers", "n_variants": 3}


@pytest.fixture
def database_url(postgres_url: str) -> Iterator[str]:
    """A database of this test's own, so no other test's jobs or events are in it."""
    with database(postgres_url) as url:
        yield url


def test_two_servers_share_memory_and_jobs(tmp_path: Path, database_url: str, chroma_url: str) -> None:
    key = json.loads(subprocess.run(
        [sys.executable, "-m", "copyloop", "keys", "create", "--brand", "Acme", "--json", "--database", database_url,
         "--home", str(tmp_path)], capture_output=True, text=True, timeout=120, check=True).stdout)
    headers = {"X-API-Key": key["api_key"]}
    env = {"COPYLOOP_MEMORY_URL": chroma_url, "COPYLOOP_JOB_LEASE_SECONDS": "3"}
    homes = [tmp_path / "one", tmp_path / "two"]
    for home in homes:
        home.mkdir()
    ports = [free_port(), free_port()]
    one, two = (httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) for port in ports)
    with copyloop_server(homes[0], ports[0], "--database", database_url, env=env) as first, \
            copyloop_server(homes[1], ports[1], "--database", database_url, env=env) as second:
        experiment = one.post("/v1/experiments", json=EXPERIMENT).json()["id"]
        events = [{"event_id": f"e{i}", "experiment_id": experiment, "type": kind, "variant": variant}
                  for i, (kind, variant) in enumerate([("impression", "cold")] * 40 + [("click", "cold")] * 6
                                                      + [("impression", "plain")] * 40 + [("click", "plain")])]
        assert one.post("/v1/events", json={"events": events}).status_code == 200
        assert one.post(f"/v1/experiments/{experiment}/conclude", json={"winner": "cold"}).status_code == 200

        exemplars = two.get("/v1/memory", params={"channel": "email_subject", "category": "Drinkware"}).json()
        assert [(r["text"], r["impressions"], r["clicks"]) for r in exemplars["records"]] == [(WINNER, 40, 6)]
        assert {r["text"] for r in two.get("/v1/memory").json()["records"]} == {WINNER, LOSER}

        second.send_signal(signal.SIGSTOP)  # so the job is surely taken by the first server
        try:
            job = one.post("/v1/jobs", json={"brief": BRIEF}).json()["id"]
            wait_for(lambda: one.get(f"/v1/jobs/{job}").json()["status"] == "running", 120, "the first to start it")
        finally:
            second.send_signal(signal.SIGCONT)
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        done = wait_for(lambda: (j := two.get(f"/v1/jobs/{job}").json())["status"] in ("succeeded", "failed") and j,
                        900, "the second server to finish the job")
    assert done["status"] == "succeeded" and done["runs"] == 2, done
    shipped = [v for v in done["result"]["variants"] if v["status"] == "ok"]
    assert shipped
    # Novelty is 1.0 exactly when the brand's memory holds nothing; the second server saw the first's conclusion.
    assert min(v["scores"]["novelty"] for v in shipped) < 1.0
