"""ShardReady -> vectors of the shard in the store -> ShardEmbedded.

Embedding is the core's :func:`farpoint.embed.batch.embed_frames` with the embedder the job names
(built once per process and model *content*, on the GPU when one is visible). A stored model is
identified by the sha256 of its bytes (resolved once per job): a model retrained under the same
name is a new embedder, never the cached old one.

Vectors are computed once per (frames cache entry, embedder, model content hash): when the
job's ``cache.json`` names a frames entry (ingest writes it), the shard's vectors are looked up
under ``cache/vectors/<digest>/`` and copied instead of embedded
(``farpoint_stage_reused_total{service="embedding"}``), else embedded and written there too. A
redelivered shard rewrites the same ``vectors.npy``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from farpoint.bus.base import Message
from farpoint.embed.base import Embedder, get_embedder
from farpoint.embed.batch import embed_frames
from farpoint.errors import NotFoundError
from farpoint.events import events_pb2 as pb
from farpoint.jobs.artifacts import load_spec, read_shard_frames
from farpoint.jobs.cache import copy_object, vectors_digest
from farpoint.jobs.events import event_id, make_event
from farpoint.jobs.keys import JobKeys, ModelKeys, VectorsCacheKeys
from farpoint.jobs.state import get_json, put_json
from farpoint.store.base import get_array, put_array
from services.common.context import ServiceContext
from services.common.guard import guarded
from services.common.metrics import FRAMES, REUSED

log = logging.getLogger(__name__)
SERVICE = "embedding"


class EmbedderCache:
    """Embedders built once per (name, model content hash) in this process.

    A stored model is downloaded and hashed once per job (``resolve``); its local copy is named
    by that hash, so replacing ``models/<name>/model.pt`` gives the next job a new embedder.
    """

    def __init__(self, ctx: ServiceContext, max_jobs: int = 256) -> None:
        self.ctx = ctx
        self._cache: dict[tuple[str, str | None], Embedder] = {}
        self._jobs: OrderedDict[tuple[str, str, str], tuple[str, Path]] = OrderedDict()
        self._max_jobs = max_jobs
        self._lock = threading.Lock()

    def resolve(self, tenant: str, job_id: str, name: str) -> tuple[str, Path]:
        """``(sha256:<hex>, local path)`` of stored model ``name`` as this job sees it."""
        memo = (tenant, job_id, name)
        with self._lock:
            if memo in self._jobs:
                return self._jobs[memo]
        mk = ModelKeys(tenant, name)
        if not self.ctx.store.exists(mk.model):
            raise NotFoundError(f"unknown model {name!r}")
        folder = Path(self.ctx.settings.cache_dir) / "models" / tenant
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
        os.close(fd)
        try:
            self.ctx.store.get_file(mk.model, tmp)
            h = hashlib.sha256()
            with open(tmp, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            digest = "sha256:" + h.hexdigest()
            local = folder / f"{h.hexdigest()}.pt"
            os.replace(tmp, local)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        with self._lock:
            self._jobs[memo] = (digest, local)
            while len(self._jobs) > self._max_jobs:
                self._jobs.popitem(last=False)
        return digest, local

    def get(
        self, tenant: str, name: str, model: str | None, job_id: str = ""
    ) -> tuple[Embedder, str | None]:
        """The embedder and the model's content hash (None: built-in weights)."""
        digest, path = self.resolve(tenant, job_id, model) if model else (None, None)
        key = (name, digest)
        with self._lock:
            if key not in self._cache:
                self._cache[key] = get_embedder(
                    name, model=str(path) if path else None, device=self.ctx.settings.device
                )
            return self._cache[key], digest


class JobMemo:
    """What a job's shards share, read once per job in this process: its spec, the frames
    cache entry its ``cache.json`` names (immutable once written: ingest writes it before
    announcing any shard; an absent one is looked up again) and whether ``embedder.json`` was
    written. Saves three store round trips per shard (a cache hit costs little else)."""

    def __init__(self, max_jobs: int = 256) -> None:
        self._jobs: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._max_jobs = max_jobs
        self._lock = threading.Lock()

    def get(self, ctx: ServiceContext, keys: JobKeys) -> dict[str, Any]:
        memo = (keys.tenant, keys.job_id)
        with self._lock:
            if memo in self._jobs and self._jobs[memo]["frames"] is not None:
                self._jobs.move_to_end(memo)
                return self._jobs[memo]
        frames = None
        if ctx.store.exists(keys.cache):
            frames = get_json(ctx.store, keys.cache)["frames"]
        info = {"spec": load_spec(ctx.store, keys), "frames": frames, "described": False}
        with self._lock:
            self._jobs[memo] = info
            while len(self._jobs) > self._max_jobs:
                self._jobs.popitem(last=False)
        return info


def handle_shard_ready(
    ctx: ServiceContext, embedders: EmbedderCache, ev: pb.Event, jobs: JobMemo | None = None
) -> None:
    tenant, job_id = ev.job.tenant, ev.job.job_id
    keys = JobKeys(tenant, job_id)
    job = (jobs or JobMemo()).get(ctx, keys)
    spec, frames = job["spec"], job["frames"]
    shard = ev.shard_ready.shard
    emb, model_hash = embedders.get(tenant, spec.embedder, spec.model, job_id)
    cache: VectorsCacheKeys | None = None
    if frames is not None:
        cache = VectorsCacheKeys(tenant, vectors_digest(frames, spec.embedder, model_hash))
    if cache is not None and ctx.store.exists(cache.vectors(shard)):
        copy_object(ctx.store, cache.vectors(shard), keys.vectors(shard))  # server-side
        REUSED.labels(SERVICE).inc()
        # the shard's row count is in its event: no need to download the vectors again
        n_rows = int(ev.shard_ready.n_frames) or len(get_array(ctx.store, keys.vectors(shard)))
    else:
        vectors = embed_frames(read_shard_frames(ctx.store, keys, shard), emb, progress=False)
        if cache is not None:
            put_array(ctx.store, cache.vectors(shard), vectors)
            put_json(
                ctx.store,
                cache.embedder,
                {
                    "frames": frames,
                    "embedder": spec.embedder,
                    "model": spec.model,
                    "model_hash": model_hash,
                },
            )
        put_array(ctx.store, keys.vectors(shard), vectors)
        FRAMES.labels(SERVICE).inc(int(vectors.shape[0]))
        n_rows = int(vectors.shape[0])
    if not job["described"]:  # the same for every shard of the job: once per process
        put_json(ctx.store, keys.root + "embedder.json", emb.describe())
        job["described"] = True
    ctx.bus.publish(
        ctx.topics.shard_embedded,
        make_event(
            tenant,
            job_id,
            event_id(job_id, "shard-embedded", shard),
            pb.ShardEmbedded(shard=shard, n_frames=n_rows, vectors_key=keys.vectors(shard)),
        ),
        key=job_id,
    )
    log.info("job %s: shard %d embedded (%d frames)", job_id, shard, n_rows)


def make_handler(ctx: ServiceContext) -> Callable[[Message], None]:
    embedders, jobs = EmbedderCache(ctx), JobMemo()
    return guarded(
        ctx,
        SERVICE,
        "embedding",
        ("shard_ready",),
        lambda ev, _: handle_shard_ready(ctx, embedders, ev, jobs),
    )


def topics(ctx: ServiceContext) -> list[str]:
    return [ctx.topics.shard_ready]
