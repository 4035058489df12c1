"""The linear probe on frozen features: the standard protocol of the low-budget selection papers.

TypiClust (Hacohen et al., ICML 2022, https://arxiv.org/abs/2202.02794), ProbCover (Yehuda et
al., NeurIPS 2022, https://arxiv.org/abs/2205.11320) and USL (Wang et al., ECCV 2022) measure a
selection by training a *linear* classifier on frozen self-supervised features of the picked,
labeled items and testing it on a fixed test split. Compared with a network trained from scratch
(:mod:`farpoint.eval.probe`) it is deterministic, has no epochs to tune, and one fit on <= 100
labeled items takes milliseconds on a CPU, so >= 50 paired iterations per cell are cheap.

Recipe (fixed, never tuned per method): features of one embedder (``imagenet`` by default: the
probe space is the same for every method in a cell, so it is never the space a method selected
in unless that method used the same embedder); centred by the *unlabeled pool's* mean and scaled
by its overall std (transductive, no labels); then multinomial logistic regression, L2 penalty
``C = 1``, lbfgs, up to 1,000 iterations (scikit-learn). A subset with one class predicts that
class everywhere.

Speed: with ``n <= 100`` labeled rows in ``d = 1280`` dimensions the L2-penalized solution lies
in the span of the training rows (representer theorem), so the fit runs on the rows' coordinates
in that span (thin SVD ``X = U S V^T``: train ``U S``, test ``T V``), which is the same model
(``w = V b``, ``|w| = |b|``) at ``n`` instead of ``d`` dimensions: ~50 ms a fit on one core.
Run it with BLAS limited to one thread on a shared machine (``farpoint eval`` does): threads
fighting over two loaded cores made a 10-row fit take a second.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LinearProbeConfig:
    name: str = "linear"
    features: str = "imagenet"  # the embedder whose frozen features the probe reads
    c: float = 1.0
    max_iter: int = 1000

    def describe(self) -> str:
        return (
            f"logistic regression on frozen {self.features} features (pool-standardized), "
            f"L2 C={self.c:g}, lbfgs <= {self.max_iter} iterations"
        )


LINEAR_PROBE = LinearProbeConfig()


@dataclass
class FrozenFeatures:
    """Pool and test features, standardized with the pool's statistics (no labels used)."""

    pool: np.ndarray
    test: np.ndarray

    @classmethod
    def standardize(cls, pool: np.ndarray, test: np.ndarray) -> FrozenFeatures:
        pool = np.asarray(pool, dtype=np.float64)
        test = np.asarray(test, dtype=np.float64)
        if pool.ndim != 2 or test.ndim != 2 or pool.shape[1] != test.shape[1]:
            raise ValueError(f"feature shapes differ: pool {pool.shape}, test {test.shape}")
        mean = pool.mean(axis=0)
        scale = float((pool - mean).std()) or 1.0
        return cls(
            ((pool - mean) / scale).astype(np.float32), ((test - mean) / scale).astype(np.float32)
        )


def train_linear_probe(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    *,
    n_classes: int,
    seed: int = 0,
    config: LinearProbeConfig = LINEAR_PROBE,
) -> tuple[float, np.ndarray]:
    """Fit on ``(train_x, train_y)``; return (test accuracy, per-class accuracy).

    lbfgs is deterministic, so ``seed`` only matters for solvers that shuffle; it is passed for
    the record."""
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(train_y, dtype=np.int64)
    ty = np.asarray(test_y, dtype=np.int64)
    present = np.unique(y)
    if present.size == 1:
        pred = np.full(ty.shape, present[0])
    else:
        x = np.asarray(train_x, dtype=np.float64)
        _, s, vt = np.linalg.svd(x, full_matrices=False)
        basis = vt[s > s.max() * 1e-10].T  # (d, r): the span of the training rows
        clf = LogisticRegression(C=config.c, max_iter=config.max_iter, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning on separable tiny sets
            clf.fit(x @ basis, y)
        pred = clf.predict(np.asarray(test_x, dtype=np.float64) @ basis)
    per_class = np.array(
        [
            float((pred[ty == c] == c).mean()) if (ty == c).any() else np.nan
            for c in range(n_classes)
        ]
    )
    return float((pred == ty).mean()), per_class
