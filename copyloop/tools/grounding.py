"""Grounding: copy may only state facts the brief gives.

Two checks, both pure and regex-based so they run inside reward functions:
numbers (with their units, prices included) must appear numerically in `brief.fact_text()`, and attribute words
from rules/attributes.yaml (materials, colours, certifications...) must appear in it too. `grounding_score`
rewards copy for using the brief's key facts and zeroes it when anything is invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from copyloop.brief import Brief, Channel, format_price
from copyloop.errors import CopyloopError
from copyloop.result import Finding
from copyloop.tools.reward_inputs import completion_text, reward_briefs
from copyloop.tools.rulebook import load_rules, rule_cache

ATTRIBUTES_FILE = "attributes.yaml"
# Fix instruction understood by compliance.fix_findings: drop the sentence, or only the match if it is the only one.
DROP_SENTENCE = "drop_sentence"

# ---------------------------------------------------------------------------------------------------- phrases


def phrase_regex(phrase: str) -> str:
    """Regex source for a phrase where runs of spaces/hyphens match any spacing ("BPA-free" == "BPA free")."""
    tokens = [re.escape(t) for t in re.split(r"[\s\-]+", phrase.strip()) if t]
    return r"[\s\-]*".join(tokens)


@lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str, case_sensitive: bool) -> re.Pattern[str] | None:
    source = phrase_regex(phrase)
    if not source:
        return None
    return re.compile(rf"(?<!\w){source}(?!\w)", 0 if case_sensitive else re.IGNORECASE)


def phrase_in(phrase: str, text: str, case_sensitive: bool = False) -> bool:
    """Whether `phrase` occurs in `text` as whole words, tolerant of spacing and hyphens."""
    pattern = _phrase_pattern(phrase, case_sensitive)
    return bool(pattern and pattern.search(text))


# ---------------------------------------------------------------------------------------------------- numbers

_UNIT_CANON: dict[str, str] = {
    "%": "%", "percent": "%", "pct": "%",
    "ml": "ml", "milliliter": "ml", "milliliters": "ml", "millilitre": "ml", "millilitres": "ml",
    "l": "l", "liter": "l", "liters": "l", "litre": "l", "litres": "l", "ltr": "l",
    "fl oz": "oz", "fl. oz": "oz", "oz": "oz", "ounce": "oz", "ounces": "oz",
    "g": "g", "gram": "g", "grams": "g", "kg": "kg", "kilo": "kg", "kilos": "kg", "kilogram": "kg",
    "kilograms": "kg", "mg": "mg", "mcg": "mcg", "µg": "mcg", "lb": "lb", "lbs": "lb", "pound": "lb", "pounds": "lb",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "min": "min", "mins": "min", "minute": "min", "minutes": "min",
    "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month", "months": "month",
    "year": "year", "years": "year", "yr": "year", "yrs": "year",
    '"': "in", "″": "in", "inch": "in", "inches": "in", "cm": "cm", "mm": "mm", "ft": "ft", "feet": "ft",
    "foot": "ft", "km": "km", "mile": "mile", "miles": "mile", "mph": "mph",
    "gb": "gb", "tb": "tb", "mb": "mb", "mah": "mah", "wh": "wh", "w": "w", "watt": "w", "watts": "w",
    "v": "v", "volt": "v", "volts": "v", "ghz": "ghz", "mhz": "mhz", "hz": "hz", "mp": "mp",
    "megapixel": "mp", "megapixels": "mp", "fps": "fps", "rpm": "rpm", "db": "db", "lumen": "lm", "lumens": "lm",
    "k": "k", "x": "x", "cal": "kcal", "calorie": "kcal", "calories": "kcal", "kcal": "kcal",
    "pack": "count", "pk": "count", "pcs": "count", "piece": "count", "pieces": "count", "count": "count",
    "ct": "count", "serving": "serving", "servings": "serving", "capsule": "dose", "capsules": "dose",
    "caps": "dose", "tablet": "dose", "tablets": "dose", "softgels": "dose", "gummies": "dose",
    "star": "star", "stars": "star", "color": "color", "colors": "color", "colour": "color", "colours": "color",
    "size": "size", "sizes": "size", "°f": "degf", "°c": "degc", "degrees": "deg", "°": "deg",
    "st": "ord", "nd": "ord", "rd": "ord", "th": "ord",
    "usd": "money", "eur": "money", "gbp": "money", "cad": "money", "aud": "money", "inr": "money",
    "jpy": "money", "sek": "money", "nok": "money", "dkk": "money", "chf": "money", "dollar": "money",
    "dollars": "money", "euro": "money", "euros": "money", "bucks": "money",
}  # fmt: skip
MONEY = "money"

_QUOTE_UNITS = {'"', "″"}
_WORD_UNITS = sorted((u for u in _UNIT_CANON if u not in _QUOTE_UNITS), key=len, reverse=True)
_NUMBER = re.compile(
    r"(?<![\w.#/:])(?<!\d,)"
    r"(?P<cur>US\$|CA\$|A\$|[$€£¥₹]|(?:USD|EUR|GBP|CAD|AUD|INR|JPY)\s?)?"
    r"(?:(?P<ratio>[0-9]+(?:[/:][0-9]+)+)|(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?))"
    r"(?P<unit>[\"″]|[\s-]?(?:" + "|".join(re.escape(u) for u in _WORD_UNITS) + r")(?![a-zA-Z]))?"
    r"(?!\w)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quantity:
    """A number as written in copy: its value, canonical unit (None if bare) and where it is."""

    value: Decimal
    unit: str | None
    span: tuple[int, int]
    raw: str
    ratio: str | None = None


def _unit_of(match: re.Match[str]) -> str | None:
    if match.group("cur"):
        return MONEY
    raw = match.group("unit")
    if not raw:
        return None
    return _UNIT_CANON.get(raw.strip(" \t-").lower())


def quantities(text: str) -> list[Quantity]:
    """Every number in the text with its unit; ratios like 24/7 keep their literal form."""
    found = []
    for m in _NUMBER.finditer(text):
        ratio = m.group("ratio")
        digits = ratio.split("/")[0].split(":")[0] if ratio else m.group("num").replace(",", "")
        try:
            value = Decimal(digits)
        except InvalidOperation:
            continue
        found.append(Quantity(value, _unit_of(m), m.span(), m.group(0), ratio))
    return found


def _fact_numbers(brief: Brief, facts: str) -> dict[Decimal, set[str | None]]:
    """Value -> units the brief uses it with; the brief's price always counts as money."""
    table: dict[Decimal, set[str | None]] = {}
    for q in quantities(facts):
        table.setdefault(q.value, set()).add(q.unit)
    if brief.price is not None:
        table.setdefault(Decimal(brief.price), set()).add(MONEY)
    return table


