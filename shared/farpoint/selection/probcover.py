"""ProbCover: greedy maximum coverage of delta-balls, delta chosen by the purity rule.

Yehuda, Dekel, Hacohen, Weinshall, *Active Learning Through a Covering Lens*, NeurIPS 2022
(arXiv 2205.11320). Each row covers the rows within ``delta`` of it; greedy picks the row whose
ball covers the most rows not yet covered (by earlier picks or the labeled pool). Once everything
is covered the rest are drawn at random (seeded), as in the paper.

delta (the paper's §4.2): pseudo-label the rows by k-means into ``k + |L|`` clusters
(:mod:`.clusters`; the paper uses the number of classes, unknown here, so the budget stands in);
a ball is *pure* when every row in it has its centre's pseudo-label; delta is the largest radius
at which at least ``ALPHA = 0.95`` of the balls are pure, i.e. the 5% quantile over rows of the
distance to the nearest row with another label. That distance is read off the kNN graph
(on at most 50,000 sampled rows); a row whose ``m`` neighbours all share its label counts as pure
up to its ``m``-th neighbour (a lower bound).

Balls are read off the same kNN graph (:mod:`.knn`), scaled to the budget as facility location's
(:func:`~farpoint.selection.knn.graph_scale`: ``m = max(20, 2 n / k)`` neighbours per row, on a
uniform sample of rows above 2e7 edges, coverage of the sample then estimating coverage of all):
the ball of ``j`` holds the rows that have ``j`` among their ``m`` nearest neighbours at distance
``< delta`` (exact balls when ``m >= n - 1`` and the graph is exact; truncated to the ``m``
nearest in dense regions otherwise). The greedy is
the lazy greedy of :mod:`.coverage` with 0/1 similarities: it returns the naive greedy's picks.
Cost: k-means + the kNN graph + O(nnz log n); memory O(n M).
"""

from __future__ import annotations

import numpy as np

from farpoint.selection.base import Selection
from farpoint.selection.clusters import kmeans
from farpoint.selection.coverage import lazy_greedy, reverse_graph
from farpoint.selection.knn import graph_scale, knn_graph
from farpoint.selection.ranked import (
    Eligible,
    finish,
    int_seed,
    labeled_pool,
    nearest_sq,
    no_min_distance,
)
from farpoint.selection.registry import MethodContext

ALPHA = 0.95
M = 20
PURITY_SAMPLE = 50_000


def purity_delta(
    sq: np.ndarray, idx: np.ndarray, labels: np.ndarray, alpha: float = ALPHA, *, rows=None
) -> float:
    """The largest delta with at least ``alpha`` of the balls (around ``rows``) pure."""
    rows = np.arange(sq.shape[0]) if rows is None else rows
    s, i = sq[rows], idx[rows]
    other = (i >= 0) & (labels[np.clip(i, 0, None)] != labels[rows][:, None])
    known = np.where(np.isfinite(s), s, -np.inf).max(axis=1, initial=0.0)
    first = np.where(other.any(axis=1), s[np.arange(len(rows)), other.argmax(axis=1)], known)
    r = np.sqrt(np.maximum(first, 0.0))
    r.sort()
    delta = float(r[int(np.floor((1.0 - alpha) * (r.shape[0] - 1)))])
    return delta


def run(x: np.ndarray, k: int, ctx: MethodContext) -> Selection:
    """``k`` picks by ProbCover (see module docstring)."""
    no_min_distance(ctx.min_distance, "probcover")
    pool = labeled_pool(ctx.labeled, x.shape[1])
    n = x.shape[0]
    n_pool = 0 if pool is None else pool.shape[0]
    seed = int_seed(ctx.seed)
    s, m = graph_scale(n, k, M)
    rows = None
    if s < n:
        rows = np.sort(np.random.default_rng(seed).choice(n, size=s, replace=False))
    sub = x if rows is None else np.ascontiguousarray(x[rows])
    sq, idx = knn_graph(sub, m, seed=seed)
    labels = kmeans(sub, k + n_pool, seed=seed, pool=pool).assign
    purity_rows = None
    if s > PURITY_SAMPLE:
        purity_rows = np.sort(np.random.default_rng(seed).choice(s, PURITY_SAMPLE, replace=False))
    delta = purity_delta(sq, idx, labels, rows=purity_rows)
    if not delta > 0:  # all sampled balls hold a duplicate of another label: smallest positive
        pos = sq[np.isfinite(sq) & (sq > 0)]
        delta = float(np.sqrt(pos.min())) if pos.size else 1.0
    sims = (sq < delta * delta).astype(np.float32)
    graph = reverse_graph(idx, sims)
    cur0 = np.zeros(s)
    if pool is not None:
        cur0 = (nearest_sq(sub, pool) < delta * delta).astype(np.float64)
    el = Eligible(n, ctx.constraints)
    picks, greedy = lazy_greedy(graph, cur0, k, el, ctx.seed, rows=rows)
    reason = "" if picks.shape[0] == k else "no eligible point left"
    return finish(
        x,
        picks,
        k,
        pool,
        "probcover",
        reason,
        greedy_picks=greedy,
        delta=delta,
        rows=s,
        neighbours=m,
    )
