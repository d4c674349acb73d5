"""Compliance review: runs the rule packs (claims, spam, banned words, disclaimers, invented facts) on each variant.

Returns the findings per variant; fixable claims go to the fixer, invented facts and unfixable findings back to
drafting while the cap allows (cutting a made-up number out of a one-line draft leaves broken grammar), and a
variant that still cannot be made compliant is blocked with its reason.
"""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime

from copyloop.brief import Brief
from copyloop.graphs.context import CopyContext
from copyloop.graphs.state import CopyState, bump, changed, drop_spare, has_spare, live, under_cap, working_copies
from copyloop.result import Finding, Variant
from copyloop.tools.channels import channel_spec
from copyloop.tools.compliance import check_compliance, fix_findings, guts_copy


def compliance_review(state: CopyState, runtime: Runtime[CopyContext]) -> dict:
    """Check every live variant; decide per variant: clean, fix, redraft or block."""
    settings = runtime.context.settings
    brief = state["brief"]
    variants = working_copies(state["variants"])
    can_fix = under_cap(state, "fix", settings)
    can_redraft = under_cap(state, "redraft", settings)
    redrafting = False
    spec = channel_spec(brief.channel)
    for variant in variants:
        if len(variant.text) < spec.min_chars and any(f.fixed for f in variant.findings):
            redrafting |= too_short_after_fix(variant, brief, variants, can_redraft)
            continue
        found = check_compliance(variant.text, brief)
        variant.findings = [f for f in variant.findings if f.fixed] + found
        blocking = [f for f in found if f.severity == "block"]
        invented = any(f.rule_id.startswith("facts.") for f in blocking)
        fixable = can_fix and all(f.fix is not None and not guts_copy(variant.text, f) for f in blocking)
        if not blocking or (fixable and not (invented and can_redraft)):
            continue
        reason = "; ".join(f"{f.rule_id} '{f.matched}'" for f in blocking)
        if has_spare(variants, brief):
            drop_spare(variant, "compliance_review", reason)
        elif can_redraft:
            variant.feedback = ("Use only the listed facts; do not say " +
                                ", ".join(f"'{f.matched}'" for f in blocking if f.matched) + ".")
            why = "invented facts go back to the writer" if invented else "cannot be fixed in place"
            variant.note("compliance_review", "send back", f"{why}: {reason}")
            redrafting = True
        else:
            block(variant, f"non-compliant after all fixes and redrafts: {reason}")
    update: dict = {"variants": changed(state["variants"], variants)}
    if redrafting:
        update["rounds"] = bump(state, "redraft")
    return update


def too_short_after_fix(variant: Variant, brief: Brief, variants: list[Variant], can_redraft: bool) -> bool:
    """Fixes that cut whole sentences can leave too little copy: drop it for a spare, redraft it, or block it.

    Returns True when the variant goes back to the writer.
    """
    spec = channel_spec(brief.channel)
    problem = f"only {len(variant.text)} characters left after compliance fixes (minimum {spec.min_chars})"
    if has_spare(variants, brief):
        drop_spare(variant, "compliance_review", problem)
        return False
    if can_redraft:
        variant.feedback = (f"Write a complete {spec.label} of at least {spec.min_chars} characters, "
                            "using only the facts.")
        variant.note("compliance_review", "send back", problem)
        return True
    block(variant, problem)
    return False


def block(variant: Variant, reason: str) -> None:
    """Stop a variant from shipping, saying why."""
    variant.status = "blocked"
    variant.blocked_reason = reason
    variant.note("compliance_review", "block", reason)


def fix(state: CopyState) -> dict:
    """Rewrite every fixable finding (blocking or not) in place; the reviewer re-checks the result."""
    brief = state["brief"]
    variants = working_copies(state["variants"])
    for variant in variants:
        todo = open_fixable(variant.findings)
        if not todo:
            continue
        before = variant.text
        variant.text = fix_findings(variant.text, todo, brief)
        for finding in todo:
            finding.fixed = True
        variant.note("fix", "rewrite", "fixed " + ", ".join(f"{f.rule_id} '{f.matched}'" for f in todo), before=before)
    return {"variants": changed(state["variants"], variants), "rounds": bump(state, "fix")}


def open_fixable(findings: list[Finding]) -> list[Finding]:
    """Findings not yet fixed that carry a fix."""
    return [f for f in findings if not f.fixed and f.fix is not None and f.severity != "info"]


def route_after_compliance(state: CopyState) -> Literal["draft", "fix", "postprocess"]:
    """Redraft variants with feedback, fix blocking findings, else finish."""
    current = live(state["variants"])
    if any(v.feedback for v in current):
        return "draft"
    if any(f.severity == "block" and not f.fixed for v in current for f in v.findings):
        return "fix"
    return "postprocess"
