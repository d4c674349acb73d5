"""Post-processing keeps the contract when a fine-tuned model writes its own CTA mid-copy."""

from __future__ import annotations

from copyloop.agents.postprocessor import final_checks
from copyloop.brief import Brief
from copyloop.result import Variant
from copyloop.tools.cta import find_cta
from copyloop.tools.finishing import finish, repeats_siblings, shipping_problems, without_restatements

BRIEF = Brief(product_name="TrailCool Insulated Steel Bottle", channel="email_subject", cta_goal="buy")


def test_a_mid_copy_cta_cut_by_the_length_limit_is_replaced_by_one_that_fits() -> None:
    text = "Welcome to the trailcache: a choice between two of TrailCool's finest items today... Buy now - order now"
    done = finish(text, BRIEF, 0)
    assert len(done) <= 60 and find_cta(done, BRIEF.cta_goal) is not None, done


def test_copy_without_a_cta_is_blocked_not_shipped() -> None:
    variant = Variant(id=1, text="Cold water on every trail, all day long", angle="feature")
    final_checks(variant, BRIEF)
    assert variant.status == "blocked" and "call to action" in (variant.blocked_reason or "")


def test_a_description_too_short_is_lengthened_with_facts_it_does_not_say_yet() -> None:
    brief = Brief(product_name="Sunrise Cold Brew Coffee Concentrate", brand="Sunrise Roasters",
                  category="Groceries > Coffee", audience="busy coffee lovers", channel="product_description",
                  features=["1 litre bottle makes 8 cups", "single-origin Colombian beans",
                            "smooth and low in acidity"])
    short = "Enjoy the Sunrise Cold Brew Coffee Concentrate. It is made for busy coffee lovers."
    finished = finish(short, brief, 0)
    assert finished.startswith(short + " The 1 litre bottle makes 8 cups.")
    assert len(finished) >= 120 > len(short)
    assert not shipping_problems(finished, brief)
    said = "Meet the Sunrise Cold Brew Coffee Concentrate. The 1 litre bottle makes 8 cups."
    assert finish(said, brief, 0).count("8 cups") == 1, "a fact already said is not added again"


def test_a_fact_said_twice_in_two_forms_is_said_once_in_the_fuller_form() -> None:
    sophie = Brief(product_name="Sophie la girafe Teether", attributes={"material": "natural rubber"},
                   features=["100% natural rubber from the Hevea tree", "painted with food-grade paint"],
                   channel="product_description")
    fuller = "It is made from 100% natural rubber from the Hevea tree."
    # the shorter form first: the fuller one takes its place, without an "also" that follows nothing now
    text = ("Meet the Sophie la girafe Teether. It is made of natural rubber. It is also painted with food-grade "
            "paint. Plus, it is made from 100% natural rubber from the Hevea tree. Shop now.")
    assert without_restatements(text, sophie) == (f"Meet the Sophie la girafe Teether. {fuller} It is also painted "
                                                  "with food-grade paint. Shop now.")
    later = f"Meet the Sophie la girafe Teether. {fuller} It is also made of natural rubber. Shop now."
    assert without_restatements(later, sophie) == f"Meet the Sophie la girafe Teether. {fuller} Shop now."
    # a sentence with words of its own stays, and so do stock lines and the call to action
    own = f"Meet the Sophie la girafe Teether. It is made of natural rubber for little hands. {fuller} You'll love " \
          "it. Shop now."
    assert without_restatements(own, sophie) == own
    assert "natural rubber." not in finish(text, sophie, 0)


def test_a_text_repeats_its_siblings_with_nothing_new_or_two_facts_one_sibling_says() -> None:
    a, b, c, d, e = "a", "b", "c", "d", "e"
    assert repeats_siblings(frozenset({a}), [frozenset({a, b})])
    assert repeats_siblings(frozenset({a, b, c}), [frozenset({a, b, d})])
    assert repeats_siblings(frozenset({a, c}), [frozenset({a, b}), frozenset({c, d})])  # a remix of two siblings
    assert not repeats_siblings(frozenset({a, c, e}), [frozenset({a, b}), frozenset({c, d})])
    assert not repeats_siblings(frozenset(), [frozenset({a})])  # says no fact of the brief: repeats nothing
    assert not repeats_siblings(frozenset({a, b}), [])


def test_a_british_brief_reads_in_british_spelling_except_where_the_brief_spells_it_otherwise() -> None:
    jacket = Brief(product_name="Barbour Beadnell Jacket", price=259, currency="GBP", features=["waxed cotton outer"],
                   channel="product_description")
    text = "Your new favorite: the Barbour Beadnell Jacket. It has a waxed cotton outer. Shop now."
    assert finish(text, jacket, 0).startswith("Your new favourite: the Barbour Beadnell Jacket.")
    assert finish(text, jacket.model_copy(update={"currency": "USD"}), 0).startswith("Your new favorite:")
    assert finish(text, jacket.model_copy(update={"currency": "USD", "locale": "en-GB"}), 0).startswith(
        "Your new favourite:")
    us_named = jacket.model_copy(update={"product_name": "Barbour Favorite Jacket"})
    assert "Favorite Jacket" in finish("Meet the Barbour Favorite Jacket, a color to love. Shop now.", us_named, 0)
    assert "a colour to love" in finish("Meet the Barbour Favorite Jacket, a color to love. Shop now.", us_named, 0)


def test_a_warm_sentence_added_to_copy_that_named_the_product_calls_it_it() -> None:
    game = Brief(product_name="CATAN Board Game", price=55, features=["for 3 to 4 players"],
                 channel="push_notification")
    finished = finish("The CATAN Board Game is here, yours for $55.", game, 2)
    assert finished.count("CATAN") == 1 and "You'll love it." in finished, finished
