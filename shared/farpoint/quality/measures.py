"""The cheap per-frame measures the quality filter thresholds (numpy, vectorised over a batch).

Every measure is taken on the frame's luma (ITU-R BT.601 weights) at the *analysis scale*: frames
wider than ~150 px are first block-averaged by an integer factor to ~100 px, so one set of
thresholds holds whatever ``--width`` the frames were decoded at (the default decode width, 100 px,
is measured as is).

* ``lit`` / ``unlit`` -- the share of pixels at or above ``dark_luma`` / at or below
  ``bright_luma``: a frame where under 1% of pixels reach a mid-dark luma (its 99th percentile is
  below it) is black or under-exposed; one where under 1% fall below a bright luma is white or
  over-exposed (robust to a few hot or dead pixels, unlike min / max; a share is one comparison
  per pixel, a percentile a partial sort).
* ``std`` -- the luma standard deviation: flat frames of any level score ~0.
* ``sharpness`` -- the variance of the 4-neighbour Laplacian divided by the variance of the luma
  (Pech-Pacheco et al., ICPR 2000, https://doi.org/10.1109/ICPR.2000.903548, made
  contrast-invariant): blur removes the high frequencies the Laplacian keeps, while dimming or
  haze scales both variances alike. 0 for a flat frame.
* ``change`` -- the mean absolute luma difference to the previous frame of the same video (NaN
  for the first frame of a video and for still images): ~0 for a frozen or duplicated frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ANALYSIS_WIDTH = 100  # px: the scale the measures (and so the thresholds) refer to
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


@dataclass(frozen=True)
class FrameMeasures:
    """One value per frame of a batch (arrays of shape ``(n,)``, float32)."""

    lit: np.ndarray
    unlit: np.ndarray
    std: np.ndarray
    sharpness: np.ndarray
    change: np.ndarray

    def row(self, i: int) -> dict[str, float]:
        """The measures of frame ``i`` as plain floats (for reports and tests)."""
        return {k: float(getattr(self, k)[i]) for k in self.__dataclass_fields__}


def analysis_luma(images: np.ndarray) -> np.ndarray:
    """``(n, H, W, 3)`` uint8 RGB -> ``(n, h, w)`` float32 luma at the analysis scale."""
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"expected (n, H, W, 3) RGB frames, got shape {x.shape}")
    y = x @ _LUMA  # (n, H, W) float32
    f = max(1, int(round(x.shape[2] / ANALYSIS_WIDTH)))
    if f > 1:
        n, h, w = y.shape
        h2, w2 = h // f * f, w // f * f
        if h2 >= f and w2 >= f:
            y = y[:, :h2, :w2].reshape(n, h2 // f, f, w2 // f, f).mean(axis=(2, 4))
    return np.ascontiguousarray(y, dtype=np.float32)


def measure_luma(
    y: np.ndarray,
    previous: np.ndarray | None = None,
    *,
    dark_luma: float = 40.0,
    bright_luma: float = 215.0,
) -> FrameMeasures:
    """The measures of a batch of analysis-scale lumas ``(n, h, w)`` of one video, in order.

    ``previous`` is the luma of the frame just before the batch (same video, same shape), or
    None when the batch starts a video.
    """
    n = y.shape[0]
    flat = y.reshape(n, -1)
    lit = np.count_nonzero(flat >= dark_luma, axis=1) / flat.shape[1]
    unlit = np.count_nonzero(flat <= bright_luma, axis=1) / flat.shape[1]
    var = flat.var(axis=1)
    if y.shape[1] >= 3 and y.shape[2] >= 3:
        lap = y[:, :-2, 1:-1] + y[:, 2:, 1:-1]
        lap += y[:, 1:-1, :-2]
        lap += y[:, 1:-1, 2:]
        lap -= 4.0 * y[:, 1:-1, 1:-1]
        flat_lap = lap.reshape(n, -1)
        mean_lap = flat_lap.mean(axis=1)  # ~0: no cancellation in E[l^2] - E[l]^2
        lap_var = np.einsum("ij,ij->i", flat_lap, flat_lap) / flat_lap.shape[1] - mean_lap**2
    else:  # too small for a Laplacian: call it sharp, the other tests still apply
        lap_var = np.full(n, np.inf, np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        sharp = np.where(var > 1e-6, lap_var / np.maximum(var, 1e-6), 0.0)
    change = np.full(n, np.nan, np.float32)
    if n > 1:
        change[1:] = np.abs(y[1:] - y[:-1]).reshape(n - 1, -1).mean(axis=1)
    if previous is not None and previous.shape == y.shape[1:]:
        change[0] = float(np.abs(y[0] - previous).mean())
    return FrameMeasures(
        lit=lit.astype(np.float32),
        unlit=unlit.astype(np.float32),
        std=np.sqrt(var).astype(np.float32),
        sharpness=sharp.astype(np.float32),
        change=change,
    )


def measure_frames(
    images: np.ndarray,
    previous: np.ndarray | None = None,
    *,
    dark_luma: float = 40.0,
    bright_luma: float = 215.0,
) -> FrameMeasures:
    """The measures of ``(n, H, W, 3)`` uint8 RGB frames of one video, in order.

    ``previous``: the previous frame (``(H, W, 3)`` RGB) of the same video, if any.
    """
    y = analysis_luma(images)
    prev = None if previous is None else analysis_luma(previous)[0]
    return measure_luma(y, prev, dark_luma=dark_luma, bright_luma=bright_luma)
