"""The FastAPI app of a consuming service: a worker thread plus /healthz, /readyz and /metrics.

The lifespan starts :func:`farpoint.bus.worker.run_worker` in a thread and stops it on shutdown
(the current message finishes; what was polled but not handled stays uncommitted and is
redelivered). If the worker gives up on a message (retries spent), the loop rejoins the group
after a pause so the message is tried again. The probes tell the truth
(:mod:`services.common.probes`): /healthz fails when the poll loop is wedged or keeps failing, so
Kubernetes restarts the process; /readyz fails while the broker, the store or the database
cannot be reached. Every worker process also runs the job watchdog
(:mod:`services.common.watchdog`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from farpoint.bus.base import Message
from farpoint.bus.worker import run_worker
from farpoint.errors import ConfigError
from services.common.context import ServiceContext
from services.common.probes import Readiness, add_probes
from services.common.watchdog import Watchdog

log = logging.getLogger(__name__)

__all__ = ["WorkerLoop", "add_probes", "make_worker_app"]


class WorkerLoop:
    """Runs ``run_worker`` in a thread until stopped; restarts it after a crash.

    ``last_poll`` (monotonic seconds) moves at every turn of the poll loop; ``failures`` counts
    crashes since the loop last polled successfully: what the liveness probe reads.
    """

    def __init__(
        self,
        ctx: ServiceContext,
        name: str,
        topics: list[str],
        handler: Callable[[Message], None],
        group: str | None = None,
        restart_pause_s: float = 2.0,
    ) -> None:
        self.ctx = ctx
        self.name = name
        self.topics = topics
        self.group = group or f"{ctx.topics.prefix}{name}"
        self.handler = handler
        self.restart_pause_s = restart_pause_s
        self.stop_event = threading.Event()
        self.running = False
        self.handled = 0
        self.failures = 0
        self.last_error: str | None = None
        self.last_poll = time.monotonic()
        self._turns = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the worker thread (it creates the topics first: never blocks the caller, so a
        service whose broker is down still serves its probes)."""
        self._thread = threading.Thread(target=self._loop, name=f"worker-{self.name}", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        self.last_poll = time.monotonic()
        self._turns += 1
        if self._turns >= 2:  # the previous poll returned: the consumer works
            self.failures = 0
            self.running = True

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        self.failures += 1
        self.last_error = (str(exc).splitlines() or [type(exc).__name__])[0]

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            self._turns = 0
            try:
                self.ctx.ensure_topics()
                self.handled += run_worker(
                    self.ctx.bus,
                    self.topics,
                    self.group,
                    self.handler,
                    stop_event=self.stop_event,
                    dlq_suffix=self.ctx.settings.kafka.dead_letter_suffix,
                    on_give_up=getattr(self.handler, "on_give_up", None),
                    on_poll=self._beat,
                )
            except Exception as exc:
                self._failed(exc)
                log.exception(
                    "%s worker stopped on an error (%d in a row); rejoining the group",
                    self.name,
                    self.failures,
                )
                self.stop_event.wait(self.restart_pause_s)
        self.running = False

    def alive(self, max_silence_s: float, max_failures: int) -> tuple[bool, str]:
        """(alive, why): the thread runs, the poll loop turned within ``max_silence_s`` and the
        consumer has not failed ``max_failures`` times in a row."""
        if self._thread is None or not self._thread.is_alive():
            return False, "worker thread is not running"
        if self.failures >= max_failures:
            return False, f"worker failed {self.failures} times in a row: {self.last_error}"
        silent = time.monotonic() - self.last_poll
        if silent > max_silence_s:
            return False, f"poll loop silent for {silent:.0f} s (wedged)"
        return True, "ok"

    def stop(self, timeout_s: float = 30.0) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout_s)


def make_worker_app(
    ctx: ServiceContext, name: str, topics: list[str], handler: Callable[[Message], None]
) -> FastAPI:
    """A service whose work is consuming ``topics`` with ``handler``.

    The group is ``settings.kafka.consumer_group`` when the deployment sets it (the chart does:
    KEDA scales on that group's lag), else ``<topic_prefix><name>``. A ``settings.kafka.topic``
    that is not among ``topics`` is a deployment that watches the wrong topic: refused.
    """
    kafka = ctx.settings.kafka
    if kafka.topic is not None and kafka.topic not in topics:
        raise ConfigError(
            f"FARPOINT_KAFKA__TOPIC={kafka.topic} but the {name} service consumes "
            f"{', '.join(topics)}"
        )
    loop = WorkerLoop(ctx, name, topics, handler, group=kafka.consumer_group)
    jobs = ctx.settings.jobs
    readiness = Readiness.for_context(ctx, jobs.readiness_interval_s)
    watchdog = Watchdog.from_settings(ctx)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        readiness.start()
        loop.start()
        watchdog.start()
        try:
            yield
        finally:
            watchdog.stop()
            loop.stop()
            readiness.stop()
            ctx.bus.close()
            if ctx.records is not None:
                ctx.records.close()

    app = FastAPI(title=f"farpoint {name}", lifespan=lifespan)
    app.state.worker = loop
    app.state.readiness = readiness
    add_probes(
        app,
        ready=lambda: readiness.ready(extra={"worker": (loop.running, loop.last_error or "")}),
        alive=lambda: loop.alive(jobs.liveness_silence_s, jobs.liveness_failures),
    )
    return app
