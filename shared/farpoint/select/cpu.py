"""The CPU backend: exact greedy farthest point that skips the points a new pick cannot change.

:class:`CpuSelector` runs on :class:`farpoint.select.voronoi.VoronoiEngine` (explicit Voronoi
cells, sorted by distance; the default and the fast one). The older bucket engine below
(``CpuSelector(engine="buckets")``) is kept for comparison:

Algorithm 1 of the seed paper (§2.6) spends O(n·d) per pick streaming every vector through the
min-distance update, so a plain implementation is bound by memory bandwidth. This backend keeps
the same O(n) min-distance array but prunes with the triangle inequality:

* **Buckets.** Points are grouped by their nearest center (a pick or a labeled row: the Voronoi
  cells the algorithm already maintains), each cell sorted by distance to its center and cut
  into buckets of at most ``bucket_size`` points with an annulus ``[r_min, r_max]`` around the
  center and the bucket's max min-distance (with its lowest index, for the argmax). Buckets are
  rebuilt in O(n) whenever the number of centers has grown by ``growth``.
* **Bucket test.** For a new pick ``p`` at distance ``D`` from the bucket's center, every member
  is at least ``max(D - r_max, r_min - D)`` from ``p``; when that bound is >= the bucket's largest
  min-distance nothing in the bucket can change and the bucket is skipped.
* **Point tests.** A member at ``r_i`` from the bucket center is at least ``|D - r_i|`` from
  ``p``; a member whose nearest center is ``q`` is at least ``d(p, q) - sqrt(m_i)`` from ``p``
  (Elkan's bound). Only points passing both get a real distance.

Distances are accumulated in float64 from the float32 vectors (fused, no temporaries, no
``|x|^2 - 2x.y + |y|^2`` cancellation), so the state matches the reference to summation order and
:mod:`farpoint.select.greedy` settles ties exactly. Bounds use a 1e-9 relative safety margin, so
pruning never drops an update the dense loop would make beyond rounding. Kernels are numba,
parallel over buckets (``NUMBA_NUM_THREADS`` threads). Extra state: about 40 bytes per point, and
the vectors are only read, so a ``np.memmap`` works out of core.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from farpoint.select.base import Selection, validate_k, validate_start, validate_vectors
from farpoint.select.constraints import Constraints
from farpoint.select.greedy import run_greedy
from farpoint.select.voronoi import VoronoiEngine

_FM = {"reassoc", "contract"}
_MARGIN = 1e-9
_PARALLEL_MIN = 1 << 26


@nb.njit(parallel=True, cache=True, fastmath=_FM)
def _dense_update(x, c, cid, mind, owner):  # pragma: no cover - numba
    n, d = x.shape
    for i in nb.prange(n):
        mi = mind[i]
        if mi == -np.inf:
            continue
        s = 0.0
        for t in range(d):
            v = np.float64(x[i, t]) - c[t]
            s += v * v
        if s < mi:
            mind[i] = s
            owner[i] = cid


@nb.njit(parallel=True, cache=True, fastmath=_FM)
def _center_dists(centers, m, c, out):  # pragma: no cover - numba
    d = centers.shape[1]
    for q in nb.prange(m):
        s = 0.0
        for t in range(d):
            v = centers[q, t] - c[t]
            s += v * v
        out[q] = np.sqrt(s)


@nb.njit(cache=True)
def _rebuild(mind, owner, n_centers, bucket_size, perm, rr, bucket_of):  # pragma: no cover
    n = mind.shape[0]
    counts = np.zeros(n_centers + 1, np.int64)
    for i in range(n):
        bucket_of[i] = -1
        if mind[i] != -np.inf:
            counts[owner[i] + 1] += 1
    for q in range(n_centers):
        counts[q + 1] += counts[q]
    live = counts[n_centers]
    fill = counts[:n_centers].copy()
    for i in range(n):
        if mind[i] != -np.inf:
            o = owner[i]
            perm[fill[o]] = i
            rr[fill[o]] = np.sqrt(max(mind[i], 0.0))
            fill[o] += 1
    n_buckets = 0
    for q in range(n_centers):
        size = counts[q + 1] - counts[q]
        n_buckets += (size + bucket_size - 1) // bucket_size
    bstart = np.empty(n_buckets + 1, np.int64)
    bcenter = np.empty(n_buckets, np.int64)
    b = 0
    for q in range(n_centers):
        lo, hi = counts[q], counts[q + 1]
        if hi > lo:
            order = np.argsort(-rr[lo:hi])
            seg_p = perm[lo:hi][order]
            seg_r = rr[lo:hi][order]
            perm[lo:hi] = seg_p
            rr[lo:hi] = seg_r
        pos = lo
        while pos < hi:
            bstart[b] = pos
            bcenter[b] = q
            b += 1
            pos = min(pos + bucket_size, hi)
    bstart[n_buckets] = live
    brmax = np.empty(n_buckets, np.float64)
    brmin = np.empty(n_buckets, np.float64)
    bmax = np.empty(n_buckets, np.float64)
    barg = np.empty(n_buckets, np.int64)
    for b in range(n_buckets):
        lo, hi = bstart[b], bstart[b + 1]
        brmax[b] = rr[lo]
        brmin[b] = rr[hi - 1]
        best, arg = -np.inf, -1
        for pos in range(lo, hi):
            i = perm[pos]
            bucket_of[i] = b
            mi = mind[i]
            if mi > best or (mi == best and i < arg):
                best, arg = mi, i
        bmax[b] = best
        barg[b] = arg
    return bstart, bcenter, brmax, brmin, bmax, barg


@nb.njit(parallel=True, cache=True)
def _gather(x, perm, live, xp):  # pragma: no cover - numba
    d = x.shape[1]
    for pos in nb.prange(live):
        i = perm[pos]
        for t in range(d):
            xp[pos, t] = x[i, t]


@nb.njit(parallel=True, cache=True, fastmath=_FM)
def _pruned_update(
    x, xp, use_copy, c, cid, dcc, mind, owner, perm, rr, bstart, bcenter, brmax, brmin, bmax,
    barg, margin,
):  # pragma: no cover - numba
    d = x.shape[1]
    n_buckets = bcenter.shape[0]
    for b in nb.prange(n_buckets):
        mx = bmax[b]
        if mx <= 0.0:
            continue
        dist = dcc[bcenter[b]]
        lb = max(dist - brmax[b], brmin[b] - dist) - margin * (dist + brmax[b])
        if lb > 0.0 and lb * lb >= mx:
            continue
        best, arg = -np.inf, -1
        for pos in range(bstart[b], bstart[b + 1]):
            i = perm[pos]
            mi = mind[i]
            if mi > 0.0:
                a = abs(dist - rr[pos]) - margin * (dist + rr[pos])
                if not (a > 0.0 and a * a >= mi):
                    e = dcc[owner[i]] * (1.0 - margin)
                    if e * e < 4.0 * mi:
                        s = 0.0
                        if use_copy:
                            for t in range(d):
                                v = np.float64(xp[pos, t]) - c[t]
                                s += v * v
                        else:
                            for t in range(d):
                                v = np.float64(x[i, t]) - c[t]
                                s += v * v
                        if s < mi:
                            mind[i] = s
                            owner[i] = cid
                            mi = s
            if mi > best or (mi == best and i < arg):
                best, arg = mi, i
        bmax[b] = best
        barg[b] = arg


@nb.njit(cache=True)
def _rescan(buckets, mind, perm, bstart, bmax, barg):  # pragma: no cover - numba
    for b in buckets:
        best, arg = -np.inf, -1
        for pos in range(bstart[b], bstart[b + 1]):
            i = perm[pos]
            mi = mind[i]
            if mi > best or (mi == best and i < arg):
                best, arg = mi, i
        bmax[b] = best
        barg[b] = arg


@nb.njit(cache=True)
def _collect(thr, mind, perm, bstart, bmax):  # pragma: no cover - numba
    out = []
    for b in range(bmax.shape[0]):
        if bmax[b] >= thr:
            for pos in range(bstart[b], bstart[b + 1]):
                i = perm[pos]
                if mind[i] >= thr:
                    out.append(i)
    return np.array(out, dtype=np.int64)


class PrunedEngine:
    """Min-distance state with bucket pruning (see module docstring); float64 accumulation."""

    rel_tol = 1e-10
    exact_zero = True  # float64 squares of float32 differences never underflow

    def __init__(
        self,
        x: np.ndarray,
        max_centers: int,
        *,
        bucket_size: int = 256,
        growth: float = 2.0,
        copy: bool = True,
    ) -> None:
        n, d = x.shape
        self.x = x
        # a bucket-ordered copy makes the pruned pass stream; without it rows are gathered
        self.xp = np.empty((n, d), np.float32) if copy else np.empty((1, d), np.float32)
        self.use_copy = copy
        self.mind = np.full(n, np.inf)
        self.owner = np.zeros(n, np.int32)
        self.perm = np.empty(n, np.int64)
        self.rr = np.empty(n, np.float64)
        self.bucket_of = np.full(n, -1, np.int64)
        self.centers = np.empty((max_centers, d), np.float64)
        self.dcc = np.empty(max_centers, np.float64)
        self.m = 0
        self.bucket_size = bucket_size
        self.growth = growth
        self.next_rebuild = 1
        self.buckets: tuple[np.ndarray, ...] | None = None

    def _rebuild(self) -> None:
        self.buckets = _rebuild(
            self.mind, self.owner, self.m, self.bucket_size, self.perm, self.rr, self.bucket_of
        )
        if self.use_copy:
            _gather(self.x, self.perm, int(self.buckets[0][-1]), self.xp)
        self.next_rebuild = max(self.m + 1, int(self.m * self.growth))

    def add_center(self, center: np.ndarray) -> None:
        c = np.ascontiguousarray(center, np.float64)
        self.centers[self.m] = c
        cid = self.m
        self.m += 1
        if self.buckets is None:
            _dense_update(self.x, c, cid, self.mind, self.owner)
        else:
            _center_dists(self.centers, self.m, c, self.dcc)
            bstart, bcenter, brmax, brmin, bmax, barg = self.buckets
            _pruned_update(
                self.x, self.xp, self.use_copy, c, cid, self.dcc, self.mind, self.owner,
                self.perm, self.rr,
                bstart, bcenter, brmax, brmin, bmax, barg, _MARGIN,
            )
        if self.m >= self.next_rebuild:
            self._rebuild()

    def block(self, idx: np.ndarray) -> None:
        if idx.shape[0] == 0:
            return
        self.mind[idx] = -np.inf
        if self.buckets is not None:
            bs = np.unique(self.bucket_of[idx])
            bs = bs[bs >= 0]
            bstart, _, _, _, bmax, barg = self.buckets
            _rescan(bs, self.mind, self.perm, bstart, bmax, barg)

    def top(self, slack: float) -> tuple[float, np.ndarray]:
        assert self.buckets is not None
        bstart, _, _, _, bmax, barg = self.buckets
        if bmax.shape[0] == 0:
            return -np.inf, np.empty(0, np.int64)
        top = float(bmax.max())
        if top == -np.inf:
            return top, np.empty(0, np.int64)
        if top == 0.0 or slack == 0.0:
            hit = barg[bmax == top]
            return top, np.sort(hit)[:1] if top == 0.0 else np.sort(hit)
        cands = _collect(top - slack, self.mind, self.perm, bstart, bmax)
        return top, np.sort(cands)


class CpuSelector:
    """Exact pruned farthest point on CPU (numba, multi-threaded); picks equal the reference's."""

    name = "cpu"

    def __init__(
        self,
        *,
        engine: str = "voronoi",
        bucket_size: int = 256,
        growth: float = 4.0,
        threads: int | None = None,
    ) -> None:
        self.engine = engine
        self.bucket_size = bucket_size
        self.growth = growth
        self.threads = threads

    def select(
        self,
        vectors: np.ndarray,
        k: int,
        *,
        start: int = 0,
        labeled: np.ndarray | None = None,
        min_distance: float | None = None,
        constraints: Constraints | None = None,
    ) -> Selection:
        x = validate_vectors(vectors)
        n = x.shape[0]
        k = validate_k(k, n)
        start = validate_start(start, n)
        pool = _validate_pool(labeled, x.shape[1])
        n_pool = 0 if pool is None else pool.shape[0]
        if self.engine == "buckets":
            engine: PrunedEngine | VoronoiEngine = PrunedEngine(
                x, n_pool + k, bucket_size=self.bucket_size, growth=self.growth
            )
        else:
            engine = VoronoiEngine(x, n_pool + k, copy=not _is_mapped(x))
        # a pruned pass is short: below ~64M elements thread hand-offs cost more than they
        # save (badly so on a shared, loaded machine), so small inputs run on one thread
        big = n * x.shape[1] >= _PARALLEL_MIN
        max_threads = int(getattr(nb.config, "NUMBA_NUM_THREADS", 1))
        threads = self.threads or (max_threads if big else 1)
        before = nb.get_num_threads()
        nb.set_num_threads(max(1, min(threads, max_threads)))
        try:
            return run_greedy(
                engine, x, k, start=start, labeled=pool, min_distance=min_distance,
                constraints=constraints, backend=self.name,
            )
        finally:
            nb.set_num_threads(before)


def _validate_pool(labeled: np.ndarray | None, d: int) -> np.ndarray | None:
    from farpoint.errors import InputError

    if labeled is None or len(labeled) == 0:
        return None
    pool = validate_vectors(labeled, "labeled").astype(np.float64)
    if pool.shape[1] != d:
        raise InputError(f"labeled vectors have {pool.shape[1]} dims but the vectors have {d}")
    return pool


def _is_mapped(a: object) -> bool:
    """True when ``a`` (or an array it views) is a memory map: rows are then not copied."""
    while isinstance(a, np.ndarray):
        if isinstance(a, np.memmap):
            return True
        a = a.base
    import mmap

    return isinstance(a, mmap.mmap)
