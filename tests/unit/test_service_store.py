"""The service's storage layer on SQLite (tests/integration/test_service_store.py runs these on a real Postgres
server too): the same calls must give the same answers.

Concurrency is tested with real threads on real connections, since locking (SQLite's write lock, Postgres' row
locks and conflict waits) is where the two databases differ.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from copyloop.brief import Brief, Channel
from copyloop.errors import CopyloopError
from copyloop.result import Result, Scores, Variant
from copyloop.service import experiments, jobs, keys, served_copy
from copyloop.service.db import api_keys, connect, now
from copyloop.service.db import events as events_table
from copyloop.service.db import jobs as jobs_table
from copyloop.service.experiment_results import results
from copyloop.service.experiments import ExperimentError
from copyloop.service.webhooks import MAX_ATTEMPTS

BRAND, OTHER = "Acme Outdoor", "Rival Co"


@pytest.fixture
def engine(service_db_url: str) -> Iterator[Engine]:
    engine = connect(service_db_url)
    yield engine
    engine.dispose()


def _in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(0..count-1) in threads released together; any thread's exception fails the test."""
    start = threading.Barrier(count)
    outcomes: list[Any] = [None] * count

    def run(index: int) -> None:
        start.wait()
        try:
            outcomes[index] = work(index)
        except BaseException as exc:  # re-raised in the main thread below
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return outcomes


# -- keys ----------------------------------------------------------------------------------------------------------


def test_keys_store_only_a_hash_and_revocation_is_immediate(engine: Engine) -> None:
    new = keys.create_key(engine, "  Acme Outdoor ", label="ci")
    kept = keys.create_key(engine, BRAND)
    assert new.brand == BRAND and new.api_key.startswith(f"cl_{new.key_id}_")

    tenant = keys.tenant_for(engine, new.api_key)
    assert tenant == keys.Tenant(brand=BRAND, key_id=new.key_id, webhook_secret=new.webhook_secret)

    with engine.connect() as conn:
        stored = [dict(r._mapping) for r in conn.execute(sa.select(api_keys))]
    assert len(stored) == 2
    secret = new.api_key.removeprefix(f"cl_{new.key_id}_")
    assert not any(secret in str(value) for row in stored for value in row.values())
    row = next(r for r in stored if r["key_id"] == new.key_id)
    assert row["key_hash"] == hashlib.sha256(new.api_key.encode()).hexdigest()
    assert all("key_hash" not in listed for listed in keys.list_keys(engine))

    assert keys.tenant_for(engine, new.api_key[:-1] + ("A" if new.api_key[-1] != "A" else "B")) is None
    assert keys.tenant_for(engine, "not-a-key") is None

    assert keys.revoke_key(engine, new.key_id) is True
    assert keys.revoke_key(engine, new.key_id) is False
    assert keys.tenant_for(engine, new.api_key) is None
    assert keys.tenant_for(engine, kept.api_key).brand == BRAND  # type: ignore[union-attr]
    with pytest.raises(CopyloopError):
        keys.create_key(engine, "   ")


# -- jobs ----------------------------------------------------------------------------------------------------------


def test_jobs_are_visible_only_to_their_brand(engine: Engine) -> None:
    request = {"brief": {"product_name": "Trail Bottle", "features": ["1 L", "steel"]}}
    job_id = jobs.submit(engine, BRAND, request, None)

    job = jobs.get(engine, BRAND, job_id)
    assert job is not None
    assert (job["status"], job["runs"], job["result"], job["delivery"]) == ("queued", 0, None, "none")
    assert jobs.get(engine, OTHER, job_id) is None
    assert jobs.get(engine, BRAND, "job_missing") is None
    assert jobs.claim(engine, 30)["request"] == request  # type: ignore[index]


def test_concurrent_claimers_never_share_a_job(engine: Engine) -> None:
    submitted = {jobs.submit(engine, BRAND, {"n": i}, None) for i in range(16)}

    def drain(_: int) -> list[str]:
        taken = []
        while (job := jobs.claim(engine, 60)) is not None:
            taken.append(job["id"])
        return taken

    claimed = [job_id for taken in _in_threads(4, drain) for job_id in taken]
    assert sorted(claimed) == sorted(submitted)  # every job once: none lost, none claimed twice
    assert {jobs.get(engine, BRAND, j)["runs"] for j in submitted} == {1}  # type: ignore[index]


