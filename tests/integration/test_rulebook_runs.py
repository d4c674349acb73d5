"""Rulebooks in graph runs: concurrent copy-workflow runs and a chat run each use their own context's rules."""

from __future__ import annotations

from pathlib import Path

from copyloop.brief import Channel
from copyloop.graphs.chat_graph import compile_chat
from copyloop.graphs.context import CopyContext
from copyloop.graphs.copy_workflow import compile_workflow
from copyloop.tools.rulebook import Rulebook
from tests.fakes import ScriptedChatModel
from tests.unit.test_rulebook import BRIEF, in_parallel, user_rulebook

GOOD = ["Meet the Trail Bottle, made for hikers", "Ready for a cold drink? Take the Trail Bottle",
        "The Trail Bottle keeps your drinks cold", "Say hello to the Trail Bottle"]


def flagged_in_run(context: CopyContext) -> set[str]:
    """The house rules that fired on a workflow run in `context`."""
    state = compile_workflow().invoke({"brief": BRIEF}, context=context)
    return {f.rule_id for v in state["variants"] for f in v.findings if f.rule_id.startswith("house.")}


def test_concurrent_graph_runs_each_use_their_contexts_rules(tmp_path: Path, settings, builtin_rules) -> None:
    def context(rules: Rulebook) -> CopyContext:
        return CopyContext(settings=settings.with_(approval="off"), memory=None, rules=rules,
                           llm=ScriptedChatModel(script=lambda _request, i: GOOD[i % len(GOOD)]))

    cold = user_rulebook(tmp_path / "cold", "cold", 60)
    bottle = user_rulebook(tmp_path / "bottle", "bottle", 60)
    # the caller's thread has the built-in rules in force: only the context says which rules each run uses
    assert in_parallel(lambda: flagged_in_run(context(cold)), lambda: flagged_in_run(context(bottle)),
                       lambda: flagged_in_run(context(builtin_rules))) == [{"house.cold"}, {"house.bottle"}, set()]


def test_the_chat_graph_reads_its_contexts_lexicon(tmp_path: Path, settings, builtin_rules) -> None:
    rules = user_rulebook(tmp_path, "zany", 60)
    chat = compile_chat()
    turn = {"messages": [{"role": "user", "content": "a mug, zany blast"}]}
    ours = chat.invoke(turn, context=CopyContext(settings=settings, llm=ScriptedChatModel(script=lambda *_: ""),
                                                 rules=rules))
    plain = chat.invoke(turn, context=CopyContext(settings=settings, llm=ScriptedChatModel(script=lambda *_: "")))
    assert ours["fields"].get("channel") == Channel.PUSH_NOTIFICATION.value != plain["fields"].get("channel")
