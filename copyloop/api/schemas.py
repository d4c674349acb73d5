"""Request and response bodies of the HTTP API, separate from the database rows they are stored as."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from copyloop.brief import Brief, Channel, clean_text_field
from copyloop.memory.records import MAX_COUNT

Id = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:@\-]+$")


class Strict(BaseModel):
    """A request body: no unknown fields."""

    model_config = ConfigDict(extra="forbid")


class FieldProblem(BaseModel):
    """One bad field: where it is in the body, what is wrong, and (for scalars) the value, cut short."""

    field: str
    message: str
    input: Any = None


class ErrorBody(BaseModel):
    """Every error the API returns: a sentence, and the same sentence or one entry per bad field."""

    error: str
    detail: str | list[FieldProblem] | None = None


_MEANINGS = {401: "no API key, or an unknown or revoked one",
             403: "the brief names another brand than the API key's (leave `brand` out)",
             404: "no such resource for this API key's brand",
             410: "the chat thread expired: idle longer than `keep_chats_days`, it was pruned (start a new one)",
             409: "the resource's state does not allow this (already concluded, no significant winner yet, a "
                  "variant or unit the experiment does not have)",
             413: "the body is over `max_request_bytes`", 415: "the body is not application/json",
             422: "a field (or the body) is invalid: one entry per problem",
             503: "a store copyloop needs is unreadable"}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses a route really returns, each with the ErrorBody schema."""
    return {code: {"model": ErrorBody, "description": _MEANINGS[code]} for code in codes}


