"""Every error as JSON that names the problem: 422 lists each bad field, 404 the unknown id, 413 the limit.

One shape throughout: {"error": a sentence, "detail": the same sentence, or a list of {field, message}}.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from copyloop.errors import BriefError, CopyloopError
from copyloop.service.experiments import ExperimentError


def field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """pydantic's errors as {field, message, input}, the field as a dotted path inside the body."""
    problems = []
    for error in _closest_branch(list(exc.errors())):
        loc = [part for part in error.get("loc", ()) if part not in ("body", "query", "path") and not _branch(part)]
        field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
        item: dict[str, Any] = {"field": field or "body", "message": error.get("msg", "invalid")}
        if "input" in error and not isinstance(error["input"], dict | list):
            item["input"] = error["input"]
        problems.append(item)
    return problems


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
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail, "detail": exc.detail}, status_code=exc.status_code,
                            headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": "invalid request", "detail": field_errors(exc)}, status_code=422)

    @app.exception_handler(BriefError)
    async def invalid_brief(_request: Request, exc: BriefError) -> JSONResponse:
        detail = [{"field": "brief." + p.split(":", 1)[0], "message": p.split(":", 1)[-1].strip()}
                  for p in exc.problems]
        return JSONResponse({"error": "invalid brief", "detail": detail}, status_code=422)

    @app.exception_handler(ExperimentError)
    async def experiment_error(_request: Request, exc: ExperimentError) -> JSONResponse:
        detail = [{"field": exc.field, "message": str(exc)}] if exc.field else str(exc)
        return JSONResponse({"error": str(exc), "detail": detail}, status_code=exc.status)

    @app.exception_handler(CopyloopError)
    async def copyloop_error(_request: Request, exc: CopyloopError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=503)


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
        response = JSONResponse({"error": "request too large", "detail": message}, status_code=413)
        await response({"type": "http"}, _nothing, send)


async def _nothing() -> dict:
    return {"type": "http.disconnect"}
