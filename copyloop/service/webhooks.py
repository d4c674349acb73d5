"""Signed webhook deliveries: HMAC-SHA256 over "timestamp.body", the same idempotency key on every retry.

A receiver recomputes the signature with its brand's webhook secret, rejects stale timestamps, and drops a
delivery whose idempotency key it has already seen (delivery is at least once: a retry after a timeout, or
after a server restart, sends the same key again).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from copyloop.service.outbound import DEADLINE_SECONDS, Refused, post_bounded, resolve

SIGNATURE_HEADER = "X-Copyloop-Signature"
TIMESTAMP_HEADER = "X-Copyloop-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
ATTEMPT_HEADER = "X-Copyloop-Attempt"
EVENT_HEADER = "X-Copyloop-Event"
TOLERANCE_SECONDS = 300
MAX_ATTEMPTS = 12


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for a body sent at `timestamp`."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify(secret: str, body: bytes, timestamp: str, signature: str, *, tolerance: float = TOLERANCE_SECONDS,
           at: float | None = None) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent (replays are refused)."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs((at if at is not None else time.time()) - stamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature)


def backoff_seconds(attempts: int, base: float = 1.0) -> float:
    """Wait before the next try after `attempts` failures: 1 s, 2 s, 4 s … capped at 10 minutes."""
    return min(base * 2 ** max(0, attempts - 1), 600.0)


@dataclass(frozen=True)
class Delivery:
    """The outcome of one POST to a callback URL."""

    ok: bool
    status: int | None
    error: str | None
    retry: bool = True  # False when trying again cannot help (the policy refuses the URL)


def post(url: str, payload: dict[str, Any], *, secret: str, idempotency_key: str, attempt: int, event: str,
         allow: Sequence[str] = ()) -> Delivery:
    """One signed POST to a callback URL the outbound policy allows, bounded as a whole; any 2xx counts as
    delivered. The error names what went wrong on our side of the wire and the status code, never the
    receiver's body (it could be an internal service's page)."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    stamp = int(time.time())
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, stamp, body),
               TIMESTAMP_HEADER: str(stamp), IDEMPOTENCY_HEADER: idempotency_key, ATTEMPT_HEADER: str(attempt),
               EVENT_HEADER: event, "User-Agent": "copyloop-webhooks/1"}
    try:
        status = post_bounded(resolve(url, allow), body, headers)
    except Refused as exc:
        return Delivery(False, None, f"refused: {exc}", retry=False)
    except TimeoutError:
        return Delivery(False, None, f"timed out: no answer within {DEADLINE_SECONDS:.0f} s")
    except (OSError, ValueError) as exc:
        return Delivery(False, None, f"could not deliver: {type(exc).__name__}")
    if 200 <= status < 300:
        return Delivery(True, status, None)
    return Delivery(False, status, f"HTTP {status}")
