"""Poison messages and failing jobs on the in-process bus: dead-lettered, visible, never stuck."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from farpoint.bus.memory import MemoryBus
from farpoint.events import events_pb2 as pb
from farpoint.jobs.events import event_id, make_event
from farpoint.jobs.keys import MediaKeys
from farpoint.jobs.spec import SelectionSpec
from farpoint.jobs.state import JobState, MediaInfo, now_ms, put_media_info
from farpoint.settings import Settings
from farpoint.store.local import LocalStore
from services.common.allinone import start_workers, stop_workers
from services.common.context import ServiceContext
from tests.data import bikes_small


@pytest.fixture
def ctx(tmp_path: Path) -> ServiceContext:
    return ServiceContext(
        settings=Settings(cache_dir=tmp_path / "cache"),
        store=LocalStore(tmp_path / "store"),
        bus=MemoryBus(default_partitions=1),
    )


def _media(ctx: ServiceContext) -> str:
    video = bikes_small()
    ctx.store.put_file(MediaKeys("default", "m1").original, video)
    put_media_info(
        ctx.store,
        MediaInfo("m1", video.name, ".mp4", "video", video.stat().st_size, "video/mp4", now_ms()),
    )
    return "m1"


def _submit(ctx: ServiceContext, spec: SelectionSpec) -> str:
    state = JobState(ctx.store)
    job_id = state.create("select", spec.model_dump())
    ctx.bus.publish(
        ctx.topics.job_requested,
        make_event(
            "default", job_id, event_id(job_id, "requested"), pb.JobRequested(spec=spec.to_proto())
        ),
        key=job_id,
    )
    return job_id


def _wait(ctx: ServiceContext, job_id: str, timeout_s: float = 60) -> dict:
    state = JobState(ctx.store)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        st = state.status(job_id)
        if st["status"] in ("succeeded", "failed"):
            return st
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} stuck: {state.status(job_id)}")


def test_unparseable_message_goes_to_dlq_and_the_partition_flows(ctx: ServiceContext) -> None:
    mid = _media(ctx)
    ctx.ensure_topics()
    ctx.bus.publish(ctx.topics.job_requested, b"\xff\x00 not protobuf", key="x")
    job_id = _submit(
        ctx, SelectionSpec(media_ids=[mid], k=4, embedder="pixels", normalize="pca", width=48)
    )
    loops = start_workers(ctx)
    try:
        assert _wait(ctx, job_id)["status"] == "succeeded"
    finally:
        stop_workers(loops)
    dlq = ctx.bus.consumer([ctx.topics.job_requested + ".dlq"], "inspect")
    msgs = dlq.poll(timeout_s=1)
    assert len(msgs) == 1
    assert msgs[0].value == b"\xff\x00 not protobuf"
    assert msgs[0].headers["original-topic"] == ctx.topics.job_requested
    assert msgs[0].headers["error"]


def test_a_job_that_cannot_succeed_fails_with_the_reason(ctx: ServiceContext) -> None:
    mid = _media(ctx)
    job_id = _submit(
        ctx, SelectionSpec(media_ids=[mid], k=100000, embedder="pixels", normalize="pca", width=48)
    )
    loops = start_workers(ctx)
    try:
        st = _wait(ctx, job_id)
    finally:
        stop_workers(loops)
    assert st["status"] == "failed"
    assert st["error"].startswith("selection: k=100000 is larger than the")
    # the poison message is in the dead-letter topic with the same reason
    dlq = ctx.bus.consumer([ctx.topics.job_normalized + ".dlq"], "inspect")
    (msg,) = dlq.poll(timeout_s=1)
    assert "larger than" in msg.headers["error"]


def test_redelivered_stage_rewrites_the_same_outputs(ctx: ServiceContext) -> None:
    """Handling every message of a finished job again changes no output and adds none."""
    mid = _media(ctx)
    spec = SelectionSpec(
        media_ids=[mid], k=4, embedder="pixels", normalize="pca", width=48, shard_size=20
    )
    job_id = _submit(ctx, spec)
    loops = start_workers(ctx)
    try:
        assert _wait(ctx, job_id)["status"] == "succeeded"
    finally:
        stop_workers(loops)
    before = {k: ctx.store.get_bytes(k) for k in ctx.store.list(f"tenants/default/jobs/{job_id}/")}
    from services.embedding.handler import make_handler as embed_handler

    handler = embed_handler(ctx)
    consumer = ctx.bus.consumer([ctx.topics.shard_ready], "replay")
    replayed = consumer.poll(timeout_s=1, max_records=1000)
    assert len(replayed) >= 2
    for m in replayed:
        handler(m)
    after = {k: ctx.store.get_bytes(k) for k in ctx.store.list(f"tenants/default/jobs/{job_id}/")}
    assert after.keys() == before.keys()
    for k in before:
        if k.endswith("vectors.npy"):
            assert after[k] == before[k]
