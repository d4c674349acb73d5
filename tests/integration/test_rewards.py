"""The multi-objective reward: trl-shaped component functions, λ weighting, novelty and sibling diversity."""

from __future__ import annotations

import json
import re

import pytest

from copyloop.brief import Brief
from copyloop.tools.rewards import (
    NoveltyReward,
    combined_rewards,
    reward_functions,
    reward_table,
    sibling_diversity_reward,
)
from copyloop.tools.scoring import CONVERSION, CREATIVITY, DEFAULT_WEIGHTS, combined_score, effective_weights
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
    table = reward_table(["p"] * 3, texts, [brief] * 3, reward_functions())
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
    table = reward_table(["p", "p"], texts, [json.loads(c) for c in column], reward_functions())
    assert set(table) == set(DEFAULT_WEIGHTS) and all(len(v) == 2 for v in table.values())


def test_combined_rewards_are_the_ranker_combined_score() -> None:
    table = {"cta": [1.0, 0.0], "novelty": [0.2, 0.9], "length_fit": [1.0, 1.0]}
    for balance in (0.2, 0.5, 0.8):
        got = combined_rewards(table, balance=balance)
        assert got == [combined_score({k: v[i] for k, v in table.items()}, balance=balance) for i in range(2)]
    assert combined_rewards(table, balance=0.9)[0] > combined_rewards(table, balance=0.9)[1]
    assert combined_rewards(table, balance=0.1)[0] < combined_rewards(table, balance=0.1)[1]


def test_effective_weights_scale_creativity_and_conversion_by_lambda() -> None:
    weights = effective_weights(balance=0.25)
    for name, base in DEFAULT_WEIGHTS.items():
        factor = 1.5 if name in CREATIVITY else 0.5 if name in CONVERSION else 1.0
        assert weights[name] == pytest.approx(base * factor)
    with pytest.raises(ValueError, match=re.escape("λ=-0.1")):
        effective_weights(balance=-0.1)
