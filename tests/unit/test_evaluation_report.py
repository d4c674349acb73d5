"""Evaluation: brief sets, configuration names, NaN-aware metrics, the A/B simulator and the written report."""

from __future__ import annotations

import numpy as np
import pytest

from copyloop.brief import Brief, load_briefs
from copyloop.errors import BriefError, CopyloopError
from copyloop.evaluation.ab_simulator import simulate
from copyloop.evaluation.outputs import BriefOutput, baseline_prompt
from copyloop.evaluation.report import EVAL_BRIEFS, _contrasts, parse_configs


def test_shipped_brief_set_is_thirty_plus_real_products_on_several_channels() -> None:
    briefs = load_briefs(EVAL_BRIEFS)
    assert len(briefs) >= 30 and len({b.channel for b in briefs}) >= 4
    assert all(b.reference_copy for b in briefs)


def test_brief_set_errors_name_the_line_and_field(tmp_path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text('{"product_name": "Mug"}\n\n{"product_name": "Cup", "n_variants": 99}\nnot json\n')
    with pytest.raises(BriefError, match="line 4: not valid JSON"):
        load_briefs(path)
    path.write_text('{"product_name": "Mug"}\n{"product_name": "Cup", "n_variants": 99}\n')
    with pytest.raises(BriefError) as error:
        load_briefs(path)
    assert "line 2" in error.value.problems[0] and "n_variants" in error.value.problems[0]
    listed = tmp_path / "set.yaml"
    listed.write_text("- product_name: Mug\n- product_name: Cup\n  channel: email_subject\n")
    assert [b.product_name for b in load_briefs(listed)] == ["Mug", "Cup"]
    listed.write_text("product_name: Mug\n")
    with pytest.raises(BriefError, match="expected a list"):
        load_briefs(listed)


def test_config_names_are_checked() -> None:
    assert parse_configs("workflow, baseline,workflow") == ["workflow", "baseline"]
    with pytest.raises(CopyloopError, match="unknown agents"):
        parse_configs("baseline,agents")
    assert _contrasts(["baseline", "workflow", "finetuned", "human"]) == [
        ("workflow", "baseline"), ("finetuned", "baseline"), ("human", "baseline"), ("finetuned", "workflow"),
        ("workflow", "human"), ("finetuned", "human")]


def test_baseline_prompt_is_one_plain_line() -> None:
    prompt = baseline_prompt(Brief(product_name="Trail Bottle", channel="push_notification"))
    assert "\n" not in prompt and "Trail Bottle" in prompt and "push notification" in prompt


def test_thompson_sampling_loses_fewer_clicks_than_a_fixed_split() -> None:
    fixed = simulate([0.02, 0.03, 0.02], "fixed", visitors=40_000, replications=100)
    thompson = simulate([0.02, 0.03, 0.02], "thompson", visitors=40_000, replications=100)
    assert thompson.summary()["regret_clicks"] < 0.7 * fixed.summary()["regret_clicks"]
    assert fixed.summary()["p_pick_best"] > 0.9 and fixed.summary()["significant_share"] > 0.5
    assert np.all(np.diff(fixed.mean_regret) >= 0) and np.all(np.diff(fixed.significant_share) >= 0)


def test_peeking_after_every_batch_does_not_invent_winners_between_identical_arms() -> None:
    for policy in ("fixed", "thompson"):
        equal = simulate([0.02, 0.02], policy, visitors=40_000, replications=300, seed=1)
        assert equal.summary()["regret_clicks"] == 0 and equal.summary()["significant_share"] <= 0.06, policy


def test_simulator_rejects_impossible_tests() -> None:
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        simulate([0.02, 1.2], "fixed")
    with pytest.raises(ValueError, match="policy 'greedy'"):
        simulate([0.02, 0.03], "greedy")


def test_sample_shows_each_text_with_its_facts_and_call_to_action(tmp_path) -> None:
    from copyloop.evaluation.report import write_sample

    store = Brief(product_name="Pandora Snake Chain Bracelet", features=["barrel clasp"], cta_goal="visit_store",
                  channel="push_notification")
    texts = ["Meet the Pandora Snake Chain Bracelet. Visit us in store today.", "A barrel clasp. Find it in store."]
    path = tmp_path / "sample.md"
    write_sample([BriefOutput(store, texts, 1.0, origins=("model", "composer"))], "finetuned", path, size=2)
    written = path.read_text()
    assert written.count("Call to action: visit store") == 2 and "Feature: barrel clasp" in written
    assert all(f"> {t}" in written for t in texts)
    assert written.rstrip().endswith("1: model, 2: composer")  # who wrote them: apart, after the texts


def test_a_workflow_brief_that_ships_nothing_counts_as_failing_not_as_missing() -> None:
    from copyloop.evaluation.report import _metrics
    from copyloop.tools.rewards import reward_functions

    brief = Brief(product_name="Weber Kettle Grill", channel="push_notification", features=["built-in thermometer"])
    empty = BriefOutput(brief, [], 1.0, raw=("Meet the Weber Kettle Grill.",), origins=())
    metrics = _metrics(empty, reward_functions(), "finetuned")
    assert metrics["ships_all"] == 0.0 and metrics["cta_rate"] == 0.0 and metrics["length_ok"] == 0.0
    human = _metrics(BriefOutput(brief, [], 0.0), reward_functions(), "human")
    assert all(v != v for v in human.values())  # a product without a description has no human figures at all