def test_an_expired_lease_is_claimed_again_and_a_renewed_one_is_not(engine: Engine,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_000.0]
    monkeypatch.setattr(jobs, "now", lambda: clock[0])  # the store's time, moved by hand
    job_id = jobs.submit(engine, BRAND, {}, None)
    assert jobs.claim(engine, 0.5)["id"] == job_id  # type: ignore[index]
    assert jobs.claim(engine, 60) is None  # its worker still holds the lease
    clock[0] += 0.4
    assert jobs.claim(engine, 60) is None  # not yet run out
    clock[0] += 0.2  # the worker died: its lease runs out

    again = jobs.claim(engine, 0.5)
    assert again is not None and again["id"] == job_id and again["runs"] == 2 and again["status"] == "running"
    jobs.renew(engine, job_id, 60)
    clock[0] += 0.6
    assert jobs.claim(engine, 60) is None

    jobs.finish(engine, job_id, result={"ok": True})
    assert jobs.get(engine, BRAND, job_id)["status"] == "succeeded"  # type: ignore[index]
    assert jobs.claim(engine, 60) is None


def test_finish_schedules_a_webhook_only_for_jobs_with_a_callback(engine: Engine) -> None:
    hooked = jobs.submit(engine, BRAND, {}, "https://hooks.example/copy")
    silent = jobs.submit(engine, BRAND, {}, None)
    result = {"variants": [{"text": "Cold for 24 hours.", "rank": 1}], "model": "smollm2"}
    jobs.finish(engine, hooked, result=result)
    jobs.finish(engine, silent, error="model failed to load")

    done = jobs.get(engine, BRAND, hooked)
    failed = jobs.get(engine, BRAND, silent)
    assert done is not None and failed is not None
    assert (done["status"], done["result"], done["error"], done["delivery"]) == ("succeeded", result, None, "pending")
    assert done["finished_at"] is not None
    assert (failed["status"], failed["result"], failed["error"], failed["delivery"]) == (
        "failed", None, "model failed to load", "none")
    due = jobs.due_deliveries(engine)
    assert [d["id"] for d in due] == [hooked] and due[0]["lease_until"] is None

    jobs.delivered(engine, hooked)
    done = jobs.get(engine, BRAND, hooked)
    assert (done["delivery"], done["delivery_attempts"]) == ("delivered", 1)  # type: ignore[index]
    assert jobs.due_deliveries(engine) == []


def test_failed_deliveries_back_off_exponentially_then_give_up(engine: Engine) -> None:
    job_id = jobs.submit(engine, BRAND, {}, "https://hooks.example/copy")
    jobs.finish(engine, job_id, result={})

    def next_try() -> float | None:
        with engine.connect() as conn:
            return conn.execute(sa.select(jobs_table.c.next_delivery_at).where(jobs_table.c.id == job_id)).scalar()

    for attempts in range(MAX_ATTEMPTS - 1):
        before = now()
        jobs.delivery_failed(engine, job_id, attempts, f"HTTP 503 (try {attempts + 1})", base=1.0)
        wait = next_try() - before  # type: ignore[operator]
        assert min(2.0**attempts, 600.0) <= wait < min(2.0**attempts, 600.0) + 5
        job = jobs.get(engine, BRAND, job_id)
        assert (job["delivery"], job["delivery_attempts"]) == ("pending", attempts + 1)  # type: ignore[index]
        assert job["delivery_error"] == f"HTTP 503 (try {attempts + 1})"  # type: ignore[index]
        assert jobs.due_deliveries(engine) == []  # not before its backoff has passed

    jobs.delivery_failed(engine, job_id, MAX_ATTEMPTS - 1, "HTTP 503")
    job = jobs.get(engine, BRAND, job_id)
    assert (job["delivery"], job["delivery_attempts"]) == ("failed", MAX_ATTEMPTS)  # type: ignore[index]
    assert next_try() is None

    retried = jobs.submit(engine, BRAND, {}, "https://hooks.example/copy")
    jobs.finish(engine, retried, result={})
    jobs.delivery_failed(engine, retried, 0, "timeout", base=0.0)  # no backoff: due again at once
    assert [d["id"] for d in jobs.due_deliveries(engine)] == [retried]


# -- experiments ---------------------------------------------------------------------------------------------------


def _experiment(engine: Engine, allocation: experiments.Allocation = "split", weights: list[float] | None = None,
                texts: tuple[str, ...] = ("Cold for 24 hours.", "Your summit sip, still icy."),
                sku: str | None = "TB-1") -> str:
    weights = weights or [1.0] * len(texts)
    variants = [{"text": t, "angle": f"angle {i}", "weight": w}
                for i, (t, w) in enumerate(zip(texts, weights, strict=True))]
    return experiments.create(engine, BRAND, name="bottle subject", sku=sku, category="Outdoor",
                              channel="email_subject", allocation=allocation, control=0, variants=variants)


