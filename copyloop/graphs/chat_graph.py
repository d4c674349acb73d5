"""The chat graph: one node that answers each marketer message, on a thread kept by the checkpointer.

The CLI (`copyloop chat`) and the HTTP chat endpoint run this same graph, so a thread started in one can be
continued in the other.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from copyloop.agents.chat_responder import respond
from copyloop.graphs.context import CopyContext, with_context_rules
from copyloop.result import Variant


class ChatState(TypedDict, total=False):
    """A chat thread: its messages, the brief fields gathered so far, and the variants on the table."""

    messages: Annotated[list[dict[str, str]], operator.add]
    fields: dict[str, Any]
    variants: list[Variant]
    turns: int


def compile_chat(checkpointer: Checkpointer = None) -> CompiledStateGraph:
    """The chat graph, compiled with the given checkpointer."""
    builder = StateGraph(ChatState, context_schema=CopyContext)
    builder.add_node(with_context_rules(respond))
    builder.add_edge(START, "respond")
    builder.add_edge("respond", END)
    return builder.compile(checkpointer=checkpointer, name="copyloop-chat")
