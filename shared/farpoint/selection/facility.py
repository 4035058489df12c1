"""Facility location: picks that are representative *and* diverse.

Maximises ``f(S) = sum_i max_{j in S} s_ij`` (Cornuéjols, Fisher, Nemhauser 1977; as a data
summariser: Lin & Bilmes, *A Class of Submodular Functions for Document Summarization*, ACL 2011;
the apricot library, Schreiber et al., JMLR 2020, arXiv 1906.03543). Every row wants a pick
similar to it, so dense regions get picks first and outliers (which cover only themselves) last:
the opposite of greedy farthest point.

Here ``s_ij = exp(-d_ij^2 / sigma^2)`` on a sparse kNN graph (:mod:`.knn`, plus ``s_ii = 1``),
``sigma^2`` the mean squared kNN distance; pairs outside the graph count as 0, so memory is
O(edges), never n x n (apricot's dense matrix stops near 1e5 rows). The graph's reach must match
the budget: each pick stands for ~n/k rows, so each row keeps ``m = max(10, 2 n / k)``
neighbours (a 10-NN graph at k = 100 of 1e5 rows would let every pick cover ~10 rows and the
greedy would pile its picks into the densest spot). Above ``knn.EDGE_BUDGET`` edges the
objective is evaluated on a uniform sample of ``s = sqrt(EDGE_BUDGET k / 2)`` rows (demand and
candidates; ``m = 2 s / k``), a Monte-Carlo estimate of the sum over all rows; picks missing
once the sample is covered or blocked come from all eligible rows at random (seeded). Lazy
greedy (:mod:`.coverage`) gives exactly the naive greedy's picks on that graph. A labeled pool
is the starting state: row ``i`` starts covered at ``exp(-d(i, pool)^2 / sigma^2)``. Quotas and
time gaps: ineligible rows still count as demand but are never picked. Cost: the kNN graph
(O(s^2 d) exact up to 20k rows, IVF above) + O(s m log s) for the greedy; memory ~40 B/edge
at peak (:data:`~farpoint.selection.knn.EDGE_BUDGET` = 2e7 edges: < 1 GB).
"""

from __future__ import annotations

import numpy as np

from farpoint.selection.base import Selection
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

M_MIN = 10  # neighbours per row in the similarity graph, at least


def facility_graph(
    x: np.ndarray, pool: np.ndarray | None, *, m: int = M_MIN, seed: int = 1234
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, float]:
    """The sparse similarity graph (reverse CSR), the starting coverage and ``sigma^2``."""
    sq, idx = knn_graph(x, m, seed=seed)
    finite = np.isfinite(sq)
    sigma2 = float(sq[finite].mean()) if finite.any() else 0.0
    if not sigma2 > 0:
        sigma2 = 1.0  # every neighbour is a duplicate: any positive scale gives the same picks
    sims = np.where(finite, np.exp(-np.where(finite, sq, 0.0) / sigma2), 0.0)
    cur0 = np.zeros(x.shape[0])
    if pool is not None:
        cur0 = np.exp(-nearest_sq(x, pool) / sigma2)
    return reverse_graph(idx, sims), cur0, sigma2


def run(x: np.ndarray, k: int, ctx: MethodContext) -> Selection:
    """``k`` picks by lazy greedy facility location (see module docstring)."""
    no_min_distance(ctx.min_distance, "facility")
    pool = labeled_pool(ctx.labeled, x.shape[1])
    n = x.shape[0]
    seed = int_seed(ctx.seed)
    s, m = graph_scale(n, k, M_MIN)
    rows = None
    if s < n:
        rows = np.sort(np.random.default_rng(seed).choice(n, size=s, replace=False))
    sub = x if rows is None else np.ascontiguousarray(x[rows])
    graph, cur0, sigma2 = facility_graph(sub, pool, m=m, seed=seed)
    el = Eligible(n, ctx.constraints)
    picks, greedy = lazy_greedy(graph, cur0, k, el, ctx.seed, rows=rows)
    reason = "" if picks.shape[0] == k else "no eligible point left"
    return finish(
        x,
        picks,
        k,
        pool,
        "facility",
        reason,
        greedy_picks=greedy,
        sigma2=sigma2,
        rows=s,
        neighbours=m,
    )
