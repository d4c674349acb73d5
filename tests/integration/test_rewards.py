"""The multi-objective reward: trl-shaped component functions, λ weighting, novelty and sibling diversity."""

from __future__ import annotations

import json
import re

import pytest

from copyloop.brief import Brief
from copyloop.tools.rewards import (
    NoveltyReward,
    combined_rewards,
    components,
    reward_functions,
    sibling_diversity_reward,
)
from copyloop.tools.scoring import CONVERSION, CREATIVITY, DEFAULT_WEIGHTS, effective_weights
from copyloop.tools.sentiment import sentiment_reward
from copyloop.tools.text_cleanup import length_reward

BRIEF = Brief(product_name="Trail Bottle", category="Outdoor", channel="email_subject",
              attributes={"capacity": "750 ml"}, cta_goal="buy")


def test_one_reward_function_per_scored_component() -> None:
    assert set(reward_functions()) == set(DEFAULT_WEIGHTS)


def test_every_component_pays_nothing_for_blank_copy() -> None:
    brief = Brief(product_name="Trail Bottle", channel="email_subject")
    texts = ["", "   ", "Trail Bottle keeps drinks cold - Shop now"]
    for name, reward in reward_functions().items():
        blank, spaces, _ = reward(prompts=["p"] * 3, completions=texts, briefs=[brief] * 3)
        assert (blank, spaces) == (0.0, 0.0), name
        assert reward.__name__ != "reward", name  # trl logs each reward under its own name
    table = components(texts, [brief] * 3, reward_functions(), prompts=["p"] * 3)
    assert table["sentiment_fit"][2] > 0 and table["fluency"][2] > 0  # real copy still earns


def test_novelty_is_one_minus_the_nearest_reference() -> None:
    novelty = NoveltyReward(["Keep your water ice cold on every trail with the Trail Bottle."])
    same, other = novelty(None, ["Keep your water ice cold on every trail with the Trail Bottle.",
                                 "Quarterly tax filing deadlines for small accountants"])
    assert same == pytest.approx(0.0, abs=1e-4)
    assert other > 0.6
    assert len(novelty) == 1
    novelty.extend(["Quarterly tax filing deadlines for small accountants"])
    assert novelty(None, ["Quarterly tax filing deadlines for small accountants"])[0] == pytest.approx(0.0, abs=1e-4)


def test_novelty_without_references_is_full_for_text() -> None:
    assert NoveltyReward()(None, ["anything", "something else"]) == [1.0, 1.0]


def test_sibling_diversity_compares_only_completions_of_the_same_prompt() -> None:
    prompts = ["a", "a", "b", "b"]
    texts = ["Ice cold water on every trail.", "Ice cold water on every trail!",
             "Ice cold water on every trail.", "A lamp for your reading nook."]
    rewards = sibling_diversity_reward(prompts, texts)
    assert rewards[0] < 0.05 and rewards[1] < 0.05  # near-twins under one prompt
    assert rewards[2] > 0.5 and rewards[3] > 0.5  # unlike each other under the other prompt


def test_sibling_diversity_accepts_chat_prompts_and_a_group_column() -> None:
    chat = [[{"role": "user", "content": "x"}]] * 2
    assert sibling_diversity_reward(chat, ["same text", "same text"])[0] < 0.01
    assert sibling_diversity_reward(chat, ["same text", "same text"], group=[1, 2]) == [1.0, 1.0]


def test_rewards_read_the_brief_column_trl_passes() -> None:
    column = [BRIEF.model_dump_json()] * 2
    texts = ["Trail Bottle: cold for 24 hours", "x" * 200]
    assert length_reward(None, texts, brief=column)[0] == 1.0
    assert length_reward(None, texts, brief=column)[1] < 0.1  # email subject limit 60
    assert sentiment_reward(None, ["I hate this awful bottle"], brief=[BRIEF.model_dump_json()])[0] < 1.0
    table = components(texts, [json.loads(c) for c in column], reward_functions())
    assert set(table) == set(DEFAULT_WEIGHTS) and all(len(v) == 2 for v in table.values())


