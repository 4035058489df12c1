"""Datasets, the content-addressed frame/vector caches, labeled sets, models by content hash and
retention, through the gateway and the stage workers in one process (LocalStore + MemoryBus,
API keys on: two tenants).

The process stack's version (timings, metrics over HTTP) is tests/e2e/test_datasets.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from farpoint.auth import KeyRegistry
from farpoint.bus.memory import MemoryBus
from farpoint.cli import main
from farpoint.jobs.artifacts import read_table, read_vectors
from farpoint.jobs.keys import JobKeys, MediaKeys, ModelKeys
from farpoint.jobs.retention import cleanup
from farpoint.pipeline import select
from farpoint.records.memory import MemoryRecords
from farpoint.settings import SecuritySettings, Settings
from farpoint.store.base import get_array
from farpoint.store.local import LocalStore
from services.common.allinone import start_workers, stop_workers
from services.common.context import ServiceContext
from services.common.metrics import FRAMES, REUSED
from services.gateway.app import create_app
from tests.data import bikes_small

SETTINGS = dict(embedder="pixels", normalize="pca", fps=10.0, width=64, seed=3)


@pytest.fixture
def ctx(tmp_path: Path, request: pytest.FixtureRequest) -> ServiceContext:
    """Without a records database (the store is the whole state) or, with ``"records"``, with
    one (media and datasets are rows; the store keeps only bytes)."""
    with_records = getattr(request, "param", "store") == "records"
    return ServiceContext(
        settings=Settings(cache_dir=tmp_path / "cache", security=SecuritySettings(key_cache_s=0)),
        store=LocalStore(tmp_path / "store"),
        bus=MemoryBus(default_partitions=4),
        max_upload_bytes=5 * 1024 * 1024,
        records=MemoryRecords() if with_records else None,
    )


@pytest.fixture
def stack(ctx: ServiceContext) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    registry = KeyRegistry(ctx.store)
    heads = {
        t: {"Authorization": f"Bearer {registry.create(t, 'writer', 'test')[0]}"}
        for t in ("acme", "other")
    }
    loops = start_workers(ctx, embedding_workers=2)
    try:
        with TestClient(create_app(ctx)) as client:
            yield client, heads
    finally:
        stop_workers(loops)


def count(metric, service: str) -> float:  # type: ignore[no-untyped-def]
    return float(metric.labels(service)._value.get())


def wait_done(client: TestClient, h: dict[str, str], job_id: str) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = client.get(f"/v1/jobs/{job_id}", headers=h).json()
        if body["status"] in ("succeeded", "failed"):
            assert body["status"] == "succeeded", body
            return body
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} not done: {body}")


def run_job(client: TestClient, h: dict[str, str], **body: object) -> tuple[str, list]:
    r = client.post("/v1/jobs", json={**SETTINGS, "shard_size": 16, **body}, headers=h)
    assert r.status_code == 201, r.text
    job_id = r.json()["id"]
    wait_done(client, h, job_id)
    items = client.get(f"/v1/jobs/{job_id}/result", headers=h).json()["items"]
    return job_id, [(i["media_id"], i["frame_index"]) for i in items]


def upload(client: TestClient, h: dict[str, str], path: Path) -> str:
    with path.open("rb") as f:
        r = client.post("/v1/media", files={"file": (path.name, f, "video/mp4")}, headers=h)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.mark.parametrize("ctx", ["store", "records"], indirect=True)
def test_dataset_jobs_reuse_frames_and_vectors_and_select_around_labeled(
    ctx: ServiceContext,
    stack: tuple[TestClient, dict[str, dict[str, str]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client, heads = stack
    h = heads["acme"]
    video = bikes_small()
    mid = upload(client, h, video)
    r = client.post("/v1/datasets", json={"name": "street", "media_ids": [mid]}, headers=h)
    assert r.status_code == 201, r.text
    ds = r.json()
    assert ds["media_ids"] == [mid] and ds["labeled"] == []
    assert client.post("/v1/datasets", json={"name": "street"}, headers=h).json()["id"] == ds["id"]
    assert [d["id"] for d in client.get("/v1/datasets", headers=h).json()["items"]] == [ds["id"]]
    # another tenant sees none of it
    assert client.get(f"/v1/datasets/{ds['id']}", headers=heads["other"]).status_code == 404
    assert client.get("/v1/datasets", headers=heads["other"]).json()["items"] == []
    r = client.post(f"/v1/datasets/{ds['id']}/media", json={"media_ids": ["nope"]}, headers=h)
    assert r.status_code == 422 and "unknown media" in r.text, r.text
    r = client.post(f"/v1/datasets/{ds['id']}/labeled", json={"job_id": "nope"}, headers=h)
    assert r.status_code == 422 and "unknown job" in r.text, r.text
    r = client.post("/v1/datasets/nope/labeled", json={"job_id": "nope"}, headers=h)
    assert r.status_code == 404 and "unknown dataset" in r.text, r.text

    decoded0, embedded0 = count(FRAMES, "ingest"), count(FRAMES, "embedding")
    reused0 = count(REUSED, "ingest"), count(REUSED, "embedding")
    job1, picks1 = run_job(client, h, media_ids=[mid], k=8, dataset_id=ds["id"])
    ref1 = select([video], 8, frames=False, report=False, **SETTINGS)
    assert [fi for _, fi in picks1] == [p.frame_index for p in ref1.picks]  # as the CLI
    n_frames = count(FRAMES, "ingest") - decoded0
    assert n_frames > 0 and count(FRAMES, "embedding") - embedded0 == n_frames
    n_shards = int(np.ceil(n_frames / 16))
    assert (count(REUSED, "ingest"), count(REUSED, "embedding")) == reused0

    # a second job, another k and method: nothing decoded or embedded, every shard reused
    job2, picks2 = run_job(client, h, media_ids=[mid], k=12, method="fps", dataset_id=ds["id"])
    assert count(FRAMES, "ingest") - decoded0 == n_frames
    assert count(FRAMES, "embedding") - embedded0 == n_frames
    assert count(REUSED, "ingest") - reused0[0] == n_shards
    assert count(REUSED, "embedding") - reused0[1] == n_shards
    k1, k2 = JobKeys("acme", job1), JobKeys("acme", job2)
    assert np.array_equal(read_vectors(ctx.store, k1), read_vectors(ctx.store, k2))
    assert read_table(ctx.store, k1) == read_table(ctx.store, k2)
    assert np.array_equal(get_array(ctx.store, k1.normalized), get_array(ctx.store, k2.normalized))
    ref = select([video], 12, frames=False, report=False, method="fps", **SETTINGS)
    assert [fi for _, fi in picks2] == [p.frame_index for p in ref.picks]  # same as the CLI

    # labeled set: job1's picks sent for labeling; the next job picks around them
    r = client.post(f"/v1/datasets/{ds['id']}/labeled", json={"job_id": job1}, headers=h)
    assert r.status_code == 200, r.text
    assert sorted((f["media_id"], f["frame_index"]) for f in r.json()["labeled"]) == sorted(picks1)
    again = client.post(f"/v1/datasets/{ds['id']}/labeled", json={"job_id": job1}, headers=h)
    assert again.json()["labeled"] == r.json()["labeled"]  # idempotent
    if ctx.records is not None:  # one home: rows, and nothing but bytes in the store
        assert ctx.records.labeled_frames("acme", ds["id"]) == [
            (f["media_id"], f["frame_index"]) for f in r.json()["labeled"]
        ]
        assert [k for k in ctx.store.list("tenants/acme/media/")] == [
            MediaKeys("acme", mid).original
        ]
        assert not list(ctx.store.list("tenants/acme/datasets/"))
    _, picks3 = run_job(client, h, media_ids=[mid], k=8, dataset_id=ds["id"])
    assert not set(picks3) & set(picks1), (picks3, picks1)
    _, picks4 = run_job(client, h, media_ids=[mid], k=8)  # without the dataset: job1's picks
    assert picks4 == picks1

    # retention: another tenant's ids are unknown; the owner's delete removes objects + record
    assert client.delete(f"/v1/jobs/{job2}", headers=heads["other"]).status_code == 404
    assert client.delete(f"/v1/media/{mid}", headers=heads["other"]).status_code == 404
    r = client.delete(f"/v1/jobs/{job2}", headers=h)
    assert r.status_code == 200 and r.json()["objects"] > 0, r.text
    assert not list(ctx.store.list(JobKeys("acme", job2).root))
    assert client.get(f"/v1/jobs/{job2}", headers=h).status_code == 404
    assert job2 not in [j["id"] for j in client.get("/v1/jobs", headers=h).json()["items"]]
    assert client.delete(f"/v1/jobs/{job2}", headers=h).status_code == 404
    r = client.delete(f"/v1/media/{mid}", headers=h)
    assert r.status_code == 200, r.text
    assert not list(ctx.store.list(MediaKeys("acme", mid).root))
    assert client.get(f"/v1/media/{mid}", headers=h).status_code == 404
    assert client.get(f"/v1/datasets/{ds['id']}", headers=h).json()["media_ids"] == []

    # TTL cleanup: nothing is young enough to keep with ttl 0; then the caches go too
    assert list(ctx.store.list("tenants/acme/cache/"))
    report = cleanup(ctx.store, ctx.records, ttl_s=3600)  # an hour: every job is younger, kept
    assert report.jobs == [] and report.cache_entries == 0
    time.sleep(0.01)  # every job is now older than a TTL of 0 days
    if ctx.records is None:  # the CLI on the store folder
        argv = ["admin", "--store-dir", str(tmp_path / "store"), "cleanup", "--ttl-days", "0"]
        assert main(argv) == 0
        out = json.loads(capsys.readouterr().out)
    else:  # the CLI would open its own database: the same sweep on these records
        swept = cleanup(ctx.store, ctx.records, ttl_s=0)
        out = {"jobs": swept.jobs, "cache_entries": swept.cache_entries}
    assert job1 in out["jobs"] and out["cache_entries"] >= 2, out
    assert not list(ctx.store.list("tenants/acme/cache/"))
    assert not list(ctx.store.list(JobKeys("acme", job1).root))


def test_a_model_replaced_under_its_name_changes_the_embeddings(
    ctx: ServiceContext, stack: tuple[TestClient, dict[str, dict[str, str]]], tmp_path: Path
) -> None:
    import torch

    from farpoint.train.checkpoint import load_checkpoint, save_checkpoint
    from farpoint.train.dataset import FrameSet
    from farpoint.train.loop import train_on_frames
    from tests.data import fashion_mnist

    images, _ = fashion_mnist(64)
    first = Path(
        train_on_frames(
            FrameSet.from_arrays(images),
            "autoencoder",
            tmp_path / "a.pt",
            max_steps=1,
            batch_size=32,
            progress=False,
        )
    )
    net, spec = load_checkpoint(first)
    with torch.no_grad():  # "retrained": other weights, same name
        for p in net.parameters():
            p.add_(0.05 * torch.randn_like(p))
    second = tmp_path / "b.pt"
    save_checkpoint(
        second,
        method=spec.method,
        arch=spec.arch,
        input_spec=spec.input,
        encoder=net,
        meta={"note": "retrained"},
    )

    client, heads = stack
    h = heads["acme"]
    mid = upload(client, h, bikes_small())
    mk = ModelKeys("acme", "mine")
    body = dict(media_ids=[mid], k=4, embedder="autoencoder", model="mine", normalize="none")

    def vectors(job_id: str) -> np.ndarray:
        return get_array(ctx.store, JobKeys("acme", job_id).vectors(0))

    ctx.store.put_file(mk.model, first)
    job_a, _ = run_job(client, h, **body)
    reused = count(REUSED, "embedding")
    job_b, _ = run_job(client, h, **body)  # same model: vectors reused, equal
    assert count(REUSED, "embedding") > reused
    assert np.array_equal(vectors(job_a), vectors(job_b))
    ctx.store.put_file(mk.model, second)  # replaced under the same name
    reused = count(REUSED, "embedding")
    job_c, _ = run_job(client, h, **body)
    assert count(REUSED, "embedding") == reused  # a new model: embedded again, not reused
    assert vectors(job_c).shape == vectors(job_a).shape
    assert not np.allclose(vectors(job_c), vectors(job_a))
