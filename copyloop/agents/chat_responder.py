"""Chat responder: turns one marketer message into an action on the thread's brief and variants.

Returns the reply plus the updated brief fields and variants: it asks for what is missing, shows what it
understood, generates, and applies follow-ups (shorter, tone, another CTA, regenerate #n, approve #n …).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langgraph.runtime import Runtime

from copyloop.agents.rememberer import to_record
from copyloop.brief import Brief, brief_from_dict
from copyloop.errors import BriefError
from copyloop.graphs.context import CopyContext
from copyloop.result import Variant
from copyloop.tools.brief_parser import (
    Followup,
    describe_fields,
    merge_fields,
    parse_followup,
    parse_product_message,
)
from copyloop.tools.channels import channel_spec
from copyloop.tools.cta import place_cta
from copyloop.tools.text_cleanup import fit_length, tidy

HELP = (
    "Describe a product in plain words (name, features, price, audience, tone, channel). Then: "
    "'shorter', 'longer', 'more playful', 'another CTA', 'regenerate #2', 'approve #3', 'drop #4', "
    "'now as a push notification', 'price is $25', 'new product: …', 'quit'."
)


class Turn:
    """The working copy of a chat thread's state for one message."""

    def __init__(self, state: dict[str, Any], context: CopyContext, progress: Callable[[str, dict], None] | None):
        self.fields: dict[str, Any] = dict(state.get("fields") or {})
        self.variants: list[Variant] = [v.model_copy(deep=True) for v in state.get("variants") or []]
        self.turns: int = state.get("turns", 0) + 1
        self.context, self.progress = context, progress
        self.lines: list[str] = []

    def update(self) -> dict[str, Any]:
        return {"fields": self.fields, "variants": self.variants, "turns": self.turns,
                "messages": [{"role": "assistant", "content": "\n".join(self.lines)}]}


def respond(state: dict[str, Any], runtime: Runtime[CopyContext]) -> dict[str, Any]:
    """Handle the newest user message of the thread."""
    turn = Turn(state, runtime.context, lambda node, _update: runtime.stream_writer({"node": node}))
    text = str(state["messages"][-1]["content"])
    followup = parse_followup(text) if turn.variants or turn.fields else None
    if followup is None:
        take_product_info(turn, text)
    else:
        for step in (followup, *followup.also):
            apply_followup(turn, step)
    return turn.update()


def take_product_info(turn: Turn, text: str, fresh: bool = False) -> None:
    """Merge what the message says into the brief; ask for what is missing, else generate."""
    parsed = parse_product_message(text, None if fresh else turn.fields)
    turn.fields = parsed.fields
    turn.lines += [f"Noted: {n}" for n in parsed.notes]
    if not parsed.ready:
        turn.lines.append(parsed.question or "What product is this copy for?")
        return
    turn.lines.append("Understood — " + "; ".join(describe_fields(turn.fields)))
    regenerate_all(turn)


def apply_followup(turn: Turn, f: Followup) -> None:
    """Carry out one follow-up instruction."""
    targets = chosen(turn, f)
    if f.kind == "help":
        turn.lines.append(HELP)
    elif f.kind == "quit":
        turn.lines.append("Bye — approved copy is in memory.")
    elif f.kind == "new_brief":
        turn.variants = []
        take_product_info(turn, f.text, fresh=True)
    elif f.kind == "approve":
        ambiguous = not f.variants and not f.all_variants and len(turn.variants) > 1
        approve(turn, [] if ambiguous else targets)
    elif f.kind == "reject":
        turn.variants = [v for v in turn.variants if v not in targets]
        turn.lines.append(f"Dropped {len(targets)} variant(s).")
        show(turn)
    elif f.kind == "another_cta":
        if f.cta_goal:
            turn.fields["cta_goal"] = f.cta_goal
        swap_cta(turn, targets)
    elif f.kind == "shorter":
        shorten(turn, targets)
    elif f.kind in ("tone", "channel", "set_field"):
        changes = dict(f.fields)
        changes.update({k: v for k, v in (("tone", f.tone), ("target_sentiment", f.sentiment),
                                          ("channel", f.channel)) if v})
        turn.fields = merge_fields(turn.fields, changes)
        turn.lines.append("Updated — " + "; ".join(describe_fields(changes)))
        regenerate_all(turn)
    elif f.kind == "longer":
        regenerate(turn, targets, guidance="Make it longer: add one more concrete detail from the facts.")
    elif f.kind == "regenerate":
        regenerate(turn, targets)
    if f.unparsed:
        take_product_info(turn, f.unparsed)


