"""POST /v1/generate on generation slots of its own (issue 16, point 5): a slow generation never holds a thread
the read routes need, and a request that finds every slot busy becomes a job (202 + Location) at once.

The chat model blocks on an event inside its batch call, so "while a generation runs" is a state the test holds,
not a race it hopes to win; every request that must not wait runs under a timeout that only a blocked request
reaches. AnyIO's default thread pool is shrunk to a few threads, so more generations are in flight than it has:
when they ran on it (the old sync route), they took all of it and /v1/variants waited behind them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
import httpx
import pytest
from fastapi.testclient import TestClient

from copyloop.api import create_app
from copyloop.config import Settings
from copyloop.errors import CopyloopError
from copyloop.memory import CopyMemory
from copyloop.service.keys import create_key
from tests.fakes import ScriptedChatModel, reply_for

BRIEF = {"product_name": "Trail Bottle", "sku": "TB-750", "category": "Drinkware", "channel": "email_subject",
         "tone": "playful", "features": ["keeps drinks cold 24h"], "price": 29}
DEFAULT_POOL = 3  # AnyIO's default thread pool, shrunk from 40 for the test
CONCURRENT = DEFAULT_POOL + 2  # generations started together: more than the default pool has threads
ANSWER_SECONDS = 30.0  # generous: only a request stuck behind the blocked model ever reaches it
T = TypeVar("T")


@dataclass
class Gate:
    """Held shut, every model call waits inside the batch; `entered` says one is in there."""

    entered: threading.Event = field(default_factory=threading.Event)
    opened: threading.Event = field(default_factory=threading.Event)

    def script(self, request: str, index: int) -> str:
        self.entered.set()
        self.opened.wait(120)
        return reply_for(request, index)


@dataclass
class Served:
    client: TestClient
    gate: Gate
    as_acme: dict[str, str]
    as_globex: dict[str, str]
    pool: ThreadPoolExecutor

    def generate(self) -> httpx.Response:
        return self.client.post("/v1/generate", json={"brief": BRIEF}, headers=self.as_acme)

    def answered(self, call: Callable[[], T]) -> T:
        """`call()`'s result, or a failure if it is still waiting after ANSWER_SECONDS."""
        return self.pool.submit(call).result(timeout=ANSWER_SECONDS)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """One generation slot, no job worker (queued jobs stay queued), copy for TB-750 already published, the gate
    shut and the default thread pool at DEFAULT_POOL threads."""
    gate = Gate()
    settings = Settings(home=tmp_path / "home", candidates=1, spares=0, generate_concurrency=1,
                        database_url=f"sqlite:///{tmp_path / 'service.sqlite'}")
    app = create_app(settings, llm=ScriptedChatModel(script=gate.script), memory=CopyMemory(tmp_path / "memory"),
                     worker=False)
    as_acme = {"X-API-Key": create_key(app.state.engine, "Acme").api_key}
    as_globex = {"X-API-Key": create_key(app.state.engine, "Globex").api_key}
    with TestClient(app) as client, ThreadPoolExecutor(CONCURRENT + 2) as pool:
        gate.opened.set()
        assert client.post("/v1/generate", json={"brief": BRIEF}, headers=as_acme).status_code == 200
        gate.opened.clear()
        gate.entered.clear()
        client.portal.call(shrink_default_pool)
        try:
            yield Served(client, gate, as_acme, as_globex, pool)
        finally:
            gate.opened.set()  # a failed test must not leave requests blocked in the model


async def shrink_default_pool() -> None:
    anyio.to_thread.current_default_thread_limiter().total_tokens = DEFAULT_POOL


def test_reads_are_served_and_extra_generations_become_jobs_while_a_generation_runs(served: Served) -> None:
    first = served.pool.submit(served.generate)
    assert served.gate.entered.wait(ANSWER_SECONDS), "the first generation never reached the model"

    read = served.answered(lambda: served.client.get("/v1/variants/TB-750", headers=served.as_acme))
    assert read.status_code == 200 and read.json()["variants"]

    extra = [served.pool.submit(served.generate) for _ in range(CONCURRENT - 1)]
    read = served.answered(lambda: served.client.get("/v1/variants/TB-750", headers=served.as_acme))
    assert read.status_code == 200, "a read waited behind generations"
    queued = [served.answered(lambda f=f: f.result(timeout=ANSWER_SECONDS)) for f in extra]
    assert [r.status_code for r in queued] == [202] * len(extra)

    body = queued[0].json()
    assert body["status"] == "queued" and "generation slot" in body["detail"]
    assert queued[0].headers["Location"] == body["url"] == f"/v1/jobs/{body['id']}"
    job = served.client.get(body["url"], headers=served.as_acme)
    assert job.status_code == 200 and job.json()["status"] == "queued" and job.json()["id"] == body["id"]
    assert served.client.get(body["url"], headers=served.as_globex).status_code == 404  # Acme's job, not Globex's
    assert len({r.json()["id"] for r in queued}) == len(queued)

    served.gate.opened.set()
    done = first.result(timeout=ANSWER_SECONDS)
    assert done.status_code == 200 and [v for v in done.json()["variants"] if v["status"] == "ok"]
    assert served.answered(served.generate).status_code == 200  # the slot is free again


def test_a_busy_generate_keeps_the_error_contract(served: Served) -> None:
    first = served.pool.submit(served.generate)
    assert served.gate.entered.wait(ANSWER_SECONDS)
    foreign = served.answered(lambda: served.client.post(
        "/v1/generate", json={"brief": {**BRIEF, "brand": "Globex"}}, headers=served.as_acme))
    assert foreign.status_code == 403  # refused, not queued as a job another brand's worker would run
    invalid = served.answered(lambda: served.client.post("/v1/generate", json={"brief": {}}, headers=served.as_acme))
    assert invalid.status_code == 422
    served.gate.opened.set()
    assert first.result(timeout=ANSWER_SECONDS).status_code == 200


def test_the_openapi_documents_the_202(tmp_path: Path) -> None:
    app = create_app(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'service.sqlite'}"), worker=False)
    responses = app.openapi()["paths"]["/v1/generate"]["post"]["responses"]
    assert {"200", "202", "403", "413", "415", "422"} <= set(responses)
    assert responses["202"]["content"]["application/json"]["schema"]["anyOf"] == [
        {"$ref": "#/components/schemas/GenerateQueued"}, {"$ref": "#/components/schemas/PendingApproval"}]
    assert "Location" in responses["202"]["headers"]


def test_generate_concurrency_comes_from_the_environment_and_is_at_least_one(monkeypatch: Any) -> None:
    monkeypatch.setenv("COPYLOOP_GENERATE_CONCURRENCY", "3")
    assert Settings.from_env().generate_concurrency == 3
    assert Settings().with_(generate_concurrency=1).generate_concurrency == 1
    with pytest.raises(CopyloopError, match="at least 1"):
        Settings(generate_concurrency=0)
    monkeypatch.setenv("COPYLOOP_GENERATE_CONCURRENCY", "0")
    with pytest.raises(CopyloopError, match="at least 1"):
        Settings.from_env()