def test_the_ranker_scores_a_text_as_evaluation_and_fine_tuning_do() -> None:
    """One sum: a variant alone in its brief (nothing stored, no sibling, so novelty 1, sibling diversity 1 and a
    click win probability of 0.5 on both paths) gets from the ranker exactly the combined reward the evaluation
    reports for the same text — fluency and the compliance floor included."""
    from copyloop.agents.ranker import rank
    from copyloop.evaluation.metrics import brief_metrics
    from copyloop.evaluation.outputs import BriefOutput
    from copyloop.result import Variant

    brief = BRIEF.model_copy(update={"n_variants": 1})
    for text in ("Trail Bottle keeps 750 ml cold all day - Shop Now",
                 "Trail Bottle cold cold cold cold cold cold cold cold - Shop Now",  # loops: fluency counts
                 "Trail Bottle cures colds and is 100% risk-free guaranteed - Shop Now"):  # blocked claims
        ranked = rank({"brief": brief, "variants": [Variant(id=1, text=text, angle="benefit")]})["variants"].value[0]
        reported = brief_metrics(BriefOutput(brief, [text], 0.0), reward_functions(), DEFAULT_WEIGHTS, 0.5)
        assert ranked.scores.overall == pytest.approx(reported["combined"], abs=1e-4), text


def test_the_ranker_counts_fluency_and_floors_compliance_as_the_rewards_do() -> None:
    from copyloop.agents.ranker import rank
    from copyloop.result import Variant

    brief = BRIEF.model_copy(update={"n_variants": 3})
    texts = ["Trail Bottle keeps 750 ml cold all day - Shop Now",
             "Trail Bottle keeps 750 ml cold cold cold all day all day all day - Shop Now",
             "Trail Bottle cures colds and is 100% risk-free guaranteed - Shop Now"]
    variants = rank({"brief": brief, "variants": [Variant(id=i, text=t, angle="benefit")
                                                  for i, t in enumerate(texts)]})["variants"].value
    overall = {v.text: v.scores.overall for v in variants}
    assert overall[texts[0]] > overall[texts[1]] > overall[texts[2]]
    table = components(texts, [brief] * 3, reward_functions())
    assert table["fluency"][0] > table["fluency"][1]
    assert table["compliance"][2] < 0  # floored at -1, not 0: two blocking claims cost more than one


def test_combined_rewards_weigh_by_lambda() -> None:
    table = {"cta": [1.0, 0.0], "novelty": [0.2, 0.9], "length_fit": [1.0, 1.0]}
    assert combined_rewards(table, balance=0.9)[0] > combined_rewards(table, balance=0.9)[1]
    assert combined_rewards(table, balance=0.1)[0] < combined_rewards(table, balance=0.1)[1]


def test_measured_components_replace_their_functions_and_must_fit() -> None:
    texts = ["Trail Bottle keeps 750 ml cold - Shop Now", "Trail Bottle for the trail - Shop Now"]
    table = components(texts, [BRIEF] * 2, reward_functions(), measured={"novelty": [0.25, 0.5]})
    assert table["novelty"] == [0.25, 0.5]
    with pytest.raises(ValueError, match="one value per text"):
        components(texts, [BRIEF] * 2, reward_functions(), measured={"novelty": [0.25]})


def test_effective_weights_scale_creativity_and_conversion_by_lambda() -> None:
    weights = effective_weights(balance=0.25)
    for name, base in DEFAULT_WEIGHTS.items():
        factor = 1.5 if name in CREATIVITY else 0.5 if name in CONVERSION else 1.0
        assert weights[name] == pytest.approx(base * factor)
    with pytest.raises(ValueError, match=re.escape("λ=-0.1")):
        effective_weights(balance=-0.1)
