"""Checkpoint retention: which LangGraph threads exist, in what state, and pruning the ones nobody needs any more.

Every run and chat is a thread in the checkpointer, and LangGraph never deletes one, so without this the database
grows with every request. A small table beside the checkpoints (same SQLite file or Postgres database) records each
thread's kind, state and last-touched time; `prune` deletes finished runs past the age or count limits, runs
waiting for an approval after a much longer age, and chats once idle that long. A thread is deleted together with
its row in one transaction, and only if the row is still as it was read, so a thread touched meanwhile (a chat
that got a message, an approval being answered) is never deleted, and several processes may prune at once.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver

from copyloop.config import Settings
from copyloop.errors import CopyloopError

log = logging.getLogger("copyloop.retention")
Kind = Literal["generation", "chat"]
State = Literal["running", "finished", "waiting", "active"]  # a generation's three; a chat is always active
TABLE = "copyloop_threads"
DAY = 86_400.0
PRUNE_BATCH = 20  # threads deleted per call at most: one request never pays for a large backlog
INTERRUPT = "__interrupt__"  # the pending write a paused run leaves (LangGraph's name)


_DDL = (f"CREATE TABLE IF NOT EXISTS {TABLE} (thread_id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
        "state TEXT NOT NULL, touched_at DOUBLE PRECISION NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_due ON {TABLE} (kind, state, touched_at)")
_DDL_LOCK = 0x636F7079  # "copy": the advisory lock that serialises creating the table on Postgres


class ThreadExpired(CopyloopError):
    """The thread is unknown: never started here, or pruned after it was left idle too long."""

    def __init__(self, thread_id: str):
        self.thread_id = thread_id
        super().__init__(f"no thread {thread_id!r}: never started here, or pruned after it was left idle "
                         "(keep_approvals_days for a run waiting for approval, keep_chats_days for a chat); a "
                         "server continuing another's thread needs the same database_url (Postgres) or, on one "
                         "machine, the same home")


@dataclass
class Pruned:
    """What one `prune` deleted, by kind."""

    generations: list[str] = field(default_factory=list)
    chats: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.generations) + len(self.chats)


def create_table(saver: BaseCheckpointSaver) -> None:
    """Create the thread table (and its index) beside the saver's checkpoints, if missing."""
    db = _Db(saver)
    if db.sqlite:  # no transaction: when the table exists this only reads, so it never waits for a writer
        db.run(_DDL[0])
        db.run(_DDL[1])
        return
    with db.transaction():  # two servers starting at once: Postgres' IF NOT EXISTS alone can still collide
        db.rows("SELECT pg_advisory_xact_lock(?)", (_DDL_LOCK,))
        for statement in _DDL:
            db.run(statement)


def record(saver: BaseCheckpointSaver, thread_id: str, kind: Kind, state: State) -> None:
    """Note that a thread exists in `state`, touched now (created if new)."""
    _Db(saver).run(f"INSERT INTO {TABLE} (thread_id, kind, state, touched_at) VALUES (?, ?, ?, ?) ON CONFLICT "
                   "(thread_id) DO UPDATE SET kind = excluded.kind, state = excluded.state, "
                   "touched_at = excluded.touched_at", (thread_id, kind, state, time.time()))


def touch(saver: BaseCheckpointSaver, thread_id: str, kind: Kind, state: State) -> None:
    """Mark an existing thread in use (`state`, touched now) before it runs again; raises ThreadExpired when there is
    no such thread. A thread from before retention existed has checkpoints but no row: it is taken on here."""
    db = _Db(saver)
    updated = db.run(f"UPDATE {TABLE} SET state = ?, touched_at = ? WHERE thread_id = ?",
                     (state, time.time(), thread_id))
    if not updated:
        if saver.get_tuple({"configurable": {"thread_id": thread_id}}) is None:
            raise ThreadExpired(thread_id)
        record(saver, thread_id, kind, state)


def state_of(saver: BaseCheckpointSaver, thread_id: str) -> tuple[Kind, State] | None:
    """The recorded kind and state of a thread; None when it is not recorded."""
    rows = _Db(saver).rows(f"SELECT kind, state FROM {TABLE} WHERE thread_id = ?", (thread_id,))
    return (rows[0][0], rows[0][1]) if rows else None


def prune(saver: BaseCheckpointSaver, settings: Settings, *, now: float | None = None,
          limit: int = PRUNE_BATCH) -> Pruned:
    """Delete up to `limit` threads that are due: finished runs older than `keep_threads_days` or beyond the newest
    `keep_threads`; runs waiting for an approval older than `keep_approvals_days`; runs that never finished (their
    process died) after `keep_threads_days`, never under a day; chats idle longer than `keep_chats_days`. A setting
    of 0 turns its limit off. Call it while no run streams on this saver's connection."""
    db, now = _Db(saver), time.time() if now is None else now
    ages: list[tuple[Kind, State, float]] = [
        ("generation", "finished", settings.keep_threads_days * DAY),
        ("generation", "waiting", settings.keep_approvals_days * DAY),
        ("generation", "running", max(settings.keep_threads_days * DAY, DAY) if settings.keep_threads_days else 0),
        ("chat", "active", settings.keep_chats_days * DAY)]
    select = f"SELECT thread_id, kind, state, touched_at FROM {TABLE} WHERE kind = ? AND state = ?"
    due: list[tuple[Any, ...]] = []
    for kind, state, age in ages:
        if age > 0:
            due += db.rows(select + " AND touched_at < ? ORDER BY touched_at LIMIT ?", (kind, state, now - age, limit))
    if settings.keep_threads > 0:
        due += db.rows(select + " ORDER BY touched_at DESC LIMIT ? OFFSET ?",
                       ("generation", "finished", limit, settings.keep_threads))
    pruned = Pruned()
    for thread_id, kind, state, touched_at in dict.fromkeys(due):
        if len(pruned) >= limit:
            break
        if _delete(db, saver, thread_id, state, touched_at):
            (pruned.chats if kind == "chat" else pruned.generations).append(thread_id)
    return pruned


