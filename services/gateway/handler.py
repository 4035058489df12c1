"""The gateway's work behind the routes: request in -> store + event out (nothing algorithmic).

Every read and write of the object store the REST API does is a function here (the routes only
parse, authorize and call these), so a records database can take over one function at a time.

* an upload passes the one upload guard (:func:`farpoint.security.limits.guard_upload`: size,
  sniffed type) and streams to ``media/<id>/original``; then its record is written (a row in the
  records database; without one, ``meta.json`` in the store): a medium exists once its record
  does. A refused upload leaves nothing behind;
* a job is validated (media and model exist), recorded (``job.json``, index), then announced
  (JobRequested / TrainRequested). If the announcement fails the job is marked failed with the
  reason, so nothing accepted is ever silently stuck.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any, BinaryIO

from farpoint.embed.base import NEEDS_MODEL
from farpoint.errors import FarpointError, InputError, NotFoundError, TransientError
from farpoint.events import events_pb2 as pb
from farpoint.jobs.events import event_id, make_event
from farpoint.jobs.keys import JobKeys, MediaKeys, ModelKeys, check_id, tenant_root
from farpoint.jobs.spec import AutoPicks, SelectionSpec, TrainSpec
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
from farpoint.security.limits import check_k, check_media, check_size, guard_upload
from farpoint.security.quota import enforce_job_quota
from farpoint.security.sniff import SNIFF_BYTES
from farpoint.settings import SecuritySettings
from services.common.context import ServiceContext

log = logging.getLogger(__name__)


class ResultNotReady(FarpointError):
    """A job's result asked for before the job succeeded."""

    http_status = 409


# -- media ---------------------------------------------------------------------------------------
class _Sha256Reader:
    """A stream that hashes what is read through it (an upload's content id, for free)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.hash = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        chunk = self.raw.read(n)
        self.hash.update(chunk)
        return chunk


def upload_media(
    ctx: ServiceContext,
    tenant: str,
    stream: BinaryIO,
    filename: str | None,
    limits: SecuritySettings,
    declared_size: int | None = None,
    dataset_id: str | None = None,
) -> MediaInfo:
    """Stream an upload into the store through the upload guard; return its record. With
    ``dataset_id`` (checked before a byte is stored) the medium joins that dataset, which may
    start its automatic picks (:func:`add_dataset_media`)."""
    if dataset_id is not None:
        get_dataset(ctx, tenant, dataset_id)
    guarded = guard_upload(stream, limits, declared_size)
    mt = guarded.media
    media_id = new_id()
    keys = MediaKeys(tenant, media_id)
    hashed = _Sha256Reader(guarded.stream)
    size = ctx.store.put_stream(keys.original, hashed, -1, mt.mime)  # type: ignore[arg-type]
    info = MediaInfo(
        id=media_id,
        filename=(filename or f"{media_id}{mt.ext}")[:255],
        ext=mt.ext,
        kind=mt.kind,
        size=size,
        content_type=mt.mime,
        created_ms=now_ms(),
        tenant=tenant,
        sha256=hashed.hash.hexdigest(),
    )
    put_media_info(ctx.store, info, ctx.records)
    log.info("media %s uploaded (%s, %d bytes)", media_id, mt.kind, size)
    if dataset_id is not None:
        add_dataset_media(ctx, tenant, dataset_id, [media_id], limits)
    return info


def get_media(ctx: ServiceContext, tenant: str, media_id: str) -> MediaInfo:
    """A medium's record, or NotFoundError."""
    return get_media_info(ctx.store, tenant, check_id(media_id, "media id"), ctx.records)


