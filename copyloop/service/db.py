"""One schema on SQLAlchemy Core, so the same code runs on SQLite (WAL, the default) and on Postgres by URL.

Times are UNIX seconds (floats): they compare and sort the same on both databases.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from copyloop.errors import CopyloopError

metadata = sa.MetaData()

api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("key_id", sa.String(32), primary_key=True),  # the public part of a key: "cl_<key_id>_<secret>"
    sa.Column("brand", sa.String(120), nullable=False, index=True),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("webhook_secret", sa.String(64), nullable=False),
    sa.Column("label", sa.String(120), nullable=False, default=""),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("revoked_at", sa.Float),
)

jobs = sa.Table(
    "jobs", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("brand", sa.String(120), nullable=False, index=True),
    sa.Column("request", sa.JSON, nullable=False),
    sa.Column("callback_url", sa.String(2048)),
    sa.Column("status", sa.String(16), nullable=False, index=True),  # queued|running|succeeded|failed|pending_approval
    sa.Column("result", sa.JSON),
    sa.Column("error", sa.Text),
    sa.Column("runs", sa.Integer, nullable=False, default=0),
    sa.Column("lease_until", sa.Float),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float),
    sa.Column("delivery", sa.String(16), nullable=False, default="none"),  # none | pending | delivered | failed
    sa.Column("delivery_attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_delivery_at", sa.Float),
    sa.Column("delivery_error", sa.Text),
    sa.Column("delivered_at", sa.Float),
)

served_copy = sa.Table(
    "served_copy", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("brand", sa.String(120), nullable=False),
    sa.Column("sku", sa.String(120), nullable=False),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("segment", sa.String(120), nullable=False, default=""),  # "" = every segment
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("angle", sa.String(120)),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("predicted_ctr", sa.Float),
    sa.Column("source", sa.String(60), nullable=False),  # job:<id> | generate | experiment:<id> | chat
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("served_copy_lookup", "brand", "sku", "channel", "segment", "active"),
)

experiments = sa.Table(
    "experiments", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("brand", sa.String(120), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("sku", sa.String(120)),
    sa.Column("category", sa.String(120), nullable=False),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("allocation", sa.String(16), nullable=False),  # split | thompson
    sa.Column("control", sa.Integer, nullable=False),
    sa.Column("brief", sa.JSON),
    sa.Column("status", sa.String(16), nullable=False),  # running | concluded
    sa.Column("winner", sa.Integer),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("concluded_at", sa.Float),
)

arms = sa.Table(
    "experiment_arms", metadata,
    sa.Column("experiment_id", sa.String(32), sa.ForeignKey("experiments.id"), primary_key=True),
    sa.Column("arm", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("angle", sa.String(120)),
    sa.Column("weight", sa.Float, nullable=False),
    sa.Column("memory_id", sa.String(128)),
)

assignments = sa.Table(
    "assignments", metadata,
    sa.Column("experiment_id", sa.String(32), primary_key=True),
    sa.Column("unit", sa.String(200), primary_key=True),
    sa.Column("segment", sa.String(120), nullable=False, default=""),
    sa.Column("arm", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

events = sa.Table(
    "events", metadata,
    sa.Column("brand", sa.String(120), primary_key=True),
    sa.Column("event_id", sa.String(200), primary_key=True),
    sa.Column("experiment_id", sa.String(32), nullable=False),
    sa.Column("arm", sa.Integer, nullable=False),
    sa.Column("segment", sa.String(120), nullable=False, default=""),
    sa.Column("type", sa.String(16), nullable=False),  # impression | click | conversion
    sa.Column("unit", sa.String(200)),
    sa.Column("occurred_at", sa.Float, nullable=False),
    sa.Column("received_at", sa.Float, nullable=False),
    sa.Index("events_tally", "experiment_id", "segment", "arm", "type"),
)

approvals = sa.Table(
    "approvals", metadata,  # generation runs paused for a person's approval (approval: human)
    sa.Column("id", sa.String(64), primary_key=True),  # the run's thread in the checkpointer
    sa.Column("brand", sa.String(120), nullable=False),
    sa.Column("sku", sa.String(120)),
    sa.Column("product_name", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("request", sa.JSON, nullable=False),  # the GenerateRequest: its publish and store flags
    sa.Column("variants", sa.JSON, nullable=False),  # the variants offered, as Variant JSON, best first
    sa.Column("source", sa.String(60), nullable=False),  # generate | job:<id>
    sa.Column("status", sa.String(16), nullable=False),  # pending | deciding | approved | rejected
    sa.Column("approved", sa.JSON),  # the ids a person approved, once decided
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("claimed_at", sa.Float),  # when a decision started (a crashed one can be retried after a lease)
    sa.Column("decided_at", sa.Float),
    sa.Index("approvals_pending", "brand", "status", "created_at"),
)

chat_threads = sa.Table(
    "chat_threads", metadata,
    sa.Column("thread_id", sa.String(64), primary_key=True),
    sa.Column("brand", sa.String(120), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float),  # the last message; NULL in threads older than the column
    sa.Column("title", sa.String(200)),  # the product's name, else the first message, cut short
)


def default_url(home: Path) -> str:
    """The SQLite file in copyloop's home folder."""
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / 'service.sqlite'}"


