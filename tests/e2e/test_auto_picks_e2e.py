"""A dataset's automatic picks on the whole system: the gateway and every stage as processes on
the real Kafka, S3 and PostgreSQL servers (:class:`tests.e2e.system.System`).

A clip uploaded into a dataset with ``auto.per_media = 3`` starts one selection job (listed with
its trigger) that succeeds with 3 picks of that clip, equal to ``farpoint select``'s; the same
clip again starts no second job; another clip's job picks only from it, around the first job's
picks (the first clip comes along as context).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from farpoint.client import Client
from farpoint.jobs.keys import JobKeys
from farpoint.jobs.state import get_json
from farpoint.pipeline import select
from farpoint.store import S3Store
from tests.data import bikes_small, opencv_gz_video
from tests.e2e.system import System, system_on_infra

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PIXELS = dict(embedder="pixels", normalize="pca", fps=5.0, width=64, seed=2, method="fps")


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[System]:
    # the records on the real PostgreSQL: a database of the stack's own
    with system_on_infra(request, "auto-picks", database=True) as s:
        assert s.database is not None
        yield s


def _auto_jobs(http: httpx.Client) -> list[dict]:
    items = http.get("/v1/jobs").json()["items"]
    return [j for j in items if j["trigger"] is not None]


def _wait(http: httpx.Client, job_id: str, timeout_s: float = 300) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = http.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed"):
            assert job["status"] == "succeeded", job
            return dict(job)
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not end in {timeout_s} s: {job}")


def test_n_new_picks_per_new_clip(system: System) -> None:
    auto = {"per_media": 3, "spec": PIXELS}
    with (
        httpx.Client(base_url=system.gateway_url, timeout=60) as http,
        Client(system.gateway_url) as client,
    ):
        created = client.create_dataset("street", auto=auto)
        assert created.auto == auto
        ds = created.id

        video = bikes_small()
        m1 = client.upload(video, dataset_id=ds).id
        (job,) = _auto_jobs(http)
        assert job["trigger"] == {"kind": "dataset-media", "dataset_id": ds, "media_id": m1}
        _wait(http, job["id"])
        items = http.get(f"/v1/jobs/{job['id']}/result").json()["items"]
        assert len(items) == 3 and {i["media_id"] for i in items} == {m1}
        ref = select([video], 3, frames=False, report=False, **PIXELS)  # as the CLI picks
        assert [i["frame_index"] for i in items] == [p.frame_index for p in ref.picks]

        # the same clip again: it joins the dataset, no second job
        m2 = client.upload(video, dataset_id=ds).id
        assert http.get(f"/v1/datasets/{ds}").json()["media_ids"] == [m1, m2]
        assert [j["id"] for j in _auto_jobs(http)] == [job["id"]]

        # another clip: picks of it only, around the first job's (its clip is context)
        other = opencv_gz_video("box.mp4")
        m3 = client.upload(other, dataset_id=ds).id
        jobs = _auto_jobs(http)
        assert [j["id"] for j in jobs][0] == job["id"] and len(jobs) == 2
        second = jobs[1]
        assert second["trigger"]["media_id"] == m3
        _wait(http, second["id"])
        picks = http.get(f"/v1/jobs/{second['id']}/result").json()["items"]
        assert len(picks) == 3 and {i["media_id"] for i in picks} == {m3}

        # turned off: another clip joins the dataset and starts nothing
        assert client.set_auto_picks(ds, None).auto is None
        client.upload(opencv_gz_video("cup.mp4"), dataset_id=ds)
        assert len(_auto_jobs(http)) == 2

    store = S3Store.from_settings(system.settings().s3)
    spec = get_json(store, JobKeys("default", second["id"]).job)["spec"]
    assert spec["media_ids"] == [m1, m3] and spec["candidate_media_ids"] == [m3]
    assert sorted((a["media_id"], a["frame_index"]) for a in spec["around"]) == sorted(
        (m1, i["frame_index"]) for i in items
    )