def _seed(engine: Engine, experiment_id: str, arm: int, kind: str, count: int, segment: str = "") -> None:
    """Store `count` events in one bulk insert: for statistics tests, where the path in is not what is tested."""
    stamp = now()
    prefix = f"{arm}-{kind}-{segment}-{random.getrandbits(32)}"
    with engine.begin() as conn:
        conn.execute(events_table.insert(), [
            {"brand": BRAND, "event_id": f"{prefix}-{i}", "experiment_id": experiment_id, "arm": arm,
             "segment": segment, "type": kind, "occurred_at": stamp, "received_at": stamp} for i in range(count)])


def _counts(engine: Engine, experiment_id: str, n_arms: int = 2) -> dict[str, list[int]]:
    with engine.connect() as conn:
        return {k: v.tolist() for k, v in experiments.counts_by_arm(conn, experiment_id, n_arms).items()}


def _event(experiment_id: str, event_id: str, kind: str = "impression", **fields: Any) -> dict[str, Any]:
    return {"experiment_id": experiment_id, "event_id": event_id, "type": kind, **fields}


@pytest.mark.parametrize("allocation", ["split", "thompson"])
def test_assignment_is_sticky(engine: Engine, allocation: experiments.Allocation) -> None:
    experiment_id = _experiment(engine, allocation)
    first = {f"user-{i}": experiments.assign(engine, BRAND, experiment_id, f"user-{i}", "runners") for i in range(40)}
    assert all(made for _, made in first.values())
    for unit, (arm, _) in first.items():
        again, made = experiments.assign(engine, BRAND, experiment_id, unit, "cyclists")
        assert (again.index, made) == (arm.index, False)
    assert {arm.index for arm, _ in first.values()} == {0, 1}  # 40 units all on one arm: 2**-39


@pytest.mark.parametrize("allocation", ["split", "thompson"])
def test_concurrent_first_assignments_agree(engine: Engine, allocation: experiments.Allocation) -> None:
    experiment_id = _experiment(engine, allocation)
    picks = _in_threads(6, lambda _: experiments.assign(engine, BRAND, experiment_id, "user-1"))
    assert len({arm.index for arm, _ in picks}) == 1
    assert sum(made for _, made in picks) == 1  # exactly one call made the assignment; the rest read it


def test_events_count_once_per_event_id(engine: Engine) -> None:
    experiment_id = _experiment(engine)
    arm, _ = experiments.assign(engine, BRAND, experiment_id, "user-7")
    batch = [_event(experiment_id, "e1", variant="v1"), _event(experiment_id, "e2", variant="v2"),
             _event(experiment_id, "e3", "click", variant="v2"), _event(experiment_id, "e4", unit="user-7"),
             _event(experiment_id, "e1", variant="v1")]  # repeated inside the batch
    assert experiments.record(engine, BRAND, batch) == {"accepted": 4, "duplicates": 1, "late": 0}
    assert experiments.record(engine, BRAND, batch) == {"accepted": 0, "duplicates": 5, "late": 0}  # a client's retry

    impressions = [1, 1]
    impressions[arm.index] += 1  # e4 lands on the unit's assigned arm
    assert _counts(engine, experiment_id) == {"impression": impressions, "click": [0, 1], "conversion": [0, 0]}
    # Event ids are per brand: another brand's "e1" is its own event.
    other = experiments.create(engine, OTHER, name="x", sku=None, category="c", channel="email_subject",
                               allocation="split", control=0, variants=[{"text": "a"}, {"text": "b"}])
    assert experiments.record(engine, OTHER, [_event(other, "e1", variant="v2")]) == \
        {"accepted": 1, "duplicates": 0, "late": 0}


@pytest.mark.parametrize(("bad", "status", "field"), [
    ({"variant": "v9"}, 409, "events[2].variant"),
    ({"unit": "never-assigned"}, 409, "events[2].unit"),
    ({"experiment_id": "exp_missing", "variant": "v1"}, 404, "events[2].experiment_id"),
])
def test_a_batch_with_one_bad_event_stores_nothing(engine: Engine, bad: dict[str, Any], status: int,
                                                   field: str) -> None:
    experiment_id = _experiment(engine)
    batch = [_event(experiment_id, "ok-1", variant="v1"), _event(experiment_id, "ok-2", "click", variant="v2"),
             {**_event(experiment_id, "bad"), **bad}]
    with pytest.raises(ExperimentError) as caught:
        experiments.record(engine, BRAND, batch)
    assert (caught.value.status, caught.value.field) == (status, field)
    assert _counts(engine, experiment_id) == {"impression": [0, 0], "click": [0, 0], "conversion": [0, 0]}
    # the failed batch used up no ids
    assert experiments.record(engine, BRAND, batch[:2]) == {"accepted": 2, "duplicates": 0, "late": 0}


