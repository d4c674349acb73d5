"""Deterministic language understanding for the chat: product messages to Brief fields, follow-ups to intents.

The local model is far too small to extract fields reliably, so this package is rules only: compiled regular
expressions plus the user-extensible word lists in rules/chat_lexicon.yaml. Chat input is untrusted, so every value
is bounded to the Brief's limits (`limits`), nothing is ever evaluated, and instruction-like text is dropped: a
message can only ever become field values. `fields` takes values out of a message, `product` reads what is left
and merges it onto the conversation, `followups` turns a message about a result into intents.
"""

from copyloop.chat_parser.followups import parse_followup, parse_followups, variant_refs
from copyloop.chat_parser.parsed import Followup, Intent, ParsedBrief
from copyloop.chat_parser.product import describe_fields, merge_fields, parse_product_message

__all__ = ["Followup", "Intent", "ParsedBrief", "describe_fields", "merge_fields", "parse_followup",
           "parse_followups", "parse_product_message", "variant_refs"]
