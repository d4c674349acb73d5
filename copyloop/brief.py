"""The input contract: a product brief and the limits every field is held to.

Every text field is bounded and cleaned of control characters and chat-template
tokens here, so nothing downstream ever sees unbounded or markup-bearing input.
"""

from __future__ import annotations

import math
import re
import reprlib
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, get_args

from annotated_types import Le, MaxLen
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from copyloop.errors import BriefError
from copyloop.safe_load import MAX_DEPTH, UnsafeInput, load_json, load_yaml, value_depth
from copyloop.tools.channels import channel_spec
from copyloop.tools.chat_template import TEMPLATE_TOKENS, TEMPLATE_TURN
from copyloop.vocabulary import Channel, CtaGoal

SENTIMENT_BANDS: dict[str, tuple[float, float]] = {
    "calm": (0.0, 0.6),
    "positive": (0.3, 0.95),
    "enthusiastic": (0.6, 1.0),
}

# Characters that are not text: controls, invisible format characters (zero-width, bidi overrides, tag
# characters), lone surrogates, private-use, unassigned code points and the non-characters U+FFFE/U+FFFF.
_NOT_TEXT = frozenset(["Cc", "Cf", "Cs", "Co", "Cn"])
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")



def clean_text(value: str) -> str:
    """Strip terminal escapes, smuggled system/assistant turns, control characters and chat-template tokens,
    and fold whitespace: text stays data."""
    value = _ANSI.sub(" ", value)
    value = TEMPLATE_TURN.sub(" ", value)
    value = "".join(" " if unicodedata.category(c) in _NOT_TEXT else c for c in value)
    value = TEMPLATE_TOKENS.sub(" ", value)
    return re.sub(r"\s+", " ", value).strip()


def clip_text(value: object, limit: int) -> str:
    """Clean text and cut it to `limit` at a word boundary, so a bounded value never ends mid-word."""
    text = clean_text(str(value))
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-")


def clean_field(value: Any) -> Any:
    """Cleaned before any length check, so a value of only invisible characters is empty, not accepted."""
    if not isinstance(value, str):
        return value
    cleaned = clean_text(value)
    if value.strip() and not cleaned:
        raise ValueError("holds only invisible or control characters")
    return cleaned


def _not_a_flag(value: Any) -> Any:
    """A count given as `true` is a mistake, not 1 (numbers sent as text, "3", are fine: tools template them)."""
    if isinstance(value, bool):
        raise ValueError("expected a number, got a true/false value")
    return value


_AMOUNT = re.compile(r"^(?:\d{1,6}(?:\.\d{1,2})?|1000000(?:\.00?)?)$")  # 0 to 1,000,000, in cents at most
PRICE_SCHEMA = {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1_000_000, "multipleOf": 0.01},
                          {"type": "string", "pattern": _AMOUNT.pattern}, {"type": "null"}],
                "description": "29.99 or \"29.99\": at most 1,000,000, in whole cents"}


def _price(value: Any) -> Any:
    """Money in cents: "29.99" or 29.99, and a float's binary noise (0.1 + 0.2) is the cent it means; a third
    decimal, an exponent or a currency sign is a mistake the marketer should see, not a rounding."""
    if isinstance(value, bool):
        raise ValueError("expected a price, got a true/false value")
    if isinstance(value, str):
        if not _AMOUNT.match(value):
            raise ValueError(f"{reprlib.repr(value)} is not a price like 29.99 (0 to 1000000, at most 2 decimals)")
        return Decimal(value)
    if isinstance(value, float) and math.isfinite(value) and abs(value) < 1e12:  # larger: refused by the limit
        cents = round(value * 100)
        if abs(value * 100 - cents) > 1e-6 * max(1.0, abs(cents)):
            raise ValueError(f"price {value!r} has more than 2 decimal places")
        return Decimal(cents) / 100
    return value


def clean_text_field(max_length: int, min_length: int = 0) -> Any:
    """A text field cleaned like `clean_field`, its length limit applied to the text as sent (what the OpenAPI
    schema states), so invisible characters cannot smuggle a longer value past it."""
    def clean(value: Any) -> Any:
        if isinstance(value, str) and len(value) > max_length:
            raise PydanticCustomError("string_too_long", "String should have at most {max_length} characters",
                                      {"max_length": max_length})
        return clean_field(value)
    return Annotated[str, Field(min_length=min_length, max_length=max_length), BeforeValidator(clean)]


ShortText = clean_text_field(120)
Phrase = clean_text_field(60, min_length=1)
FactText = clean_text_field(200, min_length=1)
# ISO 4217 codes in use (2025): a price in "XYZ" would be shown to shoppers as "29 XYZ"
CURRENCIES = frozenset([
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF",
    "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC",
    "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS",
    "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD",
    "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL",
    "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD",
    "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD",
    "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP",
    "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VES",
    "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
])
_LOCALE = re.compile(r"^en(?:-(?:[A-Za-z]{2}|\d{3}))?$")


