"""The chat endpoints a web page uses (issue 17), against the real app (SQLite, and Postgres where marked) with a
real Chroma memory and the real copy workflow; only the chat model is scripted (tests/fakes.py), except in the
last test.

Covers the event stream (thread, one progress event per workflow step, reply; a client leaving mid-stream on a
real server), the thread list and a thread read back, a marketer's edit re-checked and saved, approvals published
as served copy and withdrawn by a drop, brand isolation and the 4xx answers to bad input.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from copyloop.api import create_app
from copyloop.config import Settings
from copyloop.memory import CopyMemory
from copyloop.service.keys import create_key
from tests.fakes import ScriptedChatModel, reply_for
from tests.postgres import database
from tests.servers import serve_app, sse_events

BOTTLE = ("a 750 ml insulated steel bottle, keeps drinks cold 24h, $29, for hikers, playful tone, "
          "email subject line, sku TB-750")
WORKFLOW = {"intake", "draft", "sense_check", "sentiment_critic", "diversity_check", "cta_insert",
            "compliance_review", "postprocess", "compose", "rank", "approve", "remember"}
CLEAN = "Love cold drinks? Meet the Insulated Steel Bottle - Shop Now"
BLOCKED = "The Insulated Steel Bottle is 100% guaranteed - Shop Now"


def make_app(tmp_path: Path, llm: Any, url: str | None = None) -> Any:
    settings = Settings(home=tmp_path / "home", candidates=1, spares=0,
                        database_url=url or f"sqlite:///{tmp_path / 'service.sqlite'}")
    return create_app(settings, llm=llm, memory=CopyMemory(tmp_path / "memory"), worker=False)


@pytest.fixture
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The app on SQLite, or (indirect parameter "postgres") with its store and chat threads on Postgres."""
    on_postgres = getattr(request, "param", "sqlite") == "postgres"
    with database(request.getfixturevalue("postgres_url")) if on_postgres else nullcontext() as url:
        app = make_app(tmp_path, ScriptedChatModel(script=reply_for), url)
        acme, globex = create_key(app.state.engine, "Acme"), create_key(app.state.engine, "Globex")
        with TestClient(app) as client:
            yield {"client": client, "app": app, "as_acme": {"Authorization": f"Bearer {acme.api_key}"},
                   "as_globex": {"X-API-Key": globex.api_key}}


def send(service: dict[str, Any], message: str, thread: str | None = None, who: str = "as_acme") -> dict[str, Any]:
    body = {"message": message, **({"thread_id": thread} if thread else {})}
    response = service["client"].post("/v1/chat", json=body, headers=service[who])
    assert response.status_code == 200, response.text
    return response.json()


def served(service: dict[str, Any], who: str = "as_acme") -> list[dict[str, Any]] | None:
    response = service["client"].get("/v1/variants/TB-750?channel=email_subject", headers=service[who])
    return response.json()["variants"] if response.status_code == 200 else None


# --------------------------------------------------------------------------------------------------------------
# The stream


def test_the_stream_sends_the_thread_each_workflow_step_then_the_reply(service: dict[str, Any]) -> None:
    client = service["client"]
    response = client.post("/v1/chat/stream", json={"message": BOTTLE}, headers=service["as_acme"])
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    stream = sse_events(response.text)
    kinds = [kind for kind, _ in stream]
    assert kinds[0] == "thread" and kinds[-1] == "reply" and set(kinds[1:-1]) == {"progress"}
    thread = stream[0][1]["thread_id"]
    progress = [data for kind, data in stream if kind == "progress"]
    assert {p["node"] for p in progress} >= WORKFLOW, "at least one progress event per workflow step"
    assert all(set(p) == {"node", "label", "detail"} and p["label"] and p["detail"] for p in progress)
    assert "Drafting 4 variants" in [p["label"] for p in progress]
    assert [p["node"] for p in progress].index("draft") < [p["node"] for p in progress].index("rank")

    reply = stream[-1][1]
    assert reply["thread_id"] == thread and "Understood" in reply["reply"] and len(reply["variants"]) == 4
    assert reply["missing"] == [] and reply["approved"] == []
    assert "approve #1" in reply["followups"] and "shorter" in reply["followups"]

    shown = client.get(f"/v1/chat/{thread}", headers=service["as_acme"]).json()
    assert [m["role"] for m in shown["messages"]] == ["user", "assistant"]
    assert shown["messages"][1]["content"] == reply["reply"] and shown["variants"] == reply["variants"]
    listed = client.get("/v1/chat", headers=service["as_acme"]).json()["threads"]
    assert [(t["thread_id"], t["title"]) for t in listed] == [(thread, "Insulated Steel Bottle")]


