"""Live A/B/n experiments: sticky assignment, idempotent events, results with intervals, and conclusion.

Counts are never kept in counters that concurrent writers could race on: every event is one row with a unique
(brand, event id), and results are tallied from the rows, so a retried or duplicated event counts once.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from copyloop.service.db import arms, assignments, events, experiments, now, writing
from copyloop.tools.ab_stats import thompson_share

EventType = Literal["impression", "click", "conversion"]
Allocation = Literal["split", "thompson"]
SRM_ALPHA = 0.001


class ExperimentError(Exception):
    """A request that names something the experiment does not have; `status` is the HTTP status to answer."""

    def __init__(self, status: int, message: str, field: str | None = None):
        self.status, self.field = status, field
        super().__init__(message)


@dataclass(frozen=True)
class Arm:
    """One variant in an experiment."""

    index: int
    key: str
    text: str
    angle: str | None
    weight: float
    memory_id: str | None = None


def create(engine: Engine, brand: str, *, name: str, sku: str | None, category: str, channel: str,
           allocation: Allocation, control: int, variants: list[dict[str, Any]],
           brief: dict[str, Any] | None = None) -> str:
    """Store a running experiment; returns its id. Split weights are normalised to shares."""
    experiment_id = "exp_" + uuid.uuid4().hex[:20]
    total = sum(v.get("weight") or 1.0 for v in variants)
    with writing(engine) as conn:
        conn.execute(experiments.insert().values(
            id=experiment_id, brand=brand, name=name, sku=sku, category=category, channel=channel,
            allocation=allocation, control=control, brief=brief, status="running", created_at=now()))
        conn.execute(arms.insert(), [
            {"experiment_id": experiment_id, "arm": i, "key": v.get("key") or f"v{i + 1}", "text": v["text"],
             "angle": v.get("angle"), "weight": (v.get("weight") or 1.0) / total} for i, v in enumerate(variants)])
    return experiment_id


def load(conn: Connection, brand: str, experiment_id: str) -> tuple[dict[str, Any], list[Arm]]:
    """The experiment and its arms; 404 when it does not exist for this brand."""
    row = conn.execute(sa.select(experiments).where(experiments.c.id == experiment_id,
                                                    experiments.c.brand == brand)).first()
    if row is None:
        raise ExperimentError(404, f"no experiment {experiment_id!r} for this API key's brand")
    found = conn.execute(sa.select(arms).where(arms.c.experiment_id == experiment_id).order_by(arms.c.arm)).all()
    return dict(row._mapping), [Arm(a.arm, a.key, a.text, a.angle, a.weight, a.memory_id) for a in found]


def listing(engine: Engine, brand: str, limit: int = 200) -> list[dict[str, Any]]:
    """The brand's experiments, newest first: id, name, placement, status and when it started."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(experiments.c.id, experiments.c.name, experiments.c.sku, experiments.c.channel,
                                      experiments.c.status, experiments.c.created_at)
                            .where(experiments.c.brand == brand)
                            .order_by(experiments.c.created_at.desc(), experiments.c.id).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


def latest_on(conn: Connection, brand: str, sku: str, channel: str, status: str | None = None) -> str | None:
    """The id of the brand's newest experiment on a placement (with that status, if given), or None."""
    query = sa.select(experiments.c.id).where(experiments.c.brand == brand, experiments.c.sku == sku,
                                              experiments.c.channel == channel)
    if status:
        query = query.where(experiments.c.status == status)
    return conn.execute(query.order_by(experiments.c.created_at.desc()).limit(1)).scalar_one_or_none()


