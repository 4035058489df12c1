"""What every non-FPS method shares: the labeled pool check, accepting ranked candidates under
the quota / time-gap rules, and the covering-radius curve of a finished pick list.

A method ranks candidates (one list, or one list per cluster taken round-robin); the
constraint filter of :mod:`farpoint.selection.constraints` then accepts them greedily: a
candidate made ineligible by an earlier pick is skipped and the next one of its list is tried.
``Selection.distances`` is each pick's distance to the nearest earlier pick or labeled vector,
the curve the report plots for FPS too (computed once at the end, in blocks: O(k^2 d) time,
O(block * k) memory).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from farpoint.errors import InputError
from farpoint.selection.base import Selection, validate_vectors
from farpoint.selection.constraints import Constraints
from farpoint.selection.faiss_threads import faiss_threads


def labeled_pool(labeled: np.ndarray | None, d: int) -> np.ndarray | None:
    """The labeled pool as float32 (m, d), or None when absent or empty."""
    if labeled is None or len(labeled) == 0:
        return None
    pool = validate_vectors(labeled, "labeled")
    if pool.shape[1] != d:
        raise InputError(f"labeled vectors have {pool.shape[1]} dims but the vectors have {d}")
    return pool


def int_seed(seed: int | None) -> int:
    """A 31-bit integer seed for FAISS from ``seed`` (None: drawn from the OS)."""
    return int(np.random.default_rng(seed).integers(1, 2**31 - 1))


def no_min_distance(min_distance: float | None, method: str) -> None:
    """``min_distance`` (stop at a covering radius) is an FPS rule; refuse it elsewhere."""
    if min_distance is not None:
        raise InputError(f"min_distance applies to method 'fps' only, not {method!r}")


def nearest_sq(queries: np.ndarray, pool: np.ndarray, block: int = 65536) -> np.ndarray:
    """Squared distance (float64) of each query row to its nearest ``pool`` row (FAISS flat)."""
    import faiss

    index = faiss.IndexFlatL2(pool.shape[1])
    index.add(np.ascontiguousarray(pool, np.float32))
    out = np.empty(queries.shape[0], np.float64)
    with faiss_threads(float(queries.shape[0]) * pool.shape[0] * pool.shape[1]):
        for a in range(0, queries.shape[0], block):
            dist, _ = index.search(np.ascontiguousarray(queries[a : a + block], np.float32), 1)
            out[a : a + block] = np.maximum(dist[:, 0], 0.0)
    return out


def pick_distances(x: np.ndarray, picks: np.ndarray, pool: np.ndarray | None) -> np.ndarray:
    """Each pick's distance to the nearest earlier pick or pool row (``inf`` for a first pick
    without a pool): the covering-radius curve of any pick order."""
    k = int(picks.shape[0])
    out = np.full(k, np.inf)
    if k == 0:
        return out
    p = np.asarray(x[picks], np.float64)
    if pool is not None:
        out = nearest_sq(p, pool)
    sq = np.einsum("ij,ij->i", p, p)
    step = max(1, (1 << 21) // k)
    for a in range(1, k, step):
        b = min(k, a + step)
        d2 = sq[a:b, None] + sq[None, :b] - 2.0 * (p[a:b] @ p[:b].T)
        rows = np.arange(a, b)
        d2[np.arange(b)[None, :] >= rows[:, None]] = np.inf
        out[a:b] = np.minimum(out[a:b], d2.min(axis=1))
    return np.sqrt(np.maximum(out, 0.0))


class Eligible:
    """Which rows may still be picked: not picked yet and not blocked by the constraints."""

    def __init__(self, n: int, constraints: Constraints | None) -> None:
        self.ok = np.ones(n, bool)
        self.cons = constraints
        if constraints is not None:
            self.ok[constraints.blocked_initially()] = False

    def take(self, i: int) -> np.ndarray:
        """Record pick ``i``: it and whatever the constraints now block become ineligible
        (returned)."""
        self.ok[i] = False
        if self.cons is None:
            return np.asarray([i], np.int64)
        blocked = np.asarray(self.cons.on_pick(int(i)), np.int64)
        self.ok[blocked] = False
        return np.concatenate([np.asarray([i], np.int64), blocked])


def round_robin(
    lists: Sequence[np.ndarray], k: int, n: int, constraints: Constraints | None
) -> tuple[np.ndarray, str]:
    """Take the best eligible member of each list in turn (pass 1: one per list, in list order;
    pass 2: the next eligible of each, ...) until ``k`` picks or nothing eligible is left.

    Returns the picks and a stop reason ("" when ``k`` were taken)."""
    el = Eligible(n, constraints)
    pos = [0] * len(lists)
    live = [c for c in range(len(lists)) if len(lists[c])]
    picks: list[int] = []
    while len(picks) < k and live:
        nxt: list[int] = []
        for c in live:
            members, p = lists[c], pos[c]
            while p < len(members) and not el.ok[members[p]]:
                p += 1
            if p < len(members):
                i = int(members[p])
                picks.append(i)
                el.take(i)
                p += 1
            pos[c] = p
            if p < len(members):
                nxt.append(c)
            if len(picks) == k:
                break
        live = nxt
    reason = "" if len(picks) == k else "no eligible point left"
    return np.asarray(picks, np.int64), reason


def finish(
    x: np.ndarray,
    picks: np.ndarray,
    k: int,
    pool: np.ndarray | None,
    method: str,
    reason: str = "",
    **info: object,
) -> Selection:
    """The :class:`Selection` of a pick list: distances, early stop and its reason."""
    out: dict[str, object] = {"method": method, **info}
    if reason:
        out["stop_reason"] = reason
    return Selection(
        np.asarray(picks, np.int64),
        pick_distances(x, picks, pool),
        stopped_early=int(picks.shape[0]) < k,
        info=out,
    )
