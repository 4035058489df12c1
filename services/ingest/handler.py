"""JobRequested -> frame shards in the store -> one ShardReady per shard, then JobIngested.

Decoding is the core's :func:`farpoint.ingest.iter_frames` with the job's ``fps`` and ``width``,
over the job's media in order, exactly as ``farpoint select`` decodes its inputs, then the
core's :func:`farpoint.quality.filter_frames` with the job's ``quality_filter`` (counts per
reason in ``ingest.json``, then the manifest). A shard holds
at most ``shard_size`` frames of one medium and one shape. ``ingest.json`` (the shard count the
normalization stage waits for) is written after the last shard, before JobIngested goes out.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from farpoint.bus.base import Message
from farpoint.events import events_pb2 as pb
from farpoint.ingest import DecodeReport, Frame, iter_frames
from farpoint.jobs.artifacts import fetch_media, load_spec, write_shard
from farpoint.jobs.events import event_id, make_event
from farpoint.jobs.keys import JobKeys
from farpoint.jobs.state import JobState, put_json
from farpoint.quality import QualityReport, filter_frames
from services.common.context import ServiceContext
from services.common.guard import guarded
from services.common.metrics import FRAMES

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
        paths = fetch_media(ctx.store, tenant, spec.media_ids, Path(tmp))
        media_of = {str(p): mid for p, mid in zip(paths, spec.media_ids, strict=True)}
        batch: list[Frame] = []

        def flush() -> None:
            nonlocal n, batch
            media_id = media_of[batch[0].source]
            write_shard(ctx.store, keys, n, batch, media_id)
            ctx.bus.publish(
                ctx.topics.shard_ready,
                make_event(
                    tenant,
                    job_id,
                    event_id(job_id, "shard-ready", n),
                    pb.ShardReady(
                        shard=n,
                        n_frames=len(batch),
                        frames_key=keys.frames(n),
                        meta_key=keys.shard_meta(n),
                    ),
                ),
                key=f"{job_id}/{n}",
            )
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
    put_json(
        ctx.store,
        keys.ingest,
        {
            "n_shards": n,
            "n_frames": n_frames,
            "inputs": inputs,
            "quality": quality.as_dict(rename=media_of),
        },
    )
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
    state.mark_stage(job_id, "ingest", {"n_shards": n, "n_frames": n_frames})
    log.info("job %s: %d frames in %d shards", job_id, n_frames, n)


def make_handler(ctx: ServiceContext) -> Callable[[Message], None]:
    return guarded(
        ctx, SERVICE, "ingest", ("job_requested",), lambda ev, _: handle_job_requested(ctx, ev)
    )


def topics(ctx: ServiceContext) -> list[str]:
    return [ctx.topics.job_requested]