def counts(saver: BaseCheckpointSaver) -> dict[str, int]:
    """How many threads of each kind the checkpointer holds now."""
    return dict(_Db(saver).rows(f"SELECT kind, count(*) FROM {TABLE} GROUP BY kind ORDER BY kind"))


def existing(saver: BaseCheckpointSaver, thread_ids: list[str]) -> set[str]:
    """Those of `thread_ids` the checkpointer still holds: recorded, or checkpointed before retention existed."""
    if not thread_ids:
        return set()
    marks = ", ".join("?" * len(thread_ids))
    found = _Db(saver).rows(f"SELECT thread_id FROM {TABLE} WHERE thread_id IN ({marks}) UNION SELECT thread_id "
                            f"FROM checkpoints WHERE thread_id IN ({marks})", (*thread_ids, *thread_ids))
    return {row[0] for row in found}


def prune_quietly(saver: BaseCheckpointSaver, settings: Settings) -> Pruned:
    """`prune` after a run or a chat message: a failure is logged, never the caller's (the run itself succeeded)."""
    try:
        return prune(saver, settings)
    except Exception:
        log.warning("pruning old threads failed; the next run tries again", exc_info=True)
        return Pruned()


def adopt_untracked(saver: BaseCheckpointSaver) -> int:
    """Record the threads checkpointed before retention existed, with the time of their last checkpoint, so that
    `prune` can judge them; threads that are neither a copyloop run nor a chat are left alone. Returns how many."""
    db = _Db(saver)
    untracked = db.rows(f"SELECT DISTINCT thread_id FROM checkpoints WHERE checkpoint_ns = '' AND thread_id NOT IN "
                        f"(SELECT thread_id FROM {TABLE})")
    adopted = 0
    for (thread_id,) in untracked:
        latest = saver.get_tuple({"configurable": {"thread_id": thread_id}})
        values = latest.checkpoint.get("channel_values", {}) if latest else {}
        if latest is None or not ({"messages", "brief"} & set(values)):
            continue
        kind: Kind = "chat" if "messages" in values else "generation"
        paused = any(write[1] == INTERRUPT for write in latest.pending_writes or ())
        state: State = "active" if kind == "chat" else "waiting" if paused else "finished"
        touched_at = datetime.fromisoformat(latest.checkpoint["ts"]).timestamp()
        adopted += db.run(f"INSERT INTO {TABLE} (thread_id, kind, state, touched_at) VALUES (?, ?, ?, ?) "
                          "ON CONFLICT (thread_id) DO NOTHING", (thread_id, kind, state, touched_at))
    return adopted


def _delete(db: _Db, saver: BaseCheckpointSaver, thread_id: str, state: str, touched_at: float) -> bool:
    """Delete the thread and its row in one transaction, if the row is still as read (nobody touched it since)."""
    with db.transaction():
        gone = db.run(f"DELETE FROM {TABLE} WHERE thread_id = ? AND state = ? AND touched_at = ?",
                      (thread_id, state, touched_at))
        if gone:
            saver.delete_thread(thread_id)  # inside our transaction: its statements commit with the row's delete
    return bool(gone)


class _Db:
    """The saver's own connection, SQLite or Postgres, behind one way to run a statement (`?` placeholders)."""

    def __init__(self, saver: BaseCheckpointSaver):
        self.conn: Any = saver.conn  # type: ignore[attr-defined]  # both savers keep their connection here
        self.lock: Any = saver.lock  # type: ignore[attr-defined]  # and guard it with this lock
        self.sqlite = isinstance(self.conn, sqlite3.Connection)
        self._in_transaction = False

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Execute one statement (committed at once outside `transaction`); returns the rows it changed."""
        with self.lock:
            if not self.sqlite:
                return max(self.conn.execute(sql.replace("?", "%s"), params).rowcount, 0)
            count = self.conn.execute(sql, params).rowcount
            if not self._in_transaction:
                self.conn.commit()
            return max(count, 0)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            if self.sqlite:
                return [tuple(row) for row in self.conn.execute(sql, params).fetchall()]
            return [tuple(row.values()) if isinstance(row, dict) else tuple(row)
                    for row in self.conn.execute(sql.replace("?", "%s"), params).fetchall()]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; SQLite takes the write lock up front, so a read-then-delete never fails on a
        snapshot another writer moved past (it waits on the busy timeout instead)."""
        if not self.sqlite:
            with self.conn.transaction():
                yield
            return
        with self.lock:
            if self.conn.in_transaction:
                self.conn.commit()
            self.conn.execute("BEGIN IMMEDIATE")
        self._in_transaction = True
        try:
            yield
            self.conn.commit()
        except BaseException:
            self.conn.rollback()
            raise
        finally:
            self._in_transaction = False
