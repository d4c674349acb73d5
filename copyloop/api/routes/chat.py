"""Chat over HTTP: the same conversation `copyloop chat` has, on threads that belong to one brand.

POST /v1/chat answers one message; POST /v1/chat/stream answers it as server-sent events (the thread, each copy
workflow step as it finishes, the reply); GET /v1/chat lists the brand's threads and GET /v1/chat/{id} shows one
as it stands; PUT /v1/chat/{id}/variants/{n} puts the marketer's own text on a variant, re-checked. Approving in a
chat publishes the thread's approved variants as the served copy for the brief's placement (source "chat").
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Path, Query
from langchain_core.language_models import BaseChatModel
from sqlalchemy.engine import Engine

from copyloop.api.deps import DB, Caller, Context, Slots
from copyloop.api.schemas import (
    READ_ERRORS,
    WRITE_ERRORS,
    ChatReply,
    ChatRequest,
    ChatThread,
    ChatThreads,
    EditedVariant,
    VariantEdit,
    error_responses,
    json_errors,
)
from copyloop.api.sse import Emit, EventStream, sse
from copyloop.chat import ChatSession, NoSuchVariant
from copyloop.errors import CopyloopError
from copyloop.generation import ProgressCallback
from copyloop.graphs.context import CopyContext
from copyloop.graphs.progress import describe
from copyloop.graphs.retention import ThreadExpired
from copyloop.memory import CopyMemory
from copyloop.service import chat_threads
from copyloop.service.housekeeping import forget_chats
from copyloop.tools.rulebook import using_rules

router = APIRouter(prefix="/v1", tags=["chat"])
log = logging.getLogger(__name__)
ThreadId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
SSE_EVENT = {  # OpenAPI 3.1: the schema of an event stream's content describes one event
    "type": "object", "required": ["event", "data"],
    "properties": {"event": {"type": "string", "enum": ["thread", "progress", "reply", "error"]},
                   "data": {"type": "string", "description": "the event's JSON object"}}}
STREAM = {200: {"description": "`text/event-stream`: `event: thread` {thread_id}; then `event: progress` {node, "
                               "label, detail} as each copy-workflow step finishes (label in plain words, e.g. "
                               "'Drafting 4 variants'; detail: what it changed); then `event: reply` with the "
                               "ChatReply — or `event: error` {error, detail}, which ends the stream. Comment lines "
                               "(': ping') keep an idle connection open.",
                "content": {"text/event-stream": {"schema": SSE_EVENT}}}}


@router.post("/chat", responses={**WRITE_ERRORS, **error_responses(404, 410)})
def chat(body: ChatRequest, caller: Caller, engine: DB, context: Context) -> ChatReply:
    """Send one message; omit `thread_id` to start a thread, pass it back to continue (even after a restart, for
    `keep_chats_days` after its last message; after that it answers 410)."""
    thread_id = _start(engine, caller.brand, body)
    with _expiry(engine, context, thread_id):
        return _turn(engine, context, caller.brand, thread_id, body.message, new=body.thread_id is None)


@router.post("/chat/stream", status_code=200, response_class=EventStream,
             responses={**STREAM, **json_errors({**WRITE_ERRORS, **error_responses(404)})})
async def chat_stream(body: ChatRequest, caller: Caller, engine: DB, context: Context, slots: Slots) -> EventStream:
    """POST /v1/chat as server-sent events, so a page can show each step of the copy workflow as it finishes.
    The turn runs on a generation slot (waiting for one if all are busy) and finishes even if the client leaves."""
    thread_id = await anyio.to_thread.run_sync(_start, engine, caller.brand, body)

    def work(emit: Emit) -> None:
        try:
            reply = _turn(engine, context, caller.brand, thread_id, body.message, new=body.thread_id is None,
                          on_progress=lambda node, update: emit("progress", describe(node, update)))
            emit("reply", reply.model_dump(mode="json"))
        except CopyloopError as exc:  # a store is unreadable: what the JSON route answers with 503
            emit("error", {"error": str(exc), "detail": str(exc)})
        except Exception:
            log.exception("chat turn on thread %s failed", thread_id)
            emit("error", {"error": "internal error", "detail": "the message could not be answered; send it again"})

    async def run(job: Callable[[], None]) -> None:
        await slots.run(job, wait=True)

    return EventStream([sse("thread", {"thread_id": thread_id})], work, run)


@router.get("/chat", responses=READ_ERRORS)
def chat_list(caller: Caller, engine: DB, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> ChatThreads:
    """The brand's chat threads, the most recently active first."""
    return ChatThreads.model_validate({"threads": chat_threads.brand_threads(engine, caller.brand, limit)})


