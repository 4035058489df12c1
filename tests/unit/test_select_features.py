"""Selection features: quotas, time gaps, dedup, budget knee, memmap input, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from farpoint.errors import InputError
from farpoint.selection import (
    Constraints,
    farthest_point_reference,
    get_selector,
    select_points,
    suggest_budget,
)
from farpoint.selection.dedup import dedup


def _video_like(n_videos: int = 6, per: int = 300, d: int = 12, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_videos * per, d)).astype(np.float32)
    x[: per * 2] *= 4  # two "busy" videos would take most picks without quotas
    groups = np.repeat(np.arange(n_videos), per)
    times = np.tile(np.arange(per) / 10.0, n_videos)  # 10 fps
    return x, groups, times


@pytest.mark.parametrize("backend", ["reference", "cpu", "torch", "faiss"])
def test_group_quota_and_gap_hold(backend: str) -> None:
    x, groups, times = _video_like()
    sel = select_points(
        x, 60, method="fps", backend=backend, start=0, groups=groups, group_quota=8, times=times,
        min_gap_s=2.0,
    )
    counts = np.bincount(groups[sel.indices], minlength=6)
    assert counts.max() <= 8
    for g in range(6):
        t = np.sort(times[sel.indices[groups[sel.indices] == g]])
        assert (np.diff(t) >= 2.0).all()
    if backend != "reference":
        ref = select_points(
            x, 60, method="fps", backend="reference", start=0, groups=groups, group_quota=8,
            times=times,
            min_gap_s=2.0,
        )
        np.testing.assert_array_equal(sel.indices, ref.indices)


def test_quota_exhaustion_stops_early() -> None:
    x, groups, _ = _video_like()
    sel = select_points(x, 100, method="fps", backend="cpu", start=0, groups=groups, group_quota=3)
    assert len(sel) == 18 and sel.stopped_early
    assert sel.info["stop_reason"] == "no eligible point left"


def test_constrained_pick_is_farthest_eligible() -> None:
    x, groups, _ = _video_like()
    sel = farthest_point_reference(x, 10, start=0, constraints=Constraints(
        x.shape[0], groups=groups, group_quota=1))
    assert len(set(groups[sel.indices].tolist())) == len(sel) == 6


def test_dedup_exact_and_near() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(size=(50, 6)).astype(np.float32) * 10
    x = np.concatenate([base, base, base + np.float32(1e-3)])
    kept, rep = dedup(x, 0.0)
    np.testing.assert_array_equal(kept, np.r_[np.arange(50), np.arange(100, 150)])
    np.testing.assert_array_equal(rep[50:100], np.arange(50))
    kept, rep = dedup(x, 0.01)
    np.testing.assert_array_equal(kept, np.arange(50))
    np.testing.assert_array_equal(rep, np.tile(np.arange(50), 3))


def test_dedup_matches_brute_force() -> None:
    x = np.random.default_rng(3).uniform(size=(400, 3)).astype(np.float32)
    kept, rep = dedup(x, 0.08)
    d2 = ((x[:, None].astype(np.float64) - x[None]) ** 2).sum(-1)
    want_kept: list[int] = []
    for i in range(400):
        near = [j for j in want_kept if d2[i, j] <= 0.08**2]
        assert rep[i] == (near[0] if near else i)
        if not near:
            want_kept.append(i)
    np.testing.assert_array_equal(kept, want_kept)


def test_select_points_dedup_maps_back() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(size=(100, 5)).astype(np.float32)
    x = np.repeat(base, 5, axis=0)  # each row 5 times
    sel = select_points(x, 30, method="fps", backend="cpu", start=7, dedup=0.0)
    assert len(set(sel.indices.tolist())) == 30
    assert set(sel.indices.tolist()) <= set(sel.info["dedup_kept"].tolist())  # type: ignore[union-attr]
    assert sel.indices[0] == 5  # row 7 is a copy of row 5
    ref = farthest_point_reference(base, 30, start=1)
    np.testing.assert_array_equal(sel.indices, ref.indices * 5)


def test_suggest_budget_finds_knee() -> None:
    i = np.arange(1, 201, dtype=np.float64)
    curve = np.where(i <= 20, 100 - 4.5 * i, 10 - 0.04 * (i - 20))  # knee at 20
    assert suggest_budget(np.r_[np.inf, curve]) == 21  # +1 for the leading inf pick
    assert abs(suggest_budget(curve) - 20) <= 1
    with pytest.raises(InputError):
        suggest_budget(np.array([]))


def test_budget_on_clustered_data() -> None:
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(8, 5)) * 20)[rng.integers(8, size=2000)] + rng.normal(size=(2000, 5))
    sel = select_points(x.astype(np.float32), 100, method="fps", backend="cpu", start=0)
    assert 6 <= suggest_budget(sel.distances) <= 16  # eight clusters


@pytest.mark.parametrize("backend", ["cpu", "faiss"])
def test_memmap_input(tmp_path: Path, backend: str) -> None:
    x = np.random.default_rng(4).normal(size=(5000, 10)).astype(np.float32)
    np.save(tmp_path / "v.npy", x)
    mm = np.load(tmp_path / "v.npy", mmap_mode="r")
    got = get_selector(backend).select(mm, 100, start=2)
    np.testing.assert_array_equal(got.indices, farthest_point_reference(x, 100, start=2).indices)


@pytest.mark.parametrize("backend", ["reference", "cpu", "torch", "faiss"])
def test_bad_input_raises(backend: str) -> None:
    x = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(InputError):
        select_points(bad, 5, backend=backend)
    for k in (0, -1, 51):
        with pytest.raises(InputError):
            select_points(x, k, backend=backend)
    with pytest.raises(InputError):
        select_points(x[0], 1, backend=backend)
    with pytest.raises(InputError):
        select_points(x, 5, backend=backend, labeled=np.zeros((3, 5), np.float32))
    with pytest.raises(InputError):
        select_points(x, 5, backend=backend, groups=np.zeros(49), group_quota=2)
    with pytest.raises(InputError):
        select_points(x, 5, backend=backend, min_gap_s=1.0)
    with pytest.raises(InputError):
        select_points(x, 5, backend=backend, dedup=-1.0)
