"""The copy workflow: a brief becomes ranked, compliant, diverse, CTA-bearing variants that make sense.

intake → draft → sense_check → sentiment_critic → diversity_check ⇄ draft (one pass for what any of the three sent back)
→ cta_insert → compliance_review ⇄ fix (or ⇄ draft) → postprocess (⇄ replace_blocked → draft) → compose → rank
→ approve (optional interrupt) → remember.
Every arrow back is capped by a counter in the state (see state.LOOP_CAPS and Settings), never by the recursion limit.
Every node and router runs with the run's `CopyContext.rules` in force.
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from copyloop.agents.approver import approve
from copyloop.agents.compliance_reviewer import compliance_review, fix, route_after_compliance
from copyloop.agents.composer import compose
from copyloop.agents.cta_inserter import cta_insert
from copyloop.agents.diversity_checker import diversity_check, route_after_diversity
from copyloop.agents.drafter import draft
from copyloop.agents.intake import intake
from copyloop.agents.postprocessor import postprocess, replace_blocked, route_after_postprocess
from copyloop.agents.ranker import rank
from copyloop.agents.rememberer import remember
from copyloop.agents.sense_checker import sense_check
from copyloop.agents.sentiment_critic import sentiment_critic
from copyloop.graphs.context import CopyContext, with_context_rules
from copyloop.graphs.state import CopyInput, CopyState


def build() -> StateGraph:
    """The uncompiled graph, for users who compose it into their own LangGraph apps."""
    builder = StateGraph(CopyState, context_schema=CopyContext, input_schema=CopyInput)
    for node in (intake, draft, sense_check, sentiment_critic, diversity_check, cta_insert, compliance_review, fix,
                 postprocess, replace_blocked, compose, rank, approve, remember):
        builder.add_node(with_context_rules(node))

    builder.add_edge(START, "intake")
    builder.add_edge("intake", "draft")
    builder.add_edge("draft", "sense_check")
    builder.add_edge("sense_check", "sentiment_critic")
    builder.add_edge("sentiment_critic", "diversity_check")
    builder.add_conditional_edges("diversity_check", with_context_rules(route_after_diversity))
    builder.add_edge("cta_insert", "compliance_review")
    builder.add_conditional_edges("compliance_review", with_context_rules(route_after_compliance))
    builder.add_edge("fix", "compliance_review")
    builder.add_conditional_edges("postprocess", with_context_rules(route_after_postprocess))
    builder.add_edge("replace_blocked", "draft")
    builder.add_edge("compose", "rank")
    builder.add_edge("rank", "approve")
    builder.add_edge("approve", "remember")
    builder.add_edge("remember", END)
    return builder


def compile_workflow(checkpointer: Checkpointer = None) -> CompiledStateGraph:
    """The compiled workflow, optionally with a checkpointer (threads, resume, human approval)."""
    return build().compile(checkpointer=checkpointer, name="copyloop")


builder = build()
graph = compile_workflow()
