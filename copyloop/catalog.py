"""Training and validation briefs from the shipped product catalog, split by product (read by both training and
evaluation, so it belongs to neither).

Every product lands in exactly one split (decided by a hash of its id, so the split never changes when records
are added), and each product's brief is assigned one channel the same way, so both splits cover every channel.
Human-written descriptions ride along as `reference_copy` — a reference for evaluation, never a target.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from copyloop.brief import Brief, Channel, brief_from_dict, clip_text, load_briefs
from copyloop.errors import BriefError

CATALOG_DIR = Path(__file__).resolve().parent / "data" / "catalog"
CATALOG_FILES = ("products.jsonl", "products_dummyjson.jsonl")
VALIDATION_SHARE = 5  # one product in five is held out for validation
Split = Literal["train", "validation"]

# Attributes that are bookkeeping, not product facts a shopper cares about.
_SKIPPED_ATTRIBUTES = {"sku", "tags", "brand", "product_type", "warrantyinformation", "dimensions", "weight",
                       "minimumorderquantity", "returnpolicy", "shippinginformation", "availabilitystatus"}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")


@dataclass(frozen=True)
class CatalogBrief:
    """One product's brief, with where it came from and which split it belongs to."""

    product_id: str
    split: Split
    brief: Brief
    source: str


def _bucket(product_id: str, salt: str) -> int:
    return int(hashlib.sha256(f"{salt}:{product_id}".encode()).hexdigest(), 16)


def split_of(product_id: str) -> Split:
    """The split a product belongs to, stable across catalog versions."""
    return "validation" if _bucket(product_id, "split") % VALIDATION_SHARE == 0 else "train"


def channel_of(product_id: str) -> Channel:
    """The channel a product's brief is written for, spread evenly and stably over all channels."""
    channels = list(Channel)
    return channels[_bucket(product_id, "channel") % len(channels)]


def _category(raw: str) -> str:
    """'kitchen-accessories' reads as 'Kitchen Accessories'; paths like 'Women > Tops' stay as they are."""
    raw = raw.strip() or "General"
    return raw.replace("-", " ").title() if _SLUG.match(raw) else raw


def _attributes(raw: dict[str, Any]) -> dict[str, str]:
    kept = {}
    for key, value in raw.items():
        if key.lower() in _SKIPPED_ATTRIBUTES or value in (None, "", [], {}):
            continue
        kept[clip_text(key, 60)] = clip_text(", ".join(map(str, value)) if isinstance(value, list) else value, 200)
        if len(kept) == 20:
            break
    return kept


def record_to_brief(record: dict[str, Any]) -> Brief:
    """A product record as a brief for its assigned channel (raises BriefError on a record that cannot be one)."""
    attributes = record.get("attributes") or {}
    human = "description_provenance" not in record and record.get("description")
    data = {
        "product_name": clip_text(record["name"], 120),
        "category": clip_text(_category(record.get("category") or ""), 120),
        "sku": clip_text(attributes.get("sku") or record["id"], 64),
        "brand": clip_text(attributes.get("brand") or attributes.get("Brand"), 120)
        if attributes.get("brand") or attributes.get("Brand") else None,
        "attributes": _attributes(attributes),
        "price": Decimal(str(record["price"])).quantize(Decimal("0.01")) if record.get("price") is not None else None,
        "currency": record.get("currency") or "USD",
        "channel": channel_of(record["id"]),
        "reference_copy": clip_text(record["description"], 2000) if human else None,
    }
    return brief_from_dict(data)


def read_records(folder: Path = CATALOG_DIR) -> Iterator[dict[str, Any]]:
    """Every product record of the shipped catalog files, in file order."""
    for name in CATALOG_FILES:
        with (folder / name).open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    yield json.loads(line)


def catalog_briefs(records: Iterable[dict[str, Any]] | None = None) -> tuple[list[CatalogBrief], list[str]]:
    """Briefs for every usable record, plus one line per record that could not become a brief."""
    briefs, problems = [], []
    for record in read_records() if records is None else records:
        try:
            brief = record_to_brief(record)
        except (BriefError, KeyError, ValueError, ArithmeticError) as exc:
            problems.append(f"{record.get('id', '?')}: {exc}")
            continue
        briefs.append(CatalogBrief(product_id=record["id"], split=split_of(record["id"]), brief=brief,
                                   source=str(record.get("source_repo", ""))))
    return briefs, problems


def split_briefs(split: Split) -> list[Brief]:
    """The briefs of one split."""
    return [item.brief for item in catalog_briefs()[0] if item.split == split]


WRITTEN_BRIEFS = CATALOG_DIR.parent / "training" / "briefs.jsonl"


def training_briefs() -> list[Brief]:
    """Every brief fine-tuning may learn from: the written training briefs (features as shops send them) first,
    then the catalog's training split. Validation products and the held-out examples are never among them."""
    written = load_briefs(WRITTEN_BRIEFS) if WRITTEN_BRIEFS.is_file() else []
    return [*written, *split_briefs("train")]
