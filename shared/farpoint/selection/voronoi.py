"""Voronoi-cell state for exact greedy farthest point: a new pick only visits the cells it can cut.

Algorithm 1 of the seed paper (§2.6) updates every point's distance to its nearest pick after
each pick: O(n·d) per pick. That distance array already partitions the points into the Voronoi
cells of the picks (each point belongs to the pick that set its distance). This engine keeps the
cells explicit and uses the triangle inequality twice:

* **Cell test.** A point ``x`` of cell ``q`` with ``r_x = d(x, q)`` is at least ``d(q, p) - r_x``
  from a new pick ``p``, so it can only move to ``p`` when ``d(q, p) < 2 r_x``. With
  ``R_q = max r_x`` (the square root of the cell's largest min-distance, which the engine keeps
  anyway for the argmax) a cell with ``d(q, p) >= 2 R_q`` is skipped without reading it.
* **Point test.** In a visited cell only points with ``4 r_x^2 > d(q, p)^2`` get a distance.

Layout: one slot buffer (``n + n/2`` slots) holds every live point once, grouped by cell
(``start``, ``len`` per cell) with its index, its min-distance (float64) and a float32 copy of its
row, each cell sorted by min-distance, largest first (ties: lowest index first). So the cell's
max and argmax are its first slot, and the points a new pick can move are a *head* of the cell
found by binary search: only the head is read. Movers are appended to the new cell's segment at
the end of the buffer (then sorted once); the head's stayers slide toward the tail in order and
the cell's start moves past the holes. When the buffer end is reached the segments are slid
together in place. Picked and blocked points leave their cells.

Sorting (the new cell after each pick, every cell at a layout) packs each key's bits (the top
30 bits of its span in the segment) above the slot's position into one int64, sorts those with
an LSD radix sort (11-bit digits; plain sort below 512 slots), re-sorts the rare runs of equal
packed keys exactly (key, then index) and applies the permutation in place along its cycles,
rows included (scratch: the ``n`` float64 distance buffer, viewed as int64). The layout copies
rows in index order while it counts points into cells, then sorts each cell with its rows.

The first picks move most points; they run as *dense* passes over the rows in index order
(numba ``prange``, the same point test against the owner's distance) and the cells are laid out
(a counting sort by owner, then a sort per cell) once a pick moves fewer than ``dense_frac`` of
the points. A pick whose heads hold more than ``visit_frac`` of the points (data without cluster
structure, where the bounds prune little) sends the engine back to dense passes until the number
of picks has doubled. A pick whose cell head does not fit the free slots even after compaction
falls back to one dense pass and a new layout.

Distances are accumulated in float64 from float32 rows (no ``|x|^2 - 2x.y + |y|^2``
cancellation), so ``f`` matches the reference to summation order (``rel_tol``) and
:mod:`farpoint.selection.greedy` settles near-ties with the reference's own formula. Tests carry a
1e-9 relative safety margin.

Extra memory, per point: 8 (min-distance) + 4 (owner) + 8 (scratch distances) bytes, plus the
slot buffer, ``1.5 x (8 + 8 + 4d)`` bytes (index, min-distance, row copy): 156 bytes per point at
d=20, 792 at d=128. With ``copy=False`` (used for ``np.memmap`` input) the buffer holds no rows,
visited rows are read from the input in place, and the extra state is O(n): 44 bytes per point.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_FM = {"reassoc", "contract"}
_MARGIN = 1e-9


@nb.njit(cache=True, fastmath=_FM)
def _sq(a, b):  # pragma: no cover - numba
    s = 0.0
    for t in range(a.shape[0]):
        v = np.float64(a[t]) - b[t]
        s += v * v
    return s


@nb.njit(cache=True, inline="always")
def _copy_row(sx, src, dst):  # pragma: no cover - numba
    for t in range(sx.shape[1]):
        sx[dst, t] = sx[src, t]


@nb.njit(parallel=True, cache=True, fastmath=_FM)
def _dense_pass(x, c, cid, dcc, mind, owner, margin):  # pragma: no cover - numba
    """One dense update in index order; returns how many points moved to ``cid``."""
    n = x.shape[0]
    moved = 0
    for i in nb.prange(n):
        mi = mind[i]
        if not mi > 0.0:
            continue
        if mi != np.inf:
            e = dcc[owner[i]] * (1.0 - margin)
            if e * e >= 4.0 * mi:
                continue
        s = _sq(x[i], c)
        if s < mi:
            mind[i] = s
            owner[i] = cid
            moved += 1
    return moved


@nb.njit(parallel=True, cache=True, fastmath=_FM)
def _center_dists(centers, m, c, out):  # pragma: no cover - numba
    for q in nb.prange(m):
        out[q] = np.sqrt(_sq(centers[q], c))


_KEY_BITS = 30
_DIGIT = 11


@nb.njit(cache=True)
def _radix(v, kmax, sh):  # pragma: no cover - numba
    """Sort nonnegative ``v`` (< ``(kmax + 1) << sh``) in place: LSD radix, 11-bit digits."""
    L = v.shape[0]
    nbits = sh
    while (kmax >> (nbits - sh)) > 0:
        nbits += 1
    src = v
    dst = np.empty(L, np.int64)
    cnt = np.empty(1 << _DIGIT, np.int64)
    dm = (1 << _DIGIT) - 1
    swapped = False
    p = 0
    while p < nbits:
        cnt[:] = 0
        for j in range(L):
            cnt[(src[j] >> p) & dm] += 1
        acc = 0
        for t in range(1 << _DIGIT):
            c = cnt[t]
            cnt[t] = acc
            acc += c
        for j in range(L):
            b = (src[j] >> p) & dm
            dst[cnt[b]] = src[j]
            cnt[b] += 1
        src, dst = dst, src
        swapped = not swapped
        p += _DIGIT
    if swapped:
        v[:] = src


@nb.njit(cache=True)
def _order_keys(keys, idx, order):  # pragma: no cover - numba
    """Write to ``order[:L]`` the permutation sorting ``keys`` (min-distances, >= 0) largest
    first, ties by lowest ``idx``.

    One in-place integer sort of packed words (the top ``_KEY_BITS`` bits of ``max - key`` in
    the bit patterns, which order like the values for floats >= 0, above the position), then
    each run of equal packed keys is re-sorted exactly. ``order`` is caller-owned scratch (no
    large allocation per call)."""
    L = keys.shape[0]
    sh = 1
    while (1 << sh) < L:
        sh += 1
    mask = np.int64((1 << sh) - 1)
    bits = keys.view(np.int64)  # nonnegative floats order like their bits (-0.0 as +0.0)
    bmin, bmax = max(bits[0], 0), max(bits[0], 0)
    for j in range(L):
        bmin = min(bmin, max(bits[j], 0))
        bmax = max(bmax, bits[j])
    r = 0  # keep the top _KEY_BITS bits of the key span (ties of those are re-sorted below)
    while ((bmax - bmin) >> r) >= (1 << _KEY_BITS):
        r += 1
    packed = order[:L]
    for j in range(L):
        packed[j] = (((bmax - max(bits[j], 0)) >> r) << sh) | j
    if L < 512:
        packed.sort()
    else:
        _radix(packed, (bmax - bmin) >> r, sh)
    lo = 0
    while lo < L:
        hi = lo + 1
        p = packed[lo] >> sh
        while hi < L and (packed[hi] >> sh) == p:
            hi += 1
        if hi - lo > 1:  # exact order inside the run: key, then index
            run = packed[lo:hi] & mask
            run = run[np.argsort(-keys[run])]
            rk = keys[run]
            a = 0
            while a < hi - lo:
                b = a + 1
                while b < hi - lo and rk[b] == rk[a]:
                    b += 1
                if b - a > 1:
                    run[a:b] = run[a:b][np.argsort(idx[run[a:b]])]
                a = b
            packed[lo:hi] = run
        lo = hi
    for j in range(L):
        packed[j] &= mask


@nb.njit(cache=True)
def _sort_segment(a, b, sidx, smind, sx, use_copy, scratch):  # pragma: no cover - numba
    """Sort slots ``a..b`` by min-distance, largest first, ties by lowest index (in place,
    following the permutation's cycles; ``scratch``: int64, at least ``b - a`` long)."""
    L = b - a
    if L <= 1:
        return
    _order_keys(smind[a:b], sidx[a:b], scratch)
    d = sx.shape[1]
    tmp = np.empty(d, sx.dtype)
    for j0 in range(L):
        src = scratch[j0]
        if src < 0 or src == j0:
            scratch[j0] = -1
            continue
        ti, tm = sidx[a + j0], smind[a + j0]
        if use_copy:
            for t in range(d):
                tmp[t] = sx[a + j0, t]
        j = j0
        while src != j0:  # slot j takes the item at src, then src's slot is filled next
            sidx[a + j] = sidx[a + src]
            smind[a + j] = smind[a + src]
            if use_copy:
                _copy_row(sx, a + src, a + j)
            scratch[j] = -1
            j = src
            src = scratch[j]
        sidx[a + j] = ti
        smind[a + j] = tm
        if use_copy:
            for t in range(d):
                sx[a + j, t] = tmp[t]
        scratch[j] = -1


@nb.njit(cache=True)
def _layout(x, use_copy, mind, owner, m, sidx, smind, sx, cstart, clen, cmax, carg, scratch):
    """Counting sort of the live points by owner into the slot buffer, each cell sorted by
    min-distance (largest first, ties by index); returns the buffer top."""  # noqa: D401
    n = mind.shape[0]
    for q in range(m):
        clen[q] = 0
    for i in range(n):
        if mind[i] != -np.inf:
            clen[owner[i]] += 1
    acc = 0
    for q in range(m):
        cstart[q] = acc
        acc += clen[q]
        clen[q] = 0
    for i in range(n):
        if mind[i] != -np.inf:
            q = owner[i]
            s = cstart[q] + clen[q]
            clen[q] += 1
            sidx[s] = i
            smind[s] = mind[i]
            if use_copy:  # rows read in index order, written to m streams
                for t in range(x.shape[1]):
                    sx[s, t] = x[i, t]
    for q in range(m):
        a = cstart[q]
        _sort_segment(a, a + clen[q], sidx, smind, sx, use_copy, scratch)
        _head(q, cstart, clen, smind, sidx, cmax, carg)
    return acc


@nb.njit(cache=True)
def _head(q, cstart, clen, smind, sidx, cmax, carg):  # pragma: no cover - numba
    if clen[q] > 0:
        cmax[q] = smind[cstart[q]]
        carg[q] = sidx[cstart[q]]
    else:
        cmax[q] = -np.inf
        carg[q] = -1


@nb.njit(cache=True)
def _unlayout(sidx, smind, m, cstart, clen, mind):  # pragma: no cover - numba
    for q in range(m):
        for s in range(cstart[q], cstart[q] + clen[q]):
            mind[sidx[s]] = smind[s]


@nb.njit(cache=True)
def _compact(use_copy, m, sidx, smind, sx, cstart, clen):  # pragma: no cover - numba
    """Slide the cell segments together in place (in order of their start); new buffer top."""
    order = np.argsort(cstart[:m], kind="mergesort")
    w = 0
    for j in range(m):
        q = order[j]
        a, ln = cstart[q], clen[q]
        if a != w:
            for t in range(ln):
                s, u = a + t, w + t
                i = sidx[s]
                sidx[u] = i
                smind[u] = smind[s]
                if use_copy:
                    _copy_row(sx, s, u)
        cstart[q] = w
        w += ln
    return w


@nb.njit(cache=True)
def _prefix(smind, a, L, e2):  # pragma: no cover - numba
    """How many leading slots of a sorted cell satisfy ``4 m > e2`` (binary search)."""
    lo, hi = 0, L
    while lo < hi:
        mid = (lo + hi) >> 1
        if 4.0 * smind[a + mid] > e2:
            lo = mid + 1
        else:
            hi = mid
    return lo


@nb.njit(cache=True, fastmath=_FM)
def _visit(x, use_copy, c, cid, dcc, margin, q0, top, cap, sidx, smind, sx, owner, cstart,
           clen, cmax, carg, counts, buf):  # pragma: no cover - numba
    """Update the cells ``q0..cid-1`` the new pick ``cid`` can cut (their head only: cells are
    sorted by min-distance); movers are appended to the new cell's segment ``cstart[cid]..top``.
    Stops before a cell whose head exceeds the free slots and returns ``(top, q)``;
    ``q == cid`` when done."""
    for q in range(q0, cid):
        mx = cmax[q]
        if not mx > 0.0:
            continue
        e = dcc[q] * (1.0 - margin)
        e2 = e * e
        if e2 >= 4.0 * mx:
            continue
        a = cstart[q]
        P = _prefix(smind, a, clen[q], e2)
        if P > cap - top:
            return top, q
        counts[0] += P
        counts[2] += 1
        # distances first (a tight loop over contiguous rows), then the moves
        if use_copy:
            for s in range(P):
                buf[s] = _sq(sx[a + s], c)
        else:
            for s in range(P):
                buf[s] = _sq(x[sidx[a + s]], c)
        w = a + P - 1
        for s in range(a + P - 1, a - 1, -1):  # stayers slide toward the tail, order kept
            mi = smind[s]
            i = sidx[s]
            ds = buf[s - a]
            if ds < mi:
                sidx[top] = i
                smind[top] = ds
                owner[i] = cid
                if use_copy:
                    _copy_row(sx, s, top)
                top += 1
            else:
                if w != s:
                    sidx[w] = i
                    smind[w] = mi
                    if use_copy:
                        _copy_row(sx, s, w)
                w -= 1
        moved = w - a + 1
        counts[1] += moved
        cstart[q] = a + moved
        clen[q] -= moved
        _head(q, cstart, clen, smind, sidx, cmax, carg)
    return top, cid


@nb.njit(cache=True)
def _block(idx, mind, owner, smind, sidx, sx, use_copy, cstart, clen, cmax, carg):
    """Drop points ``idx`` (already ``-inf`` in ``mind``) from their cells, keeping each cell's
    order. One point (the usual pick) is searched from its cell's tail, where distance 0
    sits; several are removed by one pass over each cell they touch."""
    if idx.shape[0] == 1:
        i = idx[0]
        q = owner[i]
        a = cstart[q]
        end = a + clen[q]
        for s in range(end - 1, a - 1, -1):
            if sidx[s] == i:
                for u in range(s, end - 1):
                    sidx[u] = sidx[u + 1]
                    smind[u] = smind[u + 1]
                    if use_copy:
                        _copy_row(sx, u + 1, u)
                clen[q] -= 1
                _head(q, cstart, clen, smind, sidx, cmax, carg)
                return
        return
    touched = np.empty(idx.shape[0], np.int64)
    for j in range(idx.shape[0]):
        touched[j] = owner[idx[j]]
    for q in np.unique(touched):
        a = cstart[q]
        w = a
        for s in range(a, a + clen[q]):
            i = sidx[s]
            if mind[i] == -np.inf:
                continue
            if w != s:
                sidx[w] = i
                smind[w] = smind[s]
                if use_copy:
                    _copy_row(sx, s, w)
            w += 1
        clen[q] = w - a
        _head(q, cstart, clen, smind, sidx, cmax, carg)


@nb.njit(cache=True)
def _top(m, cmax, carg):  # pragma: no cover - numba
    best, arg = -np.inf, -1
    for q in range(m):
        v = cmax[q]
        if v > best or (v == best and v != -np.inf and carg[q] < arg):
            best, arg = v, carg[q]
    return best, arg


@nb.njit(cache=True)
def _collect(thr, m, cmax, cstart, clen, smind, sidx):  # pragma: no cover - numba
    out = []
    for q in range(m):
        if cmax[q] >= thr:
            for s in range(cstart[q], cstart[q] + clen[q]):
                if not smind[s] >= thr:
                    break
                out.append(sidx[s])
    return np.sort(np.array(out, dtype=np.int64))


class VoronoiEngine:
    """Exact min-distance state over explicit Voronoi cells (see module docstring).

    Implements the engine protocol of :mod:`farpoint.selection.greedy`.
    """

    rel_tol = 1e-10
    exact_zero = True  # float64 squares of float32 differences never underflow

    def __init__(
        self,
        x: np.ndarray,
        max_centers: int,
        *,
        copy: bool = True,
        slack: float = 0.5,
        dense_frac: float = 0.03,
        visit_frac: float = 0.5,
    ) -> None:
        n, d = x.shape
        self.x = x
        self.n = n
        self.use_copy = copy
        self.dense_frac = dense_frac
        self.visit_frac = visit_frac
        self.retry_at = 0
        self.cap = n + max(1, int(n * slack))
        self.mind = np.full(n, np.inf)
        self.owner = np.zeros(n, np.int32)
        self.centers = np.empty((max_centers, d), np.float64)
        self.dcc = np.empty(max_centers, np.float64)
        self.m = 0
        self.laid_out = False
        self.top_slot = 0
        # slot buffer and per-cell state, allocated at the first layout
        self.sidx = np.empty(0, np.int64)
        self.smind = np.empty(0, np.float64)
        self.buf = np.empty(0, np.float64)
        self.sx = np.empty((1, d), np.float32)
        self.cstart = np.zeros(max_centers, np.int64)
        self.clen = np.zeros(max_centers, np.int64)
        self.cmax = np.full(max_centers, -np.inf)
        self.carg = np.full(max_centers, -1, np.int64)
        self.stats = {"dense": 0, "layouts": 0, "compactions": 0}
        self.counts = np.zeros(3, np.int64)  # distances, moves, cells read (visits only)

    # -- layout -------------------------------------------------------------------------
    def _lay_out(self) -> None:
        if self.sidx.shape[0] == 0:
            self.sidx = np.empty(self.cap, np.int64)
            self.smind = np.empty(self.cap, np.float64)
            self.buf = np.empty(self.n, np.float64)
            if self.use_copy:
                self.sx = np.empty((self.cap, self.x.shape[1]), np.float32)
        self.top_slot = _layout(
            self.x, self.use_copy, self.mind, self.owner, self.m, self.sidx, self.smind, self.sx,
            self.cstart, self.clen, self.cmax, self.carg, self.buf.view(np.int64),
        )
        self.laid_out = True
        self.stats["layouts"] += 1

    def _dense(self, c: np.ndarray, cid: int) -> None:
        if self.laid_out:
            _unlayout(self.sidx, self.smind, cid, self.cstart, self.clen, self.mind)
            self.laid_out = False
        moved = _dense_pass(self.x, c, cid, self.dcc, self.mind, self.owner, _MARGIN)
        self.stats["dense"] += 1
        if moved < self.dense_frac * self.n and self.m >= self.retry_at:
            self._lay_out()

    # -- engine protocol -----------------------------------------------------------------
    def add_center(self, center: np.ndarray) -> None:
        c = np.ascontiguousarray(center, np.float64)
        cid = self.m
        self.centers[cid] = c
        _center_dists(self.centers, cid, c, self.dcc)
        self.m += 1
        if not self.laid_out:
            self._dense(c, cid)
            return
        self.cstart[cid] = self.top_slot
        before = int(self.counts[0])
        q, stuck = 0, -1
        while True:
            self.top_slot, q = _visit(
                self.x, self.use_copy, c, cid, self.dcc, _MARGIN, q, self.top_slot, self.cap,
                self.sidx, self.smind, self.sx, self.owner, self.cstart, self.clen,
                self.cmax, self.carg, self.counts, self.buf,
            )
            self.clen[cid] = self.top_slot - self.cstart[cid]
            if q == cid:
                break
            if q == stuck:  # one cell's head is larger than the slack: one dense pass
                _unlayout(self.sidx, self.smind, cid + 1, self.cstart, self.clen, self.mind)
                self.laid_out = False
                self.retry_at = 2 * self.m
                self._dense(c, cid)
                return
            # out of slots: slide the segments together (the new cell's too) and go on
            self.top_slot = _compact(
                self.use_copy, cid + 1, self.sidx, self.smind, self.sx, self.cstart,
                self.clen,
            )
            self.stats["compactions"] += 1
            stuck = q
        a = int(self.cstart[cid])
        _sort_segment(
            a, self.top_slot, self.sidx, self.smind, self.sx, self.use_copy,
            self.buf.view(np.int64),
        )
        _head(cid, self.cstart, self.clen, self.smind, self.sidx, self.cmax, self.carg)
        if int(self.counts[0]) - before > self.visit_frac * self.n:
            # pruning does not pay here (no cluster structure): dense passes until the number
            # of picks has doubled, then try the cells again
            _unlayout(self.sidx, self.smind, cid + 1, self.cstart, self.clen, self.mind)
            self.laid_out = False
            self.retry_at = 2 * self.m

    def block(self, idx: np.ndarray) -> None:
        if idx.shape[0] == 0:
            return
        idx = np.ascontiguousarray(idx, np.int64)
        if not self.laid_out:
            self.mind[idx] = -np.inf
            return
        self.mind[idx] = -np.inf  # kept for a fall-back to dense passes
        _block(idx, self.mind, self.owner, self.smind, self.sidx, self.sx, self.use_copy,
               self.cstart, self.clen, self.cmax, self.carg)

    def top(self, slack: float) -> tuple[float, np.ndarray]:
        if not self.laid_out:
            j = int(np.argmax(self.mind))
            top = float(self.mind[j])
            if top == -np.inf:
                return top, np.empty(0, np.int64)
            if slack == 0.0 or top == 0.0:
                return top, np.asarray([j], np.int64)
            return top, np.flatnonzero(self.mind >= top - slack)
        top, arg = _top(self.m, self.cmax, self.carg)
        if top == -np.inf:
            return top, np.empty(0, np.int64)
        if slack == 0.0 or top == 0.0:
            return top, np.asarray([arg], np.int64)
        return top, _collect(
            top - slack, self.m, self.cmax, self.cstart, self.clen, self.smind, self.sidx
        )
