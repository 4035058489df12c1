"""The FastAPI app of a consuming service: a worker thread plus /healthz, /readyz and /metrics.

The lifespan starts :func:`farpoint.bus.worker.run_worker` in a thread and stops it on shutdown
(the current message finishes; what was polled but not handled stays uncommitted and is
redelivered). If the worker gives up on a message (retries spent), the loop rejoins the group
after a pause so the message is tried again; /readyz reports 503 meanwhile.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse

from farpoint.bus.base import Message
from farpoint.bus.worker import run_worker
from farpoint.errors import ConfigError
from services.common.context import ServiceContext
from services.common.metrics import render

log = logging.getLogger(__name__)


class WorkerLoop:
    """Runs ``run_worker`` in a thread until stopped; restarts it after a crash."""

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
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.ctx.ensure_topics()
        self._thread = threading.Thread(target=self._loop, name=f"worker-{self.name}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            self.running = True
            try:
                self.handled += run_worker(
                    self.ctx.bus,
                    self.topics,
                    self.group,
                    self.handler,
                    stop_event=self.stop_event,
                )
            except Exception:
                self.running = False
                log.exception("%s worker stopped on an error; rejoining the group", self.name)
                self.stop_event.wait(self.restart_pause_s)
        self.running = False

    def stop(self, timeout_s: float = 30.0) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout_s)


def add_probes(app: FastAPI, ready: Callable[[], bool]) -> None:
    """/healthz (alive), /readyz (able to work), /metrics (Prometheus)."""

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> Response:
        ok = ready()
        return JSONResponse({"ready": ok}, status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        body, ctype = render()
        return Response(body, media_type=ctype)


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

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop.start()
        try:
            yield
        finally:
            loop.stop()
            ctx.bus.close()

    app = FastAPI(title=f"farpoint {name}", lifespan=lifespan)
    app.state.worker = loop
    add_probes(app, lambda: loop.running)
    return app
