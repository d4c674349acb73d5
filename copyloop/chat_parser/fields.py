"""Field extraction from a product message: injections dropped, then price, word lists, key: value pairs, names,
counts, channel, SKU and brand, tone and audience, each taken out of the text once found."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from copyloop.brief import (
    SENTIMENT_BANDS,
    Channel,
    CtaGoal,
    clip_text,
)
from copyloop.chat_parser.lexicon import _KEY_FIELDS, _lexicon, _lookup, _norm
from copyloop.chat_parser.limits import (
    BRAND_VOICE_CHARS,
    FEATURE_CHARS,
    LIST_FIELDS,
    MAX_ATTRIBUTES,
    MAX_PRICE,
    MAX_VARIANTS,
    NAME_CHARS,
    NAME_WORDS,
    PHRASE_CHARS,
    REFERENCE_CHARS,
    SEP,
    SHORT_CHARS,
    SKU_CHARS,
)
from copyloop.chat_parser.text import (
    _INJECTION_NOTE,
    _LIST_SPLIT,
    _NAME_CHARS_RE,
    _NOT_TONE_CHARS,
    _NUM,
    _NUM_RE,
    _PEOPLE_SUFFIX,
    _QUOTED,
    _SKU_VALUE,
    _VALUE_END,
    _WHO,
    _dedupe,
    _is_filler,
    _number,
    _tidy,
    _words,
)
from copyloop.tools.injection import INSTRUCTION

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
