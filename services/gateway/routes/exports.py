"""``/v1/jobs/{job_id}/exports/{format}``: a finished job's picks for a labeling tool.

The formats are the core's registry (:data:`farpoint.export.formats.FORMATS`: COCO, Label Studio,
CVAT, FiftyOne, CSV, JSON); each carries, per pick, the video context (media id, frame index,
timestamp) and an image URL the tool can fetch: presigned (default) or ``s3://``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from farpoint.export.formats import FORMATS
from farpoint.security.responses import error_responses
from services.gateway import handler
from services.gateway.deps import Ctx, JobId, Limits, ReaderTenant
from services.gateway.routes.common import READ

router = APIRouter(prefix="/v1/jobs", tags=["exports"])

_MEDIA_TYPES = sorted({f.media_type for f in FORMATS.values()})
_TABLE = "; ".join(f"`{f.name}`: {f.summary}" for f in FORMATS.values())


@router.get(
    "/{job_id}/exports/{fmt}",
    response_class=Response,
    responses={
        200: {
            "description": "the export's main file (an attachment)",
            "content": {t: {"schema": {"type": "string"}} for t in _MEDIA_TYPES},
        },
        **error_responses(*READ, 404, 409, 422),
    },
)
def export(
    job_id: JobId,
    fmt: Annotated[
        str,
        Path(description=f"the export format: {_TABLE}", json_schema_extra={"enum": [*FORMATS]}),
    ],
    ctx: Ctx,
    t: ReaderTenant,
    limits: Limits,
    urls: Annotated[
        Literal["presigned", "s3"],
        Query(description="image URLs: presigned HTTP (default) or s3:// URIs"),
    ] = "presigned",
) -> Response:
    """The job's picks in a labeling tool's format (409 until the job succeeded)."""
    body, media_type, filename = handler.job_export(
        ctx, t, job_id, fmt, urls=urls, expires_s=limits.presign_expiry_s
    )
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
