"""The embedding stage reads what a job's shards share once per job (spec, ``cache.json``) and
writes ``embedder.json`` once, not per shard; a job whose ``cache.json`` is not there yet is
looked up again. Counted on a real :class:`LocalStore`; the vectors are the embedder's."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from farpoint.bus.memory import MemoryBus
from farpoint.embed.base import get_embedder
from farpoint.embed.batch import embed_frames
from farpoint.events import events_pb2 as pb
from farpoint.ingest import iter_frames
from farpoint.jobs.artifacts import write_shard
from farpoint.jobs.events import event_id, make_event, parse_event
from farpoint.jobs.keys import JobKeys
from farpoint.jobs.spec import SelectionSpec
from farpoint.jobs.state import JobState, put_json
from farpoint.settings import Settings
from farpoint.store.base import get_array
from farpoint.store.local import LocalStore
from services.common.context import ServiceContext
from services.embedding.handler import EmbedderCache, JobMemo, handle_shard_ready
from tests.data import bikes_small


class CountingStore(LocalStore):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.reads: Counter[str] = Counter()
        self.writes: Counter[str] = Counter()

    def get_bytes(self, key: str) -> bytes:
        self.reads[key] += 1
        return super().get_bytes(key)

    def put_bytes(self, key: str, data: bytes, content_type: str = "") -> None:  # type: ignore[override]
        self.writes[key] += 1
        super().put_bytes(key, data, content_type)


def test_a_jobs_shared_objects_are_read_once_per_job(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "store")
    ctx = ServiceContext(settings=Settings(cache_dir=tmp_path / "c"), store=store, bus=MemoryBus())
    spec = SelectionSpec(media_ids=["m1"], k=2, embedder="pixels", normalize="none")
    job_id = JobState(store, "acme").create("select", spec.model_dump())
    keys = JobKeys("acme", job_id)
    frames = list(iter_frames([bikes_small()], fps=5.0, width=32))[:12]
    for n in range(3):
        write_shard(store, keys, n, frames[n * 4 : (n + 1) * 4], "m1")
    embedders, jobs = EmbedderCache(ctx), JobMemo()

    def shard(n: int) -> pb.Event:
        ev = pb.Event()
        ev.ParseFromString(
            make_event("acme", job_id, event_id(job_id, "shard", n), pb.ShardReady(shard=n))
        )
        return ev

    handle_shard_ready(ctx, embedders, shard(0), jobs)  # no cache.json yet: looked up again
    put_json(store, keys.cache, {"frames": "f" * 40})
    store.reads.clear()
    store.writes.clear()
    handle_shard_ready(ctx, embedders, shard(1), jobs)
    handle_shard_ready(ctx, embedders, shard(2), jobs)
    assert store.reads[keys.job] == 1 and store.reads[keys.cache] == 1, store.reads
    assert store.writes[keys.root + "embedder.json"] == 1, store.writes
    assert store.writes[keys.vectors(1)] == store.writes[keys.vectors(2)] == 1
    want = embed_frames(frames, get_embedder("pixels"), progress=False)
    got = np.concatenate([get_array(store, keys.vectors(n)) for n in range(3)])
    np.testing.assert_array_equal(got, want)
    published = ctx.bus.consumer([ctx.topics.shard_embedded], "t").poll(timeout_s=0.1)
    assert sorted(parse_event(m.value)[0].shard_embedded.shard for m in published) == [0, 1, 2]
