"""TrainRequested -> ``farpoint train`` on the job's frame shards -> ``models/<name>/model.pt``.

Training is the core's :func:`farpoint.train.loop.train_on_frames` on frame shards in the one
shard format (:mod:`farpoint.ingest.shards`), found in this order:

1. the training job's own shards (a redelivered request decodes nothing again);
2. the shards of the tenant's newest selection job that ingested the same media (same order)
   at the same width and fps — its media are neither downloaded nor decoded again;
3. otherwise the media are downloaded and decoded once into the training job's shards
   (``jobs/<id>/shards/`` + ``ingest.json``, as the ingest service writes them).

The model file is stored under the tenant's ``models/<name>/`` with a ``meta.json`` (which job's
shards it was trained on), where selection jobs find it by name (``"model": "<name>"``). A
redelivered request trains again and rewrites the same keys.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from farpoint.bus.base import Message
from farpoint.events import events_pb2 as pb
from farpoint.jobs.artifacts import (
    fetch_media,
    find_ingested_job,
    shard_key_pairs,
    write_media_shards,
)
from farpoint.jobs.events import event_id, make_event
from farpoint.jobs.keys import JobKeys, ModelKeys
from farpoint.jobs.state import JobState, now_ms, put_json
from services.common.context import ServiceContext
from services.common.guard import guarded

log = logging.getLogger(__name__)
SERVICE = "trainer"
SHARD_SIZE = 2048


def decode_to_shards(
    ctx: ServiceContext, keys: JobKeys, media_ids: list[str], width: int, fps: float
) -> None:
    """Download and decode the media once into ``keys``' shards, then write ``ingest.json``."""
    from farpoint.ingest import DecodeReport, iter_frames

    reports: list[DecodeReport] = []
    n_shards = n_frames = 0
    with tempfile.TemporaryDirectory(prefix="farpoint-train-") as tmp:
        paths = fetch_media(ctx.store, keys.tenant, media_ids, Path(tmp), ctx.records)
        media_of = {str(p): mid for p, mid in zip(paths, media_ids, strict=True)}
        frames = iter_frames(paths, width=width, fps=fps, reports=reports)
        for _, batch in write_media_shards(ctx.store, keys, frames, media_of, SHARD_SIZE):
            n_shards += 1
            n_frames += len(batch)
    inputs = [{**r.as_dict(), "source": media_of.get(str(r.source), r.source)} for r in reports]
    put_json(ctx.store, keys.ingest, {"n_shards": n_shards, "n_frames": n_frames, "inputs": inputs})


def shards_to_train_on(
    ctx: ServiceContext, tenant: str, job_id: str, req: pb.TrainRequested
) -> JobKeys:
    """The job whose shards hold the request's frames (decoding them only when none does)."""
    width, fps = req.width or 100, req.fps or 10.0
    own = JobKeys(tenant, job_id)
    if ctx.store.exists(own.ingest):
        return own
    found = find_ingested_job(ctx.store, tenant, list(req.media_ids), width, fps)
    if found is not None:
        log.info("job %s: training on the shards of job %s", job_id, found)
        return JobKeys(tenant, found)
    decode_to_shards(ctx, own, list(req.media_ids), width, fps)
    return own


def handle(ctx: ServiceContext, ev: pb.Event) -> None:
    from farpoint.train.dataset import open_shards
    from farpoint.train.loop import train_on_frames

    tenant, job_id = ev.job.tenant, ev.job.job_id
    req = ev.train_requested
    state = JobState(ctx.store, tenant)
    if state.stage_done(job_id, "train"):
        return
    mk = ModelKeys(tenant, req.model_name)
    source = shards_to_train_on(ctx, tenant, job_id, req)
    frames = open_shards(ctx.store, shard_key_pairs(ctx.store, source))
    with tempfile.TemporaryDirectory(prefix="farpoint-train-") as tmp:
        result = train_on_frames(
            frames,
            req.kind,
            Path(tmp) / "model.pt",
            epochs=req.epochs or None,
            seed=req.seed,
            device=ctx.settings.device,
            progress=False,
        )
        ctx.store.put_file(mk.model, Path(result))
    put_json(
        ctx.store,
        mk.meta,
        {
            "name": req.model_name,
            "kind": req.kind,
            "job_id": job_id,
            "media_ids": list(req.media_ids),
            "shards_of_job": source.job_id,
            "frames": len(frames),
            "epochs": req.epochs,
            "created_ms": now_ms(),
        },
    )
    ctx.bus.publish(
        ctx.topics.job_done,
        make_event(
            tenant,
            job_id,
            event_id(job_id, "trained"),
            pb.ModelTrained(model_name=req.model_name, model_key=mk.model),
        ),
        key=job_id,
    )
    state.mark_stage(job_id, "train", {"model": req.model_name})
    log.info("job %s: model %s trained", job_id, req.model_name)


def make_handler(ctx: ServiceContext) -> Callable[[Message], None]:
    return guarded(ctx, SERVICE, "train", ("train_requested",), lambda ev, _: handle(ctx, ev))


def topics(ctx: ServiceContext) -> list[str]:
    return [ctx.topics.train_requested]
