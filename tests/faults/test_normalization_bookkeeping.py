"""Normalization's bookkeeping is O(shards) per job: deciding on each shard event whether every
shard has its vectors never lists the job's shards (the old way listed them all on every event:
quadratic), and the ``exists`` calls grow linearly with the shard count. Counted on a real
:class:`LocalStore` (a subclass that counts its calls), with shards arriving out of order and
``JobIngested`` in the middle; the stage starts once, on the last shard, with every vector. The
transform batches of a large job are counted the same way (out of order, redelivered)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from farpoint.bus.base import Message
from farpoint.bus.memory import MemoryBus
from farpoint.events import events_pb2 as pb
from farpoint.jobs.events import event_id, make_event, parse_event
from farpoint.jobs.keys import JobKeys
from farpoint.jobs.spec import SelectionSpec
from farpoint.jobs.state import JobState, put_json
from farpoint.settings import Settings
from farpoint.store.base import get_array, put_array
from farpoint.store.local import LocalStore
from services.common.context import ServiceContext
from services.normalization import handler

TENANT = "acme"
ROWS = 3  # vectors per shard


class CountingStore(LocalStore):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.calls: dict[str, int] = {"list": 0, "listed": 0, "exists": 0, "get_bytes": 0}

    def list(self, prefix: str = "") -> Any:
        self.calls["list"] += 1
        for key in super().list(prefix):
            self.calls["listed"] += 1  # a listing costs per key (S3: pages of 1000)
            yield key

    def exists(self, key: str) -> bool:
        self.calls["exists"] += 1
        return super().exists(key)

    def get_bytes(self, key: str) -> bytes:
        self.calls["get_bytes"] += 1
        return super().get_bytes(key)


def _run(tmp_path: Path, n: int) -> tuple[dict[str, int], int, int]:
    """Embed ``n`` shards out of order, each followed by its event; ``JobIngested`` halfway.
    Returns (store calls of the bookkeeping, events handled before the stage ran, rows)."""
    store = CountingStore(tmp_path / f"store-{n}")
    ctx = ServiceContext(
        settings=Settings(cache_dir=tmp_path / "cache"), store=store, bus=MemoryBus()
    )
    spec = SelectionSpec(media_ids=["m1"], k=3, embedder="pixels", normalize="pca", dims=4)
    job_id = JobState(store, TENANT).create("select", spec.model_dump())
    keys = JobKeys(TENANT, job_id)
    rng = np.random.default_rng(n)
    order = list(range(n))
    random.Random(n).shuffle(order)
    if order[-1] == 0:  # the stage must wait for a late low shard too
        order[-1], order[0] = order[0], order[-1]
    consumer = ctx.bus.consumer([ctx.topics.job_normalized], "t")
    stage = handler.make_handler(ctx)  # the service's handler: guard and stage
    started_after = -1
    events = 0
    store.calls = dict.fromkeys(store.calls, 0)
    for i, shard in enumerate(order):
        if i == n // 2:  # ingest finishes: ingest.json, then JobIngested
            put_json(store, keys.ingest, {"n_shards": n})
            ingested = make_event(
                TENANT, job_id, event_id(job_id, "ingested"), pb.JobIngested(n_shards=n)
            )
            stage(Message(ctx.topics.shard_embedded, ingested))
            events += 1
        put_array(store, keys.vectors(shard), rng.random((ROWS, 8)).astype(np.float32))
        if i == n - 1:
            bookkeeping = dict(store.calls)  # before the last event, which runs the stage
        ev = make_event(
            TENANT, job_id, event_id(job_id, "embedded", shard), pb.ShardEmbedded(shard=shard)
        )
        stage(Message(ctx.topics.shard_embedded, ev))
        events += 1
        published = consumer.poll(timeout_s=0.01)
        if published:
            assert started_after == -1, "normalized twice"
            started_after = events
            (got, _) = parse_event(published[0].value, "job_normalized")
            assert got.job.job_id == job_id
    consumer.close()
    rows = int(get_array(store, keys.normalized).shape[0])
    return bookkeeping, started_after, rows


@pytest.mark.parametrize("n", [10, 80])
def test_normalization_starts_once_on_the_last_shard_without_listing(
    tmp_path: Path, n: int
) -> None:
    calls, started_after, rows = _run(tmp_path, n)
    assert started_after == n + 1  # every shard event and JobIngested, the last one ran it
    assert rows == n * ROWS
    assert calls["list"] == 0
    # per event: failed/cancel markers (the guard), its stage marker, ingest.json, the cursor,
    # the first missing shard (6), and each shard found once: O(shards); listing every shard
    # per event would be O(shards**2)
    assert calls["exists"] <= 6 * (n + 1) + n, calls


def test_bookkeeping_grows_linearly(tmp_path: Path) -> None:
    small, _, _ = _run(tmp_path, 20)
    big, _, _ = _run(tmp_path, 160)
    total = lambda c: sum(c.values())  # noqa: E731  (store calls and keys listed)
    assert total(big) <= 9 * total(small), (small, big)  # 8x the shards, about 8x the calls


def test_transform_batches_out_of_order_and_redelivered_finish_once(tmp_path: Path) -> None:
    """A job above ``jobs.normalize_batch_frames``: the last shard event fits once and publishes
    one ``RowsToNormalize`` per batch; the batches arrive shuffled, a third of them twice (a
    redelivery), the fit trigger twice: the job is normalized exactly once, with the vectors the
    in-place path gives, and the batch bookkeeping never lists and stays O(batches)."""
    from farpoint.jobs.state import get_json
    from farpoint.normalize import apply_reducer, fit_reducer

    store = CountingStore(tmp_path / "store")
    n_shards, rows, batch = 12, 5, 4  # 60 vectors in 15 batches
    ctx = ServiceContext(
        settings=Settings(cache_dir=tmp_path / "cache", jobs={"normalize_batch_frames": batch}),
        store=store,
        bus=MemoryBus(default_partitions=3),
    )
    spec = SelectionSpec(media_ids=["m1"], k=3, embedder="pixels", normalize="pca", dims=4, seed=9)
    job_id = JobState(store, TENANT).create("select", spec.model_dump())
    keys = JobKeys(TENANT, job_id)
    rng = np.random.default_rng(1)
    vectors = rng.random((n_shards * rows, 8)).astype(np.float32)
    for n in range(n_shards):
        put_array(store, keys.vectors(n), vectors[n * rows : (n + 1) * rows])
    put_json(store, keys.ingest, {"n_shards": n_shards, "n_frames": n_shards * rows})
    batches = ctx.bus.consumer([ctx.topics.shard_embedded], "batches")
    done = ctx.bus.consumer([ctx.topics.job_normalized], "done")
    stage = handler.make_handler(ctx)
    ingested = make_event(
        TENANT, job_id, event_id(job_id, "ingested"), pb.JobIngested(n_shards=n_shards)
    )
    stage(Message(ctx.topics.shard_embedded, ingested))  # every shard is there: fit, publish
    stage(Message(ctx.topics.shard_embedded, ingested))  # a redelivered trigger: fit reused
    published = []
    while got := batches.poll(timeout_s=0.05):
        published += [m for m in got if parse_event(m.value)[1] == "rows_to_normalize"]
    n_batches = -(-n_shards * rows // batch)
    assert len(published) == 2 * n_batches  # each trigger published every batch
    names = sorted(k.rsplit("/", 1)[1] for k in store.list(keys.root + "normalize/"))
    assert names[:2] == ["embedded.json", "fit.json"] and len(names) == 3  # one reducer
    assert names[2].startswith("reducer-") and names[2].endswith(".pkl")
    one_each = {parse_event(m.value)[0].rows_to_normalize.batch: m for m in published}
    assert sorted(one_each) == list(range(n_batches))
    order = list(one_each.values())
    random.Random(3).shuffle(order)
    order += order[: n_batches // 3]  # redeliveries, after the last batch too
    store.calls = dict.fromkeys(store.calls, 0)
    announced = 0
    for m in order:
        stage(m)
        announced += len(done.poll(timeout_s=0.01))
    announced += len(done.poll(timeout_s=0.5))
    assert announced == 1
    assert store.calls["list"] == 0
    # per batch: guard markers (2), stage marker, its output, the cursor, the first
    # missing batch; each batch found once: O(batches)
    assert store.calls["exists"] <= 6 * len(order) + n_batches, store.calls
    reducer, info = fit_reducer(vectors, "pca", dims=4, seed=9)
    np.testing.assert_array_equal(
        get_array(store, keys.normalized), apply_reducer(reducer, vectors)
    )
    assert get_json(store, keys.normalize_info) == info.as_dict()
