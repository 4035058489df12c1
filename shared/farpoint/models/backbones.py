"""The SwAV backbones by name: one place that turns a checkpoint's ``arch`` into a network.

* ``resnet18``           ResNet18 from random weights (seed paper §3.2; :mod:`.resnet`);
* ``efficientnet-lite0`` EfficientNet-Lite0 from its ImageNet-1k weights, last blocks fine-tuned
  (:mod:`.efficientnet`).

Both training (:class:`farpoint.train.swav.SwavModel`) and loading
(:func:`farpoint.train.checkpoint.build_encoder`) call :func:`build_backbone`, so a model file
always rebuilds the network it was trained with.
"""

from __future__ import annotations

from typing import Any

from torch import nn

BACKBONES: tuple[str, ...] = ("resnet18", "efficientnet-lite0")
DEFAULT_BACKBONE = "efficientnet-lite0"  # measured: docs/training.md, "Does training help?"


def build_backbone(arch: dict[str, Any], pretrained: bool = False) -> nn.Module:
    """The backbone ``arch["backbone"]`` describes; ``pretrained`` loads its released weights
    (training start) instead of leaving them for a checkpoint to fill (loading)."""
    name = arch.get("backbone", "resnet18")
    if name == "resnet18":
        from farpoint.models.resnet import resnet18

        return resnet18(stem=arch["stem"], base_width=int(arch["base_width"]))
    if name == "efficientnet-lite0":
        from farpoint.models.efficientnet import efficientnet_lite0

        return efficientnet_lite0(
            pretrained=pretrained, finetune_blocks=int(arch.get("finetune_blocks", 2))
        )
    raise ValueError(f"unknown backbone {name!r}; choose one of {', '.join(BACKBONES)}")
