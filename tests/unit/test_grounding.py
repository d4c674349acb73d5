"""Grounding: numbers, prices and attribute words in copy must come from the brief."""

from __future__ import annotations

import textwrap
from decimal import Decimal

import pytest

from copyloop.brief import Brief
from copyloop.errors import CopyloopError
from copyloop.tools.compliance import check_compliance, fix_findings
from copyloop.tools.grounding import (
    grounding_reward,
    grounding_score,
    invented_facts,
    phrase_in,
    quantities,
)
from copyloop.tools.rulebook import Rulebook, using_rules

pytestmark = pytest.mark.usefixtures("builtin_rules")


def make_brief(**overrides) -> Brief:
    fields = {
        "product_name": "AquaPeak Insulated Bottle",
        "category": "Drinkware",
        "features": ["Keeps drinks cold for 24 hours", "750 ml capacity", "BPA-free stainless steel"],
        "attributes": {"Color": "Midnight Blue", "Lid": "Leak-proof"},
        "price": Decimal("29"),
    }
    fields.update(overrides)
    return Brief(**fields)


def invented(text: str, brief: Brief | None = None) -> list[tuple[str, str]]:
    return [(f.rule_id, f.matched) for f in invented_facts(text, brief or make_brief())]


# ---------------------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [("750ml", "750", "ml"), ("750 ml", "750", "ml"), ("750 millilitres", "750", "ml"), ("24-hour", "24", "h"),
     ("24h", "24", "h"), ("24 hours", "24", "h"), ("$29", "29", "money"), ("29.00 USD", "29", "money"),
     ("1,299", "1299", None), ("50%", "50", "%"), ("12 oz", "12", "oz"), ("5000 mAh", "5000", "mah"),
     ("15\"", "15", "in"), ("3rd", "3", "ord"), ("4K", "4", "k")],
)
def test_quantities_normalise_units(text, value, unit):
    (q,) = quantities(f"It has {text} today.")
    assert q.value == Decimal(value) and q.unit == unit and q.raw == text


def test_identifiers_and_hashtags_are_not_quantities():
    assert quantities("Vitamin B12, model X100, #1 pick, H2O, IP68") == []


@pytest.mark.parametrize(
    "text",
    ["Keeps drinks cold for 24h.", "Keeps drinks cold for 24-hour stretches.", "A 750ml bottle.", "Just $29.",
     "Only 29 dollars.", "Only $29.00.", "24 hours of cold."],
)
def test_grounded_numbers_pass(text):
    assert invented(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Keeps drinks cold for 48 hours.", [("facts.invented_number", "48 hours")]),
     ("Now 20% off.", [("facts.invented_number", "20%")]),
     ("Just $19.99 today.", [("facts.invented_price", "$19.99")]),
     ("Only $24.", [("facts.invented_price", "$24")]),
     ("Cold for 24 months.", [("facts.invented_number", "24 months")]),
     ("Support 24/7.", [("facts.invented_number", "24/7")]),
     ("Loved since 1998.", [("facts.invented_number", "1998")])],
)
def test_invented_numbers_and_prices_are_caught(text, expected):
    assert invented(text) == expected


def test_price_in_other_currency_formats_and_without_price():
    brief = make_brief(price=Decimal("1299.50"), currency="SEK")
    assert invented("Yours for 1,299.50 SEK.", brief) == []
    assert invented("Yours for $29.", make_brief(price=None)) == [("facts.invented_price", "$29")]


def test_ratio_is_grounded_only_when_the_brief_says_it():
    assert invented("Support 24/7.", make_brief(features=["24/7 support"])) == []


# ---------------------------------------------------------------------------------------------- attributes


@pytest.mark.parametrize(
    "text",
    ["BPA free stainless steel.", "Stainless-steel body in midnight blue.", "A leak proof lid.",
     "Black Friday pricing on AquaPeak.", "Steel, blue and bottle."],
)
def test_grounded_attributes_pass(text):
    assert [i for i in invented(text) if i[0] == "facts.invented_attribute"] == []


@pytest.mark.parametrize(
    ("text", "word"),
    [("Made of titanium.", "titanium"), ("Waterproof and tough.", "Waterproof"), ("Comes in red.", "red"),
     ("Vegan and organic.", "Vegan"), ("Made in Italy.", "Made in Italy"), ("Rated IP68.", "IP68"),
     ("Wrapped in vegan leather.", "vegan leather")],
)
def test_invented_attributes_are_caught(text, word):
    assert ("facts.invented_attribute", word) in invented(text)


def test_attribute_synonyms_and_keys_ground_each_other():
    brief = make_brief(features=["Aluminium shell", "Origin: Italy"])
    assert invented("An aluminum shell, made in Italy.", brief) == []


