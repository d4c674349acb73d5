"""Parsing untrusted JSON and YAML without recursion, expansion or silent surprises.

Briefs, brief sets, event files and HTTP bodies come from outside. Python's `json` and PyYAML recurse once per
nesting level (1,000 levels end in a RecursionError), YAML aliases expand a 400-byte file into gigabytes
("billion laughs"), a duplicate YAML key silently keeps the last value, and `json` accepts NaN and Infinity,
which JSON does not have. Everything here checks first, iteratively, and raises `UnsafeInput` with a sentence
that names the problem.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

import yaml

MAX_DEPTH = 32  # a brief nests three levels; nothing copyloop reads needs more than a handful


class UnsafeInput(ValueError):
    """Input copyloop refuses to parse, with the reason as its message."""


def json_depth(text: str, stop_above: int) -> int:
    """How deep the brackets of a JSON text nest, counted without parsing (strings skipped) and only until the
    count passes `stop_above` (enough to refuse a 100,000-level text at once)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > stop_above:
                break
        elif char in "]}":
            depth -= 1
    return deepest


def value_depth(value: Any, stop_above: int) -> int:
    """How deep dicts and lists nest inside a Python value, counted without recursion and only until the count
    passes `stop_above`."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            deepest = max(deepest, depth)
            if deepest > stop_above:
                return deepest
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _no_constant(name: str) -> Any:
    raise UnsafeInput(f"{name} is not a JSON number; send a finite number or null")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise UnsafeInput(f"the number {text[:40]} is too large for JSON")
    return value


def load_json(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """JSON as Python values; refuses nesting deeper than `max_depth`, NaN, Infinity and numbers that overflow."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if json_depth(text, max_depth) > max_depth:
        raise UnsafeInput(f"nested more than {max_depth} levels deep; at most {max_depth} are allowed")
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except UnsafeInput:
        raise
    except ValueError as exc:  # JSONDecodeError, or an integer past Python's 4,300-digit limit
        raise UnsafeInput(f"not valid JSON: {_short(str(exc))}") from None


_FastLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # LibYAML's parser when present


class _StrictLoader(_FastLoader):  # type: ignore[valid-type, misc]
    """SafeLoader that refuses duplicate keys (YAML says keys are unique; PyYAML keeps the last one silently) and
    reads date-like values as text ("sku: 2024-13-01" is a code, not a date that fails to construct)."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _FastLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if isinstance(key, list | dict):
                raise UnsafeInput(f"line {key_node.start_mark.line + 1}: a key must be plain text")
            if key in seen:
                raise UnsafeInput(f"line {key_node.start_mark.line + 1}: duplicate key {str(key)[:60]!r}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """YAML as Python values: no anchors or aliases (the billion-laughs expansion), no duplicate keys, no nesting
    deeper than `max_depth`. The event stream is checked first, so nothing is built from a hostile file."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_FastLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise UnsafeInput(f"line {event.start_mark.line + 1}: YAML anchors and aliases (&, *) are not "
                                  "accepted; write each value out")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > max_depth:
                    raise UnsafeInput(f"line {event.start_mark.line + 1}: nested more than {max_depth} levels deep")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: plain data only
    except yaml.YAMLError as exc:
        raise UnsafeInput(f"not valid YAML: {_short(str(exc))}") from None
    except UnsafeInput:
        raise
    except Exception as exc:  # PyYAML's constructors raise ValueError, AttributeError, ... on a
        # tag whose value cannot be built ("!!timestamp x", "!!binary ä"): every one is this input's fault
        raise UnsafeInput(f"not valid YAML: a value cannot be read ({_short(str(exc), 120)})") from None


def _short(message: str, limit: int = 300) -> str:
    """A parser message cut to a readable length (it may quote the input)."""
    return message if len(message) <= limit else message[:limit] + "…"
