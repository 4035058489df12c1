"""Compile farpoint's numba code once, into the persistent cache: ``python -m farpoint.warmup``.

numba compiles a function the first time it is called with new argument types (seconds each: the
selection engine's ~20 kernels, dedup, and UMAP's ~40; ~50 s on 2 cores in all). With the cache
in the virtualenv (``<venv>/var/numba-cache``, see :mod:`farpoint.jitcache`) that happens once,
here, instead of in a user's first ``farpoint select``. ``make setup`` runs this after installing
the packages; the container images run the same command at build time so a new pod starts warm.

It calls the very functions the CLI and the services call, on tiny data, with the argument types
real runs use: :func:`farpoint.vectors.select_vectors` on float32 vectors both in memory (the
services) and memory-mapped read-only from a ``.npy`` (``farpoint select-vectors``), with and
without a labeled pool, ``--dedup`` and ``--min-distance``; and :func:`farpoint.normalize
.fit_reducer` / :func:`~farpoint.normalize.apply_reducer` with UMAP on a 100-frame clip's worth
of 1280-d features (exact k-NN inside UMAP) and on 4,500 points (pynndescent's approximate k-NN,
the path of every input above 4,096 frames). A second run only loads the cache (a few seconds).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _clustered(n: int, d: int, seed: int) -> np.ndarray:
    """Points around 40 centres: enough structure to take the engine's cell (pruned) path."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(40, d)) * 4
    x = centers[rng.integers(40, size=n)] + rng.normal(size=(n, d))
    return x.astype(np.float32)


def warm_selection() -> None:
    """The selection engine and dedup, as ``select_vectors`` (CLI and services) calls them."""
    from farpoint.vectors import select_vectors

    x = _clustered(6000, 20, seed=1)
    pool = _clustered(50, 20, seed=2)
    with tempfile.TemporaryDirectory(prefix="farpoint-warmup-") as tmp:
        path = Path(tmp) / "x.npy"
        np.save(path, x)
        mapped = np.load(path, mmap_mode="r")  # read-only arrays are other numba types
        for data in (x, mapped):
            select_vectors(data, 300)
            select_vectors(data, 50, method="fps", labeled=pool, min_distance=0.5)
            select_vectors(data, 50, method="fps", dedup=0.5)
        del mapped


def warm_umap() -> None:
    """UMAP fit + transform through :mod:`farpoint.normalize`, small and large inputs."""
    from farpoint.normalize import apply_reducer, fit_reducer

    for n, d in ((100, 1280), (4500, 50)):
        x = _clustered(n + 50, d, seed=3)
        reducer, _ = fit_reducer(x[:n], "umap", dims=20, seed=0)
        apply_reducer(reducer, x[n:])


STEPS = {"selection": warm_selection, "umap": warm_umap}


def main(argv: list[str] | None = None) -> int:
    from farpoint.jitcache import cache_dir

    parser = argparse.ArgumentParser(prog="python -m farpoint.warmup", description=__doc__)
    parser.add_argument("--only", choices=sorted(STEPS), action="append", help="one step")
    args = parser.parse_args(argv)
    where = cache_dir() or "numba's default (__pycache__ / ~/.cache)"
    for name in args.only or list(STEPS):
        t0 = time.perf_counter()
        STEPS[name]()
        sys.stderr.write(
            f"[warmup] {name}: {time.perf_counter() - t0:.1f}s (numba cache: {where})\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
