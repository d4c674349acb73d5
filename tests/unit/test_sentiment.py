"""Sentiment score, band fit, feedback that names the driving words, and the last-resort nudge."""

from __future__ import annotations

import json
import math
import random

import pytest

from copyloop.brief import SENTIMENT_BANDS, Brief, Channel
from copyloop.tools.channels import channel_spec
from copyloop.tools.diversity import tokens
from copyloop.tools.sentiment import (
    BENEFIT_CLAUSES,
    MAX_GROWTH,
    analyzer,
    as_band,
    band_distance,
    brief_band,
    in_band,
    nudge_into_band,
    sentiment_drivers,
    sentiment_feedback,
    sentiment_fit,
    sentiment_reward,
    sentiment_score,
)

POSITIVE = SENTIMENT_BANDS["positive"]  # (0.3, 0.95)
CALM = SENTIMENT_BANDS["calm"]  # (0.0, 0.6)
ENTHUSIASTIC = SENTIMENT_BANDS["enthusiastic"]  # (0.6, 1.0)


# --- score, distance, fit ----------------------------------------------------------------------------------


def test_sentiment_score_orders_copy_sensibly() -> None:
    warm = sentiment_score("Soft, comfortable socks you will love.")
    flat = sentiment_score("Merino socks, size 8 to 11.")
    cold = sentiment_score("Tired of bitter, awful coffee?")
    assert -1.0 <= cold < flat < warm <= 1.0
    assert flat == 0.0
    assert sentiment_score("   ") == 0.0


def test_analyzer_is_cached() -> None:
    assert analyzer() is analyzer()


@pytest.mark.parametrize(
    ("score", "band", "distance"),
    [(0.5, POSITIVE, 0.0), (0.3, POSITIVE, 0.0), (0.95, POSITIVE, 0.0), (0.1, POSITIVE, 0.2), (0.99, POSITIVE, 0.04)],
)
def test_band_distance(score: float, band: tuple[float, float], distance: float) -> None:
    assert band_distance(score, band) == pytest.approx(distance)


def test_sentiment_fit_is_one_inside_and_decays_outside() -> None:
    assert sentiment_fit(0.6, POSITIVE) == 1.0
    below = [sentiment_fit(s, POSITIVE) for s in (0.25, 0.1, -0.3, -1.0)]
    assert all(0.0 < f < 1.0 for f in below)
    assert below == sorted(below, reverse=True)
    assert sentiment_fit(0.1, POSITIVE) == pytest.approx(math.exp(-0.2 / 0.2))
    assert sentiment_fit(0.99, POSITIVE) > sentiment_fit(0.1, POSITIVE)  # a near miss beats a far one


@pytest.mark.parametrize(
    ("given", "expected"),
    [("calm", CALM), ([0.1, 0.5], (0.1, 0.5)), ({"min": -0.2, "max": 0.4}, (-0.2, 0.4)), (POSITIVE, POSITIVE)],
)
def test_as_band_accepts_every_form_a_brief_or_dataset_uses(given: object, expected: tuple[float, float]) -> None:
    assert as_band(given) == expected


@pytest.mark.parametrize("bad", ["ecstatic", (0.8, 0.2), (-2.0, 0.5)])
def test_as_band_rejects_nonsense(bad: object) -> None:
    with pytest.raises(ValueError):
        as_band(bad)


# --- drivers and feedback ----------------------------------------------------------------------------------


def test_drivers_see_negation_the_way_vader_does() -> None:
    drivers = {d.token: d.effect for d in sentiment_drivers("Not good for small kitchens.")}
    assert drivers["not"] < 0  # 'not' turns 'good' against the product
    assert drivers["good"] < 0  # negated 'good' pulls the score down
    effects = [d.effect for d in sentiment_drivers("Tired of bitter coffee? Our beans are fresh.")]
    assert effects == sorted(effects, reverse=True)


def test_feedback_is_none_in_band() -> None:
    assert sentiment_feedback("Soft merino socks that keep your feet comfortable.", POSITIVE) is None


def test_feedback_too_negative_names_the_negative_words() -> None:
    text = "Tired of cold, bitter coffee? Our beans are roasted fresh."
    feedback = sentiment_feedback(text, POSITIVE)
    assert feedback is not None
    assert feedback.startswith(f"Too negative (score {sentiment_score(text):.2f}, target 0.30–0.95)")
    assert "'tired'" in feedback and "'bitter'" in feedback
    assert "'fresh'" not in feedback  # a positive word is not blamed


