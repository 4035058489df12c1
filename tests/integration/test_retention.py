"""Retention on the real servers: delete endpoints and the TTL cleanup remove a tenant's objects
(S3) and records (PostgreSQL); another tenant's ids are 404; a job whose objects are gone is
still listed from its record (GET /v1/jobs never fails the whole page for it).

The gateway runs in process on the real store, records and broker (nothing consumes the jobs:
they stay queued, which is what a delete of an active job must handle).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from farpoint.auth import KeyRegistry
from farpoint.bus.kafka import KafkaBus
from farpoint.jobs.keys import JobKeys, MediaKeys
from farpoint.jobs.retention import cleanup
from farpoint.records.sql import SqlRecords
from farpoint.settings import KafkaSettings, S3Settings, SecuritySettings, Settings
from farpoint.store import S3Store
from services.common.context import ServiceContext

pytestmark = pytest.mark.integration


@dataclass
class Stack:
    client: TestClient
    ctx: ServiceContext
    records: SqlRecords
    heads: dict[str, dict[str, str]]


@pytest.fixture
def stack(
    s3_settings: S3Settings, kafka_settings: KafkaSettings, database_url: str
) -> Iterator[Stack]:
    from services.gateway.app import create_app

    run = uuid.uuid4().hex[:10]
    settings = Settings(
        s3=s3_settings,
        kafka=kafka_settings.model_copy(update={"topic_prefix": f"fpret{run}.", "partitions": 1}),
        security=SecuritySettings(max_concurrent_jobs=2, key_cache_s=0),
    )
    store = S3Store(settings.s3, bucket="farpoint-tests", prefix=f"retention/{run}")
    records = SqlRecords.from_url(database_url, pool_size=5)
    ctx = ServiceContext(
        settings=settings, store=store, bus=KafkaBus(settings.kafka), records=records
    )
    registry = KeyRegistry(store)
    heads = {
        t: {"Authorization": f"Bearer {registry.create(t, 'writer', 'retention')[0]}"}
        for t in (f"a{run}", f"b{run}")
    }
    try:
        with TestClient(create_app(ctx)) as client:
            yield Stack(client, ctx, records, heads)
    finally:
        records.close()
        for key in list(store.list("")):
            store.delete(key)


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (40, 200, 40)).save(buf, "JPEG")
    return buf.getvalue()


def test_deletes_are_tenant_scoped_and_remove_objects_and_records(stack: Stack) -> None:
    c, store = stack.client, stack.ctx.store
    (a, ha), (b, hb) = stack.heads.items()
    r = c.post("/v1/media", files={"file": ("x.jpg", _jpeg())}, headers=ha)
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    jobs = []
    for _ in range(2):  # the quota (2) is full afterwards
        r = c.post("/v1/jobs", json={"media_ids": [mid], "k": 1, "embedder": "pixels"}, headers=ha)
        assert r.status_code == 201, r.text
        jobs.append(r.json()["id"])
    assert c.post("/v1/jobs", json={"media_ids": [mid], "k": 1}, headers=ha).status_code == 429
    assert stack.records.active_jobs(a) == 2

    # another tenant's ids are unknown, and nothing of the owner's changes
    assert c.delete(f"/v1/jobs/{jobs[0]}", headers=hb).status_code == 404
    assert c.delete(f"/v1/media/{mid}", headers=hb).status_code == 404
    assert store.exists(JobKeys(a, jobs[0]).job) and stack.records.get_job(a, jobs[0]).active

    # deleting an active job: objects and record gone, its quota slot free at once
    r = c.delete(f"/v1/jobs/{jobs[0]}", headers=ha)
    assert r.status_code == 200 and r.json()["objects"] >= 1, r.text
    assert not list(store.list(JobKeys(a, jobs[0]).root))
    assert [j.id for j in stack.records.list_jobs(a)[0]] == [jobs[1]]
    assert stack.records.active_jobs(a) == 1
    assert c.get(f"/v1/jobs/{jobs[0]}", headers=ha).status_code == 404
    assert c.delete(f"/v1/jobs/{jobs[0]}", headers=ha).status_code == 404

    # a job whose objects vanished is still listed from its record; the list never fails
    store.delete(JobKeys(a, jobs[1]).job)
    r = c.get("/v1/jobs", headers=ha)
    assert r.status_code == 200, r.text
    assert [(j["id"], j["status"]) for j in r.json()["items"]] == [(jobs[1], "queued")]

    r = c.delete(f"/v1/media/{mid}", headers=ha)
    assert r.status_code == 200, r.text
    assert not list(store.list(MediaKeys(a, mid).root))
    assert c.get(f"/v1/media/{mid}", headers=ha).status_code == 404


def test_cleanup_deletes_ended_jobs_past_the_ttl(stack: Stack) -> None:
    c, store = stack.client, stack.ctx.store
    (a, ha), _ = stack.heads.items()
    mid = c.post("/v1/media", files={"file": ("x.jpg", _jpeg())}, headers=ha).json()["id"]
    ended, active = (
        c.post("/v1/jobs", json={"media_ids": [mid], "k": 1}, headers=ha).json()["id"]
        for _ in range(2)
    )
    assert c.post(f"/v1/jobs/{ended}/cancel", headers=ha).status_code == 200
    kept = cleanup(store, stack.records, ttl_s=3600)  # both younger than an hour
    assert kept.jobs == []
    report = cleanup(
        store, stack.records, ttl_s=0, now=stack.records.get_job(a, active).created_ms + 10_000
    )
    assert report.jobs == [ended]  # the active one is the watchdog's, not retention's
    assert not list(store.list(JobKeys(a, ended).root))
    assert [j.id for j in stack.records.list_jobs(a)[0]] == [active]
    assert store.exists(JobKeys(a, active).job)
