"""The linear probe on frozen features: it learns, it is exact, and it reads only what it should."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from farpoint.eval.linear import FrozenFeatures, LinearProbeConfig, train_linear_probe


def _blobs(n_per: int, d: int, n_classes: int, spread: float, seed: int):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, size=(n_classes, d)) * 4
    y = np.repeat(np.arange(n_classes), n_per)
    x = centres[y] + rng.normal(0, spread, size=(y.size, d))
    return x.astype(np.float32), y


def test_learns_separable_classes_and_fails_on_shuffled_labels() -> None:
    x, y = _blobs(3, 256, 5, 1.0, seed=0)  # 3 labels per class, 256-d
    tx, ty = _blobs(200, 256, 5, 1.0, seed=0)
    acc, per_class = train_linear_probe(x, y, tx, ty, n_classes=5)
    assert acc > 0.95 and per_class.shape == (5,) and np.all(per_class > 0.9)
    shuffled = np.random.default_rng(1).permutation(y)
    bad, _ = train_linear_probe(x, shuffled, tx, ty, n_classes=5)
    assert bad < 0.6  # the probe reads the labels it is given


def test_span_trick_matches_logistic_regression_in_full_dimension() -> None:
    """Fitting in the span of the training rows is the same L2 model as in all d dimensions."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(30, 400)).astype(np.float32)
    y = rng.integers(0, 4, size=30)
    tx = rng.normal(size=(500, 400)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = LogisticRegression(C=1.0, max_iter=5000, tol=1e-8).fit(x, y).predict(tx)
    cfg = LinearProbeConfig(max_iter=5000)
    acc, _ = train_linear_probe(x, y, tx, full, n_classes=4, config=cfg)
    assert acc > 0.99  # agrees with the full-dimensional fit on (almost) every test row


def test_one_class_subset_predicts_that_class() -> None:
    x = np.ones((4, 8), np.float32)
    ty = np.array([2, 2, 1, 0])
    acc, per_class = train_linear_probe(x, np.full(4, 2), x, ty, n_classes=4)
    assert acc == pytest.approx(0.5)
    assert per_class[2] == 1.0 and per_class[1] == 0.0 and np.isnan(per_class[3])


def test_standardize_uses_pool_statistics_only() -> None:
    rng = np.random.default_rng(0)
    pool = rng.normal(5, 3, size=(200, 6))
    test = rng.normal(100, 1, size=(50, 6))  # far away: must not move the centring
    f = FrozenFeatures.standardize(pool, test)
    assert np.allclose(f.pool.mean(axis=0), 0, atol=1e-5)
    assert f.pool.std() == pytest.approx(1.0, rel=1e-4)
    assert f.test.mean() > 20  # test stays where the pool's statistics put it
    with pytest.raises(ValueError):
        FrozenFeatures.standardize(pool, test[:, :3])
