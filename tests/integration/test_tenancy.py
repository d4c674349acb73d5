"""Tenancy (issue 14): every resource and id type one brand can learn or guess — job ids, experiment ids (read,
assign, events, conclude), SKUs of served copy, memory, chat threads and generation run threads, runs waiting for
approval (issue 17), brand-name variants — answers another brand with 404, never with the other brand's data (the
lists: approvals, library, experiments, are empty),
and leaves the other brand's data as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from copyloop.api import create_app
from copyloop.config import Settings
from copyloop.memory import CopyMemory
from copyloop.service.keys import create_key
from tests.fakes import ScriptedChatModel, reply_for

BRIEF = {"product_name": "Trail Bottle", "sku": "TB-750", "category": "Drinkware", "channel": "email_subject",
         "features": ["keeps drinks cold 24h"], "price": 29}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Brand B with one of everything; brand A with a key of its own (and a key for "b " that is B's too)."""
    settings = Settings(home=tmp_path / "home", candidates=1, spares=0,
                        database_url=f"sqlite:///{tmp_path / 'service.sqlite'}")
    app = create_app(settings, llm=ScriptedChatModel(script=reply_for), memory=CopyMemory(tmp_path / "memory"),
                     worker=False)
    a, b = create_key(app.state.engine, "Brand A"), create_key(app.state.engine, "Brand B")
    with TestClient(app) as client:
        as_b = {"X-API-Key": b.api_key}
        run = client.post("/v1/generate", json={"brief": BRIEF}, headers=as_b).json()
        job = client.post("/v1/jobs", json={"brief": BRIEF}, headers=as_b).json()["id"]
        experiment = client.post("/v1/experiments", headers=as_b, json={
            "name": "b's test", "sku": "TB-750", "channel": "email_subject",
            "variants": [{"key": "x", "text": "Meet the Trail Bottle"}, {"key": "y", "text": "Cold for 24 hours"}]}
        ).json()["id"]
        client.post("/v1/events", headers=as_b, json={"events": [
            {"event_id": "b1", "experiment_id": experiment, "type": "impression", "variant": "x"}]})
        chat = client.post("/v1/chat", json={"message": "a bottle for hikers"}, headers=as_b).json()["thread_id"]
        approval = client.post("/v1/generate", json={"brief": {**BRIEF, "sku": "TB-1"}, "approval": "human"},
                               headers=as_b).json()
        client.post("/v1/memory", headers=as_b, json={"records": [{"text": "Brand B's own line", "sku": "B-1"}]})
        yield {"client": client, "as_a": {"X-API-Key": a.api_key}, "as_b": as_b, "run": run["thread_id"],
               "job": job, "experiment": experiment, "chat": chat, "approval": approval}


def test_every_id_of_another_brand_is_not_found(world: dict[str, Any]) -> None:
    _brand_a_tries_every_id_of_brand_b(world)


def _brand_a_tries_every_id_of_brand_b(world: dict[str, Any]) -> None:
    client, as_a, exp = world["client"], world["as_a"], world["experiment"]
    assert client.get(f"/v1/jobs/{world['job']}", headers=as_a).status_code == 404
    assert client.get(f"/v1/experiments/{exp}", headers=as_a).status_code == 404
    assert client.get(f"/v1/experiments/{exp}/assign?unit=u1", headers=as_a).status_code == 404
    assert client.post(f"/v1/experiments/{exp}/conclude", json={"winner": "x"}, headers=as_a).status_code == 404
    assert client.get("/v1/variants/TB-750", headers=as_a).status_code == 404
    assert client.get("/v1/variants/TB-750?unit=u1&channel=email_subject", headers=as_a).status_code == 404
    for thread in (world["chat"], world["run"]):
        refused = client.post("/v1/chat", json={"thread_id": thread, "message": "show me"}, headers=as_a)
        assert refused.status_code == 404 and "variants" not in refused.json()
    event = client.post("/v1/events", headers=as_a, json={"events": [
        {"event_id": "a1", "experiment_id": exp, "type": "click", "variant": "x"}]})
    assert event.status_code == 404 and event.json()["detail"][0]["field"].endswith("experiment_id")
    assert client.get("/v1/memory", headers=as_a).json()["records"] == []
    approval = world["approval"]
    assert client.get(approval["url"], headers=as_a).status_code == 404
    assert client.post(approval["url"], json={"approve": [approval["variants"][0]["id"]]},
                       headers=as_a).status_code == 404
    for listing, empty in (("/v1/approvals", {"pending": []}), ("/v1/library", {"items": []}),
                           ("/v1/experiments", {"experiments": []})):
        assert client.get(listing, headers=as_a).json() == empty


def test_the_other_brand_still_sees_all_of_its_own_data_unchanged(world: dict[str, Any]) -> None:
    _brand_a_tries_every_id_of_brand_b(world)
    client, as_b, exp = world["client"], world["as_b"], world["experiment"]
    report = client.get(f"/v1/experiments/{exp}", headers=as_b).json()
    assert report["status"] == "running" and sum(v["impressions"] + v["clicks"] for v in report["variants"]) == 1
    assert client.get(f"/v1/jobs/{world['job']}", headers=as_b).status_code == 200
    assert client.get("/v1/variants/TB-750", headers=as_b).status_code == 200
    assert [a["id"] for a in client.get("/v1/approvals", headers=as_b).json()["pending"]] == [world["approval"]["id"]]
    assert [i["sku"] for i in client.get("/v1/library", headers=as_b).json()["items"]] == ["TB-750"]
    assert [e["id"] for e in client.get("/v1/experiments", headers=as_b).json()["experiments"]] == [exp]
    assert "Brand B's own line" in {r["text"] for r in client.get("/v1/memory", headers=as_b).json()["records"]}
    assert client.post("/v1/chat", json={"thread_id": world["chat"], "message": "shorter"},
                       headers=as_b).status_code == 200


def test_a_brand_spelled_differently_is_the_same_brand_not_a_way_in(world: dict[str, Any]) -> None:
    client = world["client"]
    engine = client.app.state.engine
    variant = create_key(engine, "  brand   b ")
    assert variant.brand == "Brand B"
    as_variant = {"X-API-Key": variant.api_key}
    assert client.get(f"/v1/experiments/{world['experiment']}", headers=as_variant).status_code == 200
    other = create_key(engine, "Brand C")
    assert client.get(f"/v1/experiments/{world['experiment']}",
                      headers={"X-API-Key": other.api_key}).status_code == 404
