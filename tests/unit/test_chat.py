"""The chat's follow-up intents, without a session (tests/integration/test_chat.py drives real ones)."""

from __future__ import annotations


def test_every_follow_up_intent_has_one_handler() -> None:
    from copyloop.agents.chat_responder import _HANDLERS
    from copyloop.chat_parser import Intent, parse_followup

    assert set(_HANDLERS) == set(Intent)  # a new intent without a handler would fail here, not in a chat
    parsed = parse_followup("make #2 shorter")
    assert parsed is not None and parsed.kind is Intent.SHORTER and parsed.variants == (2,)
