"""The ``timeline`` method (equal-content-change pieces of each video, the most typical frame of
each) and the ``auto`` dispatch (timeline with times, TypiClust without): arc-length pieces
against a numpy oracle, where the picks go on synthetic footage (static vs changing halves,
scene cuts, glitches, several videos), the labeled pool, constraints and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from farpoint.selection import select_points
from farpoint.selection.auto import has_timeline
from farpoint.selection.timeline import (
    CLIP_PERCENTILE,
    TIME_WEIGHT,
    increments,
    pieces,
    sequences,
    split_budget,
)

FPS = 5.0


def _walk(n: int, step: float, d: int = 8, seed: int = 0, start=None) -> np.ndarray:
    """A random-walk trajectory of ``n`` frames with steps of length ``step``."""
    rng = np.random.default_rng(seed)
    dirs = rng.normal(size=(n, d))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    x = np.cumsum(np.vstack([np.zeros((1, d)), dirs[1:] * step]), axis=0)
    return (x + (0.0 if start is None else start)).astype(np.float32)


def _static(n: int, d: int = 8, seed: int = 0, noise: float = 1e-3, at=None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.zeros(d) if at is None else at
    return (base + noise * rng.normal(size=(n, d))).astype(np.float32)


def _times(n: int) -> np.ndarray:
    return np.arange(n) / FPS


def test_pieces_have_equal_arc_length() -> None:
    rng = np.random.default_rng(0)
    for trial in range(20):
        s = int(rng.integers(50, 400))
        speed = rng.uniform(0.05, 2.0, size=s) * (1 + 5 * (np.arange(s) > s // 2))
        arc = np.concatenate([[0.0], np.cumsum(speed[1:])])
        total, big = arc[-1], speed.max()
        q = int(rng.integers(1, max(2, int(total / (2 * big)))))  # pieces longer than a step
        b = pieces(arc, q)
        assert b[0] == 0 and b[-1] == s and (np.diff(b) >= 1).all()
        # boundary j sits at the first frame whose arc reaches j * total / q
        for j in range(1, q):
            assert arc[b[j]] >= j * total / q - 1e-9
            assert arc[b[j] - 1] < j * total / q
        lengths = np.diff(np.append(arc[b[:-1]], total))
        assert np.abs(lengths - total / q).max() <= big + 1e-9, trial


def test_pieces_keep_one_frame_each_across_a_jump() -> None:
    arc = np.array([0.0, 0.1, 0.2, 100.0, 100.1, 100.2])  # a cut: most arc in one step
    b = pieces(arc, 5)
    assert b.tolist()[0] == 0 and b[-1] == 6 and (np.diff(b) >= 1).all()
    assert pieces(arc, 10).tolist() == list(range(7))  # more pieces than frames: one each


def test_increments_equal_a_numpy_oracle() -> None:
    rng = np.random.default_rng(1)
    n = 300
    x = rng.normal(size=(n, 6)).astype(np.float32)
    groups = rng.integers(0, 4, size=n)
    times = rng.uniform(0, 60, size=n)
    order, t, starts = sequences(n, groups, times)
    u, clip = increments(x, order, t, starts)
    s_all, dt_all = np.zeros(n), np.zeros(n)
    for g in range(4):
        rows = np.flatnonzero(groups == g)
        rows = rows[np.argsort(times[rows], kind="stable")]
        s = np.linalg.norm(np.diff(x[rows].astype(np.float64), axis=0), axis=1)
        dt = np.diff(times[rows])
        c = np.percentile(s, CLIP_PERCENTILE)
        assert clip[g] == pytest.approx(c)
        s_all[rows[1:]] = np.minimum(s, c)
        dt_all[rows[1:]] = np.minimum(dt, np.percentile(dt, CLIP_PERCENTILE))
    rate = s_all.sum() / dt_all.sum()
    want = s_all + TIME_WEIGHT * rate * dt_all
    np.testing.assert_allclose(u, want[order], rtol=1e-6, atol=1e-9)


def test_changing_half_gets_more_picks_than_static_half() -> None:
    x = np.vstack([_static(100), _walk(100, 1.0, seed=1, start=10.0)])
    sel = select_points(x, 10, method="timeline", times=_times(200))
    changing = int((sel.indices >= 100).sum())
    assert changing >= 8 and 10 - changing >= 1


def test_static_footage_falls_back_to_equal_time() -> None:
    x = _static(200, noise=1.0)  # iid frames: content change ~ constant per frame
    sel = select_points(x, 5, method="timeline", times=_times(200))
    assert sorted((sel.indices // 40).tolist()) == [0, 1, 2, 3, 4]


def test_a_glitch_frame_neither_eats_the_budget_nor_is_picked() -> None:
    x = _static(200, noise=1.0)
    x[77] += 1000.0  # one corrupt frame: two huge steps
    sel = select_points(x, 5, method="timeline", times=_times(200))
    assert 77 not in sel.indices.tolist()
    assert sorted((sel.indices // 40).tolist()) == [0, 1, 2, 3, 4]


def test_both_shots_of_a_scene_cut_get_picks() -> None:
    a = _walk(150, 0.05, seed=2)
    b = _walk(50, 0.05, seed=3, start=50.0)  # a short second shot, far away
    x = np.vstack([a, b])
    for k in (3, 4, 8):  # the short shot holds a quarter of the footage
        sel = select_points(x, k, method="timeline", times=_times(200))
        shots = set((sel.indices >= 150).astype(int).tolist())
        assert shots == {0, 1}, k


def test_budget_is_split_across_videos_by_content() -> None:
    same = [_walk(200, 1.0, seed=4), _walk(100, 1.0, seed=5), _walk(100, 1.0, seed=6)]
    x = np.vstack(same)
    groups = np.repeat([9, 4, 7], [200, 100, 100])
    times = np.concatenate([_times(200), _times(100), _times(100)])
    perm = np.random.default_rng(0).permutation(400)  # rows out of video / time order
    sel = select_points(x[perm], 8, method="timeline", groups=groups[perm], times=times[perm])
    got = groups[perm][sel.indices]
    assert [int((got == g).sum()) for g in (9, 4, 7)] == [4, 2, 2]
    # equal length, one static and one changing: the changing one gets more
    x2 = np.vstack([_static(100), _walk(100, 1.0, seed=7, start=5.0)])
    g2 = np.repeat([0, 1], 100)
    t2 = np.concatenate([_times(100), _times(100)])
    sel2 = select_points(x2, 10, method="timeline", groups=g2, times=t2)
    assert int((g2[sel2.indices] == 1).sum()) >= 8
    quota = select_points(x2, 10, method="timeline", groups=g2, times=t2, group_quota=5)
    assert np.bincount(g2[quota.indices]).tolist() == [5, 5]


def test_split_budget() -> None:
    assert split_budget(np.array([3.0, 1.0]), np.array([100, 100]), 8).tolist() == [6, 2]
    assert split_budget(np.array([9.0, 1.0]), np.array([3, 100]), 8).tolist() == [3, 5]
    assert split_budget(np.array([0.0, 0.0]), np.array([2, 2]), 3).tolist() == [2, 1]
    assert split_budget(np.array([1.0, 1.0]), np.array([2, 2]), 9).tolist() == [2, 2]


@pytest.mark.parametrize("k", [1, 7, 60, 199, 200])
def test_k_distinct_rows(k: int) -> None:
    x = np.vstack([_static(80), _walk(120, 0.5, seed=8, start=3.0)])
    groups = np.repeat([0, 1], [80, 120])
    times = np.concatenate([_times(80), _times(120)])
    sel = select_points(x, k, method="timeline", groups=groups, times=times)
    assert len(sel) == k and len(set(sel.indices.tolist())) == k
    assert sel.indices.min() >= 0 and sel.indices.max() < 200
    assert not sel.stopped_early


def test_auto_dispatches_on_times() -> None:
    x = np.vstack([_static(100), _walk(100, 1.0, seed=9, start=10.0)])
    times = _times(200)
    on = select_points(x, 6, method="auto", times=times, seed=3)
    tl = select_points(x, 6, method="timeline", times=times)
    assert on.info["auto"] == "timeline" and on.info["method"] == "auto"
    np.testing.assert_array_equal(on.indices, tl.indices)
    off = select_points(x, 6, method="auto", seed=3)
    tc = select_points(x, 6, method="typiclust-fps", seed=3)
    assert off.info["auto"] == "typiclust-fps"
    np.testing.assert_array_equal(off.indices, tc.indices)
    # a folder of images: one source per image, all at time 0 -> no timeline
    images = select_points(x, 6, method="auto", seed=3, groups=np.arange(200), times=np.zeros(200))
    assert images.info["auto"] == "typiclust-fps"
    np.testing.assert_array_equal(images.indices, tc.indices)
    assert not has_timeline(200, np.arange(200), np.zeros(200))
    assert has_timeline(200, None, times) and not has_timeline(200, None, None)


@pytest.mark.parametrize("method", ["timeline", "auto"])
def test_labeled_pool_is_respected(method: str) -> None:
    x = _walk(200, 1.0, seed=10)
    times = _times(200)
    pool = x[:100].copy()  # the first half is labeled already
    sel = select_points(x, 5, method=method, times=times, labeled=pool)
    assert (sel.indices >= 100).all()
    assert np.isfinite(sel.distances).all() and (sel.distances > 0).all()
    assert sel.info["covered"] >= 1
    base = select_points(x, 5, method=method, times=times)
    assert (base.indices < 100).sum() >= 2


def test_time_gap_and_determinism() -> None:
    x = np.vstack([_walk(150, 0.3, seed=11), _walk(150, 0.3, seed=12, start=4.0)])
    groups = np.repeat([0, 1], 150)
    times = np.concatenate([_times(150), _times(150)])
    kw = dict(groups=groups, times=times, min_gap_s=2.0)
    a = select_points(x, 12, method="timeline", seed=0, **kw)
    b = select_points(x, 12, method="timeline", seed=99, **kw)
    np.testing.assert_array_equal(a.indices, b.indices)
    for g in (0, 1):
        t = np.sort(times[a.indices[groups[a.indices] == g]])
        assert (np.diff(t) >= 2.0 - 1e-9).all()
    assert len(set(a.indices.tolist())) == 12
