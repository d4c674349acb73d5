"""Checkpoint retention on a real SQLite checkpointer with tiny graphs (no model): what is pruned, what is kept."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from copyloop.config import Settings
from copyloop.errors import CopyloopError
from copyloop.graphs import retention
from copyloop.graphs.checkpoints import sqlite_checkpointer
from copyloop.graphs.retention import DAY, ThreadExpired

NOW = time.time()


class Run(TypedDict, total=False):
    brief: str
    approved: str


class Chat(TypedDict, total=False):
    messages: list[str]


class Other(TypedDict):
    n: int


def _run_graph(paused: bool = False) -> Any:
    builder = StateGraph(Run)
    builder.add_node("write", lambda state: {"brief": state["brief"] + "!"})
    builder.add_node("ask", lambda state: {"approved": interrupt("approve?") if paused else "auto"})
    builder.add_edge(START, "write")
    builder.add_edge("write", "ask")
    builder.add_edge("ask", END)
    return builder


def _chat_graph() -> Any:
    builder = StateGraph(Chat)
    builder.add_node("reply", lambda state: {"messages": [*state["messages"], "ok"]})
    builder.add_edge(START, "reply")
    builder.add_edge("reply", END)
    return builder


@pytest.fixture
def saver(tmp_path: Path):
    opened = sqlite_checkpointer(tmp_path / "checkpoints.sqlite")
    yield opened
    opened.conn.close()


def config(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


def finished_run(saver, thread_id: str) -> None:
    """A generation thread as `generate()` leaves it: checkpoints, and a row saying it finished."""
    retention.record(saver, thread_id, "generation", "running")
    _run_graph().compile(checkpointer=saver).invoke({"brief": thread_id}, config(thread_id))
    retention.record(saver, thread_id, "generation", "finished")


def paused_run(saver, thread_id: str) -> None:
    retention.record(saver, thread_id, "generation", "running")
    _run_graph(paused=True).compile(checkpointer=saver).invoke({"brief": thread_id}, config(thread_id))
    retention.record(saver, thread_id, "generation", "waiting")


def chat(saver, thread_id: str) -> None:
    retention.record(saver, thread_id, "chat", "active")
    _chat_graph().compile(checkpointer=saver).invoke({"messages": ["hi"]}, config(thread_id))


def rows_left(saver, thread_id: str) -> int:
    """Rows about the thread in every table of the file that has a thread_id column (LangGraph's and ours)."""
    tables = [name for (name,) in saver.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    with_thread = [t for t in tables if "thread_id" in {c[1] for c in saver.conn.execute(f"PRAGMA table_info({t})")}]
    assert {"checkpoints", "writes", retention.TABLE} <= set(with_thread)
    return sum(saver.conn.execute(f"SELECT count(*) FROM {t} WHERE thread_id = ?", (thread_id,)).fetchone()[0]
               for t in with_thread)


def backdate(saver, thread_id: str, days: float) -> None:
    """As if the thread was last touched `days` ago."""
    saver.conn.execute(f"UPDATE {retention.TABLE} SET touched_at = touched_at - ? WHERE thread_id = ?",
                       (days * DAY, thread_id))
    saver.conn.commit()


def test_finished_runs_beyond_the_newest_keep_threads_are_deleted_with_all_their_checkpoints(saver) -> None:
    for n in range(5):
        finished_run(saver, f"run-{n}")
    assert rows_left(saver, "run-0") > 1
    pruned = retention.prune(saver, Settings(keep_threads=2, keep_threads_days=0))
    assert sorted(pruned.generations) == ["run-0", "run-1", "run-2"] and pruned.chats == []
    graph = _run_graph().compile(checkpointer=saver)
    for gone in ("run-0", "run-1", "run-2"):
        assert graph.get_state(config(gone)).values == {}
        assert rows_left(saver, gone) == 0
    assert graph.get_state(config("run-4")).values["brief"] == "run-4!"
    assert retention.state_of(saver, "run-3") == ("generation", "finished")
    assert retention.counts(saver) == {"generation": 2}
    assert len(retention.prune(saver, Settings(keep_threads=2, keep_threads_days=0))) == 0


def test_finished_runs_older_than_keep_threads_days_are_deleted_younger_ones_kept(saver) -> None:
    finished_run(saver, "old")
    finished_run(saver, "recent")
    backdate(saver, "old", 8)
    backdate(saver, "recent", 6)
    pruned = retention.prune(saver, Settings(keep_threads=0, keep_threads_days=7))
    assert pruned.generations == ["old"]
    assert retention.state_of(saver, "recent") == ("generation", "finished")


def test_limits_set_to_zero_prune_nothing(saver) -> None:
    for n in range(3):
        finished_run(saver, f"run-{n}")
        backdate(saver, f"run-{n}", 400)
    off = Settings(keep_threads=0, keep_threads_days=0, keep_approvals_days=0, keep_chats_days=0)
    assert len(retention.prune(saver, off)) == 0


def test_a_run_waiting_for_approval_outlives_finished_ones_and_can_still_be_answered(saver) -> None:
    paused_run(saver, "waiting")
    for n in range(3):
        finished_run(saver, f"run-{n}")
    settings = Settings(keep_threads=1, keep_threads_days=7, keep_approvals_days=30)
    pruned = retention.prune(saver, settings, now=NOW + 10 * DAY)
    assert sorted(pruned.generations) == ["run-0", "run-1", "run-2"]
    retention.touch(saver, "waiting", "generation", "running")  # what `resume()` does before it answers
    from langgraph.types import Command

    answered = _run_graph(paused=True).compile(checkpointer=saver).invoke(Command(resume="yes"), config("waiting"))
    assert answered == {"brief": "waiting!", "approved": "yes"}


def test_an_unanswered_approval_is_pruned_after_keep_approvals_days_and_then_cannot_be_answered(saver) -> None:
    paused_run(saver, "waiting")
    settings = Settings(keep_approvals_days=30)
    assert len(retention.prune(saver, settings, now=NOW + 29 * DAY)) == 0
    assert retention.prune(saver, settings, now=NOW + 31 * DAY).generations == ["waiting"]
    with pytest.raises(ThreadExpired, match="keep_approvals_days"):
        retention.touch(saver, "waiting", "generation", "running")


def test_a_run_whose_process_died_is_pruned_only_after_a_day_whatever_keep_threads_days_says(saver) -> None:
    retention.record(saver, "crashed", "generation", "running")
    settings = Settings(keep_threads=1, keep_threads_days=0.01)
    assert len(retention.prune(saver, settings, now=NOW + 0.5 * DAY)) == 0  # it might still be running
    assert retention.prune(saver, settings, now=NOW + 1.5 * DAY).generations == ["crashed"]


def test_an_idle_chat_is_pruned_an_active_one_kept(saver) -> None:
    chat(saver, "idle")
    chat(saver, "active")
    backdate(saver, "idle", 31)
    backdate(saver, "active", 31)
    retention.touch(saver, "active", "chat", "active")  # a new message on it
    pruned = retention.prune(saver, Settings(keep_chats_days=30))
    assert pruned.chats == ["idle"] and pruned.generations == []
    assert rows_left(saver, "idle") == 0
    assert _chat_graph().compile(checkpointer=saver).get_state(config("active")).values == {"messages": ["hi", "ok"]}
    with pytest.raises(ThreadExpired):
        retention.touch(saver, "idle", "chat", "active")


def test_a_thread_touched_after_the_pruner_read_it_is_not_deleted(saver) -> None:
    chat(saver, "busy")
    backdate(saver, "busy", 31)
    seen = saver.conn.execute(f"SELECT state, touched_at FROM {retention.TABLE} WHERE thread_id = 'busy'").fetchone()
    retention.touch(saver, "busy", "chat", "active")  # a message arrives between the pruner's read and its delete
    assert retention._delete(retention._Db(saver), saver, "busy", *seen) is False
    assert rows_left(saver, "busy") > 1


def test_threads_from_before_retention_are_taken_on_with_their_last_checkpoint_time(saver) -> None:
    _run_graph().compile(checkpointer=saver).invoke({"brief": "x"}, config("old-run"))
    _run_graph(paused=True).compile(checkpointer=saver).invoke({"brief": "x"}, config("old-pause"))
    _chat_graph().compile(checkpointer=saver).invoke({"messages": ["hi"]}, config("old-chat"))
    other = StateGraph(Other)  # not a copyloop thread: left alone
    other.add_node("count", lambda state: {"n": state["n"] + 1})
    other.add_edge(START, "count")
    other.compile(checkpointer=saver).invoke({"n": 1}, config("not-ours"))
    assert retention.state_of(saver, "old-run") is None
    assert retention.adopt_untracked(saver) == 3
    assert retention.state_of(saver, "not-ours") is None
    assert retention.state_of(saver, "old-run") == ("generation", "finished")
    assert retention.state_of(saver, "old-pause") == ("generation", "waiting")
    assert retention.state_of(saver, "old-chat") == ("chat", "active")
    assert retention.adopt_untracked(saver) == 0
    touched = saver.conn.execute(f"SELECT touched_at FROM {retention.TABLE} WHERE thread_id = 'old-run'").fetchone()[0]
    assert NOW - 60 < touched <= time.time()
    assert retention.prune(saver, Settings(keep_threads_days=7), now=NOW + 8 * DAY).generations == ["old-run"]


def test_a_legacy_thread_is_taken_on_when_touched(saver) -> None:
    _chat_graph().compile(checkpointer=saver).invoke({"messages": ["hi"]}, config("legacy"))
    retention.touch(saver, "legacy", "chat", "active")
    assert retention.state_of(saver, "legacy") == ("chat", "active")
    assert retention.existing(saver, ["legacy", "never"]) == {"legacy"}


def test_negative_limits_are_refused() -> None:
    with pytest.raises(CopyloopError, match="keep_chats_days"):
        Settings(keep_chats_days=-1)


def test_copyloop_prune_takes_on_old_threads_prunes_them_and_shrinks_the_file(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from copyloop.cli import app
    from copyloop.graphs.checkpoints import sqlite_bytes

    home = tmp_path / "home"
    path = home / "checkpoints.sqlite"
    legacy = sqlite_checkpointer(path)
    graph = _run_graph().compile(checkpointer=legacy)
    for n in range(30):  # written before retention existed: no rows in its table
        graph.invoke({"brief": f"run {n} " + "x" * 2000}, config(f"run-{n}"))
    legacy.conn.close()
    before = sqlite_bytes(path)
    done = CliRunner().invoke(app, ["prune", "--home", str(home), "--vacuum", "--json"],
                              env={"COPYLOOP_KEEP_THREADS": "1"})
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert {k: report[k] for k in ("adopted", "pruned_generations", "pruned_chats")} == \
        {"adopted": 30, "pruned_generations": 29, "pruned_chats": 0}
    assert report["sqlite_bytes"] == sqlite_bytes(path) < before / 4
    assert not (home / "service.sqlite").exists(), "a home without a server gets no service database"
