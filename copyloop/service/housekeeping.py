"""The server's periodic clean-up: prune the checkpointer's threads and forget the chat threads it pruned.

Runs and chat messages already prune a few due threads each (`graphs/retention.py`); this catches up after a quiet
spell or a lowered limit, and removes the service's `chat_threads` rows whose threads are gone, whoever pruned them
(this server, another one, or `copyloop prune`), so neither database keeps a row per chat for ever.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.engine import Engine

from copyloop.config import Settings
from copyloop.graphs import retention
from copyloop.graphs.checkpoints import open_checkpointer
from copyloop.service.db import chat_threads, now, writing

MAX_BATCHES = 50  # prune batches per clean-up: a huge backlog is worked off over several rounds
CHAT_PAGE = 500


def clean_up(engine: Engine | None, settings: Settings, *, max_batches: int = MAX_BATCHES) -> retention.Pruned:
    """Prune what retention says is due, then drop the chat rows whose threads are gone (when there is a service
    database); returns what was pruned."""
    saver, close = open_checkpointer(settings)
    try:
        pruned = retention.Pruned()
        for _ in range(max_batches):
            batch = retention.prune(saver, settings)
            pruned.generations += batch.generations
            pruned.chats += batch.chats
            if len(batch) < retention.PRUNE_BATCH:
                break
        if engine is not None and settings.keep_chats_days > 0:
            _forget_gone_chats(engine, saver, now() - settings.keep_chats_days * retention.DAY)
        return pruned
    finally:
        close()


def forget_chats(engine: Engine, thread_ids: Iterable[str]) -> None:
    """Delete the service's rows of these chat threads (the API then answers 404 for them)."""
    ids = list(thread_ids)
    if ids:
        with writing(engine) as conn:
            conn.execute(chat_threads.delete().where(chat_threads.c.thread_id.in_(ids)))


def _forget_gone_chats(engine: Engine, saver: BaseCheckpointSaver, created_before: float) -> None:
    """Page through chats started before `created_before` (only those can have been idle that long) and forget the
    ones the checkpointer no longer holds."""
    after = ""
    while True:
        with engine.connect() as conn:
            page = list(conn.execute(sa.select(chat_threads.c.thread_id)
                                     .where(chat_threads.c.created_at < created_before,
                                            chat_threads.c.thread_id > after)
                                     .order_by(chat_threads.c.thread_id).limit(CHAT_PAGE)).scalars())
        if not page:
            return
        forget_chats(engine, set(page) - retention.existing(saver, page))
        after = page[-1]
