"""Human approval over HTTP (issue 17): a run with `approval: human` pauses before anything is stored or served,
waits in /v1/approvals for its brand only, and is finished once, by whichever server gets the decision. Also the
pages beside it: the library (served copy with its experiment's numbers), the experiments list and /v1/me.

The real app on real SQLite and Postgres with a real Chroma memory; only the chat model is scripted (one test runs
the real model).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from copyloop.api import create_app
from copyloop.config import Settings
from copyloop.memory import CopyMemory
from copyloop.service import approvals
from copyloop.service.keys import create_key
from tests.fakes import ScriptedChatModel, reply_for
from tests.servers import wait_for_delivery, webhook_receiver

BRIEF = {"product_name": "Trail Bottle", "sku": "TB-750", "category": "Drinkware", "channel": "email_subject",
         "tone": "playful", "features": ["keeps drinks cold 24h"], "price": 29}
HUMAN = {"brief": BRIEF, "approval": "human"}


def settings_for(home: Path, database_url: str) -> Settings:
    return Settings(home=home, candidates=1, spares=0, webhook_backoff_seconds=0.05, webhook_allow="127.0.0.1",
                    database_url=database_url)


@pytest.fixture
def service(tmp_path: Path, service_db_url: str) -> Iterator[dict[str, Any]]:
    """The app with its worker on each database, and keys for two brands."""
    app = create_app(settings_for(tmp_path / "home", service_db_url), llm=ScriptedChatModel(script=reply_for),
                     memory=CopyMemory(tmp_path / "memory"))
    acme, globex = create_key(app.state.engine, "Acme"), create_key(app.state.engine, "Globex")
    with TestClient(app) as client:
        yield {"client": client, "app": app, "acme": acme, "as_acme": {"X-API-Key": acme.api_key},
               "as_globex": {"Authorization": f"Bearer {globex.api_key}"}}


def paused(client: TestClient, headers: dict[str, str], body: dict[str, Any] = HUMAN) -> dict[str, Any]:
    answer = client.post("/v1/generate", json=body, headers=headers)
    assert answer.status_code == 202, answer.text
    assert answer.headers["Location"] == answer.json()["url"]
    return answer.json()


def memory_texts(client: TestClient, headers: dict[str, str]) -> list[str]:
    return [r["text"] for r in client.get("/v1/memory", headers=headers).json()["records"]]


def test_a_paused_run_is_served_only_once_a_person_approves_and_only_once(service: dict[str, Any]) -> None:
    client, headers = service["client"], service["as_acme"]
    run = paused(client, headers)
    assert run["status"] == "pending_approval" and run["url"] == f"/v1/approvals/{run['id']}"
    offered = run["variants"]
    assert len(offered) >= 2 and all({"id", "text", "rank", "scores", "findings", "trace"} <= set(v) for v in offered)
    assert client.get("/v1/variants/TB-750", headers=headers).status_code == 404, "nothing served before approval"
    assert memory_texts(client, headers) == [], "nothing stored before approval"

    waiting = client.get("/v1/approvals", headers=headers).json()["pending"]
    assert [(a["id"], a["sku"], a["product_name"], a["channel"], a["status"]) for a in waiting] == [
        (run["id"], "TB-750", "Trail Bottle", "email_subject", "pending")]
    assert waiting[0]["variants"] == offered
    assert client.get(run["url"], headers=headers).json()["variants"] == offered

    chosen = offered[1]
    done = client.post(run["url"], json={"approve": [chosen["id"]]}, headers=headers)
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["id"], body["status"], body["approved"]) == (run["id"], "approved", [chosen["id"]])
    assert body["result"]["thread_id"] == run["id"] and len(body["result"]["stored_ids"]) == 1
    served = client.get("/v1/variants/TB-750?channel=email_subject", headers=headers).json()["variants"]
    assert [(v["text"], v["source"]) for v in served] == [(chosen["text"], "approval")]
    assert memory_texts(client, headers) == [chosen["text"]]

    again = client.post(run["url"], json={"approve": [offered[0]["id"]]}, headers=headers)
    assert again.status_code == 409 and "already decided" in again.json()["error"]
    assert client.get("/v1/approvals", headers=headers).json() == {"pending": []}
    decided = client.get(run["url"], headers=headers).json()
    assert (decided["status"], decided["approved"]) == ("approved", [chosen["id"]])
    assert memory_texts(client, headers) == [chosen["text"]], "the refused second decision stored nothing"


def test_another_brand_sees_none_of_it_and_bad_ids_are_named(service: dict[str, Any]) -> None:
    client, headers, other = service["client"], service["as_acme"], service["as_globex"]
    run = paused(client, headers)
    assert client.get(run["url"], headers=other).status_code == 404
    refused = client.post(run["url"], json={"approve": [run["variants"][0]["id"]]}, headers=other)
    assert refused.status_code == 404 and "no approval" in refused.json()["error"]
    assert client.get("/v1/approvals", headers=other).json() == {"pending": []}
    assert client.get("/v1/approvals/0123456789abcdef", headers=headers).status_code == 404

    ids = [v["id"] for v in run["variants"]]
    unknown = client.post(run["url"], json={"approve": [ids[0], 99]}, headers=headers)
    assert unknown.status_code == 422
    assert [(d["field"], d["input"]) for d in unknown.json()["detail"]] == [("approve[1]", 99)]
    assert "not one of this run's variants" in unknown.json()["detail"][0]["message"]
    for bad, field in (({"approve": ["1"]}, "approve[0]"), ({"approve": [0]}, "approve[0]"),
                       ({"approve": 1}, "approve"), ({}, "approve"), ({"approve": [1], "also": 2}, "also")):
        answer = client.post(run["url"], json=bad, headers=headers)
        assert answer.status_code == 422 and answer.json()["detail"][0]["field"] == field, (bad, answer.text)
    assert client.post("/v1/generate", json={**HUMAN, "approval": "maybe"}, headers=headers).status_code == 422
    assert client.get(run["url"], headers=headers).json()["status"] == "pending", "no refused request decided it"

    rejected = client.post(run["url"], json={"approve": []}, headers=headers).json()
    assert (rejected["status"], rejected["approved"], rejected["result"]["stored_ids"]) == ("rejected", [], [])
    assert client.get("/v1/variants/TB-750", headers=headers).status_code == 404
    assert memory_texts(client, headers) == []


def test_store_and_publish_flags_hold_through_the_pause(service: dict[str, Any]) -> None:
    client, headers = service["client"], service["as_acme"]
    unstored = paused(client, headers, {**HUMAN, "store": False})
    first = unstored["variants"][0]
    json_number = float(first["id"])  # JSON has one number type: 2.0 is the id 2
    assert client.post(unstored["url"], json={"approve": [json_number]}, headers=headers).status_code == 200
    assert client.get("/v1/variants/TB-750", headers=headers).json()["variants"][0]["text"] == first["text"]
    assert memory_texts(client, headers) == []

    unpublished = paused(client, headers, {**HUMAN, "publish": False, "brief": {**BRIEF, "sku": "TB-1000"}})
    second = unpublished["variants"][0]
    assert client.post(unpublished["url"], json={"approve": [second["id"]]}, headers=headers).status_code == 200
    assert client.get("/v1/variants/TB-1000", headers=headers).status_code == 404
    assert memory_texts(client, headers) == [second["text"]]


def test_a_job_that_needs_a_person_ends_pending_approval_and_its_webhook_says_so(service: dict[str, Any]) -> None:
    client, headers = service["client"], service["as_acme"]
    with webhook_receiver() as receiver:
        job_id = client.post("/v1/jobs", json={**HUMAN, "callback_url": receiver.url}, headers=headers).json()["id"]
        deliveries = receiver.wait_for(1)
        # the server records the delivery once the receiver's answer is back; the receiver stays up till then
        job = wait_for_delivery(lambda: client.get(f"/v1/jobs/{job_id}", headers=headers).json())
    assert len(deliveries) == 1
    assert deliveries[0].headers["X-Copyloop-Event"] == "job.pending_approval"
    payload = deliveries[0].json
    assert (payload["id"], payload["status"], payload["error"]) == (job_id, "pending_approval", None)
    link = payload["result"]["approval"]
    assert link["url"] == f"/v1/approvals/{link['id']}" and link["variants"]
    assert "variants" not in payload["result"], "a receiver written for finished jobs must not take them as copy"
    assert (job["status"], job["delivery"], job["error"]) == ("pending_approval", "delivered", None)
    assert job["result"]["approval"] == link

    waiting = client.get("/v1/approvals", headers=headers).json()["pending"]
    assert [a["id"] for a in waiting] == [link["id"]]
    chosen = link["variants"][0]
    assert client.post(link["url"], json={"approve": [chosen["id"]]}, headers=headers).status_code == 200
    assert client.get("/v1/variants/TB-750", headers=headers).json()["variants"][0]["text"] == chosen["text"]


def test_another_server_on_the_same_database_and_home_finishes_the_run(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "home", f"sqlite:///{tmp_path / 'service.sqlite'}")
    memory = CopyMemory(tmp_path / "memory")
    first = create_app(settings, llm=ScriptedChatModel(script=reply_for), memory=memory, worker=False)
    key = create_key(first.state.engine, "Acme")
    headers = {"X-API-Key": key.api_key}
    with TestClient(first) as client:
        run = paused(client, headers)
    second = create_app(settings, llm=ScriptedChatModel(script=lambda *_: pytest.fail("resuming drafts nothing")),
                        memory=memory, worker=False)
    with TestClient(second) as client:
        assert [a["id"] for a in client.get("/v1/approvals", headers=headers).json()["pending"]] == [run["id"]]
        chosen = run["variants"][0]
        done = client.post(run["url"], json={"approve": [chosen["id"]]}, headers=headers)
        assert done.status_code == 200, done.text
        assert client.get("/v1/variants/TB-750", headers=headers).json()["variants"][0]["text"] == chosen["text"]
        assert memory_texts(client, headers) == [chosen["text"]]


def test_a_server_without_the_paused_thread_says_so_and_the_decision_stays_open(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'service.sqlite'}"
    first = create_app(settings_for(tmp_path / "one", url), llm=ScriptedChatModel(script=reply_for),
                       memory=CopyMemory(tmp_path / "memory"), worker=False)
    headers = {"X-API-Key": create_key(first.state.engine, "Acme").api_key}
    with TestClient(first) as client:
        run = paused(client, headers)
    elsewhere = create_app(settings_for(tmp_path / "two", url), llm=ScriptedChatModel(script=reply_for),
                           memory=CopyMemory(tmp_path / "memory"), worker=False)  # its own checkpoint file
    with TestClient(elsewhere) as client:
        answer = client.post(run["url"], json={"approve": [run["variants"][0]["id"]]}, headers=headers)
        assert answer.status_code == 503 and "same database_url" in answer.json()["error"]
        assert client.get(run["url"], headers=headers).json()["status"] == "pending"


def test_of_two_racing_decisions_exactly_one_resumes_the_run(service: dict[str, Any]) -> None:
    client, headers = service["client"], service["as_acme"]
    run = paused(client, headers)
    ids = [v["id"] for v in run["variants"]]
    answers: list[int] = []
    start = threading.Barrier(4)

    def decide(chosen: int) -> None:
        start.wait()
        answers.append(client.post(run["url"], json={"approve": [chosen]}, headers=headers).status_code)

    threads = [threading.Thread(target=decide, args=(ids[i % len(ids)],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(answers) == [200, 409, 409, 409]
    assert len(memory_texts(client, headers)) == 1
    assert len(client.get("/v1/variants/TB-750", headers=headers).json()["variants"]) == 1


def test_a_claim_is_taken_by_one_of_many_threads_and_a_stale_one_again(service: dict[str, Any]) -> None:
    client, engine = service["client"], service["app"].state.engine
    run = paused(client, service["as_acme"])
    taken: list[str] = []
    start = threading.Barrier(8)

    def claim() -> None:
        start.wait()
        try:
            approvals.claim(engine, "Acme", run["id"], lease_seconds=600)
            taken.append("won")
        except approvals.Undecidable as exc:
            taken.append(f"{exc.status}")

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(taken) == ["409"] * 7 + ["won"]
    with pytest.raises(approvals.Undecidable) as other:
        approvals.claim(engine, "Globex", run["id"], lease_seconds=600)
    assert other.value.status == 404
    approvals.claim(engine, "Acme", run["id"], lease_seconds=0)  # its claimer died: the lease ran out


def test_the_library_shows_served_copy_and_then_the_experiments_numbers(service: dict[str, Any]) -> None:
    client, headers = service["client"], service["as_acme"]
    assert client.get("/v1/library", headers=headers).json() == {"items": []}
    run = paused(client, headers)
    chosen = run["variants"][0]
    client.post(run["url"], json={"approve": [chosen["id"]]}, headers=headers)
    client.post("/v1/generate", json={"brief": {**BRIEF, "sku": "TB-500"}}, headers=headers)

    items = client.get("/v1/library", headers=headers).json()["items"]
    assert [(i["sku"], i["channel"], i["segment"]) for i in items] == [("TB-500", "email_subject", ""),
                                                                      ("TB-750", "email_subject", "")]
    approved = items[1]
    assert [(v["text"], v["rank"], v["source"]) for v in approved["variants"]] == [(chosen["text"], 1, "approval")]
    assert approved["results"] is None
    assert [v["rank"] for v in items[0]["variants"]] == list(range(1, len(items[0]["variants"]) + 1))

    experiment = client.post("/v1/experiments", headers=headers, json={
        "name": "subject test", "sku": "TB-750", "channel": "email_subject",
        "variants": [{"key": "mine", "text": chosen["text"]}, {"key": "bold", "text": "Cold for 24 hours"}]}).json()
    events = [{"event_id": f"e{i}", "experiment_id": experiment["id"], "type": kind, "variant": key}
              for i, (kind, key) in enumerate([("impression", "mine")] * 10 + [("impression", "bold")] * 8
                                              + [("click", "bold")] * 2 + [("click", "mine"), ("conversion", "bold")])]
    assert client.post("/v1/events", json={"events": events}, headers=headers).json()["accepted"] == len(events)
    running = client.get("/v1/library?sku=TB-750", headers=headers).json()["items"]
    assert running[0]["results"]["status"] == "running" and running[0]["results"]["winner"] is None
    client.post(f"/v1/experiments/{experiment['id']}/conclude", json={"winner": "bold"}, headers=headers)

    items = client.get("/v1/library?sku=TB-750&channel=email_subject", headers=headers).json()["items"]
    assert len(items) == 1 and items[0]["variants"][0]["text"] == "Cold for 24 hours"
    assert items[0]["variants"][0]["source"] == f"experiment:{experiment['id']}"
    results = items[0]["results"]
    assert (results["experiment_id"], results["name"], results["status"], results["winner"]) == (
        experiment["id"], "subject test", "concluded", "bold")
    assert [(a["key"], a["impressions"], a["clicks"], a["conversions"]) for a in results["arms"]] == [
        ("mine", 10, 1, 0), ("bold", 8, 2, 1)]
    assert results["arms"][1]["ctr"] == pytest.approx(0.25) and results["arms"][1]["cvr"] == pytest.approx(0.5)

    assert client.get("/v1/library?sku=NOPE", headers=headers).json() == {"items": []}
    assert client.get("/v1/library", headers=service["as_globex"]).json() == {"items": []}
    bad = client.get("/v1/library?channel=fax", headers=headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "channel"


def test_experiments_are_listed_newest_first_for_their_brand_only(service: dict[str, Any]) -> None:
    client, headers, other = service["client"], service["as_acme"], service["as_globex"]
    body = {"sku": "TB-750", "channel": "email_subject", "variants": [{"text": "a"}, {"text": "b"}]}
    made = [client.post("/v1/experiments", json={**body, "name": name}, headers=headers).json()["id"]
            for name in ("first", "second")]
    theirs = client.post("/v1/experiments", json={**body, "name": "theirs"}, headers=other).json()["id"]
    listed = client.get("/v1/experiments", headers=headers).json()["experiments"]
    assert [(e["id"], e["name"], e["sku"], e["channel"], e["status"]) for e in listed] == [
        (made[1], "second", "TB-750", "email_subject", "running"), (made[0], "first", "TB-750", "email_subject",
                                                                    "running")]
    assert listed[0]["created_at"] >= listed[1]["created_at"]
    assert [e["id"] for e in client.get("/v1/experiments", headers=other).json()["experiments"]] == [theirs]
    assert client.get("/v1/experiments?limit=0", headers=headers).status_code == 422


def test_me_names_the_keys_brand_and_needs_a_key(service: dict[str, Any]) -> None:
    client = service["client"]
    assert client.get("/v1/me", headers=service["as_acme"]).json() == {"brand": "Acme",
                                                                        "key_id": service["acme"].key_id}
    assert client.get("/v1/me", headers=service["as_globex"]).json()["brand"] == "Globex"
    assert client.get("/v1/me").status_code == 401
    assert client.get("/v1/me", headers={"X-API-Key": "cl_nope_nope"}).status_code == 401


def test_the_openapi_documents_the_new_routes(service: dict[str, Any]) -> None:
    paths = service["client"].get("/openapi.json").json()["paths"]
    for path, method in (("/v1/approvals", "get"), ("/v1/approvals/{approval_id}", "get"),
                         ("/v1/approvals/{approval_id}", "post"), ("/v1/library", "get"), ("/v1/experiments", "get"),
                         ("/v1/me", "get")):
        assert "401" in paths[path][method]["responses"], path
    assert {"404", "409", "422"} <= set(paths["/v1/approvals/{approval_id}"]["post"]["responses"])


@pytest.mark.model
def test_the_real_model_pauses_and_resumes_over_http(tmp_path: Path, real_llm: Any) -> None:
    settings = settings_for(tmp_path / "home", f"sqlite:///{tmp_path / 'service.sqlite'}")
    app = create_app(settings, llm=real_llm, memory=CopyMemory(tmp_path / "memory"), worker=False)
    headers = {"X-API-Key": create_key(app.state.engine, "Acme").api_key}
    with TestClient(app) as client:
        run = paused(client, headers, {**HUMAN, "brief": {**BRIEF, "n_variants": 2}})
        chosen = run["variants"][0]
        done = client.post(run["url"], json={"approve": [chosen["id"]]}, headers=headers).json()
        assert done["status"] == "approved" and len(done["result"]["stored_ids"]) == 1
        assert client.get("/v1/variants/TB-750", headers=headers).json()["variants"][0]["text"] == chosen["text"]
