"""Follow-ups on an existing result: segments of a message to intents (shorter, another tone, approve #2, set the
price, …) with the variants they refer to."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from copyloop.brief import (
    Channel,
    CtaGoal,
    clean_text,
    clip_text,
)
from copyloop.chat_parser.fields import (
    _BANNED,
    _PRICE,
    _REQUIRED,
    _apply_key,
    _audience_span,
    _Draft,
    _extract_word_lists,
    _key_name,
    _parse_price_value,
    _phrase_meaning,
    _sentiment_of,
    _set_variants,
    _tone_words,
)
from copyloop.chat_parser.lexicon import _KEY_FIELDS, _lexicon, _lookup, _norm
from copyloop.chat_parser.limits import (
    MAX_FOLLOWUP_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_VARIANT_REF,
    PHRASE_CHARS,
    SHORT_CHARS,
)
from copyloop.chat_parser.parsed import _MODIFY_KINDS, _REF_KINDS, Followup, Intent
from copyloop.chat_parser.product import _clause_tone, merge_fields
from copyloop.chat_parser.text import (
    _FILLER,
    _NUM,
    _NUMBER_WORDS,
    _ONLY_REFS,
    _SIZE,
    _is_filler,
    _number,
    _tidy,
    _words,
)
from copyloop.tools.injection import INSTRUCTION
from copyloop.tools.rulebook import rule_cache

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


@rule_cache
def _set_key_pattern() -> re.Pattern[str]:
    """'set the price to ...', with the lexicon's attribute keys among the keys."""
    attribute_alt = _lexicon().attribute_alt
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
        return Followup(kind=Intent.ANOTHER_CTA, cta_goal=CtaGoal(goal) if goal else None, **base)
    if fields := _followup_fields(seg):
        return Followup(kind=Intent.SET_FIELD, fields=fields)
    if _SHORTER.search(seg):
        return Followup(kind=Intent.SHORTER, **base)
    if _LONGER.search(seg):
        return Followup(kind=Intent.LONGER, **base)
    if channel := _followup_channel(seg):
        return Followup(kind=Intent.CHANNEL, channel=channel, **base)
    if _REJECT.search(seg) and (refs or every):
        return Followup(kind=Intent.REJECT, **base)
    if tone := _followup_tone(seg):
        return Followup(kind=Intent.TONE, tone=tone[0], sentiment=tone[1], **base)
    if _REGENERATE.search(seg):
        return Followup(kind=Intent.REGENERATE, variants=refs, all_variants=every or not refs)
    if _APPROVE_STRONG.search(seg) or _APPROVE_EMOJI.search(seg) or (_APPROVE_WEAK.search(seg) and (refs or every)):
        return Followup(kind=Intent.APPROVE, **base)
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


_MERGEABLE = frozenset({Intent.APPROVE, Intent.REJECT, Intent.REGENERATE, Intent.TONE, Intent.SET_FIELD})


def _combine(items: list[Followup]) -> list[Followup]:
    """Merge neighbouring intents of one kind ('I like 1, ship it'); later edits inherit earlier variant numbers."""
    out: list[Followup] = []
    for item in items:
        prev = out[-1] if out else None
        unaimed = not (item.variants or item.all_variants)
        if prev and unaimed and item.kind in _MODIFY_KINDS and prev.kind in _MODIFY_KINDS:
            item = replace(item, variants=prev.variants, all_variants=prev.all_variants)
        if prev and prev.kind == item.kind and item.kind in _MERGEABLE:
            out[-1] = _merge_pair(prev, item)
        else:
            out.append(item)
    return out


def _merge_pair(a: Followup, b: Followup) -> Followup:
    """One intent from two of the same kind: variant numbers, tones and field edits combined."""
    tone = a.tone if not b.tone or b.tone == a.tone else (f"{a.tone} and {b.tone}" if a.tone else b.tone)
    variants = tuple(sorted(set(a.variants) | set(b.variants)))
    every = (a.all_variants or b.all_variants) and not (a.kind == Intent.REGENERATE and variants)
    return replace(a, variants=variants, all_variants=every, tone=tone and clip_text(tone, PHRASE_CHARS),
                   fields=merge_fields(a.fields, b.fields))


def _whole_intent(body: str) -> Followup | None:
    if _HELP.match(body):
        return Followup(kind=Intent.HELP)
    if _QUIT.match(body):
        return Followup(kind=Intent.QUIT)
    if m := _NEW_BRIEF.match(body):
        return Followup(kind=Intent.NEW_BRIEF, text=clip_text(m.group("rest"), MAX_MESSAGE_CHARS))
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
