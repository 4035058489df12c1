"""The gateway on the records database (real PostgreSQL, S3 and Kafka; uvicorn on loopback).

Jobs from three tenants submitted at once: each tenant's quota holds exactly (no more than its
``max_concurrent_jobs`` accepted, the rest 429), tenants list only their own jobs, listing pages
through the records, and cancelling frees a slot at once.
"""

from __future__ import annotations

import io
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from PIL import Image

from farpoint.auth import KeyRegistry
from farpoint.bus.kafka import KafkaBus
from farpoint.jobs.events import Topics
from farpoint.records.sql import SqlRecords
from farpoint.settings import KafkaSettings, S3Settings, SecuritySettings, Settings
from farpoint.store import S3Store
from services.common.context import ServiceContext

pytestmark = pytest.mark.integration

QUOTA = 3


@dataclass
class Gateway:
    url: str
    registry: KeyRegistry
    records: SqlRecords

    def headers(self, tenant: str) -> dict[str, str]:
        token = self.registry.create(tenant, "writer", "records-test")[0]
        return {"Authorization": f"Bearer {token}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def gateway(
    s3_settings: S3Settings, kafka_settings: KafkaSettings, database_url: str
) -> Iterator[Gateway]:
    from services.gateway.app import create_app

    run = uuid.uuid4().hex[:10]
    settings = Settings(
        s3=s3_settings,
        kafka=kafka_settings.model_copy(update={"topic_prefix": f"fprec{run}.", "partitions": 1}),
        security=SecuritySettings(max_concurrent_jobs=QUOTA, key_cache_s=0),
    )
    # One shared test bucket, a prefix per run (SeaweedFS gives every bucket volumes).
    store = S3Store(settings.s3, bucket="farpoint-tests", prefix=f"records/{run}")
    records = SqlRecords.from_url(database_url, pool_size=10)
    ctx = ServiceContext(
        settings=settings,
        store=store,
        bus=KafkaBus(settings.kafka),
        topics=Topics(settings.kafka.topic_prefix),
        records=records,
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(ctx), host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the gateway did not start"
        time.sleep(0.05)
    try:
        yield Gateway(f"http://127.0.0.1:{port}", KeyRegistry(store), records)
    finally:
        server.should_exit = True
        thread.join(15)
        records.close()


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 40, 40)).save(buf, "JPEG")
    return buf.getvalue()


def test_quota_holds_exactly_per_tenant_under_concurrent_submissions(gateway: Gateway) -> None:
    tenants = [f"q{i}-{uuid.uuid4().hex[:6]}" for i in range(3)]
    headers = {t: gateway.headers(t) for t in tenants}
    media = {}
    with httpx.Client(base_url=gateway.url, timeout=60) as client:
        for t in tenants:
            r = client.post("/v1/media", files={"file": ("a.jpg", _jpeg())}, headers=headers[t])
            assert r.status_code == 201, r.text
            media[t] = r.json()["id"]

    def submit(t: str) -> tuple[str, int, str]:
        with httpx.Client(base_url=gateway.url, timeout=60) as client:
            r = client.post(
                "/v1/jobs",
                json={"media_ids": [media[t]], "k": 1, "embedder": "pixels"},
                headers=headers[t],
            )
        return t, r.status_code, r.text

    # 10 submissions per tenant (30 in all), at once, over 15 connections.
    with ThreadPoolExecutor(15) as pool:
        results = list(pool.map(submit, [t for t in tenants for _ in range(10)]))
    for t in tenants:
        codes = sorted(code for who, code, _ in results if who == t)
        assert codes == [201] * QUOTA + [429] * (10 - QUOTA), [r for r in results if r[0] == t]
        assert gateway.records.active_jobs(t) == QUOTA

    with httpx.Client(base_url=gateway.url, timeout=60) as client:
        a, b = tenants[0], tenants[1]
        # Each tenant lists only its own jobs, paging through the records.
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = client.get("/v1/jobs", params=params, headers=headers[a]).json()
            seen += [j["id"] for j in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        mine = {j.id for j in gateway.records.list_jobs(a, limit=100)[0]}
        assert sorted(seen) == sorted(mine) and len(seen) == QUOTA
        assert client.get(f"/v1/jobs/{seen[0]}", headers=headers[b]).status_code == 404
        # Cancelling frees the slot at once.
        r = client.post(f"/v1/jobs/{seen[0]}/cancel", headers=headers[a])
        assert r.status_code == 200 and r.json()["status"] == "failed", r.text
        assert gateway.records.get_job(a, seen[0]).status == "cancelled"
        _, code, text = submit(a)
        assert code == 201, text
        assert submit(a)[1] == 429
