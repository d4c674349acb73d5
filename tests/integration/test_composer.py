"""The composer end to end: thin briefs still ship every variant, composed copy fills what is missing and stays unlike
its siblings and memory (real Chroma memory and MiniLM)."""

from __future__ import annotations

from pathlib import Path

from copyloop.agents.composer import composed_variants
from copyloop.brief import Brief, Channel
from copyloop.config import Settings
from copyloop.memory import CopyMemory
from copyloop.tools.cta import find_cta
from copyloop.tools.sense.checks import passes_sense, sense_findings
from tests.unit.test_composer import SPINNER


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
    plimsolls = Brief(product_name="White Plimsolls", category="Apparel > Sneakers", price=80, brand="Saleor Loom",
                      attributes={"Shoe size": "39, 40, 41, 42, 43, 44, 45"}, channel="push_notification")
    shoes = composed_variants(plimsolls, 2, [], memory, Settings(home=tmp_path), first_id=3)  # the model wrote two
    assert len(shoes) == 2 and all(passes_sense(v.text, plimsolls) for v in shoes), shoes  # plural: "them", "are"
    hoodie = Brief(product_name="Marco Lightweight Active Hoodie", category="Men > Tops > Hoodies", price=74,
                   channel="search_ad_headline", features=["fitted flatlock seams"])
    named = composed_variants(hoodie, 4, [], memory, Settings(home=tmp_path), first_id=1)
    assert len(named) == 4 and all("Marco Hoodie" in v.text and len(v.text) <= 30 for v in named), named


def test_a_composed_sibling_says_a_fact_and_not_two_its_elder_says(tmp_path: Path) -> None:
    """Round 14's readers judged sets whose texts share a pair of facts as alike ("1 and 4 repeat each other: two-
    speed transmission + 1/2 in. chuck"): the composer looks for new facts first, and its frames vary."""
    from itertools import combinations

    from copyloop.tools.finishing import facts_said

    drill = Brief(product_name="DEWALT 20V MAX Cordless Drill/Driver Kit", short_name="DEWALT 20V Drill",
                  brand="DEWALT", category="Tools > Drills", price=99, audience="DIYers",
                  features=["two-speed transmission", "1/2 in. ratcheting keyless chuck", "compact, lightweight design",
                            "LED work light", "two batteries, a charger and a bag"], channel="product_description")
    found = composed_variants(drill, 4, [], CopyMemory(tmp_path / "memory"), Settings(home=tmp_path), first_id=1)
    said = [facts_said(v.body, drill) for v in found]
    assert all(said), [v.text for v in found]
    assert len(said[0] & said[1]) <= 1, [v.text for v in found]
    shared = [len(a & b) for a, b in combinations(said, 2)]
    assert sum(n >= 2 for n in shared) <= 3, [v.text for v in found]  # of six pairs (five facts, three a text)
    assert sum(" also " in v.text for v in found) <= 2, "siblings do not all say 'It also ...'"
    assert "an LED work light" in " ".join(v.text for v in found)
