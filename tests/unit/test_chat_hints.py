"""Chat hints: the fields a thread still lacks, and follow-up suggestions the chat's own parser understands."""

from __future__ import annotations

import pytest

from copyloop.agents.chat_hints import followups, missing_fields, switch_channel
from copyloop.brief import Channel
from copyloop.chat_parser import Intent, parse_followup
from copyloop.result import Variant

FIELDS = {"product_name": "Insulated Steel Bottle", "channel": "email_subject", "tone": "playful"}


def table(n: int, blocked: tuple[int, ...] = ()) -> list[Variant]:
    return [Variant(id=i, text=f"copy {i}", angle="benefit", status="blocked" if i in blocked else "ok")
            for i in range(1, n + 1)]


def test_only_the_product_name_is_needed_before_copy_can_be_written() -> None:
    assert missing_fields({}) == ["product_name"]
    assert missing_fields({"tone": "playful", "audience": "hikers"}) == ["product_name"]
    assert missing_fields({"product_name": "Trail Bottle"}) == []


def test_before_a_product_only_help_is_offered() -> None:
    assert followups({}, [], []) == ["help"]
    assert followups({"tone": "playful"}, [], []) == ["help"]


def test_with_variants_the_offer_names_real_numbers() -> None:
    offered = followups(FIELDS, table(4), [])
    assert offered[:4] == ["approve #1", "regenerate #4", "shorter", "another CTA"]
    assert "more professional" in offered, "a playful brief is offered the other way"
    assert "now as a push notification" in offered
    assert len(offered) <= 6


def test_approved_and_blocked_variants_change_the_offer() -> None:
    offered = followups(FIELDS, table(3, blocked=(2,)), approved=[1])
    assert "approve #3" in offered and "approve #1" not in offered, "the first ok variant not yet approved"
    assert "regenerate #2" in offered, "a held-back variant is the one to regenerate"
    assert not any(o.startswith("approve") for o in followups(FIELDS, table(2), approved=[1, 2]))


def test_a_product_without_variants_gets_brief_changes_only() -> None:
    offered = followups({"product_name": "Trail Bottle"}, [], [])
    assert offered == ["more playful", "now as an email subject line"]


@pytest.mark.parametrize("channel", list(Channel))
def test_the_channel_suggestion_is_understood_for_every_channel(channel: Channel) -> None:
    text = switch_channel({"product_name": "X", "channel": channel.value})
    parsed = parse_followup(text)
    assert parsed is not None and parsed.kind == Intent.CHANNEL and parsed.channel not in (None, channel), text


def test_every_suggestion_parses_as_the_follow_up_it_offers() -> None:
    for fields in (FIELDS, {**FIELDS, "tone": "formal", "channel": "product_title"}):
        for text in followups(fields, table(4), []):
            parsed = parse_followup(text)
            assert parsed is not None and not parsed.unparsed, text
