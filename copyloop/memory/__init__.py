"""The memory of past copy: novelty checks against what was written before, and proven examples to reuse."""

from copyloop.memory.store import CopyMemory, MemoryRecord

__all__ = ["CopyMemory", "MemoryRecord"]
