"""Durable generation jobs: queued in the database, run under a renewable lease, results pushed by webhook.

A job whose worker died (server killed mid-run) keeps a lease that runs out; the next worker to look claims
it again, so jobs survive restarts. Delivery state lives on the same row, so a pending webhook does too.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from copyloop.service.db import jobs, now, writing
from copyloop.service.webhooks import MAX_ATTEMPTS, backoff_seconds

PUBLIC = ("id", "status", "created_at", "finished_at", "runs", "callback_url", "delivery", "delivery_attempts",
          "delivery_error", "delivered_at", "error", "result")


def submit(engine: Engine, brand: str, request: dict[str, Any], callback_url: str | None) -> str:
    """Queue a job; returns its id."""
    job_id = "job_" + uuid.uuid4().hex[:20]
    with writing(engine) as conn:
        conn.execute(jobs.insert().values(id=job_id, brand=brand, request=request, callback_url=callback_url,
                                          status="queued", runs=0, created_at=now(), delivery="none",
                                          delivery_attempts=0))
    return job_id


def get(engine: Engine, brand: str, job_id: str) -> dict[str, Any] | None:
    """The job as its brand sees it; None when it does not exist or belongs to another brand."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(*(jobs.c[c] for c in PUBLIC))
                           .where(jobs.c.id == job_id, jobs.c.brand == brand)).first()
    return dict(row._mapping) if row else None


def claim(engine: Engine, lease_seconds: float) -> dict[str, Any] | None:
    """Take the oldest runnable job: queued, or running under a lease that has run out (its worker died)."""
    stamp = now()
    runnable = sa.or_(jobs.c.status == "queued", sa.and_(jobs.c.status == "running", jobs.c.lease_until < stamp))
    with writing(engine) as conn:
        for row in conn.execute(sa.select(jobs.c.id).where(runnable).order_by(jobs.c.created_at).limit(5)).all():
            taken = conn.execute(jobs.update().where(jobs.c.id == row.id, runnable)
                                 .values(status="running", lease_until=stamp + lease_seconds, runs=jobs.c.runs + 1))
            if taken.rowcount == 1:
                return dict(conn.execute(sa.select(jobs).where(jobs.c.id == row.id)).one()._mapping)
    return None


def renew(engine: Engine, job_id: str, lease_seconds: float) -> None:
    """Extend a running job's lease: its worker is alive."""
    with writing(engine) as conn:
        conn.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.status == "running")
                     .values(lease_until=now() + lease_seconds))


def finish(engine: Engine, job_id: str, *, result: dict[str, Any] | None = None, error: str | None = None,
           status: str | None = None) -> None:
    """Record the outcome (succeeded, failed, or a `status` such as pending_approval); a job with a callback URL
    gets a webhook due now, whatever the outcome."""
    stamp = now()
    with writing(engine) as conn:
        callback = conn.execute(sa.select(jobs.c.callback_url).where(jobs.c.id == job_id)).scalar_one()
        conn.execute(jobs.update().where(jobs.c.id == job_id).values(
            status=status or ("failed" if error else "succeeded"), result=result, error=error, finished_at=stamp,
            lease_until=None, delivery="pending" if callback else "none", next_delivery_at=stamp if callback else None))


def due_deliveries(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    """Finished jobs whose webhook is due (first try, or a retry whose backoff has passed)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(jobs).where(jobs.c.delivery == "pending", jobs.c.next_delivery_at <= now())
                            .order_by(jobs.c.next_delivery_at).limit(limit))
        return [dict(r._mapping) for r in rows]


def delivered(engine: Engine, job_id: str) -> None:
    with writing(engine) as conn:
        conn.execute(jobs.update().where(jobs.c.id == job_id).values(
            delivery="delivered", delivered_at=now(), delivery_attempts=jobs.c.delivery_attempts + 1,
            delivery_error=None, next_delivery_at=None))


def delivery_failed(engine: Engine, job_id: str, attempts_before: int, error: str, base: float = 1.0,
                    final: bool = False) -> None:
    """Schedule the next try with exponential backoff; after MAX_ATTEMPTS (or a `final` failure, such as a URL
    the outbound policy refuses) the delivery is given up."""
    attempts = attempts_before + 1
    give_up = final or attempts >= MAX_ATTEMPTS
    with writing(engine) as conn:
        conn.execute(jobs.update().where(jobs.c.id == job_id).values(
            delivery="failed" if give_up else "pending", delivery_attempts=attempts, delivery_error=error,
            next_delivery_at=None if give_up else now() + backoff_seconds(attempts, base)))
