"""What new copy must be novel against, and a throwaway memory that holds it, so configurations meet one store.

Past copy is the shop's existing descriptions (of products outside the evaluated set) and, when given, a memory
folder's records.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from copyloop.brief import Brief
from copyloop.memory import CopyMemory, MemoryRecord


def past_copy(train: list[Brief], memory_dir: Path | None) -> list[str]:
    """What new copy should be novel against: the shop's existing descriptions and memory."""
    texts = [b.reference_copy for b in train if b.reference_copy]
    if memory_dir is not None:
        with CopyMemory(memory_dir) as memory:
            texts += [r.text for r in memory.all()]
    return texts


@contextmanager
def eval_memory(references: list[str]) -> Iterator[tuple[Path, CopyMemory]]:
    """A throwaway home whose memory holds the past copy, so both models are judged against the same store."""
    with tempfile.TemporaryDirectory(prefix="copyloop-eval-") as home:
        memory = CopyMemory(Path(home) / "memory")
        try:
            memory.add(MemoryRecord(text=t[:5000], source="catalog") for t in references)
            yield Path(home), memory
        finally:
            memory.close()
