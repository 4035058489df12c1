"""Whole selection jobs through the services in one process (LocalStore + MemoryBus).

The gateway's REST API takes the upload and the job; the stage workers run on the in-process
bus; the picks must equal ``farpoint.select`` on the same file with the same settings.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from farpoint.bus.base import Message
from farpoint.bus.memory import MemoryBus
from farpoint.jobs.events import parse_event
from farpoint.jobs.keys import JobKeys
from farpoint.pipeline import select
from farpoint.records.memory import MemoryRecords
from farpoint.settings import JobSettings, SecuritySettings, Settings
from farpoint.store.local import LocalStore
from services.common.allinone import start_workers, stop_workers
from services.common.context import ServiceContext
from services.common.worker_app import WorkerLoop
from services.gateway.app import create_app
from services.normalization import handler as normalization
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


def test_normalization_batches_spread_over_two_workers_with_the_cli_picks(
    tmp_path: Path,
) -> None:
    """A job larger than ``jobs.normalize_batch_frames`` is fitted once (the reducer stored by
    its content hash), then transformed in one ``RowsToNormalize`` message per batch on
    ``shards.embedded``, keyed by batch: two normalization workers of one group both transform
    batches of the job, the records' stage progress counts batches, and the picks still equal
    ``farpoint select``'s (PCA is row by row)."""
    ctx = ServiceContext(
        settings=Settings(
            cache_dir=tmp_path / "cache",
            security=NO_AUTH,
            jobs=JobSettings(normalize_batch_frames=4),
        ),
        store=LocalStore(tmp_path / "store"),
        bus=MemoryBus(default_partitions=8),
        max_upload_bytes=5 * 1024 * 1024,
        records=MemoryRecords(),
    )
    batches: list[list[int]] = [[], []]

    def member(i: int) -> WorkerLoop:
        inner = normalization.make_handler(ctx)

        def handle(message: Message) -> None:
            ev, body = parse_event(message.value)
            if body == "rows_to_normalize":
                batches[i].append(ev.rows_to_normalize.batch)
            inner(message)

        return WorkerLoop(ctx, "normalization", normalization.topics(ctx), handle)

    video = bikes_small()
    loops = start_workers(ctx, stages=("ingest", "embedding", "selection", "export"))
    members = [member(0), member(1)]
    for m in members:
        m.start()
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
            result = client.get(f"/v1/jobs/{job_id}/result").json()
    finally:
        stop_workers([*loops, *members])
    ref = select([video], 12, frames=False, report=False, **SETTINGS)
    got = [(i["frame_index"], i["timestamp_s"], i["rank"]) for i in result["items"]]
    assert got == [(p.frame_index, p.timestamp_s, p.rank) for p in ref.picks]

    n_batches = -(-ref.n_frames // 4)
    assert n_batches > 8
    # every batch transformed (a redelivery may repeat one), by both members
    assert set(batches[0]) | set(batches[1]) == set(range(n_batches))
    assert batches[0] and batches[1], batches
    keys = JobKeys("default", job_id)
    reducer_key = json.loads(ctx.store.get_bytes(keys.normalize_fit))["reducer_key"]
    digest = hashlib.sha256(ctx.store.get_bytes(reducer_key)).hexdigest()
    assert reducer_key == keys.reducer(digest)  # keyed by content
    assert len(list(ctx.store.list(keys.root + "normalize/batches/"))) == n_batches
    assert ctx.records is not None  # the records' stage progress counts batches
    progress = ctx.records.stages("default", job_id)["normalization"]
    assert progress.total == n_batches and 1 <= progress.done <= n_batches, progress


def test_export_reads_again_only_the_media_picks_come_from(tmp_path: Path) -> None:
    """The export's second decoding pass downloads the media of the picks only: the same file
    twice, k=1 — the pick comes from one copy, so the other is fetched once (by ingest), the
    picked one twice (ingest, export); the pick and its frame are ``farpoint select``'s."""
    fetched: list[str] = []

    class CountingStore(LocalStore):
        def get_file(self, key: str, path: str | Path) -> Path:
            fetched.append(key)
            return super().get_file(key, path)

    ctx = ServiceContext(
        settings=Settings(cache_dir=tmp_path / "cache", security=NO_AUTH),
        store=CountingStore(tmp_path / "store"),
        bus=MemoryBus(default_partitions=4),
        max_upload_bytes=5 * 1024 * 1024,
    )
    video = bikes_small()
    loops = start_workers(ctx)
    try:
        with TestClient(create_app(ctx)) as client:
            a, b = upload(client, video), upload(client, video)
            r = client.post("/v1/jobs", json={"media_ids": [a, b], "k": 1, **SETTINGS})
            job_id = r.json()["id"]
            assert wait_done(client, job_id)["status"] == "succeeded"
            items = client.get(f"/v1/jobs/{job_id}/result").json()["items"]
    finally:
        stop_workers(loops)
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(video.read_bytes())
    ref = select([video, copy], 1, frames=False, report=False, **SETTINGS)
    which = {str(video): a, str(copy): b}
    assert [(i["media_id"], i["frame_index"]) for i in items] == [
        (which[p.source], p.frame_index) for p in ref.picks
    ]
    assert items[0]["url"]
    picked = items[0]["media_id"]
    other = b if picked == a else a
    originals = [k for k in fetched if k.endswith("/original")]
    assert sorted(originals) == sorted(
        [f"tenants/default/media/{picked}/original"] * 2
        + [f"tenants/default/media/{other}/original"]
    )
