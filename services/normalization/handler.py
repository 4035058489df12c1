"""ShardEmbedded or JobIngested -> (all shards embedded?) normalized vectors -> JobNormalized.

The stage starts when every shard ingest recorded in ``ingest.json`` has its ``vectors.npy``. The
bookkeeping is O(shards) per job, not per event: ``normalize/embedded.json`` holds how many
leading shards are known to have vectors, and each event advances it with one ``exists`` per
newly embedded shard (plus one for the first shard still missing); no listing of the shards.
It is state in the store, not in memory, so a restart loses nothing (a stale or lost cursor
only re-checks shards; it never skips one: it moves past a shard once its vectors exist). Both
events of a job are keyed by its id, so one member of the group sees them in order. The fit is
the core's :func:`farpoint.normalize.fit_reducer` on all the job's vectors in frame order (it draws
its bounded sample with the job's seed, as ``farpoint select`` does), then
:func:`farpoint.normalize.apply_reducer`; the fitted reducer is stored beside the result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from farpoint.bus.base import Message
from farpoint.events import events_pb2 as pb
from farpoint.jobs.artifacts import load_spec, read_vectors
from farpoint.jobs.events import event_id, make_event
from farpoint.jobs.keys import JobKeys
from farpoint.jobs.state import JobState, get_json, put_json
from farpoint.normalize import apply_reducer, dump_reducer, fit_reducer
from farpoint.store.base import put_array
from services.common.context import ServiceContext
from services.common.guard import guarded
from services.common.metrics import FRAMES

log = logging.getLogger(__name__)
SERVICE = "normalization"


def cursor_key(keys: JobKeys) -> str:
    """How many leading shards of the job are known to have their vectors."""
    return keys.root + "normalize/embedded.json"


def all_embedded(ctx: ServiceContext, keys: JobKeys) -> bool:
    """Whether ingest is done and every shard it wrote has its vectors.

    Advances the cursor at :func:`cursor_key` past the shards whose vectors exist: each shard is
    found once per job, and an event costs one more ``exists`` (the first missing shard). A
    ``ShardEmbedded`` is published after its vectors are written, so when the last one (or
    ``JobIngested``) arrives, every shard is there and the cursor reaches the count."""
    if not ctx.store.exists(keys.ingest):
        return False
    total = int(get_json(ctx.store, keys.ingest)["n_shards"])
    key = cursor_key(keys)
    start = int(get_json(ctx.store, key)["shards"]) if ctx.store.exists(key) else 0
    done = start
    while done < total and ctx.store.exists(keys.vectors(done)):
        done += 1
    if done != start:
        put_json(ctx.store, key, {"shards": done, "of": total})
    return done >= total


def handle(ctx: ServiceContext, ev: pb.Event) -> None:
    tenant, job_id = ev.job.tenant, ev.job.job_id
    keys = JobKeys(tenant, job_id)
    state = JobState(ctx.store, tenant)
    if state.stage_done(job_id, "normalization") or not all_embedded(ctx, keys):
        return
    spec = load_spec(ctx.store, keys)
    vectors = read_vectors(ctx.store, keys)
    reducer, info = fit_reducer(vectors, spec.normalize, dims=spec.dims, seed=spec.seed)
    normalized = apply_reducer(reducer, vectors)
    put_array(ctx.store, keys.normalized, normalized)
    ctx.store.put_bytes(keys.reducer, dump_reducer(reducer))
    put_json(ctx.store, keys.normalize_info, info.as_dict())
    ctx.bus.publish(
        ctx.topics.job_normalized,
        make_event(
            tenant,
            job_id,
            event_id(job_id, "normalized"),
            pb.JobNormalized(
                normalized_key=keys.normalized,
                n_frames=int(normalized.shape[0]),
                method=info.method,
            ),
        ),
        key=job_id,
    )
    state.mark_stage(job_id, "normalization", {"method": info.method})
    FRAMES.labels(SERVICE).inc(int(normalized.shape[0]))
    log.info("job %s: %d vectors normalized (%s)", job_id, normalized.shape[0], info.method)


def make_handler(ctx: ServiceContext) -> Callable[[Message], None]:
    return guarded(
        ctx,
        SERVICE,
        "normalization",
        ("shard_embedded", "job_ingested"),
        lambda ev, _: handle(ctx, ev),
    )


def topics(ctx: ServiceContext) -> list[str]:
    return [ctx.topics.shard_embedded]