def _number_grounded(q: Quantity, table: dict[Decimal, set[str | None]], facts: str) -> bool:
    """A number is grounded if the brief has the same value with the same unit, or either side has no unit."""
    if q.ratio:
        return phrase_in(q.ratio, facts)
    units = table.get(q.value)
    if units is None:
        return False
    return q.unit is None or None in units or q.unit in units


def _number_finding(q: Quantity, brief: Brief) -> Finding:
    if q.unit == MONEY:
        price = format_price(brief.price, brief.currency) if brief.price is not None else "none given"
        return Finding(rule_id="facts.invented_price", severity="block", span=q.span, matched=q.raw,
                       message=f"Price {q.raw!r} is not in the brief (brief price: {price}).", fix=DROP_SENTENCE)
    return Finding(rule_id="facts.invented_number", severity="block", span=q.span, matched=q.raw,
                   message=f"{q.raw!r} is not a number the brief gives; copy may only state the brief's facts.",
                   fix=DROP_SENTENCE)


def invented_numbers(text: str, brief: Brief, facts: str | None = None) -> list[Finding]:
    """Numbers (and prices) in the text that the brief does not state."""
    facts = brief.fact_text() if facts is None else facts
    table = _fact_numbers(brief, facts)
    return [_number_finding(q, brief) for q in quantities(text) if not _number_grounded(q, table, facts)]


# ---------------------------------------------------------------------------------------------------- attributes


