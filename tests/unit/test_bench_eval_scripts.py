"""The evaluation scripts under bench/ whose figures docs/quality.md quotes.

* bench/eval_scene_oracle.py ("What the redundant pools allow"): the oracles bound what a
  selection can gain on a pool of near-copies, so they must really pick every picture once, its
  least-jittered copy, and (the label-aware one) k / classes per class;
* bench/eval_second_stage.py (the second stage of ``typiclust-fps``): its harness must be the
  default's own path (the ``fps`` stage == ``typiclust-fps``); other stages keep TypiClust's
  picks."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bench(name: str):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(ROOT / "bench"))


@pytest.fixture(scope="module")
def oracle():
    return _bench("eval_scene_oracle")


def scenes(n_sources: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Jittered copies of ``n_sources`` points (2-9 copies each), labels source % 3."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_sources, 5)) * 10
    lengths = rng.integers(2, 10, size=n_sources)
    source = np.repeat(np.arange(n_sources) * 7, lengths)  # ids need not be 0..n-1
    x = np.repeat(centres, lengths, axis=0) + rng.normal(size=(source.size, 5))
    labels = (source // 7) % 3
    return x, source, labels


def test_central_copy_is_nearest_its_scene_mean(oracle) -> None:
    x, source, _ = scenes()
    central = oracle.central_copies(x, source)
    assert set(central) == set(np.unique(source).tolist())
    for s, row in central.items():
        rows = np.flatnonzero(source == s)
        assert source[row] == s
        d = np.linalg.norm(x[rows] - x[rows].mean(0), axis=1)
        assert d[rows == row][0] == d.min()


def test_every_source_holds_each_picture_once(oracle) -> None:
    x, source, _ = scenes()
    n_src = np.unique(source).size
    central = oracle.central_copies(x, source)
    for k in (5, n_src):
        for c in (None, central):
            picks = oracle.every_source(source, k, np.random.default_rng(1), c)
            assert picks.size == k and np.unique(source[picks]).size == k
            if c is not None:
                assert set(picks.tolist()) <= set(c.values())
    more = oracle.every_source(source, n_src + 4, np.random.default_rng(1), central)
    assert np.unique(more).size == n_src + 4
    assert np.unique(source[more]).size == n_src  # every picture, then other copies


def test_labels_balanced_gives_each_class_its_share(oracle) -> None:
    x, source, labels = scenes()
    central = oracle.central_copies(x, source)
    k = 6  # 2 per class; every class has 4 sources
    picks = oracle.labels_balanced(source, labels, 3, k, np.random.default_rng(2), central)
    assert picks.size == k and np.unique(picks).size == k
    assert np.bincount(labels[picks], minlength=3).tolist() == [2, 2, 2]
    assert set(picks.tolist()) <= set(central.values())  # distinct pictures, central copies
    big = oracle.labels_balanced(source, labels, 3, 30, np.random.default_rng(2), central)
    assert np.unique(big).size == 30
    assert np.bincount(labels[big], minlength=3).tolist() == [10, 10, 10]


def test_second_stage_harness_is_the_default_path() -> None:
    from farpoint.selection import select_points

    stage = _bench("eval_second_stage")
    rng = np.random.default_rng(3)
    sizes = [120, 60, 30, 12, 6, 3]  # a long tail: 231 rows, k = 40 > 231 // 20 = 11
    x = np.concatenate([rng.normal(size=(s, 6)) + 6 * rng.normal(size=6) for s in sizes])
    x = x.astype(np.float32)
    k = 40
    for seed in (0, 1):
        default = select_points(x, k, method="typiclust-fps", seed=seed)
        assert np.array_equal(stage.two_stage(x, k, seed, "fps"), default.indices)
        m = default.info["typical"]
        assert 0 < m < k
        first = select_points(x, m, method="typiclust", seed=seed).indices
        for other in ("facility", "mix"):
            picks = stage.two_stage(x, k, seed, other)
            assert picks.size == k and np.unique(picks).size == k
            assert np.array_equal(picks[:m], first)  # TypiClust's picks kept, in order
        assert not np.array_equal(stage.two_stage(x, k, seed, "facility"), default.indices)
