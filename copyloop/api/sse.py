"""Server-sent events for work that runs on a thread: each event the work reports goes out as it happens.

`EventStream` is an ASGI response that owns its task group, so no async generator holds a cancel scope across a
`yield` (PEP 789): one task runs the work (on a generation slot), this one writes what it reports, with a comment
line every PING_SECONDS so proxies keep an idle connection open. A client that goes away stops the writing, never
the work: a chat turn always finishes and is saved, and the client can read the thread back.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

import anyio
import anyio.from_thread
from anyio.streams.memory import MemoryObjectReceiveStream
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

Emit = Callable[[str, Any], None]  # (event name, JSON data), callable from the work's thread
PING_SECONDS = 15.0
PING = b": ping\n\n"
log = logging.getLogger(__name__)


def sse(event: str, data: Any) -> bytes:
    """One event in the wire format; the data as one line of ASCII JSON (no newline can split it)."""
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode("ascii")


class EventStream(Response):
    """`first` events at once, then those `work(emit)` reports while `run` runs it off the event loop."""

    media_type = "text/event-stream"

    def __init__(self, first: list[bytes], work: Callable[[Emit], None],
                 run: Callable[[Callable[[], None]], Awaitable[None]]) -> None:
        self.status_code, self.background = 200, None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})  # no body: no Content-Length
        self.first, self.work, self.run = first, work, run

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sender, receiver = anyio.create_memory_object_stream[bytes](math.inf)
        for chunk in self.first:
            sender.send_nowait(chunk)

        def emit(event: str, data: Any) -> None:
            with suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):  # nobody reads: the work goes on
                anyio.from_thread.run_sync(sender.send_nowait, sse(event, data))

        async def produce() -> None:
            with sender:
                try:
                    await self.run(lambda: self.work(emit))
                except Exception:  # the work reports its own errors; this is a bug, but the stream must end
                    log.exception("event stream work failed")
                    sender.send_nowait(sse("error", {"error": "internal error", "detail": "the work failed"}))

        async with anyio.create_task_group() as group:
            group.start_soon(produce)
            await self._write(send, receiver)

    async def _write(self, send: Send, receiver: MemoryObjectReceiveStream[bytes]) -> None:
        """Write every event until the work is done; after a failed write, only drain."""
        connected = await self._send(send, {"type": "http.response.start", "status": self.status_code,
                                            "headers": self.raw_headers})
        with receiver:
            while True:
                try:
                    with anyio.fail_after(PING_SECONDS):
                        chunk = await receiver.receive()
                except TimeoutError:
                    chunk = PING
                except anyio.EndOfStream:
                    break
                if connected:
                    connected = await self._send(send, {"type": "http.response.body", "body": chunk,
                                                        "more_body": True})
        if connected:
            await self._send(send, {"type": "http.response.body", "body": b"", "more_body": False})

    @staticmethod
    async def _send(send: Send, message: dict[str, Any]) -> bool:
        """Send; False when the client is gone (some servers raise then, uvicorn drops the message)."""
        try:
            await send(message)
        except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            return False
        return True
