"""Invented entities: brands, stores, platforms, organisations, people, places and websites the brief never names.

Three signals, strongest first: a known name (rules/entities.yaml, the gazetteer); a capitalised word in the
middle of a sentence of sentence-case copy (nothing but a name is capitalised there); and, where every word is
capitalised anyway (titles, sentence starts), a capitalised word English rarely uses ("Mirai's", "Benoit").
Anything the brief itself says is allowed.
"""

from __future__ import annotations

import re

from copyloop.result import Finding
from copyloop.tools.cta import cta_spans
from copyloop.tools.grounding import phrase_in
from copyloop.tools.sense.context import BriefContext
from copyloop.tools.sense.lexicons import entities
from copyloop.tools.words import bare, is_camel_case, word_spans, zipf

RARE_NAME_ZIPF = 2.6  # a capitalised word rarer than this, in a title or opening a sentence, is taken for a name
TITLE_CASE_SHARE = 0.6  # share of capitalised longer words above which a text is written in title case
_WEBSITE = re.compile(r"(?:https?://|www\.)\S+|(?<![\w@])[\w-]+\.(?:com|net|org|co|io|shop|store|us|uk|de)\b|"
                      r"(?<!\w)@[A-Za-z_]\w{2,}", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"^I(?:['’][a-z]+)?$")  # "I", "I'm": the first-person rule's, not a name
_SEGMENT_START = re.compile(r"(?:^|[.!?…:;\n]|\s[-–—|]\s)[\s\"'“‘(\[#]*$")


def _finding(text: str, start: int, end: int, why: str) -> Finding:
    matched = text[start:end]
    return Finding(rule_id="sense.entity", severity="block", span=(start, end), matched=matched,
                   message=f"{matched!r} {why}; copy may only name what the brief names.")


def is_title_case(text: str) -> bool:
    """Whether the text capitalises most longer words, as titles and headlines do."""
    longer = [m.group(0) for m in word_spans(text) if len(m.group(0)) >= 4 and m.group(0).isalpha()]
    return bool(longer) and sum(w[0].isupper() for w in longer) / len(longer) >= TITLE_CASE_SHARE


def _known_names(text: str, ctx: BriefContext, tokens: list[re.Match[str]],
                 taken: list[tuple[int, int]]) -> list[Finding]:
    found, known = [], entities()
    i = 0
    while i < len(tokens):
        hit = None
        for size in range(min(known.longest, len(tokens) - i), 0, -1):
            start, end = tokens[i].start(), tokens[i + size - 1].end()
            phrase = " ".join(bare(t.group(0)) for t in tokens[i:i + size])
            first = tokens[i].group(0)
            named = first[0].isupper() or is_camel_case(first)  # "Amazon", "eBay"; not "amazon" the river word
            if named and phrase in known.names and not phrase_in(text[start:end], ctx.fact_text) \
                    and not any(s <= start and end <= e for s, e in taken):
                hit = (start, end, size)
                break
        if hit:
            found.append(_finding(text, hit[0], hit[1], "is a brand, store, platform, person or place"))
            i += hit[2]
        else:
            i += 1
    return found


def _looks_like_name(word: str, following: str | None, at_start: bool, title: bool) -> bool:
    """Whether a capitalised word the brief does not use reads as a name here."""
    if not (at_start or title):
        return True
    if zipf(word) < RARE_NAME_ZIPF or (is_camel_case(word) and zipf(word) < 4):
        return True
    if re.search(r"['’]s$", word) and zipf(word) < 4:
        return True
    return (bare(word) in entities().first_names and following is not None and following[:1].isupper()
            and zipf(following) < 4.5)


def entity_findings(text: str, ctx: BriefContext, judged: list[tuple[int, int]] = ()) -> list[Finding]:
    """Every name in the copy that the brief does not give; `judged` spans (a mangled product name) are left out."""
    findings = [_finding(text, m.start(), m.end(), "is a website or handle")
                for m in _WEBSITE.finditer(text) if not phrase_in(m.group(0), ctx.fact_text)]
    tokens = word_spans(text)
    common = entities().common_phrases
    harmless = [m.span() for m in common.finditer(text)] if common else []
    findings += _known_names(text, ctx, tokens, harmless)
    taken = [f.span for f in findings] + cta_spans(text) + list(judged) + harmless
    title = is_title_case(text)
    common = entities().common_capitalised
    run: list[re.Match[str]] = []
    for i, match in enumerate(tokens):
        word = match.group(0)
        inside = any(s <= match.start() and match.end() <= e for s, e in taken)
        skip = (inside or not word[0].isupper() or word[0].isdigit() or bare(word) in ctx.words or bare(word) in common
                or _FIRST_PERSON.match(word) or (word.isupper() and zipf(word) >= RARE_NAME_ZIPF))
        following = tokens[i + 1].group(0) if i + 1 < len(tokens) else None
        at_start = bool(_SEGMENT_START.search(text[:match.start()]))
        if not skip and _looks_like_name(word, following, at_start, title):
            run.append(match)
            continue
        if run:
            findings.append(_finding(text, run[0].start(), run[-1].end(), "looks like a name the brief never gives"))
            run = []
    if run:
        findings.append(_finding(text, run[0].start(), run[-1].end(), "looks like a name the brief never gives"))
    return sorted(findings, key=lambda f: f.span)
