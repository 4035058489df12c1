"""The Voronoi-cell engine of the CPU backend: every internal path returns the reference's picks.

The default parameters only reach some paths on large inputs (buffer compaction, the fall-back
to a dense pass when a cell's head outgrows the free slots, the no-copy memmap mode), so these
tests force each one on small data and compare with the float64 reference.
"""

from __future__ import annotations

import numpy as np
import pytest

from farpoint.selection import farthest_point_reference
from farpoint.selection.constraints import Constraints
from farpoint.selection.greedy import run_greedy
from farpoint.selection.voronoi import VoronoiEngine


def _clustered(n: int = 3000, d: int = 12, seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(10, 3)) * 5
    z = centers[rng.integers(10, size=n)] + rng.normal(size=(n, 3)) * 0.4
    return (np.tanh(z) @ rng.normal(size=(3, d))).astype(np.float32)


def _duplicates() -> np.ndarray:
    rng = np.random.default_rng(7)
    base = rng.normal(size=(200, 6)).astype(np.float32)
    return base[rng.integers(200, size=1200)]


def _run(x: np.ndarray, k: int, engine: VoronoiEngine, **kw: object):
    return run_greedy(
        engine, x, k, start=kw.pop("start", 3), labeled=kw.pop("labeled", None),  # type: ignore[arg-type]
        min_distance=kw.pop("min_distance", None), constraints=kw.pop("constraints", None),  # type: ignore[arg-type]
        backend="cpu",
    )


@pytest.mark.parametrize("data", [_clustered, _duplicates])
@pytest.mark.parametrize(
    ("slack", "dense_frac", "copy"),
    [
        (0.5, 0.03, True),  # the defaults
        (0.01, 1.0, True),  # cells from the first pick on, tiny buffer: compactions, fall-backs
        (0.01, 1.0, False),  # the same without row copies (memmap mode)
        (0.5, 0.0, True),  # never laid out: dense passes only
    ],
)
def test_engine_paths_match_reference(data, slack: float, dense_frac: float, copy: bool) -> None:
    x = data()
    k = 300
    eng = VoronoiEngine(x, k, copy=copy, slack=slack, dense_frac=dense_frac)
    got = _run(x, k, eng)
    ref = farthest_point_reference(x, k, start=3)
    np.testing.assert_array_equal(got.indices, ref.indices)
    np.testing.assert_allclose(got.distances[1:], ref.distances[1:], rtol=1e-6)
    if dense_frac == 1.0:
        assert eng.stats["layouts"] >= 1 and eng.stats["compactions"] >= 1
        assert eng.stats["dense"] >= 2  # the first pick plus at least one fall-back
    if dense_frac == 0.0:
        assert eng.stats["layouts"] == 0


def test_engine_pool_min_distance_and_constraints() -> None:
    x = _clustered(2000, 8)
    pool = x[:25] + np.float32(0.02)
    groups = np.arange(2000) % 7
    times = np.arange(2000) / 10.0

    def cons() -> Constraints:
        return Constraints(2000, groups=groups, group_quota=6, times=times, min_gap_s=3.0)

    eng = VoronoiEngine(x, 25 + 60, slack=0.05, dense_frac=1.0)
    got = _run(x, 60, eng, labeled=pool.astype(np.float64), min_distance=0.05,
               constraints=cons())
    ref = farthest_point_reference(x, 60, labeled=pool, min_distance=0.05, constraints=cons())
    np.testing.assert_array_equal(got.indices, ref.indices)
    assert got.stopped_early == ref.stopped_early
    assert eng.stats["layouts"] >= 1


@pytest.mark.parametrize("L", [1, 7, 511, 512, 5000])
@pytest.mark.parametrize("kind", ["random", "ties", "equal", "zeros", "wide"])
def test_sort_segment_orders_like_lexsort(L: int, kind: str) -> None:
    """The packed-key radix sort of a cell segment: largest min-distance first, ties (also keys
    that agree in the packed bits but differ beyond them) by lowest index, rows follow."""
    from farpoint.selection.voronoi import _sort_segment

    rng = np.random.default_rng(L)
    if kind == "random":
        keys = rng.random(L) ** 2
    elif kind == "ties":
        keys = rng.integers(0, 5, size=L).astype(np.float64)
    elif kind == "equal":
        keys = np.full(L, 2.5)
    elif kind == "zeros":  # +0.0 and -0.0 are equal keys
        keys = np.where(rng.random(L) < 0.5, 0.0, -0.0)
        keys[rng.random(L) < 0.3] = 1.5
    else:  # huge span plus near-equal keys that only differ in their lowest bits
        keys = np.concatenate([[0.0, 1e300], 1.0 + np.arange(L) * 2.0**-52])[:L]
        rng.shuffle(keys)
    pad = 3
    smind = np.concatenate([np.full(pad, 9.0), keys, np.full(pad, 9.0)])
    sidx = np.concatenate([np.arange(pad), rng.permutation(10 * L + 10)[:L] + 100,
                           np.arange(pad)]).astype(np.int64)
    sx = np.repeat(sidx[:, None], 4, axis=1).astype(np.float32)
    want = np.lexsort((sidx[pad:-pad], -keys))
    exp_idx, exp_key = sidx[pad:-pad][want], keys[want]
    _sort_segment(pad, pad + L, sidx, smind, sx, True, np.empty(L + 1, np.int64))
    np.testing.assert_array_equal(sidx[pad:-pad], exp_idx)
    np.testing.assert_array_equal(smind[pad:-pad], exp_key)
    np.testing.assert_array_equal(sx[:, 0], sidx.astype(np.float32))  # rows moved with slots
    assert (sidx[:pad] == np.arange(pad)).all() and (smind[-pad:] == 9.0).all()
