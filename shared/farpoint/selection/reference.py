"""The numpy reference of greedy farthest-point selection: the oracle for every faster backend.

Straight from the seed paper's Algorithm 1 (§2.6, "Sampling with the furthest neighbor
algorithm"): an O(n) ``point2pointMinimum`` array, updated with the distances to each new pick;
the next pick is its argmax (``np.argmax`` returns the lowest index on ties). Distances are
computed in float64 as the sum of squared differences, so the reference is as exact as numpy gets.

With a ``labeled`` pool (already-labeled items) the minimum array starts at each point's distance
to its nearest labeled item, and the first pick is the farthest from the pool instead of
``start``. With ``min_distance`` the loop stops once the farthest remaining point is closer than
that to the picks: the automatic budget.

A picked row is never picked again (its entry becomes ``-inf``), so with exact duplicates and a
budget above the number of distinct rows the remaining duplicates are taken in index order.
With ``constraints`` (per-group quotas, time gaps; see :mod:`farpoint.selection.constraints`) the
argmax runs over the eligible points only: a blocked point's entry becomes ``-inf`` for good.
"""

from __future__ import annotations

import numpy as np

from farpoint.errors import InputError
from farpoint.selection.base import Selection, validate_k, validate_start, validate_vectors
from farpoint.selection.constraints import Constraints


def _sqdist_to(points: np.ndarray, center: np.ndarray) -> np.ndarray:
    diff = points - center
    return np.einsum("ij,ij->i", diff, diff)


def farthest_point_reference(
    vectors: np.ndarray,
    k: int,
    *,
    start: int = 0,
    labeled: np.ndarray | None = None,
    min_distance: float | None = None,
    constraints: Constraints | None = None,
) -> Selection:
    """Greedy farthest-point selection, O(n·k) time, O(n) extra memory. See module docstring."""
    x = validate_vectors(vectors).astype(np.float64)
    n = x.shape[0]
    k = validate_k(k, n)
    start = validate_start(start, n)
    mind = np.full(n, np.inf)
    if constraints is not None:
        mind[constraints.blocked_initially()] = -np.inf
    has_pool = labeled is not None and len(labeled) > 0
    if has_pool:
        pool = validate_vectors(labeled, "labeled").astype(np.float64)
        if pool.shape[1] != x.shape[1]:
            raise InputError(
                f"labeled vectors have {pool.shape[1]} dims but the vectors have {x.shape[1]}"
            )
        for row in pool:
            np.minimum(mind, _sqdist_to(x, row), out=mind)
    picks: list[int] = []
    dists: list[float] = []
    thr = None if min_distance is None else float(min_distance) ** 2
    stopped = False
    reason = ""
    while len(picks) < k:
        if picks or has_pool:
            nxt = int(np.argmax(mind))
        else:
            nxt = start
        if mind[nxt] == -np.inf:
            stopped, reason = True, "no eligible point left"
            break
        if thr is not None and mind[nxt] < thr:
            stopped, reason = True, "min_distance reached"
            break
        picks.append(nxt)
        dists.append(float(np.sqrt(mind[nxt])))
        np.minimum(mind, _sqdist_to(x, x[nxt]), out=mind)
        mind[nxt] = -np.inf
        if constraints is not None:
            mind[constraints.on_pick(nxt)] = -np.inf
    info: dict[str, object] = {"backend": "reference"}
    if reason:
        info["stop_reason"] = reason
    return Selection(
        np.asarray(picks, np.int64), np.asarray(dists, np.float64), stopped_early=stopped,
        info=info,
    )


class ReferenceSelector:
    """Selector backend wrapping :func:`farthest_point_reference`."""

    name = "reference"

    def select(
        self,
        vectors: np.ndarray,
        k: int,
        *,
        start: int = 0,
        labeled: np.ndarray | None = None,
        min_distance: float | None = None,
        constraints: Constraints | None = None,
    ) -> Selection:
        return farthest_point_reference(
            vectors, k, start=start, labeled=labeled, min_distance=min_distance,
            constraints=constraints,
        )
