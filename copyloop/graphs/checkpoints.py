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
    return SqliteSaver(conn, serde=_serde())


def open_checkpointer(settings: Settings) -> tuple[BaseCheckpointSaver, Callable[[], None]]:
    """The checkpointer the settings name, and the function that closes its connection."""
    url = settings.database_url or ""
    if not url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        saver = sqlite_checkpointer(settings.checkpoint_db)
        return saver, saver.conn.close
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg import Connection
    from psycopg.rows import dict_row

    dsn = "postgresql://" + url.split("://", 1)[1]
    conn = Connection.connect(dsn, autocommit=True, prepare_threshold=0, row_factory=dict_row)
    saver = PostgresSaver(conn, serde=_serde())
    with _set_up_lock:
        if dsn not in _set_up:
            saver.setup()  # creates or migrates the checkpoint tables; once per database per process
            _set_up.add(dsn)
    return saver, conn.close
