"""``GET /v1/jobs/{id}/exports/{format}``: a finished job's picks for a labeling tool, over REST.

A whole job runs in one process (gateway + stage workers on LocalStore + MemoryBus, as in
test_services_flow.py); each registered format is fetched, COCO and Label Studio are loaded with
their tools' libraries, and for every pick the video context (media id, frame index, timestamp)
must match the job's result and the image URL must open to the very frame the job exported.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from farpoint.bus.memory import MemoryBus
from farpoint.export.formats import FORMATS
from farpoint.export.formats.label_studio import LABEL_CONFIG
from farpoint.settings import SecuritySettings, Settings
from farpoint.store.local import LocalStore
from services.common.allinone import start_workers, stop_workers
from services.common.context import ServiceContext
from services.gateway.app import create_app
from tests.data import bikes_small
from tests.unit.test_services_flow import upload, wait_done

SETTINGS = dict(embedder="pixels", normalize="pca", fps=5.0, width=64, seed=1)


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A gateway client and a succeeded job: (client, job id, media id, result body)."""
    tmp = tmp_path_factory.mktemp("rest-exports")
    ctx = ServiceContext(
        settings=Settings(cache_dir=tmp / "cache", security=SecuritySettings(auth_enabled=False)),
        store=LocalStore(tmp / "store"),
        bus=MemoryBus(default_partitions=2),
        max_upload_bytes=5 * 1024 * 1024,
    )
    loops = start_workers(ctx)
    try:
        with TestClient(create_app(ctx)) as client:
            mid = upload(client, bikes_small())
            r = client.post("/v1/jobs", json={"media_ids": [mid], "k": 5, **SETTINGS})
            assert r.status_code == 201, r.text
            job = r.json()["id"]
            assert wait_done(client, job)["status"] == "succeeded"
            result = client.get(f"/v1/jobs/{job}/result").json()
            yield client, job, mid, result
    finally:
        stop_workers(loops)


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 - file:// of the LocalStore
        return bytes(r.read())


def test_every_format_is_served(finished, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, job, _, _ = finished
    for name, fmt in FORMATS.items():
        r = client.get(f"/v1/jobs/{job}/exports/{name}")
        assert r.status_code == 200, (name, r.text)
        assert r.headers["content-type"].startswith(fmt.media_type)
        assert f'filename="{job}-' in r.headers["content-disposition"]
        assert len(r.content) > 100


def test_coco_over_rest_loads_in_pycocotools(finished, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from pycocotools.coco import COCO

    client, job, mid, result = finished
    path = tmp_path / "coco.json"
    path.write_bytes(client.get(f"/v1/jobs/{job}/exports/coco").content)
    coco = COCO(str(path))
    images = coco.loadImgs(coco.getImgIds())
    by_rank = {i["rank"]: i for i in result["items"]}
    assert sorted(img["rank"] for img in images) == sorted(by_rank)
    for img in images:
        item = by_rank[img["rank"]]
        assert img["source"] == mid
        assert (img["frame_index"], img["timestamp_s"]) == (
            item["frame_index"],
            item["timestamp_s"],
        )
        assert _fetch(img["coco_url"]) == _fetch(item["url"])  # the job's own frame


def test_label_studio_over_rest_validates(finished) -> None:  # type: ignore[no-untyped-def]
    from label_studio_sdk.label_interface import LabelInterface

    client, job, mid, result = finished
    tasks = json.loads(client.get(f"/v1/jobs/{job}/exports/label-studio").content)
    interface = LabelInterface(LABEL_CONFIG)
    assert len(tasks) == len(result["items"])
    for task, item in zip(tasks, result["items"], strict=True):
        assert interface.validate_task(task)
        assert task["data"]["source"] == mid and task["data"]["frame_index"] == item["frame_index"]
        assert _fetch(task["data"]["image"])[:2] == b"\xff\xd8"  # a JPEG


def test_refusals_are_documented(finished) -> None:  # type: ignore[no-untyped-def]
    client, job, _, _ = finished
    r = client.get(f"/v1/jobs/{job}/exports/pdf")
    assert r.status_code == 422 and "unknown export format" in r.json()["error"]["message"]
    r = client.get("/v1/jobs/nosuchjob/exports/coco")
    assert r.status_code == 404 and r.json()["error"]["code"] == "notfound"
    r = client.get(f"/v1/jobs/{job}/exports/coco", params={"urls": "ftp"})
    assert r.status_code == 422
    op = client.get("/openapi.json").json()["paths"]["/v1/jobs/{job_id}/exports/{fmt}"]["get"]
    fmt = next(p for p in op["parameters"] if p["name"] == "fmt")
    assert fmt["schema"]["enum"] == list(FORMATS)
    assert {"404", "409", "422"} <= set(op["responses"])
