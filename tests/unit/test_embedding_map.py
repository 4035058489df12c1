"""The report's and the console's 2-D map (:func:`farpoint.export.embedding_map.map_2d`): its
fast path for wide spaces (the covariance's top two eigenvectors) against the simple one (a full
SVD, :class:`~farpoint.normalize.pca.PCAReducer`), on clustered data and on real embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from farpoint.export.embedding_map import EIGH_MIN_DIMS, _top2_axes, map_2d
from farpoint.normalize.pca import PCAReducer


def _simple(x: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sample = x[rng.choice(len(x), len(x), replace=False)]
    return PCAReducer(2, seed).fit(sample).transform(x)


def _clusters(n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 5, (8, d)) * np.linspace(3, 0.5, d)
    return (centers[rng.integers(0, 8, n)] + rng.normal(0, 1, (n, d))).astype(np.float32)


@pytest.mark.parametrize("d", [EIGH_MIN_DIMS + 1, 512, 1280])
def test_the_wide_space_path_gives_the_svd_axes(d: int) -> None:
    x = _clusters(1500, d, seed=d)
    assert _top2_axes(x) is not None  # the fast path runs
    fast, simple = map_2d(x, seed=4), _simple(x, seed=4)
    assert fast.shape == (1500, 2) and fast.dtype == np.float32
    scale = float(np.abs(simple).max())
    np.testing.assert_allclose(fast, simple, atol=1e-5 * scale, rtol=0)


def test_real_embeddings_map_the_same() -> None:
    """A real clip's frames as the pixels embedder embeds them (hundreds of columns)."""
    from farpoint.embed.base import get_embedder
    from farpoint.embed.batch import embed_frames
    from farpoint.ingest import iter_frames
    from tests.data import bikes_small

    frames = list(iter_frames([bikes_small()], fps=10.0, width=64))
    x = embed_frames(frames, get_embedder("pixels"), progress=False)
    assert x.shape[1] > EIGH_MIN_DIMS
    fast, simple = map_2d(x, seed=1), _simple(x, seed=1)
    np.testing.assert_allclose(fast, simple, atol=1e-5 * float(np.abs(simple).max()), rtol=0)


def test_narrow_spaces_keep_the_svd() -> None:
    x = _clusters(300, EIGH_MIN_DIMS, seed=0)
    assert _top2_axes(x) is None
    np.testing.assert_array_equal(map_2d(x, seed=2), _simple(x, seed=2))
    one = map_2d(x[:, :1], seed=2)  # a 1-D space gets y = 0
    assert one.shape == (300, 2) and not one[:, 1].any()
