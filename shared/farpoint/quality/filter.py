"""The stage function: drop the junk frames of a frame stream, counting why.

:func:`filter_frames` sits between ingest and embed in ``farpoint select``
(:mod:`farpoint.pipeline`) and in the ingest service (services/ingest/handler.py): the same
function on the same decoded frames, so the CLI and a REST job keep the same frames. Frames are
measured in batches of one source and one shape (vectorised, :mod:`farpoint.quality.measures`),
and come out in their original order. A frame is tested against the previous frame of its video
for ``frozen`` whether or not that frame was kept, so a freeze keeps its first frame only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from farpoint.errors import InputError
from farpoint.ingest.frame import Frame
from farpoint.ingest.images import MEMBER_SEP, is_archive, is_image
from farpoint.quality.measures import FrameMeasures, analysis_luma, measure_luma
from farpoint.quality.report import QualityReport
from farpoint.quality.thresholds import EXPOSURE_SHARE, QualitySettings

BATCH = 64  # frames measured at once


def is_still(source: str) -> bool:
    """Whether ``source`` is a still image (a file or an archive member), not a video."""
    if is_image(source):
        return True
    head = source.split(MEMBER_SEP, 1)[0]
    return MEMBER_SEP in source and is_archive(head)


def reasons_for(m: FrameMeasures, s: QualitySettings, checks: Sequence[str]) -> list[str | None]:
    """The first failed test of each frame (in ``dark, bright, uniform, blurred, frozen`` order
    among ``checks``), or None when it passes them all."""
    tests = {
        "dark": m.lit < EXPOSURE_SHARE,
        "bright": m.unlit < EXPOSURE_SHARE,
        "uniform": m.std < s.uniform_std,
        "blurred": m.sharpness < s.blur_sharpness,
        "frozen": np.nan_to_num(m.change, nan=np.inf) < s.frozen_change,
    }
    active = [(name, fails) for name, fails in tests.items() if name in checks]
    out: list[str | None] = []
    for i in range(len(m.std)):
        out.append(next((name for name, fails in active if fails[i]), None))
    return out


class QualityFilter:
    """Decides, frame by frame in stream order, which frames to drop (and counts them)."""

    def __init__(self, settings: QualitySettings, report: QualityReport | None = None) -> None:
        self.settings = settings
        self.report = report if report is not None else QualityReport(settings)
        self._prev_source: str | None = None
        self._prev_luma: np.ndarray | None = None

    def judge(self, frames: Sequence[Frame]) -> list[str | None]:
        """Reasons for a batch of frames of one source and one shape, in stream order."""
        if not frames:
            return []
        source = frames[0].source
        still = is_still(source)
        checks = self.settings.image_checks if still else self.settings.video_checks
        y = analysis_luma(np.stack([f.image for f in frames]))
        prev = self._prev_luma if (self._prev_source == source and not still) else None
        m = measure_luma(
            y, prev, dark_luma=self.settings.dark_luma, bright_luma=self.settings.bright_luma
        )
        if still:  # an image has no previous frame
            m = FrameMeasures(m.lit, m.unlit, m.std, m.sharpness, np.full_like(m.change, np.nan))
        self._prev_source, self._prev_luma = source, y[-1]
        out = reasons_for(m, self.settings, checks)
        for f, why in zip(frames, out, strict=True):
            self.report.count(f.source, why)
        return out


def filter_frames(
    frames: Iterable[Frame],
    settings: QualitySettings | None = None,
    report: QualityReport | None = None,
    *,
    batch: int = BATCH,
) -> Iterator[Frame]:
    """Yield the frames that pass the quality filter, in order; count the rest in ``report``.

    With ``settings.enabled`` false every frame passes (and is counted as kept). Raises
    :class:`~farpoint.errors.InputError` when frames came in but every one was dropped: a
    selection never silently runs on nothing.
    """
    settings = settings if settings is not None else QualitySettings()
    report = report if report is not None else QualityReport(settings)
    report.settings = settings
    if not settings.enabled:
        for f in frames:
            report.count(f.source, None)
            yield f
        return
    qf = QualityFilter(settings, report)
    pending: list[Frame] = []
    for f in frames:
        if pending and (
            len(pending) >= batch
            or f.source != pending[0].source
            or f.image.shape != pending[0].image.shape
        ):
            yield from _kept(qf, pending)
            pending = []
        pending.append(f)
    if pending:
        yield from _kept(qf, pending)
    if report.frames_in and not report.frames_kept:
        raise InputError(
            f"the quality filter dropped all {report.frames_in} decoded frames "
            f"({report.summary()}); turn it off (--no-quality-filter, or quality_filter "
            '{"enabled": false} in a job) or loosen its thresholds'
        )


def _kept(qf: QualityFilter, frames: list[Frame]) -> Iterator[Frame]:
    for f, why in zip(frames, qf.judge(frames), strict=True):
        if why is None:
            yield f
