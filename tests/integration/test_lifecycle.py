"""Jobs never stranded, on the real servers (Kafka, S3, PostgreSQL).

A stage that raises an unexpected error (not one of farpoint's: a RuntimeError such as CUDA out
of memory) is retried by the worker, then its job is failed with the stage and the reason, its
quota slot freed and ``JobFailed`` announced: within a minute, not after 24 hours. The watchdog
fails a job whose stages stopped reporting progress; a cancelled job frees its slot at once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from farpoint.bus.base import Message
from farpoint.bus.kafka import KafkaBus
from farpoint.events import events_pb2 as pb
from farpoint.jobs.events import Topics, event_id, make_event, parse_event
from farpoint.records.sql import SqlRecords
from farpoint.security.errors import QuotaExceededError
from farpoint.settings import KafkaSettings, S3Settings, Settings
from farpoint.store.s3 import S3Store
from services.common.context import ServiceContext
from services.common.guard import guarded
from services.common.watchdog import sweep
from services.common.worker_app import WorkerLoop

pytestmark = pytest.mark.integration

FAST_GROUPS = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000}


@pytest.fixture
def ctx(
    s3_settings: S3Settings, kafka_settings: KafkaSettings, database_url: str
) -> Iterator[ServiceContext]:
    run = uuid.uuid4().hex[:10]
    settings = Settings(
        s3=s3_settings,
        kafka=kafka_settings.model_copy(update={"topic_prefix": f"fplife{run}.", "partitions": 1}),
    )
    records = SqlRecords.from_url(database_url)
    context = ServiceContext(
        settings=settings,
        # One shared test bucket, a prefix per test (SeaweedFS gives every bucket volumes).
        store=S3Store(settings.s3, bucket="farpoint-tests", prefix=f"life/{run}"),
        bus=KafkaBus(settings.kafka, **FAST_GROUPS),
        topics=Topics(settings.kafka.topic_prefix),
        records=records,
    )
    context.ensure_topics()
    yield context
    context.bus.close()
    records.close()


def _job(ctx: ServiceContext, tenant: str, max_active: int | None = None) -> str:
    return ctx.jobs(tenant).create("select", {"k": 3}, max_active=max_active)


def _done_events(ctx: ServiceContext, job_id: str, timeout_s: float = 30) -> list[pb.Event]:
    consumer = ctx.bus.consumer([ctx.topics.job_done], f"{ctx.topics.prefix}reader-{job_id}")
    got: list[pb.Event] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for m in consumer.poll(timeout_s=0.5):
                ev, _ = parse_event(m.value, "job_failed")
                if ev.job.job_id == job_id:
                    got.append(ev)
            if got:
                # Anything more (a duplicate) would arrive within a few polls.
                for m in consumer.poll(timeout_s=2.0):
                    ev, _ = parse_event(m.value, "job_failed")
                    if ev.job.job_id == job_id:
                        got.append(ev)
                return got
    finally:
        consumer.close()
    return got


def test_an_unexpected_stage_error_fails_the_job_within_a_minute(ctx: ServiceContext) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    job_id = _job(ctx, tenant, max_active=1)
    with pytest.raises(QuotaExceededError):
        _job(ctx, tenant, max_active=1)  # the job holds the tenant's only slot
    attempts: list[int] = []

    def embed(ev: pb.Event, _body: str) -> None:
        attempts.append(ev.shard_ready.shard)
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")

    handler = guarded(ctx, "embedding", "embedding", ("shard_ready",), embed)
    failed_label = {"service": "embedding", "stage": "embedding", "cause": "gave_up"}
    failed_before = REGISTRY.get_sample_value("farpoint_jobs_failed_total", failed_label) or 0.0
    loop = WorkerLoop(ctx, "embedding", [ctx.topics.shard_ready], handler, restart_pause_s=0.5)
    t0 = time.monotonic()
    ctx.bus.publish(
        ctx.topics.shard_ready,
        make_event(tenant, job_id, event_id(job_id, "shard", 0), pb.ShardReady(shard=0)),
        key=f"{job_id}/0",
    )
    loop.start()
    try:
        deadline = t0 + 60
        while ctx.records is not None and ctx.records.get_job(tenant, job_id).active:
            assert time.monotonic() < deadline, "the job is still active after a minute"
            time.sleep(0.2)
        took = time.monotonic() - t0
    finally:
        loop.stop()
    assert ctx.records is not None
    rec = ctx.records.get_job(tenant, job_id)
    assert (rec.status, rec.stage) == ("failed", "embedding")
    assert rec.reason == "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB"
    assert len(attempts) == 4  # the first try and three retries, then it gave up
    assert took < 60
    status = ctx.jobs(tenant).status(job_id)
    assert status["status"] == "failed"
    assert (
        status["error"] == "embedding: RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB"
    )
    failed = _done_events(ctx, job_id)
    assert [(e.job_failed.stage, e.job_failed.reason) for e in failed] == [
        ("embedding", rec.reason)
    ]
    assert REGISTRY.get_sample_value("farpoint_jobs_failed_total", failed_label) == (
        failed_before + 1
    )
    assert (
        REGISTRY.get_sample_value("farpoint_dead_letters_total", {"service": "embedding"}) or 0
    ) >= 1
    # The slot is free again, and the dead-lettered message does not come back.
    _job(ctx, tenant, max_active=1)
    assert loop.handled == 1


def test_watchdog_fails_a_stalled_job_once(ctx: ServiceContext) -> None:
    assert ctx.records is not None
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    stalled, moving = _job(ctx, tenant), _job(ctx, tenant)
    now = int(time.time() * 1000)
    ctx.records.progress(tenant, stalled, "normalization", 1, now_ms=now - 120_000)
    ctx.records.progress(tenant, moving, "embedding", 3, 9, now_ms=now)
    # Two watchdogs (two replicas) sweep at the same moment: one failure, one announcement.
    results: list[list[str]] = []
    threads = [
        threading.Thread(target=lambda: results.append(sweep(ctx, 60.0, now_ms=now)))
        for _ in range(2)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    mine = sorted(j for r in results for j in r if j in (stalled, moving))
    assert mine == [stalled]
    rec = ctx.records.get_job(tenant, stalled)
    assert (rec.status, rec.stage, rec.reason) == (
        "failed",
        "normalization",
        "no progress for 60 s (watchdog)",
    )
    assert ctx.records.get_job(tenant, moving).status == "running"
    assert ctx.jobs(tenant).status(stalled)["status"] == "failed"
    assert len(_done_events(ctx, stalled)) == 1


def test_cancel_frees_the_quota_slot_at_once(ctx: ServiceContext) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    first = _job(ctx, tenant, max_active=1)
    with pytest.raises(QuotaExceededError):
        _job(ctx, tenant, max_active=1)
    ctx.jobs(tenant).cancel(first)
    second = _job(ctx, tenant, max_active=1)
    assert ctx.records is not None
    assert ctx.records.get_job(tenant, first).status == "cancelled"
    assert ctx.jobs(tenant).status(first)["error"] == "cancelled"
    # A late stage event of the cancelled job is skipped, not worked on.
    ran: list[str] = []
    handler = guarded(
        ctx, "selection", "selection", ("job_normalized",), lambda ev, _: ran.append(ev.job.job_id)
    )
    for jid in (first, second):
        handler(
            Message(
                ctx.topics.job_normalized,
                make_event(tenant, jid, event_id(jid, "normalized"), pb.JobNormalized()),
            )
        )
    assert ran == [second]
    assert ctx.records.get_job(tenant, second).status == "running"
