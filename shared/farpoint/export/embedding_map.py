"""The 2-D map of a selection and its coverage curve against random: what report.html draws and
the web console's result page plots (``GET /v1/jobs/{id}/map``).

* :func:`map_2d` — every frame placed in the plane by PCA of the normalized space (cheap and
  deterministic: fitted on a bounded sample drawn with the job's seed). UMAP to 20 dims is the
  normalization the paper selects in (seed paper §5.1.2); the map only shows it.
* :func:`coverage_curves` — the covering radius after each pick for the selection's own order
  and for as many random picks (:func:`farpoint.selection.budget.covering_radius_curve`), on at
  most ``max_points`` rows (a sample that keeps every pick), so a million-frame job stays cheap.
"""

from __future__ import annotations

import numpy as np

from farpoint.selection.budget import covering_radius_curve

FIT_SAMPLE = 20_000
MAX_CURVE_POINTS = 200_000


# Above this many columns the map's two axes come from the covariance matrix (one product and
# the top two eigenvectors) instead of a full SVD of the sample: the same axes, ~10x faster on
# 1280-d ImageNet features (docs/performance.md, "Dataset reuse").
EIGH_MIN_DIMS = 64


def _top2_axes(sample: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(mean, 2 x d axes) of ``sample`` by the covariance's top two eigenvectors, signed as
    :class:`~farpoint.normalize.pca.PCAReducer` signs its axes; None where the SVD is as cheap
    (few columns) or the sample too small."""
    if sample.shape[1] <= EIGH_MIN_DIMS or sample.shape[0] <= 2:
        return None
    from scipy.linalg import eigh

    xd = np.asarray(sample, np.float64)
    mean = xd.mean(axis=0)
    xc = xd - mean
    d = xc.shape[1]
    _, vecs = eigh(xc.T @ xc, subset_by_index=[d - 2, d - 1])
    vt = vecs[:, ::-1].T  # largest variance first, as the SVD orders them
    signs = np.sign(vt[np.arange(2), np.abs(vt).argmax(axis=1)])
    signs[signs == 0] = 1
    return mean, vt * signs[:, None]


def map_2d(x: np.ndarray, seed: int = 0, fit_sample: int = FIT_SAMPLE) -> np.ndarray:
    """``(n, 2)`` float32 coordinates of the rows of ``x`` (a 1-D space gets y = 0): the top
    two principal axes of a bounded sample drawn with ``seed``."""
    from farpoint.normalize.pca import PCAReducer

    x = np.asarray(x, np.float32)
    rng = np.random.default_rng(seed)
    sample = x[rng.choice(len(x), min(len(x), fit_sample), replace=False)]
    axes = _top2_axes(sample)
    if axes is not None:
        mean, vt = axes
        return ((np.asarray(x, np.float64) - mean) @ vt.T).astype(np.float32)
    xy = PCAReducer(2, seed).fit(sample).transform(x)
    if xy.shape[1] == 1:
        xy = np.column_stack([xy[:, 0], np.zeros(len(xy), np.float32)])
    return np.asarray(xy, np.float32)


def coverage_curves(
    x: np.ndarray, rows: np.ndarray, seed: int = 0, max_points: int = MAX_CURVE_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """``(selection curve, random curve)``: the covering radius after 1..len(rows) picks, for
    the picks in ``rows`` (in pick order) and for random picks drawn with ``seed``."""
    x = np.asarray(x, np.float32)
    rows = np.asarray(rows, np.int64)
    rng = np.random.default_rng(seed)
    if len(x) > max_points:
        keep = np.union1d(rng.choice(len(x), max_points, replace=False), rows)
        remap = {int(r): i for i, r in enumerate(keep)}
        x, rows = x[keep], np.array([remap[int(r)] for r in rows], np.int64)
    ours = covering_radius_curve(x, rows)
    rand = covering_radius_curve(x, rng.choice(len(x), len(rows), replace=False))
    return ours, rand
