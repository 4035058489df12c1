"""Export: manifest fields (json + csv), JPEG frames at full size, report.html links."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
from PIL import Image

from farpoint.export import Pick, covering_radius_curve, export_frames, write_manifest, write_report
from farpoint.export.manifest import CSV_FIELDS, MANIFEST_VERSION
from farpoint.ingest import iter_frames
from farpoint.store.local import LocalStore
from tests.data import BIKES_SMALL_SIZE, bikes_small, fixture_images


def _picks() -> list[Pick]:
    frames = list(iter_frames([bikes_small()], width=100, fps=2))
    chosen = [frames[0], frames[7], frames[13]]
    picks = [
        Pick(r, f.source, f.index, f.timestamp, None if r == 0 else 1.5 / r, row)
        for r, (row, f) in enumerate(zip((0, 7, 13), chosen, strict=True))
    ]
    img = fixture_images()[1]
    picks.append(Pick(3, str(img), 0, 0.0, 0.25, 20))
    return picks


def test_frames_manifest_and_report(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "out")
    picks = export_frames(store, "", _picks(), progress=False)
    assert all(p.file is not None for p in picks)
    for p in picks:
        path = store.root / str(p.file)
        with Image.open(path) as im:
            assert im.format == "JPEG"
            assert im.size == BIKES_SMALL_SIZE  # full size, not the 100 px thumbnail
            assert np.asarray(im).std() > 5  # a real picture, not a blank
    assert re.fullmatch(r"frames/00001_bikes_320_f\d{6}\.jpg", str(picks[1].file))

    write_manifest(store, "", {"settings": {"k": 4}}, picks)
    body = json.loads((store.root / "manifest.json").read_text())
    assert body["version"] == MANIFEST_VERSION and body["settings"] == {"k": 4}
    assert [p["rank"] for p in body["picks"]] == [0, 1, 2, 3]
    first = body["picks"][1]
    for key in ("source", "frame_index", "timestamp_s", "rank", "distance", "file", "row"):
        assert key in first
    assert first["frame_index"] == picks[1].frame_index and first["distance"] == 1.5
    rows = list(csv.DictReader(io.StringIO((store.root / "manifest.csv").read_text())))
    assert list(rows[0]) == CSV_FIELDS and len(rows) == 4
    assert rows[0]["distance"] == "" and float(rows[2]["distance"]) == 0.75
    assert rows[3]["source"].endswith(".jpg") and rows[3]["frame_index"] == "0"

    rng = np.random.default_rng(0)
    normalized = rng.normal(size=(30, 5)).astype(np.float32)
    key = write_report(store, "", normalized, picks, {"frames seen": 30}, seed=0)
    html = (store.root / key).read_text()
    refs = re.findall(r'src="([^"]+)"', html)
    assert "coverage.png" in refs and "scatter.png" in refs
    assert sum(r.startswith("frames/") for r in refs) == 4
    for ref in refs:
        assert (store.root / ref).is_file(), ref
    with Image.open(store.root / "coverage.png") as im:
        assert im.format == "PNG" and im.size[0] > 200
    assert "4 frames picked of 30" in html


def test_covering_radius_curve_is_non_increasing_and_exact() -> None:
    x = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0], [0.0, 1.0]], np.float32)
    curve = covering_radius_curve(x, np.array([0, 2, 1]))
    np.testing.assert_allclose(curve, [10.0, 5.0, 1.0])
    rng = np.random.default_rng(1)
    y = rng.normal(size=(200, 3)).astype(np.float32)
    c = covering_radius_curve(y, rng.permutation(200)[:50])
    assert np.all(np.diff(c) <= 1e-6)
