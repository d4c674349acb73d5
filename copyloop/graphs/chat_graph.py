"""The chat graph: answers each marketer message on a thread kept by the checkpointer, with the copy workflow as
its `write` subgraph.

respond → (write → present)* → END: `respond` plans the message and carries it out until an action needs new copy;
`write` is the copy workflow itself (its checkpoints live under the chat thread, its nodes stream with
`subgraphs=True`); `present` puts the new variants on the table and goes on with the plan. The CLI (`copyloop chat`)
and the HTTP chat endpoint run this same graph, so a thread started in one can be continued in the other.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from copyloop.agents.chat_responder import present, respond, route_after_turn
from copyloop.brief import Brief
from copyloop.config import Approval
from copyloop.graphs.context import CopyContext, with_context_rules
from copyloop.graphs.copy_workflow import compile_workflow
from copyloop.result import Variant


class ChatState(TypedDict, total=False):
    """A chat thread: its messages, the brief fields gathered so far, the variants on the table and the ids of the
    approved ones (`approvals`); the publications the last message asked for (`publish`: the brief, the approved
    variants, texts to retire — carried out by whoever serves copy); while one message is handled, its plan and
    reply so far, and the write subgraph's input (brief, guidance, seed, approval) and output (`variants`, until
    `present` merges them into the table kept aside in `kept`)."""

    messages: Annotated[list[dict[str, str]], operator.add]
    fields: dict[str, Any]
    variants: list[Variant]
    approvals: list[int]  # not `approved`: the write subgraph's own key of that name would overwrite it
    publish: list[dict[str, Any]]
    turns: int
    plan: list[list[Any]]
    cursor: int
    reply: list[str]
    writing: bool
    kept: list[Variant]
    replace: list[int] | None
    brief: Brief
    guidance: str | None
    seed: int
    approval: Approval


def compile_chat(checkpointer: Checkpointer = None) -> CompiledStateGraph:
    """The chat graph, compiled with the given checkpointer (the write subgraph checkpoints into it)."""
    builder = StateGraph(ChatState, context_schema=CopyContext)
    builder.add_node(with_context_rules(respond))
    builder.add_node("write", compile_workflow())  # its own nodes run under the same context's rules
    builder.add_node(with_context_rules(present))
    builder.add_edge(START, "respond")
    builder.add_conditional_edges("respond", route_after_turn)
    builder.add_edge("write", "present")
    builder.add_conditional_edges("present", route_after_turn)
    return builder.compile(checkpointer=checkpointer, name="copyloop-chat")
