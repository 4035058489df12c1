"""FAISS k-means shared by ``kmeans``, ``typiclust`` and ProbCover's pseudo-labels.

Lloyd's k-means (FAISS ``Kmeans``: k-means++-free random init, ``niter`` iterations, empty
clusters re-split) fit on at most ``128 * K`` rows sampled with the seed, then every row assigned
to its nearest centroid (exact, FAISS ``IndexFlatL2``, in blocks). With a labeled pool the
clustering runs on vectors and pool together (TypiClust's ``|L| + B`` clusters), and
``covered[c]`` says cluster ``c`` holds a labeled vector. ``restarts`` > 1 keeps the best of that
many runs (FAISS ``nredo``, lowest objective); :func:`affordable_restarts` gives up to
:data:`RESTARTS` while the training work stays under :data:`RESTART_WORK` multiply-adds (TypiClust
uses it: its paper clusters with scikit-learn's ``KMeans``, 10 initialisations, at low budgets).
Time O(128 K^2 d niter restarts + n K d); memory O(n + K d) beyond the input (the training sample
is at most 128 K rows).
See Johnson, Douze, Jégou, arXiv 1702.08734.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from farpoint.selection.faiss_threads import faiss_threads

MAX_POINTS_PER_CENTROID = 128
RESTARTS = 10  # scikit-learn KMeans' n_init of TypiClust's code
RESTART_WORK = 2e10  # multiply-adds all restarts together may cost (a few CPU-seconds)


@dataclass(frozen=True)
class Clustering:
    centroids: np.ndarray  # (K, d) float32
    assign: np.ndarray  # (n,) int64: each row's cluster
    sq: np.ndarray  # (n,) float32: squared distance to its centroid
    covered: np.ndarray  # (K,) bool: the cluster holds a labeled vector
    sizes: np.ndarray  # (K,) int64: rows (not labeled vectors) per cluster


def assign_to(x: np.ndarray, centroids: np.ndarray, block: int = 65536):
    """Nearest centroid (id, squared distance) of every row: exact FAISS flat search."""
    import faiss

    index = faiss.IndexFlatL2(centroids.shape[1])
    index.add(np.ascontiguousarray(centroids, np.float32))
    ids = np.empty(x.shape[0], np.int64)
    sq = np.empty(x.shape[0], np.float32)
    with faiss_threads(float(x.shape[0]) * centroids.shape[0] * centroids.shape[1]):
        for a in range(0, x.shape[0], block):
            dist, lab = index.search(np.ascontiguousarray(x[a : a + block], np.float32), 1)
            ids[a : a + block] = lab[:, 0]
            sq[a : a + block] = np.maximum(dist[:, 0], 0.0)
    return ids, sq


def affordable_restarts(n: int, n_clusters: int, d: int, niter: int = 20) -> int:
    """How many k-means runs to keep the best of: :data:`RESTARTS` while their training work
    (``min(n, 128 K) K d niter`` each) fits in :data:`RESTART_WORK`, fewer above, at least 1."""
    one = float(min(n, MAX_POINTS_PER_CENTROID * n_clusters)) * n_clusters * d * niter
    return int(max(1, min(RESTARTS, RESTART_WORK // max(one, 1.0))))


def kmeans(
    x: np.ndarray,
    n_clusters: int,
    *,
    seed: int,
    pool: np.ndarray | None = None,
    niter: int = 20,
    restarts: int = 1,
) -> Clustering:
    """k-means of ``x`` (and ``pool``) into ``n_clusters`` (see module docstring)."""
    import faiss

    n, d = x.shape
    n_pool = 0 if pool is None else pool.shape[0]
    total = n + n_pool
    n_clusters = int(min(n_clusters, total))
    cap = MAX_POINTS_PER_CENTROID * n_clusters
    rng = np.random.default_rng(seed)
    if total <= cap:
        train = x if pool is None else np.concatenate([x, pool])
    else:
        rows = np.sort(rng.choice(total, size=cap, replace=False))
        parts = [x[rows[rows < n]]]
        if pool is not None:
            parts.append(pool[rows[rows >= n] - n])
        train = np.concatenate(parts)
    train = np.ascontiguousarray(train, np.float32)
    km = faiss.Kmeans(
        d,
        n_clusters,
        niter=niter,
        nredo=int(max(1, restarts)),
        seed=int(seed),
        max_points_per_centroid=MAX_POINTS_PER_CENTROID,
        min_points_per_centroid=1,
        verbose=False,
    )
    with faiss_threads(float(train.shape[0]) * n_clusters * d * niter * max(1, restarts)):
        km.train(train)
    cent = np.asarray(km.centroids, np.float32).reshape(n_clusters, d)
    ids, sq = assign_to(x, cent)
    covered = np.zeros(n_clusters, bool)
    if pool is not None:
        covered[assign_to(pool, cent)[0]] = True
    sizes = np.bincount(ids, minlength=n_clusters).astype(np.int64)
    return Clustering(cent, ids, sq, covered, sizes)


def members_by_cluster(assign: np.ndarray, key: np.ndarray, n_clusters: int) -> list[np.ndarray]:
    """Rows of each cluster, sorted by ``key`` ascending (ties: lowest row first)."""
    order = np.lexsort((np.arange(assign.shape[0]), key, assign))
    bounds = np.searchsorted(assign[order], np.arange(n_clusters + 1))
    return [order[bounds[c] : bounds[c + 1]] for c in range(n_clusters)]


def cluster_order(cl: Clustering) -> np.ndarray:
    """Clusters to visit: uncovered before covered, largest first, then lowest id."""
    c = np.arange(cl.sizes.shape[0])
    return np.lexsort((c, -cl.sizes, cl.covered))
