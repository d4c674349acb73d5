"""Run-time context for the workflow: settings plus the model and memory they resolve to.

Tests and embedding apps may hand in their own chat model or memory; otherwise both are built from the
settings once per process and shared.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel

from copyloop.config import Settings
from copyloop.llm.factory import chat_model
from copyloop.memory import CopyMemory, open_memory

_memory_lock = threading.Lock()


@dataclass(kw_only=True)
class CopyContext:
    """What every node may use: settings, the chat model, the copy memory."""

    settings: Settings = field(default_factory=Settings.from_env)
    llm: BaseChatModel | None = None
    memory: CopyMemory | None = None
    brand: str | None = None  # the brand every brief is written for, when an API key fixes it (HTTP service)

    def chat_model(self) -> BaseChatModel:
        """The injected model, or the one the settings name."""
        return self.llm if self.llm is not None else chat_model(self.settings)

    def copy_memory(self) -> CopyMemory:
        """The injected memory, or the one the settings configure (a Chroma server, else the home folder)."""
        if self.memory is None:
            with _memory_lock:
                self.memory = open_memory(self.settings)
        return self.memory

