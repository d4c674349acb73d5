"""Sentiment critic: scores each variant's tone against the brief's target band and checks it says something.

Returns the variants with sentiment scores. Tone that a small edit can bring into the band is nudged in place;
drafts that need more are marked for the writer with concrete feedback (redrafted after the novelty check, in the
same pass as the sense check's); once the revise cap is reached it nudges what it can and blocks copy with nothing
usable. Drafts the sense check already sent back are left for their redraft.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from copyloop.brief import Brief
from copyloop.graphs.context import CopyContext
from copyloop.graphs.state import CopyState, bump, changed, drop_spare, has_spare, under_cap, working_copies
from copyloop.result import Variant
from copyloop.tools.channels import channel_spec
from copyloop.tools.composer import benefit_sentences
from copyloop.tools.grounding import mentions_product, missing_required_words
from copyloop.tools.quality import fits_with_cta, is_refusal
from copyloop.tools.sentiment import band_distance, in_band, nudge_into_band, sentiment_feedback, sentiment_score


def sentiment_critic(state: CopyState, runtime: Runtime[CopyContext]) -> dict:
    """Judge every live variant not already marked for a redraft; mark failing ones while the revise cap allows."""
    brief = state["brief"]
    variants = working_copies(state["variants"])
    can_revise = under_cap(state, "revise", runtime.context.settings)
    flagged = False
    for variant in variants:
        if variant.feedback:
            continue
        problem = critique(variant.text, brief)
        if problem and not substance_problem(variant.text, brief) and repair_tone(variant, brief):
            problem = critique(variant.text, brief)
        if problem and has_spare(variants, brief):
            drop_spare(variant, "sentiment_critic", problem)
        elif problem and can_revise:
            variant.feedback = problem
            variant.note("sentiment_critic", "send back", problem)
            flagged = True
        elif problem:
            settle(variant, brief)
        variant.scores.sentiment = sentiment_score(variant.text)
        variant.scores.sentiment_in_band = band_distance(variant.scores.sentiment, brief.sentiment_band) == 0.0
    update: dict = {"variants": changed(state["variants"], variants)}
    if flagged:
        update["rounds"] = bump(state, "revise")
    return update


def critique(text: str, brief: Brief) -> str | None:
    """What is wrong with a draft, as an instruction the drafter can act on; None when it is fine."""
    return substance_problem(text, brief) or sentiment_feedback(text, brief.sentiment_band)


def repair_tone(variant: Variant, brief: Brief) -> bool:
    """Nudge an out-of-band draft into the band without a model call; True when that worked.

    A small edit (an intensifier or exclamation mark less) is cheaper and more faithful than a redraft.
    """
    before = variant.text
    nudged = nudge_into_band(before, brief.sentiment_band, benefits=benefit_sentences(brief))
    fits = fits_with_cta(nudged, brief) == 1.0 or len(nudged) <= len(before)
    if nudged == before or not fits or not in_band(nudged, brief.sentiment_band) or substance_problem(nudged, brief):
        return False
    variant.text = nudged
    variant.note("sentiment_critic", "nudge tone", "out of the target band; fixed with a small edit", before=before)
    return True


def substance_problem(text: str, brief: Brief) -> str | None:
    """Problems only a redraft can fix: too short, a refusal, the product never named, required words missing."""
    spec = channel_spec(brief.channel)
    if len(text) < max(8, spec.min_chars // 2):
        return f"Write a complete {spec.label} of at least {spec.min_chars} characters."
    if is_refusal(text):
        return "Write the copy itself: no greeting, apology or comment about the task."
    if not mentions_product(text, brief):
        return f"Name the product ({brief.product_name}) in the copy."
    if missing := missing_required_words(text, brief):
        return "Use these words: " + ", ".join(missing) + "."
    return None


def settle(variant: Variant, brief: Brief) -> None:
    """After the last revision: repair the tone deterministically, or block copy that has no substance."""
    spec = channel_spec(brief.channel)
    unusable = len(variant.text) < max(8, spec.min_chars // 3) or is_refusal(variant.text) \
        or not mentions_product(variant.text, brief)
    if unusable:
        variant.status = "blocked"
        variant.blocked_reason = "the model produced no usable, on-topic copy within the revision limit"
        variant.note("sentiment_critic", "block", variant.blocked_reason)
        return
    before = variant.text
    variant.text = nudge_into_band(variant.text, brief.sentiment_band, benefits=benefit_sentences(brief))
    if variant.text != before:
        variant.note("sentiment_critic", "nudge tone", "still out of the target band after the revision limit",
                     before=before)