def chosen(turn: Turn, f: Followup) -> list[Variant]:
    """The variants a follow-up names (all when it names none); unknown numbers are reported."""
    if f.all_variants or not f.variants:
        return list(turn.variants)
    bad = [n for n in f.variants if not 1 <= n <= len(turn.variants)]
    if bad:
        turn.lines.append(f"There is no variant {', '.join(f'#{n}' for n in bad)}; "
                          f"I have {len(turn.variants)} (#1–#{len(turn.variants)}).")
    return [turn.variants[n - 1] for n in f.variants if 1 <= n <= len(turn.variants)]


def current_brief(turn: Turn, **changes: Any) -> Brief | None:
    """The brief the fields describe now, or None (with the reason told) when they do not validate."""
    try:
        return brief_from_dict({**turn.fields, **changes})
    except BriefError as exc:
        turn.lines += ["I can't use that brief yet:", *(f"  {p}" for p in exc.problems)]
        return None


def run_workflow(turn: Turn, brief: Brief, guidance: str | None = None) -> list[Variant]:
    """The copy workflow on this brief, storing nothing until the marketer approves."""
    from copyloop.generation import generate

    ctx = turn.context
    settings = ctx.settings.with_(approval="off", seed=ctx.settings.seed + turn.turns)
    result = generate(brief, settings, llm=ctx.chat_model(), memory=ctx.copy_memory(), guidance=guidance,
                      on_progress=turn.progress)
    for variant in result.variants:
        if variant.status == "blocked":
            turn.lines.append(f"(held back one variant: {variant.blocked_reason})")
    return result.shippable


def regenerate_all(turn: Turn) -> None:
    """A fresh set of variants for the current brief."""
    brief = current_brief(turn)
    if brief is not None:
        turn.variants = run_workflow(turn, brief)
        show(turn)


def regenerate(turn: Turn, targets: list[Variant], guidance: str | None = None) -> None:
    """Replace the named variants with new drafts, keeping the others."""
    brief = current_brief(turn, n_variants=max(1, len(targets)))
    if brief is None or not targets:
        return
    fresh = iter(run_workflow(turn, brief, guidance))
    turn.variants = [next(fresh, v) if v in targets else v for v in turn.variants]
    show(turn)


def swap_cta(turn: Turn, targets: list[Variant]) -> None:
    """Give each named variant a different call to action."""
    brief = current_brief(turn)
    if brief is None:
        return
    for variant in targets:
        body = tidy(variant.text.replace(variant.cta, "")) if variant.cta else variant.text
        for rotation in range(variant.id, variant.id + 8):
            placement = place_cta(body, brief, rotation=rotation)
            if placement.cta != variant.cta:
                break
        variant.note("chat", "another CTA", f"asked for another CTA: '{placement.cta}'", before=variant.text)
        variant.text, variant.cta = placement.text, placement.cta
    show(turn)


def shorten(turn: Turn, targets: list[Variant]) -> None:
    """Cut each named variant to about two thirds of its length, keeping its CTA."""
    brief = current_brief(turn)
    if brief is None:
        return
    floor = channel_spec(brief.channel).min_chars
    for variant in targets:
        limit = max(floor, int(len(variant.text) * 0.67))
        shorter = fit_length(variant.text, limit, keep_suffix=variant.cta)
        if len(shorter) < len(variant.text):
            variant.note("chat", "shorter", f"asked for shorter copy (≤ {limit} characters)", before=variant.text)
            variant.text = shorter
        else:
            turn.lines.append(f"#{turn.variants.index(variant) + 1} is already as short as its channel allows.")
    show(turn)


def approve(turn: Turn, targets: list[Variant]) -> None:
    """Store the named variants in memory as approved copy."""
    brief = current_brief(turn)
    if brief is None:
        return
    if not targets:
        turn.lines.append("Which one? Say e.g. 'approve #2'.")
        return
    ids = turn.context.copy_memory().add([to_record(v, brief) for v in targets])
    numbers = ", ".join(f"#{turn.variants.index(v) + 1}" for v in targets)
    turn.lines.append(f"Approved {numbers}: stored {len(ids)} in memory for future briefs.")


def show(turn: Turn) -> None:
    """List the current variants, numbered as the marketer refers to them."""
    if not turn.variants:
        turn.lines.append("No variant passed every check; try 'regenerate' or change the brief.")
        return
    for number, variant in enumerate(turn.variants, start=1):
        s = variant.scores
        turn.lines.append(f"#{number} {variant.text}  [sentiment {s.sentiment:+.2f} · novelty {s.novelty:.2f} · "
                          f"{len(variant.text)} chars]")
