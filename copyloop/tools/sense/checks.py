"""Sense checks: does a piece of copy make sense for its brief, the way a marketer reading it would judge?

One implementation serves the agents (blocking findings with spans), fine-tuning (`sense_reward`) and evaluation
(`sense_failures`). The checks: the product named exactly (`names`), no invented brands, people, places or sites
(`entities`), no garbled words (`non_words`), no other product (`off_product`), no offers or claims the brief does
not state and no prompt text, placeholders or first person (rule packs in rules/sense/), every sentence grounded
in the brief (`ungrounded`), and word sequences English does not allow (`disfluent`: rules/sense/fluency.yaml, and
a fact in a frame its grammar does not fit, fact_frames.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from copyloop.brief import Brief
from copyloop.result import Finding
from copyloop.tools.channels import channel_spec
from copyloop.tools.compliance import rule_findings, rules
from copyloop.tools.cta import cta_spans
from copyloop.tools.facts import price_text
from copyloop.tools.grounding import content_tokens
from copyloop.tools.reward_inputs import completion_text, reward_briefs
from copyloop.tools.rulebook import load_rules, rule_cache
from copyloop.tools.sense.context import BriefContext, brief_context
from copyloop.tools.sense.entities import entity_findings
from copyloop.tools.sense.fact_frames import (
    agreement_findings,
    audience_findings,
    comma_verb_findings,
    currency_findings,
    fact_frame_findings,
    is_list,
    pack_price_findings,
    repeated_fact_findings,
    self_reference_findings,
)
from copyloop.tools.sense.names import name_findings
from copyloop.tools.sense.vocabulary import (
    STOCK_FILE,
    altered_compound_findings,
    altered_fact_findings,
    invented_word_findings,
    non_word_findings,
    off_product_findings,
    pluralised_fact_findings,
    singular_count_findings,
)
from copyloop.tools.words import is_camel_case, word_spans, zipf
from copyloop.tools.words import words as word_list

RULE_FOLDER = "sense"
GENERIC_ZIPF = 5.6  # a word at least this common ("made", "use", "great") grounds nothing by itself
# Which check each rule id belongs to, for reports: sense.<check>[_<detail>].
CHECKS = ("name", "entity", "non_word", "invented_word", "off_product", "offer", "claim", "leak", "first_person",
          "ungrounded", "disfluent")
_BREAK = re.compile(r"(?<=[.!?…])\s+|\s+[-–—|]\s+|\n+")


def check_of(rule_id: str) -> str:
    """The check a sense rule id belongs to ("sense.offer_free" -> "offer")."""
    name = rule_id.removeprefix("sense.")
    return next((c for c in CHECKS if name == c or name.startswith(c + "_")), name)


def _pieces(text: str) -> list[tuple[int, int]]:
    """Where the sentences and dash-separated fragments of the copy sit."""
    pieces, start = [], 0
    for match in _BREAK.finditer(text):
        pieces.append((start, match.start()))
        start = match.end()
    pieces.append((start, len(text)))
    return [(s, e) for s, e in pieces if text[s:e].strip(" .!?…,;:")]


@rule_cache
def stock_sentences() -> frozenset[str]:
    """Warm sentences that need no fact ("You'll love it."), from rules/stock_sentences.yaml, normalised."""
    return frozenset(_normal(str(s)) for s in load_rules(STOCK_FILE) or [])


def _normal(sentence: str) -> str:
    return re.sub(r"[^\w' ]+", "", sentence.replace("’", "'")).strip().lower()


def ungrounded_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """Sentences that share no content word with the brief: copy about nothing the brief says.

    Words too common to tell products apart ("made", "use", "great") do not ground a sentence; the short warm
    sentences of rules/stock_sentences.yaml need no grounding.
    """
    findings = []
    ctas = cta_spans(text)
    stock = stock_sentences()
    for start, end in _pieces(text):
        piece = text[start:end]
        core = len(piece.strip(" .!?…,;:"))
        in_cta = sum(max(0, min(e, end) - max(s, start)) for s, e in ctas) >= 0.75 * core
        grounding = {w for w in content_tokens(piece) & ctx.content if zipf(w) < GENERIC_ZIPF or w[:1].isdigit()}
        if not in_cta and not grounding and _normal(piece) not in stock:
            findings.append(Finding(rule_id="sense.ungrounded", severity="block", span=(start, end), matched=piece,
                                    message=f"{piece.strip()!r} says nothing the brief says."))
    return findings


# Words that only tie a fact to the product: a sentence made of these and words already said says nothing new
_FRAME_WORDS = content_tokens("also made make written write comes come has have includes include features feature "
                              "offers offer built designed crafted")


def restated_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """A sentence that says only what the copy already said ("Atomic Habits by James Clear. It is written by James
    Clear.", "… made from 100% natural rubber. It is also made of natural rubber."), or only what the product's
    name in it says ("Atomic Habits by James Clear is written by James Clear"): readers cut it every time.

    Calls to action and stock lines are not judged. One-line copy is judged by its parts instead: a part after a
    comma or separator that only repeats words before it ("… Suede Leather Sandal, Suede, Leather Upper").
    """
    if channel_spec(ctx.brief.channel).sentences == 1:
        return _restated_parts(text, ctx.brief)
    if is_list(text):  # a list restates by design
        return []
    findings = []
    ctas = cta_spans(text)
    stock = stock_sentences()
    lowered = text.lower()
    names = [re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE) for name in ctx.names]
    priced = content_tokens(price_text(ctx.brief) or "")
    for start, end in _pieces(text):
        piece = text[start:end]
        if any(s < end and start < e for s, e in ctas) or _normal(piece) in stock:
            continue
        rest, named = piece, set()
        for pattern in names:
            named |= {token for match in pattern.finditer(rest) for token in content_tokens(match.group(0))}
            rest = pattern.sub(" ", rest)
        said = content_tokens(rest) - _FRAME_WORDS - priced  # "At $27, Atomic Habits by James Clear is written by ..."
        if said and said <= content_tokens(lowered[:start]) | named:
            findings.append(Finding(rule_id="sense.disfluent_restated", severity="block", span=(start, end),
                                    matched=piece, message=f"{piece.strip()!r} only says again what the copy said."))
    return findings


_PART_BREAK = re.compile(r",\s+|\s+[-–—|]\s+")


def _restated_parts(text: str, brief: Brief) -> list[Finding]:
    """Parts of a one-line text (after a comma or separator) whose words all came before them; CTAs and the shop's
    category label ("… | Books", a shop convention) aside."""
    findings, start = [], 0
    ctas = cta_spans(text)
    category = content_tokens(brief.category or "")
    for match in [*_PART_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        part = text[start:end]
        said = content_tokens(part)
        if start and said and not any(s < end and start < e for s, e in ctas) and not said <= category and \
                said <= content_tokens(text[:start]):
            findings.append(Finding(rule_id="sense.disfluent_restated", severity="block", span=(start, end),
                                    matched=part, message=f"{part.strip()!r} only says again what came before it."))
        start = match.end() if match else start
    return findings


def recased_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """A word of the brief given inner capitals the brief never writes ("LED BackLight" for "LED backlight"): a
    fact misspelt, which a reader fixes every time."""
    written = set(word_list(" ".join([ctx.fact_text, *ctx.names, ctx.brief.brand or ""])))
    return [Finding(rule_id="sense.non_word_recased", severity="block", span=m.span(), matched=m.group(),
                    message=f"{m.group()!r} is the brief's {m.group().lower()!r} with capitals it does not have.")
            for m in word_spans(text)
            if is_camel_case(m.group()) and m.group() not in written and m.group().lower() in ctx.words]


def repeated_phrase_findings(text: str, brief: Brief) -> list[Finding]:
    """A two-word phrase said twice in one line ("…, Medium Roast, 2.2 lb, Medium Roast", "Suede Leather Sandal,
    Suede Leather Uppers"): a title or headline has no room to waste, and readers cut the second one every time."""
    if channel_spec(brief.channel).sentences != 1:
        return []
    spans = [m for m in word_spans(text) if len(m.group()) > 2 and m.group().isalpha()]
    seen: dict[tuple[str, str], int] = {}
    for first, second in pairwise(spans):
        if text[first.end():second.start()].strip():  # not adjacent words ("Roast, 2.2" is no phrase)
            continue
        pair = (first.group().lower(), second.group().lower())
        if pair in seen and seen[pair] < first.start():
            return [Finding(rule_id="sense.disfluent_repeated_phrase", severity="block",
                            span=(first.start(), second.end()), matched=text[first.start():second.end()],
                            message=f"{text[first.start():second.end()]!r} is said twice in one line.")]
        seen.setdefault(pair, second.end())
    return []


def sense_findings(text: str, brief: Brief) -> list[Finding]:
    """Every sense finding for the text, in text order; all of them block."""
    text = text if isinstance(text, str) else ""
    if not text.strip():
        return [Finding(rule_id="sense.ungrounded", severity="block", span=(0, 0), matched="",
                        message="The copy is empty.")]
    ctx = brief_context(brief)
    findings = name_findings(text, ctx)
    findings += entity_findings(text, ctx, judged=[f.span for f in findings])
    findings += non_word_findings(text, ctx) + off_product_findings(text, ctx) + altered_compound_findings(text, ctx)
    findings += altered_fact_findings(text, ctx) + pluralised_fact_findings(text, ctx) + recased_findings(text, ctx)
    for rule in rules(RULE_FOLDER):
        if rule.applies_to(brief):
            findings += rule_findings(rule, text, brief, ctx.fact_text)
    findings += invented_word_findings(text, ctx, judged=[f.span for f in findings])  # what no other check named
    findings += ungrounded_findings(text, ctx) + fact_frame_findings(text, ctx) + agreement_findings(text, ctx)
    findings += currency_findings(text, ctx) + pack_price_findings(text, ctx) + repeated_phrase_findings(text, brief)
    findings += audience_findings(text, ctx) + singular_count_findings(text, ctx) + comma_verb_findings(text, ctx)
    findings += self_reference_findings(text, ctx) + repeated_fact_findings(text, ctx) + restated_findings(text, ctx)
    return sorted(_dedupe(findings), key=lambda f: (f.span, f.rule_id))


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per span: the first check to claim it (names before entities before non-words)."""
    kept: list[Finding] = []
    for finding in findings:
        same = [k for k in kept if k.span == finding.span and k.span != (0, 0)]
        if not same:
            kept.append(finding)
    return kept


def sense_failures(text: str, brief: Brief) -> set[str]:
    """The checks a text fails, by name (empty when it makes sense)."""
    return {check_of(f.rule_id) for f in sense_findings(text, brief)}


def passes_sense(text: str, brief: Brief) -> bool:
    """Whether the text passes every sense check."""
    return not sense_findings(text, brief)


def sense_reward(prompts: Sequence[Any] | None, completions: Sequence[Any], briefs: Sequence[Any] | None = None,
                 **kw: Any) -> list[float]:
    """trl reward: 1 for copy that passes every sense check, else 1/(1 + findings), 0 for blank copy."""
    del prompts
    rewards = []
    for completion, brief in zip(completions, reward_briefs(completions, briefs, kw), strict=True):
        text = completion_text(completion)
        rewards.append(0.0 if not text.strip() else 1.0 / (1 + len(sense_findings(text, brief))))
    return rewards
