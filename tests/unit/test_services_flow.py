"""Whole selection jobs through the services in one process (LocalStore + MemoryBus).

The gateway's REST API takes the upload and the job; the stage workers run on the in-process
bus; the picks must equal ``farpoint.select`` on the same file with the same settings.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from farpoint.bus.memory import MemoryBus
from farpoint.jobs.keys import JobKeys
from farpoint.pipeline import select
from farpoint.settings import SecuritySettings, Settings
from farpoint.store.local import LocalStore
from services.common.allinone import start_workers, stop_workers
from services.common.context import ServiceContext
from services.gateway.app import create_app
from tests.data import bikes_small

SETTINGS = dict(embedder="pixels", normalize="pca", fps=10.0, width=64, seed=3)

# auth and limits are tested in test_auth_* / test_security_*; these test the REST flow
NO_AUTH = SecuritySettings(auth_enabled=False)


@pytest.fixture
def ctx(tmp_path: Path) -> ServiceContext:
    return ServiceContext(
        settings=Settings(cache_dir=tmp_path / "cache", security=NO_AUTH),
        store=LocalStore(tmp_path / "store"),
        bus=MemoryBus(default_partitions=4),
        max_upload_bytes=5 * 1024 * 1024,
    )


def wait_done(client: TestClient, job_id: str, timeout_s: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = client.get(f"/v1/jobs/{job_id}").json()
        if body["status"] in ("succeeded", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} not done after {timeout_s}s: {body}")


def upload(client: TestClient, path: Path) -> str:
    with path.open("rb") as f:
        r = client.post("/v1/media", files={"file": (path.name, f, "video/mp4")})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_job_picks_equal_farpoint_select(ctx: ServiceContext) -> None:
    video = bikes_small()
    loops = start_workers(ctx, embedding_workers=2)
    try:
        with TestClient(create_app(ctx)) as client:
            mid = upload(client, video)
            r = client.post(
                "/v1/jobs", json={"media_ids": [mid], "k": 12, "shard_size": 16, **SETTINGS}
            )
            assert r.status_code == 201, r.text
            job_id = r.json()["id"]
            status = wait_done(client, job_id)
            assert status["status"] == "succeeded", status
            assert status["progress"] == 1.0 and status["error"] is None
            result = client.get(f"/v1/jobs/{job_id}/result").json()
    finally:
        stop_workers(loops)
    ref = select([video], 12, frames=False, report=False, **SETTINGS)
    got = [(i["frame_index"], i["timestamp_s"], i["rank"]) for i in result["items"]]
    want = [(p.frame_index, p.timestamp_s, p.rank) for p in ref.picks]
    assert got == want
    assert [i["media_id"] for i in result["items"]] == [mid] * 12
    assert result["n_frames"] == ref.n_frames
    for item, p in zip(result["items"], ref.picks, strict=True):
        if p.distance is None:
            assert item["distance"] is None
        else:
            assert item["distance"] == pytest.approx(p.distance, rel=1e-4)
    # every pick's frame was exported, one object per pick, and the shards are exactly those
    # ingest counted (no duplicates)
    keys = JobKeys("default", job_id)
    frames = [k for k in ctx.store.list(keys.result + "frames/")]
    assert len(frames) == 12
    assert all(item["url"] for item in result["items"])
    n_shards = -(-ref.n_frames // 16)
    vectors = [k for k in ctx.store.list(keys.shards) if k.endswith("vectors.npy")]
    assert len(vectors) == n_shards


def test_two_media_in_order(ctx: ServiceContext, tmp_path: Path) -> None:
    video = bikes_small()
    loops = start_workers(ctx)
    try:
        with TestClient(create_app(ctx)) as client:
            a = upload(client, video)
            b = upload(client, video)
            r = client.post("/v1/jobs", json={"media_ids": [a, b], "k": 5, **SETTINGS})
            job_id = r.json()["id"]
            assert wait_done(client, job_id)["status"] == "succeeded"
            items = client.get(f"/v1/jobs/{job_id}/result").json()["items"]
    finally:
        stop_workers(loops)
    # the same file twice: farpoint select on [video, copy] picks the same rows
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(video.read_bytes())
    ref = select([video, copy], 5, frames=False, report=False, **SETTINGS)
    which = {str(video): a, str(copy): b}
    assert [(i["media_id"], i["frame_index"]) for i in items] == [
        (which[p.source], p.frame_index) for p in ref.picks
    ]
