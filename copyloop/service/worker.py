"""Background threads of the server: one runs queued jobs, one delivers their webhooks with retries.

Both read their work from the database, so a restarted server picks up where a killed one stopped: a job
whose lease ran out is run again, a webhook not yet acknowledged is sent again with the same idempotency key.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from copyloop.errors import BriefError, CopyloopError
from copyloop.service import jobs
from copyloop.service.approvals import AwaitingApproval
from copyloop.service.db import api_keys
from copyloop.service.webhooks import post

log = logging.getLogger("copyloop.service")
MAX_RUNS = 3  # a job that killed its worker this often is failed instead of taken again
DELIVERY_THREADS = 8
DELIVERIES_PER_BRAND = 2

RunJob = Callable[[dict[str, Any], Callable[[], None]], dict[str, Any]]


class Worker:
    """Runs jobs and delivers webhooks until `stop()`."""

    def __init__(self, engine: Engine, run: RunJob, *, lease_seconds: float, backoff_base: float,
                 poll_seconds: float = 0.5, webhook_allow: Sequence[str] = ()):
        self.engine, self.run = engine, run
        self.lease_seconds, self.backoff_base, self.poll_seconds = lease_seconds, backoff_base, poll_seconds
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._loop, args=(self.run_one,), name="copyloop-jobs", daemon=True),
                         threading.Thread(target=self._loop, args=(self.deliver_due,), name="copyloop-webhooks",
                                          daemon=True)]
        self.webhook_allow = tuple(webhook_allow)
        self._deliveries = ThreadPoolExecutor(max_workers=DELIVERY_THREADS, thread_name_prefix="copyloop-webhook")
        self._in_flight: dict[str, str] = {}  # job id -> brand, while its delivery runs
        self._lock = threading.Lock()

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking work; a job in progress keeps its lease and is taken again after a restart."""
        self._stop.set()
        for thread in self._threads:
            if thread.ident is not None:  # started
                thread.join(timeout)
        self._deliveries.shutdown(wait=False, cancel_futures=True)

    def _loop(self, step: Callable[[], bool]) -> None:
        while not self._stop.is_set():
            try:
                busy = step()
            except Exception:  # a database hiccup must not kill the thread; the work stays in the database
                log.exception("background step failed")
                busy = False
            if not busy:
                self._stop.wait(self.poll_seconds)

    def run_one(self) -> bool:
        """Run the next job, if any; True when one was run."""
        job = jobs.claim(self.engine, self.lease_seconds)
        if job is None:
            return False
        if job["runs"] > MAX_RUNS:
            jobs.finish(self.engine, job["id"], error=f"gave up: the server stopped during this job {MAX_RUNS} times")
            return True
        heartbeat = lambda: jobs.renew(self.engine, job["id"], self.lease_seconds)  # noqa: E731
        try:
            result = self.run({**job["request"], "job_id": job["id"], "brand": job["brand"]}, heartbeat)
        except AwaitingApproval as paused:  # not a failure: the run waits for a person; the webhook says so
            jobs.finish(self.engine, job["id"], result=paused.job_result, status="pending_approval")
        except BriefError as exc:
            jobs.finish(self.engine, job["id"], error="invalid brief: " + "; ".join(exc.problems))
        except CopyloopError as exc:
            jobs.finish(self.engine, job["id"], error=str(exc))
        except Exception as exc:
            log.exception("job %s failed", job["id"])
            jobs.finish(self.engine, job["id"], error=f"internal error: {type(exc).__name__}: {exc}"[:1000])
        else:
            jobs.finish(self.engine, job["id"], result=result)
        return True

    def deliver_due(self) -> bool:
        """Start the delivery of every webhook that is due, each on a thread of its own, at most
        DELIVERIES_PER_BRAND at once per brand: a receiver that answers slowly holds up its own brand's
        deliveries, never another's. True when any was started."""
        started = False
        for job in jobs.due_deliveries(self.engine, limit=100):
            with self._lock:
                busy = sum(brand == job["brand"] for brand in self._in_flight.values())
                if job["id"] in self._in_flight or busy >= DELIVERIES_PER_BRAND:
                    continue
                self._in_flight[job["id"]] = job["brand"]
            self._deliveries.submit(self._deliver, job)
            started = True
        return started

    def _deliver(self, job: dict[str, Any]) -> None:
        try:
            outcome = post(job["callback_url"], webhook_payload(job), secret=self._secret(job["request"]),
                           idempotency_key=job["id"], attempt=job["delivery_attempts"] + 1,
                           event=f"job.{job['status']}", allow=self.webhook_allow)
            if outcome.ok:
                jobs.delivered(self.engine, job["id"])
            else:
                jobs.delivery_failed(self.engine, job["id"], job["delivery_attempts"], outcome.error or "",
                                     self.backoff_base, final=not outcome.retry)
        except Exception:  # the delivery stays pending in the database and is tried again
            log.exception("webhook delivery for job %s failed", job["id"])
        finally:
            with self._lock:
                self._in_flight.pop(job["id"], None)

    def _secret(self, request: dict[str, Any]) -> str:
        """The webhook secret of the key that submitted the job."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(api_keys.c.webhook_secret)
                                .where(api_keys.c.key_id == request["key_id"])).scalar_one()


def webhook_payload(job: dict[str, Any]) -> dict[str, Any]:
    """What the callback receives: the job id, its status, and the result or the error."""
    return {"id": job["id"], "status": job["status"], "result": job["result"], "error": job["error"]}
