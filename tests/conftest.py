"""Shared fixtures: offline mode for every test, scratch settings and memory, rules and the service store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `long` first: under -n, one collected last runs alone while the other workers sit idle."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)  # stable: the rest keep their order


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


@pytest.fixture(params=["sqlite"])
def service_db_url(request: pytest.FixtureRequest, tmp_path: Path):
    """The service store's URL: a SQLite file here; tests/integration adds a real Postgres server."""
    from tests.postgres import service_url

    with service_url(request, tmp_path) as url:
        yield url
