"""``/v1/jobs``: selection jobs — create, list, status, cancel, result."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from farpoint.jobs.spec import SelectionSpec
from farpoint.security.responses import error_responses
from services.gateway import handler
from services.gateway.deps import Ctx, JobId, Limits, ReaderTenant, WriterTenant
from services.gateway.routes.common import READ, WRITE
from services.gateway.schemas import Created, Deleted, JobList, JobOut, ResultOut

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.post(
    "",
    response_model=Created,
    status_code=201,
    responses=error_responses(*WRITE, 400, 404, 422, 429),
)
def create_job(spec: SelectionSpec, ctx: Ctx, t: WriterTenant, limits: Limits) -> Created:
    """Start a selection job: pick ``k`` frames of ``media_ids``."""
    return Created(id=handler.create_selection_job(ctx, t, spec, limits))


@router.get("", response_model=JobList, responses=error_responses(*READ, 422))
def list_jobs(
    ctx: Ctx,
    t: ReaderTenant,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> JobList:
    """Jobs oldest first; pass ``next_cursor`` back as ``cursor`` for the next page."""
    items, nxt = handler.list_jobs(ctx, t, cursor, limit)
    return JobList(items=[JobOut(**s) for s in items], next_cursor=nxt)


@router.get("/{job_id}", response_model=JobOut, responses=error_responses(*READ, 404, 422))
def job(job_id: JobId, ctx: Ctx, t: ReaderTenant) -> JobOut:
    """A job's status and progress per stage."""
    return JobOut(**handler.job_status(ctx, t, job_id))


@router.post("/{job_id}/cancel", response_model=JobOut, responses=error_responses(*WRITE, 404, 422))
def cancel(job_id: JobId, ctx: Ctx, t: WriterTenant) -> JobOut:
    """Cancel a job: stages skip it from now on; a finished job stays succeeded."""
    return JobOut(**handler.cancel_job(ctx, t, job_id))


@router.get(
    "/{job_id}/result", response_model=ResultOut, responses=error_responses(*READ, 404, 409, 422)
)
def result(job_id: JobId, ctx: Ctx, t: ReaderTenant, limits: Limits) -> ResultOut:
    """The picks, each with a presigned URL to its full-size frame; manifest and report (409
    until the job succeeded)."""
    return ResultOut(**handler.job_result(ctx, t, job_id, expires_s=limits.presign_expiry_s))


@router.delete("/{job_id}", response_model=Deleted, responses=error_responses(*WRITE, 404, 422))
def delete(job_id: JobId, ctx: Ctx, t: WriterTenant) -> Deleted:
    """Delete a job: its shards, vectors and results in the store and its record (an active
    job is cancelled first). Frames and vectors cached for reuse stay until the TTL cleanup."""
    return Deleted(id=job_id, objects=handler.delete_job(ctx, t, job_id))
