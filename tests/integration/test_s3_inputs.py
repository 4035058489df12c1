"""``farpoint select s3://bucket/prefix/``: the same picks as on a local copy, without one.

Runs against the real S3 server (``make test`` / ``infra/up.sh`` start SeaweedFS): a video, two
images and a zip of images go to a unique prefix of a bucket and to a local folder under the same
names; ``farpoint select`` runs on both. Picks, distances, the full-size frames of the second
decoding pass (read from the bucket too) and the exports' video context must agree, and nothing
may land in farpoint's cache folder (objects are streamed, not downloaded).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from farpoint.cli import main
from farpoint.ingest import expand_inputs, is_media
from farpoint.ingest import remote as remote_mod
from farpoint.ingest.remote import S3ObjectReader, open_remote
from farpoint.settings import S3Settings, get_settings
from farpoint.store.s3 import S3Store
from tests.data import bikes_small, fixture_images

pytestmark = pytest.mark.integration

BUCKET = "farpoint-test-inputs"


@pytest.fixture
def s3_env(
    s3_settings: S3Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Path]:
    """Point the process's settings at the test server; farpoint's cache at an empty folder
    (returned), so a test can check that nothing was copied there."""
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("FARPOINT_S3__ENDPOINT", s3_settings.endpoint)
    monkeypatch.setenv("FARPOINT_S3__ACCESS_KEY", s3_settings.access_key)
    monkeypatch.setenv("FARPOINT_S3__SECRET_KEY", s3_settings.secret_key)
    monkeypatch.setenv("FARPOINT_S3__SECURE", str(s3_settings.secure).lower())
    monkeypatch.delenv("FARPOINT_S3__SECRET_KEY_FILE", raising=False)
    get_settings.cache_clear()
    remote_mod._store.cache_clear()
    yield cache
    get_settings.cache_clear()
    remote_mod._store.cache_clear()


def _zip_of(images: list[Path]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in images:
            zf.write(p, f"inner/{p.name}")
    return buf.getvalue()


@pytest.fixture
def dataset(
    s3_env: Path, s3_settings: S3Settings, unique_name: str, tmp_path: Path
) -> tuple[str, Path, S3Store]:
    """The same files under ``s3://BUCKET/<unique>/`` and in a local folder."""
    store = S3Store(s3_settings, bucket=BUCKET)
    local = tmp_path / "local"
    local.mkdir()
    images = fixture_images()
    files = {
        "a_bikes.mp4": bikes_small().read_bytes(),
        "b_street.jpg": images[0].read_bytes(),
        "c_street.png": next(p for p in images if p.suffix == ".png").read_bytes(),
        "d_more.zip": _zip_of([images[1], images[3]]),
        "e_notes.txt": b"not media: listed, then left out like in a local folder",
    }
    for name, data in files.items():
        store.put_bytes(f"{unique_name}/{name}", data)
        (local / name).write_bytes(data)
    return f"s3://{BUCKET}/{unique_name}/", local, store


def _select(inputs: str, out: Path) -> dict[str, Any]:
    argv = [
        "select", inputs, "-k", "7", "-o", str(out), "--embedder", "pixels", "--normalize",
        "pca", "--dims", "8", "--fps", "2", "-q", "--no-report", "--export", "coco,csv",
    ]  # fmt: skip
    assert main(argv) == 0
    return dict(json.loads((out / "manifest.json").read_text()))


def _name(source: str) -> str:
    """A source without its location: ``a_bikes.mp4``, ``d_more.zip!inner/x.jpg``."""
    archive, sep, member = source.partition("!")
    return archive.rsplit("/", 1)[-1] + sep + member


