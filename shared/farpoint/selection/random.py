"""Uniform random selection: the baseline every diversity method must beat (seed paper §4.1)."""

from __future__ import annotations

import numpy as np

from farpoint.selection.base import Selection, validate_k


def random_select(n: int, k: int, *, seed: int | None = 0) -> Selection:
    """Pick ``k`` of ``n`` items uniformly without replacement (distances are NaN)."""
    k = validate_k(k, n)
    rng = np.random.default_rng(seed)
    idx = rng.choice(n, size=k, replace=False).astype(np.int64)
    return Selection(idx, np.full(k, np.nan))