def test_feedback_too_negative_suggests_the_briefs_benefit() -> None:
    text = "Stop wasting money on flimsy chargers."
    feedback = sentiment_feedback(text, POSITIVE, benefits=["charges in 30 minutes"])
    assert feedback is not None
    assert "'wasting'" in feedback
    assert "lead with a benefit such as 'charges in 30 minutes'" in feedback


def test_feedback_too_gushing_names_superlatives_and_bangs() -> None:
    text = "This amazing blender is the best!! You'll love it, absolutely incredible!"
    feedback = sentiment_feedback(text, CALM)
    assert feedback is not None
    assert feedback.startswith("Too gushing")
    named = feedback.split(":", 1)[1]
    assert "'amazing'" in named and "'best'" in named and "'love'" in named
    assert "'blender'" not in named


def test_feedback_gushing_mentions_intensifiers_and_bang_runs() -> None:
    feedback = sentiment_feedback("So so good!!!", (-0.2, 0.3))
    assert feedback is not None
    assert "'good'" in feedback and "'!!!'" in feedback


def test_feedback_too_flat_when_no_word_carries_feeling() -> None:
    feedback = sentiment_feedback("Ergonomic office chair with adjustable height.", ENTHUSIASTIC)
    assert feedback is not None
    assert feedback.startswith("Too flat (score 0.00, target 0.60–1.00)")


# --- nudge_into_band ---------------------------------------------------------------------------------------

OUT_OF_BAND = [
    # SmolLM gush: superlatives, boosters, '!!', emoji
    (
        "Wake up to amazing coffee every morning!! Our incredible beans are the best, so every cup tastes perfect. "
        "You'll love it!",
        POSITIVE,
    ),
    ("Absolutely the best, most amazing, incredibly awesome deal ever!!! 🎉😍", CALM),
    ("An amazing, gorgeous mug for your perfect morning 😍", CALM),
    ("These cozy, soft, beautiful, lovely socks are the best!", CALM),
    ("Love it! Best gift ever!!!", CALM),
    ("Our wonderful, amazing blanket is perfect for the best nights. Great gift!", CALM),
    # pain-point openers the model over-uses
    ("Tired of cold, bitter coffee? Never settle for a bad brew again. Our beans are roasted fresh.", POSITIVE),
    ("Tired of cold, bitter coffee?", POSITIVE),
    ("Say goodbye to boring, uncomfortable chairs.", POSITIVE),
    ("No more sore feet. Our insoles stop pain and fight fatigue on long shifts.", POSITIVE),
    ("Don't let a slow, annoying blender ruin your morning. Ours is fast.", POSITIVE),
    # flat spec-sheet copy for an upbeat brief
    ("Ergonomic chair with adjustable height.", POSITIVE),
    ("Sale ends tonight", ENTHUSIASTIC),
    ("Merino wool socks in three colors.", ENTHUSIASTIC),
]


@pytest.mark.parametrize(("text", "band"), OUT_OF_BAND)
def test_nudge_moves_out_of_band_copy_into_the_band(text: str, band: tuple[float, float]) -> None:
    assert not in_band(text, band)
    out = nudge_into_band(text, band)
    assert in_band(out, band), (out, sentiment_score(out))
    assert out.strip() and len(out) <= len(text) + MAX_GROWTH
    assert "  " not in out and " ," not in out and ",," not in out


@pytest.mark.parametrize(("text", "band"), OUT_OF_BAND)
def test_nudge_is_deterministic(text: str, band: tuple[float, float]) -> None:
    assert nudge_into_band(text, band) == nudge_into_band(text, band)


def test_nudge_leaves_in_band_copy_alone() -> None:
    text = "Soft merino socks that keep your feet comfortable all day."
    assert nudge_into_band(text, POSITIVE) == text


def test_nudge_prefers_cheap_edits_for_a_near_miss() -> None:
    # 0.96 vs a 0.95 ceiling: dropping the extra '!' should do, and no product word should go
    text = (
        "Wake up to amazing coffee every morning!! Our incredible beans are the best, so every cup tastes perfect. "
        "You'll love it!"
    )
    assert sentiment_score(text) == pytest.approx(0.957, abs=0.005)
    out = nudge_into_band(text, POSITIVE)
    assert "!!" not in out
    for word in ("coffee", "beans", "morning"):
        assert word in out


