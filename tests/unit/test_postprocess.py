"""Post-processing keeps the contract when a fine-tuned model writes its own CTA mid-copy."""

from __future__ import annotations

from copyloop.agents.postprocessor import final_checks
from copyloop.brief import Brief
from copyloop.result import Variant
from copyloop.tools.cta import find_cta
from copyloop.tools.finishing import finish, shipping_problems

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
