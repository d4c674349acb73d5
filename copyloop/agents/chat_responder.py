"""Chat responder: turns one marketer message into actions on the thread's brief and variants.

`respond` plans the message (product details, a bare '#2', or follow-ups: shorter, tone, another CTA,
regenerate #n, approve #n …) and carries the plan out until an action needs new copy; the chat graph then runs the
copy workflow as its `write` subgraph, and `present` puts the new variants on the table and carries on with the
rest of the plan. The reply is sent when the plan is done: it asks for what is missing, shows what it understood
and the variants.

Approval is of a text: the thread keeps the ids of its approved variants (an edit, a new CTA or a regeneration
takes the mark off), and each approve or drop of an approved variant records a publication — the brief and the
approved variants as they stand — for whoever serves copy (the HTTP service) to carry out after the message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from langgraph.graph import END
from langgraph.runtime import Runtime

from copyloop.agents.postprocessor import score_final
from copyloop.agents.rememberer import to_record
from copyloop.brief import Brief, brief_from_dict
from copyloop.chat_parser import (
    Followup,
    Intent,
    describe_fields,
    merge_fields,
    parse_followup,
    parse_product_message,
)
from copyloop.errors import BriefError
from copyloop.graphs.context import CopyContext
from copyloop.result import Variant
from copyloop.tools.channels import channel_spec
from copyloop.tools.cta import place_cta
from copyloop.tools.text_cleanup import fit_length, tidy
from copyloop.tools.text_cleanup import shorten as cut_to

FIRST_STEP = "Describe the product first, e.g. 'a 750 ml steel bottle, $29, for hikers, email subject line'."
HELP = (
    "Describe a product in plain words (name, features, price, audience, tone, channel). Then: "
    "'shorter', 'longer', 'more playful', 'another CTA', 'regenerate #2', 'approve #3', 'drop #4', "
    "'now as a push notification', 'price is $25', 'new product: …', 'quit'."
)
# Follow-ups that act on variants: before there are any, they are not product details either.
_NEEDS_COPY = frozenset({Intent.SHORTER, Intent.LONGER, Intent.ANOTHER_CTA, Intent.REGENERATE, Intent.APPROVE,
                         Intent.REJECT})
# A message that is nothing but variant numbers ('#9', '2 and 3'): it points at variants, it is no product fact.
_BARE_REFS = re.compile(r"\s*(?:(?:variant|option|version|number|no\.?)\s*)?(?:#\s*\d{1,3}|\d{1,2})"
                        r"(?:\s*(?:,|&|\+|and)\s*#?\s*\d{1,3})*\s*[.!?]*\s*", re.IGNORECASE)
# What may follow a closing CTA and still belong to it ('… Add it to your cart today.', '… Shop now!').
_CTA_TRAIL = re.compile(r"(?:\s+[A-Za-z]+)?\s*[.!?…]*\s*")
_JOINERS = " \t.!?…,;:-–—|"


@dataclass(frozen=True)
class Request:
    """New copy an action needs: the brief to write for, guidance for the drafts, and which table positions the
    fresh variants replace (None: the whole table)."""

    brief: Brief
    guidance: str | None = None
    replace: list[int] | None = None


class Turn:
    """The working copy of a chat thread's state while one message is handled, across respond → write → present."""

    def __init__(self, state: dict[str, Any], context: CopyContext, *, continuing: bool = False):
        self.fields: dict[str, Any] = dict(state.get("fields") or {})
        table = state.get("kept") if continuing else state.get("variants")
        self.variants: list[Variant] = [v.model_copy(deep=True) for v in table or []]
        self.approved: list[int] = list(state.get("approvals") or [])
        self.publish: list[dict[str, Any]] = list(state.get("publish") or []) if continuing else []
        self.turns: int = state.get("turns", 0) + (0 if continuing else 1)
        self.context = context
        self.lines: list[str] = list(state.get("reply") or []) if continuing else []
        self.request: Request | None = None

    def update(self, plan: list[list[Any]], cursor: int) -> dict[str, Any]:
        """The state update: a request for the write subgraph (the table waits in `kept`), or the finished reply."""
        kept = {"fields": self.fields, "turns": self.turns, "approvals": self.approved, "publish": self.publish}
        if self.request is not None:
            return {**kept, "reply": self.lines, "plan": plan, "cursor": cursor,
                    "kept": self.variants, "writing": True, "replace": self.request.replace,
                    "brief": self.request.brief, "guidance": self.request.guidance,
                    "seed": self.context.settings.seed + self.turns, "approval": "off"}
        return {**kept, "variants": self.variants, "writing": False, "reply": [], "plan": [], "cursor": 0, "kept": [],
                "messages": [{"role": "assistant", "content": "\n".join(self.lines)}]}


