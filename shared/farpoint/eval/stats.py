"""Statistics of paired runs: mean ± std, paired differences, significance, class balance.

Iteration ``i`` of every method shares its seed with iteration ``i`` of random, so differences
are taken pairwise and tested with a paired t-test (``scipy.stats.ttest_rel``) and the Wilcoxon
signed-rank test (no normality assumption).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from farpoint.errors import InputError


@dataclass
class PairedComparison:
    n: int
    mean: float
    std: float
    baseline_mean: float
    diff_mean: float
    diff_std: float
    t_pvalue: float
    wilcoxon_pvalue: float
    wins: int

    def as_dict(self) -> dict[str, float | int]:
        return dict(self.__dict__)


def _nan_to_one(p: float) -> float:
    return 1.0 if p is None or math.isnan(p) else float(p)


def paired_compare(method: np.ndarray, baseline: np.ndarray) -> PairedComparison:
    """Compare ``method[i]`` with ``baseline[i]`` (same seed ``i``)."""
    from scipy import stats

    a = np.asarray(method, dtype=np.float64)
    b = np.asarray(baseline, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise InputError(f"paired runs need equal 1-D shapes; got {a.shape} and {b.shape}")
    d = a - b
    if a.size < 2 or np.allclose(d, 0):
        t_p = w_p = 1.0
    else:
        t_p = _nan_to_one(stats.ttest_rel(a, b).pvalue)
        w_p = _nan_to_one(stats.wilcoxon(a, b).pvalue) if np.any(d != 0) else 1.0
    return PairedComparison(
        n=int(a.size),
        mean=float(a.mean()),
        std=float(a.std(ddof=1)) if a.size > 1 else 0.0,
        baseline_mean=float(b.mean()),
        diff_mean=float(d.mean()),
        diff_std=float(d.std(ddof=1)) if a.size > 1 else 0.0,
        t_pvalue=float(t_p),
        wilcoxon_pvalue=float(w_p),
        wins=int((d > 0).sum()),
    )


def class_balance(labels: np.ndarray, n_classes: int) -> dict[str, float]:
    """How balanced a subset is: normalized entropy (1 = perfectly balanced), the smallest
    class share relative to uniform, and how many classes are missing."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=n_classes)[:n_classes]
    total = counts.sum()
    if total == 0:
        return {"entropy": 0.0, "min_share": 0.0, "missing": float(n_classes)}
    p = counts / total
    nz = p[p > 0]
    entropy = float(-(nz * np.log(nz)).sum() / math.log(n_classes)) if n_classes > 1 else 1.0
    return {
        "entropy": entropy,
        "min_share": float(p.min() * n_classes),
        "missing": float((counts == 0).sum()),
    }