def test_the_stream_refuses_bad_input_and_other_brands_before_streaming(service: dict[str, Any]) -> None:
    client, acme = service["client"], service["as_acme"]
    thread = send(service, "help")["thread_id"]
    for body, status in (({"message": "hi", "thread_id": "nope"}, 404), ({"message": ""}, 422),
                         ({"message": "hi", "extra": 1}, 422), ({"message": "hi", "thread_id": "a b"}, 422)):
        response = client.post("/v1/chat/stream", json=body, headers=acme)
        assert response.status_code == status and response.headers["content-type"] == "application/json", body
        assert response.json()["error"]
    other = client.post("/v1/chat/stream", json={"message": "hi", "thread_id": thread}, headers=service["as_globex"])
    assert other.status_code == 404 and thread in other.json()["detail"]
    assert client.post("/v1/chat/stream", json={"message": "hi"}).status_code == 401


def test_a_client_that_leaves_mid_stream_leaves_the_turn_to_finish(tmp_path: Path) -> None:
    app = make_app(tmp_path, ScriptedChatModel(script=reply_for))
    headers = {"X-API-Key": create_key(app.state.engine, "Acme").api_key}
    with serve_app(app) as url:  # a real uvicorn: the events really arrive one by one
        with httpx.stream("POST", f"{url}/v1/chat/stream", json={"message": BOTTLE}, headers=headers,
                          timeout=60) as response:
            first = next(line for line in response.iter_lines() if line.startswith("data:"))
            thread = json.loads(first.removeprefix("data:"))["thread_id"]
            during = httpx.get(f"{url}/v1/chat/{thread}", headers=headers).json()
            assert "assistant" not in [m["role"] for m in during["messages"]], "the thread event comes first"
        deadline = time.monotonic() + 120  # the client is gone; the turn goes on
        while time.monotonic() < deadline:
            shown = httpx.get(f"{url}/v1/chat/{thread}", headers=headers).json()
            if [m["role"] for m in shown["messages"]] == ["user", "assistant"]:
                break
            time.sleep(0.5)
        assert len(shown["variants"]) == 4 and "Understood" in shown["messages"][1]["content"]
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}


def test_a_failing_turn_ends_the_stream_with_an_error_event(tmp_path: Path) -> None:
    def broken(_request: str, _index: int) -> str:
        raise RuntimeError("the model server went away")

    app = make_app(tmp_path, ScriptedChatModel(script=broken))
    key = create_key(app.state.engine, "Acme")
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/v1/chat/stream", json={"message": BOTTLE}, headers={"X-API-Key": key.api_key})
    assert response.status_code == 200
    stream = sse_events(response.text)
    assert stream[0][0] == "thread" and stream[-1][0] == "error"
    assert set(stream[-1][1]) == {"error", "detail"} and "went away" not in response.text


# --------------------------------------------------------------------------------------------------------------
# Threads: list and read back


@pytest.mark.parametrize("service", ["sqlite", "postgres"], indirect=True)
def test_threads_are_listed_newest_first_and_only_to_their_brand(service: dict[str, Any]) -> None:
    client, acme, globex = service["client"], service["as_acme"], service["as_globex"]
    first = send(service, "help")
    assert first["missing"] == ["product_name"] and first["followups"] == ["help"] and first["variants"] == []
    second = send(service, "playful tone, for hikers")
    assert second["missing"] == ["product_name"] and second["fields"]["audience"] == "hikers"
    listed = client.get("/v1/chat", headers=acme).json()["threads"]
    assert [t["thread_id"] for t in listed] == [second["thread_id"], first["thread_id"]]
    assert listed[1]["title"] == "help" and all(t["updated_at"] >= t["created_at"] for t in listed)
    send(service, "help", thread=first["thread_id"])
    assert client.get("/v1/chat", headers=acme).json()["threads"][0]["thread_id"] == first["thread_id"]
    assert client.get("/v1/chat?limit=1", headers=acme).json()["threads"][0]["thread_id"] == first["thread_id"]

    assert client.get("/v1/chat", headers=globex).json() == {"threads": []}
    assert client.get(f"/v1/chat/{first['thread_id']}", headers=globex).status_code == 404
    shown = client.get(f"/v1/chat/{second['thread_id']}", headers=acme).json()
    assert shown["fields"] == second["fields"] and shown["missing"] == ["product_name"]
    assert shown["approved"] == [] and shown["followups"] == ["help"]
    assert client.get("/v1/chat/unknown-thread", headers=acme).status_code == 404
    assert client.get("/v1/chat/bad%20id", headers=acme).status_code == 422
    assert client.get("/v1/chat?limit=0", headers=acme).status_code == 422


