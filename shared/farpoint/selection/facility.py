"""Facility location: picks that are representative *and* diverse.

Maximises ``f(S) = sum_i max_{j in S} s_ij`` (Cornuéjols, Fisher, Nemhauser 1977; as a data
summariser: Lin & Bilmes, *A Class of Submodular Functions for Document Summarization*, ACL 2011;
the apricot library, Schreiber et al., JMLR 2020, arXiv 1906.03543). Every row wants a pick
similar to it, so dense regions get picks first and outliers (which cover only themselves) last:
the opposite of greedy farthest point.

Here ``s_ij = exp(-d_ij^2 / sigma^2)`` on the sparse kNN graph (:mod:`.knn`, ``M`` neighbours per
row, plus ``s_ii = 1``), ``sigma^2`` the mean squared kNN distance; pairs outside the graph count
as 0, so memory is O(n M), never n x n (apricot's dense matrix stops near 1e5 rows). Lazy greedy
(:mod:`.coverage`) gives exactly the naive greedy's picks on that graph. A labeled pool is the
starting state: row ``i`` starts covered at ``exp(-d(i, pool)^2 / sigma^2)``. Quotas and time
gaps: ineligible rows still count as demand but are never picked. Cost: the kNN graph
(O(n^2 d) exact up to 20k rows, IVF above), then O(n M log n) for the greedy.
"""

from __future__ import annotations

import numpy as np

from farpoint.selection.base import Selection
from farpoint.selection.coverage import lazy_greedy, reverse_graph
from farpoint.selection.knn import knn_graph
from farpoint.selection.ranked import (
    Eligible,
    finish,
    int_seed,
    labeled_pool,
    nearest_sq,
    no_min_distance,
)
from farpoint.selection.registry import MethodContext

M = 10  # neighbours per row in the similarity graph


def facility_graph(
    x: np.ndarray, pool: np.ndarray | None, *, m: int = M, seed: int = 1234
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
    graph, cur0, sigma2 = facility_graph(x, pool, seed=int_seed(ctx.seed))
    el = Eligible(x.shape[0], ctx.constraints)
    picks, greedy = lazy_greedy(graph, cur0, k, el, ctx.seed)
    reason = "" if picks.shape[0] == k else "no eligible point left"
    return finish(x, picks, k, pool, "facility", reason, greedy_picks=greedy, sigma2=sigma2)