@dataclass(frozen=True)
class Vocabulary:
    """attributes.yaml compiled: one scanning regex plus the synonym group of each phrase."""

    scan: re.Pattern[str] | None
    groups: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]
    patterns: tuple[re.Pattern[str], ...]
    ignore: re.Pattern[str] | None


def _entries(raw: Any) -> list[tuple[str, ...]]:
    groups = []
    for kind, items in (raw or {}).items():
        if not isinstance(items, list):
            raise CopyloopError(f"{ATTRIBUTES_FILE}: kind {kind!r} must be a list of phrases")
        for item in items:
            words = tuple(str(w) for w in item) if isinstance(item, list) else (str(item),)
            if any(w.strip() for w in words):
                groups.append(tuple(w for w in words if w.strip()))
    return groups


def _compile_vocabulary(raw: Any) -> Vocabulary:
    raw = raw or {}
    groups = _entries(raw.get("kinds"))
    phrases = sorted({p for g in groups for p in g}, key=len, reverse=True)
    scan = re.compile(rf"(?<!\w)(?:{'|'.join(phrase_regex(p) for p in phrases)})(?!\w)", re.IGNORECASE) if phrases \
        else None
    lookup = tuple((re.compile(phrase_regex(p), re.IGNORECASE), g) for g in groups for p in g)
    try:
        patterns = tuple(re.compile(str(p), re.IGNORECASE) for p in raw.get("patterns") or [])
    except re.error as exc:
        raise CopyloopError(f"{ATTRIBUTES_FILE}: bad pattern: {exc}") from None
    ignore_list = [phrase_regex(str(p)) for p in raw.get("ignore") or [] if str(p).strip()]
    ignore = re.compile(rf"(?<!\w)(?:{'|'.join(ignore_list)})(?!\w)", re.IGNORECASE) if ignore_list else None
    return Vocabulary(scan, lookup, patterns, ignore)


@rule_cache
def vocabulary() -> Vocabulary:
    """The active rulebook's attribute vocabulary, compiled once per rulebook."""
    return _compile_vocabulary(load_rules(ATTRIBUTES_FILE))


@rule_cache
def colour_words() -> frozenset[str]:
    """The plain colour words of the attribute vocabulary ("navy", "gray"), which a sentence writes in lower case."""
    return frozenset(w.lower() for group in _entries({"colors": (load_rules(ATTRIBUTES_FILE) or {}).get("kinds", {})
                                                     .get("colors") or []}) for w in group)


def _blank(text: str, pattern: re.Pattern[str] | None) -> str:
    """Replace matches with spaces so offsets stay valid while the words stop counting."""
    if pattern is None:
        return text
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def _synonyms(vocab: Vocabulary, matched: str) -> tuple[str, ...]:
    for pattern, group in vocab.groups:
        if pattern.fullmatch(matched):
            return group
    return (matched,)


def _attribute_finding(text: str, span: tuple[int, int]) -> Finding:
    matched = text[span[0]:span[1]]
    return Finding(rule_id="facts.invented_attribute", severity="block", span=span, matched=matched,
                   message=f"{matched!r} is not in the brief; copy may not claim attributes the product may lack.",
                   fix=DROP_SENTENCE)


def invented_attributes(text: str, brief: Brief, facts: str | None = None) -> list[Finding]:
    """Vocabulary attributes (materials, colours, certifications...) in the text that the brief never states."""
    facts = brief.fact_text() if facts is None else facts
    vocab = vocabulary()
    scan_text = _blank(text, vocab.ignore)
    findings: list[Finding] = []
    if vocab.scan is not None:
        for m in vocab.scan.finditer(scan_text):
            if not any(phrase_in(word, facts) for word in _synonyms(vocab, m.group(0))):
                findings.append(_attribute_finding(text, m.span()))
    for pattern in vocab.patterns:
        for m in pattern.finditer(scan_text):
            key = m.group("key") if "key" in pattern.groupindex and m.group("key") else m.group(0)
            overlaps = any(f.span[0] < m.end() and m.start() < f.span[1] for f in findings)
            if m.end() > m.start() and not overlaps and not phrase_in(key, facts):
                findings.append(_attribute_finding(text, m.span()))
    return findings


