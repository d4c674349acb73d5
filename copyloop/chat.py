"""Chat-style brief submission from Python: a session object over the chat graph and its checkpointed thread."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel

from copyloop.config import Settings
from copyloop.graphs import retention
from copyloop.graphs.chat_graph import compile_chat
from copyloop.graphs.checkpoints import open_checkpointer
from copyloop.graphs.context import CopyContext
from copyloop.memory import CopyMemory
from copyloop.result import Variant


class ChatSession:
    """One chat thread: `send()` a message, get copyloop's reply; the thread survives restarts, and is pruned once
    left idle longer than `keep_chats_days`. With `existing=True` a thread that is not there (pruned, or never
    started) raises ThreadExpired on `send()` instead of starting afresh under the old id."""

    def __init__(self, thread_id: str | None = None, settings: Settings | None = None, *,
                 llm: BaseChatModel | None = None, memory: CopyMemory | None = None, brand: str | None = None,
                 existing: bool = False):
        self.thread_id, self.existing = thread_id or uuid.uuid4().hex[:12], existing
        self.context = CopyContext(settings=settings or Settings.from_env(), llm=llm, memory=memory, brand=brand)
        self._saver, self._close = open_checkpointer(self.context.settings)
        self._graph = compile_chat(self._saver)
        self._config = {"configurable": {"thread_id": self.thread_id}}

    def send(self, text: str, on_progress: Callable[[str], None] | None = None) -> str:
        """Answer one message; `on_progress` hears each workflow node as it finishes."""
        self._touch()
        reply = ""
        try:
            for namespace, mode, chunk in self._graph.stream({"messages": [{"role": "user", "content": text}]},
                                                             self._config, context=self.context, subgraphs=True,
                                                             stream_mode=["updates", "values"]):
                if namespace and mode == "updates" and on_progress:  # a node of the copy workflow finished
                    for node in chunk:
                        on_progress(node)
                elif not namespace and mode == "values" and chunk.get("messages"):
                    reply = chunk["messages"][-1]["content"]
        finally:
            retention.prune_quietly(self._saver, self.context.settings)
        return reply

    def _touch(self) -> None:
        """Mark the thread in use before it runs, so no pruner deletes it meanwhile (a new thread is recorded)."""
        try:
            retention.touch(self._saver, self.thread_id, "chat", "active")
        except retention.ThreadExpired:
            if self.existing:
                raise
            retention.record(self._saver, self.thread_id, "chat", "active")
            self.existing = True

    @property
    def variants(self) -> list[Variant]:
        """The variants currently on the table in this thread."""
        return list(self._graph.get_state(self._config).values.get("variants") or [])

    @property
    def fields(self) -> dict[str, Any]:
        """The brief fields gathered so far in this thread (what the replies call 'Understood')."""
        return dict(self._graph.get_state(self._config).values.get("fields") or {})

    @property
    def history(self) -> list[dict[str, str]]:
        """Every message of the thread so far."""
        return list(self._graph.get_state(self._config).values.get("messages") or [])

    def close(self) -> None:
        """Release the checkpoint database."""
        self._close()

    def __enter__(self) -> ChatSession:
        return self

    def __exit__(self, *_exc: object) -> None:
        """`with ChatSession(...) as chat:` closes the database even when a message fails."""
        self.close()
