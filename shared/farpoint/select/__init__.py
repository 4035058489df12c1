"""Selection: greedy farthest point (Algorithm 1 of the seed paper) and random.

``get_selector(name)`` returns a backend; every backend returns the reference's picks.
"""

from __future__ import annotations

from farpoint.errors import InputError
from farpoint.select.base import Selection, Selector, validate_k, validate_vectors
from farpoint.select.random import random_select
from farpoint.select.reference import ReferenceSelector, farthest_point_reference

BACKENDS = ("auto", "reference")


def get_selector(name: str = "auto") -> Selector:
    """Return the selector backend ``name`` ("auto" picks the fastest available)."""
    if name in ("auto", "reference"):
        return ReferenceSelector()
    raise InputError(f"unknown selector backend {name!r}; choose one of {', '.join(BACKENDS)}")


__all__ = [
    "BACKENDS",
    "Selection",
    "Selector",
    "farthest_point_reference",
    "get_selector",
    "random_select",
    "validate_k",
    "validate_vectors",
]
