"""What the sense checks need to know about a brief, worked out once per brief: its words, its names, its products.

A variant is judged against everything the brief says (facts, required words, the shop's own copy), so anything
the brief names may be named in copy, and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from copyloop.brief import Brief
from copyloop.tools.channels import channel_spec
from copyloop.tools.cta import cta_room
from copyloop.tools.grounding import content_tokens
from copyloop.tools.rulebook import rule_cache
from copyloop.tools.sense.lexicons import product_types
from copyloop.tools.words import bare, is_camel_case, words, zipf

SHORT_NAME_MAX = 30  # a derived short name longer than this saves no room
GENERIC_NOUN_ZIPF = 4.6  # "Breville Machine", "Casio Watch", "IKEA Unit" name no product: too common a last word


@dataclass(frozen=True)
class BriefContext:
    """The brief as the sense checks see it."""

    brief: Brief
    fact_text: str
    words: frozenset[str]  # every word the brief uses, lower-case, possessives folded
    content: frozenset[str]  # stemmed content words (what grounds a sentence)
    names: tuple[str, ...]  # exact forms the product may be called by, full name first
    required_names: tuple[str, ...]  # the forms of which one must appear on this channel (empty: none fits)
    product_groups: frozenset[int]  # product-type synonym groups the brief names


def derived_short_names(brief: Brief) -> list[str]:
    """The brand plus the product type the name ends on, and plus its last word: "Fiskars Steel Bypass Pruning
    Shears" -> "Fiskars Pruning Shears", "Fiskars Shears" (not "Breville Machine": too common a word to name a
    product). Only for names that open with their brand; a name that opens with a coined word lends it when the
    brief has no brand or the brand opens with it too ("Marco Lightweight Active Hoodie" -> "Marco Hoodie"; brand
    "Pulse Audio", "Pulse Wireless Earbuds" -> "Pulse Earbuds")."""
    base = base_name(brief) or brief.product_name
    lead = brief.brand if brief.brand and base.lower().startswith(brief.brand.lower() + " ") else None
    first = base.split()[0]
    coined = first[:1].isupper() and first.isalpha() and first.lower() not in _NOT_MODEL and zipf(first) < 4.2
    lends = not brief.brand or brief.brand.split()[0].lower() == first.lower()  # brand "Pulse Audio": "Pulse ..."
    if lead is None and lends and len(base.split()) >= 3 and coined:
        lead = first
    if lead is None:
        return []
    typed = [m.group(0) for m in product_types().scan.finditer(base) if m.end() == len(base.rstrip())]
    last = base.split()[-1]
    named = last.isalpha() and 2.5 <= zipf(last) < GENERIC_NOUN_ZIPF and last.lower() not in _PACKAGING
    nouns = [*typed, *([last] if named else [])]
    found = [f"{lead} {noun}" for noun in nouns if lead.lower() not in noun.lower()]
    return [f for f in dict.fromkeys(found) if f.lower() != brief.product_name.lower() and len(f) <= SHORT_NAME_MAX]


def base_name(brief: Brief) -> str | None:
    """The name without the specs a shop appends after a comma or in brackets: "Dutch Oven, 5.5 Qt" -> "Dutch Oven"."""
    base = re.split(r",\s|\s\(", brief.product_name, maxsplit=1)[0].strip()
    return base if base != brief.product_name and len(base.split()) >= 2 else None


# Words that say how a product is sold, not what it is: "DEWALT Kit" names no product a reader knows
_PACKAGING = frozenset({"kit", "set", "pack", "bundle", "combo", "pair", "box", "case", "collection", "edition",
                        "refill", "starter", "value", "variety", "assortment", "sampler"})
_MODEL_SUFFIXES = frozenset({"plus", "pro", "max", "mini", "air", "ultra", "lite", "xl", "se", "go", "neo"})
_SIZE_UNITS = frozenset({"oz", "fl", "ml", "l", "g", "kg", "lb", "in", "inch", "cm", "mm", "qt", "pack"})
_NOT_MODEL = frozenset({"men's", "women's", "kids'", "kid's", "unisex", "the", "new", "original", "classic"})


def model_name(brief: Brief) -> str | None:
    """The brand and the model word after it, for the tightest channels: "Breville Bambino", "Garmin Forerunner"
    (a coined, capitalised or rare word: not "Insulated", "Men's" or "Classic")."""
    if not brief.brand:
        return None
    base = base_name(brief) or brief.product_name
    if not base.lower().startswith(brief.brand.lower() + " "):
        return None
    model, *rest = base[len(brief.brand) + 1:].split(" ")
    sized = len(rest) > 1 and rest[1].lower().strip(",.") in _SIZE_UNITS  # "Rambler 20 oz": 20 is a size
    numbered = bool(rest) and rest[0][:1].isdigit() and not sized  # "Spot 400", "Flip 6": a word and its number
    looks_like_model = is_camel_case(model) or model.isupper() or not model.isalpha() or zipf(model) < 3.0 \
        or numbered
    if not model or model[0].isdigit() or model.lower() in _NOT_MODEL or model.endswith("ing") or not looks_like_model:
        return None
    if not rest and product_types().scan.search(model):  # "Sophie la girafe Teether": the type, not a model
        return None
    facts = " ".join([*brief.features, *brief.attributes.values()])
    if re.search(rf"(?<!\w){re.escape(model.lower())}(?!\w)", facts):  # "made with beeswax": a material, not a model
        return None
    if rest and (rest[0].lower() in _MODEL_SUFFIXES or (rest[0][:1].isdigit() and not sized)):
        model = f"{model} {rest[0]}"  # "Bambino Plus", "Forerunner 55": without it, the name is another model
    return f"{brief.brand} {model}"


def model_only_names(brief: Brief) -> list[str]:
    """The model without its brand, with the product's type and alone: "Spot 400 Headlamp", "Bambino Plus" — what a
    30-character headline can still hold when the brand with its model cannot (the brand alone names no product)."""
    named = model_name(brief)
    if named is None:
        return []
    model = named[len(brief.brand or "") + 1:]
    base = base_name(brief) or brief.product_name
    typed = [m.group(0) for m in product_types().scan.finditer(base) if m.end() == len(base.rstrip())]
    return [f"{model} {t}" for t in typed if t.lower() not in model.lower()] + [model]


def name_forms(brief: Brief) -> tuple[str, ...]:
    """Every exact form the product may be called, longest first: its name, the name without appended specs, its
    short name (declared), the brand with the product's type, the brand with its model word, and the model."""
    forms = [brief.product_name, base_name(brief), brief.short_name, *derived_short_names(brief), model_name(brief),
             *model_only_names(brief)]
    return tuple(sorted(dict.fromkeys(f for f in forms if f), key=len, reverse=True))


