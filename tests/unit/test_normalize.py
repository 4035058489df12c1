"""Normalization: shapes, seeds, PCA correctness, UMAP fallbacks (keep UMAP to two tests: its
numba JIT costs ~20 s per process)."""

from __future__ import annotations

import numpy as np
import pytest

from farpoint.errors import InputError
from farpoint.normalize import apply_reducer, fit_reducer, normalize
from farpoint.normalize.pca import PCAReducer


def _clusters(n: int = 600, d: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 10, (6, d))
    return (centers[rng.integers(0, 6, n)] + rng.normal(0, 1, (n, d))).astype(np.float32)


def test_none_is_identity() -> None:
    x = _clusters(50, 8)
    z, info = normalize(x, "none")
    np.testing.assert_array_equal(z, x)
    assert info.method == "none" and info.trustworthiness is None


def test_pca_shape_seed_and_variance() -> None:
    x = _clusters()
    z, info = normalize(x, "pca", dims=5, seed=3)
    assert z.shape == (600, 5) and z.dtype == np.float32
    z2, _ = normalize(x, "pca", dims=5, seed=3)
    np.testing.assert_array_equal(z, z2)
    # Components are orthonormal and ordered by variance; six clusters live in 5 dims.
    red = PCAReducer(5).fit(x)
    assert red.components_ is not None
    np.testing.assert_allclose(red.components_ @ red.components_.T, np.eye(5), atol=1e-6)
    var = z.var(axis=0)
    assert np.all(np.diff(var) <= 1e-3)
    assert info.params["explained_variance"] > 0.9
    assert info.trustworthiness is not None and info.trustworthiness > 0.9
    # Same result as an SVD by hand (up to sign).
    xc = x - x.mean(0)
    _, _, vt = np.linalg.svd(xc.astype(np.float64), full_matrices=False)
    np.testing.assert_allclose(np.abs(z), np.abs(xc @ vt[:5].T), rtol=1e-3, atol=1e-3)


def test_pca_fit_on_sample_transforms_all() -> None:
    x = _clusters(2000, 32)
    red, info = fit_reducer(x, "pca", dims=4, fit_sample=300)
    assert info.fit_sample == 300
    z = apply_reducer(red, x, chunk=512)
    assert z.shape == (2000, 4)
    np.testing.assert_allclose(z, red.transform(x), atol=1e-5)


def test_dims_capped_by_input() -> None:
    z, _ = normalize(_clusters(100, 3), "pca", dims=20)
    assert z.shape == (100, 3)


def test_tiny_input_falls_back_to_pca() -> None:
    x = _clusters(30, 16)
    z, info = normalize(x, "umap", dims=4)
    assert info.requested == "umap" and info.method == "pca"
    assert z.shape == (30, 4)
    assert any("too few for UMAP" in w for w in info.warnings)


def test_bad_arguments() -> None:
    with pytest.raises(InputError, match="unknown normalization"):
        normalize(_clusters(10, 4), "tsne")
    with pytest.raises(InputError, match="dims"):
        normalize(_clusters(10, 4), "pca", dims=0)


def test_umap_shape_seed_and_poor_trust_fallback() -> None:
    x = _clusters(300, 80)  # > 50 dims: PCA pre-reduction first
    z, info = normalize(x, "umap", dims=3, seed=7)
    assert info.method == "umap" and z.shape == (300, 3)
    assert info.params["pca_pre_dims"] == 50 and info.params["seed"] == 7
    assert info.trustworthiness is not None and 0.7 < info.trustworthiness <= 1.0
    z2, _ = normalize(x, "umap", dims=3, seed=7)
    np.testing.assert_allclose(z, z2, atol=1e-4)
    # Demanding an impossible trustworthiness forces the PCA fallback with a warning.
    red, info2 = fit_reducer(x, "umap", dims=3, seed=7, min_trust=1.01)
    assert info2.method == "pca" and isinstance(red, PCAReducer)
    assert any("falling back to PCA" in w for w in info2.warnings)


def test_a_fit_on_the_sampled_rows_is_the_fit_on_all_rows() -> None:
    """The normalization service gathers only :func:`sample_rows` shard by shard and fits on
    them: the same reducer as :func:`fit_reducer` on every row (which draws those rows)."""
    from farpoint.normalize import DEFAULT_FIT_SAMPLE, TRANSFORM_CHUNK, sample_rows
    from farpoint.settings import JobSettings

    x = _clusters(900, 16)
    rows = sample_rows(len(x), 300, seed=5)
    assert rows is not None and len(rows) == 300 and np.all(np.diff(rows) > 0)
    assert sample_rows(300, 300, seed=5) is None  # small inputs: every row
    full, info = fit_reducer(x, "pca", dims=4, seed=5, fit_sample=300)
    part, info2 = fit_reducer(x[rows], "pca", dims=4, seed=5, fit_sample=300)
    np.testing.assert_array_equal(apply_reducer(full, x), apply_reducer(part, x))
    assert info.as_dict() == info2.as_dict()
    # PCA transforms row by row: batches of any size give the same bytes as one call
    z = np.concatenate([apply_reducer(full, x[i : i + 7], chunk=7) for i in range(0, 900, 7)])
    np.testing.assert_array_equal(z, apply_reducer(full, x))
    # the service's default batch is the core's chunk: the same transform calls as the CLI
    assert JobSettings().normalize_batch_frames == TRANSFORM_CHUNK
    assert DEFAULT_FIT_SAMPLE < TRANSFORM_CHUNK
