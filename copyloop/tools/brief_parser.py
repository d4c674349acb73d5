"""Deterministic language understanding for the chat: product messages to Brief fields, follow-ups to intents.

The local model is far too small to extract fields reliably, so this module is rules only: compiled regular
expressions plus the user-extensible word lists in rules/chat_lexicon.yaml. Chat input is untrusted, so every value
is bounded to the Brief's limits here, nothing is ever evaluated, and instruction-like text is dropped: a message
can only ever become field values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Literal

from copyloop.brief import (
    SENTIMENT_BANDS,
    Brief,
    Channel,
    CtaGoal,
    clean_text,
    clip_text,
    field_limits,
    format_price,
)
from copyloop.errors import CopyloopError
from copyloop.tools.channels import channel_spec
from copyloop.tools.chat_template import TEMPLATE_TURN
from copyloop.tools.injection import INSTRUCTION
from copyloop.tools.rulebook import load_rules

# The Brief's own limits (read from its fields), so parsed fields always validate; the parser's own below them.
NAME_CHARS = field_limits("product_name").chars
SHORT_CHARS = field_limits("category").chars
PHRASE_CHARS = field_limits("tone").chars
FEATURE_CHARS = field_limits("features").chars
SKU_CHARS = field_limits("sku").chars
BRAND_VOICE_CHARS = field_limits("brand_voice").chars
REFERENCE_CHARS = field_limits("reference_copy").chars
MAX_FEATURES = field_limits("features").items
MAX_ATTRIBUTES = field_limits("attributes").items
MAX_REQUIRED = field_limits("required_words").items
MAX_BANNED = field_limits("banned_words").items
MAX_VARIANTS = field_limits("n_variants").most
MAX_PRICE = Decimal(str(field_limits("price").most))
MAX_MESSAGE_CHARS = 4000
MAX_FOLLOWUP_CHARS = 300
MAX_VARIANT_REF = 99
NAME_WORDS = 8

LIST_FIELDS = {"features": MAX_FEATURES, "required_words": MAX_REQUIRED, "banned_words": MAX_BANNED}
SEP = "\n"

FollowupKind = Literal[
    "shorter", "longer", "tone", "another_cta", "regenerate", "approve", "reject",
    "channel", "set_field", "new_brief", "help", "quit",
]
_MODIFY_KINDS = {"shorter", "longer", "tone", "another_cta"}
_REF_KINDS = _MODIFY_KINDS | {"regenerate", "approve", "reject", "channel"}


@dataclass
class ParsedBrief:
    """What one product message contributed, merged onto the conversation's fields so far."""

    fields: dict[str, Any]
    understood: list[str]
    missing: list[str]
    question: str | None
    notes: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """Whether a Brief can be built: only product_name is required, the rest has defaults."""
        return bool(self.fields.get("product_name"))


@dataclass(frozen=True)
class Followup:
    """One follow-up intent on an existing result; variant numbers are 1-based as the user sees them."""

    kind: FollowupKind
    variants: tuple[int, ...] = ()
    all_variants: bool = False
    tone: str | None = None
    sentiment: str | None = None
    channel: Channel | None = None
    cta_goal: CtaGoal | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    unparsed: str = ""
    also: tuple[Followup, ...] = ()


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


@cache
def _lexicon() -> _Lexicon:
    """Load and compile the chat lexicon once per process (the user's copy wins, as for every rules file)."""
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


# ---------------------------------------------------------------------------------------------------------------
# Small text helpers

_WORD = re.compile(r"[\w'’+#&-]+")
_ROLE_TURN = re.compile(
    r"(?:<\|[^|>\n]{0,40}\|>|\[/?INST\]|<</?SYS>>|</?s>)\s*(?:(?:system|assistant|developer)\b[^\n<\[]*)?"
    r"|^[ \t]*(?:system|assistant|developer)[ \t]*:[^\n]*",
    re.IGNORECASE | re.MULTILINE,
)
_INJECTION_NOTE = "instruction-like text was ignored; only product details are used"
_CLAUSE_SPLIT = re.compile(r"\n|;|(?<!\d),|,(?!\d)|[.!?]+(?=\s|$)|\s+[-–—]+\s+|\s*[|•]\s*")
_QUOTED = re.compile(r"[\"“”]([^\"“”\n]{1,80})[\"“”]|(?<!\w)['‘]([^'‘’\n]{1,80}?)['’](?!\w)")
_FILLER = frozenset(
    ["a", "an", "the", "and", "or", "but", "for", "about", "of", "to", "in", "on", "at", "as", "with", "by", "from",
     "it", "its", "it's", "this", "that", "these", "those", "is", "are", "be", "write", "create", "draft", "generate",
     "make", "give", "me", "us", "some", "copy", "copies", "please", "pls", "thanks", "thank", "you", "hi", "hello",
     "hey", "ok", "okay", "need", "want", "i", "we", "i'm", "we're", "can", "could", "would", "like", "help",
     "variant", "variants", "option", "options", "version", "versions", "idea", "ideas", "line", "lines", "cta",
     "goal", "tone", "voice", "style", "now", "today", "also", "plus", "just", "only", "quick", "let's", "lets", "do",
     "get", "go", "got", "here", "here's", "one", "ones", "few", "couple", "new", "our", "my", "your", "default",
     "whatever", "idk", "skip", "none", "n/a", "na", "any", "matter", "doesn't", "dunno", "sure", "yes", "no", "yep",
     "nope", "fine", "choose", "decide", "up", "will", "should", "something", "catchy", "use"]
)
_LEADING_FILLER = re.compile(r"^(?:(?:it'?s|its|it|they'?re|they|also|and|plus|that|which|with|but|so|&)\s+)+",
                             re.IGNORECASE)
_DETERMINERS = re.compile(
    r"^(?:(?:a|an|the|our|my|this|these|their|your|its|some|new|brand[\s-]new|all[\s-]new|latest)\s+)+", re.IGNORECASE
)
_NAME_INTRO = re.compile(
    r"^(?:(?:hi|hey|hello)\b[\s!,]*)?(?:(?:please|pls|kindly)\s+)?(?:(?:can|could|would)\s+you\s+)?"
    r"(?:(?:(?:write|create|draft|generate|make|produce|give\s+me|come\s+up\s+with|i\s+need|we\s+need|need"
    r"|i\s+want|we\s+want|help\s+me(?:\s+(?:write|sell|market))?)\b(?:[^\n]{0,60}?\s)?(?:for|about|on|selling"
    r"|promoting)\s+)"
    r"|(?:(?:i'?m|we'?re|we\s+are|i\s+am)\s+)?(?:selling|launching|introducing|promoting|listing|releasing)\s+"
    r"|(?:meet|presenting)\s+"
    r"|(?:it'?s|it\s+is|this\s+is|that'?s|we\s+(?:have|sell|make)|we'?ve\s+got|i\s+(?:have|sell|make)"
    r"|product\s+is|the\s+product\s+is)\s+"
    r"|(?:for|about|on)\s+(?=(?:our|my|the|a|an|this|these|their|your)\b))*",
    re.IGNORECASE,
)
_NEW_PRODUCT = re.compile(r"^\s*(?:new|next|another|different)\s+(?:product|brief|item)\b\s*[:\-–—]?\s*",
                          re.IGNORECASE)
