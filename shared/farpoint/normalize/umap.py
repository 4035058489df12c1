"""UMAP normalization of the embedding space (seed paper §3.3).

Farthest-point selection always grabs outliers first when the space has long global distances;
UMAP (McInnes et al. 2018, arXiv:1802.03426) keeps local neighbourhoods and flattens global
structure, so "far" means "unlike its neighbours". The paper reduces e.g. 2048 -> 20 dims and
found that even same-dimensional UMAP helps.

For bounded time and memory, the reducer is fitted on a sample (default 5,000 points) and the
remaining points are mapped with ``transform``; inputs above 50 dims are first reduced with PCA
to 50. A fixed ``random_state`` makes the result reproducible (and UMAP single-threaded).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

from farpoint.normalize.pca import PCAReducer

log = logging.getLogger(__name__)

PCA_PRE_DIMS = 50


class UMAPReducer:
    method = "umap"

    def __init__(
        self,
        dims: int = 20,
        seed: int = 0,
        n_neighbors: int = 15,
        min_dist: float = 0.1,
        metric: str = "euclidean",
    ) -> None:
        self.dims = dims
        self.seed = seed
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.metric = metric
        self.pre: PCAReducer | None = None
        self.umap_: object | None = None
        self._fit_input: np.ndarray | None = None
        self._fit_embedding: np.ndarray | None = None

    def _pre(self, x: np.ndarray) -> np.ndarray:
        return self.pre.transform(x) if self.pre is not None else np.asarray(x, np.float32)

    def fit(self, x: np.ndarray) -> UMAPReducer:
        import umap  # slow import (numba): only when used

        from farpoint.jitcache import cache_library_kernels

        cache_library_kernels()  # UMAP's kernels compile once per environment, not per process

        x = np.asarray(x, np.float32)
        if x.shape[1] > PCA_PRE_DIMS:
            self.pre = PCAReducer(PCA_PRE_DIMS, self.seed).fit(x)
        xp = self._pre(x)
        n_neighbors = max(2, min(self.n_neighbors, x.shape[0] - 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reducer = umap.UMAP(
                n_components=self.dims,
                n_neighbors=n_neighbors,
                min_dist=self.min_dist,
                metric=self.metric,
                random_state=self.seed,
                init="spectral" if x.shape[0] > self.dims + 1 else "random",
                transform_seed=self.seed,
            )
            self._fit_embedding = reducer.fit_transform(xp).astype(np.float32)
        self._fit_input = x
        self.umap_ = reducer
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        assert self.umap_ is not None, "fit first"
        x = np.asarray(x, np.float32)
        if (
            self._fit_input is not None
            and x.shape == self._fit_input.shape
            and np.array_equal(x, self._fit_input)
        ):
            assert self._fit_embedding is not None
            return self._fit_embedding.copy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(self.umap_.transform(self._pre(x)), np.float32)  # type: ignore[attr-defined]

    def params(self) -> dict[str, object]:
        return {
            "method": self.method,
            "dims": self.dims,
            "seed": self.seed,
            "n_neighbors": self.n_neighbors,
            "min_dist": self.min_dist,
            "metric": self.metric,
            "pca_pre_dims": PCA_PRE_DIMS if self.pre is not None else None,
        }
