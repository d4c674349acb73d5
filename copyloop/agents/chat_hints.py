"""Chat hints: what a chat thread still needs before copy can be written, and follow-ups worth offering next.

Returns plain lists for a page's buttons. Every suggestion is a message the chat itself understands: each one is
read back through the follow-up parser before it is offered, so a reworded lexicon can never make a button send
something the chat would answer with "I found nothing new".
"""

from __future__ import annotations

from typing import Any

from copyloop.brief import Brief, Channel
from copyloop.chat_parser import Intent, parse_followup
from copyloop.result import Variant
from copyloop.tools.rulebook import load_rules
from copyloop.tools.words import article_for

REQUIRED_FIELDS = tuple(name for name, spec in Brief.model_fields.items() if spec.is_required())
# Where copy for one channel most often goes next.
_NEXT_CHANNEL = {Channel.EMAIL_SUBJECT: Channel.PUSH_NOTIFICATION, Channel.PUSH_NOTIFICATION: Channel.EMAIL_SUBJECT,
                 Channel.SOCIAL_POST: Channel.EMAIL_SUBJECT, Channel.PRODUCT_TITLE: Channel.PRODUCT_DESCRIPTION,
                 Channel.SEARCH_AD_HEADLINE: Channel.SOCIAL_POST, Channel.PRODUCT_DESCRIPTION: Channel.EMAIL_SUBJECT}


def missing_fields(fields: dict[str, Any]) -> list[str]:
    """The Brief fields the thread has not gathered yet and copy cannot be written without."""
    return [name for name in REQUIRED_FIELDS if not fields.get(name)]


def followups(fields: dict[str, Any], variants: list[Variant], approved: list[int]) -> list[str]:
    """Up to six follow-up messages for the thread as it stands, most useful first; only 'help' before a product."""
    if missing_fields(fields):
        return ["help"]
    candidates: list[tuple[str, Intent]] = []
    if variants:
        blocked = [n for n, v in enumerate(variants, start=1) if v.status != "ok"]
        unapproved = [n for n, v in enumerate(variants, start=1) if v.status == "ok" and v.id not in approved]
        if unapproved:
            candidates.append((f"approve #{unapproved[0]}", Intent.APPROVE))
        candidates.append((f"regenerate #{blocked[0] if blocked else len(variants)}", Intent.REGENERATE))
        candidates += [("shorter", Intent.SHORTER), ("another CTA", Intent.ANOTHER_CTA)]
    tone = "more professional" if str(fields.get("tone", "")).casefold() == "playful" else "more playful"
    candidates += [(tone, Intent.TONE), (switch_channel(fields), Intent.CHANNEL)]
    return [text for text, intent in candidates if understood(text, intent)][:6]


def switch_channel(fields: dict[str, Any]) -> str:
    """'now as a push notification': the channel copy for this one most often goes to next, in the words the
    chat lexicon knows it by."""
    try:
        current = Channel(fields.get("channel") or Brief.model_fields["channel"].default)
    except ValueError:
        current = Brief.model_fields["channel"].default
    target = _NEXT_CHANNEL[current]
    phrases = (load_rules("chat_lexicon.yaml") or {}).get("channels", {}).get(target.value) or [target.value]
    return f"now as {article_for(str(phrases[0]))} {phrases[0]}"


def understood(text: str, intent: Intent) -> bool:
    """Whether the chat reads `text` as exactly this follow-up, with nothing left over."""
    parsed = parse_followup(text)
    return parsed is not None and parsed.kind == intent and not parsed.unparsed and not parsed.also
