"""Varied openings chosen by the real click model (MiniLM), and composed siblings that all ship."""

from __future__ import annotations

from copyloop.agents.composer import composed_variants
from copyloop.brief import Brief
from copyloop.config import Settings
from copyloop.memory import CopyMemory
from copyloop.tools.click_model import shipped_click_model
from copyloop.tools.finishing import finish, shipping_problems
from copyloop.tools.openings import opening_of, varied_opening
from tests.unit.test_openings import POLO, always

BREW = Brief(product_name="Sunrise Cold Brew Coffee Concentrate", brand="Sunrise Roasters",
             category="Groceries > Coffee", features=["1 litre bottle makes 8 cups", "smooth and low in acidity"],
             audience="busy coffee lovers", channel="product_description")


def test_a_later_sibling_takes_an_opening_no_sibling_uses() -> None:
    earlier = ["Say hello to the Polo Shirt. It is made of cotton. Buy now.",
               "Meet the Polo Shirt. Size: S, M, L. Shop now."]
    text = "Say hello to the Polo Shirt, yours for $5. Order now."
    varied = varied_opening(text, earlier, POLO, always)
    assert varied.endswith(" the Polo Shirt, yours for $5. Order now.")
    assert opening_of(varied, POLO)[0] not in {opening_of(t, POLO)[0] for t in earlier}
    clicks = shipped_click_model().scores([varied, "Discover the Polo Shirt, yours for $5. Order now.",
                                           "Enjoy the Polo Shirt, yours for $5. Order now."])
    assert clicks[0] >= clicks[1:].max(), "of the unused openings, the one the click model rates best"


def test_a_change_the_check_refuses_is_not_made() -> None:
    earlier = ["Meet the Polo Shirt. You'll love it. Buy now."]
    text = "Meet the Polo Shirt. You'll love it. Shop now."
    assert varied_opening(text, earlier, POLO, lambda changed: False) == text


def test_composed_siblings_of_a_thin_brief_open_differently_and_all_ship(tmp_path) -> None:
    settings = Settings(home=tmp_path)
    chosen = composed_variants(POLO, 4, [], CopyMemory(tmp_path / "memory"), settings, first_id=1)
    texts = [v.text for v in chosen]
    assert len(texts) == 4
    openings = [opening_of(t, POLO) for t in texts]
    named = [o[0] for o in openings if o]
    assert len(named) == len(set(named)), texts
    assert all(not shipping_problems(t, POLO) for t in texts)
    richer = composed_variants(BREW, 4, [], CopyMemory(tmp_path / "memory2"), settings, first_id=1)
    assert all(not shipping_problems(v.text, BREW) for v in richer)


def test_a_books_title_takes_no_article_in_any_opening() -> None:
    book = Brief(product_name="Atomic Habits by James Clear (Hardcover)", short_name="Atomic Habits", brand="Avery",
                 category="Books > Self-Help", features=["written by James Clear", "hardcover edition"],
                 audience="readers", channel="social_post")
    finished = finish("Say hello to the Atomic Habits by James Clear. It is written by James Clear.", book, 0)
    assert finished.startswith("Say hello to Atomic Habits by James Clear. "), finished
    varied = varied_opening(finished, ["Say hello to Atomic Habits by James Clear. Shop now."], book, always)
    assert " the Atomic" not in varied and varied.endswith("It is written by James Clear. " + finished.split(". ")[-1])
    assert opening_of(varied, book)[0] != "Say hello to the {name}"
    assert finish("Meet the Polo Shirt. It is made of cotton.", POLO, 0).startswith("Meet the Polo Shirt."), \
        "other products keep their article"
    notebook = Brief(product_name="Moleskine Classic Notebook", brand="Moleskine", features=["240 ruled pages"],
                     category="Office & Stationery > Notebooks & Journals", channel="social_post")
    assert finish("Meet the Moleskine Classic Notebook. It has 240 ruled pages.", notebook, 0).startswith(
        "Meet the Moleskine Classic Notebook."), "a notebook is no titled work"
