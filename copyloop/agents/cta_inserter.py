"""CTA insertion: makes sure every variant ends with one goal- and channel-appropriate call to action.

Returns the variants with their CTA placed (kept if already there, never duplicated) within the channel limit; on a
channel that takes no CTA (product titles), with any stand-alone one cut.
"""

from __future__ import annotations

from copyloop.graphs.state import CopyState, changed, working_copies
from copyloop.tools.cta import place_cta


def cta_insert(state: CopyState) -> dict:
    """Place a CTA in each live variant: the phrase its draft was asked for, so siblings end differently."""
    brief = state["brief"]
    variants = working_copies(state["variants"])
    for variant in variants:
        before = variant.text
        placement = place_cta(variant.text, brief, rotation=variant.id - 1)
        variant.text, variant.cta = placement.text, placement.cta or None
        variant.scores.cta_present = bool(placement.cta)
        if not placement.cta:
            action, reason = ("cut" if variant.text != before else "keep"), f"a {brief.channel.value} takes no CTA"
        elif placement.added:
            action, reason = "insert", f"added '{placement.cta}' for goal {brief.cta_goal.value}"
        else:
            action, reason = "keep", f"kept the CTA already there: '{placement.cta}'"
        variant.note("cta_insert", action, reason, before=before)
    return {"variants": changed(state["variants"], variants)}