class Brief(BaseModel):
    """What a marketer tells copyloop about one product and one placement."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=False)

    product_name: clean_text_field(120, min_length=1)
    short_name: clean_text_field(40) | None = None
    category: ShortText = "General"
    sku: clean_text_field(64) | None = None
    brand: ShortText | None = None
    features: list[FactText] = Field(default_factory=list, max_length=12)
    attributes: dict[Phrase, FactText] = Field(default_factory=dict, max_length=20,
                                               description="name: value; names distinct once cleaned")
    price: Annotated[Decimal | None, Field(ge=0, le=1_000_000, decimal_places=2), BeforeValidator(_price),
                     WithJsonSchema(PRICE_SCHEMA)] = None
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$", json_schema_extra={"enum": sorted(CURRENCIES)})
    audience: ShortText | None = None
    channel: Channel = Channel.PRODUCT_DESCRIPTION
    tone: Phrase = "friendly"
    brand_voice: clean_text_field(400) | None = None
    target_sentiment: tuple[float, float] | None = Field(
        default=None, description="[min, max] of VADER compound sentiment: -1 <= min < max <= 1, at least 0.2 apart; "
                                  "or a named band (" + ", ".join(sorted(SENTIMENT_BANDS)) + ")")
    cta_goal: CtaGoal = CtaGoal.BUY
    required_words: list[Phrase] = Field(default_factory=list, max_length=10)
    banned_words: list[Phrase] = Field(default_factory=list, max_length=50)
    n_variants: Annotated[int, Field(ge=1, le=8), BeforeValidator(_not_a_flag)] = 4
    locale: str = Field(default="en", json_schema_extra={"pattern": _LOCALE.pattern})
    reference_copy: clean_text_field(2000) | None = None

    @model_validator(mode="before")
    @classmethod
    def _not_too_deep(cls, data: Any) -> Any:
        if value_depth(data, MAX_DEPTH) > MAX_DEPTH:
            raise ValueError(f"nested more than {MAX_DEPTH} levels deep; a brief's fields nest at most {MAX_DEPTH}")
        return data

    @field_validator("currency", mode="before")
    @classmethod
    def _upper_currency(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if value not in CURRENCIES:
            raise ValueError(f"{value!r} is not an ISO 4217 currency code (USD, EUR, GBP, ...)")
        return value

    @field_validator("attributes", mode="before")
    @classmethod
    def _distinct_keys(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        seen: dict[str, Any] = {}
        for key in value:
            cleaned = clean_field(key).casefold() if isinstance(key, str) else key
            if cleaned in seen:
                raise ValueError(f"keys {seen[cleaned]!r} and {key!r} are the same attribute once cleaned")
            seen[cleaned] = key
        return value

    @field_validator("target_sentiment", mode="before")
    @classmethod
    def _named_band(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value not in SENTIMENT_BANDS:
                known = sorted(SENTIMENT_BANDS)
                raise ValueError(f"unknown sentiment band {value!r}; use one of {known} or [min, max]")
            return SENTIMENT_BANDS[value]
        if isinstance(value, dict):
            return (value.get("min"), value.get("max"))
        return value

    @field_validator("target_sentiment")
    @classmethod
    def _valid_band(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is None:
            return value
        low, high = value
        if not (-1.0 <= low < high <= 1.0):
            raise ValueError(f"band {list(value)} must satisfy -1 <= min < max <= 1")
        if high - low < 0.2:
            raise ValueError(f"band {list(value)} is narrower than 0.2; copy cannot be steered that finely")
        return value

    @field_validator("locale")
    @classmethod
    def _english_only(cls, value: str) -> str:
        if value.split("-")[0].lower() != "en":
            raise ValueError(f"locale {value!r} is not supported yet; only 'en' (English) is")
        if not _LOCALE.match(value):
            raise ValueError(f"locale {value!r} is not a language tag copyloop reads; use 'en' or 'en-GB' style")
        return value

    @model_validator(mode="after")
    def _no_required_banned_overlap(self) -> Brief:
        clash = {w.lower() for w in self.required_words} & {w.lower() for w in self.banned_words}
        if clash:
            raise ValueError(f"words both required and banned: {sorted(clash)}")
        return self

    @property
    def sentiment_band(self) -> tuple[float, float]:
        """The target band: the brief's own, else the channel's default (titles run cooler than posts)."""
        if self.target_sentiment is not None:
            return self.target_sentiment
        return channel_spec(self.channel).sentiment

    def facts(self) -> list[str]:
        """The brief's product facts as short lines: the only facts copy may state."""
        lines = [f"Product: {self.product_name}"]
        if self.short_name:
            lines.append(f"Short name: {self.short_name}")
        if self.brand:
            lines.append(f"Brand: {self.brand}")
        lines.append(f"Category: {self.category}")
        lines += [f"Feature: {f}" for f in self.features]
        lines += [f"{k}: {v}" for k, v in self.attributes.items()]
        if self.price is not None:
            lines.append(f"Price: {format_price(self.price, self.currency)}")
        if self.audience:
            lines.append(f"Audience: {self.audience}")
        return lines

    def fact_text(self) -> str:
        """All text a variant may legitimately draw facts from: the facts, required words and the shop's own copy."""
        return "\n".join(self.facts() + list(self.required_words)
                         + ([f"Shop copy: {self.reference_copy}"] if self.reference_copy else []))


