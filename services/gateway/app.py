"""The gateway's FastAPI app: the REST API (OpenAPI at /openapi.json) plus probes and metrics.

Routes (all under /v1, one router per resource in :mod:`services.gateway.routes`): media upload
(multipart, or a presigned URL for large files), selection jobs (create, list, status, cancel,
result), training jobs, models, and the tenant's API keys. Errors always come as
``{"error": {"status", "code", "message"}}`` (:mod:`farpoint.security.responses`), and OpenAPI
lists each one a route can answer. Every request is served from the object store, so any number
of gateway replicas see the same jobs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from farpoint.errors import FarpointError
from farpoint.security.install import secure_app
from farpoint.security.responses import error_body, error_code
from services.common.context import ServiceContext
from services.common.metrics import HTTP_REQUESTS
from services.common.probes import Readiness, add_probes
from services.gateway.routes import ROUTERS

log = logging.getLogger(__name__)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(error_body(status, code, message), status_code=status)


def add_error_handlers(app: FastAPI) -> None:
    """Answer farpoint errors, validation errors and HTTP errors in the one envelope."""

    @app.exception_handler(FarpointError)
    async def farpoint_error(request: Request, exc: FarpointError) -> JSONResponse:
        response = _error(exc.http_status, error_code(exc), exc.message)
        response.headers.update(getattr(exc, "headers", None) or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            parts.append(f"{where}: {e.get('msg')}" if where else str(e.get("msg")))
        return _error(422, "validation", "; ".join(parts) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = _error(exc.status_code, "http", str(exc.detail))
        response.headers.update(exc.headers or {})  # e.g. WWW-Authenticate on 401
        if exc.status_code == 405:  # every method of the path, not just the first route's
            response.headers["Allow"] = ", ".join(_allowed_methods(request))
        return response


def _allowed_methods(request: Request) -> list[str]:
    """The methods the routes at the request's path answer (RFC 9110 ``Allow``)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def _openapi_with_limits(app: FastAPI, max_k: int) -> None:
    """Let the schema say this service's own maximum k (``SecuritySettings.max_k``), so a
    schema-valid job is never refused for its k."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            k = schema["components"]["schemas"]["SelectionSpec"]["properties"]["k"]
            k["maximum"] = min(int(k.get("maximum", max_k)), max_k)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(ctx: ServiceContext) -> FastAPI:
    readiness = Readiness.for_context(ctx, ctx.settings.jobs.readiness_interval_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            ctx.ensure_topics()
        except FarpointError as exc:  # the bus may come up later; publishing will retry
            log.warning("could not create topics at start: %s", exc)
        readiness.start()
        yield
        readiness.stop()
        ctx.bus.close()

    app = FastAPI(
        title="farpoint",
        version="1",
        description="Pick the most valuable frames to label: upload media, run selection jobs.",
        lifespan=lifespan,
    )
    app.state.ctx = ctx  # read by services.gateway.deps.get_ctx
    add_probes(app, readiness.ready)  # 503 while the broker, store or database is unreachable
    # API keys, /v1/keys, body-size limits, audit log (docs/security.md)
    secure_app(app, ctx.store, ctx.settings.security, upload_limit=ctx.max_upload_bytes)
    add_error_handlers(app)

    @app.middleware("http")
    async def count(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        route = request.scope.get("route")
        HTTP_REQUESTS.labels(getattr(route, "path", "other"), str(response.status_code)).inc()
        return response

    for router in ROUTERS:
        app.include_router(router)
    _openapi_with_limits(app, ctx.settings.security.max_k)
    return app
