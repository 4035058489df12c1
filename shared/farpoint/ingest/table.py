"""The frame table: where each embedded row came from (source, frame index, timestamp, pts).

Every stage after ingest indexes frames by row; this table maps a row back to its frame. The
in-process pipeline fills it while embedding; the services store it with the job
(:mod:`farpoint.jobs.artifacts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from farpoint.ingest.frame import Frame


@dataclass
class FrameTable:
    """Where each embedded row came from."""

    sources: list[str] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)
    timestamps: list[float] = field(default_factory=list)
    pts: list[int | None] = field(default_factory=list)  # see Frame.pts; may be left empty

    def add(self, frame: Frame) -> None:
        self.sources.append(frame.source)
        self.indices.append(frame.index)
        self.timestamps.append(frame.timestamp)
        self.pts.append(frame.pts)

    def pts_of(self, row: int) -> int | None:
        """The pts of ``row`` (None when unknown, e.g. a table read from older metadata)."""
        return self.pts[row] if len(self.pts) == len(self.sources) else None

    def __len__(self) -> int:
        return len(self.sources)

    def group_ids(self) -> np.ndarray:
        """One integer per source, for per-video quotas and time gaps."""
        ids: dict[str, int] = {}
        return np.array([ids.setdefault(s, len(ids)) for s in self.sources], dtype=np.int64)


def estimate_frames(paths: Sequence[Path | str], fps: float | None) -> int | None:
    """A cheap estimate of the frames ingest will yield (for the progress bar)."""
    from farpoint.ingest.images import is_archive, is_image

    total = 0
    for p in paths:
        if is_image(p):
            total += 1
            continue
        if is_archive(p):
            return None
        try:
            import av

            with av.open(str(p)) as c:
                s = c.streams.video[0]
                if s.duration and s.time_base is not None:
                    dur = float(s.duration * s.time_base)
                else:
                    dur = (c.duration or 0) / 1e6
                rate = float(s.average_rate or 0)
                total += int(dur * (min(rate, fps) if fps else rate)) or 1
        except Exception:  # noqa: BLE001 - only an estimate
            return None
    return total
