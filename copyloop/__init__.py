"""copyloop: marketing copy that sells, from a local LLM and a LangGraph workflow of agents.

    from copyloop import Brief, generate
    result = generate(Brief(product_name="Trail Bottle", channel="email_subject"))
"""

from __future__ import annotations

from typing import Any

from copyloop.brief import Brief, Channel, CtaGoal, load_brief
from copyloop.config import Settings
from copyloop.errors import BriefError, CopyloopError
from copyloop.result import Finding, Result, Scores, Variant

__all__ = [
    "Brief", "BriefError", "Channel", "CopyloopError", "CtaGoal", "Finding", "Result", "Scores", "Settings",
    "Variant", "builder", "generate", "graph", "load_brief", "resume",
]

_LAZY = {
    "generate": ("copyloop.generation", "generate"),
    "resume": ("copyloop.generation", "resume"),
    "graph": ("copyloop.graphs.copy_workflow", "graph"),
    "builder": ("copyloop.graphs.copy_workflow", "builder"),
}


def __getattr__(name: str) -> Any:
    """Import the workflow (torch, Chroma, LangGraph) only when it is first used."""
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'copyloop' has no attribute {name!r}")
