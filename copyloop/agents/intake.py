"""Intake: the workflow's first node. Makes the brief a validated `Brief` and notes text in it that reads like
instructions to the model.

Python callers hand in a `Brief`; the LangGraph API and Studio hand in its JSON, which no later node could read.
Validating here turns a bad field into an error that names it, before any model call.
"""

from __future__ import annotations

from copyloop.brief import Brief
from copyloop.graphs.state import CopyInput
from copyloop.tools.injection import injection_warnings


def intake(state: CopyInput) -> dict:
    """The brief as a `Brief`, and the input warnings the result reports."""
    brief = state["brief"]
    if not isinstance(brief, Brief):
        brief = Brief.model_validate(brief)
    return {"brief": brief, "input_warnings": injection_warnings(brief)}
