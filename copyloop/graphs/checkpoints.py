"""The checkpointer that lets a thread be resumed (and a human approval be answered) later.

SQLite in the home folder by default; the service's Postgres database when `database_url` names one, so that
several servers share chat threads and a thread started on one continues on another.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from copyloop.config import Settings
from copyloop.graphs import retention

# Our own state types, allowed through the checkpointer's deserializer.
STATE_TYPES = [
    ("copyloop.brief", "Brief"), ("copyloop.brief", "Channel"), ("copyloop.brief", "CtaGoal"),
    ("copyloop.vocabulary", "Channel"), ("copyloop.vocabulary", "CtaGoal"),  # where the enums live now
    ("copyloop.result", "Variant"), ("copyloop.result", "Scores"), ("copyloop.result", "Finding"),
    ("copyloop.result", "TraceStep"), ("copyloop.result", "Result"), ("decimal", "Decimal"),
]
SQLITE_WAIT_SECONDS = 60  # how long a write waits for another thread's or process's write to finish
_set_up: set[str] = set()
_set_up_lock = threading.Lock()


def _serde() -> JsonPlusSerializer:
    return JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES)


def sqlite_checkpointer(path: Path) -> SqliteSaver:
    """A checkpointer on a SQLite file (WAL), safe to share between threads of one process.

    Runs side by side (an evaluation's briefs, the service's jobs and chats) each open their own connection: the
    journal mode is switched once per file (switching needs the file to itself), and writers wait for each other.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=SQLITE_WAIT_SECONDS)
    with _set_up_lock:
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode=WAL")
    saver = SqliteSaver(conn, serde=_serde())
    saver.setup()  # now, not inside retention's first transaction (its script would commit that one early)
    retention.create_table(saver)  # a read when the table exists, so opening never waits for another writer
    return saver


def postgres_dsn(settings: Settings) -> str | None:
    """The Postgres database holding the threads, when `database_url` names one (else they are in SQLite)."""
    url = settings.database_url or ""
    if not url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        return None
    return "postgresql://" + url.split("://", 1)[1]


def sqlite_bytes(path: Path) -> int:
    """The size of a SQLite checkpoint file on disk, its write-ahead log included."""
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def vacuum_sqlite(path: Path) -> int:
    """Give a SQLite file's free pages back to the disk (pruning leaves them for reuse); returns the new size.
    VACUUM rewrites the file and waits for other writers, so this is for `copyloop prune --vacuum`, not every run."""
    conn = sqlite3.connect(str(path), timeout=SQLITE_WAIT_SECONDS, isolation_level=None)
    try:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return sqlite_bytes(path)


def open_checkpointer(settings: Settings) -> tuple[BaseCheckpointSaver, Callable[[], None]]:
    """The checkpointer the settings name, and the function that closes its connection."""
    dsn = postgres_dsn(settings)
    if dsn is None:
        saver = sqlite_checkpointer(settings.checkpoint_db)
        return saver, saver.conn.close
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg import Connection
    from psycopg.rows import dict_row

    conn = Connection.connect(dsn, autocommit=True, prepare_threshold=0, row_factory=dict_row)
    saver = PostgresSaver(conn, serde=_serde())
    with _set_up_lock:
        if dsn not in _set_up:
            saver.setup()  # creates or migrates the checkpoint tables; once per database per process
            retention.create_table(saver)
            _set_up.add(dsn)
    return saver, conn.close
