"""Progress in a marketer's words: what a node of the copy workflow was doing and what it changed, for anything
that shows a run as it happens (the chat page's event stream, the CLI).

`describe(node, update)` takes a node's update as streamed (`generation.plain_update` unwraps the ranker's
Overwrite) and never fails on an update it does not know: an unknown node gets its own name as the label.
"""

from __future__ import annotations

from typing import Any

from copyloop.graphs.state import is_spare_drop
from copyloop.result import Variant

LABELS = {
    "intake": "Reading the brief",
    "draft": "Drafting variants",
    "sense_check": "Checking that the copy makes sense",
    "sentiment_critic": "Checking the tone",
    "diversity_check": "Checking the variants are new and different",
    "cta_insert": "Adding calls to action",
    "compliance_review": "Checking compliance",
    "fix": "Fixing compliance findings",
    "postprocess": "Final clean-up and checks",
    "replace_blocked": "Replacing held-back variants",
    "compose": "Composing copy from the product facts",
    "rank": "Ranking by predicted clicks",
    "approve": "Approval",
    "remember": "Saving approved copy",
}

CHECKS = frozenset({"sense_check", "sentiment_critic", "diversity_check", "compliance_review", "postprocess"})


def describe(node: str, update: dict[str, Any] | None) -> dict[str, str]:
    """{"node", "label", "detail"} for one finished node."""
    update = update or {}
    variants: list[Variant] = [v for v in update.get("variants") or [] if isinstance(v, Variant)]
    return {"node": node, "label": label(node, update, variants), "detail": detail(node, update, variants)}


def label(node: str, update: dict[str, Any], variants: list[Variant]) -> str:
    """What the node does, with the count where it matters ('Drafting 4 variants')."""
    if node == "draft" and variants:
        verb = "Drafting" if update.get("drafts", 1) <= 1 else "Redrafting"
        return f"{verb} {len(variants)} variant{'s' if len(variants) != 1 else ''}"
    return LABELS.get(node, node.replace("_", " ").capitalize())


def detail(node: str, update: dict[str, Any], variants: list[Variant]) -> str:
    """What changed, short: which variants were sent back, dropped or held back, and the node's own figure."""
    parts = [own] if (own := _own_detail(node, update, variants)) else []
    for what, ids in (("sent back for a redraft", [v.id for v in variants if v.feedback and v.status == "ok"]),
                      ("dropped for a spare", [v.id for v in variants if is_spare_drop(v)]),
                      ("held back", [v.id for v in variants if v.status == "blocked" and not is_spare_drop(v)])):
        if ids and node not in ("rank", "replace_blocked"):
            parts.append(f"{what}: #{', #'.join(map(str, ids))}")
    return "; ".join(parts) or (("all pass" if node in CHECKS else "no changes") if "variants" in update else "done")


def _own_detail(node: str, update: dict[str, Any], variants: list[Variant]) -> str:
    live = [v for v in variants if v.status == "ok"]
    if node == "intake":
        warnings = len(update.get("input_warnings") or [])
        return f"{warnings} input warning{'s' if warnings != 1 else ''}" if warnings else "brief is complete"
    if node == "draft":
        return f"wrote {len(variants)} draft{'s' if len(variants) != 1 else ''}" if variants else "nothing to redraft"
    if node == "cta_insert":
        return f"{sum(1 for v in live if v.cta)} of {len(live)} end on a call to action" if live else ""
    if node in ("compliance_review", "fix"):
        open_findings = sum(1 for v in variants for f in v.findings if not f.fixed)
        fixed = sum(1 for v in variants for f in v.findings if f.fixed)
        return f"{open_findings} open finding{'s' if open_findings != 1 else ''}, {fixed} fixed" if variants else ""
    if node == "compose":
        return f"composed {len(variants)}" if variants else "nothing to compose"
    if node == "replace_blocked":
        return f"{len(variants)} to draft afresh"
    if node == "rank" and live:
        best = max(live, key=lambda v: v.scores.overall)
        return f"{len(live)} ready; best #{best.id} at {best.scores.predicted_ctr:.2f}× predicted CTR"
    if node == "approve" and "approved" in update:
        approved = len(update["approved"] or [])
        return f"{approved} approved" if approved else "none approved yet"
    if node == "remember":
        stored = len(update.get("stored_ids") or [])
        return f"stored {stored}" if stored else "nothing stored"
    return ""
