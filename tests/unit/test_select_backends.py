"""Congruence: every selection backend returns exactly the reference's picks."""

from __future__ import annotations

import numpy as np
import pytest

from farpoint.selection import farthest_point_reference, get_selector, select_points

BACKENDS = ["cpu", "torch", "faiss"]


def _random(n: int = 2000, d: int = 16, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


def _clustered(n: int = 2000, d: int = 24, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(12, 4)) * 6
    z = centers[rng.integers(12, size=n)] + rng.normal(size=(n, 4)) * 0.3
    a = rng.normal(size=(4, d))
    return (np.tanh(z) @ a + 0.01 * rng.normal(size=(n, d))).astype(np.float32)


def _duplicates(seed: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(300, 8)).astype(np.float32)
    return base[rng.integers(300, size=1500)]  # exact ties everywhere


def _grid() -> np.ndarray:
    g = np.stack(np.meshgrid(np.arange(12), np.arange(12), np.arange(6)), -1).reshape(-1, 3)
    return g.astype(np.float32)  # equal distances between distinct rows


DATA = {"random": _random, "clustered": _clustered, "duplicates": _duplicates, "grid": _grid}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", list(DATA))
def test_same_picks_as_reference(backend: str, kind: str) -> None:
    x = DATA[kind]()
    k = 200
    ref = farthest_point_reference(x, k, start=5)
    got = get_selector(backend).select(x, k, start=5)
    np.testing.assert_array_equal(got.indices, ref.indices)
    np.testing.assert_allclose(got.distances[1:], ref.distances[1:], rtol=1e-5)
    assert got.distances[0] == np.inf


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["random", "duplicates"])
def test_labeled_pool_and_min_distance(backend: str, kind: str) -> None:
    x = DATA[kind]()
    pool = x[:40] + np.float32(0.01)
    ref = farthest_point_reference(x, 200, labeled=pool, min_distance=0.5)
    got = get_selector(backend).select(x, 200, labeled=pool, min_distance=0.5)
    np.testing.assert_array_equal(got.indices, ref.indices)
    assert got.stopped_early == ref.stopped_early
    assert np.isfinite(got.distances).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_min_distance_stops_early(backend: str) -> None:
    x = _clustered()
    ref = farthest_point_reference(x, 2000, start=0, min_distance=1.0)
    got = get_selector(backend).select(x, 2000, start=0, min_distance=1.0)
    assert ref.stopped_early and got.stopped_early
    np.testing.assert_array_equal(got.indices, ref.indices)
    assert (got.distances >= 1.0).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_all_rows_when_k_equals_n(backend: str) -> None:
    x = _duplicates()[:200]
    ref = farthest_point_reference(x, 200, start=3)
    got = get_selector(backend).select(x, 200, start=3)
    np.testing.assert_array_equal(got.indices, ref.indices)
    assert sorted(got.indices.tolist()) == list(range(200))  # each row once


def test_auto_is_a_fast_backend() -> None:
    sel = get_selector("auto")
    assert sel.name in ("cpu", "torch")
    x = _random(500, 4)
    np.testing.assert_array_equal(
        select_points(x, 50, method="fps", start=1).indices,
        farthest_point_reference(x, 50, start=1).indices,
    )


@pytest.fixture(scope="module")
def embedded_video() -> tuple[np.ndarray, np.ndarray]:
    """Real data: every frame of a real street clip (scene cuts) as pixel embeddings, plus the
    same frames through PCA to 20 dims, as the pipeline feeds the selector."""
    from farpoint.embed import get_embedder
    from farpoint.embed.batch import embed_frames
    from farpoint.ingest import iter_frames
    from farpoint.normalize import normalize
    from tests.data import bikes_small, opencv_sample

    inputs = [bikes_small()]
    try:
        inputs.append(opencv_sample("vtest.avi"))
    except pytest.skip.Exception:
        pass
    vectors = embed_frames(
        iter_frames(inputs, width=64, fps=10), get_embedder("pixels", device="cpu"),
        progress=False,
    )
    reduced, _ = normalize(vectors, "pca", dims=20, seed=0)
    return vectors, reduced


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("space", ["pixels", "pca20"])
def test_same_picks_as_reference_on_embedded_real_video(
    backend: str, space: str, embedded_video: tuple[np.ndarray, np.ndarray]
) -> None:
    x = embedded_video[0] if space == "pixels" else embedded_video[1]
    k = min(150, len(x) - 1)
    ref = farthest_point_reference(x, k, start=3)
    got = get_selector(backend).select(x, k, start=3)
    np.testing.assert_array_equal(got.indices, ref.indices)
    pool = x[::37]
    ref = farthest_point_reference(x, k, labeled=pool)
    got = get_selector(backend).select(x, k, labeled=pool)
    np.testing.assert_array_equal(got.indices, ref.indices)