_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$", "INR": "₹"}


def currency_symbols() -> dict[str, str]:
    """Currency code -> the symbol shoppers read."""
    return dict(_SYMBOLS)


def format_price(price: Decimal, currency: str, *, with_code: bool = False) -> str:
    """Format a price the way shoppers read it: $29, $29.50, 29 SEK; `with_code` adds the currency code after a
    symbol ($29 USD), for a confirmation where "$" alone could be another dollar."""
    amount = f"{price:.2f}".removesuffix(".00")
    symbol = _SYMBOLS.get(currency)
    if not symbol:
        return f"{amount} {currency}"
    return f"{symbol}{amount} {currency}" if with_code else f"{symbol}{amount}"


@dataclass(frozen=True)
class FieldLimits:
    """The bounds a Brief field carries: `items` of a list or mapping, `chars` of its text (a list's items, a
    mapping's values), `most` of a number."""

    items: int | None = None
    chars: int | None = None
    most: Decimal | int | None = None


def field_limits(name: str) -> FieldLimits:
    """Read from the field's own definition, so parsers that fill a Brief (the chat) never copy its limits."""
    info = Brief.model_fields[name]
    own = [m.max_length for m in info.metadata if isinstance(m, MaxLen)]
    most = next((m.le for m in info.metadata if isinstance(m, Le)), None)
    nested = _inner_max_lengths(info.annotation)
    if nested:
        return FieldLimits(items=own[0] if own else None, chars=nested[-1], most=most)
    return FieldLimits(chars=own[0] if own else None, most=most)


def _inner_max_lengths(annotation: Any) -> list[int]:
    """Max lengths declared inside a type (`list[FactText]`, `ShortText | None`), outermost first."""
    found = []
    for arg in get_args(annotation):
        for meta in getattr(arg, "__metadata__", ()):
            found += [m.max_length for m in getattr(meta, "metadata", ()) if isinstance(m, MaxLen)]
        found += _inner_max_lengths(arg)
    return found


def brief_from_dict(data: Any) -> Brief:
    """Validate raw data into a Brief, raising BriefError with field-level messages."""
    if not isinstance(data, dict):
        raise BriefError([f"brief: expected a mapping of fields, got {type(data).__name__}"])
    try:
        return Brief.model_validate(data)
    except ValidationError as exc:
        raise BriefError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> list[str]:
    """One line per problem: field path, what is wrong, the value given (shortened; a list or mapping is shown a
    few levels deep, so a value nested thousands of levels is described, not recursed into)."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "brief"
        value = err.get("input")
        given = reprlib.repr(value) if isinstance(value, dict | list | tuple) else repr(value)
        given = given if len(given) <= 60 else given[:57] + "..."
        lines.append(f"{where}: {err['msg']} (got {given})")
    return lines


MAX_BRIEF_FILE_BYTES = 256 * 1024


def load_brief(path: str | Path) -> Brief:
    """Read a brief from a YAML or JSON file, with clear errors for unreadable or malformed files."""
    path = Path(path)
    if not path.is_file():
        raise BriefError([f"{path}: no such file"])
    size = path.stat().st_size
    if size > MAX_BRIEF_FILE_BYTES:
        raise BriefError([f"{path}: file is {size} bytes; a brief may be at most {MAX_BRIEF_FILE_BYTES}"])
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = load_json(text) if path.suffix.lower() == ".json" else load_yaml(text)
    except UnsafeInput as exc:
        raise BriefError([f"{path}: {exc}"]) from None
    return brief_from_dict(data)


MAX_BRIEF_SET_BYTES = 16 * 1024 * 1024


def load_briefs(path: str | Path) -> list[Brief]:
    """Read a brief set: JSONL (one brief a line), or a JSON/YAML list; errors name the line or item."""
    path = Path(path)
    if not path.is_file():
        raise BriefError([f"{path}: no such file"])
    if (size := path.stat().st_size) > MAX_BRIEF_SET_BYTES:
        raise BriefError([f"{path}: file is {size} bytes; a brief set may be at most {MAX_BRIEF_SET_BYTES}"])
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() == ".jsonl":
        items: list[tuple[str, Any]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    items.append((f"line {number}", load_json(line)))
                except UnsafeInput as exc:
                    raise BriefError([f"{path} line {number}: {exc}"]) from None
    else:
        try:
            data = load_json(text) if path.suffix.lower() == ".json" else load_yaml(text)
        except UnsafeInput as exc:
            raise BriefError([f"{path}: {exc}"]) from None
        if not isinstance(data, list):
            raise BriefError([f"{path}: expected a list of briefs, got {type(data).__name__}"])
        items = [(f"item {number}", item) for number, item in enumerate(data, start=1)]
    if not items:
        raise BriefError([f"{path}: holds no briefs"])
    briefs, problems = [], []
    for where, item in items:
        try:
            briefs.append(brief_from_dict(item))
        except BriefError as exc:
            problems += [f"{path} {where}: {p}" for p in exc.problems]
    if problems:
        raise BriefError(problems)
    return briefs
