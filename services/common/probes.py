"""Probes that tell the truth: /healthz (liveness), /readyz (readiness), /metrics.

*Readiness* is "can this process do its work now": the broker, the object store and the records
database each answer. The checks run in a background thread every ``interval_s`` (a dead broker
can take a client's whole request timeout to report; a probe must answer at once), and /readyz
reads their latest results: 503 when any check failed, is older than three intervals, or has hung
past ``hang_s``. *Liveness* is "should Kubernetes restart this process": a worker whose poll loop
is wedged or whose consumer keeps failing (:meth:`services.common.worker_app.WorkerLoop.alive`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse

from services.common.context import ServiceContext
from services.common.metrics import render

log = logging.getLogger(__name__)

Check = Callable[[], None]  # raises when the dependency cannot be reached


def broker_check(ctx: ServiceContext) -> Check:
    def check() -> None:
        ping = getattr(ctx.bus, "ping", None)
        if ping is not None:
            ping()
        else:  # a bus without ping: creating our topics needs the broker all the same
            ctx.ensure_topics()

    return check


def store_check(ctx: ServiceContext) -> Check:
    def check() -> None:
        ctx.store.exists("health/readyz")  # False when absent; raises when unreachable

    return check


def database_check(ctx: ServiceContext) -> Check | None:
    records = ctx.records
    return None if records is None else records.ping


class Readiness:
    """Runs named checks in a background thread; :meth:`ready` reads their latest results."""

    def __init__(self, checks: dict[str, Check], interval_s: float = 5.0, hang_s: float = 10.0):
        self.checks = checks
        self.interval_s = interval_s
        self.hang_s = hang_s
        self.results: dict[str, tuple[bool, str, float]] = {}
        self._checking: tuple[str, float] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._first = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_context(cls, ctx: ServiceContext, interval_s: float = 5.0) -> Readiness:
        checks = {"broker": broker_check(ctx), "store": store_check(ctx)}
        db = database_check(ctx)
        if db is not None:
            checks["database"] = db
        return cls(checks, interval_s, hang_s=max(2 * interval_s, 10.0))

    def check_now(self) -> None:
        for name, check in self.checks.items():
            with self._lock:
                self._checking = (name, time.monotonic())
            try:
                check()
                result = (True, "ok", time.monotonic())
            except Exception as exc:  # any failure means not ready; say why
                why = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
                result = (False, why or type(exc).__name__, time.monotonic())
            with self._lock:
                self.results[name] = result
                self._checking = None

    def start(self, first_wait_s: float = 2.0) -> None:
        """Check in the background from now on; wait up to ``first_wait_s`` for the first
        round (healthy dependencies answer at once; a dead one must not hold up the start)."""
        self._first = threading.Event()
        self._thread = threading.Thread(target=self._run, name="readiness", daemon=True)
        self._thread.start()
        self._first.wait(first_wait_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.check_now()
            self._first.set()
            self._stop.wait(self.interval_s)

    def stop(self) -> None:
        self._stop.set()

    def ready(
        self, extra: dict[str, tuple[bool, str]] | None = None
    ) -> tuple[bool, dict[str, Any]]:
        now = time.monotonic()
        out: dict[str, Any] = {}
        with self._lock:
            checking = self._checking
            for name in self.checks:
                ok, why, at = self.results.get(name, (False, "not checked yet", now))
                if ok and now - at > 3 * self.interval_s + self.hang_s:
                    ok, why = False, f"last checked {now - at:.0f} s ago"
                if checking is not None and checking[0] == name and now - checking[1] > self.hang_s:
                    ok, why = False, f"check hangs for {now - checking[1]:.0f} s"
                out[name] = {"ok": ok, "detail": why}
        for name, (ok, why) in (extra or {}).items():
            out[name] = {"ok": ok, "detail": why or ("ok" if ok else "not running")}
        return all(v["ok"] for v in out.values()), out


Ready = Callable[[], "bool | tuple[bool, dict[str, Any]]"]


def add_probes(
    app: FastAPI,
    ready: Ready,
    alive: Callable[[], tuple[bool, str]] | None = None,
) -> None:
    """/healthz (alive: 503 when ``alive`` says no), /readyz (able to work), /metrics."""

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        ok, why = alive() if alive is not None else (True, "ok")
        if ok:
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "failing", "detail": why}, status_code=503)

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> Response:
        got = ready()
        ok, checks = got if isinstance(got, tuple) else (bool(got), {})
        return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        body, ctype = render()
        return Response(body, media_type=ctype)
