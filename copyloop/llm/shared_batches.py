"""Concurrent callers share one model batch: while the model runs, requests queue; the next run takes them all.

On a CPU a decoding step costs nearly the same for 1 row as for 12, so briefs drafted at the same time (an
evaluation over many briefs, a server with several jobs and chats) should decode together. No timer is involved:
the first caller runs at once, and whoever arrives meanwhile joins the next run. Each row samples from its own
seeded generator (`sampling.py`), so what a caller gets does not depend on who shared its batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from copyloop.llm.sampling import Row

RunRows = Callable[[list[Row]], list[list[int]]]


@dataclass
class _Request:
    rows: Sequence[Row]
    result: list[list[int]] | None = None
    error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.result is not None or self.error is not None


class SharedBatches:
    """Runs rows from any number of threads, at most `max_rows` per model run (a request is never split)."""

    def __init__(self, run: RunRows, max_rows: int = 64):
        self._run, self.max_rows = run, max_rows
        self._queue: list[_Request] = []
        self._busy = False
        self._changed = threading.Condition()

    def submit(self, rows: Sequence[Row]) -> list[list[int]]:
        """The rows' new tokens, once a run that includes them has finished (the run's error, if it failed)."""
        request = _Request(rows)
        with self._changed:
            self._queue.append(request)
            while not request.done:
                if self._busy:
                    self._changed.wait()
                    continue
                self._run_next()
        if request.error is not None:
            raise request.error
        assert request.result is not None
        return request.result

    def _run_next(self) -> None:
        """Take queued requests up to max_rows and run them as one batch (called holding the condition)."""
        taken, count = [], 0
        while self._queue and (not taken or count + len(self._queue[0].rows) <= self.max_rows):
            count += len(self._queue[0].rows)
            taken.append(self._queue.pop(0))
        rows = [row for request in taken for row in request.rows]
        self._busy = True
        self._changed.release()
        try:
            tokens = self._run(rows)
            error = None
        except BaseException as exc:  # every caller in the batch sees the failure, not only the one that ran it
            tokens, error = [], exc
        finally:
            self._changed.acquire()
            self._busy = False
        start = 0
        for request in taken:
            request.error = error
            request.result = None if error else tokens[start:start + len(request.rows)]
            start += len(request.rows)
        self._changed.notify_all()
