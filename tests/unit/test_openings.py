"""Siblings do not open alike or repeat a stock closing, and varying them never makes a variant fail its checks."""

from __future__ import annotations

from copyloop.brief import Brief
from copyloop.tools.openings import varied_opening

POLO = Brief(product_name="Polo Shirt", brand="Acme", category="Clothing > Shirts", attributes={"material": "cotton",
             "size": "S, M, L"}, price=5, channel="product_description")


def always(_: str) -> bool:
    return True


def test_the_first_of_its_kind_and_other_openings_stay_as_written() -> None:
    first = "Say hello to the Polo Shirt. It is made of cotton. Buy now."
    assert varied_opening(first, [], POLO, always) == first
    own = "The Polo Shirt is made of cotton. Buy now."
    assert varied_opening(own, [first], POLO, always) == own
    # "Meet the Polo Shirts" is not an opening of this product's name followed by the end of a phrase
    other = "Meet the Polo Shirtmaker. Buy now."
    assert varied_opening(other, ["Meet the Polo Shirt. Buy now."], POLO, always) == other


def test_a_stock_closing_is_kept_by_the_first_sibling_only_the_next_says_a_fact_instead() -> None:
    earlier = ["Meet the Polo Shirt. It is made of cotton. You'll love it. Buy now."]
    text = "The Polo Shirt comes in S, M, L. You'll love the Polo Shirt. Shop now."
    instead = "The Polo Shirt comes in S, M, L. It is made of cotton. Shop now."
    assert varied_opening(text, earlier, POLO, always) == instead
    assert varied_opening(text, [], POLO, always) == text
    said_all = "The Polo Shirt is made of cotton in S, M, L. You'll love it. Shop now."
    assert varied_opening(said_all, earlier, POLO, always) == "The Polo Shirt is made of cotton in S, M, L. Shop now."


def test_a_sentence_frame_an_earlier_sibling_used_takes_one_no_sibling_uses() -> None:
    earlier = ["Meet the Polo Shirt. It also comes in S, M, L. A great pick for golfers. Buy now.",
               "Here's the Polo Shirt. Plus, it is made of cotton. Shop now."]
    text = "The Polo Shirt is made of cotton. It also comes in S, M, L. A great pick for golfers. Shop now."
    assert varied_opening(text, earlier, POLO, always) == ("The Polo Shirt is made of cotton. On top of that, it "
                                                           "comes in S, M, L. Just right for golfers. Shop now.")
    assert varied_opening(text, [], POLO, always) == text  # the first sibling keeps its frames
    # a change the caller's check refuses is not made
    assert varied_opening(text, earlier, POLO, lambda changed: "Just right" not in changed) == (
        "The Polo Shirt is made of cotton. On top of that, it comes in S, M, L. Made with golfers in mind. Shop now.")


def test_an_opening_taken_for_a_british_brief_is_spelt_the_british_way() -> None:
    shirt = POLO.model_copy(update={"currency": "GBP"})
    earlier = [f"{opening} Polo Shirt. Shop now." for opening in ("Say hello to the", "Meet the", "Discover the")]
    varied = varied_opening("Say hello to the Polo Shirt. Buy now.", earlier, shirt, lambda text: "favour" in text)
    assert varied == "Your new favourite: the Polo Shirt. Buy now."
