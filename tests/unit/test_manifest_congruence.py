"""One manifest builder: a job's manifest.json (export service) and `farpoint select`'s hold the
same fields with the same settings, quality counts and normalization for the same input."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from farpoint.bus.memory import MemoryBus
from farpoint.jobs.keys import JobKeys
from farpoint.pipeline import select
from farpoint.settings import Settings
from farpoint.store.local import LocalStore
from services.common.allinone import start_workers, stop_workers
from services.common.context import ServiceContext
from services.gateway.app import create_app
from tests.data import bikes_small
from tests.unit.test_services_flow import NO_AUTH, SETTINGS, upload, wait_done


def test_job_manifest_matches_the_cli_manifest(tmp_path: Path) -> None:
    ctx = ServiceContext(
        settings=Settings(cache_dir=tmp_path / "cache", security=NO_AUTH),
        store=LocalStore(tmp_path / "store"),
        bus=MemoryBus(default_partitions=2),
        max_upload_bytes=5 * 1024 * 1024,
    )
    spec = {"k": 6, "group_quota": 6, **SETTINGS}
    loops = start_workers(ctx, embedding_workers=1)
    try:
        with TestClient(create_app(ctx)) as client:
            mid = upload(client, bikes_small())
            r = client.post("/v1/jobs", json={"media_ids": [mid], "shard_size": 64, **spec})
            assert r.status_code == 201, r.text
            job_id = r.json()["id"]
            assert wait_done(client, job_id)["status"] == "succeeded"
    finally:
        stop_workers(loops)
    job = json.loads(ctx.store.get_bytes(JobKeys("default", job_id).manifest))
    cli_out = tmp_path / "cli"
    select(
        [bikes_small()],
        6,
        cli_out,
        frames=False,
        report=False,
        select_options={"group_quota": 6},
        **SETTINGS,
    )
    cli = json.loads((cli_out / "manifest.json").read_text())

    assert job.pop("job_id") == job_id
    assert set(job) == set(cli)
    assert job["settings"] == cli["settings"]
    assert job["settings"]["group_quota"] == 6 and job["settings"]["labeled"] == []
    assert job["quality"] == cli["quality"] and job["n_frames"] == cli["n_frames"]
    assert job["normalize"]["method"] == cli["normalize"]["method"] == "pca"
    assert job["embedder"]["name"] == cli["embedder"]["name"] == "pixels"
    assert job["version"] == cli["version"]
    # what the selection actually ran (auto's choice, stop reason, ...) travels both ways
    assert job["selection"] == cli["selection"] and cli["selection"]["method"]
    assert (
        job["timings"]["export_s"] > 0 and job["timings"]["total_s"] >= job["timings"]["export_s"]
    )
    assert cli["timings"]["total_s"] > 0
    assert [(p["frame_index"], p["rank"]) for p in job["picks"]] == [
        (p["frame_index"], p["rank"]) for p in cli["picks"]
    ]


def test_selection_details_keep_the_scalars_of_the_info() -> None:
    import numpy as np

    from farpoint.export.manifest import selection_details
    from farpoint.export.picks import method_label

    info = {
        "method": "auto",
        "auto": "typiclust-fps",
        "typical": np.int64(28),
        "stop_reason": "no eligible point left",
        "dedup_rep": np.arange(5),
        "nested": {"a": 1},
    }
    got = selection_details(info)
    assert got == {
        "method": "auto",
        "auto": "typiclust-fps",
        "typical": 28,
        "stop_reason": "no eligible point left",
    }
    assert type(got["typical"]) is int
    label = method_label({"settings": {"method": "auto"}, "selection": got})
    assert label == "auto (typiclust-fps)"
    assert method_label({"settings": {"method": "fps"}, "selection": {"method": "fps"}}) == "fps"


def test_near_copy_label_reads_the_selection() -> None:
    from farpoint.export.picks import near_copy_label

    many = {"selection": {"near_copy_share": 0.3753, "distinct_rows": 1360}}
    assert near_copy_label(many) == "38 % of the rows; 1,360 rows counted as distinct"
    few = {"selection": {"near_copy_share": 0.043, "distinct_rows": 2000}}
    assert near_copy_label(few) == "4 % of the rows"  # below the floor: every row counted
    assert near_copy_label({"selection": {"method": "fps"}}) is None