def import_media(
    ctx: ServiceContext, tenant: str, uri: str, limits: SecuritySettings
) -> list[MediaInfo]:
    """Register the objects at or under ``uri`` as media that reference them (no copy): only
    under the tenant's allowed prefixes (``SecuritySettings.input_prefixes``, else 403), each
    sniffed like an upload (415 for another kind), at most one job's worth of media."""
    from farpoint.ingest import is_media
    from farpoint.ingest.remote import check_allowed, expand_remote, open_remote
    from farpoint.jobs.spec import MAX_MEDIA_PER_JOB

    uri = check_allowed(uri, tenant, limits.input_prefixes)
    objects = expand_remote(uri, is_media, ctx.settings.s3)
    if len(objects) > MAX_MEDIA_PER_JOB:
        raise InputError(f"{uri} holds {len(objects)} media; at most {MAX_MEDIA_PER_JOB} at once")
    out = []
    for obj in objects:
        with open_remote(obj, ctx.settings.s3) as f:
            head, size = f.read(SNIFF_BYTES), f.raw.size  # type: ignore[attr-defined]
        mt = check_media(head, limits)
        info = MediaInfo(
            id=new_id(),
            filename=obj.rsplit("/", 1)[-1][:255],
            ext=mt.ext,
            kind=mt.kind,
            size=size,
            content_type=mt.mime,
            created_ms=now_ms(),
            tenant=tenant,
            uri=obj,
        )
        put_media_info(ctx.store, info, ctx.records)
        out.append(info)
    log.info("tenant %s: %d media referenced under %s", tenant, len(out), uri)
    return out


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


def complete_upload(
    ctx: ServiceContext, tenant: str, media_id: str, filename: str, limits: SecuritySettings
) -> MediaInfo:
    """Register bytes uploaded to a presigned URL (the upload guard's size and type checks);
    refused bytes are deleted."""
    keys = MediaKeys(tenant, check_id(media_id, "media id"))
    if not ctx.store.exists(keys.original):
        raise NotFoundError(f"nothing was uploaded for media {media_id!r}")
    size = ctx.store.size(keys.original)
    try:
        check_size(size, limits)
        with ctx.store.open(keys.original) as f:
            head = f.read(SNIFF_BYTES)
        mt = check_media(head, limits)
    except InputError:  # too large, empty or not media: 413 / 422 / 415, and nothing is kept
        ctx.store.delete(keys.original)
        raise
    info = MediaInfo(media_id, filename[:255], mt.ext, mt.kind, size, mt.mime, now_ms(), tenant)
    put_media_info(ctx.store, info, ctx.records)
    return info


# -- jobs ----------------------------------------------------------------------------------------
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


def create_selection_job(
    ctx: ServiceContext,
    tenant: str,
    spec: SelectionSpec,
    limits: SecuritySettings,
    *,
    job_id: str | None = None,
    trigger: dict[str, Any] | None = None,
) -> str:
    """Check k and the tenant's quota, then the media and model; record and announce the job
    (``job_id`` and ``trigger``: a job the gateway submits itself, see :func:`auto_picks`)."""
    check_k(spec.k, limits)
    if ctx.records is None:  # else create() claims the slot atomically in the records
        enforce_job_quota(ctx.store, tenant, limits)
    for mid in spec.media_ids:
        get_media_info(ctx.store, tenant, mid, ctx.records)  # NotFoundError("unknown media ...")
    spec.check_candidates()
    if spec.embedder in NEEDS_MODEL and not spec.model:
        raise InputError(f"embedder {spec.embedder!r} needs a model (train one first)")
    if spec.model and not model_exists(ctx.store, tenant, spec.model):
        raise NotFoundError(f"unknown model {spec.model!r}")
    if spec.dataset_id:
        from farpoint.jobs.datasets import get_dataset

        get_dataset(ctx.store, tenant, spec.dataset_id, ctx.records)  # NotFoundError: 404
    state = ctx.jobs(tenant)
    job_id = state.create(
        "select",
        spec.model_dump(),
        job_id=job_id,
        max_active=limits.max_concurrent_jobs,
        trigger=trigger,
    )
    _announce(ctx, state, job_id, ctx.topics.job_requested, pb.JobRequested(spec=spec.to_proto()))
    return job_id


