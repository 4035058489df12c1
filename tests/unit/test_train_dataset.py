"""Frame shards: decoding real videos into a store, reading them back, one size per dataset."""

from __future__ import annotations

import json

import numpy as np
import pytest

from farpoint.errors import InputError
from farpoint.store.local import LocalStore
from farpoint.train.dataset import (
    FrameSet,
    build_frame_dataset,
    has_frame_dataset,
    letterbox_uint8,
    load_frame_set,
)
from tests.data import bikes_small, fixture_images, opencv_sample


def test_video_to_shards_and_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = LocalStore(tmp_path)
    video = opencv_sample("vtest.avi")  # 768x576, 10 fps
    manifest = build_frame_dataset([video], store, prefix="ds", width=100, fps=5.0,
                                   shard_size=150)
    assert has_frame_dataset(store, "ds")
    assert (manifest["height"], manifest["width"]) == (75, 100)  # width 100, aspect kept
    n = manifest["count"]
    assert n == pytest.approx(398, abs=3)  # 79.5 s capped at 5 fps
    assert [s["count"] for s in manifest["shards"]][:2] == [150, 150]
    assert sorted(store.list("ds/")) == sorted(
        ["ds/manifest.json"] + [f"ds/{s[k]}" for s in manifest["shards"] for k in ("key", "index")]
    )
    fs = load_frame_set(store, "ds")
    assert len(fs) == n and (fs.height, fs.width) == (75, 100)
    assert np.all(np.diff(fs.timestamps) > 0.15)  # 5 fps: about 0.2 s apart
    assert fs.frame_index[1] == 2  # every second source frame kept
    idx = np.array([n - 1, 0, 151, 149])  # across shards, out of order
    got = fs.get(idx)
    assert got.shape == (4, 75, 100, 3) and got.dtype == np.uint8
    shard1 = np.load(tmp_path / "ds" / manifest["shards"][1]["key"])
    assert np.array_equal(got[2], shard1[1])
    rows = json.loads((tmp_path / "ds" / manifest["shards"][0]["index"]).read_text())["rows"]
    assert rows[0][:2] == [0, 0]
    assert fs.describe()["videos"] == 1


def test_mixed_sizes_are_letterboxed_to_the_first(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = LocalStore(tmp_path)
    # vtest: 100x75 at width 100; bikes (320x136): 100x42 -> letterboxed into 100x75
    manifest = build_frame_dataset([opencv_sample("vtest.avi"), bikes_small()], store,
                                   fps=2.0)
    assert (manifest["height"], manifest["width"]) == (75, 100)
    assert manifest["letterboxed"] == pytest.approx(20, abs=2)
    fs = load_frame_set(store)
    last = fs.get([len(fs) - 1])[0]
    assert last[:10].max() == 0 and last[-10:].max() == 0  # black bars top and bottom
    assert last[30:45].mean() > 20


def test_still_images_each_their_own_source(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = LocalStore(tmp_path)
    images = fixture_images()
    build_frame_dataset([images[0].parent], store)
    fs = load_frame_set(store)
    assert len(fs) == len(images) == len(fs.sources)
    assert np.all(fs.timestamps == 0)


def test_letterbox_keeps_aspect() -> None:
    img = np.full((10, 40, 3), 200, dtype=np.uint8)
    out = letterbox_uint8(img, 20, 20)
    assert out.shape == (20, 20, 3)
    assert out[:7].max() == 0 and out[8:12].min() == 200 and out[13:].max() == 0


def test_bad_inputs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = LocalStore(tmp_path / "s")
    text = tmp_path / "notes.txt"
    text.write_text("not a video")
    with pytest.raises(InputError):
        build_frame_dataset([text], store)
    with pytest.raises(InputError, match="no such file"):
        build_frame_dataset([tmp_path / "missing.mp4"], store)
    assert not has_frame_dataset(store)
    with pytest.raises(InputError):
        FrameSet.from_arrays(np.zeros((3, 8, 8, 3), dtype=np.float32))
