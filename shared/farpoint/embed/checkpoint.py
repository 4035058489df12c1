"""Any torchvision-style ResNet state dict: penultimate-layer (pooled) features.

The seed paper's "representation" method (§3.2.1, §4.3) uses a classifier's penultimate layer.
Give a ``.pt``/``.pth`` file (or ``s3://`` URI) holding a ResNet-18/34/50/101/152 state dict, as
``torchvision.models.resnetXX().state_dict()`` writes it (a ``{"state_dict": ...}`` wrapper and a
``module.`` prefix are accepted). The architecture is inferred from the keys.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch

from farpoint.embed.torchutil import file_sha256, frames_to_tensor, run_batches
from farpoint.errors import InputError
from farpoint.store.uri import fetch_to_local

log = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_LAYOUTS = {
    (2, 2, 2, 2, False): "resnet18",
    (3, 4, 6, 3, False): "resnet34",
    (3, 4, 6, 3, True): "resnet50",
    (3, 4, 23, 3, True): "resnet101",
    (3, 8, 36, 3, True): "resnet152",
}


def _load_state_dict(path: str) -> dict[str, torch.Tensor]:
    try:
        obj: Any = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for bad files
        raise InputError(
            f"{path}: not a loadable torch state dict ({exc.__class__.__name__})"
        ) from exc
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise InputError(f"{path}: expected a ResNet state dict (name -> tensor)")
    return {k.removeprefix("module."): v for k, v in obj.items()}


def infer_arch(state: dict[str, torch.Tensor]) -> str:
    blocks = []
    for layer in range(1, 5):
        ids = {int(k.split(".")[1]) for k in state if k.startswith(f"layer{layer}.")}
        blocks.append(len(ids))
    bottleneck = any(k.endswith("conv3.weight") for k in state)
    arch = _LAYOUTS.get((blocks[0], blocks[1], blocks[2], blocks[3], bottleneck))
    if arch is None:
        raise InputError(f"state dict is not a torchvision ResNet (blocks per layer {blocks})")
    return arch


class CheckpointEmbedder:
    name = "checkpoint"

    def __init__(self, model: str | None = None, device: str = "cpu", size: int = 224) -> None:
        if not model:
            raise InputError("the checkpoint embedder needs --model PATH_OR_URI")
        import torchvision

        self.model_ref = model
        self.path = str(fetch_to_local(model))
        state = _load_state_dict(self.path)
        self.arch = infer_arch(state)
        net = getattr(torchvision.models, self.arch)(
            weights=None, num_classes=state["fc.weight"].shape[0]
        )
        net.load_state_dict(state)
        self.dim = int(net.fc.in_features)
        net.fc = torch.nn.Identity()
        self.net = net.eval().to(device)
        self.device = device
        self.size = size
        self.batch_size = 64

    def embed(self, frames: np.ndarray) -> np.ndarray:
        x = frames_to_tensor(
            frames, (self.size, self.size), IMAGENET_MEAN, IMAGENET_STD, self.device
        )
        return run_batches(self.net, x, self.batch_size)

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "model": self.model_ref,
            "arch": self.arch,
            "sha256": file_sha256(self.path, 16),
            "size": self.size,
            "dim": self.dim,
        }
