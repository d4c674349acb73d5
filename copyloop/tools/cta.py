"""The call-to-action library (rules/ctas.yaml): finding a CTA in copy and placing one where it reads naturally."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from copyloop.brief import Brief, Channel, CtaGoal
from copyloop.tools.channels import channel_spec
from copyloop.tools.facts import is_plural_name
from copyloop.tools.reward_inputs import completion_text, reward_briefs
from copyloop.tools.rulebook import load_rules, rule_cache
from copyloop.tools.text_cleanup import shorten, strip_dangling

# Channels whose copy is one line: the CTA joins with a separator instead of ending a sentence.
_ONE_LINE = {Channel.PRODUCT_TITLE, Channel.EMAIL_SUBJECT, Channel.SEARCH_AD_HEADLINE}
_SEPARATOR = {Channel.PRODUCT_TITLE: " | ", Channel.EMAIL_SUBJECT: " - ", Channel.SEARCH_AD_HEADLINE: " - "}


@dataclass(frozen=True)
class CtaPlacement:
    """The copy with its CTA, and where the CTA sits in it."""

    text: str
    cta: str
    span: tuple[int, int]
    added: bool


@rule_cache
def _library() -> dict[str, dict[str, list[str]]]:
    return load_rules("ctas.yaml")


def cta_phrases(goal: CtaGoal, channel: Channel) -> list[str]:
    """Candidate CTAs for a goal, in the form the channel wants (title case for one-line channels)."""
    entry = _library()[CtaGoal(goal).value]
    return list(entry["short"] if Channel(channel) in _ONE_LINE else entry["phrases"])


@rule_cache
def _detectors(goal: str) -> tuple[re.Pattern[str], ...]:
    entry = _library()[goal]
    phrases = entry["phrases"] + entry["short"]
    literal = [re.escape(p.rstrip(".!")) for p in phrases]
    return tuple(re.compile(p, re.IGNORECASE) for p in [*entry.get("detect", []), *(rf"\b{x}\b" for x in literal)])


def cta_lead(goal: CtaGoal) -> str | None:
    """The verb a one-line ad may open with as its CTA ("Shop"), if the goal has one."""
    lead = _library()[CtaGoal(goal).value].get("lead")
    return str(lead) if lead else None


def cta_spans(text: str, goal: CtaGoal | None = None) -> list[tuple[int, int]]:
    """Every CTA for the goal (or for any goal) in the text, left to right; overlapping matches merged."""
    goals = [CtaGoal(goal).value] if goal else list(_library())
    hits = sorted((m.span() for g in goals for d in _detectors(g) for m in d.finditer(text)),
                  key=lambda span: (span[0], -span[1]))
    merged: list[tuple[int, int]] = []
    for start, end in hits:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def find_cta(text: str, goal: CtaGoal | None = None) -> tuple[int, int] | None:
    """Span of the first CTA for the goal (or for any goal) in the text, if there is one."""
    spans = cta_spans(text, goal)
    return spans[0] if spans else None


# Where copy splits into fragments that can stand alone: sentence ends, and the dashes and bars of one-liners.
_FRAGMENT_BREAK = re.compile(r"((?<=[.!?…])\s+|\s+[-–—|]\s+)")


def consolidate_ctas(text: str, brief: Brief) -> str:
    """One CTA, at the end: stacked stand-alone CTAs ("Shop now - Buy now!") are cut to the last one, moved last.

    Only fragments that are nothing but a CTA are moved or dropped; a CTA woven into a sentence stays put.
    """
    pieces, alone, body = _without_bare_ctas(text, brief.cta_goal)
    if not alone or alone == [len(pieces) - 1]:
        return text
    kept = pieces[alone[-1]].strip()
    return _join(body, kept[:1].upper() + kept[1:], brief.channel)


def _without_bare_ctas(text: str, goal: CtaGoal | None) -> tuple[list[str], list[int], str]:
    """The copy's fragments, which of them are nothing but a CTA, and the copy rejoined without those."""
    tokens = _FRAGMENT_BREAK.split(text.strip())
    pieces, breaks = tokens[0::2], ["", *tokens[1::2]]
    alone = [i for i, piece in enumerate(pieces) if _is_bare_cta(piece, goal)]
    body = "".join(breaks[i] + pieces[i] if kept else pieces[i]
                   for kept, i in enumerate(i for i in range(len(pieces)) if i not in alone))
    return pieces, alone, body.strip()


def _is_bare_cta(piece: str, goal: CtaGoal | None) -> bool:
    core = piece.strip(" .!?…,;:")
    covered = sum(end - start for start, end in cta_spans(core, goal))
    return bool(core) and covered >= 0.75 * len(core)


def has_cta(text: str, goal: CtaGoal | None = None) -> bool:
    """Whether the copy already asks the reader to act."""
    return find_cta(text, goal) is not None


