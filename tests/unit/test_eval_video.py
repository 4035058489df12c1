"""Video coverage helpers: scene cuts, uniform-in-time picks, coverage."""

from __future__ import annotations

import numpy as np

from farpoint.eval.video import coverage, scene_cuts, uniform_in_time


def test_scene_cuts_found_at_histogram_jumps() -> None:
    a = np.zeros(32)
    a[2] = 1
    b = np.zeros(32)
    b[20] = 1
    hists = np.stack([a] * 5 + [b] * 4 + [a] * 3)
    assert scene_cuts(hists).tolist() == [5, 9]


def test_uniform_in_time_and_coverage() -> None:
    picks = uniform_in_time(100, 4)
    assert picks.tolist() == [12, 37, 62, 87]
    segment = np.repeat(np.arange(4), 25)
    assert coverage(picks, segment, 4) == 1.0
    assert coverage(np.array([0, 1, 2]), segment, 4) == 0.25
