"""Read-only views the web console draws (any client may use them): ``/v1/options`` (the
registries' choices and defaults), ``GET /v1/media`` (the tenant's media), and a finished job's
``/map`` (2-D map, picks, coverage against random) and ``/frames/{row}`` (a decoded frame).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from farpoint.security.responses import error_responses
from services.gateway import browse
from services.gateway.deps import Ctx, JobId, Limits, ReaderTenant
from services.gateway.routes.common import READ
from services.gateway.schemas import MediaList, MediaOut

router = APIRouter(tags=["browse"])


class MethodOption(BaseModel):
    name: str
    summary: str
    reference: str


class EmbedderOption(BaseModel):
    name: str
    needs_model: bool = Field(description="true: the job must name a trained model")


class FormatOption(BaseModel):
    name: str
    summary: str
    tool: str
    file: str = Field(description="the file GET /v1/jobs/{id}/exports/{format} answers")


class OptionsOut(BaseModel):
    """What a selection job can ask for (read from the registries) and this gateway's limits."""

    methods: list[MethodOption]
    default_method: str
    embedders: list[EmbedderOption]
    default_embedder: str
    normalizations: list[str]
    default_normalize: str
    backends: list[str]
    formats: list[FormatOption]
    defaults: dict[str, float | int | str | bool]
    limits: dict[str, int]


class MapMedia(BaseModel):
    id: str
    frames: int
    duration_s: float = Field(description="timestamp of the medium's last decoded frame")


class MapPoints(BaseModel):
    """Parallel arrays, one entry per frame shown (a sample above 5,000 frames; every pick)."""

    row: list[int]
    x: list[float]
    y: list[float]
    media: list[int] = Field(description="index into `media`")
    frame_index: list[int]
    timestamp_s: list[float]


class MapPick(BaseModel):
    rank: int
    row: int
    x: float
    y: float
    media_id: str
    frame_index: int
    timestamp_s: float
    distance: float | None


class Coverage(BaseModel):
    k: list[int]
    selection: list[float] = Field(description="covering radius after k of the job's picks")
    random: list[float] = Field(description="the same for k random frames")


class MapOut(BaseModel):
    id: str
    method: str
    n_frames: int
    media: list[MapMedia]
    points: MapPoints
    picks: list[MapPick]
    coverage: Coverage


@router.get("/v1/options", response_model=OptionsOut, responses=error_responses(*READ))
def options(t: ReaderTenant, limits: Limits) -> OptionsOut:
    """Selection methods, embedders, normalizations, backends and export formats (the
    registries), the job defaults and this gateway's limits."""
    return OptionsOut(**browse.options(limits))


@router.get("/v1/media", response_model=MediaList, responses=error_responses(*READ, 422))
def list_media(
    ctx: Ctx, t: ReaderTenant, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> MediaList:
    """The tenant's media, newest first."""
    return MediaList(items=[MediaOut(**m.as_dict()) for m in browse.list_media(ctx, t, limit)])


@router.get(
    "/v1/jobs/{job_id}/map",
    response_model=MapOut,
    responses=error_responses(*READ, 404, 409, 422),
)
def job_map(job_id: JobId, ctx: Ctx, t: ReaderTenant) -> MapOut:
    """A finished job's frames on a 2-D map (PCA of the normalized space) with the picks, per
    medium counts and durations, and the covering radius against k for its picks and for
    random ones (409 until the job succeeded)."""
    return MapOut(**browse.job_map(ctx, t, job_id))


@router.get(
    "/v1/jobs/{job_id}/frames/{row}",
    response_class=Response,
    responses={
        200: {
            "description": "the frame as ingest decoded it (JPEG)",
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        },
        **error_responses(*READ, 404, 409, 422),
    },
)
def job_frame(
    job_id: JobId,
    row: Annotated[int, Path(ge=0, le=2**40, description="the frame's row (the map's `row`)")],
    ctx: Ctx,
    t: ReaderTenant,
) -> Response:
    """One decoded frame of a finished job, by its row in the map (404 past the last)."""
    return Response(
        browse.job_frame(ctx, t, job_id, row),
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=3600"},
    )
