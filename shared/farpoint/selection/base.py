"""Types shared by every selector backend.

A selector implements greedy farthest-point selection (k-center greedy), the seed paper's
Algorithm 1 (§2.6): keep one "distance to the nearest picked point" per point (O(n) state), pick
the argmax, update with the distances to the new pick. Ties go to the lowest index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from farpoint.errors import InputError

if TYPE_CHECKING:
    from farpoint.selection.constraints import Constraints


@dataclass(frozen=True)
class Selection:
    """The result of a selection.

    Attributes:
        indices: row indices of the picks, in pick order (int64).
        distances: for each pick, its distance to the nearest point already picked (or in the
            labeled pool) at the moment it was picked: the covering-radius curve. The first pick
            without a labeled pool has distance ``inf``.
        stopped_early: True when ``min_distance`` (or, with constraints, running out of eligible
            points) ended the selection before ``k`` picks.
        info: backend details; ``stop_reason``; with de-duplication ``dedup_kept`` (original
            rows kept) and ``dedup_rep`` (for every original row, the kept row standing for it).
    """

    indices: np.ndarray
    distances: np.ndarray
    stopped_early: bool = False
    info: dict[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.indices.shape[0])


class Selector(Protocol):
    """A farthest-point backend. All backends must return the reference's picks."""

    name: str

    def select(
        self,
        vectors: np.ndarray,
        k: int,
        *,
        start: int = 0,
        labeled: np.ndarray | None = None,
        min_distance: float | None = None,
        constraints: Constraints | None = None,
    ) -> Selection: ...


def validate_vectors(vectors: object, name: str = "vectors") -> np.ndarray:
    """Return ``vectors`` as a C-contiguous float32 (n, d) array or raise :class:`InputError`."""
    if not isinstance(vectors, np.ndarray):
        try:
            vectors = np.asarray(vectors)
        except Exception as exc:  # noqa: BLE001
            raise InputError(f"{name} must be a 2-D numeric array: {exc}") from exc
    assert isinstance(vectors, np.ndarray)
    if vectors.ndim != 2:
        raise InputError(f"{name} must be a 2-D array (n, d); got shape {vectors.shape}")
    if vectors.shape[0] == 0 or vectors.shape[1] == 0:
        raise InputError(f"{name} is empty; shape {vectors.shape}")
    if not np.issubdtype(vectors.dtype, np.number) or np.iscomplexobj(vectors):
        raise InputError(f"{name} must be real numbers; got dtype {vectors.dtype}")
    # float32 C-ordered input (a np.memmap included) is used in place, never copied
    out = np.ascontiguousarray(vectors, dtype=np.float32)
    step = max(1, (1 << 22) // out.shape[1])  # check finiteness in ~16 MB slices
    bad = 0
    for a in range(0, out.shape[0], step):
        block = out[a : a + step]
        if not np.isfinite(block).all():
            bad += int((~np.isfinite(block)).any(axis=1).sum())
    if bad:
        raise InputError(f"{name} holds NaN or infinite values in {bad} row(s)")
    return out


def validate_k(k: object, n: int, what: str = "items") -> int:
    """Check the budget: 1 <= k <= n (the one check of k; ``k > n`` is an error, see the README).

    ``what`` names the n things in the message ("frames decoded", "vectors", ...).
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise InputError(f"k must be a positive integer; got {k!r}")
    k = int(k)
    if k <= 0:
        raise InputError(f"k must be a positive integer (>= 1); got {k}")
    if k > n:
        raise InputError(f"k={k} is larger than the {n} {what}; ask for at most {n}")
    return k


def validate_start(start: int, n: int) -> int:
    if not 0 <= int(start) < n:
        raise InputError(f"start index {start} is outside 0..{n - 1}")
    return int(start)