def respond(state: dict[str, Any], runtime: Runtime[CopyContext]) -> dict[str, Any]:
    """Handle the newest user message of the thread: plan it, then carry the plan out."""
    turn = Turn(state, runtime.context)
    return proceed(turn, plan_message(str(state["messages"][-1]["content"]), turn), 0)


def present(state: dict[str, Any], runtime: Runtime[CopyContext]) -> dict[str, Any]:
    """Put what the write subgraph shipped on the table (all of it, or in the named places), then carry on."""
    turn = Turn(state, runtime.context, continuing=True)
    written = list(state.get("variants") or [])
    turn.lines += [f"(held back one variant: {v.blocked_reason})" for v in written if v.status == "blocked"]
    fresh = iter(v for v in written if v.status == "ok")
    replace = state.get("replace")
    kept = turn.variants
    if replace is None:
        turn.variants = list(fresh)
    else:
        turn.variants = [next(fresh, v) if i in replace else v for i, v in enumerate(turn.variants)]
    settle_ids(turn, [v for v in turn.variants if among(v, kept)])
    show(turn)
    return proceed(turn, list(state.get("plan") or []), int(state.get("cursor") or 0))


def settle_ids(turn: Turn, survivors: list[Variant]) -> None:
    """After new copy joined the table: approval stays only on the variants that were kept, and each new variant
    gets an id no kept one has (each workflow run numbers its variants from 1), so ids name one variant each."""
    kept_ids = {v.id for v in survivors}
    turn.approved = [i for i in turn.approved if i in kept_ids]
    next_id = max((v.id for v in turn.variants), default=0) + 1
    for variant in turn.variants:
        if variant.id in kept_ids and not among(variant, survivors):
            variant.id, next_id = next_id, next_id + 1


def route_after_turn(state: dict[str, Any]) -> Literal["write", "__end__"]:
    """To the copy workflow while an action waits for new copy, else the reply is done."""
    return "write" if state.get("writing") else END


def plan_message(text: str, turn: Turn) -> list[list[Any]]:
    """What the message asks for, as actions carried out in order (plain lists, so the plan survives a checkpoint
    between the steps of one message)."""
    followup = parse_followup(text)
    if followup and not (turn.variants or turn.fields) and followup.kind not in (Intent.HELP, Intent.QUIT):
        if command_only(text, followup):
            return [["say", "There is no copy to work on yet. " + FIRST_STEP]]
        followup = None  # 'playful tone, for hikers' before any product: details for the brief
    if followup is None and turn.variants and len(text) <= 200 and _BARE_REFS.fullmatch(text):
        return [["point", sorted({int(n) for n in re.findall(r"\d+", text)})]]
    if followup is None:
        return [["product", text]]
    return [[kind, text, index] for index, step in enumerate((followup, *followup.also))
            for kind in (("step", "details") if step.unparsed else ("step",))]


def proceed(turn: Turn, plan: list[list[Any]], cursor: int) -> dict[str, Any]:
    """Carry out the plan from `cursor` until it is done or an action needs new copy."""
    while cursor < len(plan) and turn.request is None:
        act(turn, plan[cursor])
        cursor += 1
    return turn.update(plan, cursor)


def act(turn: Turn, action: list[Any]) -> None:
    """One action of a plan."""
    kind, *args = action
    if kind == "say":
        turn.lines.append(args[0])
    elif kind == "point":
        point_at(turn, list(args[0]))
    elif kind == "product":
        take_product_info(turn, args[0])
    else:
        followup = parse_followup(args[0])
        step = (followup, *followup.also)[args[1]] if followup else None
        if step is not None and kind == "step":
            _HANDLERS[step.kind](turn, step, chosen(turn, step))
        elif step is not None:  # the product details the step carried
            take_product_info(turn, step.unparsed, explain=False)


