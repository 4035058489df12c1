"""Derived settings, generated reproducibly from the real pool images.

* ``balanced``    the pool as it is (every class equally frequent);
* ``long-tailed`` class ``c`` keeps ``n_max * imbalance ** (-rank_c / (C - 1))`` images, ranks
  drawn from the seed: the head class is ``imbalance`` times as frequent as the tail class;
* ``redundant``   few distinct source images, each repeated as a "scene" of many near-copies
  (brightness/contrast jitter and pixel noise, no motion: a static camera), scene lengths drawn
  from a geometric distribution so a few long scenes dominate — what consecutive video frames
  look like to a sampler (seed paper §1, §4.4). Labels are the source's label.
* ``redundant-shift`` the same, plus a shift of up to 1 px per copy (a camera that moves a
  little): on 20-28 px images a 1 px shift moves raw pixels about as far as a different image
  of the same class, which is what pixel-space FPS has to cope with.

The test set is never derived: it stays the balanced real test split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from farpoint.errors import InputError
from farpoint.eval.data import LabeledSet

SETTINGS = ("balanced", "long-tailed", "redundant", "redundant-shift")


@dataclass
class Derived:
    """A pool for one setting; ``source`` maps each item to the real pool image it came from."""

    name: str
    pool: LabeledSet
    source: np.ndarray
    note: str


def long_tailed_counts(n_max: int, n_classes: int, imbalance: float) -> np.ndarray:
    """Geometric decay from ``n_max`` (rank 0) to ``n_max / imbalance`` (last rank)."""
    if imbalance < 1:
        raise InputError(f"imbalance must be >= 1; got {imbalance}")
    ranks = np.arange(n_classes)
    counts = n_max * imbalance ** (-ranks / max(n_classes - 1, 1))
    return np.maximum(1, np.round(counts)).astype(np.int64)


def long_tailed(pool: LabeledSet, imbalance: float = 50.0, seed: int = 0) -> Derived:
    rng = np.random.default_rng(seed)
    classes = np.unique(pool.labels)
    n_max = min(int((pool.labels == c).sum()) for c in classes)
    counts = long_tailed_counts(n_max, classes.size, imbalance)
    order = rng.permutation(classes)  # which class is the head, which the tail
    keep = []
    for rank, c in enumerate(order):
        idx = np.flatnonzero(pool.labels == c)
        keep.append(rng.choice(idx, size=int(counts[rank]), replace=False))
    src = np.sort(np.concatenate(keep))
    sizes = {int(c): int(counts[r]) for r, c in enumerate(order)}
    return Derived(
        "long-tailed",
        pool.subset(src),
        src,
        f"imbalance {imbalance:g}:1, {src.size} images; class sizes {sizes}",
    )


def scene_lengths(n_sources: int, mean_copies: float, rng: np.random.Generator) -> np.ndarray:
    """Copies per source: 1 + geometric with the given mean (long scenes are rare but large)."""
    p = 1.0 / max(mean_copies, 1.0)
    return rng.geometric(p, size=n_sources).astype(np.int64)


def jitter_copies(
    image: np.ndarray, n: int, rng: np.random.Generator, shift: int = 1, strength: float = 1.0
) -> np.ndarray:
    """``n`` near-copies of one gray image: shift <= ``shift`` px, gain (±5%) / offset (±6)
    jitter and pixel noise (sigma 4), the last three scaled by ``strength``."""
    h, w = image.shape
    pad = np.pad(image.astype(np.float32), shift, mode="edge")
    dy = rng.integers(0, 2 * shift + 1, size=n)
    dx = rng.integers(0, 2 * shift + 1, size=n)
    out = np.stack([pad[y : y + h, x : x + w] for y, x in zip(dy, dx, strict=True)])
    gain = 1 + strength * rng.uniform(-0.05, 0.05, size=(n, 1, 1))
    offset = strength * rng.uniform(-6, 6, size=(n, 1, 1))
    noise = rng.normal(0, 4 * strength, size=out.shape)
    return np.clip(out * gain + offset + noise, 0, 255).astype(np.uint8)


def redundant(
    pool: LabeledSet,
    n_sources: int = 100,
    mean_copies: float = 20.0,
    seed: int = 0,
    shift: int = 0,
    name: str = "redundant",
) -> Derived:
    rng = np.random.default_rng(seed)
    n_sources = min(n_sources, len(pool))
    sources = np.sort(rng.choice(len(pool), size=n_sources, replace=False))
    lengths = scene_lengths(n_sources, mean_copies, rng)
    images = [
        jitter_copies(pool.images[s], int(m), rng, shift=shift)
        for s, m in zip(sources, lengths, strict=True)
    ]
    src = np.repeat(sources, lengths)
    derived = LabeledSet(np.concatenate(images), pool.labels[src])
    return Derived(
        name,
        derived,
        src,
        (
            f"{n_sources} distinct source images, {src.size} items, shift <= {shift} px "
            f"(copies per source: mean {lengths.mean():.1f}, max {lengths.max()})"
        ),
    )


def derive(pool: LabeledSet, setting: str, seed: int = 0, **options: float) -> Derived:
    if setting == "balanced":
        return Derived("balanced", pool, np.arange(len(pool)), f"{len(pool)} images")
    if setting == "long-tailed":
        return long_tailed(pool, imbalance=float(options.get("imbalance", 50.0)), seed=seed)
    if setting in ("redundant", "redundant-shift"):
        return redundant(
            pool,
            n_sources=int(options.get("n_sources", 100)),
            mean_copies=float(options.get("mean_copies", 20.0)),
            seed=seed,
            shift=1 if setting == "redundant-shift" else 0,
            name=setting,
        )
    raise InputError(f"unknown setting {setting!r}; choose from {', '.join(SETTINGS)}")
