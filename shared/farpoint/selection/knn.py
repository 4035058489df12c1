"""The sparse k-nearest-neighbour graph that facility location, ProbCover and the density of
``fps-dense`` run on: never an n x n matrix.

Up to :data:`EXACT_MAX` rows, or :data:`EXACT_WORK` multiply-adds (n^2 d), the graph is exact
(FAISS ``IndexFlatL2``, O(n^2 d) time, BLAS); above that it is approximate (FAISS
``IndexIVFFlat`` with ``nlist ~ sqrt(n)`` lists trained on a sample, ``nprobe`` lists scanned
per query: O(n · nprobe · n / nlist · d) time, O(n d) extra memory for the index). Memory of the
graph itself: O(n m). Each row's own entry is removed (with exact duplicates the row may not
come first), so row ``i`` holds its ``m`` nearest *other* rows, nearest first; an approximate
search that finds fewer marks the rest ``-1`` / ``inf``. :func:`graph_scale` sizes a graph to a
budget of k picks (facility location, ProbCover).
See Johnson, Douze, Jégou, *Billion-scale similarity search with GPUs* (arXiv 1702.08734).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from farpoint.selection.faiss_threads import faiss_threads

EXACT_MAX = 20_000  # rows; exact at or below this, or while n^2 d <= EXACT_WORK
EXACT_WORK = 2e10  # multiply-adds of an exact search (BLAS: a few seconds on 2 cores)
NPROBE = 6
EDGE_BUDGET = 20_000_000  # graph edges a budget-scaled graph may hold (~40 B each at peak)
FULL_EDGES = 5_000_000  # a budget-scaled graph on all rows up to this many edges
M_CAP = 128  # neighbours per row of a sampled budget-scaled graph, at least this reach


def graph_scale(
    n: int, k: int, m_min: int, budget: int = EDGE_BUDGET, m_cap: int = M_CAP
) -> tuple[int, int]:
    """``(s, m)`` for a graph whose reach matches a budget of ``k`` picks: each pick stands for
    ~n/k rows, so each row keeps ``m = max(m_min, 2 s / k)`` neighbours among ``s`` rows. All
    rows while that graph has at most :data:`FULL_EDGES` edges; else a uniform sample of
    ``s = max(m_cap k / 2, sqrt(FULL_EDGES k / 2))`` rows, at most ``sqrt(budget k / 2)``."""

    def m_for(s: int) -> int:
        return int(min(s - 1, max(m_min, int(np.ceil(2 * s / k)))))

    if n * m_for(n) <= FULL_EDGES:
        return n, m_for(n)
    s = max(m_cap * k / 2.0, np.sqrt(FULL_EDGES * k / 2.0))
    s = int(min(n, max(k, min(s, np.sqrt(budget * k / 2.0)))))
    return s, int(max(1, min(m_for(s), budget // s)))


def knn_graph(
    x: np.ndarray,
    m: int,
    *,
    seed: int = 1234,
    exact_max: int = EXACT_MAX,
    exact_work: float = EXACT_WORK,
    nprobe: int = NPROBE,
    block: int = 16384,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(sq, idx)``, each (n, m'): squared distances (float32, ascending) and row ids
    (int64) of each row's ``m' = min(m, n - 1)`` nearest other rows (see module docstring)."""
    import faiss

    n, d = x.shape
    m = int(min(m, n - 1))
    if m <= 0:
        return np.empty((n, 0), np.float32), np.empty((n, 0), np.int64)
    xf = np.ascontiguousarray(x, np.float32)
    work = float(n) * n * d
    index: Any
    if n <= exact_max or work <= exact_work:
        index = faiss.IndexFlatL2(d)
        index.add(xf)
    else:
        nlist = int(np.clip(round(np.sqrt(n)), 16, 65536))
        quant = faiss.IndexFlatL2(d)
        ivf = faiss.IndexIVFFlat(quant, d, nlist)
        ivf.cp.seed = int(seed)
        ivf.cp.niter = 10
        rng = np.random.default_rng(seed)
        ntrain = min(n, 40 * nlist)
        sample = np.sort(rng.choice(n, size=ntrain, replace=False))
        with faiss_threads(float(ntrain) * nlist * d * 10):
            ivf.train(xf[sample])
        ivf.add(xf)
        ivf.nprobe = int(nprobe)
        index = ivf
        work = float(n) * nprobe * (n / nlist) * d
    sq = np.empty((n, m), np.float32)
    idx = np.empty((n, m), np.int64)
    for a in range(0, n, block):
        b = min(n, a + block)
        with faiss_threads(work):
            dist, ids = index.search(xf[a:b], m + 1)
        own = ids == np.arange(a, b)[:, None]
        none = ~own.any(axis=1)
        own[none, m] = True  # the row itself was not returned: drop the farthest instead
        keep = ~own
        sq[a:b] = np.maximum(dist[keep].reshape(b - a, m), 0.0)
        idx[a:b] = ids[keep].reshape(b - a, m)
    bad = idx < 0
    sq[bad] = np.inf
    idx[bad] = -1
    return sq, idx


def knn_graph_reference(x: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The brute-force numpy oracle of :func:`knn_graph` (float64, one row at a time: tests)."""
    x64 = np.asarray(x, np.float64)
    n = x64.shape[0]
    m = int(min(m, n - 1))
    sq = np.empty((n, m))
    idx = np.empty((n, m), np.int64)
    for i in range(n):
        diff = x64 - x64[i]
        d2 = np.einsum("ij,ij->i", diff, diff)
        d2[i] = np.inf
        idx[i] = np.argsort(d2, kind="stable")[:m]
        sq[i] = d2[idx[i]]
    return sq, idx
