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
}

DEFAULT_METHOD = "fps"


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
