"""The wrapper around every stage handler: parse, skip stopped jobs, report progress, record
failures so that no job is stranded.

A stage handler gets a parsed :class:`farpoint.events.events_pb2.Event`. The guard

* skips events of a job that is failed or cancelled (in the store or the records);
* reports the stage's progress to the records before and after the work (the watchdog's
  evidence that the job moves; :mod:`services.common.watchdog`; after it, the ``(done,
  total)`` the stage returns, e.g. normalization's transform batches), and ends the job
  ``succeeded`` when its last stage (export, train) is done;
* when the handler fails with a non-retryable error (bad input, a missing object: a *poison*
  message), records the job as failed at once (``failed.json``, the records, and a
  ``JobFailed`` event on ``jobs.done``) and re-raises, so :func:`farpoint.bus.worker.run_worker`
  dead-letters the message;
* when any other error outlives the worker's retries (a RuntimeError, CUDA out of memory, a bug),
  the worker calls :meth:`GuardedHandler.on_give_up` before dead-lettering: the job is failed
  there with the stage and reason. Retryable infrastructure errors propagate untouched (the
  message is redelivered); a job they hold up is failed by the watchdog when it stalls.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from farpoint.bus.base import Message
from farpoint.bus.worker import is_poison
from farpoint.events import events_pb2 as pb
from farpoint.jobs.events import event_id, make_event, parse_event
from services.common.context import ServiceContext
from services.common.metrics import DEAD_LETTERS, JOBS_FAILED, MESSAGES, STAGE_SECONDS

log = logging.getLogger(__name__)

# A stage may return its own (done, total) count to report instead of the default (1, None).
StageFn = Callable[[pb.Event, str], "tuple[int, int] | None"]
FINAL_STAGES = ("export", "train")


def _reason(exc: BaseException) -> str:
    first = (str(exc).splitlines() or [""])[0].strip()
    if isinstance(exc, Exception) and not is_poison(exc):
        # An unexpected error: its type says more than its message ("CUDA out of memory" is a
        # RuntimeError, a KeyError's message is just the key).
        return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return first or type(exc).__name__


def fail_job(
    ctx: ServiceContext,
    tenant: str,
    job_id: str,
    stage: str,
    reason: str,
    headers: dict[str, str] | None = None,
    service: str = "",
    cause: str = "poison",
) -> bool:
    """Mark the job failed (store and records) and announce ``JobFailed`` on ``jobs.done``;
    True when this call failed it (an already ended job keeps its first end)."""
    if not ctx.jobs(tenant).fail(job_id, stage, reason):
        return False
    JOBS_FAILED.labels(service, stage, cause).inc()
    log.warning("job %s failed in %s: %s", job_id, stage, reason)
    ctx.bus.publish(
        ctx.topics.job_done,
        make_event(
            tenant, job_id, event_id(job_id, "failed"), pb.JobFailed(stage=stage, reason=reason)
        ),
        key=job_id,
        headers=headers,
    )
    return True


class GuardedHandler:
    """A bus handler that runs ``fn(event, body_name)`` for events of the ``expected`` bodies."""

    def __init__(
        self,
        ctx: ServiceContext,
        service: str,
        stage: str,
        expected: tuple[str, ...],
        fn: StageFn,
    ) -> None:
        self.ctx = ctx
        self.service = service
        self.stage = stage
        self.expected = expected
        self.fn = fn

    def __call__(self, message: Message) -> None:
        try:
            ev, body = parse_event(message.value, *self.expected)
        except Exception:
            MESSAGES.labels(self.service, "failed").inc()
            raise
        tenant, job_id = ev.job.tenant, ev.job.job_id
        state = self.ctx.jobs(tenant)
        if state.stopped(job_id) or not state.progress(job_id, self.stage):
            log.info("job %s is failed or cancelled: %s skips it", job_id, self.stage)
            MESSAGES.labels(self.service, "skipped").inc()
            return
        t0 = time.perf_counter()
        beat = self._heartbeat(tenant, job_id)
        try:
            counted = self.fn(ev, body)
        except Exception as exc:
            MESSAGES.labels(self.service, "failed").inc()
            if is_poison(exc):
                fail_job(
                    self.ctx,
                    tenant,
                    job_id,
                    self.stage,
                    _reason(exc),
                    message.headers,
                    self.service,
                    "poison",
                )
            raise
        finally:
            beat.set()
        STAGE_SECONDS.labels(self.service).observe(time.perf_counter() - t0)
        MESSAGES.labels(self.service, "ok").inc()
        done, total = counted if counted is not None else (1, None)
        state.progress(job_id, self.stage, done, total)
        if self.stage in FINAL_STAGES and state.stage_done(job_id, self.stage):
            state.succeed(job_id)

    def _heartbeat(self, tenant: str, job_id: str) -> threading.Event:
        """Report progress every ``jobs.heartbeat_s`` while the handler runs (a long stage is
        not a stalled one); set the returned event to stop."""
        done = threading.Event()
        if self.ctx.records is None:
            return done
        every = self.ctx.settings.jobs.heartbeat_s
        jobs = self.ctx.jobs(tenant)

        def run() -> None:
            while not done.wait(every):
                try:
                    jobs.progress(job_id, self.stage)
                except Exception as exc:  # the database is down: the next beat may work
                    log.warning("heartbeat of job %s failed: %s", job_id, exc)

        threading.Thread(target=run, name=f"heartbeat-{job_id[:8]}", daemon=True).start()
        return done

    def on_give_up(self, message: Message, exc: BaseException) -> None:
        """The worker gives up on ``message`` (dead-letters it): fail its job, if it has one."""
        DEAD_LETTERS.labels(self.service).inc()
        try:
            ev, _ = parse_event(message.value, *self.expected)
        except Exception:
            return  # not one of ours: nothing to fail
        fail_job(
            self.ctx,
            ev.job.tenant,
            ev.job.job_id,
            self.stage,
            _reason(exc),
            message.headers,
            self.service,
            "gave_up",
        )


def guarded(
    ctx: ServiceContext, service: str, stage: str, expected: tuple[str, ...], fn: StageFn
) -> GuardedHandler:
    """A bus handler that runs ``fn(event, body_name)`` for events of the ``expected`` bodies."""
    return GuardedHandler(ctx, service, stage, expected, fn)
