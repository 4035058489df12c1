"""FAISS's OpenMP thread count, per call: one thread for small work.

FAISS parallelises every search and k-means step over all cores. On small inputs (the per-
cluster searches of TypiClust, the tests, the eval's few-thousand-row sets) the threads' spin-
waits cost more than they save, badly so on a shared machine: measured here, TypiClust on
5,000 x 20 took 0.55 CPU-s with 2 threads under load against 0.06 with 1. Work below
:data:`SMALL` multiply-adds runs on one thread; larger calls keep FAISS's default.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

SMALL = float(1 << 30)  # multiply-adds (~0.1-0.5 s of work)


@contextmanager
def faiss_threads(work: float) -> Iterator[None]:
    """Run the body on one FAISS thread when ``work`` (multiply-adds) is below :data:`SMALL`."""
    import faiss

    if work >= SMALL:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)
