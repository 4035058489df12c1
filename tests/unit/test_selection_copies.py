"""Near-copy share (farpoint.selection.copies) and how typiclust-fps counts distinct rows.

Checked against a numpy computation of the same ratio, on pools built with and without repeated
pictures, and on typiclust-fps's picks: with near-copies in the pool it reaches more of the
pictures than TypiClust at a budget of one pick per picture."""

from __future__ import annotations

import numpy as np
import pytest

from farpoint.selection import copies, select_points
from farpoint.selection.typiclust_fps import typical_budget


def _distinct(n: int, d: int = 12, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


def _scenes(n_sources: int, mean_copies: float, d: int = 12, seed: int = 0):
    """Pictures, each repeated as a scene of near-copies (geometric lengths, as the eval's)."""
    rng = np.random.default_rng(seed)
    src = rng.normal(size=(n_sources, d)) * 3
    lengths = rng.geometric(1.0 / mean_copies, size=n_sources)
    owner = np.repeat(np.arange(n_sources), lengths)
    x = src[owner] + rng.normal(size=(owner.size, d)) * 0.05
    return x.astype(np.float32), owner


def _numpy_share(x: np.ndarray) -> float:
    xx = x.astype(np.float64)
    dist = np.sqrt(((xx[:, None] - xx[None]) ** 2).sum(-1))
    np.fill_diagonal(dist, np.inf)
    dist.sort(axis=1)
    return float(np.mean(dist[:, 0] < copies.RATIO * dist[:, copies.KNN - 1]))


def test_share_matches_numpy() -> None:
    x, _ = _scenes(30, 8.0, seed=1)
    x = np.concatenate([x, _distinct(200, seed=2) * 3])
    assert copies.near_copy_share(x) == pytest.approx(_numpy_share(x), abs=1e-9)


def test_distinct_pool_counts_every_row() -> None:
    x = _distinct(1500)
    n, share = copies.distinct_rows(x)
    assert share < copies.SHARE
    assert n == 1500


def test_pool_of_scenes_counts_distinct_rows_only() -> None:
    x, _ = _scenes(60, 20.0)
    n, share = copies.distinct_rows(x)
    assert share >= copies.SHARE
    assert n == int(x.shape[0] * (1 - share)) < x.shape[0]


def test_share_has_no_unit() -> None:
    x, _ = _scenes(40, 10.0, seed=3)
    scaled = copies.near_copy_share(x * 7.5 + 3.0)
    assert scaled == pytest.approx(copies.near_copy_share(x), abs=1e-3)


def test_exact_duplicates_are_copies() -> None:
    x = np.repeat(_distinct(5), 30, axis=0)
    assert copies.near_copy_share(x) == 1.0


def test_tiny_pools() -> None:
    assert copies.near_copy_share(_distinct(1)) == 0.0
    assert copies.near_copy_share(_distinct(2)) == 0.0
    assert 0.0 <= copies.near_copy_share(_distinct(5)) <= 1.0


def test_sampled_estimate_is_close(monkeypatch: pytest.MonkeyPatch) -> None:
    x, _ = _scenes(150, 12.0, seed=4)
    x = np.concatenate([x, _distinct(1500, seed=5) * 3])
    exact = copies.near_copy_share(x)
    monkeypatch.setattr(copies, "ALL_ROWS", 500)
    monkeypatch.setattr(copies, "SAMPLE", 400)
    sampled = copies.near_copy_share(x, seed=0)
    assert sampled != exact  # the sampled path ran
    assert abs(sampled - exact) < 0.08  # 4 standard errors of a 400-row sample


def test_typiclust_fps_reports_and_uses_distinct_rows() -> None:
    x, _ = _scenes(60, 20.0, seed=6)
    n, share = copies.distinct_rows(x)
    k = x.shape[0] // 20  # TypiClust for all k if every row counted
    sel = select_points(x, k, method="typiclust-fps", seed=0)
    assert sel.info["distinct_rows"] == n
    assert sel.info["near_copy_share"] == pytest.approx(share, abs=1e-4)
    assert sel.info["typical"] == typical_budget(n, k) < k
    plain = select_points(_distinct(x.shape[0]), k, method="typiclust-fps", seed=0)
    assert plain.info["typical"] == k  # no repeats: the rule changes nothing


def test_more_pictures_reached_than_typiclust_on_scenes() -> None:
    """Paired over 6 pools of scenes: at one pick per picture, counting distinct rows hands the
    picks TypiClust would spend twice on one scene to farthest point, which reaches new ones."""
    wins = 0
    for seed in range(6):
        x, owner = _scenes(50, 20.0, seed=10 + seed)
        k = 50
        both = select_points(x, k, method="typiclust-fps", seed=seed).indices
        typ = select_points(x, k, method="typiclust", seed=seed).indices
        a, b = np.unique(owner[both]).size, np.unique(owner[typ]).size
        assert a >= b
        wins += a > b
    assert wins >= 5
