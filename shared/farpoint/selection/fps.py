"""Greedy farthest point (k-center greedy; Gonzalez 1985; the seed paper's Algorithm 1).

Each pick is the point farthest from every point already picked (or labeled): the most diverse
set. It covers outliers first, which wins on near-duplicate-heavy data (video) and loses to
representative methods on balanced data (docs/quality.md). The backends (:mod:`.backends`) are
exact and return the reference's picks.
"""

from __future__ import annotations

import numpy as np

from farpoint.selection.backends import get_selector
from farpoint.selection.base import Selection, validate_start
from farpoint.selection.registry import MethodContext


def run(x: np.ndarray, k: int, ctx: MethodContext) -> Selection:
    """k picks by greedy farthest point; the first is ``ctx.start`` or drawn from ``ctx.seed``."""
    n = x.shape[0]
    start = ctx.start
    if start is None:
        start = int(np.random.default_rng(ctx.seed).integers(n))
    validate_start(int(start), n)
    return get_selector(ctx.backend).select(
        x,
        k,
        start=int(start),
        labeled=ctx.labeled,
        min_distance=ctx.min_distance,
        constraints=ctx.constraints,
    )
