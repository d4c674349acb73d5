"""The chat's word lists (rules/chat_lexicon.yaml, user-extensible), compiled once into lookup tables and patterns."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from copyloop.brief import (
    SENTIMENT_BANDS,
    Channel,
    CtaGoal,
)
from copyloop.errors import CopyloopError
from copyloop.tools.rulebook import load_rules, rule_cache

# ---------------------------------------------------------------------------------------------------------------
# Lexicon


@dataclass(frozen=True)
class _Lexicon:
    """Word lists from chat_lexicon.yaml, compiled once into lookups and patterns."""

    phrases: re.Pattern[str]
    phrase_meaning: dict[str, tuple[str, str]]
    tone_alt: str
    tone_canon: dict[str, str]
    tone_sentiment: dict[str, str]
    tone_opposites: dict[str, str]
    tone_comparatives: dict[str, str]
    categories: re.Pattern[str]
    category_of: dict[str, str]
    attribute_alt: str
    attribute_of: dict[str, str]
    audience_words: tuple[str, ...]
    not_audience: tuple[str, ...]
    feature_verbs: frozenset[str]
    tone_patterns: tuple[re.Pattern[str], ...]
    tone_word: re.Pattern[str]
    key_value: re.Pattern[str]
    key_is: re.Pattern[str]
    next_key: re.Pattern[str]


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


def _alternation(phrases: Iterable[str]) -> str:
    """A regex alternation of literal phrases, longest first so the most specific phrase wins."""
    unique = sorted({_norm(p) for p in phrases if p and p.strip()}, key=len, reverse=True)
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in unique) or "(?!)"  # empty list: match nothing


def _bounded(alt: str, plural: str = "s?") -> str:
    return rf"(?<![\w-])(?:{alt})(?:{plural})(?![\w-])"


def _lookup(table: dict[str, Any], matched: str) -> Any:
    """Find a matched phrase in a table, allowing the plural forms the patterns accept."""
    key = _norm(matched)
    for candidate in (key, key[:-1], key[:-2]):
        if candidate in table:
            return table[candidate]
    return None


def _str_list(raw: Any, where: str) -> list[str]:
    if not isinstance(raw, list):
        raise CopyloopError(f"chat_lexicon.yaml: {where} must be a list of words")
    odd = [x for x in raw if not isinstance(x, str)]
    if odd:
        raise CopyloopError(f"chat_lexicon.yaml: {where}: {odd[0]!r} is not text; quote it (YAML reads no/yes as "
                            "booleans)")
    return raw


def _str_map(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise CopyloopError(f"chat_lexicon.yaml: {where} must be a mapping")
    return {str(k): v for k, v in raw.items()}


def _phrase_table(data: dict[str, Any]) -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for section, enum in (("cta_goals", CtaGoal), ("channels", Channel)):
        for value, phrases in _str_map(data.get(section, {}), section).items():
            if value not in {e.value for e in enum}:
                raise CopyloopError(f"chat_lexicon.yaml: {section}: unknown value {value!r}")
            for phrase in _str_list(phrases, f"{section}.{value}"):
                table[_norm(phrase)] = (section, value)
    return table


def _inverse(data: dict[str, Any], section: str, include_keys: bool) -> dict[str, str]:
    table: dict[str, str] = {}
    for canon, words in _str_map(data.get(section, {}), section).items():
        for word in _str_list(words, f"{section}.{canon}"):
            table[_norm(word)] = canon
        if include_keys:
            table[_norm(canon)] = canon
    return table


def _plain_map(data: dict[str, Any], section: str) -> dict[str, str]:
    return {_norm(k): _norm(str(v)) for k, v in _str_map(data.get(section, {}), section).items()}


_KEY_FIELDS = {
    "name": "product_name", "product name": "product_name", "product": "product_name",
    "brand": "brand", "brand name": "brand", "price": "price", "cost": "price", "msrp": "price", "rrp": "price",
    "audience": "audience", "target audience": "audience", "target": "audience", "target customers": "audience",
    "tone": "tone", "voice": "tone", "tone of voice": "tone", "style": "tone", "vibe": "tone",
    "channel": "channel", "format": "channel", "placement": "channel",
    "cta": "cta_goal", "call to action": "cta_goal", "goal": "cta_goal", "cta goal": "cta_goal",
    "category": "category", "sku": "sku", "variants": "n_variants", "number of variants": "n_variants",
    "features": "features", "feature": "features", "benefits": "features", "highlights": "features",
    "key features": "features", "selling points": "features", "usps": "features",
    "banned words": "banned_words", "banned": "banned_words", "forbidden words": "banned_words",
    "avoid": "banned_words", "don't say": "banned_words", "never say": "banned_words",
    "required words": "required_words", "must include": "required_words", "must mention": "required_words",
    "keywords": "required_words", "brand voice": "brand_voice", "reference copy": "reference_copy",
    "reference": "reference_copy",
}
_IS_KEYS = ("name", "product name", "brand", "brand name", "audience", "target audience", "tone", "voice",
            "price", "cta", "goal", "category", "channel")


def _compile_tone_patterns(tone_alt: str) -> tuple[re.Pattern[str], ...]:
    word = rf"(?<![\w-])(?:{tone_alt})(?![\w-])"
    words = rf"{word}(?:(?:\s*,\s*|\s+and\s+|\s*&\s*|\s*/\s*|\s+)(?:but\s+)?{word}){{0,4}}"
    flags = re.IGNORECASE
    return (
        re.compile(rf"\b(?:tone|voice|style|vibe)\s*(?::|=|is|should\s+be|of)?\s*(?:very\s+|super\s+)?(?P<t>{words})",
                   flags),
        re.compile(rf"(?:\b(?:in|with)\s+)?(?:\b(?:an?|the)\s+)?(?:very\s+|super\s+|slightly\s+)?(?P<t>{words})"
                   rf"\s+(?:tone|voice|style|vibe|feel|copy|way)\b", flags),
        re.compile(rf"\b(?:keep\s+it|make\s+it|make\s+them|sound|sounding|be|something|go|going|feel)\s+"
                   rf"(?:(?:a\s+bit|a\s+little|more|very|really|super|extra|slightly|kinda)\s+)?(?P<t>{words})", flags),
    )


def _compile_key_patterns(attribute_alt: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    keys = f"{_alternation(_KEY_FIELDS)}|{attribute_alt}"
    start = r"(?:^|(?<=[\n,;.!?]))[ \t]*"
    value = r"(?P<val>[^\n;]*)"
    key_value = re.compile(rf"{start}(?P<key>{keys})\s*[:=]\s*{value}", re.IGNORECASE)
    key_is = re.compile(rf"{start}(?:(?:the|our|my|its|their)\s+)?(?P<key>{_alternation(_IS_KEYS)})\s+"
                        r"(?:is|are|should\s+be|will\s+be)\s+(?P<val>(?:[^\n,;.!?]|[.,](?=\d))*)", re.IGNORECASE)
    next_key = re.compile(rf"(?:[,.!?]\s*|\s+)(?=(?:{keys})\s*[:=])", re.IGNORECASE)
    return key_value, key_is, next_key


@rule_cache
def _lexicon() -> _Lexicon:
    """The active rulebook's chat lexicon, compiled once per rulebook (the user's copy wins, as for every file)."""
    data = load_rules("chat_lexicon.yaml")
    if not isinstance(data, dict):
        raise CopyloopError("chat_lexicon.yaml: expected a mapping of sections")
    meaning = _phrase_table(data)
    tone_canon = _inverse(data, "tones", include_keys=True)
    category_of = _inverse(data, "categories", include_keys=False)
    attribute_of = _inverse(data, "attribute_keys", include_keys=False)
    tone_alt = _alternation(tone_canon)
    attribute_alt = _alternation(attribute_of)
    key_value, key_is, next_key = _compile_key_patterns(attribute_alt)
    sentiment = _plain_map(data, "tone_sentiment")
    for tone, band in sentiment.items():
        if band not in SENTIMENT_BANDS:
            raise CopyloopError(f"chat_lexicon.yaml: tone_sentiment.{tone}: unknown band {band!r}")
    return _Lexicon(
        phrases=re.compile(_bounded(_alternation(meaning)), re.IGNORECASE),
        phrase_meaning=meaning,
        tone_alt=tone_alt,
        tone_canon=tone_canon,
        tone_sentiment=sentiment,
        tone_opposites=_plain_map(data, "tone_opposites"),
        tone_comparatives=_plain_map(data, "tone_comparatives"),
        categories=re.compile(_bounded(_alternation(category_of), "(?:e?s)?"), re.IGNORECASE),
        category_of=category_of,
        attribute_alt=attribute_alt,
        attribute_of=attribute_of,
        audience_words=tuple(_norm(w) for w in _str_list(data.get("audience_words", []), "audience_words")),
        not_audience=tuple(_norm(w) for w in _str_list(data.get("not_audience", []), "not_audience")),
        feature_verbs=frozenset(_norm(w) for w in _str_list(data.get("feature_verbs", []), "feature_verbs")),
        tone_patterns=_compile_tone_patterns(tone_alt),
        tone_word=re.compile(_bounded(tone_alt, ""), re.IGNORECASE),
        key_value=key_value,
        key_is=key_is,
        next_key=next_key,
    )