_SIZE = re.compile(
    r"(?<![\w.])\d+(?:[.,]\d+)?\s?-?\s?(?:fl\.?\s?oz|ml|l|litres?|liters?|oz|ounces?|g|grams?|kg|lbs?|mah|wh|w"
    r"|watts?|v|gb|tb|mb|mm|cm|m|in|inch(?:es)?|ft|qt|quarts?|gal(?:lons?)?|hours?|hrs?|h|%)(?![\w-])",
    re.IGNORECASE,
)
_TAIL_STARTERS = frozenset(
    ["with", "that", "which", "featuring", "for", "from", "in", "made", "crafted", "designed", "built", "handcrafted",
     "to", "so", "using", "without", "who", "where", "when", "plus"]
)
_NP_START = frozenset(["a", "an", "the", "our", "my", "this", "these", "their", "your", "its"])
_SMALL_WORDS = frozenset(["a", "an", "and", "or", "of", "for", "with", "in", "on", "the", "to", "by", "at", "from"])
_NAME_CHARS_RE = re.compile(r"[^\w\s&'’+.#/-]")
_PEOPLE_SUFFIX = re.compile(r"(?:ers|ists|ians|ents|ees|ors|ites)$")
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "a couple": 2, "a few": 3}
_NUM = r"\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a\s+couple(?:\s+of)?|a\s+few"
_NUM_RE = re.compile(rf"\b(?:{_NUM})\b", re.IGNORECASE)
_VALUE_END = re.compile(r",\s|[.!?](?=\s|$)")
_LIST_SPLIT = re.compile(r"\s*[,/]\s*")
_NOT_TONE_CHARS = re.compile(r"[^\w\s,&'-]")
_SKU_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
_WHO = re.compile(r"\s+who\b", re.IGNORECASE)
_PARTICIPLE = re.compile(r"(?:ed|ing)$", re.IGNORECASE)
_TAIL_GLUE = re.compile(r"^(?:with|featuring|that|which|who|plus)\s+", re.IGNORECASE)
_ROLE_WORD = re.compile(r"system|assistant|developer", re.IGNORECASE)
_ONLY_REFS = re.compile(r"(?:#?\s*\d{1,2}\s*)+")


def _words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def _is_filler(text: str, extra: Iterable[str] = ()) -> bool:
    """Whether a clause carries no information (chat glue like 'write me some', 'thanks', 'use default')."""
    allowed = _FILLER | set(extra)
    return all(w in allowed or (w.isdigit() and len(w) <= 2) for w in _words(text))


def _tidy(clause: str) -> str:
    """Trim quotes, brackets, punctuation and leading glue words ('it', 'also', 'with') off a clause."""
    clause = clause.strip(" \t\"'“”‘’()[]{}:,.-–—*_")
    clause = _LEADING_FILLER.sub("", clause)
    return clause.strip(" \t\"'“”‘’()[]{}:,.-–—*_")


def _number(text: str) -> int | None:
    """A small count from digits or words ('5', 'three', 'a couple')."""
    text = _norm(text)
    if text.isdigit():
        return int(text)
    return _NUMBER_WORDS.get(text)


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = _norm(item)
        if key and key not in seen:
            seen.add(key)
            out.append(item)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Field extractors. Each takes the working text and a draft, records what it found, and returns the text with the
# consumed spans replaced by a clause separator so leftovers never merge across them.


@dataclass
class _Draft:
    """What one message said, before it is merged onto the conversation's fields."""

    fields: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    name_explicit: bool = False

    def add(self, name: str, values: Iterable[str]) -> None:
        """Append to a list field, bounded and de-duplicated."""
        limit = LIST_FIELDS[name]
        width = FEATURE_CHARS if name == "features" else PHRASE_CHARS
        clipped = [clip_text(v, width) for v in values]
        merged = _dedupe([*self.fields.get(name, []), *(v for v in clipped if v)])
        if len(merged) > limit:
            self.notes.append(f"kept the first {limit} {name.replace('_', ' ')}; the rest were dropped")
        self.fields[name] = merged[:limit]


def _sub(pattern: re.Pattern[str], text: str, handler: Callable[[re.Match[str]], bool]) -> str:
    """Replace every match the handler accepts with a separator; leave rejected matches as they were."""
    return pattern.sub(lambda m: SEP if handler(m) else m.group(0), text)


def _drop_injections(text: str, draft: _Draft) -> str:
    """Instruction-like text is never data for copy: drop it and say so."""
    def handler(_m: re.Match[str]) -> bool:
        draft.notes.append(_INJECTION_NOTE)
        return True
    return _sub(INSTRUCTION, text, handler)


_PRICE = re.compile(
    r"(?P<cue>\b(?:(?:is\s+)?priced\s+at|price\s*(?:is|:|=)?|costs?|retails?\s+(?:for|at)|sells?\s+for|msrp\s*:?"
    r"|rrp\s*:?|on\s+sale\s+(?:for|at)|now|only|just|for|at)\s+(?:only\s+|just\s+)?)?"
    r"(?:(?<![\w$])(?P<sym>US\$|CA\$|AU\$|NZ\$|HK\$|[CARS]\$|\$|€|£|¥|₹)\s?(?P<a1>\d{1,3}(?:,\d{3})+|\d{1,7})"
    r"(?:[.,](?P<d1>\d{1,2}))?(?!\d)"
    r"|(?<![\w.,])(?P<a2>\d{1,3}(?:,\d{3})+|\d{1,7})(?:[.,](?P<d2>\d{1,2}))?\s?(?P<code>"
    r"usd|eur|gbp|jpy|cad|aud|nzd|chf|sek|nok|dkk|inr|sgd|hkd|mxn|brl|cny|zar|pln|krw|dollars?|bucks|euros?)\b"
    r"|\b(?P<code2>usd|eur|gbp|jpy|cad|aud|nzd|chf|sek|nok|dkk|inr|sgd|hkd|mxn|brl|cny|zar|pln|krw)\s?"
    r"(?P<a3>\d{1,3}(?:,\d{3})+|\d{1,7})(?:[.,](?P<d3>\d{1,2}))?(?!\d))",
    re.IGNORECASE,
)
_BARE_PRICE = re.compile(r"^\s*(?P<a>\d{1,3}(?:,\d{3})+|\d{1,7})(?:[.,](?P<d>\d{1,2}))?\s*$")
_SYMBOL_CODES = {"US$": "USD", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CA$": "CAD",
                 "C$": "CAD", "A$": "AUD", "AU$": "AUD", "NZ$": "NZD", "HK$": "HKD", "S$": "SGD", "R$": "BRL"}
_WORD_CODES = {"dollar": "USD", "dollars": "USD", "bucks": "USD", "euro": "EUR", "euros": "EUR"}
def _price_of(m: re.Match[str]) -> tuple[Decimal, str] | None:
    """The amount and currency code of a price match."""
    amount = m.group("a1") or m.group("a2") or m.group("a3")
    decimals = m.group("d1") or m.group("d2") or m.group("d3") or "0"
    if m.group("sym"):
        code = _SYMBOL_CODES[m.group("sym").upper()]
    else:
        raw = (m.group("code") or m.group("code2")).lower()
        code = _WORD_CODES.get(raw, raw.upper())
    try:
        value = Decimal(f"{amount.replace(',', '')}.{decimals}").quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    return value, code


def _set_price(draft: _Draft, value: Decimal, code: str | None) -> bool:
    if value > MAX_PRICE:
        draft.notes.append(f"price {value} is over the {MAX_PRICE:,} limit and was ignored")
        return False
    draft.fields["price"] = value
    if code:
        draft.fields["currency"] = code
    return True


def _extract_price(text: str, draft: _Draft) -> str:
    """Take one price: the one introduced by 'now', 'only', 'price' etc. if any, else the first."""
    if "price" in draft.fields:
        return text
    matches = list(_PRICE.finditer(text))
    if not matches:
        return text
    chosen = next((m for m in matches if m.group("cue") and m.group("cue").strip().lower() not in {"for", "at"}),
                  matches[0])
    parsed = _price_of(chosen)
    if parsed is None or not _set_price(draft, *parsed):
        return text
    return text[: chosen.start()] + SEP + text[chosen.end():]


def _parse_price_value(value: str, draft: _Draft) -> None:
    """A 'price: ...' value: a full price, or a bare number in the current currency."""
    m = _PRICE.search(value)
    if m and (parsed := _price_of(m)):
        _set_price(draft, *parsed)
        return
    bare = _BARE_PRICE.match(value)
    if bare:
        amount = f"{bare.group('a').replace(',', '')}.{bare.group('d') or '0'}"
        _set_price(draft, Decimal(amount).quantize(Decimal("0.01")), None)
    else:
        draft.notes.append(f"could not read a price from {clip_text(value, 40)!r}")