def invented_facts(text: str, brief: Brief) -> list[Finding]:
    """Numbers, prices and attribute words in the text that the brief does not give, in text order."""
    if not text or not isinstance(text, str):
        return []
    facts = brief.fact_text()
    findings = invented_numbers(text, brief, facts) + invented_attributes(text, brief, facts)
    return sorted(findings, key=lambda f: f.span)


# ---------------------------------------------------------------------------------------------------- score

# How many key facts copy on each channel can reasonably carry; a search headline is not expected to use six.
FACTS_EXPECTED: dict[str, int] = {
    Channel.PRODUCT_DESCRIPTION.value: 4,
    Channel.SOCIAL_POST.value: 3,
    Channel.PUSH_NOTIFICATION.value: 2,
    Channel.PRODUCT_TITLE.value: 2,
    Channel.EMAIL_SUBJECT.value: 1,
    Channel.SEARCH_AD_HEADLINE.value: 1,
}
_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "for", "from", "has", "have", "in", "is", "it", "its", "of",
    "on", "or", "our", "that", "the", "this", "to", "with", "your", "you",
})
_TOKEN = re.compile(r"[a-z]+|[0-9]+(?:\.[0-9]+)?")


def _stem(word: str) -> str:
    """Crude suffix stripping so 'keeps'/'keep', 'handles'/'handle', 'insulated'/'insulation' and
    'vertically'/'vertical' overlap; good enough for overlap."""
    if len(word) > 5 and word.endswith("ies"):
        return word[:-3] + "y"
    if (len(word) > 4 and word.endswith("es") and word[-3] in "sxz") or word.endswith(("ches", "shes")):
        return word[:-2]
    for suffix in ("ation", "ing", "ly", "ed", "e", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_tokens(text: str) -> set[str]:
    """The text's content words, stemmed: what two texts must share to talk about the same thing."""
    return {_stem(t) for t in _TOKEN.findall(text.lower().replace(",", "")) if t not in _STOPWORDS}


def stemmed_words(text: str) -> list[str]:
    """The text's words in order, lower-cased and stemmed: for phrases that may differ in number ("every hiker",
    "hikers")."""
    return [_stem(t) for t in _TOKEN.findall(text.lower().replace(",", ""))]


def key_facts(brief: Brief) -> list[str]:
    """The facts copy is expected to use: the product name, each feature, each attribute value."""
    return [brief.product_name, *brief.features, *brief.attributes.values()]


def _fact_used(fact: str, text_tokens: set[str]) -> bool:
    tokens = content_tokens(fact)
    return bool(tokens) and len(tokens & text_tokens) / len(tokens) >= 0.5


def mentions_product(text: str, brief: Brief) -> bool:
    """Whether the copy names the product: any content word of its name (or its brand) appears."""
    text_tokens = content_tokens(text)
    return bool((content_tokens(brief.product_name) | content_tokens(brief.brand or "")) & text_tokens)


def missing_required_words(text: str, brief: Brief) -> list[str]:
    """The brief's required words that the copy does not use."""
    return [w for w in brief.required_words if not phrase_in(w, text)]


def grounding_score(text: str, brief: Brief) -> float:
    """Share of the key facts the text uses (capped by what the channel can carry); 0 if anything is invented."""
    if not text or not isinstance(text, str) or not text.strip():
        return 0.0
    if invented_facts(text, brief):
        return 0.0
    facts = [f for f in key_facts(brief) if content_tokens(f)]
    if not facts:
        return 1.0
    text_tokens = content_tokens(text)
    used = sum(_fact_used(f, text_tokens) for f in facts)
    expected = min(len(facts), FACTS_EXPECTED.get(Channel(brief.channel).value, 3))
    return min(1.0, used / expected)


# ---------------------------------------------------------------------------------------------------- rewards


def grounding_reward(prompts: list[Any], completions: list[Any], briefs: list[Any] | None = None,
                     **kw: Any) -> list[float]:
    """trl reward function: grounding_score of each completion against its brief, in [0, 1]."""
    del prompts
    return [grounding_score(completion_text(c), b) for c, b in zip(completions, reward_briefs(completions, briefs, kw),
                                                                    strict=True)]
