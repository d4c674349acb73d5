"""The chat threads store's tests (tests/unit/test_chat_threads_store.py) on a real Postgres server."""

from __future__ import annotations

import pytest

from tests.postgres import service_url
from tests.unit.test_chat_threads_store import *  # noqa: F403  (the same tests, on the database below)


@pytest.fixture(params=["postgres"])
def service_db_url(request: pytest.FixtureRequest, tmp_path):
    """Postgres only: tests/unit runs these tests on SQLite."""
    with service_url(request, tmp_path) as url:
        yield url
