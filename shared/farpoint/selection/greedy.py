"""The greedy loop shared by the fast backends, with the exact tie-break that makes them congruent.

Every fast backend is an *engine* that keeps an approximate copy ``f`` of the reference's
min-distance array (seed paper §2.6, Algorithm 1, ``point2pointMinimum``) and can say which points
lie within its error bound of the current maximum. The driver here runs Algorithm 1 over any
engine and settles the argmax exactly:

* an engine guarantees ``|f_i - r_i| <= rel_tol * r_i`` for every point, where ``r`` is what the
  float64 reference would hold (float64 engines: summation order only; float32 engines: the
  float32 rounding bound), so the reference's argmax is always among the *candidates*
  ``{i : f_i >= M (1 - 2 rel_tol) / (1 + rel_tol)}`` with ``M = max f``;
* one candidate (the usual case) is the reference's pick; several candidates (exact ties such as
  duplicate rows, or near-ties) are re-scored with the reference's own float64 formula against
  every center (labeled rows and picks), and the lowest index among the maxima wins.

Picked and constraint-blocked points hold ``-inf`` (see :mod:`farpoint.selection.constraints`).
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np

from farpoint.selection.base import Selection
from farpoint.selection.constraints import Constraints

log = logging.getLogger(__name__)


class Engine(Protocol):
    """Approximate min-distance state of a fast backend (see module docstring)."""

    rel_tol: float

    def add_center(self, center: np.ndarray) -> None:
        """Lower every point's entry to its squared distance to ``center`` (float64 row)."""

    def block(self, idx: np.ndarray) -> None:
        """Make points ``idx`` ineligible for good (entry ``-inf``)."""

    def top(self, slack: float) -> tuple[float, np.ndarray]:
        """Return ``M = max f`` (``-inf`` if none) and sorted ``i`` with ``f_i >= M - slack``."""


def _sqdist_rows(x64_row: np.ndarray, centers: np.ndarray) -> np.ndarray:
    # the reference's formula, row by row: einsum over (x - c) in float64
    diff = x64_row - centers
    return np.einsum("ij,ij->i", diff, diff)


def exact_min_sq(x: np.ndarray, rows: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """The reference's float64 min squared distance of each of ``rows`` to ``centers``."""
    out = np.full(rows.shape[0], np.inf)
    m, d = centers.shape
    if m == 0:
        return out
    pts = np.asarray(x[rows], np.float64)
    per = max(1, (1 << 22) // max(1, m * d))
    for a in range(0, rows.shape[0], per):
        if per == 1:  # big pools: one row at a time, centers in slices
            for b in range(0, m, 65536):
                cur = float(_sqdist_rows(pts[a], centers[b : b + 65536]).min())
                out[a] = min(out[a], cur)
            continue
        diff = pts[a : a + per, None, :] - centers[None, :, :]
        out[a : a + per] = np.einsum("ijk,ijk->ij", diff, diff).min(axis=1)
    return out


def run_greedy(
    engine: Engine,
    x: np.ndarray,
    k: int,
    *,
    start: int,
    labeled: np.ndarray | None,
    min_distance: float | None,
    constraints: Constraints | None,
    backend: str,
) -> Selection:
    """Algorithm 1 over ``engine`` with exact tie-breaks; same contract as the reference."""
    d = x.shape[1]
    n_pool = 0 if labeled is None else labeled.shape[0]
    centers = np.empty((n_pool + k, d), np.float64)
    m = 0
    for row in () if labeled is None else labeled:
        centers[m] = row
        m += 1
        engine.add_center(centers[m - 1])
    if constraints is not None:
        engine.block(constraints.blocked_initially())
    thr = None if min_distance is None else float(min_distance) ** 2
    tol = engine.rel_tol
    picks: list[int] = []
    dists: list[float] = []
    stopped, reason = False, ""
    rechecks = 0
    while len(picks) < k:
        if picks or n_pool:
            top, cands = engine.top(0.0)
            if top == -np.inf:
                stopped, reason = True, "no eligible point left"
                break
            slack = top - top * (1 - 2 * tol) / (1 + tol) if top > 0 else 0.0
            if slack > 0:
                top, cands = engine.top(slack)
            near_thr = thr is not None and abs(top - thr) <= 4 * tol * max(top, thr)
            if cands.shape[0] == 1 and not near_thr:
                nxt, val = int(cands[0]), float(top)
            elif top == 0.0 and getattr(engine, "exact_zero", True):
                nxt, val = int(cands[0]), 0.0  # f == 0 exactly iff the row equals a center
            else:
                rechecks += 1
                # identical rows score identically: keep the lowest index of each
                _, first = np.unique(np.asarray(x[cands]), axis=0, return_index=True)
                cands = np.sort(cands[first])
                scores = exact_min_sq(x, cands, centers[:m])
                j = int(np.argmax(scores))
                nxt, val = int(cands[j]), float(scores[j])
        else:
            nxt, val = start, float("inf")
        if thr is not None and val < thr:
            stopped, reason = True, "min_distance reached"
            break
        picks.append(nxt)
        dists.append(float(np.sqrt(val)))
        centers[m] = x[nxt]
        m += 1
        engine.add_center(centers[m - 1])
        blocked = [np.asarray([nxt], np.int64)]
        if constraints is not None:
            blocked.append(np.asarray(constraints.on_pick(nxt), np.int64))
        engine.block(np.concatenate(blocked))
    log.debug("%s: %d picks, %d exact re-checks", backend, len(picks), rechecks)
    info: dict[str, object] = {"backend": backend, "exact_rechecks": rechecks}
    if reason:
        info["stop_reason"] = reason
    return Selection(
        np.asarray(picks, np.int64), np.asarray(dists, np.float64), stopped_early=stopped,
        info=info,
    )
