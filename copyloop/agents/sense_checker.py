"""Sense check: reads each fresh draft as an editor would — the product named exactly, nothing invented, no
garbled words, no other product, no offers the brief lacks, no prompt text, every sentence about the brief, and
short enough to fit its channel without a sentence cut in half.

Returns the variants with their sense findings. A failing draft is dropped for a spare, marked for the writer
while the revise cap allows (the tone and novelty checks run first, so one redraft pass answers them all), or
blocked with its reason (the composer later fills its place).
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from copyloop.brief import Brief
from copyloop.graphs.context import CopyContext
from copyloop.graphs.state import CopyState, bump, changed, drop_spare, has_spare, under_cap, working_copies
from copyloop.result import Finding
from copyloop.tools.channels import channel_spec
from copyloop.tools.cta import cta_room
from copyloop.tools.finishing import needs_mid_sentence_cut
from copyloop.tools.sense.checks import sense_findings
from copyloop.tools.words import article_for


def sense_check(state: CopyState, runtime: Runtime[CopyContext]) -> dict:
    """Judge every live draft; mark failing ones for a redraft while the cap allows, else block them."""
    brief = state["brief"]
    variants = working_copies(state["variants"])
    can_revise = under_cap(state, "sense", runtime.context.settings)
    flagged = False
    for variant in variants:
        found = sense_findings(variant.text, brief)
        variant.findings = [f for f in variant.findings if not f.rule_id.startswith("sense.")] + found
        too_long = needs_mid_sentence_cut(variant.text, brief)
        if not found and not too_long:
            continue
        problem = describe(found) if found else too_long_problem(brief)
        if has_spare(variants, brief):
            drop_spare(variant, "sense_check", problem)
        elif can_revise:
            variant.feedback = feedback(found) if found else too_long_problem(brief)
            variant.note("sense_check", "send back", problem)
            flagged = True
        else:
            variant.status = "blocked"
            variant.blocked_reason = f"does not make sense for the brief: {problem}"
            variant.note("sense_check", "block", variant.blocked_reason)
    update: dict = {"variants": changed(state["variants"], variants)}
    if flagged:
        update["rounds"] = bump(state, "sense")
    return update


def too_long_problem(brief: Brief) -> str:
    """Feedback for copy that would only fit its channel cut in the middle of a sentence."""
    spec = channel_spec(brief.channel)
    return f"Too long for {article_for(spec.label)} {spec.label}: write at most {spec.max_chars - cta_room(brief)} " \
           "characters."


def describe(findings: list[Finding]) -> str:
    """The findings in one line: rule and what it matched."""
    return "; ".join(f"{f.rule_id} '{f.matched}'" if f.matched else f.rule_id for f in findings[:4])


def feedback(findings: list[Finding]) -> str:
    """What the writer should do differently, in words a model can act on."""
    words = sorted({f.matched for f in findings if f.matched and f.rule_id != "sense.ungrounded"})
    parts = ["Write [product] for the product's name and say only what the facts say."]
    if words:
        parts.append("Do not write: " + ", ".join(f"'{w[:40]}'" for w in words[:5]) + ".")
    return " ".join(parts)

