"""The one Chroma collection copy lives in, the same on a folder and on a server.

Brand isolation is a filter, not a collection per brand: every record carries `brand_key` (its brand, case
folded) and every read the service makes for a caller filters on it (`CopyMemory.select`, `exemplars`,
`nearest_similarity(brand=...)`). One collection keeps the embedded and the server store identical, keeps
cross-brand reads (`stats`, `export`, novelty against all copy) a single query, and needs no mapping from free-text
brand names to Chroma's restricted collection names.
"""

from __future__ import annotations

from typing import Any

from copyloop.memory.embeddings import MiniLMEmbeddingFunction

COLLECTION = "copy"
BATCH = 256  # records per upsert: Chroma's batches stay small and one embedding call stays short


def copy_collection(client: Any) -> Any:
    """The copy collection: our embedding function (Chroma's default downloads one), cosine space."""
    return client.get_or_create_collection(
        COLLECTION,
        embedding_function=MiniLMEmbeddingFunction(),  # type: ignore[arg-type]
        configuration={"hnsw": {"space": "cosine"}},
    )
