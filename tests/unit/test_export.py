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


def test_parallel_second_pass_writes_the_same_files(tmp_path: Path) -> None:
    """Threads over contiguous slices of a video (seeking by pts) + stills: byte-identical
    files to one thread, every pick found once, the slices cover each pick exactly once."""
    from farpoint.export.frames import MIN_PICKS_PER_WORKER, split_for_workers

    frames = list(iter_frames([bikes_small()], width=100, fps=10))
    assert len(frames) >= 3 * MIN_PICKS_PER_WORKER
    chosen = frames[:: max(1, len(frames) // (3 * MIN_PICKS_PER_WORKER))]
    img = fixture_images()[1]

    def picks() -> tuple[list[Pick], list[int | None]]:
        ps = [Pick(r, f.source, f.index, f.timestamp, 1.0, r) for r, f in enumerate(chosen)]
        ps.append(Pick(len(ps), str(img), 0, 0.0, 0.5, len(ps)))
        return ps, [f.pts for f in chosen] + [None]

    wanted = [(p.source, p.frame_index, q) for p, q in zip(*picks(), strict=True)]
    parts = split_for_workers(wanted, 3)
    assert len(parts) == 4  # three runs of the video, one for the still
    assert sorted(w for part in parts for w in part) == sorted(wanted)
    starts = [(part[0][2], part[-1][2]) for part in parts if part[0][2] is not None]
    assert all(a[1] < b[0] for a, b in zip(starts, starts[1:], strict=False))  # type: ignore[operator]

    out: dict[int, dict[str, bytes]] = {}
    for workers in (1, 3):
        store = LocalStore(tmp_path / f"w{workers}")
        ps, pts = picks()
        export_frames(store, "", ps, progress=False, pts=pts, workers=workers)
        assert all(p.file is not None for p in ps)
        out[workers] = {str(p.file): (store.root / str(p.file)).read_bytes() for p in ps}
    assert len(out[1]) == len(chosen) + 1
    assert out[1] == out[3]
