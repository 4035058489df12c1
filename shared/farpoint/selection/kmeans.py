"""k-means: the row nearest each k-means centroid (representative picks).

Lloyd's k-means on FAISS (:mod:`.clusters`; Lloyd 1982, and as an active-learning baseline
e.g. Hacohen et al., arXiv 2202.02794, §5), then in each cluster the member nearest its centroid.
With a labeled pool (choice documented here): the clustering runs on vectors and pool together
into ``k + |L|`` clusters (as TypiClust does), clusters holding a labeled vector are skipped, and
the ``k`` largest uncovered clusters each give their member nearest the centroid. Quotas and time
gaps take the nearest *eligible* member; when a pass over the clusters leaves picks to make (empty
clusters, blocked rows, ``k == n``), the next pass takes each cluster's next-nearest member.
Cost: see :mod:`.clusters` (1e6 x 128, k = 1000: tens of seconds on 2 cores).
"""

from __future__ import annotations

import numpy as np

from farpoint.selection.base import Selection
from farpoint.selection.clusters import cluster_order, kmeans, members_by_cluster
from farpoint.selection.ranked import finish, int_seed, labeled_pool, no_min_distance, round_robin
from farpoint.selection.registry import MethodContext


def nearest_to_centroids(assign: np.ndarray, sq: np.ndarray, n_clusters: int) -> np.ndarray:
    """For each cluster its member nearest the centroid (-1 for an empty cluster)."""
    out = np.full(n_clusters, -1, np.int64)
    for c, members in enumerate(members_by_cluster(assign, sq, n_clusters)):
        if members.shape[0]:
            out[c] = members[0]
    return out


def run(x: np.ndarray, k: int, ctx: MethodContext) -> Selection:
    """``k`` picks: the members nearest the centroids of the largest uncovered clusters."""
    no_min_distance(ctx.min_distance, "kmeans")
    pool = labeled_pool(ctx.labeled, x.shape[1])
    n_pool = 0 if pool is None else pool.shape[0]
    cl = kmeans(x, k + n_pool, seed=int_seed(ctx.seed), pool=pool)
    n_clusters = cl.sizes.shape[0]
    lists = members_by_cluster(cl.assign, cl.sq, n_clusters)
    picks, reason = round_robin(
        [lists[c] for c in cluster_order(cl)], k, x.shape[0], ctx.constraints
    )
    return finish(x, picks, k, pool, "kmeans", reason, clusters=n_clusters)
