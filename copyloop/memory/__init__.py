"""The memory of past copy: novelty checks against what was written before, and proven examples to reuse."""

from copyloop.memory.records import MemoryRecord
from copyloop.memory.store import CopyMemory, open_memory

__all__ = ["CopyMemory", "MemoryRecord", "open_memory"]