def create_train_job(
    ctx: ServiceContext, tenant: str, spec: TrainSpec, limits: SecuritySettings
) -> str:
    """Check the tenant's quota and the media; record and announce the training job."""
    if ctx.records is None:  # else create() claims the slot atomically in the records
        enforce_job_quota(ctx.store, tenant, limits)
    for mid in spec.media_ids:
        get_media_info(ctx.store, tenant, mid, ctx.records)
    state = ctx.jobs(tenant)
    job_id = state.create("train", spec.model_dump(), max_active=limits.max_concurrent_jobs)
    _announce(ctx, state, job_id, ctx.topics.train_requested, spec.to_proto())
    return job_id


def list_jobs(
    ctx: ServiceContext, tenant: str, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the tenant's jobs, oldest first, and the cursor of the next page."""
    return ctx.jobs(tenant).list_status(cursor, limit)


def job_status(ctx: ServiceContext, tenant: str, job_id: str) -> dict[str, Any]:
    """A job's status, or NotFoundError."""
    return ctx.jobs(tenant).status(check_id(job_id, "job id"))


def cancel_job(ctx: ServiceContext, tenant: str, job_id: str) -> dict[str, Any]:
    """Cancel a job (stages skip it from now on) and return its status."""
    state = ctx.jobs(tenant)
    state.cancel(check_id(job_id, "job id"))
    return state.status(job_id)


def job_result(
    ctx: ServiceContext, tenant: str, job_id: str, expires_s: int = 3600
) -> dict[str, Any]:
    """The picks with presigned URLs to their frames, and the report's URL."""
    state = ctx.jobs(tenant)
    status = state.status(check_id(job_id, "job id"))
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


def job_export(
    ctx: ServiceContext,
    tenant: str,
    job_id: str,
    fmt: str,
    *,
    urls: str = "presigned",
    expires_s: int = 3600,
) -> tuple[bytes, str, str]:
    """A labeling-tool export of a finished job's picks: ``(body, media type, file name)``.

    Made on each request from the job's ``result/`` (nothing written), with image URLs the tool
    can reach: presigned GET URLs (``urls="presigned"``, valid ``expires_s``) or ``s3://``
    URIs (``urls="s3"``, for a tool with its own access to the bucket).
    """
    from farpoint.export.formats import export_items, get_format, read_picks, render_export

    info = get_format(fmt)  # an unknown format is 422 before anything is read
    state = ctx.jobs(tenant)
    status = state.status(check_id(job_id, "job id"))
    if status["status"] != "succeeded":
        raise ResultNotReady(f"job {job_id} is {status['status']}; no result yet")
    keys = JobKeys(tenant, job_id)
    manifest, picks = read_picks(ctx.store, keys.result)
    bucket = getattr(ctx.store, "bucket", None)
    if urls == "s3" and bucket is not None:
        root = getattr(ctx.store, "prefix", "")

        def url_for(key: str) -> str:
            return f"s3://{bucket}/{root}{key}"
    else:
        exp = timedelta(seconds=expires_s)

        def url_for(key: str) -> str:
            return ctx.store.presign_get(key, exp)

    files = render_export(export_items(ctx.store, keys.result, picks, url_for), manifest, fmt)
    name = info.main.replace("/", "-")
    return files[info.main], info.media_type, f"{job_id}-{name}"


# -- datasets and retention ----------------------------------------------------------------------
def create_dataset(
    ctx: ServiceContext,
    tenant: str,
    name: str,
    media_ids: list[str],
    limits: SecuritySettings,
    auto: AutoPicks | None = None,
) -> dict[str, Any]:
    """A new dataset (by name: the existing one), its automatic picks set when given, then the
    media added (which may start those picks)."""
    from farpoint.jobs import datasets

    data = datasets.create_dataset(ctx.store, tenant, name, (), ctx.records)
    if auto is not None:
        data = datasets.set_auto(ctx.store, tenant, data["id"], auto, ctx.records)
    if not media_ids:
        return data
    data, added = datasets.add_media_new(ctx.store, tenant, data["id"], media_ids, ctx.records)
    auto_picks(ctx, tenant, data, added, limits)
    return data


def list_datasets(ctx: ServiceContext, tenant: str) -> list[dict[str, Any]]:
    from farpoint.jobs import datasets

    return datasets.list_datasets(ctx.store, tenant, ctx.records)


def get_dataset(ctx: ServiceContext, tenant: str, dataset_id: str) -> dict[str, Any]:
    from farpoint.jobs import datasets

    return datasets.get_dataset(ctx.store, tenant, dataset_id, ctx.records)


def update_dataset(
    ctx: ServiceContext, tenant: str, dataset_id: str, auto: AutoPicks | None
) -> dict[str, Any]:
    """Set (None: turn off) a dataset's automatic picks for the media added from now on."""
    from farpoint.jobs import datasets

    return datasets.set_auto(ctx.store, tenant, dataset_id, auto, ctx.records)


def add_dataset_media(
    ctx: ServiceContext,
    tenant: str,
    dataset_id: str,
    media_ids: list[str],
    limits: SecuritySettings,
) -> dict[str, Any]:
    """Add media to a dataset; each one new to it starts the dataset's automatic picks."""
    from farpoint.jobs import datasets

    datasets.get_dataset(ctx.store, tenant, dataset_id, ctx.records)
    try:  # the path's dataset exists: unknown media in the body are a bad body (422)
        data, added = datasets.add_media_new(ctx.store, tenant, dataset_id, media_ids, ctx.records)
    except NotFoundError as exc:
        raise InputError(str(exc)) from None
    auto_picks(ctx, tenant, data, added, limits)
    return data


def auto_picks(
    ctx: ServiceContext,
    tenant: str,
    dataset: dict[str, Any],
    added: list[str],
    limits: SecuritySettings,
) -> list[str]:
    """A dataset's automatic picks: for each medium just added (``added``: membership is
    claimed once, so two requests never both get here for one medium) submit one selection job
    whose candidates are that medium's frames only, selected around the dataset's labeled
    frames and the picks of its earlier automatic jobs (their media come along as context),
    ``k`` = the dataset's ``per_media`` (capped at the medium's frames). The job id is
    deterministic per (dataset, content): the same clip added again finds its job. A trigger
    the quota (or anything else) refuses is recorded as a failed job with the reason, never
    dropped. Returns the job ids."""
    if dataset.get("auto") is None or not added:
        return []
    auto = AutoPicks.model_validate(dataset["auto"])
    return [_auto_job(ctx, tenant, dataset, auto, mid, limits) for mid in added]


def _content_id(info: MediaInfo) -> str:
    return f"sha256:{info.sha256}" if info.sha256 else f"id:{info.id}"


def _earlier_picks(
    ctx: ServiceContext, tenant: str, dataset: dict[str, Any], content: str
) -> list[tuple[str, int]]:
    """The picks of the dataset's automatic jobs for its other media that succeeded."""
    from farpoint.jobs.datasets import auto_job_id

    members = set(dataset["media_ids"])
    out: list[tuple[str, int]] = []
    seen = {content}
    for other in dataset["media_ids"]:
        try:
            cid = _content_id(get_media_info(ctx.store, tenant, other, ctx.records))
        except NotFoundError:  # deleted meanwhile
            continue
        if cid in seen:
            continue
        seen.add(cid)
        manifest = JobKeys(tenant, auto_job_id(dataset["id"], cid)).manifest
        if not ctx.store.exists(manifest):  # not run, not finished or failed: nothing to avoid
            continue
        picks = get_json(ctx.store, manifest)["picks"]
        out += [(str(p["source"]), int(p["frame_index"])) for p in picks if p["source"] in members]
    return out


def _auto_job(
    ctx: ServiceContext,
    tenant: str,
    dataset: dict[str, Any],
    auto: AutoPicks,
    media_id: str,
    limits: SecuritySettings,
) -> str:
    from farpoint.jobs.datasets import auto_job_id
    from farpoint.jobs.spec import MAX_MEDIA_PER_JOB

    content = _content_id(get_media_info(ctx.store, tenant, media_id, ctx.records))
    job_id = auto_job_id(dataset["id"], content)
    state = ctx.jobs(tenant)
    try:
        state.load(job_id)
        return job_id  # this content's picks were asked for already
    except NotFoundError:
        pass
    members = set(dataset["media_ids"])
    around = _earlier_picks(ctx, tenant, dataset, content)
    labeled = [(str(f["media_id"]), int(f["frame_index"])) for f in dataset["labeled"]]
    context = [m for m, _ in labeled + around if m != media_id and m in members]
    context = list(dict.fromkeys(context))[-(MAX_MEDIA_PER_JOB - 1) :]
    trigger = {"kind": "dataset-media", "dataset_id": dataset["id"], "media_id": media_id}
    spec = auto.job_spec(
        media_ids=[*context, media_id],
        k=auto.per_media,
        dataset_id=dataset["id"],
        candidate_media_ids=[media_id],
        around=[{"media_id": m, "frame_index": i} for m, i in around],
    )
    try:
        create_selection_job(ctx, tenant, spec, limits, job_id=job_id, trigger=trigger)
        log.info(
            "dataset %s: automatic picks for media %s: job %s", dataset["id"], media_id, job_id
        )
    except FarpointError as exc:
        try:
            state.load(job_id)  # recorded, and failed when it could not be announced
        except NotFoundError:
            reason = f"automatic picks not started: {exc}"
            state.create_failed("select", spec.model_dump(), job_id, "gateway", reason, trigger)
        log.warning(
            "dataset %s: automatic picks for media %s failed: %s", dataset["id"], media_id, exc
        )
    return job_id


def mark_labeled(ctx: ServiceContext, tenant: str, dataset_id: str, job_id: str) -> dict[str, Any]:
    """Mark a finished job's picks as sent for labeling in the dataset."""
    from farpoint.jobs import datasets

    datasets.get_dataset(ctx.store, tenant, dataset_id, ctx.records)
    try:  # the path's dataset exists: an unknown job in the body is a bad body (422), not 404
        status = ctx.jobs(tenant).status(check_id(job_id, "job id"))
    except NotFoundError as exc:
        raise InputError(str(exc)) from None
    if status["status"] != "succeeded":
        raise ResultNotReady(f"job {job_id} is {status['status']}; no picks yet")
    manifest = get_json(ctx.store, JobKeys(tenant, job_id).manifest)
    frames = [(str(p["source"]), int(p["frame_index"])) for p in manifest["picks"]]
    return datasets.mark_labeled(ctx.store, tenant, dataset_id, frames, ctx.records)


def delete_job(ctx: ServiceContext, tenant: str, job_id: str) -> int:
    from farpoint.jobs.retention import delete_job as delete

    return delete(ctx.store, ctx.records, tenant, check_id(job_id, "job id"))


def delete_media(ctx: ServiceContext, tenant: str, media_id: str) -> int:
    from farpoint.jobs.retention import delete_media as delete

    return delete(ctx.store, ctx.records, tenant, check_id(media_id, "media id"))


# -- models --------------------------------------------------------------------------------------
def list_models(ctx: ServiceContext, tenant: str) -> list[dict[str, Any]]:
    """The ``meta.json`` of every model the tenant trained."""
    prefix = tenant_root(tenant) + "models/"
    metas = [key for key in ctx.store.list(prefix) if key.endswith("/meta.json")]
    return [get_json(ctx.store, key) for key in metas]


def get_model(ctx: ServiceContext, tenant: str, name: str) -> dict[str, Any]:
    """One model's ``meta.json``, or NotFoundError."""
    meta: dict[str, Any] = get_json(ctx.store, ModelKeys(tenant, check_id(name, "model name")).meta)
    return meta
