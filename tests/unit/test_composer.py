"""The composer builds plain, correct copy from a brief's facts; the name travels as a slot; targets are clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from copyloop.agents.composer import composed_variants
from copyloop.brief import Brief, Channel
from copyloop.config import Settings
from copyloop.memory import CopyMemory
from copyloop.tools.composer import compose_texts, fitting_name
from copyloop.tools.cta import find_cta
from copyloop.tools.facts import agree, brief_facts, classify, reference_facts, with_article
from copyloop.tools.finishing import finish, shipping_problems
from copyloop.tools.placeholders import PRODUCT_SLOT, delexicalise, fill_slots
from copyloop.tools.sense.checks import passes_sense, sense_findings
from copyloop.training.clean_targets import clean_body, composed_targets

SKILLET = Brief(product_name="Lodge 10.25 Inch Cast Iron Skillet", brand="Lodge", short_name="Lodge Skillet",
                category="Home & Kitchen > Cookware", features=["pre-seasoned with vegetable oil", "made in the USA",
                                                                "use on the stovetop, in the oven or over a campfire"],
                attributes={"material": "Cast iron"}, price=29.95, audience="home cooks", channel="product_description")
SPINNER = Brief(product_name="OXO Good Grips Salad Spinner", brand="OXO", category="Kitchen > Prep",
                features=["one-handed pump mechanism", "brake button stops the basket", "non-slip base"],
                channel="push_notification")
FLAKES = Brief(product_name="Maldon Sea Salt Flakes, 250 g", brand="Maldon", category="Grocery > Salt",
               features=["pyramid-shaped salt flakes", "harvested in Maldon, Essex"], channel="push_notification")


@pytest.mark.parametrize(("feature", "kind"), [
    ("keeps drinks cold for 24 hours", "verb"), ("brake button stops the basket", "clause"),
    ("pre-seasoned with vegetable oil", "state"), ("water resistant", "state"), ("retractable", "state"),
    ("turn a dial to change the weight", "imperative"), ("three essential ceramides", "thing"),
    ("hinged cooking grate for adding charcoal", "thing"), ("larger loop handles for a secure grip", "thing"),
    ("assembly required", "spec"), ("no tools needed to assemble", "spec"),
    ("IP67 waterproof and dustproof", "state"), ("smooth and low in acidity", "state"),
    ("rich in antioxidants", "state"), ("medium roast", "thing"), ("reflective trim for dark mornings", "thing"),
    ("up to 24 hours of battery life", "thing"), ("is a 16th-century treatise on comets", "verb"),
])
def test_features_are_read_by_their_first_words(feature: str, kind: str) -> None:
    assert classify(feature) == kind


def test_facts_become_grammatical_sentences() -> None:
    assert with_article("non-slip base") == "a non-slip base"
    assert with_article("one-handed pump") == "a one-handed pump"
    assert with_article("unpredictable bounce") == "an unpredictable bounce"
    assert with_article("soft merino wool") == "soft merino wool"
    assert with_article("240 ruled pages") == "240 ruled pages"
    assert agree("keeps drinks cold", plural=True) == "keep drinks cold"
    facts = {f.text: f for f in brief_facts(SPINNER)}
    assert facts["brake button stops the basket"].sentence() == "The brake button stops the basket."
    assert facts["non-slip base"].sentence(also=True) == "It also has a non-slip base."
    assert facts["non-slip base"].sentence("They", plural=True) == "They have a non-slip base."


def test_every_structure_that_fits_passes_every_check_and_siblings_lead_with_their_own_fact() -> None:
    for brief in (SKILLET, SPINNER, FLAKES):
        shipped = [finish(text, brief, slot) for slot in range(3) for text in compose_texts(brief, slot)[:3]]
        assert shipped and all(not shipping_problems(text, brief) for text in shipped), \
            [(t, shipping_problems(t, brief)) for t in shipped if shipping_problems(t, brief)]
    leads = [compose_texts(SPINNER, slot)[0] for slot in range(3)]
    assert len(set(leads)) == 3
    assert "Flakes are" in " ".join(compose_texts(FLAKES, 1)), "a plural name takes a plural verb"


def test_names_fit_the_channel_and_specs_stay_out_of_running_text() -> None:
    assert fitting_name(SKILLET) == "Lodge 10.25 Inch Cast Iron Skillet"
    assert fitting_name(FLAKES) == "Maldon Sea Salt Flakes"
    search = SKILLET.model_copy(update={"channel": Channel.SEARCH_AD_HEADLINE})
    assert fitting_name(search) == "Lodge Skillet"


def test_the_name_travels_as_a_slot() -> None:
    text = "Meet the [product]. The [product] is pre-seasoned."
    filled = fill_slots(text, SKILLET, "Lodge 10.25 Inch Cast Iron Skillet", later="Lodge Skillet")
    assert filled == "Meet the Lodge 10.25 Inch Cast Iron Skillet. The Lodge Skillet is pre-seasoned."
    assert delexicalise(filled, SKILLET) == text
    ordinary = Brief(product_name="The Ordinary Niacinamide Serum", brand="The Ordinary")
    assert fill_slots("Meet the [Product Name]", ordinary, "The Ordinary Niacinamide Serum") == \
        "Meet The Ordinary Niacinamide Serum"


def test_the_shops_own_bullets_become_facts_but_not_its_jokes() -> None:
    brief = Brief(product_name="Teton Pullover Hoodie", reference_copy=(
        "This Teton Pullover Hoodie gives you more than laid-back style. Why wait? • Black pullover hoodie. "
        "• Soft, brushed interior. • Front hand pockets. • Machine wash/dry."))
    assert reference_facts(brief) == ["black pullover hoodie", "soft, brushed interior", "front hand pockets",
                                      "machine wash/dry"]


def test_composed_variants_fill_what_is_missing_unlike_siblings_and_memory(tmp_path: Path) -> None:
    memory = CopyMemory(tmp_path / "memory")
    brief = SPINNER
    found = composed_variants(brief, 4, [], memory, Settings(home=tmp_path), first_id=1)
    assert len(found) == 4 and len({v.text for v in found}) == 4
    for variant in found:
        assert variant.origin == "composer" and variant.trace[0].node == "compose"
        assert passes_sense(variant.text, brief) and find_cta(variant.text, brief.cta_goal)
    headline = Brief(product_name="Breville Bambino Plus Espresso Machine", brand="Breville",
                     features=["ready in 3 seconds"], channel="search_ad_headline")
    tight = composed_variants(headline, 4, [], memory, Settings(home=tmp_path), first_id=1)
    assert len(tight) == 4 and all(len(v.text) <= 30 and passes_sense(v.text, headline) for v in tight)
    assert not any(v.text.startswith("Breville Bambino ") for v in tight), "Bambino without Plus is another model"
    tool = Brief(product_name="Leatherman Wave+ Multi-Tool", brand="Leatherman", features=["18 tools"],
                 channel="search_ad_headline")
    named = composed_variants(tool, 4, [], memory, Settings(home=tmp_path), first_id=1)
    assert all("Wave+" in v.text for v in named), "the model's name before the brand alone"
    assert named[0].text.startswith("Leatherman Wave+ "), "the brand with the model first"
    # a learn-more goal has few short CTAs: every one is tried with every name before the brand stands alone
    learn = Brief(product_name="Garmin Forerunner 55 GPS Running Smartwatch", brand="Garmin", price=199.99,
                  features=["built-in GPS"], channel="search_ad_headline", cta_goal="learn_more")
    texts = [v.text for v in composed_variants(learn, 4, [], memory, Settings(home=tmp_path), first_id=1)]
    assert len(set(texts)) == 4 and texts[0] == "Forerunner 55 - Learn More", texts  # not "Garmin Smartwatch"
    lamp = Brief(product_name="Black Diamond Spot 400 Headlamp", brand="Black Diamond", price=49.95,
                 features=["400 lumens"], channel="search_ad_headline")
    lamps = [v.text for v in composed_variants(lamp, 4, [], memory, Settings(home=tmp_path), first_id=1)]
    assert all("Spot 400" in t for t in lamps), lamps  # readers cut "Black Diamond - Order Now" as naming no product


def test_training_targets_are_clean_bodies_with_the_name_as_the_slot() -> None:
    rows = composed_targets([SKILLET, SPINNER], per_brief=2, seed=0)
    assert len(rows) == 4
    for row in rows:
        brief = (SKILLET, SPINNER)[row["brief_index"]]
        target = row["completion"][0]["content"]
        assert PRODUCT_SLOT in target and find_cta(target, brief.cta_goal) is None
        assert row["prompt"][-1]["content"].startswith(f"Product: {PRODUCT_SLOT}")
        filled = finish(fill_slots(target, brief, fitting_name(brief)), brief, 0)
        assert not shipping_problems(filled, brief)
    assert clean_body("Mirai's TrailCreek skillet, free today!", SKILLET, 0) is None


def test_thin_briefs_still_ship_every_variant(tmp_path: Path) -> None:
    """A shop that sends a name, a price and a sentence of its own copy (the catalog's Bamboo Glass Jar), or a long
    unbranded name for a 30-character headline: the composer still fills every place, saying only what was sent."""
    memory = CopyMemory(tmp_path / "memory")
    jar = Brief(product_name="Bamboo Glass Jar", category="kitchen", price=5.49, channel="product_description",
                reference_copy="This bamboo glass jar can hold 57 oz (1.7 l) and is perfect for any kitchen.")
    found = composed_variants(jar, 4, [], memory, Settings(home=tmp_path), first_id=1)
    assert len({v.text for v in found}) == 4
    assert all("It can hold 57 oz (1.7 l)." in v.text and "perfect" not in v.text for v in found)
    assert len({v.text.split(".")[0] for v in found}) >= 2  # not one text with four calls to action
    comet = Brief(product_name="The Comet Book", category="books", price=0.99, channel="product_title",
                  reference_copy="A 16th-century treatise on comets, created anonymously in Flanders (now northern "
                                 "France) and now held at the Universitätsbibliothek Kassel.")
    titles = [v.text for v in composed_variants(comet, 4, [], memory, Settings(home=tmp_path), first_id=1)]
    assert "The Comet Book - 16th-Century Treatise on Comets" in titles and len(set(titles)) == 4, titles
    push = comet.model_copy(update={"channel": Channel.PUSH_NOTIFICATION})
    pushed = composed_variants(push, 4, [], memory, Settings(home=tmp_path), first_id=1)
    assert all("the The" not in v.text and not sense_findings(v.text, push) for v in pushed), pushed
    hoodie = Brief(product_name="Marco Lightweight Active Hoodie", category="Men > Tops > Hoodies", price=74,
                   channel="search_ad_headline", features=["fitted flatlock seams"])
    named = composed_variants(hoodie, 4, [], memory, Settings(home=tmp_path), first_id=1)
    assert len(named) == 4 and all(v.text.startswith("Marco Hoodie") and len(v.text) <= 30 for v in named)