_ITEM_SPLIT = re.compile(r"\s*(?:,|/|\bor\b|\band\b|\bnor\b)\s*", re.IGNORECASE)
_QUOTED_LIST = r"(?:[\"“'‘][^\"“”'‘’\n]{1,60}[\"”'’](?:\s*(?:,|/|or|and)\s*[\"“'‘][^\"“”'‘’\n]{1,60}[\"”'’])*)"
_UNQUOTED = r"(?:[^\n,;.!?\"“”‘’']|(?<=\w)['’](?=\w)){1,60}(?!\w)"
_CLAUSE_START = r"(?:^|(?<=[\n,;.!?]))[ \t]*"
_BANNED = re.compile(
    rf"\b(?:don'?t|do\s+not|never|please\s+don'?t)\s+(?:say|use|mention|write|include)(?:\s+the\s+words?)?\s+"
    rf"(?P<v>{_QUOTED_LIST}|{_UNQUOTED})"
    rf"|\bavoid\s+(?:the\s+words?|saying|using|mentioning|words?\s+like)\s+(?P<v2>{_QUOTED_LIST}|{_UNQUOTED})"
    rf"|{_CLAUSE_START}avoid\s+(?!the\s+words?|saying|using|mentioning|words?\s+like)(?P<v3>{_QUOTED_LIST}|{_UNQUOTED})"
    rf"|\b(?:no|avoid|without(?:\s+the\s+words?)?)\s+(?P<v4>{_QUOTED_LIST})",
    re.IGNORECASE,
)
_REQUIRED = re.compile(
    rf"\b(?:must|should|have\s+to|has\s+to|needs?\s+to|make\s+sure\s+(?:to|you)|be\s+sure\s+to|always)\s+"
    rf"(?:mention|include|say|use|feature|contain)(?:\s+the\s+words?)?\s+(?P<v>{_QUOTED_LIST}|{_UNQUOTED})"
    rf"|\b(?:include|mention|use\s+the\s+words?)\s+(?P<v2>{_QUOTED_LIST})",
    re.IGNORECASE,
)


def _items(raw: str) -> list[str]:
    """Words from a banned/required phrase: quoted items if any, else the phrase split on 'or'/'and'/commas."""
    quoted = [a or b for a, b in _QUOTED.findall(raw)]
    parts = quoted or _ITEM_SPLIT.split(raw)
    return [p for p in (_tidy(x) for x in parts) if p and not _is_filler(p)]


def _extract_word_lists(text: str, draft: _Draft) -> str:
    """Banned words first ('don't say cheap'), then required ones ('must mention BPA-free')."""
    def banned(m: re.Match[str]) -> bool:
        items = _items(next(g for g in m.group("v", "v2", "v3", "v4") if g))
        draft.add("banned_words", items)
        return bool(items)

    def required(m: re.Match[str]) -> bool:
        items = _items(m.group("v") or m.group("v2"))
        draft.add("required_words", items)
        return bool(items)

    return _sub(_REQUIRED, _sub(_BANNED, text, banned), required)


def _extract_key_values(text: str, draft: _Draft) -> str:
    """Explicit 'key: value' and 'the key is value' pairs, the clearest thing a marketer can type."""
    lex = _lexicon()

    def handler(m: re.Match[str]) -> str:
        key = _norm(m.group("key"))
        value = m.group("val")
        name = _KEY_FIELDS.get(key) or f"attr:{lex.attribute_of[key]}"
        rest = ""
        cut = lex.next_key.search(value)
        if cut:
            value, rest = value[: cut.start()], value[cut.end():]
        if name not in {"features", "banned_words", "required_words", "brand_voice", "reference_copy"}:
            single = _VALUE_END.search(value)
            if single:
                value, rest = value[: single.start()], value[single.end():] + (SEP + rest if rest else "")
        _apply_key(name, value, draft)
        return SEP + rest

    for _ in range(MAX_ATTRIBUTES + len(_KEY_FIELDS)):
        before, text = text, lex.key_value.sub(handler, text)
        if text == before:
            break

    def is_handler(m: re.Match[str]) -> bool:
        _apply_key(_KEY_FIELDS[_norm(m.group("key"))], m.group("val"), draft)
        return True

    return _sub(lex.key_is, text, is_handler)


def _key_name(value: str, draft: _Draft) -> None:
    name = clip_text(_NAME_CHARS_RE.sub(" ", value), NAME_CHARS)
    if name:
        draft.fields["product_name"] = name
        draft.name_explicit = True


def _key_tone(value: str, draft: _Draft) -> None:
    tones = _tone_words(value)
    _set_tone(draft, tones or [clip_text(_NOT_TONE_CHARS.sub(" ", value), PHRASE_CHARS)])


def _key_channel(value: str, draft: _Draft) -> None:
    meaning = _phrase_meaning(value, "channels")
    if meaning:
        draft.fields["channel"] = Channel(meaning)
    else:
        draft.notes.append(f"did not recognise the channel {clip_text(value, 40)!r}")


def _key_cta(value: str, draft: _Draft) -> None:
    meaning = _phrase_meaning(value, "cta_goals")
    if meaning:
        draft.fields["cta_goal"] = CtaGoal(meaning)
    else:
        draft.notes.append(f"did not recognise the call to action {clip_text(value, 40)!r}")


def _key_variants(value: str, draft: _Draft) -> None:
    m = _NUM_RE.search(value)
    count = _number(m.group(0)) if m else None
    if count:
        _set_variants(draft, count)


def _key_sku(value: str, draft: _Draft) -> None:
    m = _SKU_VALUE.match(value)
    if m:
        draft.fields["sku"] = m.group(0)[:SKU_CHARS]


_KEY_HANDLERS: dict[str, Callable[[str, _Draft], None]] = {
    "product_name": _key_name, "price": _parse_price_value, "tone": _key_tone, "channel": _key_channel,
    "cta_goal": _key_cta, "n_variants": _key_variants, "sku": _key_sku,
}


def _apply_key(name: str, value: str, draft: _Draft) -> None:
    """Store one explicit field value, normalised and bounded like everything else."""
    value = _tidy(value)
    if not value:
        return
    if name.startswith("attr:"):
        attrs = draft.fields.setdefault("attributes", {})
        if len(attrs) < MAX_ATTRIBUTES:
            attrs[clip_text(name[5:], PHRASE_CHARS)] = clip_text(value, FEATURE_CHARS)
    elif name in {"features", "banned_words", "required_words"}:
        draft.add(name, [v for v in (_tidy(x) for x in _LIST_SPLIT.split(value)) if v])
    elif name in _KEY_HANDLERS:
        _KEY_HANDLERS[name](value, draft)
    else:
        limit = {"brand_voice": BRAND_VOICE_CHARS, "reference_copy": REFERENCE_CHARS}.get(name, SHORT_CHARS)
        draft.fields[name] = clip_text(value, limit)


def _phrase_meaning(text: str, section: str) -> str | None:
    """The first channel or CTA goal named in a piece of text."""
    lex = _lexicon()
    for m in lex.phrases.finditer(text):
        meaning = _lookup(lex.phrase_meaning, m.group(0))
        if meaning and meaning[0] == section:
            return meaning[1]
    return None


_CALLED = re.compile(
    r"\b(?:called|named|name\s+is|it'?s\s+called|goes\s+by)\s+(?:[\"“'‘](?P<q>[^\"“”'‘’\n]{1,80})[\"”'’]"
    r"|(?P<u>[^\n,;.!?()\"“”‘’]{1,80}?)(?=\s+(?:for|with|by|that|which|and|in|at|from|to)\b|\s+[-–—]|[\n,;.!?()]|$))",
    re.IGNORECASE,
)


def _extract_called(text: str, draft: _Draft) -> str:
    """'called Trail Buddy' / 'named "Aurora"': the marketer naming the product outright."""
    def handler(m: re.Match[str]) -> bool:
        if draft.name_explicit:
            return False
        _key_name(m.group("q") or m.group("u"), draft)
        return draft.name_explicit
    return _sub(_CALLED, text, handler)


def _extract_quoted_name(text: str, draft: _Draft) -> str:
    """A quoted, capitalised phrase is the product's name when no name was given another way."""
    if draft.name_explicit:
        return text
    for m in _QUOTED.finditer(text):
        quoted = (m.group(1) or m.group(2) or "").strip()
        if quoted[:1].isupper() and len(_words(quoted)) <= NAME_WORDS:
            _key_name(quoted, draft)
            return text[: m.start()] + SEP + text[m.end():]
    return text


_VARIANT_COUNT = re.compile(
    rf"(?<![\w$.,])(?P<n>{_NUM})\s+(?=(?:(?:different|more|new|short|quick|catchy|creative|unique|fresh|snappy|"
    r"punchy|distinct|alternative|copy|email|subject|push|social|media|instagram|facebook|search|google|ad|ppc|"
    r"product|listing|page|app)\s+){0,3}(?:variants?|variations?|options?|versions?|ideas?|alternatives?|takes?"
    r"|drafts?|subject\s+lines?|headlines?|titles?|descriptions?|posts?|captions?|tweets?|notifications?|pushes"
    r"|lines|ads|copies|examples)\b)",
    re.IGNORECASE,
)
_VARIANT_NOUNS = re.compile(r"\b(?:variants?|variations?|versions?|alternatives?|drafts?)\b", re.IGNORECASE)


