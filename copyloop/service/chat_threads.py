"""Chat threads as the service keeps them: which brand owns each one, its title and when it last moved, and the
copy its approvals publish.

The checkpointer holds every brand's conversations (and every generation run) by thread id alone, so ownership
lives here: a thread is its brand's from its first message, and no other key can read, continue or edit it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from copyloop.service import served_copy
from copyloop.service.db import chat_threads, now, writing
from copyloop.service.keys import brand_identity

SOURCE = "chat"  # what served copy from a chat's approvals says it came from
TITLE_CHARS = 80


def claim(engine: Engine, brand: str, thread_id: str, new: bool, first_message: str = "") -> bool:
    """Start a thread for `brand` (`new`), or check that an existing one is the brand's. False for another
    brand's thread, for an id this service never handed out (a generation run's thread id, someone's guess), and
    for a new id that is already taken."""
    with writing(engine) as conn:
        owner = conn.execute(sa.select(chat_threads.c.brand).where(chat_threads.c.thread_id == thread_id)).scalar()
        if owner is None and new:
            stamp = now()
            conn.execute(chat_threads.insert().values(thread_id=thread_id, brand=brand, created_at=stamp,
                                                      updated_at=stamp, title=title_for(first_message) or None))
            return True
        return not new and owner is not None and brand_identity(owner) == brand_identity(brand)


def touch(engine: Engine, thread_id: str, product_name: str | None) -> None:
    """A message was answered: the thread moves to the top, titled by its product once there is one."""
    values: dict[str, Any] = {"updated_at": now()}
    if product_name:
        values["title"] = title_for(product_name)
    with writing(engine) as conn:
        conn.execute(chat_threads.update().where(chat_threads.c.thread_id == thread_id).values(**values))


def title_for(text: str) -> str:
    """One line of at most TITLE_CHARS characters."""
    line = " ".join(text.split())
    return line if len(line) <= TITLE_CHARS else line[:TITLE_CHARS - 1].rstrip() + "…"


def brand_threads(engine: Engine, brand: str, limit: int) -> list[dict[str, Any]]:
    """The brand's threads, the most recently active first (threads from before `updated_at` by their start)."""
    with engine.connect() as conn:
        spellings = [b for b in conn.execute(sa.select(chat_threads.c.brand).distinct()).scalars()
                     if brand_identity(b) == brand_identity(brand)]
        if not spellings:
            return []
        moved = sa.func.coalesce(chat_threads.c.updated_at, chat_threads.c.created_at)
        rows = conn.execute(sa.select(chat_threads.c.thread_id, chat_threads.c.title, chat_threads.c.created_at,
                                      moved.label("updated_at"))
                            .where(chat_threads.c.brand.in_(spellings))
                            .order_by(moved.desc(), chat_threads.c.thread_id).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


def publish(engine: Engine, brand: str, publications: list[dict[str, Any]]) -> None:
    """Carry out what a chat message's approvals and drops asked for, in order: the placement serves the approved
    variants, or — when none is left — stops serving the texts that were withdrawn."""
    for item in publications:
        if item.get("variants"):
            served_copy.publish_variants(engine, brand, item["brief"], item["variants"], SOURCE)
        else:
            served_copy.retire(engine, brand, item["brief"], list(item.get("retire") or []), SOURCE)
