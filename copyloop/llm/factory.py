"""Picks the chat model a run uses: built-in SmolLM2, a local checkpoint, or an OpenAI-compatible URL.

Weights are cached per model and adapter, so a long-lived process (CLI chat, HTTP server) loads them once.
"""

from __future__ import annotations

import threading
from functools import cache, lru_cache
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from copyloop.config import Settings
from copyloop.errors import ModelError
from copyloop.llm.local import LocalChatModel
from copyloop.llm.smollm2 import MODEL_NAME, converted_model_dir

_lock = threading.Lock()


SHIPPED_ADAPTER = Path(__file__).resolve().parent.parent / "adapters" / "smollm2-copyloop"


def adapter_for(settings: Settings) -> str | None:
    """The adapter a run applies: the one named, else copyloop's fine-tuned one on the built-in SmolLM2."""
    if settings.adapter_path:
        return settings.adapter_path
    if settings.backend == "smollm2" and settings.tuned and (SHIPPED_ADAPTER / "adapter_config.json").is_file():
        return str(SHIPPED_ADAPTER)
    return None


def model_label(settings: Settings) -> str:
    """A short human-readable name of the configured model, for results and reports."""
    if settings.backend == "openai":
        return f"openai:{settings.openai_model}@{settings.openai_base_url}"
    base = MODEL_NAME if settings.backend == "smollm2" else str(settings.model_path)
    adapter = adapter_for(settings)
    if adapter == str(SHIPPED_ADAPTER):
        return f"{base}+copyloop-lora"
    return f"{base}+{adapter}" if adapter else base


def chat_model(settings: Settings) -> BaseChatModel:
    """The chat model for these settings. Weights load once per process whatever the seed and temperature: each
    pair gets a copy that shares the loaded model and its batch (callers with different seeds decode together)."""
    with _lock:
        return _configured(settings.backend, settings.model_path, adapter_for(settings), str(settings.model_cache),
                           settings.openai_base_url, settings.openai_model, settings.openai_api_key, settings.seed,
                           settings.temperature)


@lru_cache(maxsize=64)  # copies are light (they share the weights), but a server may see any number of seeds
def _configured(backend: str, model_path: str | None, adapter_path: str | None, cache_dir: str, base_url: str | None,
                openai_model: str | None, api_key: str | None, seed: int, temperature: float) -> BaseChatModel:
    shared = _loaded_model(backend, model_path, adapter_path, cache_dir, base_url, openai_model, api_key)
    return shared.model_copy(update={"seed": seed, "temperature": temperature})


@cache
def _loaded_model(backend: str, model_path: str | None, adapter_path: str | None, cache_dir: str,
                  base_url: str | None, openai_model: str | None, api_key: str | None) -> BaseChatModel:
    if backend == "openai":
        return _openai_model(base_url, openai_model, api_key)
    if backend == "smollm2":
        model_path = str(converted_model_dir(Path(cache_dir)))
    elif backend != "transformers":
        raise ModelError(f"backend {backend!r} is unknown; use smollm2, transformers or openai")
    if not model_path:
        raise ModelError("backend 'transformers' needs model_path (COPYLOOP_MODEL_PATH) naming a checkpoint folder")
    label = MODEL_NAME if backend == "smollm2" else model_path
    model = LocalChatModel(model_path=model_path, adapter_path=adapter_path, label=label)
    model.load()
    return model


def _openai_model(base_url: str | None, name: str | None, api_key: str | None) -> BaseChatModel:
    """Any OpenAI-compatible server (vLLM, Ray Serve LLM, Ollama, llama.cpp server)."""
    from langchain_openai import ChatOpenAI

    if not base_url or not name:
        raise ModelError("backend 'openai' needs openai_base_url and openai_model (COPYLOOP_OPENAI_BASE_URL, "
                         "COPYLOOP_OPENAI_MODEL)")
    return ChatOpenAI(base_url=base_url, model=name, api_key=api_key or "not-needed", max_retries=2, timeout=120)
