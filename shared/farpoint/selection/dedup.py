"""Exact and near-duplicate removal before selection.

Video frames repeat: a static camera yields thousands of identical or nearly identical vectors,
and Algorithm 1 (seed paper §2.6) would spend picks telling them apart. ``dedup(x, radius)``
walks the rows in index order and drops a row when an earlier *kept* row lies within ``radius``
(Euclidean, float64); the kept rows are the selection's input. Every row gets a representative:
the lowest-index kept row within ``radius`` of it (itself if kept).

Exact duplicates are collapsed first by hashing the rows (one sort); near duplicates are then
found with a sweep along the data's principal direction: two rows within ``radius`` project
within ``radius`` of each other, so only that window is scanned. The sweep is exact; it is fast
when ``radius`` is small against the data's spread along that direction (the intended use) and
degrades towards O(n^2) when ``radius`` is as large as the data.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from farpoint.errors import InputError


@nb.njit(cache=True)
def _sweep(x, rows, proj, order, rank, radius):  # pragma: no cover - numba
    m = rows.shape[0]
    d = x.shape[1]
    r2 = radius * radius
    w = radius * (1.0 + 1e-9) + 1e-12
    rep = np.arange(m)
    for u in range(m):  # index order (rows is sorted)
        pu = proj[u]
        best = -1
        pos = rank[u]
        for step in (-1, 1):
            j = pos + step
            while 0 <= j < m:
                v = order[j]
                if abs(proj[v] - pu) > w:
                    break
                if v < u and rep[v] == v and (best < 0 or v < best):
                    s = 0.0
                    for t in range(d):
                        diff = np.float64(x[rows[u], t]) - np.float64(x[rows[v], t])
                        s += diff * diff
                    if s <= r2:
                        best = v
                j += step
        if best >= 0:
            rep[u] = best
    return rep


def dedup(x: np.ndarray, radius: float, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(kept, rep)``: kept row indices (ascending) and each row's kept representative."""
    if not np.isfinite(radius) or radius < 0:
        raise InputError(f"dedup radius must be a finite number >= 0; got {radius!r}")
    n, d = x.shape
    rowbytes = np.ascontiguousarray(x + np.float32(0.0))  # -0.0 and 0.0 hash alike
    view = rowbytes.view(np.dtype((np.void, d * rowbytes.itemsize))).ravel()
    _, first, inverse = np.unique(view, return_index=True, return_inverse=True)
    del rowbytes, view
    # unique rows in index order
    order_u = np.argsort(first, kind="stable")
    rows = first[order_u]
    pos_of_unique = np.empty_like(order_u)
    pos_of_unique[order_u] = np.arange(order_u.shape[0])
    if radius > 0 and rows.shape[0] > 1:
        sample = np.asarray(x[rows[:: max(1, rows.shape[0] // 4096)]], np.float64)
        sample = sample - sample.mean(axis=0)
        _, _, vt = np.linalg.svd(sample, full_matrices=False)
        direction = vt[0]
        proj = np.empty(rows.shape[0])
        for a in range(0, rows.shape[0], 65536):
            proj[a : a + 65536] = np.asarray(x[rows[a : a + 65536]], np.float64) @ direction
        order = np.argsort(proj, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.shape[0])
        rep_u = _sweep(x, rows, proj, order, rank, float(radius))
    else:
        rep_u = np.arange(rows.shape[0])
    rep = rows[rep_u[pos_of_unique[inverse.ravel()]]]
    kept = rows[rep_u == np.arange(rows.shape[0])]
    return kept.astype(np.int64), rep.astype(np.int64)
