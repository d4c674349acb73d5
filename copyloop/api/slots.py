"""Generation slots: POST /v1/generate runs on a few threads of its own, never on AnyIO's default pool.

The default pool (40 threads) also runs every sync route and dependency, so generations holding its threads for
tens of seconds would queue /v1/variants behind them. A request that finds every slot taken is not left waiting
with its connection open: the route turns it into a durable job instead (see routes/generate.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")


class SlotsBusy(Exception):
    """Every generation slot is taken; the request is better off as a job than waiting."""


class GenerateSlots:
    """`size` threads for generations, one CapacityLimiter per app (so per event loop and server)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.limiter = anyio.CapacityLimiter(size)
        self._admitted = 0

    async def run(self, work: Callable[[], T], *, wait: bool = False) -> T:
        """`work()` on a generation thread; SlotsBusy at once, without waiting, when all slots are taken — or,
        with `wait`, a place in the queue for the next free slot (a chat stream, whose client is watching it).

        Admission is counted here rather than read off `limiter.available_tokens`: `run_sync` yields before it
        takes a token, so two requests could both see the last one free and the second would wait. Counting in
        the same event-loop step as the check keeps admissions <= size, so the limiter itself never waits for a
        request that did not ask to (a waiting one is counted too, so the others see the slots as taken).
        """
        if self._admitted >= self.size and not wait:
            raise SlotsBusy(f"every generation slot ({self.size}, `generate_concurrency`) is busy; the request "
                            "was queued as a job: poll its Location")
        self._admitted += 1
        try:
            return await anyio.to_thread.run_sync(work, limiter=self.limiter)
        finally:
            self._admitted -= 1
