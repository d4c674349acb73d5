"""Shared fixtures: offline mode for every test, and one real SmolLM2 model per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def real_llm():
    """The built-in default model (converted from GGUF into the user cache on first use)."""
    from copyloop.config import Settings
    from copyloop.llm.factory import chat_model

    return chat_model(Settings())


@pytest.fixture
def settings(tmp_path: Path):
    """Settings for graph tests: a scratch home, one draft per variant and no spares, so batches are exact."""
    from copyloop.config import Settings

    return Settings(home=tmp_path / "home", candidates=1, spares=0)


@pytest.fixture
def memory(tmp_path: Path):
    """A real, empty Chroma memory in a scratch folder."""
    from copyloop.memory import CopyMemory

    return CopyMemory(tmp_path / "memory")


@pytest.fixture(scope="session")
def builtin_rulebook():
    """The built-in rules alone, compiled once per test session."""
    from copyloop.tools.rulebook import Rulebook

    return Rulebook()


@pytest.fixture
def builtin_rules(builtin_rulebook):
    """The built-in rules in force for the test, whatever COPYLOOP_RULES_DIR says."""
    from copyloop.tools.rulebook import using_rules

    with using_rules(builtin_rulebook):
        yield builtin_rulebook


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh database for this session on a real Postgres server (see tests/postgres.py for which one)."""
    from tests.postgres import database, server

    with server() as admin_url, database(admin_url) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def service_db_url(request: pytest.FixtureRequest, tmp_path: Path):
    """The service store's URL on each backend: a SQLite file, or a new database of its own on Postgres."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.sqlite'}"
        return
    from tests.postgres import database

    with database(request.getfixturevalue("postgres_url")) as url:
        yield url
