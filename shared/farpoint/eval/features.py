"""Embeddings and normalized spaces for the eval pools, cached on disk.

Embedding 10k images with the ImageNet network takes minutes on a laptop CPU, and UMAP another
minute, so both are cached under ``~/.cache/farpoint/eval`` (``FARPOINT_EVAL_CACHE`` overrides),
keyed by a hash of the exact image bytes, the embedder (and its model file) and the
normalization parameters. Repeated runs are then fast.

Normalization is fitted once per pool (seed 0) on the unlabeled pool itself — transductive, no
labels — and shared by every sampling iteration; iterations differ in the FPS start point, the
random draw and the probe's initialisation.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from farpoint.eval.data import to_rgb

log = logging.getLogger(__name__)

IMAGENET_SIZE = 64  # EfficientNet-Lite0 input side for 20-28 px images (works from 64 px)


def cache_dir() -> Path:
    root = os.environ.get("FARPOINT_EVAL_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "farpoint", "eval"
    )
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def images_key(images: np.ndarray) -> str:
    h = hashlib.sha256()
    h.update(str(images.shape).encode())
    h.update(np.ascontiguousarray(images).tobytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class EmbedderSpec:
    name: str
    model: str | None = None

    def key(self) -> str:
        if self.model is None:
            extra = f"{IMAGENET_SIZE}" if self.name == "imagenet" else ""
            return f"{self.name}{extra}"
        st = Path(self.model).stat() if Path(self.model).exists() else None
        tag = f"{self.model}:{st.st_size}:{st.st_mtime_ns}" if st else self.model
        return f"{self.name}-{hashlib.sha256(tag.encode()).hexdigest()[:10]}"


def _build(spec: EmbedderSpec, device: str):  # type: ignore[no-untyped-def]
    if spec.name == "imagenet":
        from farpoint.embed.imagenet import ImageNetEmbedder

        return ImageNetEmbedder(device=device, size=IMAGENET_SIZE)
    from farpoint.embed import get_embedder

    return get_embedder(spec.name, model=spec.model, device=device)


def embed_images(
    images: np.ndarray, spec: EmbedderSpec, device: str = "cpu", chunk: int = 2048
) -> np.ndarray:
    """Embed gray ``(N, H, W)`` uint8 images (stacked to RGB), cached by content."""
    path = cache_dir() / f"emb-{spec.key()}-{images_key(images)}.npy"
    if path.exists():
        return np.load(path)
    embedder = _build(spec, device)
    t0 = time.perf_counter()
    parts = [embedder.embed(to_rgb(images[i : i + chunk])) for i in range(0, len(images), chunk)]
    out = np.concatenate(parts).astype(np.float32)
    log.info(
        "embedded %d images with %s in %.1fs", len(images), spec.key(), time.perf_counter() - t0
    )
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, out)
    os.replace(tmp, path)
    return out


def normalized(vectors: np.ndarray, method: str, dims: int = 20, seed: int = 0) -> np.ndarray:
    """``farpoint.normalize.normalize`` on the whole pool, cached by content."""
    if method == "none":
        return vectors
    path = cache_dir() / f"norm-{method}{dims}s{seed}-{images_key(vectors)}.npy"
    if path.exists():
        return np.load(path)
    from farpoint.normalize import normalize

    t0 = time.perf_counter()
    z, info = normalize(vectors, method, dims=dims, seed=seed, fit_sample=max(10_000, len(vectors)))
    log.info(
        "normalized %s with %s (got %s, trust %s) in %.1fs",
        vectors.shape,
        method,
        info.method,
        info.trustworthiness,
        time.perf_counter() - t0,
    )
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, z.astype(np.float32))
    os.replace(tmp, path)
    return z.astype(np.float32)
