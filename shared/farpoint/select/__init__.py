"""Selection: greedy farthest point (Algorithm 1 of the seed paper) and random.

``get_selector(name)`` returns a backend; every backend returns the reference's picks.
"""

from __future__ import annotations

import numpy as np

from farpoint.errors import InputError
from farpoint.select.base import Selection, Selector, validate_k, validate_vectors
from farpoint.select.random import random_select
from farpoint.select.reference import ReferenceSelector, farthest_point_reference

BACKENDS = ("auto", "reference")
METHODS = ("fps", "random")


def get_selector(name: str = "auto") -> Selector:
    """Return the selector backend ``name`` ("auto" picks the fastest available)."""
    if name in ("auto", "reference"):
        return ReferenceSelector()
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
) -> Selection:
    """Select ``k`` rows of ``vectors``: the one entry point of the CLI, API and services.

    ``method="fps"`` is greedy farthest point (the first pick is ``start``, or drawn from
    ``seed`` when ``start`` is None); ``method="random"`` is the uniform baseline.
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
    return get_selector(backend).select(
        x, k, start=start, labeled=labeled, min_distance=min_distance
    )


__all__ = [
    "METHODS",
    "select_points",
    "BACKENDS",
    "Selection",
    "Selector",
    "farthest_point_reference",
    "get_selector",
    "random_select",
    "validate_k",
    "validate_vectors",
]
