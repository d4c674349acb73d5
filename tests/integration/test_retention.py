"""Checkpoint retention through the real workflow, chat and API, on real SQLite and real Postgres; only the chat
model is scripted. Time passing is simulated by moving a thread's last-touched time back, never by waiting."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from copyloop.api import create_app
from copyloop.config import Settings
from copyloop.generation import ApprovalPending, generate, resume
from copyloop.graphs import retention
from copyloop.graphs.checkpoints import open_checkpointer
from copyloop.graphs.copy_workflow import compile_workflow
from copyloop.graphs.retention import DAY, ThreadExpired
from copyloop.memory import CopyMemory
from copyloop.service.db import chat_threads
from copyloop.service.housekeeping import clean_up
from copyloop.service.keys import create_key
from tests.fakes import ScriptedChatModel, reply_for

BRIEF = {"product_name": "Trail Bottle", "sku": "TB-750", "category": "Drinkware", "channel": "email_subject",
         "tone": "playful", "features": ["keeps drinks cold 24h"], "price": 29, "brand": "Acme"}
CHAT = ("a 750 ml insulated steel bottle, keeps drinks cold 24h, $29, for hikers, playful tone, "
        "email subject line")


@pytest.fixture
def on_db(tmp_path: Path, service_db_url: str) -> Settings:
    """Settings whose threads live in SQLite (home) or in the Postgres database, with small limits."""
    return Settings(home=tmp_path / "home", candidates=1, spares=0, approval="off", database_url=service_db_url,
                    keep_threads=2, keep_threads_days=7, keep_approvals_days=30, keep_chats_days=30)


def model() -> ScriptedChatModel:
    return ScriptedChatModel(script=reply_for)


def thread_values(settings: Settings, thread_id: str) -> dict[str, Any]:
    saver, close = open_checkpointer(settings)
    try:
        return compile_workflow(saver).get_state({"configurable": {"thread_id": thread_id}}).values
    finally:
        close()


def backdate(settings: Settings, thread_id: str, days: float) -> None:
    """As if the thread was last touched `days` ago."""
    saver, close = open_checkpointer(settings)
    try:
        retention._Db(saver).run(f"UPDATE {retention.TABLE} SET touched_at = touched_at - ? WHERE thread_id = ?",
                                 (days * DAY, thread_id))
    finally:
        close()


def recorded(settings: Settings, thread_id: str) -> tuple[str, str] | None:
    saver, close = open_checkpointer(settings)
    try:
        return retention.state_of(saver, thread_id)
    finally:
        close()


def test_runs_beyond_keep_threads_are_pruned_as_new_ones_finish(on_db: Settings, memory: CopyMemory) -> None:
    runs = [generate(BRIEF, on_db, llm=model(), memory=memory).thread_id for _ in range(4)]
    assert recorded(on_db, runs[-1]) == ("generation", "finished")
    assert [thread_values(on_db, t) == {} for t in runs] == [True, True, False, False]
    assert thread_values(on_db, runs[-1])["brief"].product_name == "Trail Bottle"


def test_a_run_waiting_for_approval_survives_pruning_and_can_be_resumed(on_db: Settings, memory: CopyMemory) -> None:
    by_age = on_db.with_(keep_threads=0)
    human = by_age.with_(approval="human")
    with pytest.raises(ApprovalPending) as paused:
        generate(BRIEF, human, llm=model(), memory=memory)
    waiting = paused.value.thread_id
    assert recorded(on_db, waiting) == ("generation", "waiting")
    finished = [generate(BRIEF, by_age, llm=model(), memory=memory).thread_id for _ in range(3)]
    backdate(on_db, waiting, 10)
    for thread_id in finished:
        backdate(on_db, thread_id, 10)
    pruned = clean_up(None, by_age)
    assert sorted(pruned.generations) == sorted(finished) and thread_values(on_db, waiting)
    offered = paused.value.payload["variants"]
    result = resume(waiting, [offered[0]["id"]], human, llm=model(), memory=memory)
    assert result.thread_id == waiting and len(result.stored_ids) == 1
    assert recorded(on_db, waiting) == ("generation", "finished")


def test_an_approval_left_unanswered_too_long_is_pruned_and_resume_says_so(on_db: Settings,
                                                                           memory: CopyMemory) -> None:
    with pytest.raises(ApprovalPending) as paused:
        generate(BRIEF, on_db.with_(approval="human"), llm=model(), memory=memory)
    backdate(on_db, paused.value.thread_id, 31)
    assert clean_up(None, on_db).generations == [paused.value.thread_id]
    with pytest.raises(ThreadExpired, match="keep_approvals_days"):
        resume(paused.value.thread_id, [1], on_db, llm=model(), memory=memory)


def test_several_processes_pruning_one_database_delete_each_thread_once(on_db: Settings,
                                                                       memory: CopyMemory) -> None:
    keep_all = on_db.with_(keep_threads=0, keep_threads_days=0)
    runs = [generate(BRIEF, keep_all, llm=model(), memory=memory).thread_id for _ in range(6)]
    for thread_id in runs:
        backdate(on_db, thread_id, 8)
    pruned: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def prune_with_own_connection() -> None:
        saver, close = open_checkpointer(on_db)
        try:
            start.wait()
            while batch := retention.prune(saver, on_db, limit=2):
                pruned.extend(batch.generations)
        except BaseException as exc:  # collected: an exception in a thread would not fail the test by itself
            errors.append(exc)
        finally:
            close()

    workers = [threading.Thread(target=prune_with_own_connection) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not errors, errors[:2]
    assert sorted(pruned) == sorted(runs)
    assert all(thread_values(on_db, t) == {} for t in runs)


@pytest.fixture
def service(tmp_path: Path, on_db: Settings):
    app = create_app(on_db.with_(approval="auto"), llm=model(), memory=CopyMemory(tmp_path / "memory"), worker=False)
    key = create_key(app.state.engine, "Acme")
    with TestClient(app) as client:
        yield {"client": client, "app": app, "headers": {"Authorization": f"Bearer {key.api_key}"}}


def test_an_active_chat_is_kept_an_idle_one_pruned_and_the_api_says_it_expired(service: dict[str, Any]) -> None:
    client, headers, settings = service["client"], service["headers"], service["app"].state.settings
    idle = client.post("/v1/chat", json={"message": CHAT}, headers=headers).json()["thread_id"]
    active = client.post("/v1/chat", json={"message": CHAT}, headers=headers).json()["thread_id"]
    assert recorded(settings, idle) == ("chat", "active")
    backdate(settings, idle, 31)
    backdate(settings, active, 31)
    assert client.post("/v1/chat", json={"thread_id": active, "message": "shorter"},
                       headers=headers).status_code == 200  # a message makes it active again ...
    assert recorded(settings, idle) is None and thread_values(settings, idle) == {}  # ... and prunes what is due
    assert recorded(settings, active) == ("chat", "active")

    expired = client.post("/v1/chat", json={"thread_id": idle, "message": "shorter"}, headers=headers)
    assert expired.status_code == 410 and "expired" in expired.json()["detail"]
    assert client.post("/v1/chat", json={"thread_id": idle, "message": "shorter"},
                       headers=headers).status_code == 404  # and then it is simply gone
    again = client.post("/v1/chat", json={"thread_id": active, "message": "approve #1"}, headers=headers)
    assert again.status_code == 200 and "Approved #1" in again.json()["reply"]


def test_clean_up_forgets_the_service_rows_of_chats_pruned_elsewhere(service: dict[str, Any]) -> None:
    client, headers, settings = service["client"], service["headers"], service["app"].state.settings
    engine = service["app"].state.engine
    thread_id = client.post("/v1/chat", json={"message": CHAT}, headers=headers).json()["thread_id"]
    backdate(settings, thread_id, 31)
    saver, close = open_checkpointer(settings)
    try:
        assert retention.prune(saver, settings).chats == [thread_id]  # as `copyloop prune` or a run would
    finally:
        close()
    with engine.begin() as conn:  # the row is as old as the chat
        conn.execute(chat_threads.update().values(created_at=chat_threads.c.created_at - 31 * DAY))
    clean_up(engine, settings)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(chat_threads)).scalar() == 0


def test_a_prune_that_fails_midway_leaves_the_thread_whole(on_db: Settings, memory: CopyMemory) -> None:
    run = generate(BRIEF, on_db, llm=model(), memory=memory).thread_id
    backdate(on_db, run, 8)
    saver, close = open_checkpointer(on_db)

    def crash(_thread_id: str) -> None:
        raise RuntimeError("connection lost between the row and the checkpoints")

    try:
        saver.delete_thread = crash  # type: ignore[method-assign]
        with pytest.raises(RuntimeError):
            retention.prune(saver, on_db)
    finally:
        close()
    assert recorded(on_db, run) == ("generation", "finished")  # the row's delete was rolled back with it
    assert thread_values(on_db, run)["brief"].product_name == "Trail Bottle"
