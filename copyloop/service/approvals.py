"""Runs waiting for a person's approval: recorded when the workflow pauses, decided once, by any server.

The row is the service's view of a paused thread (brand, placement, the variants offered, the request's publish
and store flags); the thread itself is in the checkpointer, which servers share through Postgres (or, on one
machine, the SQLite file in the home folder). A decision is claimed with one conditional UPDATE, so of two
requests that race only one resumes the run; a claim whose server died is taken again after `lease_seconds`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from copyloop.brief import Brief
from copyloop.service.db import approvals, now, writing

PUBLIC = ("id", "sku", "product_name", "channel", "created_at", "variants", "status", "approved", "decided_at")


class AwaitingApproval(Exception):
    """A run paused for a person: `body` is what the caller is told (the approval's id, link and variants)."""

    def __init__(self, approval_id: str, variants: list[dict[str, Any]]):
        self.approval_id, self.variants = approval_id, variants
        super().__init__(f"run {approval_id} waits for approval at {link(approval_id)}")

    @property
    def body(self) -> dict[str, Any]:
        """The 202 answer of POST /v1/generate."""
        return {"status": "pending_approval", "id": self.approval_id, "url": link(self.approval_id),
                "variants": self.variants}

    @property
    def job_result(self) -> dict[str, Any]:
        """What a job that paused keeps as its result (and its webhook carries). The variants sit inside the
        approval, not at `result.variants`, where a receiver written for finished jobs would take them as copy."""
        return {"approval": {"id": self.approval_id, "url": link(self.approval_id), "variants": self.variants}}


class Undecidable(Exception):
    """An approval that cannot be decided now; `status` is the HTTP status to answer (404 or 409)."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


def link(approval_id: str) -> str:
    return f"/v1/approvals/{approval_id}"


def record(engine: Engine, brand: str, thread_id: str, brief: Brief, variants: list[dict[str, Any]],
           request: dict[str, Any], source: str) -> AwaitingApproval:
    """Store a paused run as pending; returns what to tell the caller."""
    with writing(engine) as conn:
        conn.execute(approvals.insert().values(
            id=thread_id, brand=brand, sku=brief.sku, product_name=brief.product_name, channel=brief.channel.value,
            request=request, variants=variants, source=source, status="pending", created_at=now()))
    return AwaitingApproval(thread_id, variants)


def pending(engine: Engine, brand: str, limit: int = 200) -> list[dict[str, Any]]:
    """The brand's runs waiting for a person, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*(approvals.c[c] for c in PUBLIC))
                            .where(approvals.c.brand == brand, approvals.c.status.in_(("pending", "deciding")))
                            .order_by(approvals.c.created_at, approvals.c.id).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


def get(engine: Engine, brand: str, approval_id: str) -> dict[str, Any] | None:
    """One approval as its brand sees it (with the request, for the resume); None for an unknown or foreign id."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(*(approvals.c[c] for c in PUBLIC), approvals.c.request, approvals.c.source)
                           .where(approvals.c.id == approval_id, approvals.c.brand == brand)).first()
    return dict(row._mapping) if row else None


def claim(engine: Engine, brand: str, approval_id: str, lease_seconds: float) -> dict[str, Any]:
    """Take the decision of a pending approval for this request alone; Undecidable(404/409) otherwise."""
    stamp = now()
    open_ = sa.or_(approvals.c.status == "pending",
                   sa.and_(approvals.c.status == "deciding", approvals.c.claimed_at < stamp - lease_seconds))
    with writing(engine) as conn:
        taken = conn.execute(approvals.update().where(approvals.c.id == approval_id, approvals.c.brand == brand, open_)
                             .values(status="deciding", claimed_at=stamp)).rowcount
    found = get(engine, brand, approval_id)
    if found is None:
        raise Undecidable(404, f"no approval {approval_id!r} for this API key's brand")
    if taken != 1:
        if found["status"] == "deciding":
            raise Undecidable(409, f"approval {approval_id!r} is being decided by another request")
        raise Undecidable(409, f"approval {approval_id!r} was already decided ({found['status']}, "
                               f"approved ids {found['approved']})")
    return found


def release(engine: Engine, approval_id: str) -> None:
    """Give a claimed decision back (its resume failed), so it can be tried again."""
    with writing(engine) as conn:
        conn.execute(approvals.update().where(approvals.c.id == approval_id, approvals.c.status == "deciding")
                     .values(status="pending", claimed_at=None))


def decide(engine: Engine, approval_id: str, approved: list[int]) -> None:
    """Record the decision of a claimed approval."""
    with writing(engine) as conn:
        conn.execute(approvals.update().where(approvals.c.id == approval_id).values(
            status="approved" if approved else "rejected", approved=approved, decided_at=now()))
