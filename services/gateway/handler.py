"""The gateway's work behind the routes: request in -> store + event out (nothing algorithmic).

* an upload streams to ``media/<id>/original`` (bounded size, sniffed type), then its
  ``meta.json`` is written: a medium exists once its meta does;
* a job is validated (media and model exist), recorded (``job.json``, index), then announced
  (JobRequested / TrainRequested). If the announcement fails the job is marked failed with the
  reason, so nothing accepted is ever silently stuck.
"""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from typing import Any, BinaryIO

from farpoint.embed.base import NEEDS_MODEL
from farpoint.errors import FarpointError, InputError, NotFoundError, TransientError
from farpoint.events import events_pb2 as pb
from farpoint.jobs.events import event_id, make_event
from farpoint.jobs.keys import JobKeys, MediaKeys, check_id
from farpoint.jobs.spec import SelectionSpec, TrainSpec
from farpoint.jobs.state import (
    JobState,
    MediaInfo,
    get_json,
    get_media_info,
    model_exists,
    new_id,
    now_ms,
    put_media_info,
)
from farpoint.security.errors import PayloadTooLargeError, UnsupportedMediaError
from farpoint.security.sniff import SNIFF_BYTES, MediaType, sniff
from services.common.context import ServiceContext

log = logging.getLogger(__name__)

TooLarge = PayloadTooLargeError


def media_type(head: bytes, allowed: list[str] | None = None) -> MediaType:
    """What the bytes are (sniffed, never the name or declared type), or 415."""
    mt = sniff(head)
    if mt is None:
        raise UnsupportedMediaError(
            "unsupported content: the bytes are not a video, image or zip/tar archive"
        )
    if allowed is not None and mt.kind not in allowed:
        raise UnsupportedMediaError(f"{mt.kind} ({mt.format}) uploads are not allowed here")
    return mt


class _Limited(io.RawIOBase):
    """Reads ``head`` then ``rest``; raises :class:`TooLarge` past ``limit`` bytes."""

    def __init__(self, head: bytes, rest: BinaryIO, limit: int) -> None:
        self._head = head
        self._rest = rest
        self._limit = limit
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            out, self._head = (
                (self._head, b"") if size < 0 else (self._head[:size], self._head[size:])
            )
        else:
            out = self._rest.read(size)
        self.count += len(out)
        if self.count > self._limit:
            raise TooLarge(f"upload is larger than the limit of {self._limit} bytes")
        return out


def upload_media(
    ctx: ServiceContext, tenant: str, stream: BinaryIO, filename: str | None
) -> MediaInfo:
    """Stream an upload into the store; return its record."""
    head = stream.read(SNIFF_BYTES)
    if not head:
        raise InputError("the upload is empty")
    mt = media_type(head, ctx.settings.security.allowed_kinds)
    media_id = new_id()
    keys = MediaKeys(tenant, media_id)
    reader = _Limited(head, stream, ctx.max_upload_bytes)
    size = ctx.store.put_stream(keys.original, reader, -1, mt.mime)  # type: ignore[arg-type]
    info = MediaInfo(
        id=media_id,
        filename=(filename or f"{media_id}{mt.ext}")[:255],
        ext=mt.ext,
        kind=mt.kind,
        size=size,
        content_type=mt.mime,
        created_ms=now_ms(),
        tenant=tenant,
    )
    put_media_info(ctx.store, info)
    log.info("media %s uploaded (%s, %d bytes)", media_id, mt.kind, size)
    return info


def presign_upload(
    ctx: ServiceContext, tenant: str, filename: str, expires_s: int = 3600
) -> dict[str, Any]:
    """A media id and a URL to PUT its bytes to; then :func:`complete_upload` registers it."""
    media_id = new_id()
    keys = MediaKeys(tenant, media_id)
    url = ctx.store.presign_put(keys.original, timedelta(seconds=expires_s))
    return {
        "id": media_id,
        "upload_url": url,
        "method": "PUT",
        "expires_s": expires_s,
        "filename": filename,
    }


