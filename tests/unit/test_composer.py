"""The composer builds plain, correct copy from a brief's facts; the name travels as a slot; targets are clean."""

from __future__ import annotations

import re

import pytest

from copyloop.brief import Brief, Channel
from copyloop.tools.composer import compose_texts, fitting_name, render
from copyloop.tools.cta import find_cta
from copyloop.tools.facts import agree, brief_facts, classify, reference_facts, with_article
from copyloop.tools.finishing import finish, shipping_problems
from copyloop.tools.placeholders import PRODUCT_SLOT, delexicalise, fill_slots
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
    assert with_article("LED work light") == "an LED work light"
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


def test_a_long_name_still_gives_search_headlines_that_say_something() -> None:
    """A name and a trailing CTA fill 30 characters with "Carhartt Pant - Buy Now" four times over; headlines that
    open with the CTA's verb have room for the brand with its category or its type (readers cut the bare ones)."""
    pant = Brief(product_name="Carhartt Men's Loose Fit Firm Duck Double-Front Utility Work Pant", brand="Carhartt",
                 short_name="Carhartt Double-Front Pant", category="Clothing > Men > Work Pants",
                 features=["firm cotton duck fabric"], price=69.99, channel="search_ad_headline", cta_goal="buy")
    shipped = {finish(text, pant, slot) for slot in range(4) for text in compose_texts(pant, slot)}
    assert {"Shop Carhartt Work Pants", "Shop the Carhartt Work Pant"} <= shipped
    assert not any("Carhartt Pant" in text for text in shipped), shipped  # round 18: both readers cut it, and
    shears = Brief(product_name="Fiskars Steel Bypass Pruning Shears", brand="Fiskars", category="Garden > Pruners",
                   short_name="Fiskars Pruning Shears", features=["steel blade"], channel="search_ad_headline")
    assert "Fiskars Shears - Shop Now" in {finish(t, shears, 0) for t in compose_texts(shears, 0)}  # where the
    # whole type ("Fiskars Pruning Shears - Shop Now") runs past 30 characters the shorter name stays
    assert all(not shipping_problems(text, pant) and find_cta(text, pant.cta_goal) for text in shipped), shipped
    learn = pant.model_copy(update={"cta_goal": "learn_more"})  # a goal without a leading verb keeps its CTA last
    assert not any(text.startswith("Shop") for slot in range(4) for text in compose_texts(learn, slot))


def test_a_title_adds_its_category_only_where_the_name_does_not_say_it() -> None:
    sandal = Brief(product_name="Birkenstock Arizona Soft Footbed Suede Leather Sandal", brand="Birkenstock",
                   category="Shoes > Sandals", features=["EVA sole"], channel="product_title")
    assert len(compose_texts(sandal, 0)) >= 4 and not any(t.endswith("Sandals") for t in compose_texts(sandal, 0))
    titles = compose_texts(sandal, 0, brand_alone=True)  # the composer's last resort
    redundant = [i for i, text in enumerate(titles) if text.endswith("Sandals")]
    assert redundant and min(redundant) == len(titles) - len(redundant), titles
    search = sandal.model_copy(update={"channel": Channel.SEARCH_AD_HEADLINE})  # no name beside it: it names the kind
    assert "Shop Birkenstock Sandals" in {text for slot in range(4) for text in compose_texts(search, slot)}


def test_an_edition_is_what_a_book_is_and_an_activity_takes_no_article() -> None:
    book = Brief(product_name="Atomic Habits by James Clear (Hardcover)", category="Books > Self-Help",
                 features=["hardcover edition"], channel="social_post")
    speaker = Brief(product_name="JBL Flip 6 Portable Bluetooth Speaker", brand="JBL", category="Electronics",
                    features=["PartyBoost pairing with compatible JBL speakers"], channel="social_post")
    assert brief_facts(book)[0].sentence() == "It is a hardcover edition."
    assert brief_facts(speaker)[0].sentence() == "It has PartyBoost pairing with compatible JBL speakers."


def test_a_pack_comes_in_its_counted_containers_and_has_its_other_things() -> None:
    balm = Brief(product_name="Burt's Bees Beeswax Lip Balm, 4 Pack", category="Beauty > Lip Care",
                 features=["four 0.15 oz tubes", "12 K-Cup pods", "a travel pouch", "two speed settings",
                           "two batteries, a charger and a bag"])
    said = [f.sentence(also=True) for f in brief_facts(balm)]
    assert said == ["It also comes in four 0.15 oz tubes.", "It also comes in 12 K-Cup pods.",
                    "It also has a travel pouch.", "It also has two speed settings.",
                    "It also has two batteries, a charger and a bag."]  # a kit's contents, not its packaging


