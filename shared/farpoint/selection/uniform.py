"""Uniform in time: evenly spaced picks per video, the baseline video users compare against.

Every-Nth-frame subsampling (the seed paper's §1 strawman; the baseline of docs/quality.md's
video coverage table). The budget is split over the groups (videos: ``ctx.groups``; one group
without them) in proportion to their sizes (largest remainder, ties to the lower group), capped
at the per-group quota when one is set (the excess goes to the groups with room). Within a group
of ``s`` rows ordered by ``ctx.times`` (row order without times), ``q`` picks sit at the centres
of ``q`` equal slices: positions ``floor((j + 1/2) s / q)``. The embedding is not used (a labeled
pool only enters the covering-radius curve). With time gaps, a pick the gap rules out is replaced
by the next eligible row of its slice; picks still missing come from the remaining eligible rows
in seeded random order. Cost: O(n log n).
"""

from __future__ import annotations

import numpy as np

from farpoint.errors import InputError
from farpoint.selection.base import Selection
from farpoint.selection.ranked import Eligible, finish, labeled_pool, no_min_distance
from farpoint.selection.registry import MethodContext


def allocate(sizes: np.ndarray, k: int, cap: int | None = None) -> np.ndarray:
    """Split ``k`` over groups of ``sizes`` proportionally (largest remainder), each at most
    ``min(size, cap)``; the excess of capped groups goes to the others."""
    limit = sizes.copy() if cap is None else np.minimum(sizes, cap)
    k = int(min(k, limit.sum()))
    q = np.zeros_like(sizes)
    while q.sum() < k:
        room = limit - q
        free = room > 0
        want = k - int(q.sum())
        share = want * sizes * free / max(1, int(sizes[free].sum()))
        add = np.minimum(np.floor(share).astype(np.int64), room)
        left = want - int(add.sum())
        if left > 0:
            rem = np.where(free & (add < room), share - np.floor(share), -1.0)
            for g in np.lexsort((np.arange(sizes.shape[0]), -rem))[:left]:
                if rem[g] >= 0:
                    add[g] += 1
        if add.sum() == 0:  # tiny shares everywhere: one more to the first groups with room
            add[np.flatnonzero(free)[:want]] = 1
        q += add
    return q


def run(x: np.ndarray, k: int, ctx: MethodContext) -> Selection:
    """``k`` evenly spaced picks per group (see module docstring)."""
    no_min_distance(ctx.min_distance, "uniform")
    pool = labeled_pool(ctx.labeled, x.shape[1])
    n = x.shape[0]
    groups = np.zeros(n, np.int64)
    if ctx.groups is not None:
        raw = np.asarray(ctx.groups)
        if raw.ndim != 1 or raw.shape[0] != n:
            raise InputError(f"groups must have one entry per vector ({n}); got {raw.shape}")
        groups = np.unique(raw, return_inverse=True)[1].astype(np.int64)
    key = np.arange(n, dtype=np.float64)
    if ctx.times is not None:
        key = np.asarray(ctx.times, np.float64)
        if key.ndim != 1 or key.shape[0] != n:
            raise InputError(f"times must have one entry per vector ({n}); got {key.shape}")
    order = np.lexsort((np.arange(n), key, groups))
    sizes = np.bincount(groups).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    cons = ctx.constraints
    quota = None if cons is None else cons.quota
    q = allocate(sizes, k, quota)
    el = Eligible(n, cons)
    picks: list[int] = []
    for g in range(sizes.shape[0]):
        s, lo = int(sizes[g]), int(starts[g])
        for j in range(int(q[g])):
            a = lo + (j * s) // int(q[g])
            b = lo + ((j + 1) * s) // int(q[g])
            mid = lo + int(np.floor((j + 0.5) * s / int(q[g])))
            if el.ok[order[mid]]:
                picks.append(int(order[mid]))
                el.take(int(order[mid]))
                continue
            for p in [*range(mid + 1, b), *range(mid - 1, a - 1, -1)]:
                i = int(order[p])
                if el.ok[i]:
                    picks.append(i)
                    el.take(i)
                    break
    if len(picks) < k:
        for i in np.random.default_rng(ctx.seed).permutation(n):
            if len(picks) == k:
                break
            if el.ok[i]:
                picks.append(int(i))
                el.take(int(i))
    reason = "" if len(picks) == k else "no eligible point left"
    return finish(x, np.asarray(picks, np.int64), k, pool, "uniform", reason)
