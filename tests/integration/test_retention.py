"""Retention on the real servers: delete endpoints and the TTL cleanup remove a tenant's objects
(S3) and records (PostgreSQL); another tenant's ids are 404; a job whose objects are gone is
still listed from its record (GET /v1/jobs never fails the whole page for it). The scheduled
sweep (the chart's CronJob: ``farpoint admin cleanup``) runs as that process, on its own bucket.

The gateway runs in process on the real store, records and broker (nothing consumes the jobs:
they stay queued, which is what a delete of an active job must handle).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from farpoint.auth import KeyRegistry
from farpoint.bus.kafka import KafkaBus
from farpoint.errors import NotFoundError
from farpoint.jobs.keys import JobKeys, MediaKeys
from farpoint.jobs.retention import cleanup
from farpoint.jobs.state import MediaInfo, put_json, put_media_info
from farpoint.records.base import Media
from farpoint.records.sql import SqlRecords
from farpoint.settings import KafkaSettings, S3Settings, SecuritySettings, Settings
from farpoint.store import S3Store
from services.common.context import ServiceContext
from tests.e2e.system import drop_bucket

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


DAY_MS = 86_400_000


def _old_job(store: S3Store, records: SqlRecords, tenant: str, created: int, status: str) -> str:
    """A selection job created at ``created`` (ms) with a shard and a result, ended with
    ``status`` (or still running), written as the gateway and the stages write one."""
    job_id = uuid.uuid4().hex[:12]
    keys = JobKeys(tenant, job_id)
    spec = {"media_ids": [f"m{job_id}"], "k": 1}
    records.create_job(tenant, "select", spec, job_id, now_ms=created)
    put_json(
        store,
        keys.job,
        {"id": job_id, "kind": "select", "spec": spec, "created_ms": created, "tenant": tenant},
    )
    store.put_bytes(keys.index(created), b"", "text/plain")
    store.put_bytes(keys.root + "shards/00000/frames.npy", b"x" * 64)
    if status == "succeeded":
        put_json(store, keys.stage_done("export"), {})
        records.finish(tenant, job_id, "succeeded")
    else:
        records.progress(tenant, job_id, "ingest", now_ms=created)
    return job_id


def _old_media(store: S3Store, records: SqlRecords, tenant: str, created: int) -> str:
    media_id = uuid.uuid4().hex[:12]
    info = MediaInfo(
        id=media_id,
        filename="x.jpg",
        ext=".jpg",
        kind="image",
        size=5,
        content_type="image/jpeg",
        created_ms=created,
        tenant=tenant,
    )
    put_media_info(store, info)
    store.put_bytes(MediaKeys(tenant, media_id).original, b"jpeg!")
    records.add_media(
        Media(
            id=media_id,
            tenant=tenant,
            filename="x.jpg",
            kind="image",
            size=5,
            content_type="image/jpeg",
            created_ms=created,
            ext=".jpg",
        )
    )
    return media_id


def _sweep(env: dict[str, str], *flags: str) -> dict[str, object]:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "farpoint"), "admin", "cleanup", *flags],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_the_scheduled_sweep_removes_expired_jobs_and_media_of_every_tenant(
    s3_settings: S3Settings, database_url: str
) -> None:
    """``farpoint admin cleanup`` as the chart's CronJob runs it (TTLs from the settings
    variables, the store and records from the environment): a dry run lists what would go and
    deletes nothing; the sweep removes the expired ended job and the expired medium of each
    tenant with their objects and records; fresh ones, an expired but still running job, and
    the medium it reads stay; a second sweep finds nothing (idempotent)."""
    bucket = f"fpsweep-{uuid.uuid4().hex[:10]}"
    store = S3Store(s3_settings, bucket=bucket)
    records = SqlRecords.from_url(database_url, pool_size=2)
    now = int(time.time() * 1000)
    old, fresh = now - 40 * DAY_MS, now - 1 * DAY_MS
    try:
        tenants = (f"ta{uuid.uuid4().hex[:8]}", f"tb{uuid.uuid4().hex[:8]}")
        made = {}
        for t in tenants:
            running = _old_job(store, records, t, old, "running")
            reads = _old_media(store, records, t, old)
            put_json(
                store,
                JobKeys(t, running).job,
                {  # the running job reads that medium
                    "id": running,
                    "kind": "select",
                    "spec": {"media_ids": [reads], "k": 1},
                    "created_ms": old,
                    "tenant": t,
                },
            )
            made[t] = {
                "expired_job": _old_job(store, records, t, old, "succeeded"),
                "fresh_job": _old_job(store, records, t, fresh, "succeeded"),
                "running_job": running,
                "expired_media": _old_media(store, records, t, old),
                "fresh_media": _old_media(store, records, t, fresh),
                "read_media": reads,
            }
        before = sorted(store.list(""))
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith("FARPOINT_")}
        env.update(
            {
                "FARPOINT_S3__ENDPOINT": s3_settings.endpoint,
                "FARPOINT_S3__ACCESS_KEY": s3_settings.access_key,
                "FARPOINT_S3__SECRET_KEY": s3_settings.secret_key,
                "FARPOINT_S3__SECURE": str(s3_settings.secure).lower(),
                "FARPOINT_S3__BUCKET": bucket,
                "FARPOINT_DATABASE__URL": database_url,
                "FARPOINT_JOBS__TTL_DAYS": "30",
                "FARPOINT_JOBS__MEDIA_TTL_DAYS": "30",
            }
        )
        expired_jobs = sorted(m["expired_job"] for m in made.values())
        expired_media = sorted(m["expired_media"] for m in made.values())

        dry = _sweep(env, "--dry-run")
        assert dry["dry_run"] is True
        assert sorted(dry["jobs"]) == expired_jobs  # type: ignore[arg-type]
        assert sorted(dry["media"]) == expired_media  # type: ignore[arg-type]
        assert sorted(store.list("")) == before  # nothing deleted

        report = _sweep(env)
        assert sorted(report["jobs"]) == expired_jobs  # type: ignore[arg-type]
        assert sorted(report["media"]) == expired_media  # type: ignore[arg-type]
        assert report["objects"] == dry["objects"] > 0
        for t, m in made.items():
            assert not list(store.list(JobKeys(t, m["expired_job"]).root))
            assert not list(store.list(MediaKeys(t, m["expired_media"]).root))
            assert [j.id for j in records.list_jobs(t)[0]] == [m["running_job"], m["fresh_job"]]
            with pytest.raises(NotFoundError):
                records.get_job(t, m["expired_job"])
            assert {x.id for x in records.list_media(t)} == {m["fresh_media"], m["read_media"]}
            for kept in ("fresh_job", "running_job"):
                assert store.exists(JobKeys(t, m[kept]).job)
                assert list(store.list(JobKeys(t, m[kept]).shards))
            for kept in ("fresh_media", "read_media"):
                assert store.exists(MediaKeys(t, m[kept]).original)

        again = _sweep(env)  # idempotent: nothing left to delete
        assert (again["jobs"], again["media"], again["objects"]) == ([], [], 0)
    finally:
        records.close()
        drop_bucket(s3_settings, bucket)
