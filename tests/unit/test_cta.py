"""CTA library: detection, placement within channel limits, no duplicates, rotation across siblings."""

from __future__ import annotations

import pytest

from copyloop.brief import Brief, Channel, CtaGoal
from copyloop.tools.channels import channel_spec
from copyloop.tools.cta import (
    consolidate_ctas,
    cta_phrases,
    cta_reward,
    cta_spans,
    find_cta,
    has_cta,
    place_cta,
    without_cta,
)


def brief(channel: str, goal: str = "buy") -> Brief:
    return Brief(product_name="Trail Bottle", channel=channel, cta_goal=goal)


def test_existing_cta_is_kept_not_duplicated() -> None:
    text = "Cold drinks all day on the trail. Shop now."
    placement = place_cta(text, brief("product_description"))
    assert placement.text == text and not placement.added
    assert placement.text.lower().count("shop now") == 1


def test_cta_added_as_sentence_for_prose_channels() -> None:
    placement = place_cta("Cold drinks all day on the trail", brief("product_description"))
    assert placement.added
    assert placement.text.startswith("Cold drinks all day on the trail. ")
    assert placement.text.endswith(placement.cta)
    assert placement.text[placement.span[0]:placement.span[1]] == placement.cta


@pytest.mark.parametrize("channel", [c.value for c in Channel])
@pytest.mark.parametrize("goal", [g.value for g in CtaGoal])
def test_placed_cta_always_fits_channel(channel: str, goal: str) -> None:
    long_body = "Our insulated trail bottle keeps water icy cold from sunrise summit to sunset campfire " * 8
    placement = place_cta(long_body.strip(), brief(channel, goal))
    assert len(placement.text) <= channel_spec(channel).max_chars
    if not channel_spec(channel).cta:  # a product title carries none
        assert placement.cta == "" and not has_cta(placement.text)
        return
    assert has_cta(placement.text, CtaGoal(goal))
    assert not placement.text.split(placement.cta)[0].rstrip().endswith((" with", " and", " the"))


def test_a_product_title_takes_no_cta_and_loses_a_stand_alone_one() -> None:
    title = brief("product_title")
    assert place_cta("Lodge Cast Iron Skillet, Made in the USA | Shop Now", title).text == \
        "Lodge Cast Iron Skillet, Made in the USA"
    assert cta_reward(None, ["Lodge Cast Iron Skillet | Buy Now", "Lodge Cast Iron Skillet"], [title, title]) == \
        [0.0, 1.0]


def test_one_line_channels_use_short_title_case_ctas() -> None:
    placement = place_cta("Icy Water All Day", brief("email_subject"))
    assert placement.text == "Icy Water All Day - Shop Now"
    assert placement.cta in cta_phrases(CtaGoal.BUY, Channel.EMAIL_SUBJECT)


def test_rotation_varies_the_phrase() -> None:
    ctas = {place_cta("Cold water all day", brief("push_notification"), rotation=r).cta for r in range(4)}
    assert len(ctas) >= 3


def test_a_plural_product_is_added_to_the_cart_as_them() -> None:
    flakes = Brief(product_name="Maldon Sea Salt Flakes, 250 g", channel="push_notification")
    placed = [place_cta("Meet the Maldon Sea Salt Flakes.", flakes, rotation=r) for r in range(6)]
    assert "Add them to your cart today." in {p.cta for p in placed}
    assert not any(" it " in f" {p.cta} " for p in placed)
    assert all(find_cta(p.text, CtaGoal.BUY) for p in placed)  # still found as the call to action
    single = {place_cta("Meet the Trail Bottle.", brief("push_notification"), rotation=r).cta for r in range(6)}
    assert "Add it to your cart today." in single


def test_goal_specific_detection() -> None:
    assert find_cta("Pre-order the Orbit 2 today", CtaGoal.PRE_ORDER) is not None
    assert find_cta("Pre-order the Orbit 2 today", CtaGoal.SIGN_UP) is None
    assert has_cta("Sign up for early access")
    assert not has_cta("A bottle that keeps drinks cold.")


def test_cta_reward_prefers_a_cta_at_the_end() -> None:
    b = brief("product_description")
    texts = ["Cold water all day. Shop now.", "Shop now: cold water all day, " + "on every trail " * 8, "Cold water."]
    scores = cta_reward([None] * 3, texts, [b] * 3)
    assert scores[0] == 1.0 and scores[1] == 0.5 and scores[2] == 0.0


def test_without_cta_cuts_the_call_to_action_out() -> None:
    assert without_cta("Cold water all day. Shop now.", "buy") == "Cold water all day"
    assert without_cta("Shop now: cold water all day", "buy") == "cold water all day"
    assert without_cta("Cold water all day.", "buy") == "Cold water all day."


def test_cta_reward_reads_briefs_given_as_json() -> None:
    b = brief("email_subject")
    assert cta_reward(None, ["Cold water, all day - Shop Now"], brief=[b.model_dump_json()]) == [1.0]


def test_stacked_ctas_earn_less_than_one_clear_ask() -> None:
    b = brief("push_notification")
    one, stacked = cta_reward(None, ["Cold water all day. Shop now.", "Shop now - Buy now. Cold water. Order now."],
                              [b, b])
    assert one == 1.0 and stacked == pytest.approx(1 / 3)
    assert len(cta_spans("Shop now - Buy now. Cold water. Order now.", "buy")) == 3


def test_stacked_stand_alone_ctas_are_cut_to_one_at_the_end() -> None:
    b = brief("push_notification")
    assert consolidate_ctas("Shop now - Buy Today! Cold water all day.", b) == "Cold water all day. Buy Today!"
    assert consolidate_ctas("Shop now. Cold water all day - on every trail.", b) == \
        "Cold water all day - on every trail. Shop now."
    placed = place_cta("Order now! Cold water all day. Shop now.", b)
    assert placed.text == "Cold water all day. Shop now." and not placed.added


def test_ctas_woven_into_a_sentence_stay_where_they_are() -> None:
    b = brief("product_description")
    text = "Shop now for the coldest water on the trail. Steel walls, all day."
    assert consolidate_ctas(text, b) == text
    assert consolidate_ctas("Cold water. Shop now.", b) == "Cold water. Shop now."


def test_four_siblings_end_on_calls_to_action_that_share_no_two_words() -> None:
    from copyloop.tools.diversity import ngrams, tokens

    body = "Meet the Trail Bottle. It keeps drinks cold for 24 hours."
    ctas = [place_cta(body, brief("product_description"), rotation=r).cta for r in range(4)]
    pairs = [set(ngrams(tokens(c), 2)) for c in ctas]
    assert len(set(ctas)) == 4
    assert all(not (pairs[i] & pairs[j]) for i in range(4) for j in range(i + 1, 4)), ctas


def test_see_is_not_a_buy_cta() -> None:
    """Round 18: headlines opening "See the …" and ending "See It Now" rose in predicted CTR (the click model, learned
    on news headlines, likes "See"), but two blind readers marked every one of them for an edit: a buy brief wants a
    buy CTA. The change was reverted; this keeps "See" from counting as one."""
    for text in ("See the Frankie Sweatshirt", "Frankie Sweatshirt - See It Now"):
        assert find_cta(text, CtaGoal.BUY) is None
    assert find_cta("Frankie Sweatshirt - See Details", CtaGoal.LEARN_MORE) is not None