def test_spans_are_exact():
    text = "A 1L titanium flask, 20% lighter, now $19 — made in the USA. 🚀"
    findings = invented_facts(text, make_brief())
    assert {f.rule_id for f in findings} == {"facts.invented_number", "facts.invented_price",
                                             "facts.invented_attribute"}
    for f in findings:
        assert text[f.span[0]:f.span[1]] == f.matched and f.severity == "block"


def test_phrase_in_is_whole_word_and_spacing_tolerant():
    assert phrase_in("BPA-free", "bpa free bottle")
    assert phrase_in("stainless steel", "Stainless-Steel")
    assert not phrase_in("red", "reduced")
    assert not phrase_in("", "anything")


# ---------------------------------------------------------------------------------------------- fixes


def test_invented_fact_sentence_is_dropped():
    brief = make_brief()
    text = "AquaPeak keeps drinks cold for 24 hours. Made of titanium for 48 hours of cold. Order yours today."
    fixed = fix_findings(text, check_compliance(text, brief), brief)
    assert fixed == "AquaPeak keeps drinks cold for 24 hours. Order yours today."
    assert check_compliance(fixed, brief) == []


def test_single_sentence_loses_only_the_invented_token():
    brief = make_brief()
    text = "A titanium AquaPeak bottle for cold drinks"
    fixed = fix_findings(text, check_compliance(text, brief), brief)
    assert fixed == "An AquaPeak bottle for cold drinks"
    assert check_compliance(fixed, brief) == []


@pytest.mark.parametrize(
    ("text", "fixed"),
    [("Cold drinks in just 7 days", "Cold drinks"), ("An AquaPeak, now 20% off", "An AquaPeak, now"),
     ("An AquaPeak bottle made of titanium", "An AquaPeak bottle"),
     ("Free shipping on orders over $50", "Free shipping on orders")],
)
def test_single_sentence_removal_takes_dangling_words_along(text, fixed):
    brief = make_brief()
    assert fix_findings(text, invented_facts(text, brief), brief) == fixed


@pytest.mark.parametrize(
    ("text", "fixed"),
    [("An organic AquaPeak bottle", "An AquaPeak bottle"), ("A vegan insulated bottle", "An insulated bottle"),
     ("An organic unique bottle", "A unique bottle"), ("A red hour-long chill", "An hour-long chill")],
)
def test_removal_keeps_a_an_agreement(text, fixed):
    brief = make_brief()
    assert fix_findings(text, check_compliance(text, brief), brief) == fixed


# ---------------------------------------------------------------------------------------------- score


def test_grounding_score_orders_copy_by_facts_used():
    brief = make_brief()
    rich = ("The AquaPeak insulated bottle keeps drinks cold for 24 hours, holds 750 ml and is made of BPA-free "
            "stainless steel in midnight blue.")
    some = "The AquaPeak insulated bottle keeps drinks cold for 24 hours."
    vague = "A lovely thing for your day."
    made_up = rich + " It is also waterproof."
    scores = [grounding_score(t, brief) for t in (rich, some, vague, made_up)]
    assert scores[0] == 1.0
    assert 0.0 < scores[1] < scores[0]
    assert scores[2] == 0.0
    assert scores[3] == 0.0


def test_grounding_score_scales_to_channel():
    brief = make_brief(channel="email_subject")
    assert grounding_score("AquaPeak insulated bottle is back", brief) == 1.0


@pytest.mark.parametrize("text", ["", "   ", "🧊🧊", "ünïcödé"])
def test_grounding_score_odd_input(text):
    assert 0.0 <= grounding_score(text, make_brief()) <= 1.0


def test_grounding_reward_shape():
    brief = make_brief()
    completions = ["The AquaPeak insulated bottle keeps drinks cold for 24 hours.",
                   [{"role": "assistant", "content": "A titanium AquaPeak bottle."}]]
    rewards = grounding_reward(["p", "p"], completions, [brief, brief])
    assert len(rewards) == 2 and rewards[0] > 0 and rewards[1] == 0.0
    assert grounding_reward(["p"], ["x"], None, brief=[brief.model_dump_json()]) == [0.0]
    with pytest.raises(CopyloopError):
        grounding_reward(["p"], ["x"], None)


# ---------------------------------------------------------------------------------------------- user vocabulary


def test_user_attribute_vocabulary_overrides_builtin(tmp_path):
    (tmp_path / "attributes.yaml").write_text(textwrap.dedent("""
        kinds:
          finishes: [matte, glossy]
    """), encoding="utf-8")
    brief = make_brief()
    assert invented("A titanium bottle.", brief) == [("facts.invented_attribute", "titanium")]
    with using_rules(Rulebook(tmp_path)):
        assert invented("A titanium bottle.", brief) == []
        assert invented("A glossy bottle.", brief) == [("facts.invented_attribute", "glossy")]