def _set_variants(draft: _Draft, count: int) -> None:
    if count > MAX_VARIANTS:
        draft.notes.append(f"{count} variants asked for; the most is {MAX_VARIANTS}, so {MAX_VARIANTS} it is")
    draft.fields["n_variants"] = max(1, min(count, MAX_VARIANTS))


def _extract_variant_count(text: str, draft: _Draft) -> str:
    """'5 variants', 'three options', 'write 3 subject lines': how many to write."""
    def handler(m: re.Match[str]) -> bool:
        count = _number(m.group("n"))
        if not count or "n_variants" in draft.fields:
            return False
        _set_variants(draft, count)
        return True
    return _VARIANT_NOUNS.sub(SEP, _sub(_VARIANT_COUNT, text, handler))


_CHANNEL_NOUN = re.compile(r"\s+(?:headlines?|lines?|posts?|captions?|titles?|copy|descriptions?|notifications?|ads?"
                           r"|texts?|messages?|blurbs?)\b", re.IGNORECASE)


def _extract_channel(text: str, draft: _Draft) -> str:
    """The channel: the most specific (longest) channel phrase in the message wins; only it is removed."""
    lex = _lexicon()
    best: re.Match[str] | None = None
    for m in lex.phrases.finditer(text):
        meaning = _lookup(lex.phrase_meaning, m.group(0))
        if meaning and meaning[0] == "channels" and (best is None or len(m.group(0)) > len(best.group(0))):
            best = m
    if best is None:
        return text
    if "channel" not in draft.fields:
        draft.fields["channel"] = Channel(_lookup(lex.phrase_meaning, best.group(0))[1])
    trailing = _CHANNEL_NOUN.match(text, best.end())
    return text[: best.start()] + SEP + text[trailing.end() if trailing else best.end():]


_SKU = re.compile(r"\bsku\s*(?:#|no\.?|number)?\s*[:=]?\s*(?P<v>[A-Za-z0-9][A-Za-z0-9._/-]{0,63})", re.IGNORECASE)
_BRAND = re.compile(
    r"\b(?:made\s+)?[Bb]y\s+(?P<b>[A-Z][\w&'’.+-]*(?:\s+(?:&\s+)?[A-Z][\w&'’.+-]*){0,3})"
)
_NOT_BRANDS = frozenset(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
     "april", "may", "june", "july", "august", "september", "october", "november", "december", "christmas", "then",
     "now", "far", "the", "hand"]
)


def _extract_sku_and_brand(text: str, draft: _Draft) -> str:
    """'SKU TB-750' and 'by Acme Outdoors' (capitalised, so 'by hand' or 'by 20%' never count)."""
    def sku(m: re.Match[str]) -> bool:
        draft.fields.setdefault("sku", m.group("v")[:SKU_CHARS])
        return True

    def brand(m: re.Match[str]) -> bool:
        name = m.group("b").rstrip(".")
        if "brand" in draft.fields or _norm(name).split()[0] in _NOT_BRANDS:
            return False
        draft.fields["brand"] = clip_text(name, SHORT_CHARS)
        return True

    return _sub(_BRAND, _sub(_SKU, text, sku), brand)


def _tone_words(text: str) -> list[str]:
    """The tone words in a phrase as the marketer wrote them (lower-cased), one per canonical tone."""
    lex = _lexicon()
    seen: set[str] = set()
    out = []
    for m in lex.tone_word.finditer(text):
        word = _norm(m.group(0))
        if lex.tone_canon[word] not in seen:
            seen.add(lex.tone_canon[word])
            out.append(word)
    return out


def _sentiment_of(tones: Iterable[str]) -> str | None:
    """The sentiment band the first banded tone implies ('calm' -> calm, 'playful' -> enthusiastic)."""
    lex = _lexicon()
    return next((b for t in tones if (b := lex.tone_sentiment.get(lex.tone_canon.get(_norm(t), _norm(t))))), None)


def _set_tone(draft: _Draft, tones: list[str]) -> None:
    tones = [t for t in tones if t]
    if not tones:
        return
    draft.fields["tone"] = clip_text(tones[0] if len(tones) == 1 else ", ".join(tones[:-1]) + " and " + tones[-1],
                                 PHRASE_CHARS)
    band = _sentiment_of(tones)
    if band:
        draft.fields["target_sentiment"] = SENTIMENT_BANDS[band]


def _extract_tone(text: str, draft: _Draft) -> str:
    """'playful tone', 'tone: witty', 'keep it warm': tone words next to a word that marks them as tone."""
    def handler(m: re.Match[str]) -> bool:
        if "tone" not in draft.fields:
            _set_tone(draft, _tone_words(m.group("t")))
        return True

    for pattern in _lexicon().tone_patterns:
        text = _sub(pattern, text, handler)
    return text


_AUDIENCE = re.compile(
    r"\b(?:for|aimed\s+at|targeted\s+at|targeting|targets|made\s+for|designed\s+for|built\s+for|perfect\s+for"
    r"|ideal\s+for|great\s+for|geared\s+towards?|geared\s+to)\s+(?P<who>[^\n,;.!?()]{1,150})",
    re.IGNORECASE,
)
_AUDIENCE_STOP = re.compile(r"\s+(?:with|that|which|by|at|on|in|from|to|so|because|and\s+(?:it|its|keeps|has))\b"
                            r"|\s+\$|\s+\d", re.IGNORECASE)
_AUDIENCE_BAD_START = re.compile(r"^(?:(?:our|my|this|these|its|their|your|an?)\b|\d|\$|€|£)", re.IGNORECASE)


def _audience_span(who: str) -> str | None:
    """The audience part of 'for X ...', or None when X is not people ('for camping', 'for our bottle')."""
    if " who " not in f" {who.lower()} ":
        stop = _AUDIENCE_STOP.search(who)
        who = who[: stop.start()] if stop else who
    who = who.strip()
    head = _WHO.split(who, maxsplit=1)[0]
    return who if head and _is_people(head) else None


def _is_people(head: str) -> bool:
    """Whether a noun phrase names people: a known audience word, or a plural like 'hikers'/'dentists'."""
    lex = _lexicon()
    norm = _norm(head)
    words = norm.split()
    if _AUDIENCE_BAD_START.match(norm) and not (words[0] == "the" and len(words) > 1):
        return False
    if norm in lex.not_audience or words[-1] in lex.not_audience:
        return False
    padded = f" {norm} "
    if any(f" {w} " in padded for w in lex.audience_words):
        return True
    last = words[-1]
    return len(last) >= 5 and bool(_PEOPLE_SUFFIX.search(last)) and _lookup(lex.category_of, last) is None


def _extract_audience(text: str, draft: _Draft) -> str:
    """'for hikers', 'aimed at busy parents who cook': the first 'for X' where X is people."""
    for m in _AUDIENCE.finditer(text):
        if "audience" in draft.fields:
            break
        who = _audience_span(m.group("who"))
        if who:
            draft.fields["audience"] = clip_text(who, SHORT_CHARS)
            end = m.start("who") + len(who)
            return text[: m.start()] + SEP + text[end:]
    return text


# ---------------------------------------------------------------------------------------------------------------
# Clauses: what is left becomes the product name (the head noun phrase) and features.


def _clauses(text: str) -> list[str]:
    return [c for c in (_tidy(x) for x in _CLAUSE_SPLIT.split(text)) if c]


def _clause_tone(clause: str) -> list[str] | None:
    """A clause made only of tone words ('playful', 'warm and witty') sets the tone."""
    lex = _lexicon()
    rest = lex.tone_word.sub(" ", clause)
    if _is_filler(rest, {"very", "super", "really", "but", "bit", "little", "slightly"}):
        tones = _tone_words(clause)
        return tones or None
    return None


