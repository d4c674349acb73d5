"""Progress in a marketer's words: a label and a short detail for every copy-workflow node's update."""

from __future__ import annotations

from langgraph.types import Overwrite

from copyloop.generation import plain_update
from copyloop.graphs.copy_workflow import build
from copyloop.graphs.progress import LABELS, describe
from copyloop.result import Scores, Variant


def variant(i: int, **changes: object) -> Variant:
    return Variant(id=i, text=f"copy {i}", angle="benefit", **changes)


def test_every_workflow_node_has_a_plain_label() -> None:
    nodes = set(build().nodes)
    assert nodes <= set(LABELS), nodes - set(LABELS)
    for node in nodes:
        step = describe(node, {})
        assert step["node"] == node and step["label"] and step["detail"]


def test_drafting_counts_the_variants_and_redrafting_says_so() -> None:
    first = describe("draft", {"variants": [variant(i) for i in range(1, 5)], "drafts": 1})
    assert first["label"] == "Drafting 4 variants" and first["detail"] == "wrote 4 drafts"
    again = describe("draft", {"variants": [variant(2)], "drafts": 2})
    assert again["label"] == "Redrafting 1 variant"


def test_the_detail_names_what_was_sent_back_dropped_or_held_back() -> None:
    update = {"variants": [variant(1, feedback="say it differently"),
                           variant(2, status="blocked", blocked_reason="dropped for a spare: too close"),
                           variant(3, status="blocked", blocked_reason="claims.cure 'cures'")]}
    detail = describe("sense_check", update)["detail"]
    assert "sent back for a redraft: #1" in detail and "dropped for a spare: #2" in detail
    assert "held back: #3" in detail
    assert describe("sense_check", {"variants": []})["detail"] == "all pass"


def test_the_ranker_s_overwrite_is_read_through_plain_update() -> None:
    best = variant(2, scores=Scores(overall=0.9, predicted_ctr=1.25))
    update = plain_update({"variants": Overwrite([variant(1, scores=Scores(overall=0.5)), best])})
    assert describe("rank", update)["detail"] == "2 ready; best #2 at 1.25× predicted CTR"


def test_an_unknown_node_gets_its_own_name() -> None:
    assert describe("new_step", None) == {"node": "new_step", "label": "New step", "detail": "done"}
