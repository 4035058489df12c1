"""The paired evaluation loop of seed paper §4.1.

For one *cell* (dataset x setting x k) and each sampling iteration ``i``: every method subsamples
``k`` items of the pool (labels unused), the probe is trained on them with seed ``i`` and tested
on the fixed, balanced, real test split. Iteration ``i`` gives every method the same seed: the
same random draw for ``random``, the same FPS start-point draw, the same probe initialisation and
batch order — so method-vs-random differences are paired.

A method is ``random`` or ``EMBEDDER[+umap|+pca]+SELECTOR`` with SELECTOR any registered
selection method (:data:`farpoint.selection.registry.METHODS`), e.g. ``pixels+fps``,
``imagenet+umap+fps``, ``imagenet+pca+facility`` (``swav`` / ``autoencoder`` need a model file).

The probe is the MLP/CNN/ResNet of :mod:`farpoint.eval.probe` (trained on the subset's pixels) or
the linear probe on frozen features of :mod:`farpoint.eval.linear`.
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
from farpoint.eval.grid import EMBEDDERS, NORMALIZATIONS
from farpoint.eval.linear import FrozenFeatures, LinearProbeConfig, train_linear_probe
from farpoint.eval.probe import CPU_PROBE, ProbeConfig, train_probe
from farpoint.eval.stats import class_balance, paired_compare
from farpoint.selection import random_select, select_points

log = logging.getLogger(__name__)

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
    embedder: str | None = None  # None: the random baseline (no space)
    normalize: str = "none"
    selector: str = "fps"

    @property
    def space(self) -> tuple[str, str] | None:
        return None if self.embedder is None else (self.embedder, self.normalize)

    @classmethod
    def parse(cls, text: str) -> Method:
        from farpoint.selection.registry import METHODS

        text = text.strip()
        if text == "random":
            return cls("random")
        parts = text.split("+")
        if len(parts) not in (2, 3) or parts[-1] not in METHODS or parts[0] not in EMBEDDERS:
            raise InputError(
                f"unknown method {text!r}: use random or EMBEDDER[+umap|+pca]+SELECTOR "
                f"with EMBEDDER one of {', '.join(EMBEDDERS)} and SELECTOR one of "
                f"{', '.join(METHODS)}"
            )
        norm = parts[1] if len(parts) == 3 else "none"
        if norm not in NORMALIZATIONS or norm == "none" and len(parts) == 3:
            raise InputError(f"unknown normalization {norm!r} in method {text!r}")
        return cls(text, parts[0], norm, parts[-1])


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
    failed: dict[str, str] = field(default_factory=dict)  # method -> error (dropped from cell)

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
            "failed": self.failed,
            "select_seconds": {n: r.select_seconds for n, r in self.runs.items()},
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
    if space is None or method.selector == "random":
        return random_select(n, k, seed=seed).indices
    return select_points(space, k, method=method.selector, seed=seed).indices


Probe = ProbeConfig | LinearProbeConfig


def probe_features(
    dataset: Dataset,
    derived: Derived,
    probe: LinearProbeConfig,
    models: dict[str, str],
    device: str = "cpu",
) -> FrozenFeatures:
    """The linear probe's frozen features of the derived pool and the real test split."""
    spec = EmbedderSpec(probe.features, models.get(probe.features))
    return FrozenFeatures.standardize(
        embed_images(derived.pool.images, spec, device),
        embed_images(dataset.test.images, spec, device),
    )


def run_cell(
    dataset: Dataset,
    derived: Derived,
    methods: list[Method],
    *,
    k: int,
    iterations: int,
    probe: Probe = CPU_PROBE,
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
    by_space: dict[tuple[str, str], np.ndarray] = {}
    for m in methods:
        if m.space is not None and m.space not in by_space:
            by_space[m.space] = method_space(m, derived, models or {}, device)  # type: ignore[assignment]
    feats = (
        probe_features(dataset, derived, probe, models or {}, device)
        if isinstance(probe, LinearProbeConfig)
        else None
    )
    runs = {m.name: MethodRuns(m.name) for m in methods}
    failed: dict[str, str] = {}
    # a method whose picks for seeds 0 and 1 are identical is deterministic (facility location):
    # its picks are reused instead of recomputed, which keeps the grid affordable on 2 cores
    first: dict[str, np.ndarray] = {}
    fixed: dict[str, np.ndarray] = {}
    for i in range(iterations):
        it_seed = seed + i
        for m in methods:
            if m.name in failed:
                continue
            ts = time.perf_counter()
            try:
                if m.name in fixed:  # seed-independent method: the same picks every iteration
                    idx = fixed[m.name]
                else:
                    idx = pick(m, None if m.space is None else by_space[m.space], n, k, it_seed)
                    if i == 0:
                        first[m.name] = idx
                    elif i == 1 and m.space is not None and np.array_equal(idx, first[m.name]):
                        fixed[m.name] = idx
            except Exception as exc:  # a broken method must not sink the whole grid: reported
                log.exception("%s failed on %s/%s k=%d", m.name, dataset.name, derived.name, k)
                failed[m.name] = f"{type(exc).__name__}: {exc}"
                continue
            runs[m.name].select_seconds += time.perf_counter() - ts
            if feats is not None:
                assert isinstance(probe, LinearProbeConfig)
                acc, per_class = train_linear_probe(
                    feats.pool[idx],
                    pool.labels[idx],
                    feats.test,
                    dataset.test.labels,
                    n_classes=dataset.n_classes,
                    seed=it_seed,
                    config=probe,
                )
            else:
                assert isinstance(probe, ProbeConfig)
                acc, per_class = train_probe(
                    pool.images[idx],
                    pool.labels[idx],
                    dataset.test.images,
                    dataset.test.labels,
                    n_classes=dataset.n_classes,
                    seed=it_seed,
                    config=probe,
                    val_x=dataset.val.images,
                    val_y=dataset.val.labels,
                )
            r = runs[m.name]
            r.accuracies.append(acc)
            r.per_class.append(per_class.tolist())
            r.balance.append(class_balance(pool.labels[idx], dataset.n_classes))
            r.distinct_sources.append(float(np.unique(derived.source[idx]).size / k))
        if progress and (len(methods) <= 8 or i == iterations - 1):
            accs = ", ".join(
                f"{m.name} {runs[m.name].accuracies[-1]:.3f}"
                for m in methods
                if m.name not in failed
            )
            progress(f"{dataset.name}/{derived.name} k={k} iteration {i + 1}/{iterations}: {accs}")
    for name in failed:
        runs.pop(name, None)
    return CellResult(
        dataset.name, derived.name, k, n, derived.note, runs, time.perf_counter() - t0, failed
    )
