"""A product message as a whole: what extraction left, split into clauses (name, features, tone, CTA), merged onto the
conversation's fields, described back, and the question to ask next."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from copyloop.brief import (
    Brief,
    Channel,
    CtaGoal,
    clean_text,
    clip_text,
    format_price,
)
from copyloop.chat_parser.fields import (
    _Draft,
    _drop_injections,
    _extract_audience,
    _extract_called,
    _extract_channel,
    _extract_key_values,
    _extract_price,
    _extract_quoted_name,
    _extract_sku_and_brand,
    _extract_tone,
    _extract_variant_count,
    _extract_word_lists,
    _set_tone,
    _tone_words,
)
from copyloop.chat_parser.lexicon import _lexicon, _lookup, _norm
from copyloop.chat_parser.limits import LIST_FIELDS, MAX_ATTRIBUTES, MAX_MESSAGE_CHARS, NAME_CHARS, NAME_WORDS, SEP
from copyloop.chat_parser.parsed import ParsedBrief
from copyloop.chat_parser.text import (
    _CLAUSE_SPLIT,
    _DETERMINERS,
    _INJECTION_NOTE,
    _NAME_CHARS_RE,
    _NAME_INTRO,
    _NEW_PRODUCT,
    _NP_START,
    _PARTICIPLE,
    _ROLE_TURN,
    _ROLE_WORD,
    _SIZE,
    _SMALL_WORDS,
    _TAIL_GLUE,
    _TAIL_STARTERS,
    _dedupe,
    _is_filler,
    _tidy,
    _words,
)
from copyloop.tools.channels import channel_spec
from copyloop.tools.chat_template import TEMPLATE_TURN

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
