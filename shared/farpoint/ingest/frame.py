"""The unit of work: one decoded frame (or image) with where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# The decode defaults of every path (CLI, Python API, job specs, the console): frames are scaled
# to DEFAULT_WIDTH px wide (aspect kept) and at most DEFAULT_FPS frames per second are kept. 5 fps
# (the paper: <= 10) covers as many video segments as 10 fps with the default method and halves
# what scales with kept frames (docs/performance.md, "Sampling rate"; bench/bench_fps_coverage.py).
DEFAULT_FPS = 5.0
DEFAULT_WIDTH = 100


@dataclass(frozen=True)
class Frame:
    """A decoded frame.

    Attributes:
        source: the file (or ``archive!member``) it came from.
        index: the frame's number in its source (0 for still images), for display; when
            non-reference frames were skipped it is derived from the timestamp.
        timestamp: presentation time in seconds (0.0 for still images).
        image: ``(H, W, 3)`` uint8 RGB.
        pts: presentation timestamp in the stream's time base: the frame's identity for a
            second pass that seeks (None for still images, or a stream without timestamps,
            where the second pass decodes from the start and matches ``index``).
    """

    source: str
    index: int
    timestamp: float
    image: np.ndarray = field(repr=False)
    pts: int | None = None


@dataclass
class DecodeReport:
    """What happened while decoding one source."""

    source: str
    kind: str = "video"
    decoded: int = 0
    kept: int = 0
    errors: int = 0
    first_error: str | None = None
    expected_frames: int | None = None
    missing: int = 0
    empty_slots: int = 0
    skip_nonref: bool = False
    fps: float | None = None
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)
