"""The autoencoder training adapter (seed paper §2.4, §3.2.2); the network is
:mod:`farpoint.models.autoencoder`.

Frames are letterboxed to a fixed training size whose sides are multiples of 16 (the encoder
halves the size four times): each side of the dataset's frame size rounded to the nearest
multiple of 16 — 28x28 Fashion-MNIST -> 32x32, 56x100 video (16:9 at width 100) -> 64x96,
75x100 (4:3) -> 80x96. Pixels stay in [0, 1] (no mean/std) because the decoder's sigmoid
reconstructs them. The loss is the mean squared error (L2). **No augmentation** (§3.2.2: it would
leak into the embedding). The embedding is the bottleneck, 8-d by default.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from farpoint.models.autoencoder import Autoencoder
from farpoint.models.preprocess import fit, to_tensor
from farpoint.train.dataset import FrameSet


@dataclass
class AutoencoderConfig:
    bottleneck: int = 8
    lr: float = 1e-3
    weight_decay: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def training_size(height: int, width: int) -> tuple[int, int]:
    """Each side rounded to the nearest multiple of 16 (at least 16)."""
    return max(16, 16 * round(height / 16)), max(16, 16 * round(width / 16))


class AutoencoderMethod:
    """The ``autoencoder`` training method (see :class:`farpoint.train.methods.Method`)."""

    name = "autoencoder"
    config_class = AutoencoderConfig
    default_batch = 128

    def __init__(
        self,
        frames: FrameSet,
        cfg: AutoencoderConfig,
        batch_size: int,
        seed: int,
        device: torch.device,
        input_spec: dict[str, Any] | None = None,
        arch: dict[str, Any] | None = None,
    ) -> None:
        if arch is not None:
            cfg = AutoencoderConfig(**{**cfg.as_dict(), "bottleneck": int(arch["bottleneck"])})
        self.cfg = cfg
        self.frames = frames
        self.device = device
        if input_spec is None:
            h, w = training_size(frames.height, frames.width)
            input_spec = {"height": h, "width": w, "fit": "letterbox",
                          "mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0]}
        self.input_spec = input_spec
        self.model = Autoencoder(input_spec["height"], input_spec["width"],
                                 cfg.bottleneck).to(device)
        self.batch_size = min(batch_size, len(frames))
        self.rng = np.random.default_rng(seed)
        self._perm = np.empty(0, dtype=np.int64)
        self._pos = 0
        self.views_info: dict[str, Any] = {"augmentation": "none"}

    @property
    def encoder(self) -> nn.Module:
        return self.model.encoder

    def arch(self) -> dict[str, Any]:
        return {"backbone": "conv-ae", "bottleneck": self.cfg.bottleneck,
                "embed_dim": self.cfg.bottleneck, "decoder_layers": 5}

    def param_groups(self, lr: float) -> list[dict[str, Any]]:
        return [{"params": list(self.model.parameters()), "lr": lr}]

    def steps_per_epoch(self) -> int:
        return max(1, len(self.frames) // self.batch_size)

    def next_batch(self) -> list[torch.Tensor]:
        b = self.batch_size
        if self._pos + b > len(self._perm):
            self._perm = self.rng.permutation(len(self.frames))
            self._pos = 0
        idx = np.sort(self._perm[self._pos : self._pos + b])
        self._pos += b
        x = to_tensor(self.frames.get(idx), self.device)
        return [fit(x, self.input_spec["height"], self.input_spec["width"])]

    def loss(self, batch: list[torch.Tensor]) -> torch.Tensor:
        x = batch[0]
        recon, _ = self.model(x)
        return F.mse_loss(recon.float(), x)

    def before_step(self) -> None:
        pass

    def after_backward(self, step: int) -> None:
        pass
