"""The HTTP API against the real app, on real SQLite and real Postgres, with a real Chroma memory; only the chat
model is scripted.

Covers every endpoint, tenant isolation, the error contract (401/404/409/413/422), signed webhooks with retries,
and many parallel clients sending events to a real uvicorn server with exact counts at the end.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from copyloop.api import create_app
from copyloop.config import Settings
from copyloop.memory import CopyMemory
from copyloop.service.keys import create_key
from copyloop.service.webhooks import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.fakes import ScriptedChatModel, reply_for
from tests.servers import serve_app, wait_for_delivery, webhook_receiver

BRIEF = {"product_name": "Trail Bottle", "sku": "TB-750", "category": "Drinkware", "channel": "email_subject",
         "tone": "playful", "features": ["keeps drinks cold 24h"], "price": 29}


@pytest.fixture
def service(tmp_path: Path, service_db_url: str) -> Iterator[dict[str, Any]]:
    """The app with its worker running on each database, and keys for two brands."""
    settings = Settings(home=tmp_path / "home", candidates=1, spares=0, webhook_backoff_seconds=0.05,
                        webhook_allow="127.0.0.1",  # the test receiver runs on loopback
                        max_request_bytes=20_000, database_url=service_db_url)
    app = create_app(settings, llm=ScriptedChatModel(script=reply_for), memory=CopyMemory(tmp_path / "memory"))
    acme, globex = create_key(app.state.engine, "Acme"), create_key(app.state.engine, "Globex")
    with TestClient(app) as client:
        yield {"client": client, "app": app, "acme": acme, "globex": globex,
               "as_acme": {"Authorization": f"Bearer {acme.api_key}"}, "as_globex": {"X-API-Key": globex.api_key}}


def experiment_body(**changes: Any) -> dict[str, Any]:
    return {"name": "subject test", "sku": "TB-750", "category": "Drinkware", "channel": "email_subject",
            "variants": [{"key": "control", "text": "Meet the Trail Bottle"},
                         {"key": "bold", "text": "Cold for 24 hours: the Trail Bottle"}], **changes}


def test_openapi_lists_every_endpoint(service: dict[str, Any]) -> None:
    paths = service["client"].get("/openapi.json").json()["paths"]
    for path in ("/v1/generate", "/v1/jobs", "/v1/jobs/{job_id}", "/v1/variants/{sku}", "/v1/chat",
                 "/v1/experiments", "/v1/experiments/{experiment_id}", "/v1/experiments/{experiment_id}/assign",
                 "/v1/events", "/v1/experiments/{experiment_id}/conclude"):
        assert path in paths


def test_requests_without_a_valid_key_are_refused(service: dict[str, Any]) -> None:
    client = service["client"]
    assert client.get("/v1/variants/TB-750").status_code == 401
    assert client.get("/v1/variants/TB-750", headers={"X-API-Key": "cl_nope_nope"}).status_code == 401
    lower = {"Authorization": "bearer " + service["acme"].api_key}
    assert client.get("/v1/variants/TB-750", headers=lower).status_code == 404  # authenticated: nothing served yet
    assert "missing API key" in client.post("/v1/generate", json={"brief": BRIEF}).json()["detail"]


def test_generate_returns_ranked_variants_and_publishes_them_for_the_brand_only(service: dict[str, Any]) -> None:
    client = service["client"]
    result = client.post("/v1/generate", json={"brief": BRIEF}, headers=service["as_acme"]).json()
    assert result["brief"]["brand"] == "Acme"
    ranks = [v["rank"] for v in result["variants"] if v["status"] == "ok"]
    assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) >= 2
    assert all({"predicted_ctr", "sentiment", "overall"} <= set(v["scores"]) for v in result["variants"])

    served = client.get("/v1/variants/TB-750?channel=email_subject", headers=service["as_acme"]).json()
    assert [v["text"] for v in served["variants"]] == [v["text"] for v in result["variants"] if v["status"] == "ok"]
    assert client.get("/v1/variants/TB-750", headers=service["as_globex"]).status_code == 404
    memory = client.get("/v1/memory", headers=service["as_acme"]).json()["records"]
    assert {r["text"] for r in memory} == {v["text"] for v in served["variants"]}
    assert client.get("/v1/memory", headers=service["as_globex"]).json()["records"] == []


def test_a_brief_for_another_brand_is_403_and_bad_fields_get_field_level_422s(service: dict[str, Any]) -> None:
    client = service["client"]
    other = client.post("/v1/generate", json={"brief": {**BRIEF, "brand": "Globex"}}, headers=service["as_acme"])
    assert other.status_code == 403 and other.json()["detail"][0]["field"] == "brief.brand"
    bad = client.post("/v1/jobs", json={"brief": {**BRIEF, "n_variants": 99, "price": -1}, "extra": 1},
                      headers=service["as_acme"])
    assert bad.status_code == 422
    fields = {d["field"] for d in bad.json()["detail"]}
    assert {"brief.n_variants", "brief.price", "extra"} <= fields
    assert client.post("/v1/jobs", content=b"{not json", headers={**service["as_acme"], "Content-Type":
                                                                   "application/json"}).status_code == 422


def test_unknown_ids_are_404_and_oversized_bodies_413(service: dict[str, Any]) -> None:
    client, headers = service["client"], service["as_acme"]
    assert client.get("/v1/jobs/job_missing", headers=headers).status_code == 404
    assert client.get("/v1/experiments/exp_missing", headers=headers).status_code == 404
    assert client.get("/v1/experiments/exp_missing/assign?unit=u1", headers=headers).status_code == 404
    huge = {"brief": {**BRIEF, "brand_voice": "x" * 30_000}}
    too_big = client.post("/v1/generate", json=huge, headers=headers)
    assert too_big.status_code == 413 and "limit is 20000" in too_big.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is enforced while the body streams in
        yield b'{"brief": {"product_name": "'
        for _ in range(30):
            yield b"x" * 1000
        yield b'"}}'

    streamed = client.post("/v1/generate", content=chunks(), headers={**headers, "Content-Type": "application/json"})
    assert streamed.status_code == 413


def test_a_job_completes_and_its_signed_webhook_is_retried_with_one_idempotency_key(service: dict[str, Any]) -> None:
    client, headers = service["client"], service["as_acme"]
    with webhook_receiver(status=lambda n: 500 if n == 0 else 200) as receiver:
        accepted = client.post("/v1/jobs", json={"brief": BRIEF, "callback_url": receiver.url}, headers=headers)
        assert accepted.status_code == 202
        job_id = accepted.json()["id"]
        deliveries = receiver.wait_for(2)
        job = wait_for_delivery(lambda: client.get(f"/v1/jobs/{job_id}", headers=headers).json())
    assert len(deliveries) == 2, "the first delivery failed with 500 and must be retried"
    for delivery in deliveries:
        assert delivery.headers[IDEMPOTENCY_HEADER] == job_id
        assert verify(service["acme"].webhook_secret, delivery.body, delivery.headers[TIMESTAMP_HEADER],
                      delivery.headers[SIGNATURE_HEADER])
        assert not verify(service["globex"].webhook_secret, delivery.body, delivery.headers[TIMESTAMP_HEADER],
                          delivery.headers[SIGNATURE_HEADER])
    payload = deliveries[-1].json
    assert payload["id"] == job_id and payload["status"] == "succeeded"
    assert payload["result"]["variants"][0]["rank"] == 1
    assert (job["status"], job["delivery"], job["delivery_attempts"]) == ("succeeded", "delivered", 2)
    assert client.get(f"/v1/jobs/{job_id}", headers=service["as_globex"]).status_code == 404


def test_signatures_reject_tampering_and_stale_timestamps() -> None:
    from copyloop.service.webhooks import sign

    body = json.dumps({"id": "job_1"}).encode()
    signature = sign("whsec_x", 1_700_000_000, body)
    assert verify("whsec_x", body, "1700000000", signature, at=1_700_000_100)
    assert not verify("whsec_x", body + b" ", "1700000000", signature, at=1_700_000_100)
    assert not verify("whsec_x", body, "1700000000", signature, at=1_700_001_000)
    assert not verify("whsec_x", body, "soon", signature)


def test_chat_threads_continue_over_http_and_belong_to_one_brand(service: dict[str, Any], tmp_path: Path) -> None:
    client = service["client"]
    first = client.post("/v1/chat", json={"message": "a 750 ml insulated steel bottle, keeps drinks cold 24h, $29, "
                                                     "for hikers, playful tone, email subject line"},
                        headers=service["as_acme"]).json()
    assert len(first["variants"]) == 4 and first["fields"]["channel"] == "email_subject"
    thread = first["thread_id"]
    second = client.post("/v1/chat", json={"thread_id": thread, "message": "approve #2"},
                         headers=service["as_acme"]).json()
    assert "Approved #2" in second["reply"]
    stored = client.get("/v1/memory", headers=service["as_acme"]).json()["records"]
    assert [r["text"] for r in stored] == [second["variants"][1]["text"]] and stored[0]["brand"] == "Acme"
    assert client.post("/v1/chat", json={"thread_id": thread, "message": "approve #1"},
                       headers=service["as_globex"]).status_code == 404

    from copyloop.chat import ChatSession  # the CLI's session sees the same conversation

    with ChatSession(thread, service["app"].state.settings, llm=ScriptedChatModel(script=reply_for),
                     memory=service["app"].state.context.copy_memory()) as cli:
        assert [m["content"] for m in cli.history if m["role"] == "user"][-1] == "approve #2"
    settings = service["app"].state.settings  # on Postgres the threads live there, shared by every server
    assert settings.checkpoint_db.exists() == settings.database_url.startswith("sqlite")


def test_experiment_assignment_events_results_and_conclusion(service: dict[str, Any]) -> None:
    client, headers = service["client"], service["as_acme"]
    created = client.post("/v1/experiments", json=experiment_body(), headers=headers)
    assert created.status_code == 201
    exp = created.json()["id"]
    first = client.get(f"/v1/experiments/{exp}/assign?unit=user-1", headers=headers).json()
    assert client.get(f"/v1/experiments/{exp}/assign?unit=user-1", headers=headers).json()["variant"] == \
        first["variant"]
    pulled = client.get("/v1/variants/TB-750?channel=email_subject&unit=user-1", headers=headers).json()
    assert pulled["experiment"]["variant"] == first["variant"] and pulled["variants"][0]["text"] == first["text"]

    single = {"event_id": "e-1", "experiment_id": exp, "type": "impression", "unit": "user-1"}
    assert client.post("/v1/events", json=single, headers=headers).json() == {"accepted": 1, "duplicates": 0,
                                                                             "late": 0}
    assert client.post("/v1/events", json=single, headers=headers).json() == {"accepted": 0, "duplicates": 1,
                                                                             "late": 0}
    batch = [{"event_id": f"b-{i}", "experiment_id": exp, "type": kind, "variant": key}
             for i, (kind, key) in enumerate([("impression", "control")] * 3 + [("impression", "bold")] * 2
                                             + [("click", "bold"), ("conversion", "bold")])]
    assert client.post("/v1/events", json={"events": batch}, headers=headers).json()["accepted"] == 7
    broken = [{"event_id": "c-1", "experiment_id": exp, "type": "click", "variant": "bold"},
              {"event_id": "c-2", "experiment_id": exp, "type": "click", "variant": "nope"}]
    refused = client.post("/v1/events", json={"events": broken}, headers=headers)
    assert refused.status_code == 409 and refused.json()["detail"][0]["field"] == "events[1].variant"
    malformed = client.post("/v1/events", json={"events": [broken[0], {**broken[1], "type": "purchase"}]},
                            headers=headers)
    assert [d["field"] for d in malformed.json()["detail"]] == ["events[1].type"]

    report = client.get(f"/v1/experiments/{exp}", headers=headers).json()
    by_key = {v["key"]: v for v in report["variants"]}
    shown = {"control": 3 + (first["variant"] == "control"), "bold": 2 + (first["variant"] == "bold")}
    assert {k: v["impressions"] for k, v in by_key.items()} == shown, "c-1 must not be stored: its batch failed"
    assert (by_key["bold"]["clicks"], by_key["bold"]["conversions"]) == (1, 1)
    assert by_key["bold"]["ctr"] == pytest.approx(1 / shown["bold"])
    low, high = by_key["bold"]["ctr_interval"]
    assert low < by_key["bold"]["ctr"] < high
    assert by_key["control"]["prob_beat_control"] is None and 0.5 < by_key["bold"]["prob_beat_control"] < 1
    assert report["recommendation"] == {"winner": "bold", "significant": False, "reason": pytest.approx(
        report["recommendation"]["reason"])} and "1000 impressions" in report["recommendation"]["reason"]
    assert report["sample_ratio"]["checked"] is True

    for path in (f"/v1/experiments/{exp}", f"/v1/experiments/{exp}/assign?unit=user-1"):
        assert client.get(path, headers=service["as_globex"]).status_code == 404
    assert client.post("/v1/events", json=single | {"event_id": "g-1"}, headers=service["as_globex"]).status_code \
        == 404

    early = client.post(f"/v1/experiments/{exp}/conclude", headers=headers)
    assert early.status_code == 409 and early.json()["detail"][0]["field"] == "winner"  # nothing significant yet
    done = client.post(f"/v1/experiments/{exp}/conclude", json={"winner": "bold"}, headers=headers).json()
    assert (done["status"], done["winner"]) == ("concluded", "bold")
    assert client.post(f"/v1/experiments/{exp}/conclude", headers=headers).status_code == 409
    late = client.post("/v1/events", json={"events": [single | {"event_id": "late"}, single]}, headers=headers)
    assert late.json() == {"accepted": 0, "duplicates": 0, "late": 2}
    assert client.get(f"/v1/experiments/{exp}/assign?unit=user-1", headers=headers).json()["variant"] == "bold"
    served = client.get("/v1/variants/TB-750?channel=email_subject", headers=headers).json()
    assert served["variants"][0]["text"] == "Cold for 24 hours: the Trail Bottle"


def test_bad_experiment_definitions_are_422(service: dict[str, Any]) -> None:
    client, headers = service["client"], service["as_acme"]
    twins = experiment_body(variants=[{"key": "a", "text": "x"}, {"key": "a", "text": "y"}])
    assert "unique" in client.post("/v1/experiments", json=twins, headers=headers).json()["detail"][0]["message"]
    assert client.post("/v1/experiments", json=experiment_body(control="zzz"), headers=headers).status_code == 422
    one = experiment_body(variants=[{"text": "only one"}])
    assert client.post("/v1/experiments", json=one, headers=headers).json()["detail"][0]["field"] == "variants"


def test_many_parallel_clients_sending_events_are_counted_exactly(tmp_path: Path, service_db_url: str) -> None:
    settings = Settings(home=tmp_path / "home", database_url=service_db_url)
    app = create_app(settings, llm=ScriptedChatModel(script=reply_for), memory=CopyMemory(tmp_path / "memory"))
    key = create_key(app.state.engine, "Acme")
    headers = {"X-API-Key": key.api_key}
    clients, per_client = 12, 60
    with serve_app(app) as base, httpx.Client(base_url=base, headers=headers, timeout=30) as setup:
        exp = setup.post("/v1/experiments", json=experiment_body(allocation="thompson")).json()["id"]
        failures: list[str] = []

        def send(worker: int) -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
                for i in range(per_client):
                    unit = f"w{worker}-u{i}"
                    http.get(f"/v1/experiments/{exp}/assign", params={"unit": unit})
                    events = [{"event_id": f"{unit}-imp", "experiment_id": exp, "type": "impression", "unit": unit}]
                    if i % 3 == 0:
                        events.append({"event_id": f"{unit}-click", "experiment_id": exp, "type": "click",
                                       "unit": unit})
                    for _ in range(2):  # every batch is sent twice, as a retrying client would
                        reply = http.post("/v1/events", json={"events": events})
                        if reply.status_code != 200:
                            failures.append(reply.text)

        threads = [threading.Thread(target=send, args=(w,)) for w in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        report = setup.get(f"/v1/experiments/{exp}").json()
    assert failures == []
    assert sum(v["impressions"] for v in report["variants"]) == clients * per_client
    assert sum(v["clicks"] for v in report["variants"]) == clients * len(range(0, per_client, 3))
