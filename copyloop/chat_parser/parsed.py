"""What parsing returns: the fields a product message contributed, and the follow-up intents a message carries."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from copyloop.brief import Channel, CtaGoal


class Intent(StrEnum):
    """What a follow-up asks of the copy on the table (the chat responder has one handler per intent)."""

    SHORTER = "shorter"
    LONGER = "longer"
    TONE = "tone"
    ANOTHER_CTA = "another_cta"
    REGENERATE = "regenerate"
    APPROVE = "approve"
    REJECT = "reject"
    CHANNEL = "channel"
    SET_FIELD = "set_field"
    NEW_BRIEF = "new_brief"
    HELP = "help"
    QUIT = "quit"


_MODIFY_KINDS = {Intent.SHORTER, Intent.LONGER, Intent.TONE, Intent.ANOTHER_CTA}
_REF_KINDS = _MODIFY_KINDS | {Intent.REGENERATE, Intent.APPROVE, Intent.REJECT, Intent.CHANNEL}


@dataclass
class ParsedBrief:
    """What one product message contributed, merged onto the conversation's fields so far."""

    fields: dict[str, Any]
    understood: list[str]
    missing: list[str]
    question: str | None
    notes: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """Whether a Brief can be built: only product_name is required, the rest has defaults."""
        return bool(self.fields.get("product_name"))


@dataclass(frozen=True)
class Followup:
    """One follow-up intent on an existing result; variant numbers are 1-based as the user sees them."""

    kind: Intent
    variants: tuple[int, ...] = ()
    all_variants: bool = False
    tone: str | None = None
    sentiment: str | None = None
    channel: Channel | None = None
    cta_goal: CtaGoal | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    unparsed: str = ""
    also: tuple[Followup, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", Intent(self.kind))  # the parser's rules name intents by their value