def test_another_brand_cannot_see_or_touch_an_experiment(engine: Engine) -> None:
    experiment_id = _experiment(engine)
    with pytest.raises(ExperimentError) as caught:
        experiments.assign(engine, OTHER, experiment_id, "user-1")
    assert caught.value.status == 404
    with pytest.raises(ExperimentError) as caught:
        results(engine, OTHER, experiment_id)
    assert caught.value.status == 404
    with pytest.raises(ExperimentError) as caught:
        experiments.record(engine, OTHER, [_event(experiment_id, "e1", variant="v1")])
    assert (caught.value.status, caught.value.field) == (404, "events[0].experiment_id")
    assert _counts(engine, experiment_id) == {"impression": [0, 0], "click": [0, 0], "conversion": [0, 0]}


def test_concurrent_ingestion_counts_exactly(engine: Engine) -> None:
    """8 writers × 250 events in batches of 25, each sharing 50 event ids with every other writer, in its own order
    (overlapping batches in different orders are what deadlocks Postgres unless inserts take locks in one order)."""
    experiment_id = _experiment(engine)

    def event(number: int) -> dict[str, Any]:
        return _event(experiment_id, f"ev-{number}", "click" if number % 5 == 0 else "impression",
                      variant=f"v{number % 2 + 1}")

    def send(writer: int) -> tuple[int, int]:
        numbers = [writer * 1000 + i for i in range(200)] + [10_000 + i for i in range(50)]
        random.Random(writer).shuffle(numbers)
        totals: Counter[str] = Counter()
        for start in range(0, len(numbers), 25):
            totals.update(experiments.record(engine, BRAND, [event(n) for n in numbers[start:start + 25]]))
        return totals["accepted"], totals["duplicates"]

    sent = _in_threads(8, send)
    unique = [w * 1000 + i for w in range(8) for i in range(200)] + [10_000 + i for i in range(50)]
    assert sum(a for a, _ in sent) == len(unique) == 1650
    assert sum(d for _, d in sent) == 8 * 250 - 1650
    expected = {"impression": [0, 0], "click": [0, 0], "conversion": [0, 0]}
    for number in unique:
        expected["click" if number % 5 == 0 else "impression"][number % 2] += 1
    assert _counts(engine, experiment_id) == expected


# -- results -------------------------------------------------------------------------------------------------------


def test_results_give_rates_with_wilson_intervals(engine: Engine) -> None:
    experiment_id = _experiment(engine)
    _seed(engine, experiment_id, 0, "impression", 200)
    _seed(engine, experiment_id, 0, "click", 10)
    _seed(engine, experiment_id, 0, "conversion", 2)
    _seed(engine, experiment_id, 1, "impression", 100)

    report = results(engine, BRAND, experiment_id)
    control, challenger = report["variants"]
    assert (control["impressions"], control["clicks"], control["conversions"]) == (200, 10, 2)
    assert (control["ctr"], control["cvr"]) == (0.05, 0.2)
    assert control["ctr_interval"] == pytest.approx([0.0274, 0.0896], abs=1e-4)  # textbook Wilson for 10/200
    assert challenger["ctr"] == 0.0 and challenger["ctr_interval"][0] == 0.0
    assert challenger["ctr_interval"][1] == pytest.approx(0.0370, abs=1e-4)  # 0/100 still allows up to 3.7%
    assert challenger["cvr_interval"] == [0.0, 1.0]  # no clicks: nothing known
    assert control["prob_beat_control"] is None and challenger["prob_beat_control"] < 0.05
    assert report["control"] == "v1" and report["winner"] is None and report["status"] == "running"