def name_spans(text: str, names: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where the product's exact names sit: a name may say a fact or hold a frame's words ("… with MagSlider Lid",
    "Atomic Habits by James Clear")."""
    return [m.span() for name in names for m in re.finditer(re.escape(name), text)]


def names_in(text: str, names: tuple[str, ...]) -> list[str]:
    """The name forms the text calls the product by, each occurrence taken by the longest form that covers it: "the
    Maldon Sea Salt Flakes" calls it by that plural name, not by the singular "Maldon Sea Salt" inside it."""
    found = []
    for name in sorted(names, key=len, reverse=True):
        pattern = rf"(?<!\w){re.escape(name)}(?!\w)"
        if re.search(pattern, text):
            found.append(name)
            text = re.sub(pattern, " ", text)
    return found


def required_names(brief: Brief) -> tuple[str, ...]:
    """The forms a variant must use one of: the full name (or its base) where the channel wants it and it fits,
    else any form that fits."""
    spec = channel_spec(brief.channel)
    room = spec.max_chars - cta_room(brief)
    forms = name_forms(brief)
    full = tuple(f for f in (brief.product_name, base_name(brief)) if f and len(f) <= room)
    if spec.name == "full" and full:
        return full
    fitting = tuple(f for f in forms if len(f) <= room)
    brand_will_do = spec.name == "brand" or not fitting  # nothing else fits beside a call to action
    if brand_will_do and brief.brand and len(brief.brand) <= room and brief.brand not in fitting:
        fitting += (brief.brand,)
    return fitting


@rule_cache(maxsize=512)
def _context(brief_json: str) -> BriefContext:
    brief = Brief.model_validate_json(brief_json)
    facts = "\n".join([brief.fact_text(), brief.short_name or "", *name_forms(brief)])
    return BriefContext(
        brief=brief, fact_text=facts, words=frozenset(bare(w) for w in words(facts)),
        content=frozenset(content_tokens(facts)), names=name_forms(brief), required_names=required_names(brief),
        product_groups=frozenset(product_types().groups_in(facts)))


def brief_context(brief: Brief) -> BriefContext:
    """The brief's context, cached by its content on the active rulebook (it reads the channel rules and lexicons)."""
    return _context(brief.model_dump_json())