def test_a_fact_said_of_the_product_after_its_name_calls_it_by_the_short_name() -> None:
    grill = Brief(product_name="Weber Original Kettle Premium Charcoal Grill, 22 Inch", short_name="Weber Kettle Grill",
                  features=["One-Touch cleaning system", "hinged cooking grate", "built-in lid thermometer"],
                  channel="product_description")
    text = render("You'll love the {name}. {f1.sentence} {f2.also} {f3.named}", grill, brief_facts(grill))
    assert text == ("You'll love the Weber Original Kettle Premium Charcoal Grill. It has a One-Touch cleaning system. "
                    "It also has a hinged cooking grate. The Weber Kettle Grill has a built-in lid thermometer.")
    first = render("{f1.named} {f2.also}", grill, brief_facts(grill))  # the first time, the name that fits
    assert first.startswith("The Weber Original Kettle Premium Charcoal Grill has a One-Touch"), first


def test_a_plural_product_is_what_a_feature_ending_in_its_name_describes() -> None:
    flakes = Brief(product_name="Maldon Sea Salt Flakes, 250 g", category="Grocery > Salt",
                   features=["pyramid-shaped salt flakes", "compostable salt pouch refills"],
                   attributes={"weight": "250 g"})
    said = [f.sentence("They", plural=True) for f in brief_facts(flakes)]
    assert said == ["They are pyramid-shaped.", "They have compostable salt pouch refills.", "They weigh 250 g."]


def test_structures_call_a_plural_product_they_and_them() -> None:
    plimsolls = Brief(product_name="White Plimsolls", category="Apparel > Sneakers", price=80, audience="walkers",
                      features=["canvas upper", "rubber sole"], channel="product_description")
    texts = [finish(t, plimsolls, slot) for slot in range(4) for t in compose_texts(plimsolls, slot)]
    assert any("They are yours for $80." in t for t in texts) and any("You'll love them." in t for t in texts)
    assert not any(re.search(r"\b(?:It is|it is|love it)\b", t) for t in texts), texts


def test_a_sentence_opens_with_a_thing_only_when_it_is_short_and_simple() -> None:
    template = "With {f1.short_thing_a}, the {short} {is} a great pick for {audience}."

    def opening(feature: str) -> str | None:
        bag = Brief(product_name="Osprey Farpoint 40", features=[feature], audience="travellers",
                    channel="push_notification")
        return render(template, bag, brief_facts(bag))
    expected = "With lockable zippers, the Osprey Farpoint 40 is a great pick for travellers."
    assert opening("lockable zippers") == expected
    for feature in ("stowaway harness and hipbelt", "steam wand with adjustable milk temperature",
                    "Fair Trade Certified sewn", "100% recycled polyester fleece"):
        assert opening(feature) is None, feature


def test_a_closing_that_names_the_product_again_says_it() -> None:
    balm = Brief(product_name="Burt's Bees Beeswax Lip Balm", short_name="Burt's Bees Lip Balm",
                 brand="Burt's Bees", category="Beauty > Lip Care", features=["beeswax"], price=3.99,
                 channel="push_notification")
    shipped = finish("Meet the Burt's Bees Beeswax Lip Balm, yours for $3.99. You'll love the Burt's Bees Balm. "
                     "Buy now.", balm, 0)
    assert "You'll love it." in shipped and "Bees Balm" not in shipped and not shipping_problems(shipped, balm)
    teether = Brief(product_name="Sophie la girafe Teether", brand="Sophie la girafe", category="Baby > Teethers",
                    features=["natural rubber"], channel="product_description")
    opening = "You'll love the Sophie la girafe Teether. It is made of natural rubber."
    assert finish(opening, teether, 0).startswith(opening)  # the first naming stays a name


def test_who_it_is_for_follows_the_features_it_interrupted() -> None:
    grill = Brief(product_name="Weber Original Kettle Premium Charcoal Grill", brand="Weber", category="Grills",
                  features=["built-in lid thermometer", "One-Touch cleaning system"], audience="backyard grillers",
                  channel="product_description")
    draft = "Meet the Weber Original Kettle Premium Charcoal Grill. It has a built-in lid thermometer. A great pick " \
            "for backyard grillers. It also has a One-Touch cleaning system. Order yours today."
    shipped = finish(draft, grill, 0)
    assert shipped == ("Meet the Weber Original Kettle Premium Charcoal Grill. It has a built-in lid thermometer. It "
                       "also has a One-Touch cleaning system. A great pick for backyard grillers. Order yours today.")
    pack = Brief(product_name="Osprey Farpoint 40 Travel Backpack", brand="Osprey", category="Travel",
                 features=["lockable main compartment zippers", "40 litre capacity"], channel="product_description")
    assert finish("Meet the Osprey Farpoint 40 Travel Backpack. It has lockable main compartment zippers. You'll love "
                  "it. It has a 40 litre capacity. Buy now.", pack, 4).startswith(
        "Meet the Osprey Farpoint 40 Travel Backpack. It has lockable main compartment zippers. It has a 40 litre "
        "capacity. You'll love it.")  # a closing line closes
    leading = "Meet the Weber Original Kettle Premium Charcoal Grill. A great pick for backyard grillers. It has a " \
              "built-in lid thermometer. Order yours today."
    assert finish(leading, grill, 0) == leading  # an audience line that opens the features stays where it is


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
