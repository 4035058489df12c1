"""The wrapper around every stage handler: parse, skip stopped jobs, record failures.

A stage handler gets a parsed :class:`farpoint.events.events_pb2.Event`. When it fails with a
non-retryable error (bad input, a missing object: a *poison* message), the guard records the
job as failed with the reason (``failed.json``, and a ``JobFailed`` event on ``jobs.done``) and
re-raises, so :func:`farpoint.bus.worker.run_worker` dead-letters the message and the partition
keeps flowing. A job is never left stuck by a poison message. Retryable errors propagate
untouched (the message is retried, then redelivered).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from farpoint.bus.base import Message
from farpoint.bus.worker import is_poison
from farpoint.events import events_pb2 as pb
from farpoint.jobs.events import event_id, make_event, parse_event
from farpoint.jobs.state import JobState
from services.common.context import ServiceContext
from services.common.metrics import MESSAGES, STAGE_SECONDS

log = logging.getLogger(__name__)

StageFn = Callable[[pb.Event, str], None]


def guarded(
    ctx: ServiceContext, service: str, stage: str, expected: tuple[str, ...], fn: StageFn
) -> Callable[[Message], None]:
    """A bus handler that runs ``fn(event, body_name)`` for events of the ``expected`` bodies."""

    def handle(message: Message) -> None:
        try:
            ev, body = parse_event(message.value, *expected)
        except Exception:
            MESSAGES.labels(service, "failed").inc()
            raise
        state = JobState(ctx.store, ev.job.tenant)
        if state.stopped(ev.job.job_id):
            log.info("job %s is failed or cancelled: %s skips it", ev.job.job_id, stage)
            MESSAGES.labels(service, "skipped").inc()
            return
        t0 = time.perf_counter()
        try:
            fn(ev, body)
        except Exception as exc:
            MESSAGES.labels(service, "failed").inc()
            if is_poison(exc):
                reason = (str(exc).splitlines() or [type(exc).__name__])[0]
                log.warning("job %s failed in %s: %s", ev.job.job_id, stage, reason)
                state.fail(ev.job.job_id, stage, reason)
                ctx.bus.publish(
                    ctx.topics.job_done,
                    make_event(
                        ev.job.tenant,
                        ev.job.job_id,
                        event_id(ev.job.job_id, "failed"),
                        pb.JobFailed(stage=stage, reason=reason),
                    ),
                    key=ev.job.job_id,
                    headers=message.headers,
                )
            raise
        STAGE_SECONDS.labels(service).observe(time.perf_counter() - t0)
        MESSAGES.labels(service, "ok").inc()

    return handle