def json_errors(responses: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """The same error responses for a route whose own body is not JSON (an event stream): FastAPI would document a
    `model` under the route's media type, but errors are always JSON, so ErrorBody is named as JSON content."""
    schema = {"$ref": "#/components/schemas/ErrorBody"}
    return {code: {"description": r["description"], "content": {"application/json": {"schema": schema}}}
            for code, r in responses.items()}


READ_ERRORS = error_responses(401, 422, 503)  # every authenticated route
WRITE_ERRORS = error_responses(401, 413, 415, 422, 503)  # every route that takes a body


class GenerateRequest(Strict):
    """A brief to write copy for. Its brand is the API key's (a different one is refused)."""

    brief: Brief
    guidance: str | None = Field(default=None, max_length=400, description="extra instruction, e.g. 'shorter'")
    store: bool = Field(default=True, strict=True, description="remember approved copy in memory (novelty, exemplars)")
    publish: bool = Field(default=True, strict=True, description="serve the shippable variants from /v1/variants/{sku}")
    approval: Literal["auto", "human"] = Field(
        default="auto", description="'human': pause before anything is stored or published, until a person "
                                    "approves variants at /v1/approvals/{id}")


class JobRequest(GenerateRequest):
    """A brief to write copy for in the background; the result is POSTed to `callback_url` when done."""

    callback_url: AnyHttpUrl | None = Field(default=None, description="receives the signed result")


class JobAccepted(BaseModel):
    id: str
    status: str
    url: str


class GenerateQueued(JobAccepted):
    """A POST /v1/generate that found every generation slot busy, queued as a job: poll `url` (the Location)."""

    detail: str


class PendingApproval(BaseModel):
    """A run with `approval: human`, paused before anything was stored or published: approve at `url`."""

    status: Literal["pending_approval"]
    id: str
    url: str
    variants: list[dict[str, Any]] = Field(description="the variants offered, best first")


GENERATE_QUEUED = {202: {"model": GenerateQueued | PendingApproval,
                         "description": "every generation slot is busy (`generate_concurrency`): the request was "
                                        "queued as a job, at `Location`; or, with `approval: human`, the run waits "
                                        "for a person at `Location` (`/v1/approvals/{id}`)",
                         "headers": {"Location": {"description": "the job, `/v1/jobs/{id}`, or the approval",
                                                  "schema": {"type": "string"}}}}}


class ChatRequest(Strict):
    message: str = Field(min_length=1, max_length=4000)
    thread_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")


class ChatReply(BaseModel):
    """One answer on a thread, with everything a page needs to show the thread as it now stands."""

    thread_id: str
    reply: str
    fields: dict[str, Any]
    variants: list[dict[str, Any]] = Field(description="the variants on the table, numbered 1.. as the chat "
                                                       "shows them; each a Variant (id, text, status, scores, …)")
    missing: list[str] = Field(default_factory=list, description="Brief fields still needed before copy can be "
                                                                  "written, e.g. ['product_name']")
    approved: list[int] = Field(default_factory=list, description="ids of the approved variants on the table")
    followups: list[str] = Field(default_factory=list, description="follow-up messages the chat understands, for "
                                                                    "buttons ('shorter', 'approve #1' …)")


class ChatMessage(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class ChatThread(BaseModel):
    """A thread as it stands: enough to show it again after a reload or a server restart."""

    thread_id: str
    messages: list[ChatMessage]
    fields: dict[str, Any]
    missing: list[str]
    variants: list[dict[str, Any]]
    approved: list[int]
    followups: list[str]


class ChatThreadSummary(BaseModel):
    thread_id: str
    title: str | None = Field(description="the product's name, else the first message; null for threads started "
                                          "before titles were kept")
    created_at: float = Field(description="UNIX seconds")
    updated_at: float = Field(description="UNIX seconds of the last answered message")


class ChatThreads(BaseModel):
    threads: list[ChatThreadSummary] = Field(description="the brand's threads, the most recently active first")


class VariantEdit(Strict):
    text: clean_text_field(2000, min_length=1) = Field(description="the marketer's own text for the variant")


class EditedVariant(BaseModel):
    variant: dict[str, Any] = Field(description="the edited Variant: status 'blocked' with its findings when a "
                                                "check fails, else 'ok' with fresh scores")
    variants: list[dict[str, Any]] = Field(description="the thread's whole table after the edit")



class ExperimentVariant(Strict):
    key: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
    text: str = Field(min_length=1, max_length=5000)
    angle: str | None = Field(default=None, max_length=120)
    weight: float | None = Field(default=None, gt=0, le=1000, strict=True,
                                 description="relative traffic share (split only)")


class ExperimentCreate(Strict):
    """Variants to test on one placement; `control` names the variant the others are compared with."""

    name: str = Field(min_length=1, max_length=200)
    sku: str | None = Field(default=None, max_length=64)
    category: str = Field(default="General", min_length=1, max_length=120)
    channel: Channel
    allocation: Literal["split", "thompson"] = "split"
    variants: list[ExperimentVariant] = Field(min_length=2, max_length=10, description="keys unique; `weight` only "
                                              "with allocation 'split'")
    control: str | None = Field(default=None, description="key of the control variant, one of the variants' keys "
                                                          "(default: the first)")
    brief: Brief | None = Field(default=None, description="the brief the variants answer (used for fine-tuning)")

    @model_validator(mode="after")
    def _keys(self) -> ExperimentCreate:
        keys = [v.key or f"v{i + 1}" for i, v in enumerate(self.variants)]
        if len(set(keys)) != len(keys):
            raise ValueError(f"variant keys must be unique, got {keys}")
        if self.control is not None and self.control not in keys:
            raise ValueError(f"control {self.control!r} is not one of the variant keys {keys}")
        if self.allocation == "thompson" and any(v.weight for v in self.variants):
            raise ValueError("weights apply to allocation 'split'; Thompson sampling sets the split itself")
        return self


class Event(Strict):
    """One impression, click or conversion. `event_id` makes retries safe: an id already seen counts once."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "anyOf": [{"required": ["variant"], "properties": {"variant": {"type": "string"}}},
                  {"required": ["unit"], "properties": {"unit": {"type": "string"}}}]})  # what `_names_arm` checks

    event_id: str = Id
    experiment_id: str = Field(min_length=1, max_length=32)
    type: Literal["impression", "click", "conversion"]
    variant: str | None = Field(default=None, max_length=64, description="variant key (or give `unit`)")
    unit: str | None = Field(default=None, min_length=1, max_length=200, description="the assigned user or send")
    segment: str | None = Field(default=None, max_length=120)
    timestamp: float | None = Field(default=None, ge=0, strict=True, description="UNIX seconds; default: when received")

    @model_validator(mode="after")
    def _names_arm(self) -> Event:
        if self.variant is None and self.unit is None:
            raise ValueError("give `variant` (a variant key) or `unit` (a unit that was assigned one)")
        return self


class EventBatch(Strict):
    events: list[Event] = Field(min_length=1, max_length=1000)


class Conclude(Strict):
    winner: str | None = Field(default=None, max_length=64, description="variant key; default: the recommended")


def _whole(value: Any) -> Any:
    """JSON has one number type, so 551.0 is the count 551 (JSON Schema's `integer` says so too); 5.5, "5" and
    `false` are not counts and are refused by the strict check that follows."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Count = Annotated[int, Field(ge=0, le=MAX_COUNT, strict=True), BeforeValidator(_whole)]


class MemoryItem(Strict):
    text: clean_text_field(5000, min_length=1)
    sku: str | None = Field(default=None, max_length=64)
    category: str = Field(default="General", max_length=120)
    channel: Channel = Channel.PRODUCT_DESCRIPTION
    segment: str | None = Field(default=None, max_length=120)
    impressions: Count = 0
    clicks: Count = 0
    conversions: Count = 0


class MemoryImport(Strict):
    records: list[MemoryItem] = Field(min_length=1, max_length=1000)


class Approval(BaseModel):
    """A run waiting for a person (status `pending`), or one decided (`approved`, `rejected`)."""

    id: str
    sku: str | None
    product_name: str
    channel: str
    created_at: float
    status: str
    variants: list[dict[str, Any]] = Field(description="the variants offered, as Variant JSON, best first")
    approved: list[int] | None = Field(default=None, description="the ids approved, once decided")


class PendingApprovals(BaseModel):
    pending: list[Approval]


ApprovedId = Annotated[int, Field(ge=1, le=1000, strict=True), BeforeValidator(_whole)]  # 2.0 is the id 2


class ApprovalDecision(Strict):
    approve: list[ApprovedId] = Field(max_length=100, description="ids of the variants to approve, as listed; [] "
                                                                  "rejects them all")


class ApprovalDone(BaseModel):
    id: str
    status: Literal["approved", "rejected"]
    approved: list[int]
    result: dict[str, Any] = Field(description="the finished run's Result")


class Me(BaseModel):
    brand: str
    key_id: str = Field(description="the key's public id (the part after 'cl_'), never its secret")


class ServedVariant(BaseModel):
    text: str
    rank: int
    angle: str | None
    predicted_ctr: float | None
    source: str = Field(description="what wrote it: generate, job:<id>, approval, chat, experiment:<id>")
    created_at: float


class ArmNumbers(BaseModel):
    key: str
    text: str
    impressions: int
    clicks: int
    conversions: int
    ctr: float
    cvr: float


class ExperimentNumbers(BaseModel):
    experiment_id: str
    name: str
    status: str
    winner: str | None
    arms: list[ArmNumbers]


class LibraryItem(BaseModel):
    sku: str
    channel: str
    segment: str = Field(description="'' = every segment")
    variants: list[ServedVariant] = Field(description="best first")
    results: ExperimentNumbers | None = Field(description="the latest experiment on this SKU and channel, if any")


class Library(BaseModel):
    items: list[LibraryItem]


class ExperimentSummary(BaseModel):
    id: str
    name: str
    sku: str | None
    channel: str
    status: str
    created_at: float


class ExperimentList(BaseModel):
    experiments: list[ExperimentSummary]
