"""The output contract: variants with their scores, compliance findings and a trace of every change."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from copyloop.brief import Brief

Severity = Literal["block", "warn", "info"]


class Finding(BaseModel):
    """One compliance problem in one variant, with where it is and how to fix it."""

    rule_id: str
    severity: Severity
    span: tuple[int, int]
    matched: str
    message: str
    fix: str | None = None
    fixed: bool = False


class Scores(BaseModel):
    """Every score a variant earned; the same numbers fine-tuning and evaluation use."""

    sentiment: float = 0.0
    sentiment_in_band: bool = False
    novelty: float = 1.0
    max_sibling_similarity: float = 0.0
    cta_present: bool = False
    length: int = 0
    length_ok: bool = False
    grounding: float = 0.0
    compliance_penalty: float = 0.0
    predicted_ctr: float = 1.0  # click model: CTR as a multiple of the reference copy's (or the siblings' mean)
    win_probability: float = 0.5  # click model: chance of out-clicking the average sibling
    overall: float = 0.0


class TraceStep(BaseModel):
    """Which agent changed or judged a variant, what it did, and why."""

    node: str
    action: str
    reason: str
    before: str | None = None
    after: str | None = None


class Variant(BaseModel):
    """One candidate piece of copy travelling through the workflow."""

    id: int
    text: str
    angle: str
    focus: str | None = None  # the brief's fact this variant was asked to turn into a benefit
    origin: Literal["model", "composer"] = "model"  # written by the model, or composed from the brief's facts
    cta: str | None = None
    status: Literal["ok", "blocked"] = "ok"
    blocked_reason: str | None = None
    feedback: str | None = None
    rank: int | None = None
    scores: Scores = Field(default_factory=Scores)
    findings: list[Finding] = Field(default_factory=list)
    trace: list[TraceStep] = Field(default_factory=list)

    @property
    def body(self) -> str:
        """The copy without its CTA: what siblings are compared on, so a shared CTA cannot hide a duplicate."""
        if self.cta and self.cta in self.text:
            return self.text.replace(self.cta, " ").strip(" -|.,;:")
        return self.text

    def note(self, node: str, action: str, reason: str, before: str | None = None) -> None:
        """Record a step in the trace; `before` is kept only when the text changed."""
        changed = before is not None and before != self.text
        self.trace.append(
            TraceStep(node=node, action=action, reason=reason, before=before if changed else None,
                      after=self.text if changed else None)
        )


class Result(BaseModel):
    """What one run of the workflow returns: ranked variants plus run-level metrics."""

    brief: Brief
    variants: list[Variant]
    model: str
    thread_id: str | None = None
    distinct_2: float = 0.0
    rounds: dict[str, int] = Field(default_factory=dict)
    seconds: float = 0.0
    stored_ids: list[str] = Field(default_factory=list)
    input_warnings: list[str] = Field(default_factory=list)

    @property
    def shippable(self) -> list[Variant]:
        """Variants that passed every check, best first."""
        return [v for v in self.variants if v.status == "ok"]
