"""A LangChain callback handler that records the chat model runs it is told of, for tests of tracing."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult


class Recorder(BaseCallbackHandler):
    """Every chat model start (its run id, messages and keyword arguments), end and error, in order."""

    def __init__(self) -> None:
        self.starts: list[dict[str, Any]] = []
        self.ends: list[tuple[UUID, LLMResult]] = []
        self.errors: list[tuple[UUID, BaseException]] = []

    def on_chat_model_start(self, serialized: dict[str, Any], messages: list[list[BaseMessage]], *, run_id: UUID,
                            **kwargs: Any) -> None:
        self.starts.append({"run_id": run_id, "messages": messages, **kwargs})

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        self.ends.append((run_id, response))

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self.errors.append((run_id, error))
