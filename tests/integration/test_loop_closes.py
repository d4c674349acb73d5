"""The loop closes: a live experiment's measured outcome reaches memory, drafting, served copy and fine-tuning.

Through the real HTTP app (SQLite, Chroma): an experiment on a brief collects a clear winner, is concluded;
the winner's impressions and clicks are in memory, the next drafts for the same category and channel are shown
it first as an example, /v1/variants serves it first, and `copyloop finetune --outcomes` reads it as a target.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from copyloop.api import create_app
from copyloop.brief import brief_from_dict
from copyloop.config import Settings
from copyloop.drafting.drafts import find_exemplars
from copyloop.memory import CopyMemory
from copyloop.service.db import default_url
from copyloop.service.experiment_results import significant_winners
from copyloop.service.keys import create_key
from copyloop.training.outcomes import winner_targets
from tests.fakes import ScriptedChatModel, reply_for

BRIEF = {"product_name": "Summit Flask", "sku": "SF-1", "category": "Drinkware", "channel": "email_subject",
         "tone": "playful", "features": ["keeps drinks hot 12h"], "price": 35}
LOSER, WINNER = "Meet the Summit Flask", "Hot coffee at the summit: Summit Flask"


def events(experiment: str, key: str, shown: int, clicked: int) -> list[dict]:
    """`shown` impressions and `clicked` clicks of one variant, each with its own event id."""
    return [{"event_id": f"{key}-{kind}-{i}", "experiment_id": experiment, "type": kind, "variant": key}
            for kind, count in (("impression", shown), ("click", clicked)) for i in range(count)]


def test_a_concluded_winner_flows_into_memory_drafting_serving_and_training(tmp_path: Path) -> None:
    model = ScriptedChatModel(script=reply_for)
    settings = Settings(home=tmp_path / "home", candidates=1, spares=0)
    memory = CopyMemory(tmp_path / "memory")
    app = create_app(settings, llm=model, memory=memory)
    key = create_key(app.state.engine, "Acme")
    headers = {"X-API-Key": key.api_key}
    with TestClient(app) as client:
        # Untested copy of the same category and channel, newer than anything measured: exemplars' default pick.
        seeded = client.post("/v1/memory", headers=headers, json={"records": [
            {"text": "Fresh sips all day with the Ridge Mug", "category": "Drinkware", "channel": "email_subject"}]})
        assert seeded.status_code == 201
        exp = client.post("/v1/experiments", headers=headers, json={
            "name": "flask subject", "sku": "SF-1", "category": "Drinkware", "channel": "email_subject",
            "brief": BRIEF, "variants": [{"key": "control", "text": LOSER, "angle": "benefit"},
                                         {"key": "summit", "text": WINNER, "angle": "scenario"}]}).json()["id"]
        batch = events(exp, "control", 1500, 45) + events(exp, "summit", 1500, 120)
        for start in range(0, len(batch), 1000):
            assert client.post("/v1/events", headers=headers, json={"events": batch[start:start + 1000]}).json()[
                "duplicates"] == 0
        report = client.get(f"/v1/experiments/{exp}", headers=headers).json()
        assert report["recommendation"]["winner"] == "summit" and report["recommendation"]["significant"]
        assert report["variants"][1]["prob_beat_control"] > 0.99

        concluded = client.post(f"/v1/experiments/{exp}/conclude", headers=headers).json()
        assert concluded["winner"] == "summit"

        by_text = {r.text: r for r in memory.all()}
        assert (by_text[WINNER].impressions, by_text[WINNER].clicks) == (1500, 120)
        assert (by_text[LOSER].impressions, by_text[LOSER].clicks) == (1500, 45)
        assert by_text[WINNER].brand == "Acme" and by_text[WINNER].source == "experiment"
        assert by_text[WINNER].approved and not by_text[LOSER].approved

        brief = brief_from_dict({**BRIEF, "brand": "Acme", "product_name": "Valley Bottle", "sku": "VB-2"})
        assert [e.copy for e in find_exemplars(brief, memory)][:1] == [WINNER]
        assert LOSER not in [e.copy for e in find_exemplars(brief, memory)]  # kept for novelty, not as an example
        client.post("/v1/generate", headers=headers, json={"brief": {**BRIEF, "product_name": "Valley Bottle",
                                                                     "sku": "VB-2"}})
        first_draft = model.conversations[0]  # the proven winner is the drafter's first example
        assert WINNER in first_draft and LOSER not in first_draft

        served = client.get("/v1/variants/SF-1?channel=email_subject", headers=headers).json()
        assert [v["text"] for v in served["variants"]] == [WINNER, LOSER]

    rows = winner_targets(significant_winners(default_url(tmp_path / "home")))
    assert len(rows) == 1 and rows[0]["completion"][0]["content"] == WINNER
    assert "(Summit Flask)" in rows[0]["prompt"][-1]["content"]
    assert (rows[0]["impressions"], rows[0]["clicks"]) == (1500, 120)
