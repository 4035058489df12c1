"""ShardEmbedded or JobIngested -> (all shards embedded?) fit -> RowsToNormalize batches ->
(all batches transformed?) normalized vectors -> JobNormalized.

The stage starts when every shard ingest recorded in ``ingest.json`` has its ``vectors.npy``. The
bookkeeping is O(shards) per job, not per event: ``normalize/embedded.json`` holds how many
leading shards are known to have vectors, and each event advances it with one ``exists`` per
newly embedded shard (plus one for the first shard still missing); no listing of the shards.
It is state in the store, not in memory, so a restart loses nothing (a stale or lost cursor
only re-checks shards; it never skips one: it moves past a shard once its vectors exist). Both
events of a job are keyed by its id, so one member of the group sees them in order.

A job of at most ``jobs.normalize_batch_frames`` frames (or ``normalize: none``) is fitted and
transformed in that one call, as before: the core's :func:`farpoint.normalize.fit_reducer` on all
its vectors in frame order (its bounded sample drawn with the job's seed, as ``farpoint select``
does), then :func:`farpoint.normalize.apply_reducer`. A larger job is fitted once, on the rows
:func:`farpoint.normalize.sample_rows` draws, gathered shard by shard (memory: the sample and
one shard), the reducer stored under the sha256 of its bytes (``normalize/reducer-<sha>.pkl``)
and ``normalize/fit.json`` written; then one ``RowsToNormalize`` per batch of rows is published on
``shards.embedded`` keyed ``<job>/<batch>``, so the batches spread over the topic's partitions and
every normalization worker transforms some (:func:`transform_batch`, each writing
``normalize/batches/<b>.npy``: a deterministic key, a redelivery rewrites it). A cursor
(``normalize/transformed.json``) counts the leading batches written, as for the shards, and the
records' stage progress gets (done, of) per batch; the worker that completes the count joins the
batches into ``normalized.npy`` and announces JobNormalized (selection starts). The batches are
the core's transform chunks (``TRANSFORM_CHUNK`` rows by default), so the picks equal the CLI's.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from farpoint.bus.base import Message
from farpoint.events import events_pb2 as pb
from farpoint.jobs.artifacts import load_spec, read_vectors
from farpoint.jobs.events import event_id, make_event
from farpoint.jobs.keys import JobKeys
from farpoint.jobs.spec import SelectionSpec
from farpoint.jobs.state import JobState, get_json, put_json
from farpoint.normalize import (
    DEFAULT_FIT_SAMPLE,
    Reducer,
    apply_reducer,
    dump_reducer,
    fit_reducer,
    load_reducer,
    sample_rows,
)
from farpoint.store.base import get_array, put_array
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


def _finish(
    ctx: ServiceContext, ev: pb.Event, keys: JobKeys, normalized: np.ndarray, info: dict[str, Any]
) -> None:
    """Write the job's normalized vectors and info, announce JobNormalized, mark the stage."""
    tenant, job_id = ev.job.tenant, ev.job.job_id
    put_array(ctx.store, keys.normalized, normalized)
    put_json(ctx.store, keys.normalize_info, info)
    ctx.bus.publish(
        ctx.topics.job_normalized,
        make_event(
            tenant,
            job_id,
            event_id(job_id, "normalized"),
            pb.JobNormalized(
                normalized_key=keys.normalized,
                n_frames=int(normalized.shape[0]),
                method=str(info["method"]),
            ),
        ),
        key=job_id,
    )
    JobState(ctx.store, tenant).mark_stage(job_id, "normalization", {"method": info["method"]})
    FRAMES.labels(SERVICE).inc(int(normalized.shape[0]))
    log.info("job %s: %d vectors normalized (%s)", job_id, normalized.shape[0], info["method"])


def _store_reducer(ctx: ServiceContext, keys: JobKeys, reducer: Reducer) -> str:
    """Store the fitted reducer under the sha256 of its bytes; its key."""
    data = dump_reducer(reducer)
    key = keys.reducer(hashlib.sha256(data).hexdigest())
    if not ctx.store.exists(key):
        ctx.store.put_bytes(key, data)
    return key


def _fit_once(
    ctx: ServiceContext, keys: JobKeys, spec: SelectionSpec, n_shards: int
) -> dict[str, Any]:
    """Fit the job's reducer once (``normalize/fit.json`` says it is done; a redelivered event
    reuses it). The bounded sample is the rows :func:`fit_reducer` would draw from all of the
    job's vectors, gathered shard by shard: memory O(sample + one shard), the same fit."""
    if ctx.store.exists(keys.normalize_fit):
        return get_json(ctx.store, keys.normalize_fit)  # type: ignore[no-any-return]
    n_frames = int(get_json(ctx.store, keys.ingest)["n_frames"])
    rows = sample_rows(n_frames, DEFAULT_FIT_SAMPLE, spec.seed)
    parts, shard_rows, offset = [], [], 0
    for n in range(n_shards):
        v = get_array(ctx.store, keys.vectors(n))
        if rows is None:
            parts.append(v)
        else:
            mine = rows[(rows >= offset) & (rows < offset + len(v))] - offset
            parts.append(v[mine])
        shard_rows.append(int(len(v)))
        offset += len(v)
    if offset != n_frames:
        raise RuntimeError(f"job {keys.job_id}: {offset} vectors in the shards, ingest {n_frames}")
    sample = np.concatenate(parts)
    reducer, info = fit_reducer(sample, spec.normalize, dims=spec.dims, seed=spec.seed)
    fit = {
        "reducer_key": _store_reducer(ctx, keys, reducer),
        "info": info.as_dict(),
        "shard_rows": shard_rows,
    }
    put_json(ctx.store, keys.normalize_fit, fit)
    return fit


