"""Shared fixtures: offline mode for every test, and one real SmolLM2 model per test session."""

from __future__ import annotations

import os

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
