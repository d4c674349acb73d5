"""Run-time context for the workflow: settings plus the model, memory and rules they resolve to.

Tests and embedding apps may hand in their own chat model, memory or rulebook; otherwise the model and memory are
built from the settings once per process and shared, and the rules are the rulebook in force where the context
is made (tools/rulebook.py). Nodes added through `with_context_rules` run with their context's rules in force.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import ParamSpec, TypeVar

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import get_runtime

from copyloop.config import Settings
from copyloop.llm.factory import chat_model
from copyloop.memory import CopyMemory, open_memory
from copyloop.tools.rulebook import Rulebook, active_rules, using_rules

P = ParamSpec("P")
T = TypeVar("T")
_memory_lock = threading.Lock()


@dataclass(kw_only=True)
class CopyContext:
    """What every node may use: settings, the chat model, the copy memory, the rules."""

    settings: Settings = field(default_factory=Settings.from_env)
    llm: BaseChatModel | None = None
    memory: CopyMemory | None = None
    rules: Rulebook = field(default_factory=active_rules)  # a run inside another run's node keeps that run's rules
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


def with_context_rules(node: Callable[P, T]) -> Callable[P, T]:
    """`node` (or a router) run with its graph run's `CopyContext.rules` in force, so runs with different rulebooks
    can share a process. The wrapper keeps the node's name, signature and type hints: LangGraph reads them to
    inject `runtime` and to infer input schemas and routes."""
    @wraps(node)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        context = get_runtime().context
        if not isinstance(context, CopyContext):  # run without a context: the rules already in force
            return node(*args, **kwargs)
        with using_rules(context.rules):
            return node(*args, **kwargs)

    return run
