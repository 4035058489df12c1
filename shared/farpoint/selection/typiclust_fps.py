"""``typiclust-fps``: TypiClust while the budget is low, greedy farthest point beyond it.

TypiClust (Hacohen, Dekel, Weinshall, ICML 2022, arXiv 2202.02794) is built for the *low
budget*: it clusters into ``k + |L|`` clusters and scores typicality on ``KNN = 20`` neighbours
within a cluster, and the paper's own title says the opposite strategy suits high budgets. The
linear-probe tables (docs/quality.md) show where that bites: on long-tailed pools at 5-10 labels
per class (k = 9-18 % of the rows) k-means spends its clusters on the head classes and TypiClust
falls to random, while farthest point (Gonzalez 1985) reaches the tail.

So the budget is split at TypiClust's own constant: the first
``m = min(k, (n + |L|) // KNN - |L|)`` picks are TypiClust's (while every cluster can hold ``KNN``
rows: exactly :mod:`.typiclust`'s picks for the same seed when ``k <= m``), the other ``k - m``
are greedy farthest point (:mod:`.fps`, any backend) over the rows not yet picked, around the
labeled pool *and* the TypiClust picks: coverage spent only where the representatives left gaps.
Quotas and time gaps hold across both stages (the FPS stage starts with the TypiClust picks
counted: :meth:`~farpoint.selection.constraints.Constraints.after`). ``info["typical"]`` is
``m``.

``n`` counts *distinct* rows: in a pool where at least a fifth of the rows are near-copies of
another row (:mod:`.copies`: bursts, video-like scenes), the copies do not count towards the
regime (``info["distinct_rows"]``, ``info["near_copy_share"]``); elsewhere every row does (the
rule changes nothing on pools without repeats). Measured in docs/quality.md ("A duplicate-density
rule"). Cost: TypiClust's for ``m`` picks + FPS's for ``k - m`` + the near-copy test
(O(n^2 d) up to 4,096 rows, O(1024 n d) above).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from farpoint.selection import copies, fps, typiclust
from farpoint.selection.base import Selection
from farpoint.selection.ranked import finish, labeled_pool, no_min_distance
from farpoint.selection.registry import MethodContext


def typical_budget(n: int, k: int, n_labeled: int = 0) -> int:
    """How many of the ``k`` picks TypiClust makes (module docstring)."""
    return int(min(k, max(0, (n + n_labeled) // typiclust.KNN - n_labeled)))


def run(x: np.ndarray, k: int, ctx: MethodContext) -> Selection:
    """``k`` picks: TypiClust for the low-budget part, farthest point for the rest."""
    no_min_distance(ctx.min_distance, "typiclust-fps")
    n = x.shape[0]
    pool = labeled_pool(ctx.labeled, x.shape[1])
    n_pool = 0 if pool is None else pool.shape[0]
    distinct, share = copies.distinct_rows(x, seed=0)
    m = typical_budget(distinct, k, n_pool)
    counted = {"distinct_rows": distinct, "near_copy_share": round(share, 4)}
    first = np.empty(0, np.int64)
    reason = ""
    if m > 0:
        sel = typiclust.run(x, m, ctx)
        first = sel.indices
        reason = str(sel.info.get("stop_reason", ""))
        if m == k:
            info = {**sel.info, "method": "typiclust-fps", "typical": m, **counted}
            return Selection(sel.indices, sel.distances, sel.stopped_early, info)
    rest = np.setdiff1d(np.arange(n, dtype=np.int64), first)
    around = [a for a in (pool, x[first] if first.shape[0] else None) if a is not None]
    sub = dataclasses.replace(
        ctx,
        start=None,
        labeled=np.concatenate(around).astype(np.float32) if around else None,
        constraints=None if ctx.constraints is None else ctx.constraints.after(first, rest),
        groups=None if ctx.groups is None else np.asarray(ctx.groups)[rest],
        times=None if ctx.times is None else np.asarray(ctx.times)[rest],
    )
    want = min(k - first.shape[0], rest.shape[0])
    more = np.empty(0, np.int64)
    if want > 0:
        second = fps.run(np.ascontiguousarray(x[rest]), want, sub)
        more = rest[second.indices]
        reason = str(second.info.get("stop_reason", "")) or reason
    picks = np.concatenate([first, more])
    if picks.shape[0] == k:
        reason = ""
    return finish(x, picks, k, pool, "typiclust-fps", reason, typical=m, **counted)
