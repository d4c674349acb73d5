"""Clean fine-tuning targets: only copy that passes every check, with the product's name as the slot.

Three sources, all held to the same bar (`shipping_problems` on the finished text: sense, compliance, tone,
length, CTA): composed copy for the drafting node's own prompt (the composer's structures, rotated, about the
prompt's focus fact), sampled drafts that pass, and the shop's own human copy where it passes against the brief's
facts. Targets are bodies without the call to action (the CTA agent places that) and with the product's name
replaced by the slot, so the model learns to place the name, never to spell it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from copyloop.brief import Brief, Channel
from copyloop.llm.local import as_chat
from copyloop.tools.composer import compose_texts
from copyloop.tools.cta import without_cta
from copyloop.tools.facts import reference_facts
from copyloop.tools.finishing import finish, shipping_problems
from copyloop.tools.grounding import content_tokens
from copyloop.tools.placeholders import PRODUCT_SLOT, delexicalise
from copyloop.training.sampling import Candidate, prompt_for, prompt_messages


def clean_body(text: str, brief: Brief, rotation: int) -> str | None:
    """The copy's body as a target (no CTA, name as the slot) when its finished form passes every check."""
    return finished_body(finish(text, brief, rotation), brief)


def finished_body(finished: str, brief: Brief) -> str | None:
    """`clean_body` of copy already finished (for a caller that keeps the finished text too)."""
    if shipping_problems(finished, brief):
        return None
    body = without_cta(finished, brief.cta_goal).strip()
    if not body:
        return None
    if body[-1].isalnum() and brief.channel in (Channel.PRODUCT_DESCRIPTION, Channel.SOCIAL_POST,
                                                 Channel.PUSH_NOTIFICATION):
        body += "."
    target = delexicalise(body, brief)
    return target if PRODUCT_SLOT in target else None


def _about(text: str, focus: str | None) -> bool:
    """Whether copy uses at least half the content words of the fact it was asked about."""
    if not focus:
        return True
    wanted = content_tokens(focus)
    return not wanted or len(wanted & content_tokens(text)) >= 0.5 * len(wanted)


def _teaches(target: str, focus: str | None) -> bool:
    """Whether a model's own passing draft is worth learning: about the fact it was asked about, the name once, and
    more than the name (a bare name, or the name said twice, passes every check and teaches nothing)."""
    return (target.count(PRODUCT_SLOT) == 1 and bool(content_tokens(target.replace(PRODUCT_SLOT, " ")))
            and _about(target, focus))


def composed_targets(briefs: Sequence[Brief], per_brief: int, seed: int) -> list[dict[str, Any]]:
    """Up to `per_brief` targets per brief, one per prompt slot: composed copy about the slot's focus fact.

    Structures rotate with the brief's index so the whole set uses every structure about equally.
    """
    rows = []
    for index, brief in enumerate(briefs):
        for number in range(per_brief):
            slot = seed + index + number
            messages = prompt_messages(brief, slot)
            focus = messages.focus
            texts = compose_texts(brief, slot)
            start = index % max(1, len(texts))
            for text in texts[start:] + texts[:start]:
                target = clean_body(text, brief, slot)
                if target and _about(target, focus):
                    rows.append(_row(as_chat(messages.messages), target, "composed", index))
                    break
    return rows


def passing_samples(candidates: Sequence[Candidate], briefs: Sequence[Brief]) -> list[dict[str, Any]]:
    """Sampled drafts that pass every check once finished and teach something (`_teaches`), as targets for their
    own prompts (with the finished text, which the rewards score)."""
    rows = []
    for candidate in candidates:
        if candidate.source != "sample" or not candidate.text.strip():
            continue
        brief = briefs[candidate.brief_index]
        finished = finish(candidate.text, brief, candidate.slot)  # as a user would see it; the rewards score it
        target = finished_body(finished, brief)
        if target and _teaches(target, candidate.focus):
            rows.append({**_row(candidate.prompt, target, "sample", candidate.brief_index), "text": finished})
    return rows


def human_targets(briefs: Sequence[Brief], seed: int) -> list[dict[str, Any]]:
    """Product descriptions the shop wrote that pass every check against the brief's facts alone."""
    rows = []
    for index, brief in enumerate(briefs):
        if not brief.reference_copy or brief.channel != Channel.PRODUCT_DESCRIPTION:
            continue
        judged = brief.model_copy(update={"reference_copy": None,
                                          "features": [*brief.features, *_facts_of(brief)][:12]})
        target = clean_body(brief.reference_copy, judged, seed + index)
        if target:
            rows.append(_row(prompt_for(judged, seed + index), target, "human", index))
    return rows


def _facts_of(brief: Brief) -> list[str]:
    return [f[:200] for f in reference_facts(brief)]


def _row(prompt: list[dict[str, str]], target: str, source: str, brief_index: int) -> dict[str, Any]:
    return {"prompt": prompt, "completion": [{"role": "assistant", "content": target}], "reward": 1.0,
            "source": source, "brief_index": brief_index}
