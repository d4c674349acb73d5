"""Every error as JSON that names the problem: 422 lists each bad field, 404 the unknown id, 413 the limit.

One shape throughout: {"error": a sentence, "detail": the same sentence, or a list of {field, message}}.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from copyloop.errors import BriefError, CopyloopError
from copyloop.safe_load import UnsafeInput, load_json
from copyloop.service.experiments import ExperimentError
from copyloop.service.runner import ForeignBrand


def field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """pydantic's errors as {field, message, input}, the field as a dotted path inside the body."""
    problems = []
    for error in _closest_branch(list(exc.errors())):
        loc = [part for part in error.get("loc", ()) if part not in ("body", "query", "path") and not _branch(part)]
        field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
        item: dict[str, Any] = {"field": field or "body", "message": _printable(str(error.get("msg", "invalid")))}
        shown = _shown_input(error.get("input"))
        if shown is not None:
            item["input"] = shown
        problems.append(item)
    return problems


INPUT_ECHO_CHARS = 200  # how much of a bad value the error repeats back: enough to spot it, never the whole body
_SAFE_INT = 2**53  # integers JSON clients read back exactly


def _shown_input(value: object) -> object:
    """The bad value as the error may echo it: JSON that always encodes (no NaN, no lone surrogate, no bytes, no
    giant integer), cut to INPUT_ECHO_CHARS; None for containers and anything else (then it is left out)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) < _SAFE_INT else _printable(str(value))
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, str):
        return _printable(value)
    return None


def error_response(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    """The one way an error leaves the API: every string made encodable and every number finite first, so the
    error handler itself can never fail (a 500 there would also reset the client's keep-alive connection)."""
    return JSONResponse(_encodable(body), status_code=status, headers=headers)


def _encodable(value: object) -> object:
    if isinstance(value, dict):
        return {str(_encodable(k)): _encodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(v) for v in value]
    if isinstance(value, str):
        return _utf8(value)
    shown = _shown_input(value)
    return shown if shown is not None or value is None else str(value)


def _printable(text: str) -> str:
    """Text that encodes as UTF-8 (a lone surrogate becomes U+FFFD), cut to INPUT_ECHO_CHARS."""
    return _utf8(text[:INPUT_ECHO_CHARS] + ("…" if len(text) > INPUT_ECHO_CHARS else ""))


def _utf8(text: str) -> str:
    """The text as UTF-8 can carry it: a lone surrogate ("\ud800") becomes U+FFFD."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _closest_branch(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For a body that can take several shapes (one event, or a batch), the errors of the shape it came closest
    to: a batch with one bad event gets that event's error, not also a list of what a single event would need."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for error in errors:
        tag = next((p for p in error.get("loc", ()) if _branch(p)), "")
        groups.setdefault(str(tag), []).append(error)
    return min(groups.values(), key=len) if len(groups) > 1 else errors


def _branch(part: object) -> bool:
    """pydantic names the union member an error came from ("EventBatch", "function-after[…]"): not a field."""
    return isinstance(part, str) and (part[:1].isupper() or "[" in part)


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method the path takes, not only the first route's (GET and POST memory)
            path = request.url.path
            methods = {m for r in request.app.routes if isinstance(r, APIRoute) and r.path_regex.match(path)
                       for m in r.methods}
            headers["Allow"] = ", ".join(sorted(methods))
        return error_response({"error": exc.detail, "detail": exc.detail}, exc.status_code, headers or None)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response({"error": "invalid request", "detail": field_errors(exc)}, 422)

    @app.exception_handler(ValidationError)
    async def invalid_value(_request: Request, exc: ValidationError) -> JSONResponse:
        # a value a route builds from valid input that a model below still refuses: the caller's input, not a 500
        detail = [{"field": ".".join(str(p) for p in e.get("loc", ())) or "body", "message": str(e.get("msg"))}
                  for e in exc.errors()]
        return error_response({"error": "invalid request", "detail": detail}, 422)

    @app.exception_handler(BriefError)
    async def invalid_brief(_request: Request, exc: BriefError) -> JSONResponse:
        detail = [{"field": "brief." + p.split(":", 1)[0], "message": p.split(":", 1)[-1].strip()}
                  for p in exc.problems]
        if isinstance(exc, ForeignBrand):
            return error_response({"error": "brief for another brand", "detail": detail}, 403)
        return error_response({"error": "invalid brief", "detail": detail}, 422)

    @app.exception_handler(ExperimentError)
    async def experiment_error(_request: Request, exc: ExperimentError) -> JSONResponse:
        detail = [{"field": exc.field, "message": str(exc)}] if exc.field else str(exc)
        return error_response({"error": str(exc), "detail": detail}, exc.status)

    @app.exception_handler(CopyloopError)
    async def copyloop_error(_request: Request, exc: CopyloopError) -> JSONResponse:
        return error_response({"error": str(exc)}, 503)


class JsonGuard:
    """ASGI middleware: a JSON body must parse as JSON without NaN, Infinity or deep nesting before any route sees
    it (Python's parser accepts NaN and recurses once per level), and an endpoint that reads JSON gets JSON.
    Answers 422 or 415 naming the problem; the body, already bounded by BodyLimit, is then replayed to the app."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(b"", message, receive), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        problem = _json_problem(dict(scope.get("headers") or []).get(b"content-type", b""), body)
        if problem:
            status, message_text = problem
            response = error_response({"error": "invalid request", "detail": [
                {"field": "body", "message": message_text}]}, status)
            await response(scope, _nothing, send)
            return
        await self.app(scope, _replay(body, None, receive), send)


def _json_problem(content_type: bytes, body: bytes) -> tuple[int, str] | None:
    kind = content_type.split(b";")[0].strip().lower()
    if not body.strip():
        return None  # FastAPI names the missing body itself
    if kind and kind != b"application/json" and not kind.endswith(b"+json"):
        return 415, f"send the body as application/json, not {kind.decode('latin-1')[:60]}"
    try:
        load_json(body)
    except UnsafeInput as exc:
        return 422, str(exc)
    return None


def _replay(body: bytes, first: dict | None, receive: Any) -> Any:
    """A receive() that hands the app the whole body once (or the one message already read), then listens to
    the client again (for its disconnect)."""
    sent = False

    async def replayed() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return first or {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


class BodyLimit:
    """ASGI middleware: refuses bodies over `limit` bytes with 413, by Content-Length or while streaming."""

    def __init__(self, app: Any, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await self._refuse(send, int(length))
            return
        seen, refused = 0, False

        async def counted() -> dict:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:  # answer 413 now; the app sees a disconnect and whatever it sends is dropped
                refused = True
                await self._refuse(send, seen)
                return {"type": "http.disconnect"}
            return message

        async def guarded(message: dict) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counted, guarded)

    async def _refuse(self, send: Any, size: int) -> None:
        message = f"request body is {size}+ bytes; the limit is {self.limit} (COPYLOOP_MAX_REQUEST_BYTES)"
        response = error_response({"error": "request too large", "detail": message}, 413)
        await response({"type": "http"}, _nothing, send)


async def _nothing() -> dict:
    return {"type": "http.disconnect"}
