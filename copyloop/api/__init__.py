"""The HTTP service: `create_app(settings)` returns the FastAPI app that `copyloop serve` runs on uvicorn."""

from copyloop.api.app import create_app

__all__ = ["create_app"]
