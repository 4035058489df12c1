"""The frame-quality filter: drop junk frames before they are embedded and selected.

Black, white, flat, blurred, frozen and undecodable frames are the most extreme outliers of an
embedding space, so greedy farthest-point selection (and any diversity method) picks them first
and wastes the labeling budget on them. This stage measures every decoded frame (uint8 RGB at the
decode width, ~100 px) with a few vectorised numpy operations and drops the junk, counting each
reason:

* ``dark`` / ``bright`` -- black or under-exposed / white or over-exposed: almost no pixel reaches
  a mid-dark luma, or almost none falls below a bright one (:mod:`farpoint.quality.measures`);
* ``uniform`` -- flat frames of any level (a grey card, a lens cap, one colour);
* ``blurred`` -- the variance of the Laplacian, divided by the luma variance so a dim or hazy but
  sharp frame keeps its score (Pech-Pacheco et al., *Diatom autofocusing in brightfield
  microscopy: a comparative study*, ICPR 2000, https://doi.org/10.1109/ICPR.2000.903548);
* ``frozen`` -- (near-)identical to the previous frame of the same video;
* ``undecodable`` -- frames the decoder could not produce (counted from the ingest reports).

Thresholds and the off switch are :class:`QualitySettings`; the stage function is
:func:`filter_frames`, called alike by ``farpoint select`` (:mod:`farpoint.pipeline`) and the
ingest service, so both drop the same frames. Still images only get the ``uniform`` test by
default. The defaults were measured on real videos (docs/quality.md, "Frame-quality filter").
"""

from __future__ import annotations

from farpoint.quality.filter import QualityFilter, filter_frames
from farpoint.quality.measures import FrameMeasures, measure_frames
from farpoint.quality.report import REASONS, QualityReport
from farpoint.quality.thresholds import QualitySettings, as_quality_settings

__all__ = [
    "REASONS",
    "FrameMeasures",
    "QualityFilter",
    "QualityReport",
    "QualitySettings",
    "as_quality_settings",
    "filter_frames",
    "measure_frames",
]
