"""typiclust-fps: TypiClust for the low-budget part of k, farthest point around its picks beyond.

Checked against its two halves computed independently (TypiClust's own picks; a numpy farthest
point over the remaining rows), and the quota / time-gap carry-over between the stages."""

from __future__ import annotations

import numpy as np
import pytest

from farpoint.selection import select_points
from farpoint.selection.constraints import Constraints
from farpoint.selection.typiclust_fps import typical_budget


def _blobs(n: int, d: int = 8, centers: int = 6, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centers, d)) * 5
    return (c[rng.integers(centers, size=n)] + rng.normal(size=(n, d))).astype(np.float32)


def _numpy_fps(x: np.ndarray, around: np.ndarray, rows: np.ndarray, k: int) -> list[int]:
    """Greedy farthest point over ``rows`` of ``x``, starting around the vectors ``around``."""
    xx = x.astype(np.float64)
    d = np.sqrt(((xx[rows, None] - around[None].astype(np.float64)) ** 2).sum(-1)).min(1)
    out: list[int] = []
    for _ in range(k):
        j = int(np.argmax(d))
        out.append(int(rows[j]))
        d = np.minimum(d, np.sqrt(((xx[rows] - xx[rows[j]]) ** 2).sum(-1)))
    return out


def test_typical_budget_is_typiclusts_low_budget_regime() -> None:
    assert typical_budget(2000, 100) == 100  # 2,000 / 100 = 20 rows a cluster: all TypiClust
    assert typical_budget(2000, 110) == 100
    assert typical_budget(560, 50) == 28
    assert typical_budget(560, 10) == 10
    assert typical_budget(400, 30, n_labeled=10) == 10  # (400 + 10) // 20 - 10
    assert typical_budget(400, 30, n_labeled=40) == 0  # the pool alone fills the regime
    assert typical_budget(19, 5) == 0


@pytest.mark.parametrize("seed", [0, 5])
def test_low_budget_is_exactly_typiclust(seed: int) -> None:
    x = _blobs(400)
    got = select_points(x, 20, method="typiclust-fps", seed=seed)
    ref = select_points(x, 20, method="typiclust", seed=seed)
    np.testing.assert_array_equal(got.indices, ref.indices)
    assert got.info["typical"] == 20 and got.info["method"] == "typiclust-fps"


@pytest.mark.parametrize("seed", [0, 3])
def test_high_budget_is_typiclust_then_farthest_point_around_it(seed: int) -> None:
    x = _blobs(400, seed=1)
    k = 70
    got = select_points(x, k, method="typiclust-fps", seed=seed).indices
    first = select_points(x, 20, method="typiclust", seed=seed).indices
    np.testing.assert_array_equal(got[:20], first)
    rest = np.setdiff1d(np.arange(400), first)
    assert got[20:].tolist() == _numpy_fps(x, x[first], rest, k - 20)
    assert len(set(got.tolist())) == k


def test_labeled_pool_counts_toward_the_regime_and_is_covered_around() -> None:
    x = _blobs(400, seed=2)
    pool = _blobs(10, seed=3)
    got = select_points(x, 30, method="typiclust-fps", seed=0, labeled=pool)
    assert got.info["typical"] == 10
    first = got.indices[:10]
    rest = np.setdiff1d(np.arange(400), first)
    around = np.vstack([pool, x[first]])
    assert got.indices[10:].tolist() == _numpy_fps(x, around, rest, 20)


def test_constraints_after_carries_counts_and_blocks() -> None:
    groups = np.repeat([0, 1, 2], 5)
    times = np.tile(np.arange(5, dtype=np.float64), 3)
    c = Constraints(15, groups=groups, group_quota=2, times=times, min_gap_s=1.5)
    keep = np.setdiff1d(np.arange(15), [0, 1, 7])
    sub = c.after(np.array([0, 1, 7]), keep)
    # group 0 used its quota of 2 (rows 0, 1): its kept rows 2-4 are blocked; row 7 (group 1,
    # t = 2) blocks rows 6 and 8 by the time gap; group 2 is untouched
    blocked = set(keep[sub.blocked_initially()].tolist())
    assert blocked == {2, 3, 4, 6, 8}
    # group 1 has one pick counted: one more pick fills its quota and blocks the rest of it
    pos9 = int(np.flatnonzero(keep == 9)[0])
    assert set(keep[sub.on_pick(pos9)].tolist()) == {5, 6, 8, 9}
    assert sub.blocked_initially().size == 5 and c.blocked_initially().size == 0


def test_quota_holds_across_both_stages() -> None:
    x = _blobs(600, seed=4)
    groups = np.repeat(np.arange(10), 60)
    sel = select_points(x, 50, method="typiclust-fps", seed=1, groups=groups, group_quota=5)
    assert sel.info["typical"] == 30 and len(sel) == 50
    assert np.bincount(groups[sel.indices], minlength=10).tolist() == [5] * 10


def _long_tailed(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """10 Gaussian classes in 16-d, sizes decaying 50:1 (the eval's long-tailed setting)."""
    rng = np.random.default_rng(seed)
    sizes = np.maximum(2, np.round(200 * 50.0 ** (-np.arange(10) / 9))).astype(int)
    centers = rng.normal(size=(10, 16)) * 4
    y = np.repeat(np.arange(10), sizes)
    return (centers[y] + rng.normal(size=(y.size, 16))).astype(np.float32), y


def test_high_budget_on_long_tailed_data_reaches_the_tail_paired() -> None:
    """The claim behind the method (docs/quality.md): at k ~ 18 % of a long-tailed pool the FPS
    stage spends picks on the tail classes that TypiClust's density-following clusters leave
    with one or none. Paired over 10 pools: more tail picks in every one, no tail class lost."""
    gained = []
    for seed in range(10):
        x, y = _long_tailed(seed)
        k = int(0.18 * x.shape[0])
        both = select_points(x, k, method="typiclust-fps", seed=seed).indices
        typ = select_points(x, k, method="typiclust", seed=seed).indices
        tail = np.arange(5, 10)  # the 5 smallest classes
        assert np.isin(tail, y[both]).sum() >= np.isin(tail, y[typ]).sum()
        gained.append(int(np.isin(y[both], tail).sum() - np.isin(y[typ], tail).sum()))
    assert min(gained) > 0, gained
