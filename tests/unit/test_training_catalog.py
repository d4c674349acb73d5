"""Training briefs from the shipped catalog: every product usable, split by product, every channel covered."""

from __future__ import annotations

from collections import Counter

from copyloop.brief import Channel
from copyloop.catalog import CATALOG_DIR, catalog_briefs, channel_of, record_to_brief, split_of


def test_catalog_ships_with_the_package_and_its_attribution() -> None:
    readme = (CATALOG_DIR / "README.md").read_text()
    assert "magento/magento2-sample-data" in readme and "Ovi/DummyJSON" in readme


def test_every_record_becomes_a_valid_brief() -> None:
    briefs, problems = catalog_briefs()
    assert problems == []
    assert len(briefs) == 531
    assert len({b.product_id for b in briefs}) == len(briefs)


def test_split_is_by_product_disjoint_stable_and_about_a_fifth() -> None:
    briefs, _ = catalog_briefs()
    train = {b.product_id for b in briefs if b.split == "train"}
    validation = {b.product_id for b in briefs if b.split == "validation"}
    assert not train & validation
    assert 0.15 <= len(validation) / len(briefs) <= 0.25
    assert all(split_of(pid) == "validation" for pid in validation)


def test_both_splits_cover_every_channel() -> None:
    briefs, _ = catalog_briefs()
    for split in ("train", "validation"):
        channels = Counter(b.brief.channel for b in briefs if b.split == split)
        assert set(channels) == set(Channel), (split, channels)


def test_machine_written_descriptions_are_never_references() -> None:
    briefs, _ = catalog_briefs()
    dummy = [b for b in briefs if b.product_id.startswith("dummyjson:")]
    human = [b for b in briefs if not b.product_id.startswith("dummyjson:")]
    assert dummy and all(b.brief.reference_copy is None for b in dummy)
    assert sum(b.brief.reference_copy is not None for b in human) > 250


def test_record_mapping_keeps_facts_and_drops_bookkeeping() -> None:
    record = {"id": "dummyjson:4", "name": "Red Lipstick", "category": "beauty-and-care",
              "attributes": {"brand": "Chic Cosmetics", "sku": "BEA-CHI-LIP-004", "tags": "beauty", "finish": "matte",
                             "shades": ["red", "rose"]},
              "price": 12.99, "currency": None, "description": "Bold.", "description_provenance": "uncertain"}
    brief = record_to_brief(record)
    assert brief.category == "Beauty And Care" and brief.brand == "Chic Cosmetics" and brief.sku == "BEA-CHI-LIP-004"
    assert brief.attributes == {"finish": "matte", "shades": "red, rose"}
    assert str(brief.price) == "12.99" and brief.currency == "USD"
    assert brief.channel is channel_of("dummyjson:4") and brief.reference_copy is None


def test_a_broken_record_is_reported_not_fatal() -> None:
    briefs, problems = catalog_briefs([{"id": "x:1", "name": "", "category": "Home"},
                                       {"id": "x:2", "name": "Lamp", "category": "Home", "price": -5}])
    assert briefs == [] and len(problems) == 2
    assert problems[0].startswith("x:1: invalid brief") and "price" in problems[1]
