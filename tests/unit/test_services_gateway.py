"""The gateway's REST contract on LocalStore + MemoryBus: validation, error envelope, listing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from farpoint.bus.memory import MemoryBus
from farpoint.events import events_pb2 as pb
from farpoint.jobs.events import parse_event
from farpoint.settings import SecuritySettings, Settings
from farpoint.store.local import LocalStore
from services.common.context import ServiceContext
from services.gateway.app import create_app
from tests.data import bikes_small

# auth and limits are tested in test_auth_* / test_security_*; these test the REST flow
NO_AUTH = SecuritySettings(auth_enabled=False)


@pytest.fixture
def ctx(tmp_path: Path) -> ServiceContext:
    return ServiceContext(
        settings=Settings(cache_dir=tmp_path / "cache", security=NO_AUTH),
        store=LocalStore(tmp_path / "store"),
        bus=MemoryBus(default_partitions=2),
        max_upload_bytes=2 * 1024 * 1024,
    )


@pytest.fixture
def client(ctx: ServiceContext) -> TestClient:
    with TestClient(create_app(ctx)) as c:
        yield c


def _upload(client: TestClient, data: bytes, name: str = "x.mp4") -> object:
    return client.post("/v1/media", files={"file": (name, io.BytesIO(data), "video/mp4")})


def _error(r: object, status: int) -> str:
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    body = r.json()["error"]  # type: ignore[attr-defined]
    assert body["status"] == status and body["message"]
    return str(body["message"])


def test_upload_then_get(client: TestClient) -> None:
    data = bikes_small().read_bytes()
    r = _upload(client, data)
    assert r.status_code == 201
    mid = r.json()["id"]
    got = client.get(f"/v1/media/{mid}").json()
    assert got["size"] == len(data) and got["kind"] == "video"


def test_bad_requests_get_4xx_with_a_reason(ctx: ServiceContext, client: TestClient) -> None:
    mid = _upload(client, bikes_small().read_bytes()).json()["id"]
    ok = client.post("/v1/jobs", json={"media_ids": [mid], "k": 3, "embedder": "pixels"})
    assert ok.status_code == 201
    job_id = ok.json()["id"]

    assert "unknown media" in _error(
        client.post("/v1/jobs", json={"media_ids": ["nope"], "k": 3}), 404
    )
    assert "k" in _error(client.post("/v1/jobs", json={"media_ids": [mid], "k": 0}), 422)
    assert "k" in _error(client.post("/v1/jobs", json={"media_ids": [mid], "k": -2}), 422)
    assert "unknown model" in _error(
        client.post(
            "/v1/jobs", json={"media_ids": [mid], "k": 3, "embedder": "swav", "model": "m1"}
        ),
        404,
    )
    assert "needs a model" in _error(
        client.post("/v1/jobs", json={"media_ids": [mid], "k": 3, "embedder": "swav"}), 422
    )
    _error(client.post("/v1/jobs", json={"media_ids": [mid], "k": 3, "embedder": "nn"}), 422)
    _error(client.post("/v1/jobs", json={"media_ids": [mid], "k": 3, "bogus": 1}), 422)
    assert "unsupported" in _error(_upload(client, b"just some text, not a video" * 10), 415)
    big = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (3 * 1024 * 1024)
    assert "limit" in _error(_upload(client, big), 413)
    assert "unknown job" in _error(client.get("/v1/jobs/doesnotexist"), 404)
    _error(client.get("/v1/jobs/bad..id"), 422)

    # nothing accepted earlier is lost: the medium and the job are still there, the job queued
    assert client.get(f"/v1/media/{mid}").status_code == 200
    assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "queued"
    # and only the one accepted job was announced
    consumer = ctx.bus.consumer([ctx.topics.job_requested], "check")
    msgs = consumer.poll(timeout_s=0.5)
    assert len(msgs) == 1
    ev, body = parse_event(msgs[0].value)
    assert body == "job_requested" and ev.job.job_id == job_id
    assert isinstance(ev.job_requested, pb.JobRequested) and ev.job_requested.spec.k == 3


def test_list_paginates_and_cancel(client: TestClient) -> None:
    mid = _upload(client, bikes_small().read_bytes()).json()["id"]
    ids = [
        client.post("/v1/jobs", json={"media_ids": [mid], "k": 1}).json()["id"] for _ in range(5)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/jobs", params=params).json()
        seen += [j["id"] for j in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    r = client.post(f"/v1/jobs/{ids[0]}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "failed"
    assert r.json()["error"] == "cancelled"
    assert _error(client.get(f"/v1/jobs/{ids[1]}/result"), 409)


def test_probes_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    assert "farpoint_http_requests_total" in client.get("/metrics").text
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/v1/media", "/v1/jobs", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/result"):
        assert p in paths
