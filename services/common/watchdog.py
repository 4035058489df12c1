"""The watchdog: fails jobs whose stages made no progress within ``jobs.stall_timeout_s``.

Every stage reports progress to the records when it takes and finishes a message (and every
``jobs.heartbeat_s`` while a long handler runs; :mod:`services.common.guard`). A job still
``queued`` or ``running`` whose last report is older than the timeout is stranded (its message
lost, its worker gone for good): the watchdog fails it with the stage it was last seen in and
frees its quota slot. Every worker process runs one; ending a job is one conditional update, so
replicas racing over the same job fail it once (and announce ``JobFailed`` once).
"""

from __future__ import annotations

import logging
import threading

from services.common.context import ServiceContext
from services.common.guard import fail_job

log = logging.getLogger(__name__)


def sweep(ctx: ServiceContext, stall_timeout_s: float, now_ms: int | None = None) -> list[str]:
    """Fail every stalled job once; return the ids this call failed."""
    if ctx.records is None:
        return []
    failed = []
    for job in ctx.records.stalled(int(stall_timeout_s * 1000), now_ms=now_ms):
        stages = ctx.records.stages(job.tenant, job.id)
        last = max(stages.values(), key=lambda s: s.updated_ms).stage if stages else "queued"
        reason = f"no progress for {stall_timeout_s:g} s (watchdog)"
        if fail_job(ctx, job.tenant, job.id, last, reason, None, "watchdog", "watchdog"):
            failed.append(job.id)
    return failed


class Watchdog:
    """Runs :func:`sweep` every ``interval_s`` in a daemon thread until stopped."""

    def __init__(self, ctx: ServiceContext, stall_timeout_s: float, interval_s: float) -> None:
        self.ctx = ctx
        self.stall_timeout_s = stall_timeout_s
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_settings(cls, ctx: ServiceContext) -> Watchdog:
        jobs = ctx.settings.jobs
        return cls(ctx, jobs.stall_timeout_s, jobs.watchdog_interval_s)

    def start(self) -> None:
        if self.ctx.records is None:
            return
        self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                for job_id in sweep(self.ctx, self.stall_timeout_s):
                    log.warning("watchdog failed stalled job %s", job_id)
            except Exception:  # the database or broker is down: try again next round
                log.exception("watchdog sweep failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
