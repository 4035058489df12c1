"""The select stage on frames (:func:`select_frames`): the CLI pipeline and the selection
service both call it, so the same frames give the same picks either way."""

from __future__ import annotations

from typing import Any

import numpy as np

from farpoint.ingest.table import FrameTable
from farpoint.selection import select_points
from farpoint.selection.base import Selection, validate_k


def select_frames(
    normalized: np.ndarray,
    table: FrameTable,
    k: int,
    *,
    method: str = "fps",
    backend: str = "auto",
    seed: int = 0,
    labeled: np.ndarray | None = None,
    min_distance: float | None = None,
    select_options: dict[str, Any] | None = None,
) -> Selection:
    """The select stage on frames: the budget check, per-video constraints, then
    :func:`farpoint.selection.select_points`. The CLI and the selection service both call this."""
    validate_k(k, normalized.shape[0], "frames decoded")
    extra = dict(select_options or {})
    if "group_quota" in extra or "min_gap_s" in extra or method in ("uniform", "timeline", "auto"):
        extra.setdefault("groups", table.group_ids())  # these space picks per video in time
        extra.setdefault("times", np.asarray(table.timestamps))
    return select_points(
        normalized,
        k,
        method=method,
        backend=backend,
        seed=seed,
        labeled=labeled,
        min_distance=min_distance,
        **extra,
    )
