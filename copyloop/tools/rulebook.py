"""Loads the YAML data files users customise: channel limits, CTA library, compliance rule packs.

A user overrides any file by putting one of the same name in COPYLOOP_RULES_DIR; rule packs found
there are added to the built-in ones.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

from copyloop.errors import CopyloopError

T = TypeVar("T")
BUILTIN_RULES_DIR = Path(__file__).resolve().parent.parent / "rules"


def user_rules_dir() -> Path | None:
    """The user's rules folder, if COPYLOOP_RULES_DIR names one."""
    value = os.environ.get("COPYLOOP_RULES_DIR")
    return Path(value) if value else None


# LibYAML's safe loader where PyYAML was built with it: the same data, several times faster on the lexicons.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise CopyloopError(f"{path}: not valid YAML: {exc}") from None


@cache
def load_rules(name: str) -> Any:
    """Read `name` (e.g. 'channels.yaml'), preferring the user's copy over the built-in one."""
    user = user_rules_dir()
    if user and (user / name).is_file():
        return _read_yaml(user / name)
    return _read_yaml(BUILTIN_RULES_DIR / name)


_COMPILED: dict[str, tuple[Any, Any]] = {}


def compiled(key: str, raw: Any, build: Callable[[Any], T]) -> T:
    """`build(raw)`, kept until the rulebook hands back a different `raw` (the rules folder changed): rule files are
    compiled once per loaded file, however many checks read them."""
    cached = _COMPILED.get(key)
    if cached is None or (cached[0] is not raw and cached[0] != raw):
        cached = (raw, build(raw))
        _COMPILED[key] = cached
    return cached[1]


@cache
def load_rule_packs(folder: str = "compliance") -> tuple[tuple[str, Any], ...]:
    """Every rule pack in the built-in folder plus the user's folder of the same name, by file stem."""
    packs: dict[str, Any] = {}
    dirs = [BUILTIN_RULES_DIR / folder]
    user = user_rules_dir()
    if user:
        dirs.append(user / folder)
    for directory in dirs:
        if directory.is_dir():
            for path in sorted(directory.glob("*.yaml")):
                packs[path.stem] = _read_yaml(path)
    return tuple(packs.items())
