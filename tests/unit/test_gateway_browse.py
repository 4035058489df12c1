"""The console's read-only routes (:mod:`services.gateway.routes.browse`) against a whole job run
in one process (gateway + stage workers on LocalStore + MemoryBus, as in test_services_flow.py).

Each answer is checked against an independent source: the options against the registries, the
media list against the uploads, the map's picks against ``/result``, its coverage curve against
:func:`covering_radius_curve` on the job's own normalized vectors, its frames against the
decoded shard pixels; the console page and its static files are served with a CSP and nothing
outside ``console/static`` is.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from farpoint.bus.memory import MemoryBus
from farpoint.embed.base import REGISTRY
from farpoint.export.formats import FORMATS
from farpoint.ingest import DEFAULT_FPS, DEFAULT_WIDTH
from farpoint.jobs.artifacts import read_table
from farpoint.jobs.keys import JobKeys
from farpoint.normalize import METHODS as NORMALIZERS
from farpoint.selection.budget import covering_radius_curve
from farpoint.selection.registry import METHODS
from farpoint.settings import SecuritySettings, Settings
from farpoint.store.base import get_array
from farpoint.store.local import LocalStore
from services.common.allinone import start_workers, stop_workers
from services.common.context import ServiceContext
from services.gateway.app import create_app
from tests.data import bikes_small, fixture_images
from tests.unit.test_services_flow import upload, wait_done

SETTINGS = dict(embedder="pixels", normalize="pca", fps=5.0, width=64, seed=3)
K = 6


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """(client, ctx, job id, [media ids], result body) of a succeeded two-media job."""
    tmp = tmp_path_factory.mktemp("browse")
    ctx = ServiceContext(
        settings=Settings(cache_dir=tmp / "cache", security=SecuritySettings(auth_enabled=False)),
        store=LocalStore(tmp / "store"),
        bus=MemoryBus(default_partitions=2),
        max_upload_bytes=5 * 1024 * 1024,
    )
    loops = start_workers(ctx)
    try:
        with TestClient(create_app(ctx)) as client:
            mids = [upload(client, bikes_small()), upload(client, fixture_images()[0])]
            body = {"media_ids": mids, "k": K, "shard_size": 16, **SETTINGS}
            r = client.post("/v1/jobs", json=body)
            assert r.status_code == 201, r.text
            job = r.json()["id"]
            assert wait_done(client, job)["status"] == "succeeded"
            result = client.get(f"/v1/jobs/{job}/result").json()
            yield client, ctx, job, mids, result
    finally:
        stop_workers(loops)


def test_options_are_the_registries(finished) -> None:  # type: ignore[no-untyped-def]
    client, ctx, *_ = finished
    opts = client.get("/v1/options").json()
    assert [m["name"] for m in opts["methods"]] == list(METHODS)
    assert [e["name"] for e in opts["embedders"]] == list(REGISTRY)
    assert opts["normalizations"] == list(NORMALIZERS)
    assert [f["name"] for f in opts["formats"]] == list(FORMATS)
    assert opts["limits"]["max_k"] == ctx.settings.security.max_k
    assert opts["defaults"]["width"] == DEFAULT_WIDTH and opts["defaults"]["fps"] == DEFAULT_FPS


def test_media_list_newest_first(finished) -> None:  # type: ignore[no-untyped-def]
    client, _, _, mids, _ = finished
    items = client.get("/v1/media").json()["items"]
    assert {m["id"] for m in items} == set(mids)
    assert [m["created_ms"] for m in items] == sorted(
        (m["created_ms"] for m in items), reverse=True
    )
    assert len(client.get("/v1/media?limit=1").json()["items"]) == 1
    assert client.get("/v1/media?limit=0").status_code == 422


def test_map_matches_the_result_and_the_vectors(finished) -> None:  # type: ignore[no-untyped-def]
    client, ctx, job, mids, result = finished
    m = client.get(f"/v1/jobs/{job}/map").json()
    keys = JobKeys("default", job)
    x = get_array(ctx.store, keys.normalized)
    table = read_table(ctx.store, keys)
    assert m["n_frames"] == len(x) == len(table)
    assert [p["rank"] for p in m["picks"]] == [i["rank"] for i in result["items"]]
    for p, item in zip(m["picks"], result["items"], strict=True):
        assert (p["media_id"], p["frame_index"]) == (item["media_id"], item["frame_index"])
        assert table.sources[p["row"]] == p["media_id"]
        assert table.indices[p["row"]] == p["frame_index"]
    assert [mm["id"] for mm in m["media"]] == mids
    assert sum(mm["frames"] for mm in m["media"]) == len(x)
    # every frame is on the map (small job), each at its row, picks at their rows' coordinates
    pts = m["points"]
    assert pts["row"] == list(range(len(x)))
    for p in m["picks"]:
        assert (pts["x"][p["row"]], pts["y"][p["row"]]) == (p["x"], p["y"])
    assert len(set(zip(pts["x"], pts["y"], strict=True))) > len(x) // 2  # a spread, not a dot
    # the coverage curve is the covering radius of the job's picks on its own vectors
    rows = np.array([p["row"] for p in m["picks"]])
    want = covering_radius_curve(x, rows)
    assert np.allclose(m["coverage"]["selection"], want, atol=1e-3)
    assert m["coverage"]["k"] == list(range(1, K + 1))
    assert len(m["coverage"]["random"]) == K
    assert m["coverage"]["selection"][-1] <= m["coverage"]["selection"][0]
    # computed once, then served from result/map.json
    assert ctx.store.exists(keys.result + "map.json")
    assert client.get(f"/v1/jobs/{job}/map").json() == m


def test_frames_are_the_decoded_pixels(finished) -> None:  # type: ignore[no-untyped-def]
    client, ctx, job, *_ = finished
    keys = JobKeys("default", job)
    m = client.get(f"/v1/jobs/{job}/map").json()
    starts = m_starts(ctx, keys)
    assert len(starts) > 2  # several shards
    # shards hold 16 frames of one medium each: rows across a shard boundary and the last row
    for row in (0, 17, m["n_frames"] - 1):
        r = client.get(f"/v1/jobs/{job}/frames/{row}")
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        got = np.asarray(Image.open(io.BytesIO(r.content)).convert("RGB"), np.float32)
        n = next(i for i, s in enumerate(starts) if s > row) - 1
        want = get_array(ctx.store, keys.frames(n))[row - starts[n]].astype(np.float32)
        assert got.shape == want.shape
        assert np.abs(got - want).mean() < 6  # JPEG of the same frame
    assert client.get(f"/v1/jobs/{job}/frames/{m['n_frames']}").status_code == 404
    assert client.get(f"/v1/jobs/{job}/frames/-1").status_code == 422


def m_starts(ctx: ServiceContext, keys: JobKeys) -> list[int]:
    """First row of each shard, and the end: from the shards' own frame arrays."""
    starts: list[int] = []
    total = n = 0
    while ctx.store.exists(keys.frames(n)):
        starts.append(total)
        total += len(get_array(ctx.store, keys.frames(n)))
        n += 1
    return [*starts, total]


def test_map_before_success_is_409_and_unknown_is_404(finished) -> None:  # type: ignore[no-untyped-def]
    client, _, _, mids, _ = finished
    assert client.get("/v1/jobs/nosuchjob/map").status_code == 404
    assert client.get("/v1/jobs/nosuchjob/frames/0").status_code == 404
    r = client.post("/v1/jobs", json={"media_ids": mids[:1], "k": 2, "embedder": "nope"})
    assert r.status_code == 422


def test_console_is_served_with_a_csp(finished) -> None:  # type: ignore[no-untyped-def]
    client, *_ = finished
    r = client.get("/console", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/console/"
    page = client.get("/console/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<script type="module" src="/console/static/app.js">' in page.text
    js = client.get("/console/static/app.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert client.get("/console/static/style.css").headers["content-type"].startswith("text/css")
    for bad in ("../routes/console.py", "..%2F..%2Fapp.py", "nope.js"):
        assert client.get(f"/console/static/{bad}").status_code == 404
    # nothing the console loads comes from another origin
    for name in ("app.js", "api.js", "charts.js", "upload.js", "style.css"):
        text = client.get(f"/console/static/{name}").text
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text
    assert "/console" not in str(client.get("/openapi.json").json()["paths"])
