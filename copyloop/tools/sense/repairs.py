"""Repairs for the slips a small model makes with a true fact, so a draft that says the right thing in broken
grammar is mended instead of thrown away (each throw-away costs a whole model pass).

Only slips with one certain fix are repaired, and only where the fix leaves the draft with fewer sense findings:
"It has a single origin Colombian beans" loses its article; "It also has a smooth and low in acidity" says the
state as a state ("It is also smooth and low in acidity"), and "It also has a teal two-tone hoodie" what the
product is ("It is also a teal two-tone hoodie"); a countable thing gets the article it lacks ("It has
non-slip base" -> "It has a non-slip base"); a sentence that only says again what the draft said goes. Anything
else still goes back to the writer.
"""

from __future__ import annotations

import re

from copyloop.brief import Brief
from copyloop.result import Finding
from copyloop.tools.facts import Fact, brief_facts, with_article
from copyloop.tools.rulebook import load_rules, rule_cache
from copyloop.tools.sense.checks import sense_findings
from copyloop.tools.sense.vocabulary import COPY_WORDS_FILE
from copyloop.tools.words import split_sentences

MAX_REPAIRS = 4  # slips mended per draft; a draft with more is not worth mending
_ARTICLE = re.compile(r"^(?:a|an)\s+")
_PLURAL_VERBS = {"have", "come", "include", "feature", "offer"}
_OWNING = {"has", "have", "comes", "come", "includes", "include", "features", "feature", "offers", "offer"}


def repaired(text: str, brief: Brief) -> str:
    """The draft without filler sentences, and with its certain grammar slips mended, one at a time, each kept
    only if the findings shrink."""
    text = without_filler(text)
    findings = sense_findings(text, brief)
    for _ in range(MAX_REPAIRS):
        fixed = next((f for f in (_fix(text, finding, brief) for finding in findings) if f), None)
        if fixed is None:
            return text
        after = sense_findings(fixed, brief)
        if len(after) >= len(findings):
            return text
        text, findings = fixed, after
    return text


def without_filler(text: str) -> str:
    """The text without the stock sentences readers cut as filler (rules/copy_words.yaml `filler_sentences`),
    unless nothing else would be left."""
    filler = filler_sentences()
    sentences = split_sentences(text)
    kept = [s for s in sentences if s.strip(" .!").lower() not in filler]
    return " ".join(kept) if kept and len(kept) < len(sentences) else text


@rule_cache
def filler_sentences() -> frozenset[str]:
    """The filler list, lower-cased."""
    return frozenset(str(s).lower() for s in (load_rules(COPY_WORDS_FILE) or {}).get("filler_sentences") or [])


def _fix(text: str, finding: Finding, brief: Brief) -> str | None:
    start, end = finding.span
    if finding.rule_id == "sense.disfluent_restated":  # a sentence that says nothing new goes
        return (text[:start].rstrip() + " " + text[end:].lstrip(" .!")).strip()
    if finding.rule_id == "sense.disfluent_article_plural":
        return text[:start] + _ARTICLE.sub("", text[start:end], count=1) + text[end:]
    if finding.rule_id == "sense.disfluent_fact":
        fact = next((f for f in brief_facts(brief) if text[start:end].lower().endswith(_object(f).lower())), None)
        return _reframed(text, start, end, fact) if fact else None
    return None


def _object(fact: Fact) -> str:
    """What a wrong frame puts after its verb: the fact itself, or for "is a teal hoodie" the "a teal hoodie"."""
    return fact.text[3:] if fact.kind == "verb" and fact.text.startswith("is ") else fact.text


def _reframed(text: str, start: int, end: int, fact: Fact) -> str | None:
    """The fact in the frame its kind fits, in place of the wrong one."""
    said = text[start:end]
    verb = said.split()[0].lower()
    before, after = text[:start], text[end:]
    if fact.is_material and verb in _OWNING:  # "have 100% cotton muslin" -> "are made of 100% cotton muslin"
        return f"{before}{'are' if verb in _PLURAL_VERBS else 'is'} made of {fact.text}{after}"
    if fact.kind == "thing":  # "has non-slip base" -> "has a non-slip base"
        return f"{before}{said[: len(said) - len(fact.text)]}{with_article(fact.text)}{after}"
    if fact.kind not in ("state", "verb") or (fact.kind == "verb" and not fact.text.startswith("is ")):
        return None
    stated = said[len(said) - len(_object(fact)):]
    if re.match(r"\s*(?:and|with|plus|&)\b", after, re.IGNORECASE):
        return None  # "has a teal tee and relaxed fit": the verb governs the next object too
    if verb == "with":  # "Meet the X, with a smooth and low in acidity." -> "Meet the X, smooth and low in acidity."
        return f"{before}{stated}{after}" if before.endswith(", ") else None
    if verb not in _OWNING:
        return None
    be = "are" if verb in _PLURAL_VERBS else "is"
    if before.endswith("also "):  # "It also has a smooth ..." -> "It is also smooth ..."
        return f"{before[:-5]}{be} also {stated}{after}"
    return f"{before}{be} {stated}{after}"
