"""Post-processing: final cleanup, channel emoji/punctuation policy, tone and CTA kept, exact length enforced.

Returns the variants in their shipping form with final scores; anything the final re-check finds blocking
is fixed once more or the variant is blocked, so nothing unchecked ships. Blocked variants get one fresh
start (a new angle and fact, drafted again) while the replacement cap allows; what is still missing after that
is composed from the brief's facts (agents/composer.py), so a brief always yields N variants.
"""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime

from copyloop.agents.diversity_checker import DUPLICATE_SIMILARITY, fresh_angle
from copyloop.brief import Brief
from copyloop.drafting.prompts import next_focus
from copyloop.graphs.context import CopyContext
from copyloop.graphs.state import CopyState, bump, changed, is_spare_drop, live, under_cap, working_copies
from copyloop.memory.embeddings import embed
from copyloop.result import Variant
from copyloop.tools.compliance import check_compliance, compliance_penalty, fix_findings
from copyloop.tools.cta import find_cta
from copyloop.tools.finishing import copy_sentiment, finish, form_problems, shipping_problems
from copyloop.tools.grounding import grounding_score
from copyloop.tools.openings import varied_opening
from copyloop.tools.sense.checks import sense_findings
from copyloop.tools.sentiment import band_distance
from copyloop.tools.text_cleanup import length_fit


def postprocess(state: CopyState) -> dict:
    """Bring every live variant into its final, checked form."""
    brief = state["brief"]
    variants = working_copies(state["variants"])
    earlier: list[str] = []
    for variant in variants:
        before = variant.text
        variant.text = finish(variant.text, brief, variant.id - 1)
        variant.note("postprocess", "clean up", "whitespace, channel emoji/punctuation policy, tone, CTA, length",
                     before=before)
        vary(variant, earlier, brief)
        recheck(variant, brief)
        final_checks(variant, brief)
        span = find_cta(variant.text, brief.cta_goal)
        variant.cta = variant.text[span[0]:span[1]] if span else None
        score_final(variant, brief)
        if variant.status == "ok":
            earlier.append(variant.text)
    drop_duplicates(live(variants))
    return {"variants": changed(state["variants"], variants)}


def vary(variant: Variant, earlier: list[str], brief: Brief) -> None:
    """Give a variant that opens (or closes on a stock line) like an earlier sibling its own words, where the
    changed text still ships (tools/openings.py)."""
    before = variant.text
    variant.text = varied_opening(before, earlier, brief, lambda text: not shipping_problems(text, brief))
    if variant.text != before:
        variant.note("postprocess", "vary opening", "an earlier sibling opens or closes the same way", before=before)


def drop_duplicates(variants: list[Variant]) -> None:
    """Fixes and CTAs can make two siblings converge: block the later of any near-identical pair."""
    if len(variants) < 2:
        return
    vectors = embed([v.body for v in variants])
    similarity = vectors @ vectors.T
    for i, variant in enumerate(variants):
        earlier = [j for j in range(i) if variants[j].status == "ok" and similarity[i, j] >= DUPLICATE_SIMILARITY]
        if earlier:
            variant.status = "blocked"
            variant.blocked_reason = f"duplicate of variant #{variants[earlier[0]].id} after final clean-up"
            variant.note("postprocess", "block", variant.blocked_reason)


def recheck(variant: Variant, brief: Brief, fix: bool = True) -> None:
    """Compliance and sense on the final text: fix what can be fixed once more (unless `fix` is off: a marketer's
    own words are reported, never rewritten), block what cannot."""
    found = check_compliance(variant.text, brief)
    blocking = [f for f in found if f.severity == "block"]
    if fix and blocking and all(f.fix is not None for f in blocking):
        before = variant.text
        variant.text = fix_findings(variant.text, blocking, brief)
        variant.note("postprocess", "fix", "final check: " + ", ".join(f.rule_id for f in blocking), before=before)
        found = check_compliance(variant.text, brief)
    found += sense_findings(variant.text, brief)
    variant.findings = [f for f in variant.findings if f.fixed] + found
    blocking = [f for f in found if f.severity == "block"]
    if blocking:
        variant.status = "blocked"
        variant.blocked_reason = "final check: " + "; ".join(f"{f.rule_id} '{f.matched}'" for f in blocking)
        variant.note("postprocess", "block", variant.blocked_reason)


def final_checks(variant: Variant, brief: Brief) -> None:
    """Block copy whose final tone, length or CTA is not what was asked for (repairs can cut whole sentences)."""
    problems = form_problems(variant.text, brief)
    if variant.status == "ok" and problems:
        variant.status = "blocked"
        variant.blocked_reason = problems[0]
        variant.note("postprocess", "block", problems[0])


def score_final(variant: Variant, brief: Brief) -> None:
    """Scores of the text as it ships."""
    scores = variant.scores
    scores.sentiment = round(copy_sentiment(variant.text, brief), 4)
    scores.sentiment_in_band = band_distance(scores.sentiment, brief.sentiment_band) == 0.0
    scores.cta_present = variant.cta is not None
    scores.length = len(variant.text)
    scores.length_ok = length_fit(variant.text, brief.channel) == 1.0
    scores.grounding = round(grounding_score(variant.text, brief), 4)
    scores.compliance_penalty = round(compliance_penalty([f for f in variant.findings if not f.fixed]), 4)


def replace_blocked(state: CopyState) -> dict:
    """Give every blocked variant a fresh start on an unused angle: empty text, no findings, drafted anew."""
    brief = state["brief"]
    used = {v.angle for v in state["variants"]}
    replaced = [v.model_copy(deep=True) for v in state["variants"] if v.status == "blocked" and not is_spare_drop(v)]
    for variant in replaced:
        variant.note("replace_blocked", "replace", f"blocked ({variant.blocked_reason}); drafting afresh")
        variant.angle = fresh_angle(variant, used)
        variant.focus = next_focus(brief, variant.focus)
        used.add(variant.angle)
        variant.status, variant.blocked_reason, variant.text, variant.cta = "ok", None, "", None
        variant.findings = []
    return {"variants": replaced, "rounds": bump(state, "replace")}


def route_after_postprocess(state: CopyState, runtime: Runtime[CopyContext]) -> Literal["replace_blocked", "compose"]:
    """Replace blocked variants while the cap allows; otherwise compose what is still missing."""
    short = len(live(state["variants"])) < state["brief"].n_variants
    if short and under_cap(state, "replace", runtime.context.settings):
        return "replace_blocked"
    return "compose"