def assign(engine: Engine, brand: str, experiment_id: str, unit: str, segment: str = "") -> tuple[Arm, bool]:
    """The unit's arm, the same on every call (the winner once concluded); returns (arm, whether this call made
    the assignment). A unit seen before costs one read: send-time pulls never wait for the write lock."""
    with engine.connect() as conn:
        experiment, variants = load(conn, brand, experiment_id)
        if experiment["status"] != "running":
            return variants[experiment["winner"]], False
        existing = _assigned(conn, experiment_id, unit)
        if existing is not None:
            return variants[existing], False
        arm = _draw(conn, experiment, variants, unit, segment)
    with writing(engine) as conn:
        insert = _insert_ignoring_duplicates(conn, assignments)
        made = conn.execute(insert.values(experiment_id=experiment_id, unit=unit, segment=segment, arm=arm,
                                          created_at=now())).rowcount == 1
        chosen = _assigned(conn, experiment_id, unit)  # a concurrent first call may have won: its arm stands
    assert chosen is not None
    return variants[chosen], made


def _draw(conn: Connection, experiment: dict[str, Any], variants: list[Arm], unit: str, segment: str) -> int:
    """A new unit's arm: by hash for a fixed split, by a Thompson draw on the segment's counts otherwise."""
    if experiment["allocation"] == "split":
        return _hashed_arm(experiment["id"], unit, [a.weight for a in variants])
    counts = counts_by_arm(conn, experiment["id"], len(variants), segment)
    rng = np.random.default_rng()
    share = thompson_share(counts["impression"][None, :], counts["click"][None, :], rng)[0]
    return int(rng.choice(len(variants), p=share))


def record(engine: Engine, brand: str, batch: list[dict[str, Any]]) -> dict[str, int]:
    """Store a batch of events atomically; an event id seen before is counted once.

    Each event names its variant by key, or its unit (whose assignment gives the variant). Events for a concluded
    experiment arrive too late to count: they are not stored, and reported as `late` rather than failing the batch.
    Returns how many were accepted, duplicates and late.
    """
    stamp = now()
    with writing(engine) as conn:
        rows = []
        late = 0
        cache: dict[str, tuple[dict[str, Any], list[Arm]]] = {}
        for position, event in enumerate(batch):
            where = f"events[{position}]"
            experiment_id = event["experiment_id"]
            if experiment_id not in cache:
                try:
                    cache[experiment_id] = load(conn, brand, experiment_id)
                except ExperimentError as exc:
                    raise ExperimentError(exc.status, str(exc), f"{where}.experiment_id") from None
            experiment, variants = cache[experiment_id]
            if experiment["status"] != "running":
                late += 1
                continue
            arm = _event_arm(conn, event, variants, where)
            rows.append({"brand": brand, "event_id": event["event_id"], "experiment_id": experiment_id, "arm": arm,
                         "segment": event.get("segment") or "", "type": event["type"], "unit": event.get("unit"),
                         "occurred_at": event.get("timestamp") or stamp, "received_at": stamp})
        accepted = 0
        if rows:
            # One multi-row INSERT … RETURNING tells which ids were new. Rows go in one order for every writer:
            # on Postgres, two batches sharing ids in different orders would otherwise deadlock.
            insert = _insert_ignoring_duplicates(conn, events).returning(events.c.event_id)
            accepted = len(conn.execute(insert, sorted(rows, key=lambda r: r["event_id"])).all())
    return {"accepted": accepted, "duplicates": len(rows) - accepted, "late": late}


def counts_by_arm(conn: Connection, experiment_id: str, n_arms: int,
                  segment: str | None = None) -> dict[str, np.ndarray]:
    """Per event type, an array of counts per arm, as a funnel (see `funnel`)."""
    query = sa.select(events.c.arm, events.c.type, sa.func.count()).where(events.c.experiment_id == experiment_id)
    if segment is not None:
        query = query.where(events.c.segment == segment)
    counts = _zeros(n_arms)
    for arm, kind, count in conn.execute(query.group_by(events.c.arm, events.c.type)):
        counts[kind][arm] = count
    return funnel(counts)


MAX_SEGMENTS = 20  # segments reported with an experiment: the largest; the rest are counted, not listed


