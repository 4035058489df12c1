"""Normalization spread over workers by batch, on the real broker and S3 server.

A job above ``jobs.normalize_batch_frames`` is fitted once and transformed in ``RowsToNormalize``
messages keyed by batch on ``shards.embedded`` (4 partitions here): the two members of the
normalization group, each its own :class:`KafkaBus` client as two replicas would be, both
transform batches of the one job, every batch is written once under its deterministic key, and
the picks equal ``farpoint select``'s on the same file and settings.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from farpoint.bus.base import Message
from farpoint.bus.kafka import KafkaBus
from farpoint.jobs.events import Topics, parse_event
from farpoint.jobs.keys import JobKeys
from farpoint.pipeline import select
from farpoint.settings import JobSettings, KafkaSettings, S3Settings, SecuritySettings, Settings
from farpoint.store import S3Store
from services.common.allinone import start_workers, stop_workers
from services.common.context import ServiceContext
from services.common.worker_app import WorkerLoop
from services.normalization import handler as normalization
from tests.data import bikes_small

pytestmark = pytest.mark.integration

SETTINGS = dict(embedder="pixels", normalize="pca", fps=10.0, width=64, seed=3)


@pytest.fixture
def ctx(
    s3_settings: S3Settings, kafka_settings: KafkaSettings, tmp_path: Path
) -> Iterator[ServiceContext]:
    run = uuid.uuid4().hex[:10]
    settings = Settings(
        cache_dir=tmp_path / "cache",
        s3=s3_settings,
        kafka=kafka_settings.model_copy(update={"topic_prefix": f"fpnorm{run}.", "partitions": 4}),
        security=SecuritySettings(auth_enabled=False),
        jobs=JobSettings(normalize_batch_frames=4),
    )
    store = S3Store(settings.s3, bucket="farpoint-tests", prefix=f"normspread/{run}")
    context = ServiceContext(
        settings=settings,
        store=store,
        bus=KafkaBus(settings.kafka),
        topics=Topics(settings.kafka.topic_prefix),
    )
    try:
        yield context
    finally:
        for key in list(store.list("")):
            store.delete(key)


def test_two_normalization_replicas_transform_batches_of_one_job(ctx: ServiceContext) -> None:
    from services.gateway.app import create_app

    batches: list[list[int]] = [[], []]

    def member(i: int) -> WorkerLoop:
        # a replica of its own: its own client, in the one normalization group
        own = ServiceContext(
            settings=ctx.settings,
            store=ctx.store,
            bus=KafkaBus(ctx.settings.kafka),
            topics=ctx.topics,
        )
        inner = normalization.make_handler(own)

        def handle(message: Message) -> None:
            ev, body = parse_event(message.value)
            if body == "rows_to_normalize":
                batches[i].append(ev.rows_to_normalize.batch)
            inner(message)

        return WorkerLoop(own, "normalization", normalization.topics(own), handle)

    members = [member(0), member(1)]
    for m in members:
        m.start()
    loops = start_workers(ctx, stages=("ingest", "embedding", "selection", "export"))
    video = bikes_small()
    try:
        deadline = time.monotonic() + 60
        while not all(m.running for m in members):  # both joined and polling
            assert time.monotonic() < deadline, [m.last_error for m in members]
            time.sleep(0.2)
        time.sleep(5)  # the group's rebalance settles: both members own partitions
        with TestClient(create_app(ctx)) as client, video.open("rb") as f:
            r = client.post("/v1/media", files={"file": (video.name, f, "video/mp4")})
            assert r.status_code == 201, r.text
            body = {"media_ids": [r.json()["id"]], "k": 12, "shard_size": 16, **SETTINGS}
            r = client.post("/v1/jobs", json=body)
            assert r.status_code == 201, r.text
            job_id = r.json()["id"]
            deadline = time.monotonic() + 180
            while (status := client.get(f"/v1/jobs/{job_id}").json())["status"] not in (
                "succeeded",
                "failed",
            ):
                assert time.monotonic() < deadline, status
                time.sleep(0.2)
            assert status["status"] == "succeeded", status
            result = client.get(f"/v1/jobs/{job_id}/result").json()
    finally:
        stop_workers([*loops, *members])
    ref = select([video], 12, frames=False, report=False, **SETTINGS)
    got = [(i["frame_index"], i["timestamp_s"], i["rank"]) for i in result["items"]]
    assert got == [(p.frame_index, p.timestamp_s, p.rank) for p in ref.picks]
    n_batches = -(-ref.n_frames // 4)
    assert n_batches > 8
    assert set(batches[0]) | set(batches[1]) == set(range(n_batches))
    assert batches[0] and batches[1], batches  # both replicas transformed some
    keys = JobKeys("default", job_id)
    assert len(list(ctx.store.list(keys.root + "normalize/batches/"))) == n_batches
