"""Schemathesis hooks for the contract test: the only schema-valid bodies the API may refuse.

JSON Schema cannot say "holds a visible character" (text of only control or zero-width characters, or only
spaces, is empty once cleaned), "min below max, at least 0.2 apart" (a sentiment band), "keys distinct once
cleaned" (attributes), or relate one field to another (`control` is one of the variant keys, weights only with a
fixed split). The API refuses those with a 422 naming the field, and the schema says so in its descriptions.
A `positive_data_acceptance` failure is dropped only when every problem in its 422 is one of these; any other
refusal of valid data fails.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis

UNSTATEABLE = ("holds only invisible or control characters", "String should have at least 1 character",
               "must satisfy -1 <= min < max <= 1", "is narrower than 0.2", "are the same attribute once cleaned",
               "is not one of the variant keys", "variant keys must be unique", "weights apply to allocation 'split'")


def unstateable_refusal(status: int, body: str) -> bool:
    """Whether a response refuses valid data only for reasons JSON Schema cannot state."""
    if status != 422:
        return False
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        return False
    if not isinstance(detail, list) or not detail:
        return False
    return all(any(reason in str(problem.get("message", "")) for reason in UNSTATEABLE) for problem in detail)


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep every failure except a refusal of valid data that the schema could not have described."""
    if getattr(failure, "code", "") != "ST202":
        return True
    return not unstateable_refusal(response.status_code, response.text)
