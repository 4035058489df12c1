"""The CPU backend: exact greedy farthest point that skips the points a new pick cannot change.

Algorithm 1 of the seed paper (§2.6) spends O(n·d) per pick streaming every vector through the
min-distance update, so a plain implementation is bound by memory bandwidth. :class:`CpuSelector`
keeps the same O(n) min-distance array but runs on
:class:`farpoint.selection.voronoi.VoronoiEngine`: explicit Voronoi cells of the picks, each sorted
by distance, pruned with the triangle inequality (see that module for the method, the exactness
argument and the memory it costs). Picks equal the float64 reference; a ``np.memmap`` input is
read in place (no row copy), so selection works out of core with O(n) extra state.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from farpoint.selection.base import Selection, validate_k, validate_start, validate_vectors
from farpoint.selection.constraints import Constraints
from farpoint.selection.greedy import run_greedy
from farpoint.selection.voronoi import VoronoiEngine

_PARALLEL_MIN = 1 << 26


class CpuSelector:
    """Exact pruned farthest point on CPU (numba, multi-threaded); picks equal the reference's."""

    name = "cpu"

    def __init__(self, *, threads: int | None = None) -> None:
        self.threads = threads

    def select(
        self,
        vectors: np.ndarray,
        k: int,
        *,
        start: int = 0,
        labeled: np.ndarray | None = None,
        min_distance: float | None = None,
        constraints: Constraints | None = None,
    ) -> Selection:
        x = validate_vectors(vectors)
        n = x.shape[0]
        k = validate_k(k, n)
        start = validate_start(start, n)
        pool = _validate_pool(labeled, x.shape[1])
        n_pool = 0 if pool is None else pool.shape[0]
        engine = VoronoiEngine(x, n_pool + k, copy=not _is_mapped(x))
        # a pruned pass is short: below ~64M elements thread hand-offs cost more than they
        # save (badly so on a shared, loaded machine), so small inputs run on one thread
        big = n * x.shape[1] >= _PARALLEL_MIN
        max_threads = int(getattr(nb.config, "NUMBA_NUM_THREADS", 1))
        threads = self.threads or (max_threads if big else 1)
        before = nb.get_num_threads()
        nb.set_num_threads(max(1, min(threads, max_threads)))
        try:
            return run_greedy(
                engine, x, k, start=start, labeled=pool, min_distance=min_distance,
                constraints=constraints, backend=self.name,
            )
        finally:
            nb.set_num_threads(before)


def _validate_pool(labeled: np.ndarray | None, d: int) -> np.ndarray | None:
    from farpoint.errors import InputError

    if labeled is None or len(labeled) == 0:
        return None
    pool = validate_vectors(labeled, "labeled").astype(np.float64)
    if pool.shape[1] != d:
        raise InputError(f"labeled vectors have {pool.shape[1]} dims but the vectors have {d}")
    return pool


def _is_mapped(a: object) -> bool:
    """True when ``a`` (or an array it views) is a memory map: rows are then not copied."""
    while isinstance(a, np.ndarray):
        if isinstance(a, np.memmap):
            return True
        a = a.base
    import mmap

    return isinstance(a, mmap.mmap)