@router.get("/chat/{thread_id}", responses={**READ_ERRORS, **error_responses(404)})
def chat_thread(thread_id: ThreadId, caller: Caller, engine: DB, context: Context) -> ChatThread:
    """One thread as it stands: its messages, the brief so far, the variants, what is approved and what next."""
    _own(engine, caller.brand, thread_id)
    with _session(context, caller.brand, thread_id) as session:
        return ChatThread(thread_id=thread_id, messages=session.history, **_standing(session))


@router.put("/chat/{thread_id}/variants/{number}", responses={**WRITE_ERRORS, **error_responses(404, 410)})
def edit_variant(thread_id: ThreadId, number: Annotated[int, Path(ge=1)], body: VariantEdit,
                 caller: Caller, engine: DB, context: Context) -> EditedVariant:
    """Put your own text on variant `number` (1-based, as shown): it is re-checked by the workflow's checks
    (compliance, sense, tone, length, CTA) and re-scored, and saved in the thread — blocked with its findings when
    a check fails. An approved variant that is edited is no longer approved: approve it again to publish it."""
    _own(engine, caller.brand, thread_id)
    with _expiry(engine, context, thread_id), using_rules(context.rules), \
            _session(context, caller.brand, thread_id, memory=context.copy_memory()) as session:
        try:
            edited = session.edit(number, body.text)
        except NoSuchVariant as exc:
            raise HTTPException(404, f"{exc} on chat thread {thread_id!r}") from None
        chat_threads.touch(engine, thread_id, session.fields.get("product_name"))
        return EditedVariant(variant=edited.model_dump(mode="json"),
                             variants=[v.model_dump(mode="json") for v in session.variants])


def _start(engine: Engine, brand: str, body: ChatRequest) -> str:
    """The thread a message goes to: a new one, or the brand's own existing one (404 otherwise)."""
    thread_id = body.thread_id or uuid.uuid4().hex[:12]
    if not chat_threads.claim(engine, brand, thread_id, new=body.thread_id is None, first_message=body.message):
        raise HTTPException(404, f"no chat thread {thread_id!r} for this API key's brand")
    return thread_id


def _own(engine: Engine, brand: str, thread_id: str) -> None:
    if not chat_threads.claim(engine, brand, thread_id, new=False):
        raise HTTPException(404, f"no chat thread {thread_id!r} for this API key's brand")


def _session(context: CopyContext, brand: str, thread_id: str, llm: BaseChatModel | None = None,
             memory: CopyMemory | None = None, new: bool = False) -> ChatSession:
    """The thread's session; the model and memory are only loaded where they are used (answering, editing).
    Only a new thread may start afresh: an existing one that retention pruned raises ThreadExpired."""
    return ChatSession(thread_id, context.settings, llm=context.llm if llm is None else llm,
                       memory=context.memory if memory is None else memory, brand=brand, existing=not new)


@contextmanager
def _expiry(engine: Engine, context: CopyContext, thread_id: str) -> Iterator[None]:
    """A thread pruned after `keep_chats_days` idle answers 410 (and is forgotten, so later calls get 404)."""
    try:
        yield
    except ThreadExpired:
        forget_chats(engine, [thread_id])
        raise HTTPException(410, f"chat thread {thread_id!r} has expired: it was idle longer than "
                                 f"{context.settings.keep_chats_days:g} days; start a new one") from None


def _turn(engine: Engine, context: CopyContext, brand: str, thread_id: str, message: str, *, new: bool,
          on_progress: ProgressCallback | None = None) -> ChatReply:
    """Answer one message on the thread, publish what its approvals asked for, and say where the thread stands."""
    with using_rules(context.rules), _session(context, brand, thread_id, llm=context.chat_model(),
                                              memory=context.copy_memory(), new=new) as session:
        reply = session.send(message, on_progress)
        chat_threads.publish(engine, brand, session.publications)
        standing = _standing(session)
        chat_threads.touch(engine, thread_id, standing["fields"].get("product_name"))
        return ChatReply(thread_id=thread_id, reply=reply, **standing)


def _standing(session: ChatSession) -> dict[str, Any]:
    """Where the thread stands, as JSON."""
    standing = session.standing()
    return {**standing, "variants": [v.model_dump(mode="json") for v in standing["variants"]]}

