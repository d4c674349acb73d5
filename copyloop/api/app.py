"""The FastAPI app: routers per resource, the job worker started with the app and stopped with it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from langchain_core.language_models import BaseChatModel

from copyloop import __doc__ as package_doc
from copyloop.api import errors
from copyloop.api.routes import approvals, chat, events, experiments, generate, jobs, library, me, variants
from copyloop.api.routes import memory as memory_routes
from copyloop.api.slots import GenerateSlots
from copyloop.config import Settings
from copyloop.graphs.context import CopyContext
from copyloop.memory import CopyMemory
from copyloop.service.db import connect, default_url
from copyloop.service.housekeeping import clean_up
from copyloop.service.runner import run_request
from copyloop.service.worker import Worker
from copyloop.web import STATIC

ROUTERS = tuple(m.router for m in (generate, jobs, variants, chat, experiments, events, memory_routes, approvals,
                                   library, me))


def create_app(settings: Settings | None = None, *, llm: BaseChatModel | None = None,
               memory: CopyMemory | None = None, worker: bool = True) -> FastAPI:
    """The app on the settings' database (SQLite in the home folder unless `database_url` names another)."""
    settings = settings or Settings.from_env()
    context = CopyContext(settings=settings, llm=llm, memory=memory)
    if settings.memory_url:
        context.copy_memory()  # a wrong or unreachable Chroma server stops the start, not the first request
    engine = connect(settings.database_url or default_url(settings.home))

    def run_job(request: dict[str, Any], heartbeat: Callable[[], None]) -> dict[str, Any]:
        result = run_request(engine, context, request["brand"], request, f"job:{request['job_id']}",
                             on_progress=lambda _node, _update: heartbeat())
        return result.model_dump(mode="json")

    background = Worker(engine, run_job, lease_seconds=settings.job_lease_seconds,
                        backoff_base=settings.webhook_backoff_seconds, webhook_allow=settings.webhook_allow_list,
                        clean_up=lambda: clean_up(engine, settings)) if worker else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if background:
            background.start()
        try:
            yield
        finally:
            if background:
                background.stop()
            engine.dispose()

    app = FastAPI(title="copyloop", version="0.1.0", lifespan=lifespan,
                  description=(package_doc or "").split("\n")[0] + " Authenticate with an API key per brand.")
    app.state.engine, app.state.context, app.state.settings = engine, context, settings
    app.state.generate_slots = GenerateSlots(settings.generate_concurrency)
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        """Liveness for load balancers; no key needed."""
        return {"status": "ok"}

    mount_web(app)
    app.add_middleware(errors.JsonGuard)  # inside BodyLimit: it only ever reads a bounded body
    app.add_middleware(errors.BodyLimit, limit=settings.max_request_bytes)
    return app


# The page only talks to this server: no inline script, nothing from elsewhere, never framed.
PAGE_HEADERS = {"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


def mount_web(app: FastAPI) -> None:
    """The marketers' web page (copyloop/web/static): index at `/`, its assets at `/app/...`, no key needed to load
    them; the page then calls the API with the key its user logs in with."""
    app.mount("/app", StaticFiles(directory=STATIC), name="app")

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)
