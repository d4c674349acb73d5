"""Integration fixtures: one real SmolLM2 model and one Postgres server per session, a Chroma server per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chroma import chroma_server


@pytest.fixture(scope="session")
def real_llm():
    """The built-in default model (converted from GGUF into the user cache on first use)."""
    from copyloop.config import Settings
    from copyloop.llm.factory import chat_model

    return chat_model(Settings())


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh database for this session on a real Postgres server (see tests/postgres.py for which one)."""
    from tests.postgres import database, server

    with server() as admin_url, database(admin_url) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def service_db_url(request: pytest.FixtureRequest, tmp_path: Path):
    """The service store's URL on each backend: a SQLite file, or a new database of its own on Postgres."""
    from tests.postgres import service_url

    with service_url(request, tmp_path) as url:
        yield url


@pytest.fixture(scope="module")
def chroma_url() -> Iterator[str]:
    """A real `chroma run` on loopback for the module's tests (tests/chroma.py), stopped and deleted after them."""
    with chroma_server() as url:
        yield url