def test_sample_ratio_mismatch_is_flagged(engine: Engine) -> None:
    skewed, fair = _experiment(engine), _experiment(engine)
    _seed(engine, skewed, 0, "impression", 6000)
    _seed(engine, skewed, 1, "impression", 4000)
    _seed(engine, fair, 0, "impression", 1010)
    _seed(engine, fair, 1, "impression", 990)

    flagged = results(engine, BRAND, skewed)["sample_ratio"]
    assert flagged["checked"] and flagged["mismatch"] and flagged["p_value"] < 1e-6
    assert flagged["observed_share"] == [0.6, 0.4] and flagged["expected_share"] == [0.5, 0.5]
    assert results(engine, BRAND, fair)["sample_ratio"]["mismatch"] is False
    assert results(engine, BRAND, _experiment(engine, "thompson"))["sample_ratio"]["checked"] is False


@pytest.mark.parametrize(("shown", "clicks", "significant", "reason"), [
    (100, [2, 30], False, "at least 1000 impressions"),
    (1000, [40, 55], False, "not yet significantly higher"),
    (1000, [20, 80], True, "beats every other variant"),
])
def test_a_winner_is_significant_only_with_enough_evidence(engine: Engine, shown: int, clicks: list[int],
                                                           significant: bool, reason: str) -> None:
    experiment_id = _experiment(engine)
    for arm, count in enumerate(clicks):
        _seed(engine, experiment_id, arm, "impression", shown)
        _seed(engine, experiment_id, arm, "click", count)
    recommendation = results(engine, BRAND, experiment_id)["recommendation"]
    assert (recommendation["winner"], recommendation["significant"]) == ("v2", significant)
    assert reason in recommendation["reason"]


def test_results_break_down_by_segment(engine: Engine) -> None:
    experiment_id = _experiment(engine)
    _seed(engine, experiment_id, 0, "impression", 30, "runners")
    _seed(engine, experiment_id, 1, "impression", 20, "cyclists")
    report = results(engine, BRAND, experiment_id)
    assert [v["impressions"] for v in report["variants"]] == [30, 20]
    assert {s: [v["impressions"] for v in r["variants"]] for s, r in report["segments"].items()} == {
        "cyclists": [0, 20], "runners": [30, 0]}


# -- conclusion ----------------------------------------------------------------------------------------------------


# -- served copy ---------------------------------------------------------------------------------------------------


def _result(texts: list[str], audience: str | None, blocked: int | None = None, sku: str | None = "TB-1") -> Result:
    brief = Brief(product_name="Trail Bottle", sku=sku, channel=Channel.EMAIL_SUBJECT, audience=audience)
    variants = [Variant(id=i, text=t, angle="durability", status="blocked" if i == blocked else "ok",
                        scores=Scores(predicted_ctr=1.5 - i / 10)) for i, t in enumerate(texts)]
    return Result(brief=brief, variants=variants, model="smollm2")


def test_served_copy_falls_back_to_the_copy_for_every_segment(engine: Engine) -> None:
    assert served_copy.publish(engine, BRAND, _result(["Runners: cold at mile 20.", "Blocked claim.",
                                                       "Trail-ready."], "runners", blocked=1), "job:1") == 2
    assert served_copy.publish(engine, BRAND, _result(["For every trail.", "Ice all day."], None), "job:2") == 2

    runners = served_copy.lookup(engine, BRAND, "TB-1", "email_subject", "runners", 10)
    assert [(r["text"], r["rank"], r["segment"]) for r in runners] == [
        ("Runners: cold at mile 20.", 1, "runners"), ("Trail-ready.", 2, "runners")]
    assert runners[0]["predicted_ctr"] == pytest.approx(1.5) and runners[0]["source"] == "job:1"
    fallback = served_copy.lookup(engine, BRAND, "TB-1", None, "cyclists", 1)
    assert [(r["text"], r["segment"], r["channel"]) for r in fallback] == [("For every trail.", "", "email_subject")]

    assert served_copy.publish(engine, BRAND, _result(["Runners, new copy."], "runners"), "job:3") == 1
    assert [r["text"] for r in served_copy.lookup(engine, BRAND, "TB-1", None, "runners", 10)] == ["Runners, new copy."]
    assert served_copy.publish(engine, BRAND, _result(["Blocked."], "runners", blocked=0), "job:4") == 0
    assert [r["text"] for r in served_copy.lookup(engine, BRAND, "TB-1", None, "runners", 10)] == ["Runners, new copy."]

    assert served_copy.lookup(engine, OTHER, "TB-1", None, "runners", 10) == []
    assert served_copy.lookup(engine, BRAND, "TB-1", "push_notification", None, 10) == []
    served_copy.publish(engine, BRAND, _result(["No SKU given."], None, sku=None), "generate")
    assert [r["text"] for r in served_copy.lookup(engine, BRAND, "Trail Bottle", None, None, 10)] == ["No SKU given."]
