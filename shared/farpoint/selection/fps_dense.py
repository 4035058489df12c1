"""``fps-dense``: greedy farthest point after dropping the lowest-density rows.

FPS (Gonzalez 1985) spends its first picks on outliers: black, blurred or corrupt frames and
isolated junk lie farthest from everything (issue 14; BiLAF, NeurIPS 2024, Table 1 puts k-center
below random on balanced data). This hybrid keeps FPS's coverage of rare-but-real modes and skips
the sparsest rows: density is ``1 / mean distance to the M = 10 nearest rows`` (the kNN graph of
:mod:`.knn`; the density estimate of TypiClust, arXiv 2202.02794), the :data:`DROP` = 10% least
dense rows are never picked (at most ``n - k`` are dropped; above the exact-search size the
neighbours come from the row's own IVF list only, ``nprobe = 1``), and FPS (:mod:`.fps`, any
backend, the labeled pool, quotas and time gaps as usual) runs on the rest. Cost: the kNN graph
(O(n^2 d / sqrt(n)) with IVF) + FPS on 0.9 n; memory: a copy of the kept rows + O(n M).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from farpoint.selection import fps
from farpoint.selection.base import Selection
from farpoint.selection.knn import knn_graph
from farpoint.selection.ranked import int_seed
from farpoint.selection.registry import MethodContext

DROP = 0.10
M = 10


def dense_rows(x: np.ndarray, k: int, *, seed: int, drop: float = DROP) -> np.ndarray:
    """The rows kept (sorted): all but the ``min(drop n, n - k)`` least dense."""
    n = x.shape[0]
    n_drop = int(min(np.floor(drop * n), n - k))
    if n_drop <= 0 or n < 3:
        return np.arange(n, dtype=np.int64)
    sq, _ = knn_graph(x, M, seed=seed, nprobe=1)  # approximate: a density, not a graph
    d = np.sqrt(np.where(np.isfinite(sq), sq, np.nan))
    mean = np.nan_to_num(np.nanmean(d, axis=1), nan=np.inf)
    worst = np.lexsort((np.arange(n), -mean))[:n_drop]  # largest mean distance = least dense
    keep = np.ones(n, bool)
    keep[worst] = False
    return np.flatnonzero(keep)


def run(x: np.ndarray, k: int, ctx: MethodContext) -> Selection:
    """FPS on the densest ``1 - DROP`` of the rows (see module docstring)."""
    kept = dense_rows(x, k, seed=int_seed(ctx.seed))
    start = None
    if ctx.start is not None:
        pos = int(np.searchsorted(kept, int(ctx.start)))
        start = pos if pos < kept.shape[0] and kept[pos] == int(ctx.start) else None
    if start is None:
        start = int(np.random.default_rng(ctx.seed).integers(kept.shape[0]))
    sub = dataclasses.replace(
        ctx,
        start=start,
        constraints=None if ctx.constraints is None else ctx.constraints.subset(kept),
        groups=None if ctx.groups is None else np.asarray(ctx.groups)[kept],
        times=None if ctx.times is None else np.asarray(ctx.times)[kept],
    )
    sel = fps.run(np.ascontiguousarray(x[kept]), k, sub)
    info = dict(sel.info, method="fps-dense", dropped=int(x.shape[0] - kept.shape[0]))
    return Selection(kept[sel.indices], sel.distances, sel.stopped_early, info)
