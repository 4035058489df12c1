"""TypiClust: the most typical row of each of the largest uncovered k-means clusters.

Hacohen, Dekel, Weinshall, *Active Learning on a Budget: Opposite Strategies Suit High and Low
Budgets*, ICML 2022 (arXiv 2202.02794), Algorithm 1: cluster vectors and labeled pool into
``k + |L|`` clusters (:mod:`.clusters`; the best of up to 10 k-means runs while that stays
cheap, :func:`~.clusters.affordable_restarts`, as the paper's scikit-learn ``KMeans`` with 10
initialisations; measured in docs/quality.md); visit the clusters without a labeled vector,
largest first; from each take the row of highest typicality
``1 / mean_{j in kNN(i)} ||x_i - x_j||`` with ``K = min(20, size - 1)`` nearest neighbours
*within the cluster* (exact, FAISS flat per cluster).
A cluster larger than :data:`CAP` rows scores a seeded sample of ``CAP`` candidates against all
its members (O(CAP · size · d) instead of O(size^2 d)); the rest follow by distance to the
centroid. Quotas and time gaps take the most typical *eligible* member; further passes take the
next most typical (as :mod:`.kmeans`). Cost: k-means plus O(sum_c min(size_c, CAP) size_c d).
"""

from __future__ import annotations

import numpy as np

from farpoint.selection.base import Selection
from farpoint.selection.clusters import (
    affordable_restarts,
    cluster_order,
    kmeans,
    members_by_cluster,
)
from farpoint.selection.faiss_threads import faiss_threads
from farpoint.selection.ranked import finish, int_seed, labeled_pool, no_min_distance, round_robin
from farpoint.selection.registry import MethodContext

KNN = 20
CAP = 20_000


def typicality(x: np.ndarray, rows: np.ndarray, cand: np.ndarray | None = None) -> np.ndarray:
    """Typicality of ``cand`` (default: every row of ``rows``) among ``rows`` (module docstring).

    A lone row has typicality ``inf``."""
    import faiss

    cand = rows if cand is None else cand
    s = rows.shape[0]
    kn = min(KNN, s - 1)
    if kn <= 0:
        return np.full(cand.shape[0], np.inf)
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(np.ascontiguousarray(x[rows], np.float32))
    q = np.ascontiguousarray(x[cand], np.float32)
    with faiss_threads(float(cand.shape[0]) * s * x.shape[1]):
        dist, ids = index.search(q, kn + 1)
    own = rows[np.clip(ids, 0, s - 1)] == cand[:, None]
    none = ~own.any(axis=1)
    own[none, kn] = True
    d = np.sqrt(np.maximum(dist[~own].reshape(cand.shape[0], kn), 0.0)).mean(axis=1)
    with np.errstate(divide="ignore"):
        return 1.0 / d.astype(np.float64)


def ranked_members(x: np.ndarray, members: np.ndarray, seed: int) -> np.ndarray:
    """The members of one cluster, most typical first (ties: lowest row)."""
    if members.shape[0] <= CAP:
        t = typicality(x, members)
        return members[np.lexsort((members, -t))]
    rng = np.random.default_rng(seed)
    cand = np.sort(rng.choice(members, size=CAP, replace=False))
    t = typicality(x, members, cand)
    first = cand[np.lexsort((cand, -t))]
    rest = members[~np.isin(members, cand)]  # already in centroid-distance order
    return np.concatenate([first, rest])


def run(x: np.ndarray, k: int, ctx: MethodContext) -> Selection:
    """``k`` picks by TypiClust (see module docstring)."""
    no_min_distance(ctx.min_distance, "typiclust")
    pool = labeled_pool(ctx.labeled, x.shape[1])
    n_pool = 0 if pool is None else pool.shape[0]
    seed = int_seed(ctx.seed)
    restarts = affordable_restarts(x.shape[0] + n_pool, k + n_pool, x.shape[1])
    cl = kmeans(x, k + n_pool, seed=seed, pool=pool, restarts=restarts)
    n_clusters = cl.sizes.shape[0]
    lists = members_by_cluster(cl.assign, cl.sq, n_clusters)
    order = cluster_order(cl)
    ranked: list[np.ndarray] = []
    scored = 0
    for c in order:
        if scored >= k and ctx.constraints is None:
            ranked.append(lists[c])  # pass 1 stops before these: no need to score them
        else:
            ranked.append(ranked_members(x, lists[c], seed + int(c)))
            scored += int(lists[c].shape[0] > 0)
    picks, reason = round_robin(ranked, k, x.shape[0], ctx.constraints)
    return finish(
        x, picks, k, pool, "typiclust", reason, clusters=n_clusters, kmeans_restarts=restarts
    )
