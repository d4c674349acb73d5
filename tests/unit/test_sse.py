"""The event stream: events go out in order as the work reports them, a failing work ends with an error event,
and a client that goes away never stops the work."""

from __future__ import annotations

import json
import threading
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI
from fastapi.testclient import TestClient

from copyloop.api.sse import EventStream, sse
from tests.servers import sse_events


async def on_thread(job: Any) -> None:
    await anyio.to_thread.run_sync(job)


def app_for(work: Any) -> FastAPI:
    app = FastAPI()

    @app.post("/stream", response_class=EventStream)
    async def stream() -> EventStream:
        return EventStream([sse("start", {"n": 0})], work, on_thread)

    return app


def test_an_event_is_one_line_of_data() -> None:
    assert sse("reply", {"text": "two\nlines", "x": "é"}) == b'event: reply\ndata: {"text": "two\\nlines", ' \
                                                            b'"x": "\\u00e9"}\n\n'


def test_events_arrive_in_order_after_the_first() -> None:
    def work(emit: Any) -> None:
        for n in range(1, 4):
            emit("step", {"n": n})
        emit("done", {"n": 4})

    with TestClient(app_for(work)) as client:
        response = client.post("/stream")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    assert "content-length" not in response.headers and response.headers["cache-control"] == "no-cache"
    assert sse_events(response.text) == [("start", {"n": 0}), ("step", {"n": 1}), ("step", {"n": 2}),
                                    ("step", {"n": 3}), ("done", {"n": 4})]


def test_a_work_that_raises_ends_the_stream_with_an_error_event() -> None:
    def work(emit: Any) -> None:
        emit("step", {"n": 1})
        raise RuntimeError("boom")

    with TestClient(app_for(work), raise_server_exceptions=True) as client:
        response = client.post("/stream")
    assert response.status_code == 200
    events = sse_events(response.text)
    assert events[-1][0] == "error" and "boom" not in json.dumps(events), "no internals leak"


def test_a_client_that_leaves_does_not_stop_the_work() -> None:
    finished = threading.Event()

    def work(emit: Any) -> None:
        for n in range(5):
            emit("step", {"n": n})
        finished.set()

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            raise OSError("client went away")
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def main() -> None:
        await EventStream([sse("start", {})], work, on_thread)({"type": "http"}, receive, send)

    anyio.run(main)
    assert finished.is_set(), "the work ran to the end"
    assert [m["type"] for m in sent] == ["http.response.start"], "nothing more was written after the failure"
