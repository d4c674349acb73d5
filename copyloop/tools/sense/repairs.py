"""Repairs for the slips a small model makes with a true fact, so a draft that says the right thing in broken
grammar is mended instead of thrown away (each throw-away costs a whole model pass).

Only slips with one certain fix are repaired, and only where the fix leaves the draft with fewer sense findings:
"It has a single origin Colombian beans" loses its article; "It also has a smooth and low in acidity" says the
state as a state ("It is also smooth and low in acidity"), and "It also has a teal two-tone hoodie" what the
product is ("It is also a teal two-tone hoodie"); a countable thing gets the article it lacks ("It has
non-slip base" -> "It has a non-slip base"); a sentence that only says again what the draft said goes, and so
does a later sentence that says what the brief does not ("It also has a comfortable fit.", "A great pick for
those who love fashion."): what is left still introduces the product. A size or colour list set out as a label
in a post ("Size: S, M, L.") is said in a sentence ("It comes in sizes S, M and L."), and "Good news for those
who love the X: drawstring waist." says the fact of the product ("Good news: the X has a drawstring waist.").
Anything else still goes back to the writer.
"""

from __future__ import annotations

import re

from copyloop.brief import Brief
from copyloop.result import Finding
from copyloop.tools.facts import Fact, agree, and_list, brief_facts, is_plural_name, lower_items, with_article
from copyloop.tools.rulebook import load_rules, rule_cache
from copyloop.tools.sense.checks import sense_findings
from copyloop.tools.sense.context import name_forms
from copyloop.tools.sense.vocabulary import COPY_WORDS_FILE
from copyloop.tools.words import sentence_spans, split_sentences

MAX_REPAIRS = 4  # slips mended per draft; a draft with more is not worth mending
_ARTICLE = re.compile(r"^(?:a|an)\s+")
_PLURAL_VERBS = {"have", "come", "include", "feature", "offer"}
_OWNING = {"has", "have", "comes", "come", "includes", "include", "features", "feature", "offers", "offer"}
# Findings a later sentence can be cut for: it says what the brief does not, or sets out a label
_CUT_LATER = {"sense.ungrounded", "sense.ungrounded_audience", "sense.invented_word", "sense.non_word",
              "sense.entity", "sense.disfluent_spec_label", "sense.disfluent_self"}
_LABEL = re.compile(r"^(?P<label>(?:Shoe )?Sizes?|Colou?rs?):\s+(?P<values>[^:.!?]+?)[.!]?$", re.IGNORECASE)
_FOR_FANS = re.compile(r"^Good news for (?:those|anyone|everyone|people) who (?:love|loves|like|likes) "
                       r"(?:the )?(?P<name>[^:]+): (?P<rest>[^:]+?)[.!]?$")


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
    spans = sentence_spans(text)
    at = next((i for i, (s, e) in enumerate(spans) if s <= max(start, end - 1) < e), None)
    if at is None or end <= start:
        return None
    begin, stop = spans[at]
    if finding.rule_id in ("sense.disfluent_spec_label", "sense.disfluent_those_who_love") \
            and (said := _said_in_a_sentence(text[begin:stop], brief)):
        return text[:begin] + said + text[stop:]
    if finding.rule_id in _CUT_LATER and at > 0:
        return (text[:begin].rstrip() + " " + text[stop:].lstrip()).strip()
    return None


def _said_in_a_sentence(sentence: str, brief: Brief) -> str | None:
    """A size or colour label as a sentence, or good news for the product's fans as good news of its fact."""
    plural = is_plural_name(brief.product_name)
    subject = "They" if plural else "It"
    label = _LABEL.match(sentence)
    if label:
        kind = label["label"].lower()
        values = label["values"].replace(" & ", ", ").replace(" and ", ", ")
        items = [v.strip() for v in values.split(",") if v.strip()]
        if kind.startswith("colo"):
            listed = lower_items(", ".join(items))
        else:
            plural_kind = kind if kind.endswith("s") or len(items) == 1 else f"{kind}s"
            listed = f"{plural_kind} {and_list(items)}"
        return f"{subject} {agree('comes', plural)} in {listed}."
    fans = _FOR_FANS.match(sentence)
    if fans and fans["name"].lower() in {n.lower() for n in name_forms(brief)}:
        fact = next((f for f in brief_facts(brief) if f.text.lower() == fans["rest"].strip().lower()), None)
        predicate = fact.predicate(plural) if fact else None
        the = "" if fans["name"].lower().startswith("the ") else "the "
        return f"Good news: {the}{fans['name']} {predicate}." if predicate else None
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
