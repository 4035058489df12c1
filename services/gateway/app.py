"""The gateway's FastAPI app: the REST API (OpenAPI at /openapi.json) plus probes and metrics.

Routes (all under /v1): media upload (multipart, or a presigned URL for large files), selection
jobs (create, list, status, cancel, result), training jobs, models. Errors always come as
``{"error": {"status", "code", "message"}}``. Every request is served from the object store, so
any number of gateway replicas see the same jobs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from farpoint.auth import Principal, Role
from farpoint.auth.dependencies import require_role
from farpoint.errors import FarpointError
from farpoint.jobs.keys import ModelKeys, check_id, tenant_root
from farpoint.jobs.spec import SelectionSpec, TrainSpec
from farpoint.jobs.state import JobState, get_json, get_media_info
from farpoint.security.install import secure_app
from farpoint.security.limits import check_k
from farpoint.security.quota import enforce_job_quota
from services.common.context import ServiceContext
from services.common.metrics import HTTP_REQUESTS
from services.common.worker_app import add_probes
from services.gateway import handler

log = logging.getLogger(__name__)


class Created(BaseModel):
    id: str


class MediaOut(BaseModel):
    id: str
    filename: str
    kind: str
    size: int
    created_ms: int


class PresignIn(BaseModel):
    filename: str = Field(min_length=1, max_length=255)


class JobOut(BaseModel):
    id: str
    kind: str
    status: str = Field(description="queued | running | succeeded | failed")
    progress: float
    error: str | None
    stages: dict[str, Any]
    created_ms: int


class JobList(BaseModel):
    items: list[JobOut]
    next_cursor: str | None


class ResultItem(BaseModel):
    media_id: str
    frame_index: int
    timestamp_s: float
    rank: int
    distance: float | None
    url: str | None


class ResultOut(BaseModel):
    id: str
    items: list[ResultItem]
    n_frames: int | None
    manifest_url: str
    report_url: str | None


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"status": status, "code": code, "message": message}}, status_code=status
    )


def create_app(ctx: ServiceContext) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            ctx.ensure_topics()
        except FarpointError as exc:  # the bus may come up later; publishing will retry
            log.warning("could not create topics at start: %s", exc)
        yield
        ctx.bus.close()

    app = FastAPI(
        title="farpoint",
        version="1",
        description="Pick the most valuable frames to label: upload media, run selection jobs.",
        lifespan=lifespan,
    )
    add_probes(app, lambda: True)
    # API keys, /v1/keys, body-size limits, audit log (docs/security.md)
    sec = ctx.settings.security
    secure_app(app, ctx.store, sec, upload_limit=ctx.max_upload_bytes)

    def tenant(p: Principal = Depends(require_role(Role.READER))) -> str:  # noqa: B008
        """The caller's tenant, from its API key (reader or above)."""
        return p.tenant

    def writer(p: Principal = Depends(require_role(Role.WRITER))) -> str:  # noqa: B008
        """The caller's tenant, for routes that change state (writer or above)."""
        return p.tenant

    @app.exception_handler(FarpointError)
    async def farpoint_error(request: Request, exc: FarpointError) -> JSONResponse:
        code = type(exc).__name__.removesuffix("Error").lower() or "error"
        return _error(exc.http_status, code, exc.message)

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
        return response

    @app.middleware("http")
    async def count(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        route = request.scope.get("route")
        HTTP_REQUESTS.labels(getattr(route, "path", "other"), str(response.status_code)).inc()
        return response

    # -- media ---------------------------------------------------------------------------------
    @app.post("/v1/media", response_model=MediaOut, status_code=201, tags=["media"])
    def upload(
        request: Request, file: Annotated[UploadFile, File()], t: str = Depends(writer)
    ) -> MediaOut:
        """Upload a video, image or zip/tar archive (multipart field ``file``)."""
        length = int(request.headers.get("content-length") or 0)
        if length > ctx.max_upload_bytes + 1024 * 1024:
            raise handler.TooLarge(
                f"upload is larger than the limit of {ctx.max_upload_bytes} bytes"
            )
        info = handler.upload_media(ctx, t, file.file, file.filename)
        return MediaOut(**info.as_dict())

    @app.post("/v1/media/uploads", status_code=201, tags=["media"])
    def presign(body: PresignIn, t: str = Depends(writer)) -> dict[str, Any]:
        """A media id and a presigned URL to PUT a large file to; then POST .../complete."""
        return handler.presign_upload(ctx, t, body.filename, expires_s=sec.presign_expiry_s)

    @app.post("/v1/media/{media_id}/complete", response_model=MediaOut, tags=["media"])
    def complete(media_id: str, body: PresignIn, t: str = Depends(writer)) -> MediaOut:
        info = handler.complete_upload(ctx, t, media_id, body.filename)
        return MediaOut(**info.as_dict())

    @app.get("/v1/media/{media_id}", response_model=MediaOut, tags=["media"])
    def media(media_id: str, t: str = Depends(tenant)) -> MediaOut:
        return MediaOut(**get_media_info(ctx.store, t, check_id(media_id, "media id")).as_dict())

    # -- selection jobs ------------------------------------------------------------------------
    @app.post("/v1/jobs", response_model=Created, status_code=201, tags=["jobs"])
    def create_job(spec: SelectionSpec, t: str = Depends(writer)) -> Created:
        """Start a selection job: pick ``k`` frames of ``media_ids``."""
        check_k(spec.k, sec)
        enforce_job_quota(ctx.store, t, sec)
        return Created(id=handler.create_selection_job(ctx, t, spec))

    @app.get("/v1/jobs", response_model=JobList, tags=["jobs"])
    def list_jobs(
        limit: int = Query(50, ge=1, le=500),
        cursor: str | None = Query(None, max_length=200),
        t: str = Depends(tenant),
    ) -> JobList:
        """Jobs oldest first; pass ``next_cursor`` back as ``cursor`` for the next page."""
        state = JobState(ctx.store, t)
        ids, nxt = state.list(cursor, limit)
        return JobList(items=[JobOut(**state.status(i)) for i in ids], next_cursor=nxt)

    @app.get("/v1/jobs/{job_id}", response_model=JobOut, tags=["jobs"])
    def job(job_id: str, t: str = Depends(tenant)) -> JobOut:
        return JobOut(**JobState(ctx.store, t).status(check_id(job_id, "job id")))

    @app.post("/v1/jobs/{job_id}/cancel", response_model=JobOut, tags=["jobs"])
    def cancel(job_id: str, t: str = Depends(writer)) -> JobOut:
        """Cancel a job: stages skip it from now on; a finished job stays succeeded."""
        state = JobState(ctx.store, t)
        state.cancel(check_id(job_id, "job id"))
        return JobOut(**state.status(job_id))

    @app.get("/v1/jobs/{job_id}/result", response_model=ResultOut, tags=["jobs"])
    def result(job_id: str, t: str = Depends(tenant)) -> ResultOut:
        """The picks, each with a presigned URL to its full-size frame; manifest and report."""
        job = check_id(job_id, "job id")
        return ResultOut(**handler.job_result(ctx, t, job, expires_s=sec.presign_expiry_s))

    # -- training ------------------------------------------------------------------------------
    @app.post("/v1/training-jobs", response_model=Created, status_code=201, tags=["training"])
    def create_training(spec: TrainSpec, t: str = Depends(writer)) -> Created:
        """Train an embedder on media; later jobs name it as ``model``."""
        enforce_job_quota(ctx.store, t, sec)
        return Created(id=handler.create_train_job(ctx, t, spec))

    @app.get("/v1/models", tags=["training"])
    def models(t: str = Depends(tenant)) -> dict[str, Any]:
        prefix = tenant_root(t) + "models/"
        items = []
        for key in ctx.store.list(prefix):
            if key.endswith("/meta.json"):
                items.append(get_json(ctx.store, key))
        return {"items": items}

    @app.get("/v1/models/{name}", tags=["training"])
    def model(name: str, t: str = Depends(tenant)) -> dict[str, Any]:
        return get_json(ctx.store, ModelKeys(t, check_id(name, "model name")).meta)  # type: ignore[no-any-return]

    return app
