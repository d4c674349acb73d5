"""Concurrent callers share one decoding batch: rows join it between steps and leave it as soon as they end.

On a CPU a decoding step costs far less per row for 32 rows than for 1, so briefs drafted at the same time (an
evaluation over many briefs, a server with several jobs and chats) should decode together. One worker thread
per model runs the batch (`sampling.Batch`); a caller queues its rows and waits for its own rows only, not for
the longest row in the batch. Queued rows join at the next admission, which comes at once when the batch is
empty and otherwise every `admit_every` steps (each join copies the batch's cache, so joins are pooled).
Each row samples from its own seeded generator, so what a caller gets does not depend on who shared its batch.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from copyloop.llm.sampling import Ended, Row, check_rows

IDLE_SECONDS = 2.0  # the worker thread ends after this long with nothing to do (a new call starts another)


class Decoder(Protocol):
    """What the worker drives: `sampling.Batch`, or a stand-in in tests."""

    @property
    def owners(self) -> list[Any]:
        """The tag of each row in the batch."""

    def __len__(self) -> int: ...

    def add(self, rows: Sequence[Row], owners: Sequence[Any]) -> None: ...

    def step(self) -> list[Ended]: ...


@dataclass(eq=False)
class _Request:
    rows: Sequence[Row]
    tokens: list[list[int] | None] = field(init=False)  # each row's tokens, once it has ended
    error: BaseException | None = None

    def __post_init__(self) -> None:
        self.tokens = [None] * len(self.rows)

    @property
    def done(self) -> bool:
        return self.error is not None or all(t is not None for t in self.tokens)


class SharedBatches:
    """Runs rows from any number of threads in one continuously refilled batch of at most `max_rows` rows.

    A request is never split: it joins whole, and one larger than `max_rows` runs when the batch is empty.
    """

    def __init__(self, new_decoder: Callable[[], Decoder], max_rows: int = 64, admit_every: int = 8):
        self._new_decoder, self.max_rows, self.admit_every = new_decoder, max_rows, admit_every
        self._queue: deque[_Request] = deque()
        self._changed = threading.Condition()
        self._worker: threading.Thread | None = None

    def submit(self, rows: Sequence[Row]) -> list[list[int]]:
        """The rows' new tokens, once each has ended (the error instead, if decoding them failed)."""
        check_rows(rows)
        if not rows:
            return []
        request = _Request(rows)
        with self._changed:
            self._queue.append(request)
            if self._worker is None:
                self._worker = threading.Thread(target=self._serve, name="copyloop-decoder", daemon=True)
                self._worker.start()
            self._changed.notify_all()
            while not request.done:
                self._changed.wait()
        if request.error is not None:
            raise request.error
        return [tokens or [] for tokens in request.tokens]

    def _serve(self) -> None:
        """The worker thread; should it break, every waiting caller hears why instead of waiting forever."""
        try:
            self._loop()
        except BaseException as exc:
            with self._changed:
                self._worker = None
                for request in self._queue:
                    request.error = exc
                self._queue.clear()
                self._changed.notify_all()
            raise

    def _loop(self) -> None:
        """Admit queued rows, step the batch, hand ended rows back; return when idle."""
        decoder, steps = self._new_decoder(), 0
        while True:
            with self._changed:
                if not len(decoder) and not self._queue and not self._changed.wait_for(
                        lambda: bool(self._queue), timeout=IDLE_SECONDS):
                    self._worker = None
                    return
                joining = self._take(len(decoder)) if not len(decoder) or steps >= self.admit_every else []
            if joining:
                steps = 0
                try:
                    decoder.add([r for q in joining for r in q.rows],
                                 [(q, i) for q in joining for i in range(len(q.rows))])
                except BaseException as exc:  # the batch is unchanged: only the joining callers fail
                    self._fail(joining, exc)
            if not len(decoder):
                continue
            try:
                ended = decoder.step()
            except BaseException as exc:  # every caller with a row in the batch sees the failure
                self._fail(self._in_batch(decoder), exc)
                decoder = self._new_decoder()
                continue
            steps += 1
            with self._changed:
                for (request, index), tokens in ended:
                    request.tokens[index] = tokens
                self._changed.notify_all()

    def _take(self, rows_now: int) -> list[_Request]:
        """Queued requests, oldest first, while they fit in max_rows (called holding the condition)."""
        taken: list[_Request] = []
        while self._queue and ((not taken and not rows_now)
                               or rows_now + len(self._queue[0].rows) <= self.max_rows):
            rows_now += len(self._queue[0].rows)
            taken.append(self._queue.popleft())
        return taken

    @staticmethod
    def _in_batch(decoder: Decoder) -> list[_Request]:
        """Requests that still wait for a row of the batch."""
        return list(dict.fromkeys(q for q, _ in decoder.owners if not q.done))

    def _fail(self, requests: list[_Request], error: BaseException) -> None:
        with self._changed:
            for request in requests:
                request.error = error
            self._changed.notify_all()