def without_cta(text: str, goal: CtaGoal | None = None) -> str:
    """The copy with its first CTA cut out: what is left to be creative with."""
    span = find_cta(text, goal)
    return text if span is None else (text[: span[0]] + " " + text[span[1]:]).strip(" -|.,;:!")


def takes_cta(brief: Brief) -> bool:
    """Whether the brief's channel wants a CTA (rules/channels.yaml `cta`; a product title takes none)."""
    return channel_spec(brief.channel).cta


def drop_bare_ctas(text: str) -> str:
    """The copy without its stand-alone CTA fragments ("Lodge Skillet | Shop Now" -> "Lodge Skillet")."""
    return _without_bare_ctas(text, None)[2]


def cta_as_channel_wants(text: str, brief: Brief) -> bool:
    """A CTA of the brief's goal where the channel takes one; no stand-alone CTA where it takes none."""
    return find_cta(text, brief.cta_goal) is not None if takes_cta(brief) else drop_bare_ctas(text) == text.strip()


def place_cta(text: str, brief: Brief, rotation: int = 0) -> CtaPlacement:
    """Ensure one CTA: keep one already there (stacked ones consolidated), else add one that fits the limit.

    `rotation` picks a different phrase per variant so siblings do not all end alike. The copy body is
    shortened at a word boundary when that is the only way to make room. On a channel that takes no CTA, any
    stand-alone one is cut instead (`cta` is then empty).
    """
    if not takes_cta(brief):
        bare = drop_bare_ctas(text)
        limit = channel_spec(brief.channel).max_chars
        bare = bare if len(bare) <= limit else shorten(bare, limit)
        return CtaPlacement(text=bare, cta="", span=(len(bare), len(bare)), added=False)
    text = consolidate_ctas(text, brief)
    existing = find_cta(text, brief.cta_goal)
    if existing:
        return CtaPlacement(text=text, cta=text[existing[0]:existing[1]], span=existing, added=False)
    spec = channel_spec(brief.channel)
    phrases = cta_phrases(brief.cta_goal, brief.channel)
    if is_plural_name(brief.product_name):  # "Add them to your cart" for the Sea Salt Flakes
        phrases = [re.sub(r"\bit\b", "them", p) for p in phrases]
    ordered = phrases[rotation % len(phrases):] + phrases[:rotation % len(phrases)]
    body = text.rstrip()
    for cta in ordered:
        joined = _join(body, cta, brief.channel)
        if len(joined) <= spec.max_chars:
            return _placed(joined, cta)
    cta = ordered[0] if len(ordered[0]) * 2 <= spec.max_chars else min(phrases, key=len)
    room = spec.max_chars - len(_join("", cta, brief.channel))
    joined = _join(shorten(body, room), cta, brief.channel)
    while len(joined) > spec.max_chars and room > 0:
        room -= 1
        joined = _join(shorten(body, room), cta, brief.channel)
    return _placed(joined, cta)


def cta_room(brief: Brief) -> int:
    """Characters the shortest CTA of the brief's goal takes up, separator included (none where none goes)."""
    if not takes_cta(brief):
        return 0
    return len(_join("x", min(cta_phrases(brief.cta_goal, brief.channel), key=len), brief.channel)) - 1


def _placed(joined: str, cta: str) -> CtaPlacement:
    start = joined.rfind(cta)
    return CtaPlacement(text=joined, cta=cta, span=(start, start + len(cta)), added=True)


def _join(body: str, cta: str, channel: Channel) -> str:
    if not body:
        return cta
    if Channel(channel) in _ONE_LINE:
        return strip_dangling(body).rstrip(" .!,;:-–—|") + _SEPARATOR[Channel(channel)] + cta
    if body[-1] not in ".!?…":
        body += "."
    return f"{body} {cta}"


def cta_reward(prompts: list[Any] | None, completions: list[Any], briefs: list[Any] | None = None,
               **kw: Any) -> list[float]:
    """trl-shaped reward: 1 for one CTA of the brief's goal near the end, 0.5 elsewhere, 0 for none (on a channel
    that takes no CTA: 1 without one, 0 with one).

    Stacked CTAs ("Shop now - Buy now - Order now") divide the score by their count: one clear ask converts.
    """
    scores = []
    for completion, brief in zip(completions, reward_briefs(completions, briefs, kw), strict=True):
        text = completion_text(completion)
        if not takes_cta(brief):  # a product title: right when it has no stand-alone CTA
            scores.append(1.0 if cta_as_channel_wants(text, brief) else 0.0)
            continue
        spans = cta_spans(text, brief.cta_goal)
        if not spans:
            scores.append(0.0)
            continue
        last = spans[-1][1]
        placed = 1.0 if last >= len(text.rstrip(" .!")) - 2 or len(text) - last <= 40 else 0.5
        scores.append(placed / len(spans))
    return scores