def _read_rows(
    ctx: ServiceContext, keys: JobKeys, shard_rows: list[int], start: int, stop: int
) -> np.ndarray:
    """Rows [start, stop) of the job's vectors, reading only the shards they are in."""
    parts, offset = [], 0
    for n, size in enumerate(shard_rows):
        lo, hi = max(start, offset), min(stop, offset + size)
        if lo < hi:
            parts.append(get_array(ctx.store, keys.vectors(n))[lo - offset : hi - offset])
        offset += size
        if offset >= stop:
            break
    return np.concatenate(parts)


_REDUCERS: dict[str, Reducer] = {}  # reducer key (content-addressed) -> the loaded reducer


def _reducer(ctx: ServiceContext, key: str) -> Reducer:
    if key not in _REDUCERS:
        if len(_REDUCERS) >= 8:
            _REDUCERS.pop(next(iter(_REDUCERS)))
        _REDUCERS[key] = load_reducer(ctx.store.get_bytes(key))
    return _REDUCERS[key]


def transformed_key(keys: JobKeys) -> str:
    """How many leading transform batches of the job are known to be written."""
    return keys.root + "normalize/transformed.json"


def _advance(ctx: ServiceContext, keys: JobKeys, n_batches: int) -> int:
    """Move the batch cursor past the batches whose output exists (as :func:`all_embedded`
    does for shards): O(1) amortized per batch, no listing; the last batch written sees all."""
    key = transformed_key(keys)
    start = int(get_json(ctx.store, key)["batches"]) if ctx.store.exists(key) else 0
    done = start
    while done < n_batches and ctx.store.exists(keys.normalized_batch(done)):
        done += 1
    if done != start:
        put_json(ctx.store, key, {"batches": done, "of": n_batches})
    return done


def transform_batch(ctx: ServiceContext, ev: pb.Event) -> tuple[int, int]:
    """One ``RowsToNormalize``: transform its rows with the stored reducer, write the batch
    (deterministic key: a redelivery rewrites it), count it; the worker that completes the
    count joins the batches and announces JobNormalized."""
    tenant, job_id = ev.job.tenant, ev.job.job_id
    body = ev.rows_to_normalize
    keys = JobKeys(tenant, job_id)
    if JobState(ctx.store, tenant).stage_done(job_id, "normalization"):
        return body.n_batches, body.n_batches
    out = keys.normalized_batch(body.batch)
    if not ctx.store.exists(out):
        fit = get_json(ctx.store, keys.normalize_fit)
        x = _read_rows(ctx, keys, fit["shard_rows"], int(body.start), int(body.stop))
        z = apply_reducer(_reducer(ctx, body.reducer_key), x, chunk=len(x))
        put_array(ctx.store, out, z)
        log.info(
            "job %s: batch %d/%d normalized (rows %d-%d)",
            job_id,
            body.batch,
            body.n_batches,
            body.start,
            body.stop,
        )
    done = _advance(ctx, keys, body.n_batches)
    if done < body.n_batches:
        return done, body.n_batches  # the guard reports it to the records
    fit = get_json(ctx.store, keys.normalize_fit)
    normalized = np.concatenate(
        [get_array(ctx.store, keys.normalized_batch(b)) for b in range(body.n_batches)]
    )
    _finish(ctx, ev, keys, normalized, fit["info"])
    return done, body.n_batches


def handle(
    ctx: ServiceContext, ev: pb.Event, body: str = "shard_embedded"
) -> tuple[int, int] | None:
    """The stage; a large job's (batches done, batches) for the records' stage progress."""
    if body == "rows_to_normalize":
        return transform_batch(ctx, ev)
    tenant, job_id = ev.job.tenant, ev.job.job_id
    keys = JobKeys(tenant, job_id)
    state = JobState(ctx.store, tenant)
    if state.stage_done(job_id, "normalization") or not all_embedded(ctx, keys):
        return None
    spec = load_spec(ctx.store, keys)
    ingest = get_json(ctx.store, keys.ingest)
    n_shards, n_frames = int(ingest["n_shards"]), int(ingest.get("n_frames", 0))
    batch = ctx.settings.jobs.normalize_batch_frames
    if spec.normalize == "none" or n_frames <= batch:  # one batch (0: an unknown count)
        vectors = read_vectors(ctx.store, keys)
        reducer, info = fit_reducer(vectors, spec.normalize, dims=spec.dims, seed=spec.seed)
        normalized = apply_reducer(reducer, vectors)
        _store_reducer(ctx, keys, reducer)
        _finish(ctx, ev, keys, normalized, info.as_dict())
        return None
    fit = _fit_once(ctx, keys, spec, n_shards)
    n_batches = -(-n_frames // batch)
    for b in range(n_batches):
        ctx.bus.publish(
            ctx.topics.shard_embedded,
            make_event(
                tenant,
                job_id,
                event_id(job_id, "normalize-rows", b),
                pb.RowsToNormalize(
                    reducer_key=fit["reducer_key"],
                    start=b * batch,
                    stop=min(n_frames, (b + 1) * batch),
                    batch=b,
                    n_batches=n_batches,
                ),
            ),
            key=f"{job_id}/{b}",
        )
    log.info("job %s: reducer fitted; %d transform batches published", job_id, n_batches)
    return 0, n_batches


def make_handler(ctx: ServiceContext) -> Callable[[Message], None]:
    return guarded(
        ctx,
        SERVICE,
        "normalization",
        ("shard_embedded", "job_ingested", "rows_to_normalize"),
        lambda ev, body: handle(ctx, ev, body),
    )


def topics(ctx: ServiceContext) -> list[str]:
    return [ctx.topics.shard_embedded]