def counts_by_segment(conn: Connection, experiment_id: str, n_arms: int) -> tuple[dict[str, dict], int]:
    """Funnel counts per segment for the MAX_SEGMENTS segments with the most events (one grouped query, so 5,000
    segments cost one scan, not 5,000), and how many segments there are in all."""
    query = (sa.select(events.c.segment, events.c.arm, events.c.type, sa.func.count())
             .where(events.c.experiment_id == experiment_id)
             .group_by(events.c.segment, events.c.arm, events.c.type))
    found: dict[str, dict[str, np.ndarray]] = {}
    for segment, arm, kind, count in conn.execute(query):
        found.setdefault(segment, _zeros(n_arms))[kind][arm] = count
    largest = sorted(found, key=lambda s: (-sum(int(c.sum()) for c in found[s].values()), s))[:MAX_SEGMENTS]
    return {s: funnel(found[s]) for s in sorted(largest)}, len(found)


def funnel(counts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Counts that obey the funnel whatever order events arrived in: a conversion was a click and a click was an
    impression, so a click that came before its impression (or whose impression was never sent) counts as shown."""
    clicks = np.maximum(counts["click"], counts["conversion"])
    return {"impression": np.maximum(counts["impression"], clicks), "click": clicks,
            "conversion": counts["conversion"]}


def _zeros(n_arms: int) -> dict[str, np.ndarray]:
    return {kind: np.zeros(n_arms, dtype=np.int64) for kind in ("impression", "click", "conversion")}


def claim_conclusion(engine: Engine, experiment_id: str, winner: int, stale_after: float = 300.0) -> bool:
    """Stop the experiment taking events, atomically: of two concurrent conclusions only one goes on.

    A conclusion that crashed half-way (still `concluding` after `stale_after` seconds) may be taken up again.
    """
    stamp = now()
    claimable = sa.or_(experiments.c.status == "running",
                       sa.and_(experiments.c.status == "concluding", experiments.c.concluded_at < stamp - stale_after))
    with writing(engine) as conn:
        done = conn.execute(experiments.update().where(experiments.c.id == experiment_id, claimable)
                            .values(status="concluding", winner=winner, concluded_at=stamp))
    return done.rowcount == 1


def mark_concluded(conn: Connection, experiment_id: str) -> None:
    conn.execute(experiments.update().where(experiments.c.id == experiment_id)
                 .values(status="concluded", concluded_at=now()))


def set_memory_id(engine: Engine, experiment_id: str, arm: int, memory_id: str) -> None:
    """Note that an arm's outcome is in memory, so a resumed conclusion never counts it twice."""
    with writing(engine) as conn:
        conn.execute(arms.update().where(arms.c.experiment_id == experiment_id, arms.c.arm == arm)
                     .values(memory_id=memory_id))


def _assigned(conn: Connection, experiment_id: str, unit: str) -> int | None:
    return conn.execute(sa.select(assignments.c.arm).where(assignments.c.experiment_id == experiment_id,
                                                           assignments.c.unit == unit)).scalar_one_or_none()


def _hashed_arm(experiment_id: str, unit: str, shares: list[float]) -> int:
    """A fixed-split arm from a hash of the unit: uniform, sticky, and the same on every server."""
    digest = hashlib.sha256(f"{experiment_id}:{unit}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64
    return int(np.searchsorted(np.cumsum(shares), point, side="right").clip(0, len(shares) - 1))


def _event_arm(conn: Connection, event: dict[str, Any], variants: list[Arm], where: str) -> int:
    key = event.get("variant")
    if key is not None:
        for arm in variants:
            if arm.key == key:
                return arm.index
        raise ExperimentError(409, f"variant {key!r} is not in experiment {event['experiment_id']!r}; "
                                   f"its variants are {[a.key for a in variants]}", f"{where}.variant")
    unit = event.get("unit")
    arm_index = _assigned(conn, event["experiment_id"], unit) if unit else None
    if arm_index is None:
        raise ExperimentError(409, f"event {event['event_id']!r} names neither a variant nor a unit that was "
                                   "assigned one (call /assign first, or send `variant`)", f"{where}.unit")
    return arm_index


def _insert_ignoring_duplicates(conn: Connection, table: sa.Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING on SQLite and Postgres alike; its rowcount says whether the row went in
    (SQLAlchemy keeps an INSERT's rowcount only when asked: without it psycopg reports -1)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
