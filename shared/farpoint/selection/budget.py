"""The covering-radius curve and a suggested budget: its knee.

The distances of a farthest-point selection (``Selection.distances``: each pick's distance to
the earlier picks) form the covering-radius curve of greedy k-center: after ``i`` picks every
point lies within ``distances[i]`` of a pick (up to the factor 2 of Gonzalez's bound). The curve
falls fast, then flattens: past the knee extra labels buy little coverage (seed paper §2.6 uses
the same curve to choose the number of frames). ``suggest_budget`` finds the knee Kneedle-style:
on the curve scaled to the unit square, the point farthest below the chord from first to last.
"""

from __future__ import annotations

import numpy as np

from farpoint.errors import InputError


def covering_radius_curve(x: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Covering radius after each of the picks in ``order`` (any method's, random included):
    the max over all rows of ``x`` of the distance to the nearest pick so far. O(n·k) time,
    O(n) memory; the report draws it for farthest point against random."""
    x = np.asarray(x, np.float32)
    mind = np.full(x.shape[0], np.inf, np.float32)
    out = np.empty(len(order), np.float64)
    for j, i in enumerate(order):
        d = x - x[i]
        np.minimum(mind, np.einsum("ij,ij->i", d, d), out=mind)
        out[j] = float(np.sqrt(mind.max()))
    return out


def _running_radius(distances: np.ndarray) -> np.ndarray:
    """The same curve read off a farthest-point selection's own distances, without the data:
    each pick's distance bounds the radius before it (finite part: a leading ``inf`` is
    dropped)."""
    dist = np.asarray(distances, dtype=np.float64)
    if dist.ndim != 1:
        raise InputError(f"distances must be 1-D; got shape {dist.shape}")
    return np.minimum.accumulate(dist[np.isfinite(dist)]) if dist.size else dist


def suggest_budget(distances: np.ndarray) -> int:
    """Return the number of picks at the knee of the covering-radius curve (>= 1)."""
    dist = np.asarray(distances, dtype=np.float64)
    if dist.ndim != 1 or dist.size == 0:
        raise InputError("distances must be a non-empty 1-D array")
    if np.isnan(dist).any():
        raise InputError("distances hold NaN (a random selection has no covering radius)")
    lead = int(np.argmax(np.isfinite(dist))) if np.isfinite(dist).any() else dist.size
    curve = _running_radius(dist)
    if curve.size < 3:
        return lead + curve.size if curve.size else max(1, lead)
    xs = np.linspace(0.0, 1.0, curve.size)
    span = curve[0] - curve[-1]
    if span <= 0:
        return lead + 1
    ys = (curve - curve[-1]) / span  # 1 -> 0, convex for a typical curve
    below = (1.0 - xs) - ys  # distance below the chord (up to a constant factor)
    return lead + int(np.argmax(below)) + 1
