"""A dataset's automatic picks through the gateway in one process (LocalStore + MemoryBus; with
and without a records database): the setting, one job per new medium with its trigger, the same
clip again makes no second job, a trigger the quota refuses is a failed job with the reason.

No stage workers run here, so the first job stays queued and holds the tenant's only slot. The
jobs running to their picks on the real servers: tests/e2e/test_auto_picks_e2e.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from farpoint.auth import KeyRegistry
from farpoint.bus.memory import MemoryBus
from farpoint.jobs.datasets import auto_job_id
from farpoint.jobs.keys import JobKeys
from farpoint.jobs.spec import SelectionSpec
from farpoint.jobs.state import get_json
from farpoint.records.memory import MemoryRecords
from farpoint.selection.registry import DEFAULT_METHOD
from farpoint.settings import SecuritySettings, Settings
from farpoint.store.local import LocalStore
from services.common.context import ServiceContext
from services.gateway.app import create_app
from tests.data import bikes_small, fixture_images

AUTO = {"per_media": 3, "spec": {"embedder": "pixels", "normalize": "pca", "fps": 5.0}}


@pytest.fixture(params=["store", "records"])
def ctx(tmp_path: Path, request: pytest.FixtureRequest) -> ServiceContext:
    return ServiceContext(
        settings=Settings(
            cache_dir=tmp_path / "cache",
            security=SecuritySettings(key_cache_s=0, max_concurrent_jobs=1),
        ),
        store=LocalStore(tmp_path / "store"),
        bus=MemoryBus(default_partitions=1),
        max_upload_bytes=5 * 1024 * 1024,
        records=MemoryRecords() if request.param == "records" else None,
    )


@pytest.fixture
def api(ctx: ServiceContext) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    registry = KeyRegistry(ctx.store)
    heads = {
        t: {"Authorization": f"Bearer {registry.create(t, 'writer', 'test')[0]}"}
        for t in ("acme", "other")
    }
    with TestClient(create_app(ctx)) as client:
        yield client, heads


def upload(client: TestClient, h: dict[str, str], path: Path, dataset: str | None) -> str:
    params = {"dataset_id": dataset} if dataset else {}
    with path.open("rb") as f:
        r = client.post("/v1/media", files={"file": (path.name, f)}, params=params, headers=h)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def jobs(client: TestClient, h: dict[str, str]) -> list[dict]:
    r = client.get("/v1/jobs", headers=h)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_one_job_per_new_medium_idempotent_and_refusals_recorded(
    ctx: ServiceContext, api: tuple[TestClient, dict[str, dict[str, str]]]
) -> None:
    client, heads = api
    h = heads["acme"]
    r = client.post("/v1/datasets", json={"name": "drives", "auto": AUTO}, headers=h)
    assert r.status_code == 201, r.text
    ds = r.json()
    assert ds["auto"] == AUTO and ds["media_ids"] == []
    assert client.get(f"/v1/datasets/{ds['id']}", headers=h).json()["auto"] == AUTO

    # bad settings are 422 with the reason; another tenant's dataset is unknown
    for bad, why in (
        ({"per_media": 3, "spec": {"k": 4}}, "the trigger decides k"),
        ({"per_media": 3, "spec": {"method": "nope"}}, "unknown method"),
        ({"per_media": 0}, "per_media"),
    ):
        r = client.patch(f"/v1/datasets/{ds['id']}", json={"auto": bad}, headers=h)
        assert r.status_code == 422 and why in r.text, r.text
    r = client.patch(f"/v1/datasets/{ds['id']}", json={"auto": AUTO}, headers=heads["other"])
    assert r.status_code == 404, r.text
    before = client.get("/v1/media", headers=h).json()["items"]
    with bikes_small().open("rb") as f:
        r = client.post(
            "/v1/media", files={"file": ("x.mp4", f)}, params={"dataset_id": "nope"}, headers=h
        )
    assert r.status_code == 404 and "unknown dataset" in r.text, r.text
    assert client.get("/v1/media", headers=h).json()["items"] == before  # nothing stored

    # a clip uploaded into the dataset: one job, listed with its trigger
    video = bikes_small()
    m1 = upload(client, h, video, ds["id"])
    (job,) = jobs(client, h)
    assert job["trigger"] == {"kind": "dataset-media", "dataset_id": ds["id"], "media_id": m1}
    assert job["status"] == "queued"
    spec = get_json(ctx.store, JobKeys("acme", job["id"]).job)["spec"]
    assert (spec["media_ids"], spec["candidate_media_ids"], spec["k"]) == ([m1], [m1], 3)
    # unset settings take the selection job's defaults (one home: SelectionSpec)
    assert (spec["embedder"], spec["dataset_id"]) == ("pixels", ds["id"])
    assert (spec["method"], spec["dims"]) == (
        DEFAULT_METHOD,
        SelectionSpec.model_fields["dims"].default,
    )

    # the same clip again: a new medium in the dataset, the same (content's) job, no second
    m2 = upload(client, h, video, ds["id"])
    assert m2 != m1
    assert client.get(f"/v1/datasets/{ds['id']}", headers=h).json()["media_ids"] == [m1, m2]
    assert [j["id"] for j in jobs(client, h)] == [job["id"]]
    # adding a medium that is in the dataset already starts nothing either
    r = client.post(f"/v1/datasets/{ds['id']}/media", json={"media_ids": [m1]}, headers=h)
    assert r.status_code == 200 and len(jobs(client, h)) == 1, r.text

    # another medium while the first job holds the only slot: a failed job with the reason
    image = fixture_images()[0]
    m3 = upload(client, h, image, None)
    r = client.post(f"/v1/datasets/{ds['id']}/media", json={"media_ids": [m3]}, headers=h)
    assert r.status_code == 200, r.text
    first, refused = jobs(client, h)
    assert first["id"] == job["id"]
    assert refused["trigger"]["media_id"] == m3 and refused["status"] == "failed"
    assert refused["error"].startswith("gateway: automatic picks not started: tenant")
    assert "wait for one to finish" in refused["error"]  # the quota's own reason
    assert refused["id"] == auto_job_id(ds["id"], f"sha256:{_sha256(image)}")
    if ctx.records is not None:  # it claims no slot: the first job still holds the only one
        assert ctx.records.active_jobs("acme") == 1

    # turned off: a new medium starts nothing
    r = client.patch(f"/v1/datasets/{ds['id']}", json={"auto": None}, headers=h)
    assert r.status_code == 200 and r.json()["auto"] is None, r.text
    upload(client, h, fixture_images()[1], ds["id"])
    assert len(jobs(client, h)) == 2
    assert jobs(client, heads["other"]) == []


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