def command_only(text: str, followup: Followup) -> bool:
    """Whether a message before any copy is only an edit command ('shorter', 'approve #2'): then it is no product
    called "Shorter". A message that also carries facts ('Trail Buddy — hikers love it') is product information."""
    if followup.kind not in _NEEDS_COPY or followup.unparsed:
        return False
    return set(parse_product_message(text).fields) <= {"product_name", "category"}


def point_at(turn: Turn, numbers: list[int]) -> None:
    """A bare '#2' names variants but no action: say which numbers exist, or ask what to do with them."""
    bad = [n for n in numbers if not 1 <= n <= len(turn.variants)]
    if bad:
        report_missing(turn, bad)
        return
    refs = " and ".join(f"#{n}" for n in numbers)
    turn.lines.append(f"What should I do with {refs}? Say e.g. 'approve {refs}', 'regenerate {refs}', "
                      f"'make {refs} shorter' or 'drop {refs}'.")


def take_product_info(turn: Turn, text: str, fresh: bool = False, explain: bool = True) -> None:
    """Merge what the message says into the brief; ask for what is missing, else generate.

    A message that adds nothing to a brief whose variants are on the table changes nothing: regenerating
    would throw away the marketer's edits for no reason (and hostile text would cost a model call).
    """
    before = turn.fields
    parsed = parse_product_message(text, None if fresh else turn.fields)
    turn.fields = parsed.fields
    turn.lines += [f"Noted: {n}" for n in parsed.notes]
    if not parsed.ready:
        turn.lines.append(parsed.question or "What product is this copy for?")
        return
    if turn.variants and not fresh and parsed.fields == before:
        if explain:
            turn.lines.append("I found nothing new for the brief in that, so the variants stay as they are. "
                              "Say 'help' to see what I can do.")
        return
    turn.lines.append("Understood — " + "; ".join(describe_fields(turn.fields)))
    regenerate_all(turn)


def _help(turn: Turn, f: Followup, targets: list[Variant]) -> None:
    turn.lines.append(HELP)


def _quit(turn: Turn, f: Followup, targets: list[Variant]) -> None:
    turn.lines.append("Bye — approved copy is in memory.")


def _new_brief(turn: Turn, f: Followup, targets: list[Variant]) -> None:
    turn.variants, turn.approved = [], []
    take_product_info(turn, f.text, fresh=True)


def _approve(turn: Turn, f: Followup, targets: list[Variant]) -> None:
    ambiguous = not f.variants and not f.all_variants and len(turn.variants) > 1
    approve(turn, [] if ambiguous else targets, ask=not f.variants)


def _reject(turn: Turn, f: Followup, targets: list[Variant]) -> None:
    if targets:
        withdrawn = [v for v in targets if v.id in turn.approved]
        turn.variants = [v for v in turn.variants if not among(v, targets)]
        turn.lines.append(f"Dropped {len(targets)} variant(s).")
        if withdrawn:
            turn.approved = [i for i in turn.approved if i not in {v.id for v in withdrawn}]
            brief = current_brief(turn)
            if brief is not None:
                record_publication(turn, brief, retire=[v.text for v in withdrawn])
        show(turn)


def _another_cta(turn: Turn, f: Followup, targets: list[Variant]) -> None:
    if f.cta_goal:
        turn.fields["cta_goal"] = f.cta_goal
    swap_cta(turn, targets)


def _change_brief(turn: Turn, f: Followup, targets: list[Variant]) -> None:
    """A new tone, channel or field value: the brief changes and every variant is written again."""
    changes = dict(f.fields)
    changes.update({k: v for k, v in (("tone", f.tone), ("target_sentiment", f.sentiment),
                                      ("channel", f.channel)) if v})
    turn.fields = merge_fields(turn.fields, changes)
    turn.lines.append("Updated — " + "; ".join(describe_fields(changes)))
    regenerate_all(turn)


def _longer(turn: Turn, f: Followup, targets: list[Variant]) -> None:
    regenerate(turn, targets, guidance="Make it longer: add one more concrete detail from the facts.")


_HANDLERS: dict[Intent, Callable[[Turn, Followup, list[Variant]], None]] = {
    Intent.HELP: _help, Intent.QUIT: _quit, Intent.NEW_BRIEF: _new_brief, Intent.APPROVE: _approve,
    Intent.REJECT: _reject, Intent.ANOTHER_CTA: _another_cta, Intent.SHORTER: lambda turn, f, t: shorten(turn, t),
    Intent.TONE: _change_brief, Intent.CHANNEL: _change_brief, Intent.SET_FIELD: _change_brief,
    Intent.LONGER: _longer, Intent.REGENERATE: lambda turn, f, t: regenerate(turn, t),
}


