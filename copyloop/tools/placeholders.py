"""The product's name as a slot: the model writes "[product]", copyloop writes the name.

A 135M model copies coined names letter by letter and gets them wrong ("TrailCreek" for "TrailCool"), so it is
never asked to spell one: prompts, examples and fine-tuning targets carry the slot, and the drafter fills it with
the exact name that fits the channel.
"""

from __future__ import annotations

import re

from copyloop.brief import Brief
from copyloop.tools.grounding import phrase_regex
from copyloop.tools.sense.context import name_forms

PRODUCT_SLOT = "[product]"
BRAND_SLOT = "[brand]"
# What small models write when they mean the slot: [product], [Product Name], {product}, <product>, [name].
_SLOT = re.compile(r"[\[{<]\s*(?:the\s+)?(?:product(?:[\s_]+name)?|name|item)\s*[\]}>]", re.IGNORECASE)
_BRAND = re.compile(r"[\[{<]\s*brand(?:[\s_]+name)?\s*[\]}>]", re.IGNORECASE)


def fill_slots(text: str, brief: Brief, name: str, later: str | None = None) -> str:
    """The copy with the first product slot replaced by `name`, any later one by `later` (a shorter form), and
    every brand slot by the brand."""
    if re.match(r"the\s", name, re.IGNORECASE):  # "the [product]" for "The Ordinary ..." would read "the The"
        text = re.sub(rf"\bthe\s+(?={_SLOT.pattern})", "", text, flags=re.IGNORECASE)
    seen = 0

    def name_for(_: re.Match[str]) -> str:
        nonlocal seen
        seen += 1
        return name if seen == 1 or later is None else later

    text = _SLOT.sub(name_for, text)
    if brief.brand:
        text = _BRAND.sub(lambda m: brief.brand or "", text)
    return text


def delexicalise(text: str, brief: Brief) -> str:
    """The copy with the product's names (longest first) replaced by the slot: what fine-tuning targets carry."""
    for form in sorted(name_forms(brief), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){phrase_regex(form)}(?!\w)", PRODUCT_SLOT, text)
    return text


def described_as(brief: Brief) -> str:
    """What the product is, in plain words, without its brand: "insulated steel bottle"."""
    name = brief.product_name
    if brief.brand:
        name = re.sub(rf"(?<!\w){phrase_regex(brief.brand)}(?:['’]s)?(?!\w)", " ", name, flags=re.IGNORECASE)
    name = re.sub(r"\s+", " ", name).strip(" ,-–")
    return name or brief.category.split(">")[-1].strip().lower()
