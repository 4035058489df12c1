"""Selection: every method behind one interface (:mod:`farpoint.selection.registry`).

Greedy farthest point (Algorithm 1 of the seed paper) is exact on every backend.

``get_selector(name)`` returns a backend; every backend returns the reference's picks:

* ``reference``: the numpy oracle (float64, O(n·d) per pick);
* ``cpu``: numba, triangle-inequality pruning over the Voronoi cells of the picks
  (:mod:`farpoint.selection.cpu`, :mod:`farpoint.selection.voronoi`);
* ``torch``: dense float32 on CUDA when available, else on CPU (:mod:`farpoint.selection.dense`);
* ``faiss``: dense float32 with FAISS's SIMD distance kernel on CPU threads;
* ``auto``: ``torch`` on a CUDA GPU, else ``cpu``.

:func:`select_points` adds per-group quotas and time gaps (:mod:`farpoint.selection.constraints`),
near-duplicate removal (:mod:`farpoint.selection.dedup`); :func:`suggest_budget` reads the knee of
the covering-radius curve (:mod:`farpoint.selection.budget`).
"""

from __future__ import annotations

import logging

import numpy as np

from farpoint.selection.backends import BACKENDS, get_selector
from farpoint.selection.base import (
    Selection,
    Selector,
    validate_k,
    validate_start,
    validate_vectors,
)
from farpoint.selection.budget import covering_radius_curve, suggest_budget
from farpoint.selection.constraints import Constraints
from farpoint.selection.random import random_select
from farpoint.selection.reference import farthest_point_reference
from farpoint.selection.registry import DEFAULT_METHOD, MethodContext, get_method, method_names
from farpoint.selection.registry import METHODS as METHOD_INFO

log = logging.getLogger(__name__)

METHODS = method_names()


def select_points(
    vectors: np.ndarray,
    k: int,
    *,
    method: str = DEFAULT_METHOD,
    backend: str = "auto",
    seed: int | None = 0,
    start: int | None = None,
    labeled: np.ndarray | None = None,
    min_distance: float | None = None,
    groups: np.ndarray | None = None,
    group_quota: int | None = None,
    times: np.ndarray | None = None,
    min_gap_s: float | None = None,
    dedup: float | None = None,
) -> Selection:
    """Select ``k`` rows of ``vectors``: the one entry point of the CLI, API and services.

    ``method="fps"`` is greedy farthest point (the first pick is ``start``, or drawn from
    ``seed`` when ``start`` is None); ``method="random"`` is the uniform baseline.

    Args:
        labeled: already-labeled vectors to cover around (incremental selection); the first pick
            is then the point farthest from them.
        min_distance: stop once the farthest eligible point is closer than this to the picks.
        groups, group_quota: at most ``group_quota`` picks per distinct value of ``groups``
            (e.g. per video or camera).
        times, min_gap_s: no two picks of one group closer than ``min_gap_s`` in ``times``
            (seconds). Constrained selection is greedy farthest point among the points still
            eligible; ineligible points stay covered but are never picked; with no eligible
            point left the selection stops early (``info["stop_reason"]``).
        dedup: drop rows within this distance of an earlier kept row before selecting
            (0 drops exact duplicates only); ``info["dedup_kept"]``, ``info["dedup_rep"]`` map
            rows to their representatives. Indices returned are always rows of ``vectors``.
    """
    x = validate_vectors(vectors)
    n = x.shape[0]
    validate_k(k, n)
    run = get_method(method)
    if start is not None:
        validate_start(int(start), n)
    cons = None
    if group_quota is not None or min_gap_s is not None:
        cons = Constraints(
            n, groups=groups, group_quota=group_quota, times=times, min_gap_s=min_gap_s
        )
    ctx = MethodContext(
        seed=seed,
        start=start,
        backend=backend,
        labeled=labeled,
        min_distance=min_distance,
        constraints=cons,
        groups=groups,
        times=times,
    )
    if dedup is None:
        return run(x, k, ctx)
    from farpoint.selection.dedup import dedup as run_dedup

    kept, rep = run_dedup(x, float(dedup))
    log.info("dedup(%g): kept %d of %d rows", dedup, kept.shape[0], n)
    if start is None:  # the start a run without dedup would draw, mapped to its representative
        start = int(np.random.default_rng(seed).integers(n))
    sub = MethodContext(
        seed=seed,
        start=int(np.searchsorted(kept, rep[int(start)])),
        backend=backend,
        labeled=labeled,
        min_distance=min_distance,
        constraints=None if cons is None else cons.subset(kept),
        groups=None if groups is None else np.asarray(groups)[kept],
        times=None if times is None else np.asarray(times)[kept],
    )
    sel = run(x[kept], min(k, int(kept.shape[0])), sub)
    info = dict(sel.info)
    info.update(dedup_kept=kept, dedup_rep=rep, dedup_radius=float(dedup))
    if k > kept.shape[0]:
        info.setdefault("stop_reason", "fewer distinct rows than k after dedup")
    return Selection(
        kept[sel.indices],
        sel.distances,
        stopped_early=sel.stopped_early or k > kept.shape[0],
        info=info,
    )


__all__ = [
    "BACKENDS",
    "DEFAULT_METHOD",
    "METHODS",
    "METHOD_INFO",
    "Constraints",
    "Selection",
    "Selector",
    "covering_radius_curve",
    "farthest_point_reference",
    "get_selector",
    "random_select",
    "select_points",
    "suggest_budget",
    "validate_k",
    "validate_vectors",
]