def test_nudge_fixes_articles_and_commas_after_deleting_adjectives() -> None:
    out = nudge_into_band("An amazing, gorgeous mug for your perfect morning 😍", CALM)
    assert out.startswith("A ") and "mug" in out
    assert "😍" not in out


def test_nudge_drops_a_pain_point_sentence_before_touching_the_product_sentence() -> None:
    out = nudge_into_band("Tired of cold, bitter coffee? Our beans are roasted fresh every week.", POSITIVE)
    assert "Tired" not in out and "Our beans are roasted fresh every week." in out


def test_nudge_uses_given_benefit_clauses_first() -> None:
    out = nudge_into_band("Ergonomic chair with adjustable height.", POSITIVE, benefits=["Comfortable from 9 to 5."])
    assert out == "Ergonomic chair with adjustable height. Comfortable from 9 to 5."


def test_nudge_adds_at_most_one_clause_and_returns_the_closest_text() -> None:
    text = "Stop wasting money on terrible, awful headphones that break."
    out = nudge_into_band(text, POSITIVE)
    assert sum(clause in out for clause in BENEFIT_CLAUSES) <= 1
    assert band_distance(sentiment_score(out), POSITIVE) < band_distance(sentiment_score(text), POSITIVE)
    assert "headphones" in out  # never reduced to just the added clause


# --- reward ------------------------------------------------------------------------------------------------


def test_sentiment_reward_uses_each_briefs_band() -> None:
    calm_copy = "Merino wool socks in three colors."  # 0.0
    briefs = [
        Brief(product_name="Socks", target_sentiment="calm"),
        {"product_name": "Socks", "target_sentiment": "enthusiastic"},
        json.dumps({"product_name": "Socks", "target_sentiment": [-0.5, 0.1]}),
        {"product_name": "Socks", "channel": "product_title"},  # no band: the channel's default
    ]
    completions: list[object] = [calm_copy, calm_copy, [{"role": "assistant", "content": calm_copy}], calm_copy]
    rewards = sentiment_reward(["p"] * 4, completions, briefs=briefs)
    assert rewards[0] == 1.0 and rewards[2] == 1.0
    assert rewards[1] == pytest.approx(sentiment_fit(0.0, ENTHUSIASTIC))
    assert rewards[3] == 1.0  # product titles default to a band that includes neutral copy


def test_sentiment_reward_target_column_and_defaults() -> None:
    assert sentiment_reward(None, ["Merino socks."], target_sentiment=[[0.5, 1.0]]) == [pytest.approx(math.exp(-2.5))]
    default_band = channel_spec(Channel.PRODUCT_DESCRIPTION).sentiment  # no brief at all
    awful = sentiment_score("Awful.")
    rewards = sentiment_reward(None, ["Great coffee!", "Awful."])
    assert rewards == [1.0, pytest.approx(sentiment_fit(awful, default_band))]


def test_brief_band_prefers_the_briefs_own_band() -> None:
    assert brief_band(Brief(product_name="Mug", target_sentiment="calm")) == CALM
    title_default = channel_spec(Channel.PRODUCT_TITLE).sentiment
    assert brief_band(Brief(product_name="Mug", channel=Channel.PRODUCT_TITLE)) == title_default
    assert brief_band({"product_name": "Mug", "channel": "product_title"}) == title_default
    assert brief_band(json.dumps({"target_sentiment": {"min": 0.1, "max": 0.5}})) == (0.1, 0.5)


def test_nudge_invariants_on_random_messy_copy() -> None:
    rng = random.Random(7)
    words = tokens("amazing best love great terrible awful tired never not bad coffee socks warm the and so very")
    marks = ["", "", "", ",", ".", "!", "!!!", "?", " 😍", " ☕"]
    bands = [POSITIVE, CALM, ENTHUSIASTIC, (-0.2, 0.3)]
    for _ in range(80):
        text = " ".join(rng.choice(words) + rng.choice(marks) for _ in range(rng.randint(1, 25)))
        band = rng.choice(bands)
        out = nudge_into_band(text, band)
        assert out.strip() and len(out) <= len(text) + MAX_GROWTH, text
        assert band_distance(sentiment_score(out), band) <= band_distance(sentiment_score(text), band), text
