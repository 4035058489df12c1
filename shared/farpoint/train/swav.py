"""The SwAV training adapter: frames -> pairs of views -> :class:`~farpoint.models.swav.SwavModel`.

The model and loss math live in :mod:`farpoint.models.swav` (Caron et al. 2020,
arXiv:2006.09882; seed paper §2.5); this module only decides the input size, draws the pairs
(:class:`~farpoint.train.views.PairSampler`: temporal pairs for video, two augmentations of one
image for stills; §3.4) and turns them into normalised tensors.

Input size: the ``resnet18`` backbone trains at the dataset's frame size (short side scaled up
to >= 32 px) with ImageNet mean/std; the pretrained ``efficientnet-lite0`` at about 112 x 112 px
of area (aspect kept), pixels in [-1, 1] as the ``imagenet`` embedder feeds it.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from farpoint.models.swav import SwavConfig, SwavModel

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
PRETRAINED_AREA = 112 * 112


def training_size(height: int, width: int, minimum: int = 32) -> tuple[int, int]:
    """SwAV trains at the dataset's frame size, scaled up so the shorter side is >= 32 px."""
    scale = max(1.0, minimum / min(height, width))
    return round(height * scale), round(width * scale)


def pretrained_size(height: int, width: int, area: int = PRETRAINED_AREA) -> tuple[int, int]:
    """The frame's aspect at about ``area`` pixels (112 x 112 for a square frame)."""
    scale = math.sqrt(area / (height * width))
    return max(32, round(height * scale)), max(32, round(width * scale))


def input_spec_for(cfg: SwavConfig, height: int, width: int) -> dict[str, Any]:
    """The network input recorded in the model file (size, letterbox, mean/std)."""
    if cfg.backbone == "resnet18":
        h, w = training_size(height, width)
        return {
            "height": h,
            "width": w,
            "fit": "letterbox",
            "mean": IMAGENET_MEAN,
            "std": IMAGENET_STD,
        }
    h, w = pretrained_size(height, width)
    return {"height": h, "width": w, "fit": "letterbox", "mean": [0.5] * 3, "std": [0.5] * 3}


_ARCH_KEYS = (
    "base_width",
    "stem",
    "finetune_blocks",
    "proj_hidden",
    "proj_dim",
    "n_prototypes",
    "temperature",
    "sinkhorn_eps",
    "sinkhorn_iters",
)


class SwavMethod:
    """The ``swav`` training method (see :class:`farpoint.train.methods.Method`)."""

    name = "swav"
    config_class = SwavConfig
    default_batch = 64

    def __init__(
        self,
        frames: Any,  # farpoint.train.dataset.FrameSet
        cfg: SwavConfig,
        batch_size: int,
        seed: int,
        device: torch.device,
        input_spec: dict[str, Any] | None = None,
        arch: dict[str, Any] | None = None,
        gap_s: float = 10.0,
        window_s: float = 1.0,
    ) -> None:
        from farpoint.models.resnet import choose_stem
        from farpoint.train.views import PairSampler, image_view_config, temporal_view_config

        if arch is not None:  # resuming: the checkpoint decides the architecture
            keep = {k: arch[k] for k in _ARCH_KEYS if k in arch}
            cfg = SwavConfig(
                **{**cfg.as_dict(), **keep, "backbone": arch.get("backbone", "resnet18")}
            )
        if input_spec is None:
            input_spec = input_spec_for(cfg, frames.height, frames.width)
        self.input_spec = input_spec
        stem = (
            cfg.stem
            if cfg.stem != "auto"
            else choose_stem(input_spec["height"], input_spec["width"])
        )
        self.cfg = cfg
        self.frames = frames
        self.device = device
        self.model = SwavModel(stem, cfg, pretrained=arch is None).to(device)
        self.sampler = PairSampler(
            frames.source_ids,
            frames.timestamps,
            batch_size,
            gap_s=gap_s,
            window_s=window_s,
            seed=seed,
        )
        self.batch_size = self.sampler.batch_size
        self.views = temporal_view_config() if self.sampler.temporal else image_view_config()
        self.gen = torch.Generator().manual_seed(seed)
        self.views_info: dict[str, Any] = {
            "kind": "temporal" if self.sampler.temporal else "image",
            "gap_s": self.sampler.gap_s,
            "requested_gap_s": self.sampler.requested_gap_s,
            "window_s": window_s,
            "augment": self.views.as_dict(),
        }

    @property
    def encoder(self) -> nn.Module:
        return self.model.backbone

    def arch(self) -> dict[str, Any]:
        return self.model.arch()

    def param_groups(self, lr: float) -> list[dict[str, Any]]:
        return self.model.param_groups(lr)

    def steps_per_epoch(self) -> int:
        return self.sampler.steps_per_epoch()

    def next_batch(self) -> list[torch.Tensor]:
        from farpoint.models.preprocess import fit, normalize, to_tensor
        from farpoint.train.views import augment

        h, w = self.input_spec["height"], self.input_spec["width"]
        mean, std = self.input_spec["mean"], self.input_spec["std"]
        out = []
        for idx in self.sampler.batch():
            x = fit(to_tensor(self.frames.get(idx), self.device), h, w)
            out.append(normalize(augment(x, self.gen, self.views), mean, std))
        return out

    def loss(self, batch: list[torch.Tensor]) -> torch.Tensor:
        return self.model.loss(batch)

    def before_step(self) -> None:
        self.model.before_step()

    def after_backward(self, step: int) -> None:
        self.model.after_backward(step)
