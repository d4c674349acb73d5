"""API keys, each bound to one brand. Only a SHA-256 hash of the secret is stored.

Keys are 32 random bytes, so a plain hash is as strong as a slow one and costs microseconds per request.
Each key also carries the secret that signs its brand's webhooks.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from copyloop.errors import CopyloopError
from copyloop.service.db import api_keys, now, writing

PREFIX = "cl_"


@dataclass(frozen=True)
class Tenant:
    """Who a request acts for: the brand its key is bound to."""

    brand: str
    key_id: str
    webhook_secret: str


@dataclass(frozen=True)
class NewKey:
    """A key as shown once at creation: the full secret is never stored or shown again."""

    key_id: str
    brand: str
    api_key: str
    webhook_secret: str


def _hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def brand_spelling(brand: str) -> str:
    """A brand name as stored: Unicode compatibility forms folded ("ＡＣＭＥ" -> "ACME"), spacing collapsed."""
    return " ".join(unicodedata.normalize("NFKC", brand).split())


def brand_identity(brand: str) -> str:
    """What makes two brand names one brand: case, Unicode compatibility forms and spacing do not ("Acme",
    "acme" and "ＡＣＭＥ " are one brand, with one memory and one set of experiments)."""
    return brand_spelling(brand).casefold()


def _canonical_brand(conn: sa.Connection, brand: str) -> str:
    """The spelling of the brand's first key, so every key of one brand acts for the same brand string."""
    identity = brand_identity(brand)
    rows = conn.execute(sa.select(api_keys.c.brand).order_by(api_keys.c.created_at, api_keys.c.key_id))
    return next((row.brand for row in rows if brand_identity(row.brand) == identity), brand)


def create_key(engine: Engine, brand: str, label: str = "") -> NewKey:
    """A new key for `brand` (the brand's existing spelling if it has keys already); the returned `api_key` is the
    only copy of the secret."""
    brand = brand_spelling(brand)
    if not brand or len(brand) > 120 or not brand.isprintable():
        raise CopyloopError(f"brand must be 1-120 printable characters, got {brand!r}")
    key_id = secrets.token_hex(6)
    api_key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    webhook_secret = "whsec_" + secrets.token_urlsafe(32)
    with writing(engine) as conn:
        brand = _canonical_brand(conn, brand)
        conn.execute(api_keys.insert().values(key_id=key_id, brand=brand, key_hash=_hash(api_key),
                                              webhook_secret=webhook_secret, label=label, created_at=now()))
    return NewKey(key_id, brand, api_key, webhook_secret)


def revoke_key(engine: Engine, key_id: str) -> bool:
    """Revoke a key at once; True when it existed and was active."""
    with writing(engine) as conn:
        done = conn.execute(api_keys.update().where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
                            .values(revoked_at=now()))
    return done.rowcount == 1


def list_keys(engine: Engine) -> list[dict]:
    """Every key's id, brand, label and state (never the secret)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(api_keys.c.key_id, api_keys.c.brand, api_keys.c.label, api_keys.c.created_at,
                                      api_keys.c.revoked_at).order_by(api_keys.c.created_at))
        return [dict(r._mapping) for r in rows]


def tenant_for(engine: Engine, api_key: str) -> Tenant | None:
    """The brand an active key acts for, or None for an unknown or revoked key."""
    if not api_key.startswith(PREFIX):
        return None
    digest = _hash(api_key)
    with engine.connect() as conn:
        row = conn.execute(sa.select(api_keys).where(api_keys.c.key_hash == digest,
                                                     api_keys.c.revoked_at.is_(None))).first()
        if row is None or not hmac.compare_digest(row.key_hash, digest):
            return None
        brand = _canonical_brand(conn, row.brand)  # keys made before brands were one whatever their case
    return Tenant(brand=brand, key_id=row.key_id, webhook_secret=row.webhook_secret)
