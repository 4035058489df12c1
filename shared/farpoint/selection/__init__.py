"""Selection: greedy farthest point (Algorithm 1 of the seed paper) and random.

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

from farpoint.errors import InputError
from farpoint.selection.base import Selection, Selector, validate_k, validate_vectors
from farpoint.selection.budget import covering_radius_curve, suggest_budget
from farpoint.selection.constraints import Constraints
from farpoint.selection.random import random_select
from farpoint.selection.reference import ReferenceSelector, farthest_point_reference

log = logging.getLogger(__name__)

BACKENDS = ("auto", "reference", "cpu", "torch", "faiss")
METHODS = ("fps", "random")


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return bool(torch.cuda.is_available())


def get_selector(name: str = "auto") -> Selector:
    """Return the selector backend ``name`` ("auto" picks the fastest available)."""
    if name == "auto":
        name = "torch" if _cuda_available() else "cpu"
    if name == "reference":
        return ReferenceSelector()
    if name == "cpu":
        from farpoint.selection.cpu import CpuSelector

        return CpuSelector()
    if name == "torch":
        from farpoint.selection.dense import TorchSelector

        return TorchSelector()
    if name == "faiss":
        from farpoint.selection.dense import FaissSelector

        return FaissSelector()
    raise InputError(f"unknown selector backend {name!r}; choose one of {', '.join(BACKENDS)}")


def select_points(
    vectors: np.ndarray,
    k: int,
    *,
    method: str = "fps",
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
    if method == "random":
        return random_select(n, k, seed=seed)
    if method != "fps":
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if start is None:
        start = int(np.random.default_rng(seed).integers(n))
    if not 0 <= int(start) < n:
        raise InputError(f"start index {start} is outside 0..{n - 1}")
    cons = None
    if group_quota is not None or min_gap_s is not None:
        cons = Constraints(
            n, groups=groups, group_quota=group_quota, times=times, min_gap_s=min_gap_s
        )
    selector = get_selector(backend)
    if dedup is None:
        return selector.select(
            x, k, start=int(start), labeled=labeled, min_distance=min_distance, constraints=cons
        )
    from farpoint.selection.dedup import dedup as run_dedup

    kept, rep = run_dedup(x, float(dedup))
    log.info("dedup(%g): kept %d of %d rows", dedup, kept.shape[0], n)
    sub_start = int(np.searchsorted(kept, rep[int(start)]))
    sel = selector.select(
        x[kept],
        min(k, int(kept.shape[0])),
        start=sub_start,
        labeled=labeled,
        min_distance=min_distance,
        constraints=None if cons is None else cons.subset(kept),
    )
    info = dict(sel.info)
    info.update(dedup_kept=kept, dedup_rep=rep, dedup_radius=float(dedup))
    if k > kept.shape[0]:
        info.setdefault("stop_reason", "fewer distinct rows than k after dedup")
    return Selection(
        kept[sel.indices], sel.distances, stopped_early=sel.stopped_early or k > kept.shape[0],
        info=info,
    )


__all__ = [
    "BACKENDS",
    "METHODS",
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