def _clause_cta(clause: str, draft: _Draft) -> bool:
    """Record a CTA goal named in a clause; True when the clause was nothing but that goal."""
    lex = _lexicon()
    rest = clause
    found: list[str] = []
    for m in lex.phrases.finditer(clause):
        meaning = _lookup(lex.phrase_meaning, m.group(0))
        if meaning and meaning[0] == "cta_goals":
            found.append(meaning[1])
            rest = rest.replace(m.group(0), " ")
    if not found:
        return False
    whole = _is_filler(rest, {"call", "action", "drive", "encourage", "people", "them", "shoppers", "customers",
                              "focus", "aim", "push", "cta:", "goal:", "more", "sales"})
    goal = next((g for g in found if g != CtaGoal.BUY.value), None) or (found[0] if whole else None)
    if goal and "cta_goal" not in draft.fields:
        draft.fields["cta_goal"] = CtaGoal(goal)
    return whole


def _title_word(word: str, first: bool) -> str:
    if not first and word.lower() in _SMALL_WORDS:
        return word.lower()
    parts = word.split("-")
    return "-".join(p[:1].upper() + p[1:] if p[:1].isalpha() and p.islower() else p for p in parts)


def _title(words: list[str]) -> str:
    return " ".join(_title_word(w, i == 0) for i, w in enumerate(words))


def _starts_like_feature(clause: str) -> bool:
    first = _words(clause)[:1]
    return not first or first[0] in _lexicon().feature_verbs


def _starts_tail(word: str) -> bool:
    """Whether a word ends the name's noun phrase: 'with', 'made', or a verb like 'keeps'/'has'."""
    return word in _TAIL_STARTERS or (word in _lexicon().feature_verbs and (word.endswith("s") or word == "are"))


@dataclass(frozen=True)
class _NounPhrase:
    """A product noun phrase split up: the title-cased name, its words as written, and leftover features."""

    name: str
    as_written: str
    features: list[str]


def _split_name(clause: str) -> _NounPhrase:
    """Split a product noun phrase into a title-cased name and feature leftovers (sizes, 'with ...' tails)."""
    words = _DETERMINERS.sub("", _NAME_INTRO.sub("", clause)).split()
    cut = next((i for i, w in enumerate(words) if i > 0 and _starts_tail(w.lower())), len(words))
    head_idx = _last_category_index(words[:cut])
    start = 0
    if head_idx is not None:
        cut = next((i for i in range(head_idx + 1, cut) if _PARTICIPLE.search(words[i])), cut)
        start = next((j + 1 for j in range(head_idx - 1, -1, -1) if words[j].lower() in _NP_START), 0)
    head, tail = " ".join(words[start:cut]), " ".join(words[cut:])
    features = [m.group(0) for m in _SIZE.finditer(head)]
    head_words = _NAME_CHARS_RE.sub(" ", _SIZE.sub(" ", head)).split()
    tail = " ".join([*head_words[NAME_WORDS:], tail]).strip()
    if tail:
        features.append(_TAIL_GLUE.sub("", tail))
    as_written = clip_text(_DETERMINERS.sub("", " ".join(head_words[:NAME_WORDS])), NAME_CHARS)
    if _is_filler(as_written):
        return _NounPhrase("", "", features)
    return _NounPhrase(clip_text(_title(as_written.split()), NAME_CHARS), as_written, features)


def _last_category_index(words: list[str]) -> int | None:
    """Index of the last word of the rightmost category keyword: the head noun of the phrase."""
    text = " ".join(words)
    matches = list(_lexicon().categories.finditer(text))
    if not matches:
        return None
    return len(text[: matches[-1].end()].split()) - 1


def _category_of(text: str, rightmost: bool) -> str | None:
    lex = _lexicon()
    matches = list(lex.categories.finditer(text))
    if not matches:
        return None
    return _lookup(lex.category_of, (matches[-1] if rightmost else matches[0]).group(0))


def _pick_name_clause(clauses: list[str]) -> int | None:
    """The clause that names the product: the first with a product keyword, else the first that is no feature."""
    candidates = [i for i, c in enumerate(clauses) if not _starts_like_feature(_NAME_INTRO.sub("", c) or c)]
    for i in candidates:
        if _category_of(clauses[i], rightmost=True) and len(_words(clauses[i])) <= 16:
            return i
    return next((i for i in candidates if len(_words(clauses[i])) <= NAME_WORDS), None)


def _process_clauses(text: str, draft: _Draft, need_name: bool) -> None:
    """Turn leftover clauses into tone, CTA goal, the product name and features."""
    clauses = []
    for clause in _clauses(text):
        tones = _clause_tone(clause)
        if tones:
            if "tone" not in draft.fields:
                _set_tone(draft, tones)
            continue
        if _clause_cta(clause, draft) or _is_filler(clause):
            continue
        clauses.append(clause)
    name_idx = _pick_name_clause(clauses) if need_name or draft.name_explicit else None
    features: list[str] = []
    for i, clause in enumerate(clauses):
        phrase = _split_name(clause) if i == name_idx else None
        if phrase and phrase.name:
            if not draft.name_explicit:
                draft.fields["product_name"] = phrase.name
            elif len(phrase.as_written.split()) > 1:  # "a steel bottle called X": the description is a fact
                features.append(phrase.as_written)
            features.extend(phrase.features)
        else:
            features.append(clause)
    draft.add("features", [f for f in (_tidy(x) for x in features) if f and not _is_filler(f)])
    if not draft.fields.get("features"):
        draft.fields.pop("features", None)


def _infer_category(draft: _Draft, text: str, current: dict[str, Any]) -> None:
    """Guess the category from the product's head noun, then from anything mentioned."""
    if "category" in draft.fields or current.get("category") not in (None, "", "General"):
        return
    name = draft.fields.get("product_name") or current.get("product_name") or ""
    category = _category_of(str(name), rightmost=True) or _category_of(text, rightmost=False)
    if category:
        draft.fields["category"] = category


# ---------------------------------------------------------------------------------------------------------------
# Public API: product messages


def _role_turn(m: re.Match[str], draft: _Draft) -> str:
    """Chat-template markup splits clauses; a system/assistant turn smuggled into the message is dropped."""
    if _ROLE_WORD.search(m.group(0)):
        draft.notes.append(_INJECTION_NOTE)
    return SEP


def _prepare(text: Any, draft: _Draft) -> str:
    """Untrusted input to bounded, clean lines; never raises on odd types or sizes."""
    if not isinstance(text, str):
        return ""
    if len(text) > MAX_MESSAGE_CHARS:
        draft.notes.append(f"the message was long; only its first {MAX_MESSAGE_CHARS:,} characters were read")
        text = text[:MAX_MESSAGE_CHARS]
    text = TEMPLATE_TURN.sub(lambda m: _role_turn(m, draft), text)
    text = _ROLE_TURN.sub(lambda m: _role_turn(m, draft), text)
    lines = (clean_text(line) for line in text.replace("’", "'").splitlines())
    return SEP.join(line for line in lines if line)


def _extract(text: str, draft: _Draft, need_name: bool) -> None:
    """Run every extractor in order: explicit forms first, so they win over guesses."""
    text = _NEW_PRODUCT.sub("", _drop_injections(text, draft))
    for step in (_extract_word_lists, _extract_key_values, _extract_called, _extract_quoted_name, _extract_price,
                 _extract_variant_count, _extract_channel, _extract_sku_and_brand, _extract_tone, _extract_audience):
        text = step(text, draft)
    _process_clauses(text, draft, need_name)


def merge_fields(current: dict[str, Any] | None, delta: dict[str, Any]) -> dict[str, Any]:
    """Apply new field values onto the conversation's fields: lists grow (bounded), the rest is replaced."""
    merged = dict(current) if isinstance(current, dict) else {}
    for key, value in delta.items():
        if key in LIST_FIELDS:
            old = merged.get(key) if isinstance(merged.get(key), list) else []
            merged[key] = _dedupe([*old, *value])[: LIST_FIELDS[key]]
        elif key == "attributes":
            old_attrs = merged.get(key) if isinstance(merged.get(key), dict) else {}
            merged[key] = dict(list({**old_attrs, **value}.items())[:MAX_ATTRIBUTES])
        else:
            merged[key] = value
    return _resolve_word_clash(merged, delta)


