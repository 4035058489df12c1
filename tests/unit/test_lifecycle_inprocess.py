"""The job lifecycle in one process (MemoryBus, LocalStore, MemoryRecords): a real job ends
``succeeded`` in the records with every stage's progress and frees its slot; an unexpected stage
error ends it ``failed``; the watchdog thread fails a stalled job."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from farpoint.bus.memory import MemoryBus
from farpoint.events import events_pb2 as pb
from farpoint.jobs.events import event_id, make_event
from farpoint.jobs.keys import MediaKeys
from farpoint.jobs.spec import SelectionSpec
from farpoint.jobs.state import MediaInfo, now_ms, put_media_info
from farpoint.records.memory import MemoryRecords
from farpoint.settings import JobSettings, Settings
from farpoint.store.local import LocalStore
from services.common.allinone import start_workers, stop_workers
from services.common.context import ServiceContext
from services.common.guard import guarded
from services.common.watchdog import Watchdog
from services.common.worker_app import WorkerLoop
from tests.data import bikes_small


@pytest.fixture
def ctx(tmp_path: Path) -> ServiceContext:
    return ServiceContext(
        settings=Settings(cache_dir=tmp_path / "cache"),
        store=LocalStore(tmp_path / "store"),
        bus=MemoryBus(default_partitions=1),
        records=MemoryRecords(),
    )


def _wait_ended(records: MemoryRecords, tenant: str, job_id: str, timeout_s: float = 90) -> str:
    deadline = time.monotonic() + timeout_s
    while records.get_job(tenant, job_id).active:
        assert time.monotonic() < deadline, records.get_job(tenant, job_id)
        time.sleep(0.1)
    return records.get_job(tenant, job_id).status


def test_a_job_succeeds_in_the_records_and_frees_its_slot(ctx: ServiceContext) -> None:
    assert isinstance(ctx.records, MemoryRecords)
    video = bikes_small()
    ctx.store.put_file(MediaKeys("default", "m1").original, video)
    put_media_info(
        ctx.store,
        MediaInfo("m1", video.name, ".mp4", "video", video.stat().st_size, "video/mp4", now_ms()),
        ctx.records,
    )
    spec = SelectionSpec(media_ids=["m1"], k=4, embedder="pixels", normalize="pca", width=48)
    job_id = ctx.jobs("default").create("select", spec.model_dump(), max_active=1)
    ctx.bus.publish(
        ctx.topics.job_requested,
        make_event(
            "default", job_id, event_id(job_id, "requested"), pb.JobRequested(spec=spec.to_proto())
        ),
        key=job_id,
    )
    loops = start_workers(ctx)
    try:
        assert _wait_ended(ctx.records, "default", job_id) == "succeeded"
    finally:
        stop_workers(loops)
    assert set(ctx.records.stages("default", job_id)) == {
        "ingest",
        "embedding",
        "normalization",
        "selection",
        "export",
    }
    assert ctx.records.active_jobs("default") == 0
    assert ctx.jobs("default").status(job_id)["status"] == "succeeded"


def test_an_unexpected_error_fails_the_job(ctx: ServiceContext) -> None:
    assert isinstance(ctx.records, MemoryRecords)
    job_id = ctx.jobs("acme").create("select", {"k": 1})

    def select(ev: pb.Event, _body: str) -> None:
        raise KeyError("labels")

    handler = guarded(ctx, "selection", "selection", ("job_normalized",), select)
    loop = WorkerLoop(ctx, "selection", [ctx.topics.job_normalized], handler)
    ctx.bus.publish(
        ctx.topics.job_normalized,
        make_event("acme", job_id, event_id(job_id, "normalized"), pb.JobNormalized()),
        key=job_id,
    )
    loop.start()
    try:
        assert _wait_ended(ctx.records, "acme", job_id, 60) == "failed"
    finally:
        loop.stop()
    job = ctx.records.get_job("acme", job_id)
    assert (job.stage, job.reason) == ("selection", "KeyError: 'labels'")
    assert ctx.jobs("acme").status(job_id)["error"] == "selection: KeyError: 'labels'"


def test_the_watchdog_thread_fails_a_stalled_job(ctx: ServiceContext) -> None:
    assert isinstance(ctx.records, MemoryRecords)
    ctx.settings = Settings(jobs=JobSettings(stall_timeout_s=0.5, watchdog_interval_s=0.1))
    stalled = ctx.jobs("acme").create("select", {"k": 1})
    ctx.records.progress("acme", stalled, "embedding", 2, 7)
    dog = Watchdog.from_settings(ctx)
    dog.start()
    try:
        assert _wait_ended(ctx.records, "acme", stalled, 10) == "failed"
    finally:
        dog.stop()
    job = ctx.records.get_job("acme", stalled)
    assert (job.stage, job.reason) == ("embedding", "no progress for 0.5 s (watchdog)")
