"""Dense float32 backends: torch (CUDA when present, else CPU) and FAISS distance kernels.

Both run Algorithm 1 (seed paper §2.6) as written: every pick streams all vectors through a
float32 distance update (``torch``: ``((x - c)**2).sum(1)`` in chunks on the device; ``faiss``:
``fvec_L2sqr_ny``, FAISS's SIMD kernel, on CPU threads). Float32 sums of squared differences
are within a relative ``(d + 4) 2^-24`` of the float64 reference, so the driver in
:mod:`farpoint.selection.greedy` re-scores the few near-tied candidates in float64 and the picks are
the reference's. On the GPU the whole array is resident (n·d·4 bytes of device memory).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from farpoint.selection.base import Selection, validate_k, validate_start, validate_vectors
from farpoint.selection.constraints import Constraints
from farpoint.selection.cpu import _validate_pool
from farpoint.selection.greedy import run_greedy

_CHUNK = 1 << 20


def _rel_tol(d: int) -> float:
    return 2.0 * (d + 4) * 2.0**-24


class TorchEngine:
    """Float32 min-distance state in a torch tensor (device: CUDA if available)."""

    exact_zero = False

    def __init__(self, x: np.ndarray, device: str | None = None) -> None:
        import torch

        self.torch = torch
        dev = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.device = torch.device(dev)
        xt = torch.from_numpy(np.asarray(x)) if x.flags.writeable else torch.tensor(x)
        self.x = xt.to(self.device)
        self.mind = torch.full((x.shape[0],), float("inf"), device=self.device)
        self.rel_tol = _rel_tol(x.shape[1])
        chunk = max(1, (_CHUNK * 16) // x.shape[1])
        self.chunk = x.shape[0] if self.device.type == "cuda" and x.shape[0] < (1 << 27) else chunk

    def add_center(self, center: np.ndarray) -> None:
        c = self.torch.as_tensor(center, dtype=self.torch.float32, device=self.device)
        n = self.x.shape[0]
        for a in range(0, n, self.chunk):
            diff = self.x[a : a + self.chunk] - c
            dist = (diff * diff).sum(1)
            part = self.mind[a : a + self.chunk]
            self.torch.minimum(part, dist, out=part)

    def block(self, idx: np.ndarray) -> None:
        if idx.shape[0]:
            self.mind[self.torch.as_tensor(idx, device=self.device)] = float("-inf")

    def top(self, slack: float) -> tuple[float, np.ndarray]:
        top = float(self.mind.max())
        if top == float("-inf"):
            return top, np.empty(0, np.int64)
        hit = self.torch.nonzero(self.mind >= top - slack).flatten()
        return top, hit.cpu().numpy().astype(np.int64)


class FaissEngine:
    """Float32 min-distance state updated with FAISS's ``fvec_L2sqr_ny`` on CPU threads."""

    exact_zero = False

    def __init__(self, x: np.ndarray, threads: int | None = None) -> None:
        import faiss

        self.faiss = faiss
        self.x = x
        self.mind = np.full(x.shape[0], np.inf, np.float32)
        self.rel_tol = _rel_tol(x.shape[1])
        self.threads = threads or os.cpu_count() or 1
        self.chunk = max(1, min(_CHUNK, -(-x.shape[0] // self.threads)))
        self.buf = np.empty(x.shape[0], np.float32)
        self.pool = ThreadPoolExecutor(self.threads)

    def _part(self, a: int, c: np.ndarray) -> None:
        b = min(a + self.chunk, self.x.shape[0])
        xs = self.x[a:b]
        out = self.buf[a:b]
        f = self.faiss
        f.fvec_L2sqr_ny(f.swig_ptr(out), f.swig_ptr(c), f.swig_ptr(xs), xs.shape[1], b - a)
        np.minimum(self.mind[a:b], out, out=self.mind[a:b])

    def add_center(self, center: np.ndarray) -> None:
        c = np.ascontiguousarray(center, np.float32)
        list(self.pool.map(lambda a: self._part(a, c), range(0, self.x.shape[0], self.chunk)))

    def block(self, idx: np.ndarray) -> None:
        self.mind[idx] = -np.inf

    def top(self, slack: float) -> tuple[float, np.ndarray]:
        top = float(self.mind.max())
        if top == -np.inf:
            return top, np.empty(0, np.int64)
        return top, np.flatnonzero(self.mind >= top - slack).astype(np.int64)


class _DenseSelector:
    name = "dense"

    def _engine(self, x: np.ndarray) -> TorchEngine | FaissEngine:
        raise NotImplementedError

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
        k = validate_k(k, x.shape[0])
        start = validate_start(start, x.shape[0])
        pool = _validate_pool(labeled, x.shape[1])
        return run_greedy(
            self._engine(x), x, k, start=start, labeled=pool, min_distance=min_distance,
            constraints=constraints, backend=self.name,
        )


class TorchSelector(_DenseSelector):
    """Dense float32 farthest point with torch (CUDA if available); the reference's picks."""

    name = "torch"

    def __init__(self, device: str | None = None) -> None:
        self.device = device

    def _engine(self, x: np.ndarray) -> TorchEngine:
        return TorchEngine(x, self.device)


class FaissSelector(_DenseSelector):
    """Dense float32 farthest point with FAISS's distance kernel; the reference's picks."""

    name = "faiss"

    def _engine(self, x: np.ndarray) -> FaissEngine:
        return FaissEngine(x)
