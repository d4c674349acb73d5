"""The copy workflow behind the LangGraph API: `langgraph dev` loads `langgraph.json` and runs a brief sent as JSON
on the real model, as LangGraph Studio and the LangGraph SDK do (a minute or two)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from copyloop.brief import Brief
from copyloop.tools.sense.checks import sense_findings
from tests.servers import free_port

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "langgraph"


def post(url: str, body: dict, timeout: float) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`langgraph dev` on loopback, from the repository root as a developer starts it; yields its base URL."""
    home = tmp_path_factory.mktemp("langgraph")
    port = free_port()
    env = {**os.environ, "COPYLOOP_HOME": str(home / "copyloop"), "HF_HUB_OFFLINE": "1",
           "ANONYMIZED_TELEMETRY": "False", "LANGSMITH_TRACING": "false"}
    log = (home / "server.log").open("w")
    process = subprocess.Popen([str(CLI), "dev", "--host", "127.0.0.1", "--port", str(port), "--no-browser",
                                "--no-reload"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/ok", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("langgraph dev did not start:\n" +
                                       (home / "server.log").read_text()[-3000:]) from None
                time.sleep(1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_a_json_brief_runs_through_the_langgraph_api(server: str) -> None:
    raw = yaml.safe_load((ROOT / "examples/briefs/trail-bottle-email.yaml").read_text())
    state = post(f"{server}/runs/wait", {"assistant_id": "copyloop", "input": {"brief": raw}}, timeout=600)
    brief = Brief.model_validate(state["brief"])
    assert brief == Brief.model_validate(raw)
    shipped = [v for v in state["variants"] if v["status"] == "ok"]
    assert len(shipped) == brief.n_variants, state["variants"]
    for variant in shipped:
        assert "TrailCool" in variant["text"] and variant["cta"] in variant["text"]
        assert sense_findings(variant["text"], brief) == [], variant["text"]


def test_a_bad_brief_gets_an_error_that_names_its_field(server: str) -> None:
    body = {"assistant_id": "copyloop", "input": {"brief": {"product_name": "Trail Bottle", "channel": "billboard"}}}
    error = post(f"{server}/runs/wait", body, timeout=120)["__error__"]
    assert error["error"] == "ValidationError" and "channel" in error["message"], error
    assert "billboard" in error["message"], "the error quotes the value it refused"
