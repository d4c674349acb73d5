"""POST /v1/chat: chat-style brief submission on a thread, the same conversation `copyloop chat` has."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException

from copyloop.api.deps import DB, Caller, Context
from copyloop.api.schemas import WRITE_ERRORS, ChatReply, ChatRequest, error_responses
from copyloop.chat import ChatSession
from copyloop.graphs.retention import ThreadExpired
from copyloop.service.db import chat_threads, now, writing
from copyloop.service.housekeeping import forget_chats
from copyloop.service.keys import brand_identity
from copyloop.tools.rulebook import using_rules

router = APIRouter(prefix="/v1", tags=["chat"])


@router.post("/chat", responses={**WRITE_ERRORS, **error_responses(404, 410)})
def chat(body: ChatRequest, caller: Caller, engine: DB, context: Context) -> ChatReply:
    """Send one message; omit `thread_id` to start a thread, pass it back to continue (even after a restart, for
    `keep_chats_days` after its last message; after that it answers 410)."""
    thread_id = body.thread_id or uuid.uuid4().hex[:12]
    _claim_thread(engine, caller.brand, thread_id, new=body.thread_id is None)
    with using_rules(context.rules), ChatSession(thread_id, context.settings, llm=context.chat_model(),
                                                 memory=context.copy_memory(), brand=caller.brand,
                                                 existing=body.thread_id is not None) as session:
        try:
            reply = session.send(body.message)
        except ThreadExpired:
            forget_chats(engine, [thread_id])
            raise HTTPException(410, f"chat thread {thread_id!r} has expired: it was idle longer than "
                                     f"{context.settings.keep_chats_days:g} days; start a new one") from None
        return ChatReply(thread_id=thread_id, reply=reply, fields=session.fields,
                         variants=[v.model_dump(mode="json") for v in session.variants])


def _claim_thread(engine: DB, brand: str, thread_id: str, new: bool) -> None:
    """A thread belongs to the brand that started it here: another brand's chat, and any id this endpoint did not
    hand out (a generation run's thread id, someone's guess), answers 404 — the checkpointer holds every brand's
    threads, so an unknown id is never taken as a new chat."""
    with writing(engine) as conn:
        owner = conn.execute(sa.select(chat_threads.c.brand).where(chat_threads.c.thread_id == thread_id)).scalar()
        if owner is None and new:
            conn.execute(chat_threads.insert().values(thread_id=thread_id, brand=brand, created_at=now()))
        elif new or owner is None or brand_identity(owner) != brand_identity(brand):
            raise HTTPException(404, f"no chat thread {thread_id!r} for this API key's brand")
