"""The Python API: `generate(brief)` runs the workflow and returns a Result.

It streams per-node progress to an optional callback, keeps every run as a thread in the checkpointer (SQLite,
or the service's Postgres) until retention prunes it (`graphs/retention.py`), and resumes a paused thread with the
person's answer. A run uses the rulebook in force where it is called: `with using_rules(Rulebook(folder)):
generate(brief)` runs on other rules.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command, Overwrite

from copyloop.brief import Brief, brief_from_dict
from copyloop.config import Settings
from copyloop.graphs import retention
from copyloop.graphs.checkpoints import open_checkpointer
from copyloop.graphs.context import CopyContext
from copyloop.graphs.copy_workflow import compile_workflow
from copyloop.llm.factory import model_label
from copyloop.memory import CopyMemory
from copyloop.result import Result

ProgressCallback = Callable[[str, dict[str, Any]], None]


class ApprovalPending(Exception):
    """The run paused for a human approval; resume it with `resume(thread_id, approve=[...])`."""

    def __init__(self, thread_id: str, payload: Any):
        self.thread_id, self.payload = thread_id, payload
        super().__init__(f"thread {thread_id} waits for approval")


def generate(
    brief: Brief | dict,
    settings: Settings | None = None,
    *,
    llm: BaseChatModel | None = None,
    memory: CopyMemory | None = None,
    thread_id: str | None = None,
    guidance: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> Result:
    """Turn one brief into ranked variants (raises ApprovalPending when a human must approve first).

    Every run is a thread in the checkpointer (`result.thread_id`), so it can be inspected or resumed.
    `guidance` is an extra instruction for the first drafts, such as "make it shorter".
    """
    brief = brief if isinstance(brief, Brief) else brief_from_dict(brief)
    settings = settings or Settings.from_env()
    context = CopyContext(settings=settings, llm=llm, memory=memory)
    thread_id = thread_id or uuid.uuid4().hex
    payload = {"brief": brief, **({"guidance": guidance} if guidance else {})}
    return _run(payload, context, thread_id, on_progress)


def resume(
    thread_id: str,
    approve: list[int] | str,
    settings: Settings | None = None,
    *,
    llm: BaseChatModel | None = None,
    memory: CopyMemory | None = None,
    on_progress: ProgressCallback | None = None,
) -> Result:
    """Answer a paused thread's approval question and finish the run."""
    context = CopyContext(settings=settings or Settings.from_env(), llm=llm, memory=memory)
    return _run(Command(resume={"approve": approve}), context, thread_id, on_progress)


def _run(payload: Any, context: CopyContext, thread_id: str, on_progress: ProgressCallback | None) -> Result:
    """Stream the run, its thread recorded as running, then finished (failed runs too) or waiting for approval; what
    retention says is due is pruned after each run, so the checkpointer stays the size the settings allow."""
    started = time.perf_counter()
    state: dict[str, Any] = {}
    with _workflow(context.settings, thread_id) as (saver, workflow, config):
        if isinstance(payload, Command):  # an answer: only to a run this checkpointer holds, never started afresh
            retention.touch(saver, thread_id, "generation", "running")  # ThreadExpired: pruned, or never here
        else:
            retention.record(saver, thread_id, "generation", "running")
        outcome: retention.State = "finished"
        try:
            for mode, chunk in workflow.stream(payload, config, context=context, stream_mode=["updates", "values"]):
                if mode == "values":
                    state = chunk
                    continue
                for node, update in chunk.items():
                    if node == "__interrupt__":
                        outcome = "waiting"
                        raise ApprovalPending(str(thread_id), update[0].value if update else None)
                    if on_progress:
                        on_progress(node, plain_update(update))
        finally:
            retention.record(saver, thread_id, "generation", outcome)
            retention.prune_quietly(saver, context.settings)
    return Result(
        brief=state["brief"], variants=state.get("variants", []), model=model_label(context.settings),
        thread_id=thread_id, distinct_2=state.get("distinct_2", 0.0), rounds=dict(state.get("rounds") or {}),
        seconds=round(time.perf_counter() - started, 2), stored_ids=state.get("stored_ids", []),
        input_warnings=state.get("input_warnings", []),
    )


def plain_update(update: dict[str, Any] | None) -> dict[str, Any]:
    """A node's update as plain values: the ranker writes its ordered list with `Overwrite`, listeners get the list."""
    update = dict(update or {})
    if isinstance(update.get("variants"), Overwrite):
        update["variants"] = update["variants"].value
    return update


@contextmanager
def _workflow(settings: Settings, thread_id: str) -> Iterator[tuple[BaseCheckpointSaver, Any, dict]]:
    """The settings' checkpointer and the compiled graph on it, configured for the run's thread."""
    saver, close = open_checkpointer(settings)
    try:
        yield saver, compile_workflow(saver), {"configurable": {"thread_id": thread_id}, "recursion_limit": 100}
    finally:
        close()
