"""What trl hands a reward function, turned into what copyloop's scores need: plain text and briefs.

Every trl-shaped reward in copyloop/tools uses these, so a completion may be a string or a chat-message list
and a brief may be a Brief, a dict or a JSON string (dataset rows hold no pydantic objects).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from copyloop.brief import Brief, brief_from_dict
from copyloop.errors import CopyloopError


def completion_text(completion: Any) -> str:
    """trl passes a string, or for chat datasets a list of messages: return the assistant's text."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        return str(completion.get("content") or "")
    if isinstance(completion, Sequence):
        messages = [m for m in completion if not isinstance(m, Mapping) or m.get("role", "assistant") == "assistant"]
        return " ".join(completion_text(m) for m in messages).strip()
    return "" if completion is None else str(completion)


def as_brief(value: Any) -> Brief:
    """Accept a Brief, a dict or a JSON string (how a dataset column may carry it)."""
    if isinstance(value, Brief):
        return value
    if isinstance(value, str):
        return Brief.model_validate_json(value)
    return brief_from_dict(value)


def reward_briefs(completions: Sequence[Any], briefs: Iterable[Any] | None, kw: dict[str, Any]) -> list[Brief]:
    """One Brief per completion from `briefs` (or a `brief` dataset column); a single brief is broadcast."""
    raw = briefs if briefs is not None else kw.get("brief")
    if raw is None:
        raise CopyloopError("reward function needs `briefs` (or a `brief` column), one per completion")
    items = [as_brief(b) for b in ([raw] if isinstance(raw, Brief | dict | str) else list(raw))]
    if len(items) == 1 and len(completions) > 1:
        items = items * len(completions)
    if len(items) != len(completions):
        raise CopyloopError(f"got {len(items)} briefs for {len(completions)} completions")
    return items


def brief_field(brief: Any, name: str) -> Any:
    """A field of a brief given as a Brief, a mapping or a JSON string (dataset rows hold no pydantic objects).

    Missing fields take the Brief default, as they would in a validated brief.
    """
    if isinstance(brief, Brief):
        return getattr(brief, name)
    if isinstance(brief, str):
        brief = json.loads(brief)
    if isinstance(brief, Mapping) and brief.get(name) is not None:
        return brief[name]
    return Brief.model_fields[name].get_default(call_default_factory=True)


def sample_values(name: str, n: int, briefs: Sequence[Any] | None, columns: Mapping[str, Any]) -> list[Any]:
    """Per-completion values of a brief field: a dataset column of that name wins, then the briefs (argument or
    `brief` column), then the default."""
    briefs = briefs if briefs is not None else columns.get("brief")
    if columns.get(name) is not None:
        values = list(columns[name])
    elif briefs is not None:
        values = [brief_field(b, name) for b in briefs]
    else:
        values = [brief_field(None, name)] * n
    if len(values) != n:
        raise ValueError(f"got {len(values)} values of {name!r} for {n} completions")
    return values
