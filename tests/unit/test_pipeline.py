"""The pipeline end to end on real footage, and farthest-point selection against a brute-force
O(n·k) oracle (the seed paper's Algorithm 1, §2.6, written out the slow way)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import farpoint
from farpoint.errors import InputError
from farpoint.normalize import DEFAULT_NORMALIZE
from farpoint.selection import select_points
from tests.data import bikes_small, fixture_images


def oracle_fps(
    x: np.ndarray, k: int, start: int, pool: np.ndarray | None = None
) -> tuple[list[int], list[float]]:
    """Greedy farthest point by brute force: for every candidate, its distance to the nearest
    chosen (or pooled) point, recomputed from scratch; ties go to the lowest index."""
    x = np.asarray(x, np.float64)
    n = len(x)
    centers: list[np.ndarray] = [] if pool is None else [np.asarray(p, np.float64) for p in pool]
    picks: list[int] = []
    dists: list[float] = []
    for _ in range(k):
        if not centers:
            picks.append(start)
            dists.append(math.inf)
            centers.append(x[start])
            continue
        best, best_d = -1, -1.0
        for i in range(n):
            if i in picks:
                continue
            d = min(float(((x[i] - c) ** 2).sum()) for c in centers)
            if d > best_d:  # strict: the lowest index wins a tie
                best, best_d = i, d
        picks.append(best)
        dists.append(math.sqrt(best_d))
        centers.append(x[best])
    return picks, dists


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fps_equals_oracle_on_random_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(150, 4)).astype(np.float32)
    start = int(rng.integers(150))
    sel = select_points(x, 25, method="fps", start=start)
    picks, dists = oracle_fps(x, 25, start)
    assert sel.indices.tolist() == picks
    np.testing.assert_allclose(sel.distances, dists, rtol=1e-6)


def test_fps_ties_and_duplicates_go_to_the_lowest_index() -> None:
    rng = np.random.default_rng(5)
    base = rng.integers(0, 3, size=(40, 2)).astype(np.float32)  # a 3x3 grid: many exact ties
    x = np.concatenate([base, base[:10]])  # and exact duplicates
    sel = select_points(x, 30, method="fps", start=0)
    picks, dists = oracle_fps(x, 30, 0)
    assert sel.indices.tolist() == picks
    np.testing.assert_allclose(sel.distances, dists)
    distinct = len({tuple(r) for r in x.tolist()})
    assert np.all(sel.distances[distinct:] == 0)  # after the grid is covered: duplicates
    assert len(set(sel.indices.tolist())) == 30


def test_fps_with_labeled_pool_equals_oracle() -> None:
    rng = np.random.default_rng(9)
    x = rng.normal(size=(120, 3)).astype(np.float32)
    pool = rng.normal(size=(5, 3)).astype(np.float32)
    sel = farpoint.select_vectors(x, 15, labeled=pool, method="fps")
    picks, dists = oracle_fps(x, 15, 0, pool)
    assert sel.indices.tolist() == picks
    np.testing.assert_allclose(sel.distances, dists, rtol=1e-6)


def test_select_vectors_validation() -> None:
    x = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(InputError, match="larger than"):
        farpoint.select_vectors(x, 11)
    with pytest.raises(InputError, match=">= 1"):
        farpoint.select_vectors(x, 0)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(InputError, match="NaN"):
        farpoint.select_vectors(bad, 2)
    with pytest.raises(InputError, match="2-D"):
        farpoint.select_vectors(x[0], 2)
    with pytest.raises(InputError, match="dims"):
        farpoint.select_vectors(x, 2, labeled=np.zeros((2, 4)))


def test_select_end_to_end_pixels(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = farpoint.select(
        bikes_small(),
        8,
        out,
        embedder="pixels",
        normalize="pca",
        method="fps",
        fps=10,
        keep_vectors=True,
    )
    assert res.n_frames == 100 and len(res.picks) == 8
    assert res.vectors is not None and res.vectors.shape == (100, 768)
    assert res.normalized is not None and res.normalized.shape == (100, 20)
    # The picks are the reference selection on the normalized vectors.
    again = select_points(res.normalized, 8, method="fps", seed=0)
    assert [p.row for p in res.picks] == again.indices.tolist()
    d = [p.distance for p in res.picks]
    assert d[0] is None and all(a >= b for a, b in zip(d[1:], d[2:], strict=False))
    assert len({p.frame_index for p in res.picks}) == 8
    body = json.loads((out / "manifest.json").read_text())
    assert body["n_frames"] == 100 and body["embedder"]["name"] == "pixels"
    assert body["normalize"]["method"] == "pca" and "timings" in body
    assert body["inputs"][0]["kept"] == 100
    for p in body["picks"]:
        assert (out / p["file"]).is_file()
    tm = body["timings"]
    assert tm["total_cpu_s"] > 0 and tm["total_s"] > 0
    assert all(f"{s}_cpu_s" in tm for s in ("ingest+embed", "normalize", "select", "export"))
    # The exported JPEG of each pick is the frame the thumbnail came from (found by pts).
    from PIL import Image

    assert res.vectors is not None
    for p in res.picks[:3]:
        with Image.open(out / str(p.file)) as im:
            small = np.asarray(im.convert("RGB").resize((16, 16), Image.Resampling.BOX), float)
        thumb = res.vectors[p.row].reshape(3, 16, 16).transpose(1, 2, 0) * 255  # 16x16 area avg
        assert np.abs(small - thumb).mean() < 12.0
    assert res.report is not None and res.report.is_file()
    # Same seed, same picks; the API without ``out`` writes nothing and returns the same.
    res2 = farpoint.select(
        [bikes_small()], 8, embedder="pixels", normalize="pca", method="fps", fps=10
    )
    assert [p.row for p in res2.picks] == [p.row for p in res.picks]
    assert res2.out is None


def test_select_default_embedder_imagenet_with_umap(tmp_path: Path) -> None:
    res = farpoint.select(bikes_small(), 5, tmp_path / "o", fps=5, frames=False, report=False)
    assert res.manifest["embedder"]["name"] == "imagenet"
    assert res.manifest["normalize"]["requested"] == DEFAULT_NORMALIZE
    assert res.n_frames == 50 and len(res.picks) == 5
    # Diverse picks spread over the clip's scenes, not one shot.
    ts = sorted(p.timestamp_s for p in res.picks)
    assert ts[-1] - ts[0] > 4.0


def test_labeled_pool_covers_around(tmp_path: Path) -> None:
    # Everything already labeled: every pick sits at distance 0 from the pool.
    res = farpoint.select(
        bikes_small(), 3, embedder="pixels", normalize="pca", labeled=[bikes_small()]
    )
    assert all(p.distance == 0.0 for p in res.picks)
    # A few labeled stills: the first pick is measured against them (finite distance).
    res = farpoint.select(
        bikes_small(), 3, embedder="pixels", normalize="pca", labeled=fixture_images()
    )
    assert res.picks[0].distance is not None and res.picks[0].distance > 0


def test_select_bad_budget() -> None:
    with pytest.raises(InputError, match="larger than the 20 frames"):
        farpoint.select(bikes_small(), 21, embedder="pixels", normalize="none", fps=2)
    with pytest.raises(InputError, match="positive integer"):
        farpoint.select(bikes_small(), 0, embedder="pixels")
