"""JobRequested -> frame shards in the store -> one ShardReady per shard, then JobIngested.

Decoding is the core's :func:`farpoint.ingest.iter_frames` with the job's ``fps`` and ``width``,
over the job's media in order, exactly as ``farpoint select`` decodes its inputs, then the
core's :func:`farpoint.quality.filter_frames` with the job's ``quality_filter`` (counts per
reason in ``ingest.json``, then the manifest). A shard holds
at most ``shard_size`` frames of one medium and one shape. ``ingest.json`` (the shard count the
normalization stage waits for) is written after the last shard, before JobIngested goes out.

Frames are decoded once per (media content, decode settings): the shards are also written to a
content-addressed cache (:mod:`farpoint.jobs.cache`, ``cache/frames/<digest>/``, complete once
its ``ingest.json`` is); a later job with the same media and settings copies them instead of
decoding (``farpoint_stage_reused_total{service="ingest"}`` counts those shards). The job's
``cache.json`` names the entry, so the embedding stage can reuse vectors the same way.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from farpoint.bus.base import Message
from farpoint.events import events_pb2 as pb
from farpoint.ingest import DecodeReport, Frame, iter_frames
from farpoint.ingest import shards as shard_format
from farpoint.jobs.artifacts import fetch_media, load_spec, write_shard
from farpoint.jobs.cache import copy_object, frames_digest, media_content_id
from farpoint.jobs.events import event_id, make_event
from farpoint.jobs.keys import FramesCacheKeys, JobKeys
from farpoint.jobs.state import JobState, get_json, put_json
from farpoint.quality import QualityReport, filter_frames
from services.common.context import ServiceContext
from services.common.guard import guarded
from services.common.metrics import FRAMES, REUSED

log = logging.getLogger(__name__)
SERVICE = "ingest"


def handle_job_requested(ctx: ServiceContext, ev: pb.Event) -> None:
    tenant, job_id = ev.job.tenant, ev.job.job_id
    keys = JobKeys(tenant, job_id)
    state = JobState(ctx.store, tenant)
    if state.stage_done(job_id, "ingest"):
        log.info("job %s already ingested", job_id)
        return
    spec = load_spec(ctx.store, keys)
    n = 0
    n_frames = 0
    reports: list[DecodeReport] = []
    with tempfile.TemporaryDirectory(prefix="farpoint-ingest-") as tmp:
        paths = fetch_media(ctx.store, tenant, spec.media_ids, Path(tmp), ctx.records)
        media_of = {str(p): mid for p, mid in zip(paths, spec.media_ids, strict=True)}
        # content + the media ids (shard sources name them) + what decides the decoded frames
        content = [
            f"{mid}={media_content_id(p)}" for p, mid in zip(paths, spec.media_ids, strict=True)
        ]
        digest = frames_digest(
            content,
            spec.width,
            spec.fps,
            spec.shard_size,
            spec.quality_filter.model_dump(mode="json"),
        )
        cache = FramesCacheKeys(tenant, digest)
        put_json(ctx.store, keys.cache, {"frames": digest})
        if ctx.store.exists(cache.ingest):
            _reuse(ctx, tenant, job_id, keys, cache)
            return
        batch: list[Frame] = []

        def flush() -> None:
            nonlocal n, batch
            media_id = media_of[batch[0].source]
            write_shard(ctx.store, keys, n, batch, media_id)
            shard_format.write_shard(
                ctx.store,
                cache.frames(n),
                cache.shard_meta(n),
                shard_format.Shard.from_frames(batch, source=media_id),
            )
            _announce_shard(ctx, tenant, job_id, keys, n, len(batch))
            FRAMES.labels(SERVICE).inc(len(batch))
            n += 1
            batch = []

        quality = QualityReport(spec.quality_filter)  # the same filter as `farpoint select`
        frames = filter_frames(
            iter_frames(paths, width=spec.width or None, fps=spec.fps or None, reports=reports),
            spec.quality_filter,
            quality,
        )
        for frame in frames:
            if batch and (
                len(batch) >= spec.shard_size
                or frame.source != batch[0].source
                or frame.image.shape != batch[0].image.shape
            ):
                flush()
            batch.append(frame)
            n_frames += 1
        if batch:
            flush()
    inputs = []
    for r in reports:
        d = r.as_dict()
        d["source"] = media_of.get(str(d["source"]), d["source"])
        inputs.append(d)
    quality.add_decode_reports(reports)
    summary = {
        "n_shards": n,
        "n_frames": n_frames,
        "inputs": inputs,
        "quality": quality.as_dict(rename=media_of),
    }
    put_json(ctx.store, cache.ingest, summary)  # the cache entry is complete
    _finish(ctx, tenant, job_id, keys, summary)


def _announce_shard(
    ctx: ServiceContext, tenant: str, job_id: str, keys: JobKeys, n: int, n_frames: int
) -> None:
    """Tell the embedding service that shard ``n`` of the job is in the store."""
    ctx.bus.publish(
        ctx.topics.shard_ready,
        make_event(
            tenant,
            job_id,
            event_id(job_id, "shard-ready", n),
            pb.ShardReady(
                shard=n, n_frames=n_frames, frames_key=keys.frames(n), meta_key=keys.shard_meta(n)
            ),
        ),
        key=f"{job_id}/{n}",
    )


def _reuse(
    ctx: ServiceContext, tenant: str, job_id: str, keys: JobKeys, cache: FramesCacheKeys
) -> None:
    """Copy a complete frames cache entry into the job's shards: no decoding."""
    summary = get_json(ctx.store, cache.ingest)
    for n in range(int(summary["n_shards"])):
        copy_object(ctx.store, cache.frames(n), keys.frames(n))
        copy_object(ctx.store, cache.shard_meta(n), keys.shard_meta(n))
        n_frames = len(shard_format.read_shard_table(ctx.store, keys.shard_meta(n)))
        _announce_shard(ctx, tenant, job_id, keys, n, n_frames)
        REUSED.labels(SERVICE).inc()
    log.info("job %s: %d cached shards reused (%s)", job_id, summary["n_shards"], cache.digest)
    _finish(ctx, tenant, job_id, keys, summary)


def _finish(
    ctx: ServiceContext, tenant: str, job_id: str, keys: JobKeys, summary: dict[str, object]
) -> None:
    """Write the job's ``ingest.json``, announce JobIngested, mark the stage done."""
    n, n_frames = int(summary["n_shards"]), int(summary["n_frames"])  # type: ignore[call-overload]
    put_json(ctx.store, keys.ingest, summary)
    ctx.bus.publish(
        ctx.topics.shard_embedded,
        make_event(
            tenant,
            job_id,
            event_id(job_id, "ingested"),
            pb.JobIngested(n_shards=n, n_frames=n_frames),
        ),
        key=job_id,
    )
    JobState(ctx.store, tenant).mark_stage(job_id, "ingest", {"n_shards": n, "n_frames": n_frames})
    log.info("job %s: %d frames in %d shards", job_id, n_frames, n)


def make_handler(ctx: ServiceContext) -> Callable[[Message], None]:
    return guarded(
        ctx, SERVICE, "ingest", ("job_requested",), lambda ev, _: handle_job_requested(ctx, ev)
    )


def topics(ctx: ServiceContext) -> list[str]:
    return [ctx.topics.job_requested]