def chosen(turn: Turn, f: Followup) -> list[Variant]:
    """The variants a follow-up names (all when it names none); unknown numbers are reported."""
    if f.all_variants or not f.variants:
        return list(turn.variants)
    bad = [n for n in f.variants if not 1 <= n <= len(turn.variants)]
    if bad:
        report_missing(turn, bad)
    return [turn.variants[n - 1] for n in f.variants if 1 <= n <= len(turn.variants)]


def report_missing(turn: Turn, bad: list[int]) -> None:
    """Tell the marketer which numbers do not exist and which do."""
    have = f"I have {len(turn.variants)} (#1–#{len(turn.variants)})" if turn.variants else "I have none yet"
    turn.lines.append(f"There is no variant {', '.join(f'#{n}' for n in bad)}; {have}.")


def among(variant: Variant, group: list[Variant]) -> bool:
    """Membership by identity: two variants with equal fields are still two variants."""
    return any(variant is other for other in group)


def number_of(turn: Turn, variant: Variant) -> int:
    """The 1-based number the marketer sees for a variant."""
    return next(n for n, v in enumerate(turn.variants, start=1) if v is variant)


def brief_of(fields: dict[str, Any], brand: str | None, **changes: Any) -> Brief:
    """The brief a thread's fields describe, for the brand an API key fixes (if any); BriefError when invalid."""
    return brief_from_dict({**fields, **changes, **({"brand": brand} if brand else {})})


def current_brief(turn: Turn, **changes: Any) -> Brief | None:
    """The brief the fields describe now, or None (with the reason told) when they do not validate."""
    try:
        return brief_of(turn.fields, turn.context.brand, **changes)
    except BriefError as exc:
        turn.lines += ["I can't use that brief yet:", *(f"  {p}" for p in exc.problems)]
        return None


def regenerate_all(turn: Turn) -> None:
    """Ask for a fresh set of variants for the current brief."""
    brief = current_brief(turn)
    if brief is not None:
        turn.request = Request(brief)


def regenerate(turn: Turn, targets: list[Variant], guidance: str | None = None) -> None:
    """Ask for new drafts in place of the named variants, keeping the others."""
    brief = current_brief(turn, n_variants=max(1, len(targets)))
    if brief is not None and targets:
        turn.request = Request(brief, guidance, [i for i, v in enumerate(turn.variants) if among(v, targets)])


def split_cta(variant: Variant) -> tuple[str, str, str] | None:
    """(body, separator, closing) when the copy ends on its CTA, else None.

    The closing keeps what trails the CTA ('Add it to your cart' + ' today.'), and the separator keeps the
    punctuation between body and CTA (' - ' in a subject line, '! ' in prose), so an edit can put them back.
    """
    start = variant.text.rfind(variant.cta) if variant.cta else -1
    if start < 0 or not _CTA_TRAIL.fullmatch(variant.text[start + len(variant.cta or ""):]):
        return None
    head = variant.text[:start]
    body = head.rstrip(_JOINERS)
    return body, head[len(body):], variant.text[start:]


def _cta_key(cta: str | None) -> str:
    """'Shop now.' and 'Shop Now' are one CTA: another CTA must differ in words, not in punctuation or case."""
    return " ".join((cta or "").lower().strip(_JOINERS).split())


def swap_cta(turn: Turn, targets: list[Variant]) -> None:
    """Give each named variant a different call to action (exactly one, within the channel's limit)."""
    brief = current_brief(turn)
    if brief is None:
        return
    for variant in targets:
        number = number_of(turn, variant)
        parts = split_cta(variant)
        if parts:
            body, old = parts[0] + parts[1].strip(), parts[2]
        else:
            body, old = (tidy(variant.text.replace(variant.cta, "")) if variant.cta else variant.text), variant.cta
        spec = channel_spec(brief.channel)
        others = [p for p in (place_cta(body, brief, rotation=r) for r in range(number, number + 8))
                  if _cta_key(p.cta) != _cta_key(old)]
        placement = next((p for p in others if len(p.text) >= spec.min_chars), others[0] if others else None)
        if placement is None:
            turn.lines.append(f"#{number} has no other call to action for this goal; try e.g. 'CTA should be sign up'.")
            continue
        before, variant.text, variant.cta = variant.text, placement.text, placement.cta
        variant.note("chat", "another CTA", f"asked for another CTA: '{placement.cta}'", before=before)
        score_final(variant, brief)
        unapprove(turn, variant)
    show(turn)


