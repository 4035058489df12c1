"""Near-copy share: how much of a pool repeats the same picture (bursts, video-like scenes).

TypiClust's low-budget regime (:mod:`.typiclust_fps`) is counted in rows: ``k + |L|`` clusters
that can each hold ``KNN = 20`` rows. Near-copies of one picture are not 20 different rows — a
scene of copies makes its own cluster look typical and k-means splits large scenes, so TypiClust
spends picks twice on one scene (docs/quality.md, "A duplicate-density rule"). This module
measures the share of rows that are near-copies, from the vectors alone and without a distance
unit: row ``i`` is a near-copy when its nearest other row is closer than :data:`RATIO` times its
``KNN``-th nearest (``d_1 < 0.4 d_20``): a row with a few copies close by and the rest of its
20 neighbours far (rows of a scene longer than 20 copies are not all caught: there ``d_20`` is
inside the scene too, so the share is a lower bound of the copies). Where rows are distinct,
that happens by chance to 1-7 % of the rows (every balanced and long-tailed pool of the
evaluation); where pictures repeat, to 36-73 %. A pool counts as repetitive from
:data:`SHARE` = 20 % up, and then holds ``distinct_rows = n (1 - share)`` distinct rows; below
that every row counts (on the evaluation's pools, any threshold between 8 % and 35 % decides the
same).

Cost: one exact FAISS search of ``KNN + 1`` neighbours for every row up to :data:`ALL_ROWS` rows,
else for a seeded sample of :data:`SAMPLE` rows against all rows: O(n^2 d) up to
:data:`ALL_ROWS`, O(SAMPLE n d) above (1e6 x 128: ~1.3e11 multiply-adds, 4.3 CPU-s on 2 cores).
"""

from __future__ import annotations

import numpy as np

from farpoint.selection.faiss_threads import faiss_threads
from farpoint.selection.typiclust import KNN  # TypiClust's neighbourhood: the regime's unit

RATIO = 0.4  # d_1 < RATIO * d_KNN: a near-copy
SHARE = 0.2  # a pool with at least this share of near-copies counts distinct rows only
ALL_ROWS = 4096  # every row is tested up to this many rows
SAMPLE = 1024  # above it, a seeded sample of this many rows


def near_copy_share(x: np.ndarray, seed: int = 0) -> float:
    """Share of rows whose nearest other row is closer than ``RATIO`` x their ``KNN``-th."""
    import faiss

    n, d = x.shape
    kn = min(KNN, n - 1)
    if kn < 2:
        return 0.0
    xf = np.ascontiguousarray(x, np.float32)
    if n <= ALL_ROWS:
        rows = np.arange(n)
    else:
        rows = np.sort(np.random.default_rng(seed).choice(n, size=SAMPLE, replace=False))
    with faiss_threads(float(rows.shape[0]) * n * d):  # brute force, no copy of the rows
        dist, ids = faiss.knn(np.ascontiguousarray(xf[rows]), xf, kn + 1)
    own = ids == rows[:, None]
    none = ~own.any(axis=1)
    own[none, kn] = True  # the row itself not returned (exact duplicates): drop the farthest
    dd = np.sqrt(np.maximum(dist[~own].reshape(rows.shape[0], kn), 0.0)).astype(np.float64)
    far = dd[:, -1]
    spread = far > 0  # all kn neighbours at distance 0: copies too
    copy = np.where(spread, dd[:, 0] < RATIO * far, True)
    return float(copy.mean())


def distinct_rows(x: np.ndarray, seed: int = 0) -> tuple[int, float]:
    """``(rows that count, near-copy share)``: ``n`` below :data:`SHARE`, else ``n (1 - share)``."""
    n = x.shape[0]
    share = near_copy_share(x, seed)
    if share < SHARE:
        return n, share
    return int(n * (1.0 - share)), share
