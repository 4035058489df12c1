"""The unit of work: one decoded frame (or image) with where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Frame:
    """A decoded frame.

    Attributes:
        source: the file (or ``archive!member``) it came from.
        index: the frame's index among all decoded frames of the source (0 for still images);
            the same index finds the frame again in a second pass.
        timestamp: presentation time in seconds (0.0 for still images).
        image: ``(H, W, 3)`` uint8 RGB.
    """

    source: str
    index: int
    timestamp: float
    image: np.ndarray = field(repr=False)


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
    fps: float | None = None
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)
