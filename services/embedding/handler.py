"""ShardReady -> vectors of the shard in the store -> ShardEmbedded.

Embedding is the core's :func:`farpoint.embed.batch.embed_frames` with the embedder the job names
(built once per process and model, on the GPU when one is visible). A redelivered shard is
embedded again and rewrites the same ``vectors.npy``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from farpoint.bus.base import Message
from farpoint.embed.base import Embedder, get_embedder
from farpoint.embed.batch import embed_frames
from farpoint.errors import NotFoundError
from farpoint.events import events_pb2 as pb
from farpoint.jobs.artifacts import load_spec, read_shard_frames
from farpoint.jobs.events import event_id, make_event
from farpoint.jobs.keys import JobKeys, ModelKeys
from farpoint.jobs.state import put_json
from farpoint.store.base import put_array
from services.common.context import ServiceContext
from services.common.guard import guarded
from services.common.metrics import FRAMES

log = logging.getLogger(__name__)
SERVICE = "embedding"


class EmbedderCache:
    """Embedders built once per (name, model) in this process."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._cache: dict[tuple[str, str | None, str | None], Embedder] = {}
        self._lock = threading.Lock()

    def model_path(self, tenant: str, name: str) -> Path:
        """A local copy of a stored model (downloaded once into the cache dir)."""
        mk = ModelKeys(tenant, name)
        if not self.ctx.store.exists(mk.model):
            raise NotFoundError(f"unknown model {name!r}")
        local = Path(self.ctx.settings.cache_dir) / "models" / tenant / name / "model.pt"
        if not local.exists() or local.stat().st_size != self.ctx.store.size(mk.model):
            local.parent.mkdir(parents=True, exist_ok=True)
            self.ctx.store.get_file(mk.model, local)
        return local

    def get(self, tenant: str, name: str, model: str | None) -> Embedder:
        key = (name, tenant if model else None, model)
        with self._lock:
            if key not in self._cache:
                path = str(self.model_path(tenant, model)) if model else None
                self._cache[key] = get_embedder(name, model=path, device=self.ctx.settings.device)
            return self._cache[key]


def handle_shard_ready(ctx: ServiceContext, embedders: EmbedderCache, ev: pb.Event) -> None:
    tenant, job_id = ev.job.tenant, ev.job.job_id
    keys = JobKeys(tenant, job_id)
    spec = load_spec(ctx.store, keys)
    shard = ev.shard_ready.shard
    emb = embedders.get(tenant, spec.embedder, spec.model)
    vectors = embed_frames(read_shard_frames(ctx.store, keys, shard), emb, progress=False)
    put_array(ctx.store, keys.vectors(shard), vectors)
    put_json(ctx.store, keys.root + "embedder.json", emb.describe())
    ctx.bus.publish(
        ctx.topics.shard_embedded,
        make_event(
            tenant,
            job_id,
            event_id(job_id, "shard-embedded", shard),
            pb.ShardEmbedded(
                shard=shard, n_frames=int(vectors.shape[0]), vectors_key=keys.vectors(shard)
            ),
        ),
        key=job_id,
    )
    FRAMES.labels(SERVICE).inc(int(vectors.shape[0]))
    log.info("job %s: shard %d embedded (%d frames)", job_id, shard, vectors.shape[0])


def make_handler(ctx: ServiceContext) -> Callable[[Message], None]:
    embedders = EmbedderCache(ctx)
    return guarded(
        ctx,
        SERVICE,
        "embedding",
        ("shard_ready",),
        lambda ev, _: handle_shard_ready(ctx, embedders, ev),
    )


def topics(ctx: ServiceContext) -> list[str]:
    return [ctx.topics.shard_ready]
