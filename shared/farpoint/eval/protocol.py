"""The paired evaluation loop of seed paper §4.1.

For one *cell* (dataset x setting x k) and each sampling iteration ``i``: every method subsamples
``k`` items of the pool (labels unused), the probe is trained on them with seed ``i`` and tested
on the fixed, balanced, real test split. Iteration ``i`` gives every method the same seed: the
same random draw for ``random``, the same FPS start-point draw, the same probe initialisation and
batch order — so method-vs-random differences are paired.

A method is ``random`` or ``EMBEDDER[+umap|+pca]+fps``, e.g. ``pixels+fps``,
``imagenet+umap+fps``, ``swav+umap+fps`` (``swav`` / ``autoencoder`` need a model file).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from farpoint.errors import InputError
from farpoint.eval.data import Dataset
from farpoint.eval.derive import Derived
from farpoint.eval.features import EmbedderSpec, embed_images, normalized
from farpoint.eval.probe import CPU_PROBE, ProbeConfig, train_probe
from farpoint.eval.stats import class_balance, paired_compare
from farpoint.selection import random_select, select_points

log = logging.getLogger(__name__)

EMBEDDERS = ("pixels", "imagenet", "autoencoder", "swav")
DEFAULT_METHODS = (
    "random",
    "pixels+fps",
    "pixels+umap+fps",
    "imagenet+fps",
    "imagenet+umap+fps",
)


@dataclass(frozen=True)
class Method:
    name: str
    embedder: str | None = None
    normalize: str = "none"

    @classmethod
    def parse(cls, text: str) -> Method:
        text = text.strip()
        if text == "random":
            return cls("random")
        parts = text.split("+")
        if len(parts) not in (2, 3) or parts[-1] != "fps" or parts[0] not in EMBEDDERS:
            raise InputError(
                f"unknown method {text!r}: use random or EMBEDDER[+umap|+pca]+fps "
                f"with EMBEDDER one of {', '.join(EMBEDDERS)}"
            )
        norm = parts[1] if len(parts) == 3 else "none"
        if norm not in ("umap", "pca", "none"):
            raise InputError(f"unknown normalization {norm!r} in method {text!r}")
        return cls(text, parts[0], norm)


@dataclass
class MethodRuns:
    method: str
    accuracies: list[float] = field(default_factory=list)
    per_class: list[list[float]] = field(default_factory=list)
    balance: list[dict[str, float]] = field(default_factory=list)
    distinct_sources: list[float] = field(default_factory=list)
    select_seconds: float = 0.0

    def summary(self, baseline: MethodRuns | None) -> dict[str, Any]:
        acc = np.asarray(self.accuracies)
        out: dict[str, Any] = {
            "method": self.method,
            "n": int(acc.size),
            "mean": float(acc.mean()),
            "std": float(acc.std(ddof=1)) if acc.size > 1 else 0.0,
            "entropy": float(np.mean([b["entropy"] for b in self.balance])),
            "min_share": float(np.mean([b["min_share"] for b in self.balance])),
            "missing": float(np.mean([b["missing"] for b in self.balance])),
            "distinct_sources": float(np.mean(self.distinct_sources)),
            "per_class": np.nanmean(np.asarray(self.per_class), axis=0).tolist(),
        }
        if baseline is not None and baseline is not self:
            out["vs_random"] = paired_compare(acc, np.asarray(baseline.accuracies)).as_dict()
        return out


@dataclass
class CellResult:
    dataset: str
    setting: str
    k: int
    pool_size: int
    note: str
    runs: dict[str, MethodRuns]
    seconds: float

    def summaries(self) -> list[dict[str, Any]]:
        base = self.runs.get("random")
        return [r.summary(base) for r in self.runs.values()]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "setting": self.setting,
            "k": self.k,
            "pool_size": self.pool_size,
            "note": self.note,
            "seconds": self.seconds,
            "summary": self.summaries(),
            "raw": {
                name: {
                    "accuracies": r.accuracies,
                    "balance": r.balance,
                    "distinct_sources": r.distinct_sources,
                }
                for name, r in self.runs.items()
            },
        }


def method_space(
    method: Method, derived: Derived, models: dict[str, str], device: str = "cpu"
) -> np.ndarray | None:
    """The vectors FPS runs on for ``method`` (None for random)."""
    if method.embedder is None:
        return None
    model = models.get(method.embedder)
    vectors = embed_images(derived.pool.images, EmbedderSpec(method.embedder, model), device)
    return normalized(vectors, method.normalize)


def pick(method: Method, space: np.ndarray | None, n: int, k: int, seed: int) -> np.ndarray:
    if space is None:
        return random_select(n, k, seed=seed).indices
    return select_points(space, k, method="fps", seed=seed).indices


def run_cell(
    dataset: Dataset,
    derived: Derived,
    methods: list[Method],
    *,
    k: int,
    iterations: int,
    probe: ProbeConfig = CPU_PROBE,
    models: dict[str, str] | None = None,
    seed: int = 0,
    device: str = "cpu",
    progress: Callable[[str], None] | None = None,
) -> CellResult:
    """Run ``iterations`` paired sampling iterations of every method on one pool."""
    t0 = time.perf_counter()
    pool = derived.pool
    n = len(pool)
    if k > n:
        raise InputError(f"k={k} is larger than the {derived.name} pool of {dataset.name} ({n})")
    spaces = {m.name: method_space(m, derived, models or {}, device) for m in methods}
    runs = {m.name: MethodRuns(m.name) for m in methods}
    for i in range(iterations):
        it_seed = seed + i
        for m in methods:
            ts = time.perf_counter()
            idx = pick(m, spaces[m.name], n, k, it_seed)
            runs[m.name].select_seconds += time.perf_counter() - ts
            acc, per_class = train_probe(
                pool.images[idx], pool.labels[idx], dataset.test.images, dataset.test.labels,
                n_classes=dataset.n_classes, seed=it_seed, config=probe,
                val_x=dataset.val.images, val_y=dataset.val.labels,
            )
            r = runs[m.name]
            r.accuracies.append(acc)
            r.per_class.append(per_class.tolist())
            r.balance.append(class_balance(pool.labels[idx], dataset.n_classes))
            r.distinct_sources.append(float(np.unique(derived.source[idx]).size / k))
        if progress:
            accs = ", ".join(f"{m.name} {runs[m.name].accuracies[-1]:.3f}" for m in methods)
            progress(f"{dataset.name}/{derived.name} k={k} iteration {i + 1}/{iterations}: {accs}")
    return CellResult(
        dataset.name, derived.name, k, n, derived.note, runs, time.perf_counter() - t0
    )