def test_select_on_a_prefix_equals_select_on_a_local_copy(
    dataset: tuple[str, Path, S3Store], s3_env: Path, tmp_path: Path
) -> None:
    uri, local, _ = dataset
    on_disk = _select(str(local), tmp_path / "out-local")
    in_bucket = _select(uri, tmp_path / "out-s3")

    def key(p: dict[str, Any]) -> tuple[Any, ...]:
        return (p["rank"], _name(p["source"]), p["frame_index"], p["timestamp_s"], p["distance"])

    assert [key(p) for p in in_bucket["picks"]] == [key(p) for p in on_disk["picks"]]
    assert in_bucket["n_frames"] == on_disk["n_frames"] > 7
    kinds = {_name(p["source"]).split("_")[0] for p in in_bucket["picks"]}
    assert len(kinds) >= 2, f"the picks should span several inputs, got {kinds}"
    # Sources are the objects' URIs (the video context the exports carry).
    for p in in_bucket["picks"]:
        assert p["source"].startswith(uri)
    # The second decoding pass read the bucket: the same full-size frames, byte for byte.
    for a, b in zip(on_disk["picks"], in_bucket["picks"], strict=True):
        assert a["file"] and b["file"]
        frame_a = (tmp_path / "out-local" / a["file"]).read_bytes()
        frame_b = (tmp_path / "out-s3" / b["file"]).read_bytes()
        assert frame_a == frame_b
    coco = json.loads((tmp_path / "out-s3" / "exports" / "coco.json").read_text())
    assert [img["source"] for img in coco["images"]] == [p["source"] for p in in_bucket["picks"]]
    # Every input report names its object; the .txt object was left out like locally.
    assert sorted(_name(r["source"]) for r in in_bucket["inputs"]) == sorted(
        _name(r["source"]) for r in on_disk["inputs"]
    )
    # Streamed, not downloaded: farpoint's cache folder stayed empty.
    assert [p for p in (s3_env / "farpoint").rglob("*") if p.is_file()] == []


def test_expand_lists_media_sorted_and_a_single_object(
    dataset: tuple[str, Path, S3Store],
) -> None:
    uri, local, _ = dataset
    listed = expand_inputs([uri])
    assert listed == [uri + n for n in sorted(p.name for p in local.iterdir() if is_media(p))]
    assert expand_inputs([uri + "a_bikes.mp4"]) == [uri + "a_bikes.mp4"]
    assert expand_inputs([uri.rstrip("/")]) == listed  # a prefix without its slash


def test_ranged_reader_seeks_like_a_file(dataset: tuple[str, Path, S3Store]) -> None:
    uri, local, store = dataset
    data = (local / "a_bikes.mp4").read_bytes()
    with open_remote(uri + "a_bikes.mp4") as f:
        assert f.read(100) == data[:100]
        f.seek(-50, io.SEEK_END)
        assert f.read() == data[-50:]
        f.seek(1234)
        assert f.read(10) == data[1234:1244]
    bucket_key = uri[len(f"s3://{BUCKET}/") :] + "a_bikes.mp4"
    raw = S3ObjectReader(remote_mod.store_for(BUCKET), bucket_key)
    assert raw.size == len(data) and raw.readall() == data and raw.requests >= 1


