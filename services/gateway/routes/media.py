"""``/v1/media``: upload a video, image or archive (multipart, or a presigned URL), read it back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from farpoint.jobs.keys import ID_MAX_LENGTH, ID_PATTERN
from farpoint.security.responses import error_responses
from services.gateway import handler
from services.gateway.deps import Ctx, Limits, MediaId, ReaderTenant, WriterTenant
from services.gateway.routes.common import READ, WRITE
from services.gateway.schemas import (
    Deleted,
    MediaImportIn,
    MediaList,
    MediaOut,
    PresignIn,
    PresignOut,
)

router = APIRouter(prefix="/v1/media", tags=["media"])


@router.post(
    "",
    response_model=MediaOut,
    status_code=201,
    responses=error_responses(*WRITE, 400, 404, 415, 422),
)
def upload(
    file: Annotated[UploadFile, File()],
    ctx: Ctx,
    t: WriterTenant,
    limits: Limits,
    dataset_id: Annotated[
        str | None,
        Query(
            pattern=ID_PATTERN,
            min_length=1,
            max_length=ID_MAX_LENGTH,
            description="a dataset of the tenant's the medium joins (404 when unknown, before "
            "anything is stored); its automatic picks, if set, start a job for it",
        ),
    ] = None,
) -> MediaOut:
    """Upload a video, image or zip/tar archive (multipart field ``file``). The type is sniffed
    from the bytes (never the name); over the size limit is 413, another type 415."""
    info = handler.upload_media(ctx, t, file.file, file.filename, limits, file.size, dataset_id)
    return MediaOut(**info.as_dict())


@router.post(
    "/imports",
    response_model=MediaList,
    status_code=201,
    responses=error_responses(*WRITE, 400, 404, 415, 422),
)
def import_media(body: MediaImportIn, ctx: Ctx, t: WriterTenant, limits: Limits) -> MediaList:
    """Reference media in a bucket instead of uploading them: every video, image and archive at
    or under ``uri`` becomes a medium that jobs stream from the bucket (no copy). Only under the
    tenant's allowed prefixes (403 otherwise); each object is sniffed like an upload (415)."""
    infos = handler.import_media(ctx, t, body.uri, limits)
    return MediaList(items=[MediaOut(**i.as_dict()) for i in infos])


@router.post(
    "/uploads",
    response_model=PresignOut,
    status_code=201,
    responses=error_responses(*WRITE, 400, 422),
)
def presign(body: PresignIn, ctx: Ctx, t: WriterTenant, limits: Limits) -> PresignOut:
    """A media id and a presigned URL to PUT a large file to; then POST .../complete."""
    out = handler.presign_upload(ctx, t, body.filename, expires_s=limits.presign_expiry_s)
    return PresignOut(**out)


@router.post(
    "/{media_id}/complete",
    response_model=MediaOut,
    responses=error_responses(*WRITE, 400, 404, 415, 422),
)
def complete(
    media_id: MediaId, body: PresignIn, ctx: Ctx, t: WriterTenant, limits: Limits
) -> MediaOut:
    """Register the bytes PUT to the presigned URL (checked like an upload; refused bytes are
    deleted)."""
    info = handler.complete_upload(ctx, t, media_id, body.filename, limits)
    return MediaOut(**info.as_dict())


@router.get("/{media_id}", response_model=MediaOut, responses=error_responses(*READ, 404, 422))
def media(media_id: MediaId, ctx: Ctx, t: ReaderTenant) -> MediaOut:
    """One medium's record."""
    return MediaOut(**handler.get_media(ctx, t, media_id).as_dict())


@router.delete("/{media_id}", response_model=Deleted, responses=error_responses(*WRITE, 404, 422))
def delete(media_id: MediaId, ctx: Ctx, t: WriterTenant) -> Deleted:
    """Delete a medium: its bytes and record, and it leaves the tenant's datasets."""
    return Deleted(id=media_id, objects=handler.delete_media(ctx, t, media_id))
