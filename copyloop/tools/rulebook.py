"""The YAML rule files users customise (channel limits, CTA library, compliance packs...), as one value: a Rulebook.

A Rulebook is the built-in rules folder with an optional user folder over it: a user file of the same name
replaces the built-in one, and rule packs in the user's `compliance/` or `sense/` folder are added to the built-in
ones. Each file is read once per Rulebook, and everything compiled from the files (`@rule_cache`) is memoised on
the Rulebook itself, so rule sets live side by side in one process (a test's beside the default, two servers').

The tools keep their plain signatures and read the *active* Rulebook: the one `using_rules` put in force for the
current context (every graph node runs under its `CopyContext.rules`), else the process default, built from
COPYLOOP_RULES_DIR the first time it is needed. To use other rules, build `Rulebook(folder)` and run under it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, overload

import yaml

from copyloop.errors import CopyloopError

P = ParamSpec("P")
T = TypeVar("T")
BUILTIN_RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
RULES_DIR_VARIABLE = "COPYLOOP_RULES_DIR"


# LibYAML's safe loader where PyYAML was built with it: the same data, several times faster on the lexicons.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise CopyloopError(f"{path}: not valid YAML: {exc}") from None


class Rulebook:
    """The built-in rules with a user's folder over them; files read and rules compiled once, on this value."""

    def __init__(self, user_dir: Path | str | None = None) -> None:
        self.user_dir = Path(user_dir) if user_dir else None
        self._files: dict[str, Any] = {}
        self._memos: dict[Callable[..., Any], Callable[..., Any]] = {}

    @classmethod
    def from_env(cls) -> Rulebook:
        """The rulebook COPYLOOP_RULES_DIR names now (the built-in rules alone when it is unset)."""
        return cls(os.environ.get(RULES_DIR_VARIABLE) or None)

    def __repr__(self) -> str:
        return f"Rulebook({str(self.user_dir) if self.user_dir else None!r})"

    def file(self, name: str) -> Any:
        """The parsed file `name` (e.g. 'channels.yaml'): the user's copy if there is one, else the built-in."""
        if name not in self._files:
            user = self.user_dir / name if self.user_dir else None
            self._files.setdefault(name, _read_yaml(user if user and user.is_file() else BUILTIN_RULES_DIR / name))
        return self._files[name]

    def packs(self, folder: str) -> tuple[tuple[str, Any], ...]:
        """Every rule pack (file stem, parsed data) in the built-in `folder`, then the user's: a user pack with a
        built-in pack's name replaces it."""
        key = f"{folder}/*.yaml"
        if key not in self._files:
            found: dict[str, Any] = {}
            for root in (BUILTIN_RULES_DIR, self.user_dir):
                if root and (root / folder).is_dir():
                    found.update((path.stem, _read_yaml(path)) for path in sorted((root / folder).glob("*.yaml")))
            self._files.setdefault(key, tuple(found.items()))
        return self._files[key]

    def memo(self, fn: Callable[P, T], maxsize: int | None = None) -> Callable[P, T]:
        """This rulebook's own cache of `fn` (see `rule_cache`)."""
        cached = self._memos.get(fn)
        if cached is None:
            cached = self._memos.setdefault(fn, lru_cache(maxsize=maxsize)(fn))
        return cached


_active: ContextVar[Rulebook | None] = ContextVar("copyloop_rules", default=None)
_default: Rulebook | None = None
_default_lock = threading.Lock()


def default_rules() -> Rulebook:
    """The process's rulebook where no other is in force: COPYLOOP_RULES_DIR as it was the first time one was needed."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Rulebook.from_env()
    return _default


def active_rules() -> Rulebook:
    """The rulebook in force in this context."""
    rules = _active.get()
    return rules if rules is not None else default_rules()


@contextmanager
def using_rules(rules: Rulebook) -> Iterator[Rulebook]:
    """Put `rules` in force for the code inside, in this thread or task: a thread started inside sees them only
    when it runs in a copy of this context (as LangGraph's workers and `asyncio.to_thread` do)."""
    token = _active.set(rules)
    try:
        yield rules
    finally:
        _active.reset(token)


def load_rules(name: str) -> Any:
    """The active rulebook's file `name`."""
    return active_rules().file(name)


def load_rule_packs(folder: str = "compliance") -> tuple[tuple[str, Any], ...]:
    """The active rulebook's packs in `folder`."""
    return active_rules().packs(folder)


@overload
def rule_cache(fn: Callable[P, T], /) -> Callable[P, T]: ...
@overload
def rule_cache(*, maxsize: int | None) -> Callable[[Callable[P, T]], Callable[P, T]]: ...
def rule_cache(fn: Callable[P, T] | None = None, /, *, maxsize: int | None = None) -> Any:
    """`functools.cache` (or `lru_cache(maxsize)`) for anything derived from rule files: the results are kept on
    the active rulebook, so a different rulebook never sees them and nothing needs clearing."""
    def decorate(fn: Callable[P, T]) -> Callable[P, T]:
        @wraps(fn)
        def cached(*args: P.args, **kwargs: P.kwargs) -> T:
            return active_rules().memo(fn, maxsize)(*args, **kwargs)

        return cached

    return decorate(fn) if fn is not None else decorate
