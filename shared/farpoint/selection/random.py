"""Uniform random selection: the baseline every diversity method must beat (seed paper §4.1)."""

from __future__ import annotations

import numpy as np

from farpoint.selection.base import Selection, validate_k
from farpoint.selection.ranked import finish, labeled_pool, no_min_distance, round_robin
from farpoint.selection.registry import MethodContext


def random_select(n: int, k: int, *, seed: int | None = 0) -> Selection:
    """Pick ``k`` of ``n`` items uniformly without replacement (distances are NaN)."""
    k = validate_k(k, n)
    rng = np.random.default_rng(seed)
    idx = rng.choice(n, size=k, replace=False).astype(np.int64)
    return Selection(idx, np.full(k, np.nan))


def run(x: np.ndarray, k: int, ctx: MethodContext) -> Selection:
    """The registry's entry: ``k`` random rows of ``x`` (with quotas / time gaps: a seeded
    random order accepted greedily), each with its distance to the earlier picks / pool."""
    no_min_distance(ctx.min_distance, "random")
    pool = labeled_pool(ctx.labeled, x.shape[1])
    if ctx.constraints is None:
        picks, reason = random_select(x.shape[0], k, seed=ctx.seed).indices, ""
    else:
        order = np.random.default_rng(ctx.seed).permutation(x.shape[0])
        picks, reason = round_robin([order], k, x.shape[0], ctx.constraints)
    return finish(x, picks, k, pool, "random", reason)