# --------------------------------------------------------------------------------------------------------------
# A marketer's edit


def test_an_edit_is_rechecked_and_saved(service: dict[str, Any]) -> None:
    client, acme = service["client"], service["as_acme"]
    start = send(service, BOTTLE)
    thread, before = start["thread_id"], start["variants"]

    blocked = client.put(f"/v1/chat/{thread}/variants/2", json={"text": BLOCKED}, headers=acme)
    assert blocked.status_code == 200, blocked.text
    variant = blocked.json()["variant"]
    assert variant["text"] == BLOCKED, "a marketer's words are never rewritten"
    assert variant["status"] == "blocked" and "claims.guaranteed" in variant["blocked_reason"]
    assert {"claims.guaranteed", "facts.invented_number"} <= {f["rule_id"] for f in variant["findings"]
                                                              if f["severity"] == "block"}
    edit, block = variant["trace"][-2:]
    assert (edit["node"], edit["action"], edit["before"], edit["after"]) == \
        ("marketer", "edit", before[1]["text"], BLOCKED)
    assert block["action"] == "block" and "claims.guaranteed" in block["reason"]
    assert [v["text"] for v in blocked.json()["variants"]] == [before[0]["text"], BLOCKED,
                                                               *[v["text"] for v in before[2:]]]
    refused = send(service, "approve #2", thread=thread)
    assert "#2 is held back" in refused["reply"] and refused["approved"] == []
    assert "regenerate #2" in refused["followups"]

    clean = client.put(f"/v1/chat/{thread}/variants/2", json={"text": f"  {CLEAN}  "}, headers=acme).json()
    variant = clean["variant"]
    assert variant["status"] == "ok" and variant["text"] == CLEAN and variant["blocked_reason"] is None
    assert variant["cta"] == "Shop Now" and not [f for f in variant["findings"] if f["severity"] == "block"]
    scores = variant["scores"]
    assert scores["length"] == len(CLEAN) and scores["length_ok"] and scores["sentiment_in_band"]
    assert scores["overall"] > 0 and scores["predicted_ctr"] > 0 and 0 < scores["max_sibling_similarity"] < 1
    assert [v["scores"] for i, v in enumerate(clean["variants"]) if i != 1] == \
        [v["scores"] for i, v in enumerate(before) if i != 1], "the siblings keep their scores"

    shown = client.get(f"/v1/chat/{thread}", headers=acme).json()
    assert shown["variants"][1] == variant, "saved in the thread"
    again = send(service, "approve #2", thread=thread)
    assert "Approved #2" in again["reply"] and again["approved"] == [variant["id"]]
    assert [v["text"] for v in served(service)] == [CLEAN]


def test_an_edit_of_an_approved_variant_takes_the_approval_off(service: dict[str, Any]) -> None:
    client, acme = service["client"], service["as_acme"]
    start = send(service, BOTTLE)
    thread = start["thread_id"]
    approved = send(service, "approve #1 and #3", thread=thread)
    assert approved["approved"] == [start["variants"][0]["id"], start["variants"][2]["id"]]
    edited = client.put(f"/v1/chat/{thread}/variants/1", json={"text": CLEAN}, headers=acme)
    assert edited.status_code == 200
    assert client.get(f"/v1/chat/{thread}", headers=acme).json()["approved"] == [start["variants"][2]["id"]]


