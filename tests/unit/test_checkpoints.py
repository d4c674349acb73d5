"""The SQLite checkpointer when many runs open it at once (an evaluation's briefs, the service's jobs and chats)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TypedDict

from langgraph.graph import END, START, StateGraph

from copyloop.graphs.checkpoints import sqlite_checkpointer


class Counter(TypedDict):
    n: int


def test_runs_opening_one_checkpoint_file_side_by_side_all_finish(tmp_path: Path) -> None:
    builder = StateGraph(Counter)
    builder.add_node("step", lambda state: {"n": state["n"] + 1})
    builder.add_edge(START, "step")
    builder.add_edge("step", END)
    path = tmp_path / "checkpoints.sqlite"
    errors: list[BaseException] = []
    results: list[int] = []
    start = threading.Barrier(8)

    def run(worker: int) -> None:
        try:
            start.wait()
            for turn in range(5):
                saver = sqlite_checkpointer(path)
                try:
                    graph = builder.compile(checkpointer=saver)
                    out = graph.invoke({"n": turn}, {"configurable": {"thread_id": f"{worker}-{turn}"}})
                    results.append(out["n"] - turn)
                finally:
                    saver.conn.close()
        except BaseException as exc:  # collected: an exception in a thread would not fail the test by itself
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:2]
    assert results == [1] * 40
    reopened = sqlite_checkpointer(path)
    assert reopened.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert len({c.config["configurable"]["thread_id"] for c in reopened.list(None)}) == 40
    reopened.conn.close()


def test_opening_does_not_wait_for_another_runs_write(tmp_path: Path) -> None:
    import sqlite3
    import time

    path = tmp_path / "checkpoints.sqlite"
    sqlite_checkpointer(path).conn.close()  # creates the file and puts it in WAL mode
    writer = sqlite3.connect(str(path), isolation_level=None)
    writer.execute("CREATE TABLE IF NOT EXISTS busy (x)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO busy VALUES (1)")  # another run mid-write holds the write lock
    try:
        started = time.perf_counter()
        saver = sqlite_checkpointer(path)
        assert time.perf_counter() - started < 1.0
        saver.conn.close()
    finally:
        writer.execute("COMMIT")
        writer.close()
