"""The SQLite checkpointer that lets a thread be resumed (and a human approval be answered) later."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

# Our own state types, allowed through the checkpointer's deserializer.
STATE_TYPES = [
    ("copyloop.brief", "Brief"), ("copyloop.brief", "Channel"), ("copyloop.brief", "CtaGoal"),
    ("copyloop.result", "Variant"), ("copyloop.result", "Scores"), ("copyloop.result", "Finding"),
    ("copyloop.result", "TraceStep"), ("copyloop.result", "Result"), ("decimal", "Decimal"),
]


def sqlite_checkpointer(path: Path) -> SqliteSaver:
    """A checkpointer on a SQLite file (WAL), safe to share between threads of one process."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    return SqliteSaver(conn, serde=JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES))