def complete_upload(ctx: ServiceContext, tenant: str, media_id: str, filename: str) -> MediaInfo:
    """Register bytes uploaded to a presigned URL (sniffed and size-checked like an upload)."""
    keys = MediaKeys(tenant, check_id(media_id, "media id"))
    if not ctx.store.exists(keys.original):
        raise NotFoundError(f"nothing was uploaded for media {media_id!r}")
    size = ctx.store.size(keys.original)
    if size > ctx.max_upload_bytes:
        ctx.store.delete(keys.original)
        raise TooLarge(f"upload is larger than the limit of {ctx.max_upload_bytes} bytes")
    with ctx.store.open(keys.original) as f:
        head = f.read(SNIFF_BYTES)
    try:
        mt = media_type(head, ctx.settings.security.allowed_kinds)
    except InputError:
        ctx.store.delete(keys.original)
        raise
    info = MediaInfo(media_id, filename[:255], mt.ext, mt.kind, size, mt.mime, now_ms(), tenant)
    put_media_info(ctx.store, info)
    return info


def _announce(ctx: ServiceContext, state: JobState, job_id: str, topic: str, body: Any) -> None:
    try:
        ctx.bus.publish(
            topic,
            make_event(state.tenant, job_id, event_id(job_id, "requested"), body),
            key=job_id,
        )
    except FarpointError as exc:
        state.fail(job_id, "gateway", f"could not enqueue the job: {exc}")
        raise TransientError(f"could not enqueue the job, try again: {exc}") from exc


def create_selection_job(ctx: ServiceContext, tenant: str, spec: SelectionSpec) -> str:
    for mid in spec.media_ids:
        get_media_info(ctx.store, tenant, mid)  # NotFoundError("unknown media ...")
    if spec.embedder in NEEDS_MODEL and not spec.model:
        raise InputError(f"embedder {spec.embedder!r} needs a model (train one first)")
    if spec.model and not model_exists(ctx.store, tenant, spec.model):
        raise NotFoundError(f"unknown model {spec.model!r}")
    state = JobState(ctx.store, tenant)
    job_id = state.create("select", spec.model_dump())
    _announce(ctx, state, job_id, ctx.topics.job_requested, pb.JobRequested(spec=spec.to_proto()))
    return job_id


def create_train_job(ctx: ServiceContext, tenant: str, spec: TrainSpec) -> str:
    for mid in spec.media_ids:
        get_media_info(ctx.store, tenant, mid)
    state = JobState(ctx.store, tenant)
    job_id = state.create("train", spec.model_dump())
    _announce(ctx, state, job_id, ctx.topics.train_requested, spec.to_proto())
    return job_id


def job_result(
    ctx: ServiceContext, tenant: str, job_id: str, expires_s: int = 3600
) -> dict[str, Any]:
    """The picks with presigned URLs to their frames, and the report's URL."""
    state = JobState(ctx.store, tenant)
    status = state.status(job_id)
    if status["status"] != "succeeded":
        raise ResultNotReady(f"job {job_id} is {status['status']}; no result yet")
    keys = JobKeys(tenant, job_id)
    manifest = get_json(ctx.store, keys.manifest)
    exp = timedelta(seconds=expires_s)
    items = []
    for p in manifest["picks"]:
        items.append(
            {
                "media_id": p["source"],
                "frame_index": p["frame_index"],
                "timestamp_s": p["timestamp_s"],
                "rank": p["rank"],
                "distance": p["distance"],
                "url": ctx.store.presign_get(keys.result + p["file"], exp)
                if p.get("file")
                else None,
            }
        )
    report_key = keys.result + "report.html"
    return {
        "id": job_id,
        "items": items,
        "n_frames": manifest.get("n_frames"),
        "manifest_url": ctx.store.presign_get(keys.manifest, exp),
        "report_url": ctx.store.presign_get(report_key, exp)
        if ctx.store.exists(report_key)
        else None,
    }


class ResultNotReady(FarpointError):
    http_status = 409
