"""Errors a user can act on: each names the field or file, the value, and the limit."""

from __future__ import annotations


class CopyloopError(Exception):
    """Base for every error copyloop reports to a user instead of a traceback."""


class BriefError(CopyloopError):
    """A brief failed validation; `problems` holds one readable line per field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid brief:\n  " + "\n  ".join(problems))


class ModelError(CopyloopError):
    """The configured model could not be found, loaded or reached."""


class MemoryStoreError(CopyloopError):
    """The copy memory could not be read or written."""
