"""PCA reduction (numpy SVD on a bounded sample; linear, so transform is a matrix product)."""

from __future__ import annotations

import numpy as np


class PCAReducer:
    """Project onto the top ``dims`` principal axes of a fitted sample."""

    method = "pca"

    def __init__(self, dims: int = 20, seed: int = 0) -> None:
        self.dims = dims
        self.seed = seed
        self.mean_: np.ndarray | None = None
        self.components_: np.ndarray | None = None
        self.explained_variance_ratio_: float | None = None

    def fit(self, x: np.ndarray) -> PCAReducer:
        x = np.asarray(x, dtype=np.float64)
        self.mean_ = x.mean(axis=0)
        _, s, vt = np.linalg.svd(x - self.mean_, full_matrices=False)
        dims = min(self.dims, vt.shape[0])
        # Deterministic sign: the largest-magnitude loading of each axis is positive.
        signs = np.sign(vt[np.arange(vt.shape[0]), np.abs(vt).argmax(axis=1)])
        signs[signs == 0] = 1
        vt = vt * signs[:, None]
        self.components_ = vt[:dims]
        var = s**2
        self.explained_variance_ratio_ = float(var[:dims].sum() / var.sum()) if var.sum() else 1.0
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        assert self.mean_ is not None and self.components_ is not None, "fit first"
        z = (np.asarray(x, dtype=np.float64) - self.mean_) @ self.components_.T
        return z.astype(np.float32)

    def params(self) -> dict[str, object]:
        return {
            "method": self.method,
            "dims": int(self.components_.shape[0]) if self.components_ is not None else self.dims,
            "seed": self.seed,
            "explained_variance": self.explained_variance_ratio_,
        }