def shorten(turn: Turn, targets: list[Variant]) -> None:
    """Cut each named variant to about two thirds of its length, keeping its CTA and the channel's minimum."""
    brief = current_brief(turn)
    if brief is None:
        return
    floor = channel_spec(brief.channel).min_chars
    for variant in targets:
        limit = max(floor, int(len(variant.text) * 0.67))
        shorter = cut_keeping_cta(variant, limit)
        if shorter and floor <= len(shorter) < len(variant.text):
            before, variant.text = variant.text, shorter
            variant.note("chat", "shorter", f"asked for shorter copy (≤ {limit} characters)", before=before)
            score_final(variant, brief)
            unapprove(turn, variant)
        else:
            turn.lines.append(f"#{number_of(turn, variant)} is already as short as its channel allows.")
    show(turn)


def cut_keeping_cta(variant: Variant, limit: int) -> str | None:
    """The variant cut to `limit` characters with its CTA (and separator) intact; None when only a stub would be
    left, since one word plus a CTA is not copy."""
    parts = split_cta(variant)
    if parts is None:
        return fit_length(variant.text, limit, keep_suffix=variant.cta)
    body, separator, closing = parts
    cut = cut_to(body, limit - len(separator) - len(closing)).rstrip(_JOINERS)
    return f"{cut}{separator}{closing}" if len(cut.split()) >= 2 else None


def approve(turn: Turn, targets: list[Variant], ask: bool = True) -> None:
    """Store the named variants in memory as approved copy and record them for publishing; `ask` which one when
    none is named. A blocked variant (a marketer's edit that failed a check) cannot be approved."""
    brief = current_brief(turn)
    if brief is None:
        return
    for variant in [v for v in targets if v.status != "ok"]:
        turn.lines.append(f"#{number_of(turn, variant)} is held back ({variant.blocked_reason}); edit or "
                          f"regenerate it first.")
    targets = [v for v in targets if v.status == "ok"]
    if not targets:
        if ask:
            turn.lines.append("Which one? Say e.g. 'approve #2'." if turn.variants
                              else "There is nothing to approve yet.")
        return
    fresh = [v for v in targets if v.id not in turn.approved]
    ids = turn.context.copy_memory().add([to_record(v, brief) for v in fresh]) if fresh else []
    turn.approved += [v.id for v in fresh]
    record_publication(turn, brief)
    numbers = ", ".join(f"#{number_of(turn, v)}" for v in targets)
    turn.lines.append(f"Approved {numbers}: stored {len(ids)} in memory for future briefs.")


def unapprove(turn: Turn, variant: Variant) -> None:
    """A changed text is not the one that was approved: take the mark off and say so."""
    if variant.id in turn.approved:
        turn.approved.remove(variant.id)
        turn.lines.append(f"#{number_of(turn, variant)} changed, so it is no longer approved; approve it again "
                          f"to publish the new text.")


def record_publication(turn: Turn, brief: Brief, retire: list[str] | None = None) -> None:
    """Note that the brief's placement should now serve the thread's approved variants (in table order), and no
    longer the `retire` texts; the chat graph serves nothing itself."""
    approved = [v.model_copy(deep=True) for v in turn.variants if v.id in turn.approved and v.status == "ok"]
    turn.publish.append({"brief": brief, "variants": approved, "retire": list(retire or [])})


def show(turn: Turn) -> None:
    """List the current variants, numbered as the marketer refers to them."""
    if not turn.variants:
        turn.lines.append("No variant passed every check; try 'regenerate' or change the brief.")
        return
    for number, variant in enumerate(turn.variants, start=1):
        s = variant.scores
        mark = f" — held back: {variant.blocked_reason}" if variant.status != "ok" else \
            " — approved" if variant.id in turn.approved else ""
        turn.lines.append(f"#{number} {variant.text}  [sentiment {s.sentiment:+.2f} · novelty {s.novelty:.2f} · "
                          f"{len(variant.text)} chars]{mark}")