def connect(url: str) -> Engine:
    """An engine on `url` with the schema created; SQLite gets WAL and a busy timeout for concurrent writers."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        if url.startswith("sqlite"):
            engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                                      pool_size=16, max_overflow=32)
            sa.event.listen(engine, "connect", _sqlite_pragmas)
            sa.event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = sa.create_engine(url, pool_size=16, max_overflow=32, pool_pre_ping=True)
        metadata.create_all(engine)
        add_new_columns(engine)
    except sa.exc.ArgumentError as exc:
        raise CopyloopError(f"database URL {url!r} is not valid: {exc}") from None
    except sa.exc.OperationalError as exc:
        raise CopyloopError(f"cannot open the database at {_safe(url)}: {exc.orig}") from None
    return engine


def add_new_columns(engine: Engine) -> None:
    """Bring a database made by an earlier version up to date: `create_all` makes missing tables but never alters
    an existing one, so each column added since (always nullable, so old rows stay valid) is added here."""
    if not _missing_columns(sa.inspect(engine)):
        return
    with writing(engine) as conn:  # on SQLite the write lock is held, so what is read next is what is altered
        postgres = conn.dialect.name == "postgresql"
        quote = conn.dialect.identifier_preparer.quote
        for table, column in _missing_columns(sa.inspect(conn)):
            exists = " IF NOT EXISTS" if postgres else ""  # another server may be adding it right now
            conn.execute(sa.text(f"ALTER TABLE {quote(table.name)} ADD COLUMN{exists} {quote(column.name)} "
                                 f"{column.type.compile(conn.dialect)}"))


def _missing_columns(inspector: sa.Inspector) -> list[tuple[sa.Table, sa.Column]]:
    missing = []
    for table in metadata.sorted_tables:
        have = {c["name"] for c in inspector.get_columns(table.name)}
        missing += [(table, column) for column in table.columns if column.name not in have]
    if any(not column.nullable for _, column in missing):
        raise CopyloopError(f"the database lacks required columns {[c.name for _, c in missing]}; "
                            "a new column must be nullable so existing rows stay valid")
    return missing


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction. On SQLite it takes the write lock up front (BEGIN IMMEDIATE), so two writers queue on
    the busy timeout instead of one failing with "database is locked" when its read turns into a write."""
    with engine.connect() as conn:
        conn.execution_options(copyloop_write=True)
        with conn.begin():
            yield conn


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("copyloop_write") else "BEGIN")


def _sqlite_pragmas(conn: object, _record: object) -> None:
    conn.isolation_level = None  # type: ignore[attr-defined]  # the driver leaves BEGIN to `_sqlite_begin`
    cursor = conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes, fast commits
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _safe(url: str) -> str:
    """The URL without its password, for error messages."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def now() -> float:
    return time.time()
