"""The one registry of selection methods: the CLI's choices, job specs, the OpenAPI enum and the
docs all read :data:`METHODS`. Add a method by writing its module (one concept per file, with its
paper link) and one entry here; its ``run`` takes ``(vectors, k, context)`` and returns a
:class:`~farpoint.selection.base.Selection` of rows of ``vectors``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from farpoint.errors import InputError

if TYPE_CHECKING:
    from farpoint.selection.base import Selection
    from farpoint.selection.constraints import Constraints


@dataclass(frozen=True)
class MethodContext:
    """Everything a method may use besides the vectors and k (each method ignores what it
    does not need; ``constraints`` is set only when quotas or time gaps were asked for)."""

    seed: int | None = 0
    start: int | None = None
    backend: str = "auto"
    labeled: np.ndarray | None = None
    min_distance: float | None = None
    constraints: Constraints | None = None
    groups: np.ndarray | None = None
    times: np.ndarray | None = None


MethodRun = Callable[[np.ndarray, int, MethodContext], "Selection"]


@dataclass(frozen=True)
class MethodInfo:
    """One selection method: what users see of it, and where its code lives."""

    name: str
    summary: str  # one line: CLI help, OpenAPI description, docs table
    reference: str  # the paper (or baseline) it implements
    run: str  # "module:function", imported on first use


METHODS: dict[str, MethodInfo] = {
    "fps": MethodInfo(
        "fps",
        "greedy farthest point (k-center greedy): the most diverse picks",
        "Gonzalez 1985; the seed paper's Algorithm 1",
        "farpoint.selection.fps:run",
    ),
    "random": MethodInfo(
        "random",
        "uniform random picks: the baseline",
        "seed paper §4.1",
        "farpoint.selection.random:run",
    ),
    "facility": MethodInfo(
        "facility",
        "facility location, lazy greedy on a sparse kNN graph: representative and diverse",
        "Lin & Bilmes, ACL 2011; apricot, arXiv 1906.03543",
        "farpoint.selection.facility:run",
    ),
    "kmeans": MethodInfo(
        "kmeans",
        "k-means into k clusters, the row nearest each centroid: representative picks",
        "Lloyd 1982; baseline of TypiClust, arXiv 2202.02794",
        "farpoint.selection.kmeans:run",
    ),
    "typiclust": MethodInfo(
        "typiclust",
        "the most typical row of each of the largest uncovered k-means clusters",
        "Hacohen et al., ICML 2022, arXiv 2202.02794",
        "farpoint.selection.typiclust:run",
    ),
    "typiclust-fps": MethodInfo(
        "typiclust-fps",
        "typiclust while k <= distinct rows / 20 (near-copies not counted), then greedy farthest "
        "point around its picks",
        "TypiClust (arXiv 2202.02794) + Gonzalez 1985; docs/quality.md",
        "farpoint.selection.typiclust_fps:run",
    ),
    "probcover": MethodInfo(
        "probcover",
        "greedy max coverage of delta-balls, delta by the pseudo-label purity rule",
        "Yehuda et al., NeurIPS 2022, arXiv 2205.11320",
        "farpoint.selection.probcover:run",
    ),
    "uniform": MethodInfo(
        "uniform",
        "evenly spaced in time per video: the every-Nth-frame baseline",
        "seed paper §1 (every-Nth-frame subsampling)",
        "farpoint.selection.uniform:run",
    ),
    "fps-dense": MethodInfo(
        "fps-dense",
        "greedy farthest point after dropping the least dense tenth of the rows (no outliers)",
        "Gonzalez 1985 + kNN density (arXiv 2202.02794)",
        "farpoint.selection.fps_dense:run",
    ),
    "timeline": MethodInfo(
        "timeline",
        "per video, equal-content-change pieces of the frames; the most typical frame of each",
        "DeMenthon et al., ACM MM 1998 (video curve); Divakaran et al., ICIP 2002",
        "farpoint.selection.timeline:run",
    ),
    "auto": MethodInfo(
        "auto",
        "timeline on video frames (times given), typiclust-fps otherwise",
        "timeline + TypiClust (arXiv 2202.02794) + FPS; docs/quality.md, Defaults",
        "farpoint.selection.auto:run",
    ),
}

# timeline on video frames, typiclust-fps otherwise: chosen from the linear-probe tables
# and the video coverage table (timeline): docs/quality.md, "Defaults"
DEFAULT_METHOD = "auto"


def method_names() -> tuple[str, ...]:
    """Every registered method, in registry order."""
    return tuple(METHODS)


def get_method(name: str) -> MethodRun:
    """The ``run`` function of method ``name`` (an :class:`InputError` names the choices)."""
    info = METHODS.get(name)
    if info is None:
        raise InputError(f"unknown method {name!r}; choose one of {', '.join(METHODS)}")
    module, _, func = info.run.partition(":")
    fn: MethodRun = getattr(importlib.import_module(module), func)
    return fn
