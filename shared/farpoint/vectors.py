"""Selection on your own embeddings: validate, optionally normalize, select.

The vectors twin of :func:`farpoint.pipeline.select`; it imports no frame stage (decoding,
embedding, export), so ``farpoint select-vectors`` starts in the time numpy and numba take.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from farpoint.errors import InputError
from farpoint.normalize import apply_reducer, fit_reducer
from farpoint.selection import Selection, select_points, validate_vectors
from farpoint.selection.registry import DEFAULT_METHOD


def select_vectors(
    vectors: np.ndarray,
    k: int,
    *,
    method: str = DEFAULT_METHOD,
    normalize: str = "none",
    dims: int = 20,
    seed: int = 0,
    backend: str = "auto",
    labeled: np.ndarray | None = None,
    min_distance: float | None = None,
    **options: Any,
) -> Selection:
    """Select ``k`` rows of your own embeddings (``normalize='none'`` by default)."""
    x = validate_vectors(vectors)
    pool = None if labeled is None else validate_vectors(labeled, "labeled")
    if pool is not None and pool.shape[1] != x.shape[1]:
        raise InputError(
            f"labeled vectors have {pool.shape[1]} dims but the vectors have {x.shape[1]}"
        )
    if normalize != "none":
        fit_on = x if pool is None else np.concatenate([x, pool])
        reducer, _ = fit_reducer(fit_on, normalize, dims=dims, seed=seed)
        x = apply_reducer(reducer, x)
        pool = apply_reducer(reducer, pool) if pool is not None else None
    return select_points(
        x,
        k,
        method=method,
        backend=backend,
        seed=seed,
        labeled=pool,
        min_distance=min_distance,
        **options,
    )
