"""How much the chat accepts: the Brief's own limits, read from its fields so parsed values always validate, and the
parser's own bounds on messages."""

from __future__ import annotations

from decimal import Decimal

from copyloop.brief import (
    field_limits,
)

# The Brief's own limits (read from its fields), so parsed fields always validate; the parser's own below them.
NAME_CHARS = field_limits("product_name").chars
SHORT_CHARS = field_limits("category").chars
PHRASE_CHARS = field_limits("tone").chars
FEATURE_CHARS = field_limits("features").chars
SKU_CHARS = field_limits("sku").chars
BRAND_VOICE_CHARS = field_limits("brand_voice").chars
REFERENCE_CHARS = field_limits("reference_copy").chars
MAX_FEATURES = field_limits("features").items
MAX_ATTRIBUTES = field_limits("attributes").items
MAX_REQUIRED = field_limits("required_words").items
MAX_BANNED = field_limits("banned_words").items
MAX_VARIANTS = field_limits("n_variants").most
MAX_PRICE = Decimal(str(field_limits("price").most))
MAX_MESSAGE_CHARS = 4000
MAX_FOLLOWUP_CHARS = 300
MAX_VARIANT_REF = 99
NAME_WORDS = 8

LIST_FIELDS = {"features": MAX_FEATURES, "required_words": MAX_REQUIRED, "banned_words": MAX_BANNED}
SEP = "\n"