def test_bad_edits_get_clear_4xx_answers(service: dict[str, Any]) -> None:
    client, acme = service["client"], service["as_acme"]
    thread = send(service, BOTTLE)["thread_id"]
    words = send(service, "help")["thread_id"]  # a thread with no variants yet
    cases = [(f"/v1/chat/{thread}/variants/9", {"text": CLEAN}, 404, "no variant #9"),
             (f"/v1/chat/{thread}/variants/100000", {"text": CLEAN}, 404, "no variant #100000"),
             (f"/v1/chat/{words}/variants/1", {"text": CLEAN}, 404, "no variant #1"),
             ("/v1/chat/unknown/variants/1", {"text": CLEAN}, 404, "unknown"),
             (f"/v1/chat/{thread}/variants/0", {"text": CLEAN}, 422, "number"),
             (f"/v1/chat/{thread}/variants/two", {"text": CLEAN}, 422, "number"),
             (f"/v1/chat/{thread}/variants/1", {"text": ""}, 422, "text"),
             (f"/v1/chat/{thread}/variants/1", {"text": "   \n "}, 422, "text"),
             (f"/v1/chat/{thread}/variants/1", {"text": "x" * 2001}, 422, "text"),
             (f"/v1/chat/{thread}/variants/1", {"text": CLEAN, "status": "ok"}, 422, "status"),
             (f"/v1/chat/{thread}/variants/1", {}, 422, "text")]
    for path, body, status, named in cases:
        response = client.put(path, json=body, headers=acme)
        assert response.status_code == status, (path, body, response.text)
        assert named in json.dumps(response.json()), (path, body, response.json())
    other = client.put(f"/v1/chat/{thread}/variants/1", json={"text": CLEAN}, headers=service["as_globex"])
    assert other.status_code == 404
    assert client.get(f"/v1/chat/{thread}", headers=acme).json()["variants"][0]["text"] != CLEAN, "nothing changed"


# --------------------------------------------------------------------------------------------------------------
# Approvals are served


@pytest.mark.parametrize("service", ["sqlite", "postgres"], indirect=True)
def test_approving_in_a_chat_serves_the_copy_and_dropping_withdraws_it(service: dict[str, Any]) -> None:
    start = send(service, BOTTLE)
    thread, texts = start["thread_id"], [v["text"] for v in start["variants"]]
    assert served(service) is None
    approved = send(service, "approve #1 and #3", thread=thread)
    assert approved["approved"] == [start["variants"][0]["id"], start["variants"][2]["id"]]
    assert "approve #2" in approved["followups"]
    rows = served(service)
    assert [(r["text"], r["rank"], r["source"]) for r in rows] == [(texts[0], 1, "chat"), (texts[2], 2, "chat")]
    assert served(service, "as_globex") is None
    records = service["client"].get("/v1/memory", headers=service["as_acme"]).json()["records"]
    assert sorted(r["text"] for r in records) == sorted([texts[0], texts[2]])

    dropped = send(service, "drop #1", thread=thread)
    assert dropped["approved"] == [start["variants"][2]["id"]]
    assert [r["text"] for r in served(service)] == [texts[2]]
    send(service, "drop #2", thread=thread)  # the third, now second
    assert served(service) is None, "nothing approved is left to serve"


def test_a_regeneration_keeps_approvals_on_the_variants_it_kept(service: dict[str, Any]) -> None:
    start = send(service, BOTTLE)
    thread = start["thread_id"]
    send(service, "approve #1", thread=thread)
    after = send(service, "regenerate #2", thread=thread)
    ids = [v["id"] for v in after["variants"]]
    assert len(set(ids)) == len(ids) == 4, "every variant on the table has its own id"
    assert after["approved"] == [start["variants"][0]["id"]] and after["variants"][0] == start["variants"][0]
    assert after["variants"][1]["text"] != start["variants"][1]["text"]
    shorter = send(service, "make #1 shorter", thread=thread)
    assert shorter["approved"] == [] and "no longer approved" in shorter["reply"]


def test_openapi_documents_the_chat_endpoints(service: dict[str, Any]) -> None:
    paths = service["client"].get("/openapi.json").json()["paths"]
    assert {"post"} <= set(paths["/v1/chat"]) and {"get"} <= set(paths["/v1/chat"])
    assert "text/event-stream" in paths["/v1/chat/stream"]["post"]["responses"]["200"]["content"]
    assert {"404", "422"} <= set(paths["/v1/chat/{thread_id}/variants/{number}"]["put"]["responses"])
    assert {"404", "422"} <= set(paths["/v1/chat/{thread_id}"]["get"]["responses"])


# --------------------------------------------------------------------------------------------------------------
# The real model


@pytest.mark.model
def test_the_stream_on_the_real_model(tmp_path: Path, real_llm: Any) -> None:
    app = make_app(tmp_path, real_llm)
    key = create_key(app.state.engine, "Acme")
    with TestClient(app) as client:
        response = client.post("/v1/chat/stream", json={"message": BOTTLE}, headers={"X-API-Key": key.api_key})
    stream = sse_events(response.text)
    assert stream[0][0] == "thread" and stream[-1][0] == "reply", stream[-1]
    assert {"intake", "draft", "rank"} <= {data["node"] for kind, data in stream if kind == "progress"}
    reply = stream[-1][1]
    assert 1 <= len(reply["variants"]) <= 4 and all(v["status"] == "ok" for v in reply["variants"])
    assert reply["missing"] == [] and reply["followups"]
