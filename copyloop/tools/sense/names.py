"""Name fidelity: the product is called by its exact name where the channel needs it, and never by a near miss.

A small model copies a coined name letter by letter and gets it wrong ("TrailCreek", "Trailswarm" for
"TrailCool"; "Sylva" for "Sylvia"). Any word of copy that is close to a distinctive word of the product's name
or brand without being it, or that splits or re-cases it, is a finding.
"""

from __future__ import annotations

import re

from copyloop.result import Finding
from copyloop.tools.grounding import phrase_in
from copyloop.tools.sense.context import BriefContext
from copyloop.tools.sense.lexicons import plural_pattern
from copyloop.tools.words import bare, is_camel_case, word_spans, zipf

COMMON_WORD_ZIPF = 3.0  # a word at least this common is an ordinary word, not a misspelt name
COINED_ZIPF = 1.5  # a name word this rare is coined ("Trailcool" for "TrailCool" is a misspelling, "crewneck" is not)
_PREFIX = 4  # a rare word opening with the same 4 letters as a coined name is a near miss ("Trailswarm")
# Where copy calls the product by name: "You'll love the X.", "Meet the X." — X a run of capitalised words.
_CALLED = re.compile(r"\b(?:love|meet|enjoy|hello to|favorite:) the ((?:[A-Z][\w'’+/-]*(?: |(?=[.!?,:;]|$))){1,4})"
                     r"(?=[.!?,:;]|$)")


def distinctive_words(ctx: BriefContext) -> set[str]:
    """Words of the product's names and brand a reader would notice misspelt: coined or rare, four letters or more."""
    sources = [*ctx.names, ctx.brief.brand or ""]
    return {w for source in sources for m in word_spans(source)
            if len(w := m.group(0)) >= 4 and w.isalpha() and (is_camel_case(w) or zipf(w) < COMMON_WORD_ZIPF)}


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def near_miss(word: str, name_word: str) -> bool:
    """Whether `word` looks like a misspelling of `name_word` (case ignored; an exact match is not a miss)."""
    a, b = bare(word), name_word.lower()
    if a == b or zipf(word) >= COMMON_WORD_ZIPF:
        return False
    if len(a) >= _PREFIX + 1 and a[:_PREFIX] == b[:_PREFIX]:
        return True
    return _edit_distance(a, b) <= max(1, len(b) // 4)


def _name_spans(text: str, ctx: BriefContext) -> list[tuple[int, int]]:
    """Where the exact names (and the brand) sit, so their own words are not judged as misses."""
    spans = []
    for name in (*ctx.names, ctx.brief.brand or ""):
        if name:
            pattern = re.compile(rf"(?<!\w){plural_pattern(name)}(?!\w)")
            spans += [m.span() for m in pattern.finditer(text)]
    return spans


def fragment_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """The product called by a piece of its name that is none of its names ("You'll love the Beeswax." for Burt's
    Bees Beeswax Lip Balm): a reader meets a product nobody named. The brand alone is a name."""
    names = {n.lower() for n in (*ctx.names, ctx.brief.brand or "") if n}
    findings = []
    for match in _CALLED.finditer(text):
        called = match.group(1).strip()
        if called.lower() not in names and phrase_in(called, ctx.brief.product_name, case_sensitive=True):
            findings.append(Finding(rule_id="sense.name_fragment", severity="block", span=match.span(1),
                                    matched=called, message=f"{called!r} is a piece of the product's name, not a "
                                                            f"name for it."))
    return findings


def name_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """Missing required name, near-miss spellings, split or re-cased name words, pieces of the name."""
    findings: list[Finding] = []
    if ctx.required_names and not any(phrase_in(n, text, case_sensitive=True) for n in ctx.required_names):
        wanted = " or ".join(f"'{n}'" for n in ctx.required_names)
        findings.append(Finding(rule_id="sense.name_missing", severity="block", span=(0, 0), matched="",
                                message=f"The copy must name the product exactly: {wanted}."))
    protected = _name_spans(text, ctx)
    distinctive = distinctive_words(ctx)
    tokens = word_spans(text)
    for i, match in enumerate(tokens):
        if any(s <= match.start() and match.end() <= e for s, e in protected):
            continue
        word = match.group(0)
        joined = word + tokens[i + 1].group(0) if i + 1 < len(tokens) else ""
        for name_word in distinctive:
            coined = is_camel_case(name_word) or zipf(name_word) < COINED_ZIPF
            recased = coined and bare(word) == name_word.lower() and word != name_word and not word.isupper()
            split = joined.lower() == name_word.lower() and text[match.end():tokens[i + 1].start()].strip(" -") == ""
            if recased or split or near_miss(word, name_word):
                end = tokens[i + 1].end() if split else match.end()
                findings.append(Finding(rule_id="sense.name_mangled", severity="block", span=(match.start(), end),
                                        matched=text[match.start():end],
                                        message=f"{text[match.start():end]!r} is not how the product is spelt "
                                                f"({name_word!r})."))
                break
    return findings + fragment_findings(text, ctx)
