"""Normalization: map embeddings to a small space where distances mean "unlike its neighbours".

``normalize(vectors, method)`` fits on a bounded sample, transforms everything, scores the result
(trustworthiness) and falls back from UMAP to PCA, with a warning, when the score is poor or the
input too small for UMAP. ``fit_reducer`` / ``apply_reducer`` split the two halves for services.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from farpoint.errors import InputError
from farpoint.normalize.pca import PCAReducer
from farpoint.normalize.quality import trustworthiness_sample
from farpoint.normalize.umap import UMAPReducer

log = logging.getLogger(__name__)

METHODS = ("umap", "pca", "none")
# the product default (farpoint select, the Python API, job specs), chosen from the evaluation
# tables: docs/quality.md, "What the results say about farpoint's defaults"
DEFAULT_NORMALIZE = "pca"
MIN_UMAP_POINTS = 64
DEFAULT_FIT_SAMPLE = 5_000  # fit cost grows with it; trustworthiness held (docs/performance.md)
DEFAULT_MIN_TRUST = 0.70
# rows per transform call (bounded memory); the normalization service's default batch, so its
# batches are the same calls and its picks equal the CLI's for every method
TRANSFORM_CHUNK = 50_000


@dataclass
class NormalizeInfo:
    method: str
    requested: str
    params: dict[str, Any] = field(default_factory=dict)
    trustworthiness: float | None = None
    fit_sample: int = 0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class IdentityReducer:
    method = "none"

    def __init__(self, dims: int = 0, seed: int = 0) -> None:
        self.dims = dims
        self.seed = seed

    def fit(self, x: np.ndarray) -> IdentityReducer:
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, np.float32)

    def params(self) -> dict[str, object]:
        return {"method": "none"}


Reducer = UMAPReducer | PCAReducer | IdentityReducer


def sample_rows(n: int, size: int = DEFAULT_FIT_SAMPLE, seed: int = 0) -> np.ndarray | None:
    """The rows (sorted) of ``n`` that :func:`fit_reducer` fits on, or None for all of them: a
    service can gather just these rows shard by shard and fit on them with the same result."""
    if n <= size:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def _sample(x: np.ndarray, size: int, seed: int) -> np.ndarray:
    idx = sample_rows(x.shape[0], size, seed)
    return x if idx is None else x[idx]


def fit_reducer(
    x: np.ndarray,
    method: str = "umap",
    *,
    dims: int = 20,
    seed: int = 0,
    fit_sample: int = DEFAULT_FIT_SAMPLE,
    min_trust: float = DEFAULT_MIN_TRUST,
) -> tuple[Reducer, NormalizeInfo]:
    """Fit a reducer on (a sample of) ``x``; fall back from UMAP to PCA when it is poor."""
    if method not in METHODS:
        raise InputError(f"unknown normalization {method!r}; choose one of {', '.join(METHODS)}")
    if dims <= 0:
        raise InputError(f"normalization dims must be >= 1; got {dims}")
    info = NormalizeInfo(method=method, requested=method)
    if method == "none":
        red: Reducer = IdentityReducer()
        info.params = red.params()
        return red, info
    sample = _sample(x, fit_sample, seed)
    info.fit_sample = int(sample.shape[0])
    dims_eff = min(dims, x.shape[1])
    if method == "umap" and sample.shape[0] < MIN_UMAP_POINTS:
        msg = f"only {sample.shape[0]} points: too few for UMAP, using PCA instead"
        log.warning(msg)
        info.warnings.append(msg)
        method = "pca"
    if method == "umap":
        red = UMAPReducer(dims_eff, seed).fit(sample)
        z = red.transform(sample)
        info.trustworthiness = trustworthiness_sample(sample, z, seed=seed)
        if info.trustworthiness < min_trust:
            msg = (
                f"UMAP trustworthiness {info.trustworthiness:.3f} is below {min_trust}: "
                "falling back to PCA"
            )
            log.warning(msg)
            info.warnings.append(msg)
            method = "pca"
    if method == "pca":
        red = PCAReducer(min(dims_eff, sample.shape[0]), seed).fit(sample)
        info.trustworthiness = trustworthiness_sample(sample, red.transform(sample), seed=seed)
    info.method = method
    info.params = red.params()
    return red, info


def apply_reducer(reducer: Reducer, x: np.ndarray, chunk: int = TRANSFORM_CHUNK) -> np.ndarray:
    """Transform ``x`` in chunks (bounded memory)."""
    if x.shape[0] <= chunk:
        return reducer.transform(x)
    return np.concatenate([reducer.transform(x[i : i + chunk]) for i in range(0, len(x), chunk)])


def normalize(
    x: np.ndarray,
    method: str = "umap",
    *,
    dims: int = 20,
    seed: int = 0,
    fit_sample: int = DEFAULT_FIT_SAMPLE,
) -> tuple[np.ndarray, NormalizeInfo]:
    """Fit on a sample, transform all of ``x``; see :func:`fit_reducer`."""
    reducer, info = fit_reducer(x, method, dims=dims, seed=seed, fit_sample=fit_sample)
    return apply_reducer(reducer, x), info


def dump_reducer(reducer: Reducer) -> bytes:
    """Serialize a fitted reducer (a pickle: store it only where farpoint alone writes)."""
    return pickle.dumps(reducer, protocol=pickle.HIGHEST_PROTOCOL)


def load_reducer(data: bytes) -> Reducer:
    obj = pickle.loads(data)  # noqa: S301 - written by farpoint itself into its own store
    if not isinstance(obj, UMAPReducer | PCAReducer | IdentityReducer):
        raise InputError("stored reducer is not a farpoint reducer")
    return obj


__all__ = ["METHODS", "NormalizeInfo", "apply_reducer", "fit_reducer", "normalize", "sample_rows"]