def _resolve_word_clash(merged: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """A word can't be both required and banned (the Brief rejects that): the newest instruction wins, ban first."""
    banned = {_norm(w) for w in delta.get("banned_words", [])}
    required = {_norm(w) for w in delta.get("required_words", [])} - banned
    if banned and merged.get("required_words"):
        merged["required_words"] = [w for w in merged["required_words"] if _norm(w) not in banned]
    if required and merged.get("banned_words"):
        merged["banned_words"] = [w for w in merged["banned_words"] if _norm(w) not in required]
    return merged


def _channel_label(channel: Any) -> str:
    try:
        return channel_spec(channel).label
    except ValueError:  # not a channel's name: say it as written
        return str(getattr(channel, "value", channel)).replace("_", " ")


def _price_line(price: Any, currency: str) -> str:
    try:
        return format_price(Decimal(str(price)), currency, with_code=True)
    except InvalidOperation:
        return str(price)


def describe_fields(fields: dict[str, Any]) -> list[str]:
    """Human-readable lines for fields, in the order a marketer would check them."""
    lines = []
    simple = [("product_name", "product"), ("brand", "brand"), ("category", "category")]
    lines += [f"{label}: {fields[k]}" for k, label in simple if fields.get(k)]
    if fields.get("channel"):
        lines.append(f"channel: {_channel_label(fields['channel'])}")
    if fields.get("price") is not None:
        lines.append(f"price: {_price_line(fields['price'], str(fields.get('currency') or 'USD'))}")
    lines += [f"{label}: {fields[k]}" for k, label in [("audience", "audience"), ("tone", "tone")] if fields.get(k)]
    if fields.get("cta_goal"):
        goal = str(getattr(fields["cta_goal"], "value", fields["cta_goal"]))
        lines.append(f"call to action: {goal.replace('_', ' ')}")
    if fields.get("n_variants"):
        lines.append(f"variants: {fields['n_variants']}")
    if fields.get("features"):
        lines.append("features: " + "; ".join(fields["features"]))
    lines += [f"{k}: {v}" for k, v in (fields.get("attributes") or {}).items()]
    for key, label in [("required_words", "must include"), ("banned_words", "avoid"), ("sku", "sku"),
                       ("brand_voice", "brand voice"), ("reference_copy", "reference copy")]:
        value = fields.get(key)
        if value:
            lines.append(f"{label}: {', '.join(value) if isinstance(value, list) else value}")
    return lines


def _question(missing: list[str]) -> str | None:
    """One friendly question covering everything still missing, naming the default channel."""
    if not missing:
        return None
    default = _channel_label(Brief.model_fields["channel"].default)
    options = ", ".join(_channel_label(c) for c in Channel)
    channel_q = f"where will the copy run ({options})? If you don't say, I'll write a {default}."
    if missing == ["channel"]:
        return channel_q[0].upper() + channel_q[1:]
    if "channel" in missing:
        return f"What's the product called, and {channel_q}"
    return "What's the product called? A short name like 'Trailhead Steel Bottle' is perfect."


def parse_product_message(text: str, current: dict[str, Any] | None = None) -> ParsedBrief:
    """Read a plain-language product message into Brief fields merged onto `current` (earlier turns).

    Never raises on odd input; every value is bounded to the Brief's limits, and when `product_name` is present
    the fields validate with `Brief.model_validate`.
    """
    current = current if isinstance(current, dict) else {}
    draft = _Draft()
    raw = _prepare(text, draft)
    try:
        _extract(raw, draft, need_name=not current.get("product_name"))
        _infer_category(draft, raw, current)
    except RecursionError:  # pragma: no cover - defensive: regexes here are bounded
        draft.notes.append("the message could not be read")
    fields = merge_fields(current, draft.fields)
    missing = [f for f in ("product_name", "channel") if not fields.get(f)]
    return ParsedBrief(fields=fields, understood=describe_fields(draft.fields), missing=missing,
                       question=_question(missing), notes=_dedupe(draft.notes))


# ---------------------------------------------------------------------------------------------------------------
# Follow-ups

_POLITE_HEAD = re.compile(
    r"^(?:(?:ok(?:ay)?|hmm+|great|nice|cool|thanks|thank\s+you|please|pls|can\s+you|could\s+you|would\s+you"
    r"|let'?s|lets|and|also|actually|alright|right|so|now\s+(?=please))\b[\s,!.]*)+",
    re.IGNORECASE,
)
_POLITE_TAIL = re.compile(r"[\s,.!?]*(?:\b(?:please|pls|thanks|thank\s+you|thx)\b)?[\s.!?]*$", re.IGNORECASE)
_HELP = re.compile(r"^(?:help|\?+|commands|menu|what\s+can\s+(?:i|you)\s+(?:do|say)|how\s+does\s+this\s+work"
                   r"|what\s+are\s+(?:my|the)\s+options)\W*$", re.IGNORECASE)
_QUIT = re.compile(r"^(?:quit|exit|bye|goodbye|good\s+bye|stop|cancel|done|end|q|:q|i'?m\s+done|we'?re\s+done"
                   r"|that'?s\s+(?:all|it))\W*$", re.IGNORECASE)
_NEW_BRIEF = re.compile(r"^(?:(?:new|next|another|different)\s+(?:product|brief|item)|start\s+over|start\s+again"
                        r"|from\s+scratch|reset)\b\s*[:\-–—,.!]?\s*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_SEGMENT_SPLIT = re.compile(r"\s*(?:[;!]|\.(?=\s|$)|,(?!\s*(?:and\s+|&\s+)?#?\d)|\b(?:then|but|also|plus)\b"
                            r"|\band\b(?!\s*#?\d))\s*", re.IGNORECASE)

_NOT_REFS = re.compile(
    r"(?:[$€£¥₹]\s?\d[\d,.]*|\d+(?:\.\d+)?\s*(?:%|percent|words?|chars?|characters?|letters?|sentences?|x\b|times"
    r"|ml|oz|h\b|hours?|emojis?))",
    re.IGNORECASE,
)
_REF_RANGE = re.compile(r"#?\s*(\d{1,6})\s*(?:-|–|to|through|thru)\s*#?\s*(\d{1,6})\b", re.IGNORECASE)
_REF_NUMBER = re.compile(r"(?:(?<![\w.])|(?<=\bv))#?\s*(\d{1,2})(?:st|nd|rd|th)?\b", re.IGNORECASE)
_REF_WORD = re.compile(
    r"\b(?:variant|option|version|number|no\.?|copy|line|idea)\s*#?\s*(one|two|three|four|five|six|seven|eight)\b"
    r"|\b(first|second|third|fourth|fifth|sixth|seventh|eighth)\b",
    re.IGNORECASE,
)
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8}
_ALL = re.compile(r"\b(?:all|all\s+of\s+them|every(?:thing|\s+one|one)?|both|them\s+all|the\s+lot)\b", re.IGNORECASE)


def variant_refs(text: str) -> tuple[tuple[int, ...], bool]:
    """The 1-based variant numbers a message points at ('#2', 'redo 2 and 3', 'the second one', '1-3'),
    and whether it says 'all'. Prices, percentages and word counts are not variant numbers."""
    text = _NOT_REFS.sub(" ", str(text)[:MAX_FOLLOWUP_CHARS])
    refs: list[int] = []
    for m in _REF_RANGE.finditer(text):
        low, high = sorted((int(m.group(1)), int(m.group(2))))
        refs.extend(range(low, min(high, MAX_VARIANT_REF) + 1))
    text = _REF_RANGE.sub(" ", text)
    refs.extend(int(m.group(1)) for m in _REF_NUMBER.finditer(text))
    for m in _REF_WORD.finditer(text):
        refs.append(_NUMBER_WORDS[m.group(1).lower()] if m.group(1) else _ORDINALS[m.group(2).lower()])
    numbers = tuple(sorted({n for n in refs if 1 <= n <= MAX_VARIANT_REF}))
    return numbers, bool(_ALL.search(text))


_SHORTER = re.compile(
    r"\b(?:shorter|shorten|more\s+concise|concise|less\s+wordy|fewer\s+words|too\s+long|trim(?:\s+(?:it|them|down))?"
    r"|tighten(?:\s+(?:it|them))?(?:\s+up)?|tighter|cut\s+(?:it\s+|them\s+)?down|briefer|snappier|less\s+text"
    r"|(?:make|keep)\s+(?:it|them|this)\s+(?:short|brief|tight))\b",
    re.IGNORECASE,
)
_LONGER = re.compile(
    r"\b(?:longer|lengthen|too\s+short|more\s+detail(?:ed|s)?|add\s+(?:more\s+|some\s+)?details?|expand(?:\s+on)?"
    r"|elaborate|flesh\s+(?:it|them)\s+out|more\s+words|more\s+descriptive|more\s+copy"
    r"|(?:make|keep)\s+(?:it|them|this)\s+long)\b",
    re.IGNORECASE,
)
_ANOTHER_CTA = re.compile(
    r"\b(?:another|different|new|other|alternative|alternate|better|fresh|swap(?:\s+out)?(?:\s+the)?"
    r"|change(?:\s+the)?|replace(?:\s+the)?|redo(?:\s+the)?|try\s+(?:a|another)(?:\s+different)?)\s+"
    r"(?:cta|call[\s-]to[\s-]action|ending|closing\s+line|closer)s?\b"
    r"|\b(?:cta|call[\s-]to[\s-]action)s?\s+(?:should\s+be|to|as|for\s+a)\b"
    r"|\b(?:use|try|want|with)\s+(?:a|an)\s+[\w\s-]{1,24}?\s+(?:cta|call[\s-]to[\s-]action)\b",
    re.IGNORECASE,
)
_REJECT = re.compile(
    r"\b(?:drop|reject(?:ed)?|remove|delete|discard|scrap|ditch|kill|lose|toss|nix|bin|get\s+rid\s+of"
    r"|throw\s+(?:out|away)|i\s+(?:don'?t|do\s+not)\s+like|i\s+hate|hate|not\s+(?:a\s+fan\s+of|keen\s+on)|no\s+to)\b",
    re.IGNORECASE,
)
_REGENERATE = re.compile(
    r"\b(?:regenerate|regen|redo|re-do|rewrite|re-write|retry|try\s+again|try\s+(?:another|a\s+different|a\s+new)"
    r"(?:\s+(?:one|version|take))?|another\s+(?:go|try|round|batch|attempt|version|take)|new\s+(?:ones|batch|set"
    r"|versions|variants|options)|more\s+(?:options|variants|ideas|versions)|again|refresh|re-?roll|spin\s+again"
    r"|give\s+me\s+(?:others|different\s+ones|new\s+ones))\b",
    re.IGNORECASE,
)
_APPROVE_STRONG = re.compile(
    r"\b(?:approved?|approves|approving|ship(?:\s+it)?|publish|lgtm|looks?\s+(?:good|great|perfect)|love\s+it"
    r"|i'?ll\s+take|i\s+will\s+take|go\s+with|going\s+with|let'?s\s+(?:go\s+with|use)|we\s+have\s+a\s+winner"
    r"|accept(?:ed)?|sign(?:ed)?\s+off)\b",
    re.IGNORECASE,
)
_APPROVE_WEAK = re.compile(
    r"\b(?:i\s+(?:really\s+)?(?:like|love|prefer|pick|choose|want)|like|love|prefer|pick|choose|select|use|keep"
    r"|(?:is|are)\s+(?:the\s+)?(?:winner|best|perfect|great|good|the\s+one)|perfect|winner|yes)\b",
    re.IGNORECASE,
)
_APPROVE_EMOJI = re.compile("[✅👍✔☑💯]")
_ADJ = re.compile(r"^[a-z][a-z'-]{2,24}(?:ful|ous|ive|al|ic|y|ish|ing|ent|ant|ible|able|ed)$")
_NOT_TONE = frozenset(["details", "detail", "detailed", "info", "options", "variants", "words", "emoji", "emojis",
                       "text", "copy", "ideas", "versions", "length", "like", "natural"])
_MORE_WORD = re.compile(r"\b(?:more|a\s+bit\s+more|a\s+little\s+more|a\s+touch\s+more|much\s+more|even\s+more|extra"
                        r"|way\s+more|slightly\s+more)\s+(?P<w>[a-z][a-z'-]{1,24})\b", re.IGNORECASE)
_LESS_WORD = re.compile(r"\b(?:less|not\s+(?:so|as|too)|a\s+bit\s+less|a\s+little\s+less|way\s+less"
                        r"|tone\s+down(?:\s+the)?|(?:(?:way|a\s+bit|a\s+little|much|far)\s+)?too)"
                        r"\s+(?P<w>[a-z][a-z'-]{1,24})\b", re.IGNORECASE)
_MAKE_WORD = re.compile(r"\b(?:make|keep)\s+(?:it|them|this|that|#?\s*\d+(?:\s*(?:and|,|&)\s*#?\s*\d+)*)\s+"
                        r"(?:sound\s+|feel\s+|a\s+bit\s+|a\s+little\s+|more\s+)*(?P<w>[a-z][a-z'-]{1,24})\b",
                        re.IGNORECASE)


def _followup_tone(seg: str) -> tuple[str, str | None] | None:
    """The tone a follow-up asks for: 'more playful', 'less formal' -> friendly, 'funnier' -> witty."""
    lex = _lexicon()
    if m := _LESS_WORD.search(seg):
        word = _norm(m.group("w"))
        target = lex.tone_opposites.get(word) or lex.tone_opposites.get(lex.tone_canon.get(word, ""))
        if target:
            return target, _sentiment_of([target])
        if _ADJ.match(word) or word in lex.tone_canon:
            return clip_text(f"less {word}", PHRASE_CHARS), None
    for pattern in (_MORE_WORD, _MAKE_WORD):
        if (m := pattern.search(seg)) and (tone := _tone_name(m.group("w"))):
            return tone, _sentiment_of([tone])
    for word in _words(seg):
        if word in lex.tone_comparatives:
            return lex.tone_comparatives[word], _sentiment_of([lex.tone_comparatives[word]])
    tones = _tone_words(seg) if any(p.search(seg) for p in lex.tone_patterns) else _clause_tone(seg) or []
    if tones:
        return " and ".join(tones[:2]), _sentiment_of(tones)
    return None


def _tone_name(word: str) -> str | None:
    """A tone word as written, a comparative's tone ('funnier' -> witty), or an adjective-like word ('salesy')."""
    lex = _lexicon()
    word = _norm(word)
    if word in lex.tone_comparatives:
        return lex.tone_comparatives[word]
    if word in lex.tone_canon or (_ADJ.match(word) and word not in _NOT_TONE):
        return word
    return None


_SET_VERBS = r"(?:(?:set|change|update|make|switch|use|put|drop|lower|reduce|cut|raise|increase|bump)\s+)?"
_SET_PRICE = re.compile(r"^(?:(?:it'?s|it\s+is|it\s+costs|costs|now|price)\s+)+(?:only\s+|just\s+)?(?P<val>\S+)"
                        r"(?:\s+now)?$", re.IGNORECASE)
_RENAME = re.compile(r"^(?:call\s+(?:it|the\s+product|this)|rename\s+(?:it|the\s+product|this)?\s*(?:to|as)?"
                     r"|name\s+it)\s+(?P<val>.+)$", re.IGNORECASE)
_SET_AUDIENCE = re.compile(r"^(?:(?:make\s+it|target|aim\s+(?:it\s+)?at|now|it'?s|write\s+(?:it|them))\s+)?"
                           r"for\s+(?P<val>.+?)(?:\s+instead)?$", re.IGNORECASE)
_SET_COUNT = re.compile(rf"^(?:(?:give\s+me|make|i\s+want|i\s+need|we\s+need|generate|let'?s\s+do|do|write)\s+)?"
                        rf"(?P<n>{_NUM})\s+(?:variants?|options?|versions?)(?:\s+instead)?$", re.IGNORECASE)
_ADD_FEATURE = re.compile(r"^(?:also\s+)?(?:add\s+(?:the\s+|a\s+)?(?:feature|benefit|fact|detail)s?\s*:?|mention\s+that"
                          r"|also\s+mention|add\s+that)\s+(?P<val>.+)$", re.IGNORECASE)


def _set_key_pattern() -> re.Pattern[str]:
    return _compiled_set_key(_lexicon().attribute_alt)


@cache
def _compiled_set_key(attribute_alt: str) -> re.Pattern[str]:
    keys = ("price|cost|audience|target\\s+audience|target|brand|brand\\s+name|name|product\\s+name|category|sku"
            "|variants|number\\s+of\\s+variants|cta|call\\s+to\\s+action|goal|cta\\s+goal|banned\\s+words"
            "|required\\s+words|keywords|features?")
    return re.compile(rf"^{_SET_VERBS}(?:the\s+|its\s+|our\s+)?(?P<key>{keys}|{attribute_alt})\s*"
                      r"(?::|=|->|is(?:\s+now)?|are|to|should\s+be|will\s+be|down\s+to|up\s+to)\s*(?P<val>.+)$",
                      re.IGNORECASE)


def _followup_fields(seg: str) -> dict[str, Any]:
    """Field edits in a follow-up ('price is $25', 'audience: runners', "don't say cheap"), as a delta."""
    draft = _Draft()
    lex = _lexicon()
    if m := _set_key_pattern().match(seg):
        key = _norm(m.group("key"))
        _apply_key(_KEY_FIELDS.get(key) or f"attr:{lex.attribute_of[key]}", m.group("val"), draft)
    elif (m := _SET_PRICE.match(seg)) and _PRICE.search(m.group("val")):
        _parse_price_value(m.group("val"), draft)
    elif m := _RENAME.match(seg):
        _key_name(m.group("val"), draft)
    elif m := _SET_COUNT.match(seg):
        _set_variants(draft, _number(m.group("n")) or 1)
    elif m := _ADD_FEATURE.match(seg):
        draft.add("features", [_tidy(m.group("val"))])
    elif _BANNED.search(seg) or _REQUIRED.search(seg):
        _extract_word_lists(seg, draft)
    elif (m := _SET_AUDIENCE.match(seg)) and (who := _audience_span(m.group("val"))):
            draft.fields["audience"] = clip_text(who, SHORT_CHARS)
    return {k: v for k, v in draft.fields.items() if v not in (None, "", [], {})}


def _followup_channel(seg: str) -> Channel | None:
    """'now as a push notification', 'make it a tweet': a channel phrase with nothing else but glue words."""
    lex = _lexicon()
    for m in lex.phrases.finditer(seg):
        meaning = _lookup(lex.phrase_meaning, m.group(0))
        if meaning and meaning[0] == "channels":
            rest = seg[: m.start()] + " " + seg[m.end():]
            glue = {"into", "switch", "change", "turn", "try", "rewrite", "redo", "convert", "adapt", "instead",
                    "version", "same", "thing", "them", "this", "all", "write", "rework", "reuse", "regenerate",
                    "regen", "number", "variant", "#"}
            if _is_filler(rest, glue):
                return Channel(meaning[1])
    return None


def _segment_intent(seg: str) -> Followup | None:
    """One clause of a follow-up to one intent, most specific first."""
    refs, every = variant_refs(seg)
    base = {"variants": refs, "all_variants": every}
    if _ANOTHER_CTA.search(seg):
        goal = _phrase_meaning(seg, "cta_goals")
        return Followup(kind="another_cta", cta_goal=CtaGoal(goal) if goal else None, **base)
    if fields := _followup_fields(seg):
        return Followup(kind="set_field", fields=fields)
    if _SHORTER.search(seg):
        return Followup(kind="shorter", **base)
    if _LONGER.search(seg):
        return Followup(kind="longer", **base)
    if channel := _followup_channel(seg):
        return Followup(kind="channel", channel=channel, **base)
    if _REJECT.search(seg) and (refs or every):
        return Followup(kind="reject", **base)
    if tone := _followup_tone(seg):
        return Followup(kind="tone", tone=tone[0], sentiment=tone[1], **base)
    if _REGENERATE.search(seg):
        return Followup(kind="regenerate", variants=refs, all_variants=every or not refs)
    if _APPROVE_STRONG.search(seg) or _APPROVE_EMOJI.search(seg) or (_APPROVE_WEAK.search(seg) and (refs or every)):
        return Followup(kind="approve", **base)
    return None


def _segments(body: str) -> list[str]:
    """Split on clause breaks and 'and'/'then'/'but', gluing bare variant numbers back to the clause before."""
    out: list[str] = []
    for part in _SEGMENT_SPLIT.split(body):
        part = part.strip(" ,.")
        if not part:
            continue
        if out and _ONLY_REFS.fullmatch(part):
            out[-1] = f"{out[-1]} and {part}"
        else:
            out.append(part)
    return out


def _combine(items: list[Followup]) -> list[Followup]:
    """Merge neighbouring intents of one kind ('I like 1, ship it'); later edits inherit earlier variant numbers."""
    out: list[Followup] = []
    for item in items:
        prev = out[-1] if out else None
        unaimed = not (item.variants or item.all_variants)
        if prev and unaimed and item.kind in _MODIFY_KINDS and prev.kind in _MODIFY_KINDS:
            item = replace(item, variants=prev.variants, all_variants=prev.all_variants)
        if prev and prev.kind == item.kind and item.kind in {"approve", "reject", "regenerate", "tone", "set_field"}:
            out[-1] = _merge_pair(prev, item)
        else:
            out.append(item)
    return out


def _merge_pair(a: Followup, b: Followup) -> Followup:
    """One intent from two of the same kind: variant numbers, tones and field edits combined."""
    tone = a.tone if not b.tone or b.tone == a.tone else (f"{a.tone} and {b.tone}" if a.tone else b.tone)
    variants = tuple(sorted(set(a.variants) | set(b.variants)))
    every = (a.all_variants or b.all_variants) and not (a.kind == "regenerate" and variants)
    return replace(a, variants=variants, all_variants=every, tone=tone and clip_text(tone, PHRASE_CHARS),
                   fields=merge_fields(a.fields, b.fields))


def _whole_intent(body: str) -> Followup | None:
    if _HELP.match(body):
        return Followup(kind="help")
    if _QUIT.match(body):
        return Followup(kind="quit")
    if m := _NEW_BRIEF.match(body):
        return Followup(kind="new_brief", text=clip_text(m.group("rest"), MAX_MESSAGE_CHARS))
    return None


def _only_refs(seg: str) -> tuple[int, ...]:
    """Variant numbers from a clause that says nothing else ('the 3rd one', '#2')."""
    refs, _every = variant_refs(seg)
    rest = _REF_WORD.sub(" ", _REF_NUMBER.sub(" ", seg))
    return refs if refs and all(w in _FILLER for w in _words(rest)) else ()


def _with_refs(intent: Followup, refs: tuple[int, ...]) -> Followup:
    if not refs or intent.variants or intent.all_variants or intent.kind not in _REF_KINDS:
        return intent
    return replace(intent, variants=refs)


def _describes_product(seg: str) -> bool:
    """Whether unread text names a product or a size: then the message is product information, not a follow-up."""
    return bool(_lexicon().categories.search(seg) or _SIZE.search(seg))


def parse_followups(text: str) -> list[Followup]:
    """Every follow-up intent in a message, in order; [] when it reads as product information instead."""
    if not isinstance(text, str):
        return []
    body = _POLITE_HEAD.sub("", clean_text(text[: MAX_MESSAGE_CHARS * 2].replace("’", "'"))).strip()
    if whole := _whole_intent(body) or _whole_intent(_POLITE_TAIL.sub("", body)):
        return [whole]
    body = _POLITE_TAIL.sub("", body).strip()
    if not body or len(body) > MAX_FOLLOWUP_CHARS or INSTRUCTION.search(body):
        return []
    parsed: list[Followup] = []
    leftover: list[str] = []
    pending: tuple[int, ...] = ()
    for seg in _segments(body):
        if intent := _segment_intent(seg):
            parsed.append(_with_refs(intent, pending))
            pending = ()
        elif refs := _only_refs(seg):
            pending = refs  # "the 3rd one, but shorter": the numbers belong to the next intent
        elif not all(w in _FILLER for w in _words(seg)):
            leftover.append(seg)
    if pending and parsed:
        parsed[-1] = _with_refs(parsed[-1], pending)
    if not parsed or len(leftover) > len(parsed) or any(_describes_product(seg) for seg in leftover):
        return []
    combined = _combine(parsed)
    if leftover:
        combined[0] = replace(combined[0], unparsed=clip_text(", ".join(leftover), MAX_FOLLOWUP_CHARS))
    return combined


def parse_followup(text: str) -> Followup | None:
    """The follow-up intent in a message, or None when it is not one (treat it as more product information).

    A message with several intents ('make #2 shorter and more playful') returns the first, with the rest in `also`.
    Text that could not be read as an intent is in `unparsed`, for parse_product_message.
    """
    intents = parse_followups(text)
    if not intents:
        return None
    return replace(intents[0], also=tuple(intents[1:]))
