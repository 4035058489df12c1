"""The derived settings produce the distributions they promise."""

from __future__ import annotations

import numpy as np

from farpoint.eval.data import LabeledSet
from farpoint.eval.derive import derive, long_tailed_counts


def _pool(per_class: int = 60, n_classes: int = 10, side: int = 8) -> LabeledSet:
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(per_class * n_classes, side, side), dtype=np.uint8)
    return LabeledSet(images, np.repeat(np.arange(n_classes), per_class))


def test_long_tailed_counts_decay_geometrically() -> None:
    c = long_tailed_counts(1000, 10, 50.0)
    assert c[0] == 1000 and c[-1] == 20
    ratios = c[:-1] / c[1:]
    assert np.allclose(ratios, 50 ** (1 / 9), rtol=0.05)


def test_long_tailed_pool_is_a_labelled_subset_with_the_intended_imbalance() -> None:
    pool = _pool()
    d = derive(pool, "long-tailed", seed=3)
    counts = np.sort(np.bincount(d.pool.labels, minlength=10))[::-1]
    assert counts[0] == 60 and counts[-1] == round(60 / 50) or counts[-1] == 1
    assert np.all(np.diff(counts) <= 0) and counts[0] / max(counts[-1], 1) >= 30
    assert np.array_equal(d.pool.images, pool.images[d.source])  # real images, untouched
    assert np.array_equal(derive(pool, "long-tailed", seed=3).source, d.source)  # reproducible


def test_redundant_pool_is_many_near_copies_of_few_sources() -> None:
    pool = _pool(side=12)
    d = derive(pool, "redundant", seed=0, n_sources=20, mean_copies=10)
    assert np.unique(d.source).size == 20
    assert len(d.pool) == d.source.size and 20 * 3 < len(d.pool) < 20 * 25
    assert np.array_equal(d.pool.labels, pool.labels[d.source])
    # a copy is much closer to its source than to other sources
    own = np.abs(d.pool.images.astype(float) - pool.images[d.source]).mean()
    other = np.abs(d.pool.images.astype(float) - pool.images[np.roll(d.source, 37)]).mean()
    assert own < 15 and other > 4 * own
    again = derive(pool, "redundant", seed=0, n_sources=20, mean_copies=10)
    assert np.array_equal(again.pool.images, d.pool.images)


def test_redundant_shift_moves_copies_by_at_most_one_pixel() -> None:
    pool = _pool(side=12)
    still = derive(pool, "redundant", seed=0, n_sources=5, mean_copies=5)
    moved = derive(pool, "redundant-shift", seed=0, n_sources=5, mean_copies=5)
    assert moved.name == "redundant-shift" and np.array_equal(moved.source, still.source)
    err_still = np.abs(still.pool.images.astype(float) - pool.images[still.source]).mean()
    err_moved = np.abs(moved.pool.images.astype(float) - pool.images[moved.source]).mean()
    assert err_moved > err_still
