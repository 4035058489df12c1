"""How well a reduction keeps neighbourhoods: trustworthiness on a bounded sample.

Trustworthiness (Venna & Kaski 2001; ``sklearn.manifold.trustworthiness``) is 1.0 when every
point's k nearest neighbours in the reduced space were also near in the original space.
"""

from __future__ import annotations

import numpy as np


def trustworthiness_sample(
    original: np.ndarray,
    reduced: np.ndarray,
    *,
    sample: int = 1000,
    n_neighbors: int = 10,
    seed: int = 0,
) -> float:
    from sklearn.manifold import trustworthiness

    n = original.shape[0]
    if n <= n_neighbors * 2 + 1:
        return 1.0
    idx = np.random.default_rng(seed).choice(n, size=min(sample, n), replace=False)
    k = min(n_neighbors, len(idx) // 2 - 1)
    return float(trustworthiness(original[idx], reduced[idx], n_neighbors=k))
