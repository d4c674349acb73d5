"""Chat-style brief submission from Python: a session object over the chat graph and its checkpointed thread."""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.language_models import BaseChatModel

from copyloop.agents.chat_hints import followups, missing_fields
from copyloop.agents.chat_responder import brief_of
from copyloop.agents.marketer_edit import edit_variant
from copyloop.config import Settings
from copyloop.generation import ProgressCallback, plain_update
from copyloop.graphs.chat_graph import compile_chat
from copyloop.graphs.checkpoints import open_checkpointer
from copyloop.graphs.context import CopyContext
from copyloop.memory import CopyMemory
from copyloop.result import Variant


class NoSuchVariant(LookupError):
    """A variant number the thread's table does not have."""


class ChatSession:
    """One chat thread: `send()` a message, get copyloop's reply; the thread survives restarts."""

    def __init__(self, thread_id: str | None = None, settings: Settings | None = None, *,
                 llm: BaseChatModel | None = None, memory: CopyMemory | None = None, brand: str | None = None):
        self.thread_id = thread_id or uuid.uuid4().hex[:12]
        self.context = CopyContext(settings=settings or Settings.from_env(), llm=llm, memory=memory, brand=brand)
        self._saver, self._close = open_checkpointer(self.context.settings)
        self._graph = compile_chat(self._saver)
        self._config = {"configurable": {"thread_id": self.thread_id}}

    def send(self, text: str, on_progress: ProgressCallback | None = None) -> str:
        """Answer one message; `on_progress(node, update)` hears each workflow node as it finishes, with what it
        changed (graphs/progress.py puts that in words)."""
        reply = ""
        for namespace, mode, chunk in self._graph.stream({"messages": [{"role": "user", "content": text}]},
                                                         self._config, context=self.context, subgraphs=True,
                                                         stream_mode=["updates", "values"]):
            if namespace and mode == "updates" and on_progress:  # a node of the copy workflow finished
                for node, update in chunk.items():
                    on_progress(node, plain_update(update))
            elif not namespace and mode == "values" and chunk.get("messages"):
                reply = chunk["messages"][-1]["content"]
        return reply

    def edit(self, number: int, text: str) -> Variant:
        """Put the marketer's own text on variant `number` (1-based, as shown): re-checked and re-scored by the
        workflow's checks, saved in the thread (no longer approved: the approval was of the old text).
        NoSuchVariant for a number the table does not have; BriefError when the thread has no valid brief."""
        state = self._state()
        table = list(state.get("variants") or [])
        if not 1 <= number <= len(table):
            raise NoSuchVariant(f"no variant #{number}: the thread has {len(table)}")
        brief = brief_of(dict(state.get("fields") or {}), self.context.brand)
        edited = edit_variant(table, number - 1, text, brief, self.context.copy_memory())
        table[number - 1] = edited
        approvals = [i for i in state.get("approvals") or [] if i != edited.id]
        self._graph.update_state(self._config, {"variants": table, "approvals": approvals, "publish": []},
                                 as_node="present")  # as if the last reply had put it there: nothing runs next
        return edited

    def _state(self) -> dict[str, Any]:
        return dict(self._graph.get_state(self._config).values)

    @property
    def variants(self) -> list[Variant]:
        """The variants currently on the table in this thread."""
        return list(self._state().get("variants") or [])

    @property
    def fields(self) -> dict[str, Any]:
        """The brief fields gathered so far in this thread (what the replies call 'Understood')."""
        return dict(self._state().get("fields") or {})

    @property
    def history(self) -> list[dict[str, str]]:
        """Every message of the thread so far."""
        return list(self._state().get("messages") or [])

    @property
    def approved(self) -> list[int]:
        """Ids of the variants on the table the marketer approved (and has not changed since)."""
        return self.standing()["approved"]

    @property
    def missing(self) -> list[str]:
        """Brief fields the thread still needs before copy can be written (e.g. ['product_name'])."""
        return missing_fields(self.fields)

    @property
    def followups(self) -> list[str]:
        """Follow-up messages worth offering now, each one the chat understands ('shorter', 'approve #1' …)."""
        return self.standing()["followups"]

    def standing(self) -> dict[str, Any]:
        """Where the thread stands, from one read of its state: fields, missing, variants, approved, followups."""
        state = self._state()
        fields, variants = dict(state.get("fields") or {}), list(state.get("variants") or [])
        on_table = {v.id for v in variants}
        approved = [i for i in state.get("approvals") or [] if i in on_table]
        return {"fields": fields, "missing": missing_fields(fields), "variants": variants, "approved": approved,
                "followups": followups(fields, variants, approved)}

    @property
    def publications(self) -> list[dict[str, Any]]:
        """What the last message asked to publish: [{"brief", "variants" (approved, in order), "retire" (texts)}].
        The chat serves nothing itself; the HTTP service carries these out after each message."""
        return list(self._state().get("publish") or [])

    def close(self) -> None:
        """Release the checkpoint database."""
        self._close()

    def __enter__(self) -> ChatSession:
        return self

    def __exit__(self, *_exc: object) -> None:
        """`with ChatSession(...) as chat:` closes the database even when a message fails."""
        self.close()