@pytest.mark.parametrize(
    ("suffix", "code", "message"),
    [
        ("missing/", 3, "no object at or under"),
        ("e_notes.txt", 2, "not a readable video"),
    ],
)
def test_bad_remote_inputs_exit_with_one_line(
    dataset: tuple[str, Path, S3Store],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    suffix: str,
    code: int,
    message: str,
) -> None:
    uri, _, _ = dataset
    argv = ["select", uri + suffix, "-k", "2", "-o", str(tmp_path / "o"), "--embedder", "pixels"]
    assert main([*argv, "-q"]) == code
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_a_missing_bucket_is_not_created(
    s3_env: Path, s3_settings: S3Settings, unique_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = unique_name[:60].rstrip("-")
    assert main(["select", f"s3://{bucket}/x/", "-k", "2", "--embedder", "pixels", "-q"]) == 3
    assert "farpoint: error:" in capsys.readouterr().err
    probe = S3Store(s3_settings, bucket=BUCKET)
    assert not probe._client.bucket_exists(bucket)
    assert main(["select", "s3://", "-k", "2", "--embedder", "pixels", "-q"]) == 2


def test_rest_jobs_reference_a_bucket_prefix(
    s3_env: Path, s3_settings: S3Settings, unique_name: str, tmp_path: Path
) -> None:
    """POST /v1/media/imports references the objects under a prefix (only under the tenant's
    allowed prefixes); a job on them streams from the bucket and picks what ``farpoint select``
    picks on a local copy."""
    from fastapi.testclient import TestClient

    from farpoint.bus.memory import MemoryBus
    from farpoint.pipeline import select
    from farpoint.settings import SecuritySettings, Settings
    from farpoint.store.local import LocalStore
    from services.common.allinone import start_workers, stop_workers
    from services.common.context import ServiceContext
    from services.gateway.app import create_app
    from tests.unit.test_services_flow import wait_done

    store = S3Store(s3_settings, bucket=BUCKET)
    local = tmp_path / "local"
    local.mkdir()
    files = {"a_bikes.mp4": bikes_small(), "b_street.jpg": fixture_images()[0]}
    for name, src in files.items():
        store.put_file(f"default/{unique_name}/{name}", src)
        (local / name).write_bytes(src.read_bytes())
    security = SecuritySettings(auth_enabled=False, input_prefixes=[f"s3://{BUCKET}/{{tenant}}/"])
    ctx = ServiceContext(
        settings=Settings(cache_dir=tmp_path / "cache", security=security, s3=s3_settings),
        store=LocalStore(tmp_path / "jobs"),
        bus=MemoryBus(default_partitions=2),
        max_upload_bytes=5 * 1024 * 1024,
    )
    settings = dict(embedder="pixels", normalize="pca", fps=5.0, width=64, seed=4)
    loops = start_workers(ctx)
    try:
        with TestClient(create_app(ctx)) as client:
            uri = f"s3://{BUCKET}/default/{unique_name}/"
            r = client.post("/v1/media/imports", json={"uri": uri})
            assert r.status_code == 201, r.text
            media = r.json()["items"]
            assert [m["uri"] for m in media] == [uri + n for n in files]
            assert [m["kind"] for m in media] == ["video", "image"]
            assert media[0]["size"] == bikes_small().stat().st_size
            ids = [m["id"] for m in media]
            r = client.post("/v1/jobs", json={"media_ids": ids, "k": 6, **settings})
            assert r.status_code == 201, r.text
            job = r.json()["id"]
            assert wait_done(client, job, timeout_s=300)["status"] == "succeeded"
            items = client.get(f"/v1/jobs/{job}/result").json()["items"]
            # refused: another tenant's prefix, outside every prefix, a bad URI
            for bad, status in (
                (f"s3://{BUCKET}/other-tenant/{unique_name}/", 403),
                (f"s3://{BUCKET}/{unique_name}/", 403),
                ("s3://../x", 422),
                ("http://example.com/x.mp4", 422),
            ):
                r = client.post("/v1/media/imports", json={"uri": bad})
                assert r.status_code == status, (bad, r.text)
    finally:
        stop_workers(loops)
    ref = select(sorted(local.iterdir()), 6, frames=False, report=False, **settings)
    name_of = {m["id"]: Path(m["uri"]).name for m in media}
    assert [(name_of[i["media_id"]], i["frame_index"], i["rank"]) for i in items] == [
        (Path(p.source).name, p.frame_index, p.rank) for p in ref.picks
    ]
    assert all(i["url"] for i in items)  # the export's second pass read the bucket too
    assert [p for p in (s3_env / "farpoint").rglob("*") if p.is_file()] == []  # and copied nothing
    # Nothing referenced is refused when no prefix is allowed (the default).
    ctx.settings.security.input_prefixes = []
    with TestClient(create_app(ctx)) as client:
        r = client.post("/v1/media/imports", json={"uri": uri})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
