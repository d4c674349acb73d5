"""The service store's tests (tests/unit/test_service_store.py) on a real Postgres server, and on both databases
the ones too slow for the unit tests: a statistical one, and concluding into a real Chroma memory (MiniLM)."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from copyloop.memory import CopyMemory
from copyloop.memory.records import record_id
from copyloop.service import experiments, served_copy
from copyloop.service.experiment_results import conclude, results
from copyloop.service.experiments import ExperimentError
from tests.postgres import service_url
from tests.unit.test_service_store import *  # noqa: F403  (the same tests, on the database below)
from tests.unit.test_service_store import BRAND, OTHER, _event, _experiment, _seed


@pytest.fixture(params=["postgres"])
def service_db_url(request: pytest.FixtureRequest, tmp_path):
    """Postgres only: tests/unit runs these tests on SQLite."""
    with service_url(request, tmp_path) as url:
        yield url


both = pytest.mark.parametrize("service_db_url", ["sqlite", "postgres"], indirect=True)


@both
def test_split_shares_follow_the_weights(engine: Engine) -> None:
    experiment_id = _experiment(engine, "split", weights=[2, 1, 1], texts=("a", "b", "c"))
    arms = Counter(experiments.assign(engine, BRAND, experiment_id, f"u{i}")[0].index for i in range(2000))
    shares = [arms[i] / 2000 for i in range(3)]
    assert shares == pytest.approx([0.5, 0.25, 0.25], abs=0.05)  # 4+ standard deviations
    assert [v["share"] for v in results(engine, BRAND, experiment_id)["variants"]] == [0.5, 0.25, 0.25]


@both
def test_concluding_writes_counts_to_memory_and_serves_the_winner_first(engine: Engine, tmp_path: Path) -> None:
    memory = CopyMemory(tmp_path / "mem")
    texts = ("Cold for 24 hours.", "Your summit sip, still icy.", "One bottle, every trail.")
    experiment_id = _experiment(engine, texts=texts)
    measured = [(400, 8, 1), (400, 20, 3), (400, 32, 4)]  # (impressions, clicks, conversions): v3 leads
    for arm, (shown, clicked, converted) in enumerate(measured):
        _seed(engine, experiment_id, arm, "impression", shown)
        _seed(engine, experiment_id, arm, "click", clicked)
        _seed(engine, experiment_id, arm, "conversion", converted)
    with engine.begin() as conn:
        served_copy.replace(conn, BRAND, "TB-1", "email_subject", "", [{"text": "Old copy."}], "generate")

    report = conclude(engine, memory, BRAND, experiment_id, winner_key="v1")  # the team's call, not the leader
    assert (report["status"], report["winner"]) == ("concluded", "v1") and report["concluded_at"] is not None

    with engine.connect() as conn:
        _, arms = experiments.load(conn, BRAND, experiment_id)
    for arm, (shown, clicked, converted) in zip(arms, measured, strict=True):
        assert arm.memory_id == record_id(BRAND, "TB-1", "email_subject", arm.text)
        stored = memory.get(arm.memory_id)  # type: ignore[arg-type]
        assert stored is not None and stored.text == arm.text and stored.source == "experiment"
        assert (stored.impressions, stored.clicks, stored.conversions) == (shown, clicked, converted)
        assert stored.approved == (arm.index == 0)  # only the winner stays an example for drafting

    served = served_copy.lookup(engine, BRAND, "TB-1", "email_subject", None, 10)
    assert [s["text"] for s in served] == [texts[0], texts[2], texts[1]]  # winner, then by measured CTR
    assert [s["rank"] for s in served] == [1, 2, 3]
    assert {s["source"] for s in served} == {f"experiment:{experiment_id}"}

    with pytest.raises(ExperimentError) as caught:
        conclude(engine, memory, BRAND, experiment_id)
    assert caught.value.status == 409
    with pytest.raises(ExperimentError) as caught:
        conclude(engine, memory, OTHER, experiment_id)
    assert caught.value.status == 404
    assert memory.get(arms[0].memory_id).impressions == 400  # type: ignore[arg-type, union-attr]
    late = experiments.record(engine, BRAND, [_event(experiment_id, "late", variant="v2")])
    assert late == {"accepted": 0, "duplicates": 0, "late": 1}  # too late to count, and the batch is not failed
    assert experiments.assign(engine, BRAND, experiment_id, "new-user")[0].index == 0  # everyone gets the winner

    unshown = _experiment(engine)
    with pytest.raises(ExperimentError) as caught:
        conclude(engine, memory, BRAND, unshown)
    assert (caught.value.status, caught.value.field) == (409, "winner")
    with pytest.raises(ExperimentError) as caught:
        conclude(engine, memory, BRAND, unshown, winner_key="v7")
    assert (caught.value.status, caught.value.field) == (409, "winner")
    assert results(engine, BRAND, unshown)["status"] == "running"


@both
def test_two_concurrent_conclusions_count_the_outcome_once(engine: Engine, tmp_path: Path) -> None:
    memory = CopyMemory(tmp_path / "mem")
    experiment_id = _experiment(engine)
    for arm in range(2):
        _seed(engine, experiment_id, arm, "impression", 300)
    outcomes: list[int] = []

    def attempt() -> None:
        try:
            conclude(engine, memory, BRAND, experiment_id, winner_key="v2")
            outcomes.append(200)
        except ExperimentError as exc:
            outcomes.append(exc.status)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == [200, 409, 409, 409]
    with engine.connect() as conn:
        _, arms = experiments.load(conn, BRAND, experiment_id)
    assert [memory.get(a.memory_id).impressions for a in arms] == [300, 300]  # type: ignore[arg-type, union-attr]
