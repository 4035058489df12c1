"""ResNet18 backbone for SwAV (seed paper §3.2; He et al. 2016).

The paper uses ResNet18 for every learned embedder and, for 32x32 inputs, replaces the stem with
a 3x3 convolution of stride 1 and drops the max-pool ("CIFAR stem"). Larger frames (video at
width 100) keep the standard 7x7/2 convolution + 3x3/2 max-pool stem ("ImageNet stem").

The layout and parameter names follow torchvision's ``resnet18`` (``conv1``, ``bn1``,
``layer1``..``layer4``), with one extra knob: ``base_width`` (64 in the paper) scales every
stage's channels (``w, 2w, 4w, 8w``). Small widths make CPU tests and smoke runs cheap; the
output is the global-average-pooled ``8 * base_width``-d feature (512-d at the default), the
embedding used for selection. Nothing is pretrained or downloaded.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

Stem = Literal["cifar", "imagenet"]
STEMS: tuple[str, ...] = ("cifar", "imagenet")


def choose_stem(height: int, width: int) -> Stem:
    """The ``auto`` stem rule: CIFAR stem when the input is at most 64 px on its longer side."""
    return "cifar" if max(height, width) <= 64 else "imagenet"


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (projection when the shape changes)."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample: nn.Module | None = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


def _stage(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout))


class ResNet18(nn.Module):
    """``(N, 3, H, W)`` -> ``(N, 8 * base_width)`` pooled features."""

    def __init__(self, stem: Stem = "cifar", base_width: int = 64) -> None:
        super().__init__()
        if stem not in STEMS:
            raise ValueError(f"unknown stem {stem!r}; choose one of {', '.join(STEMS)}")
        w = base_width
        if stem == "cifar":
            self.conv1 = nn.Conv2d(3, w, 3, stride=1, padding=1, bias=False)
            self.maxpool: nn.Module = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(3, w, 7, stride=2, padding=3, bias=False)
            self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(w)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = _stage(w, w, 1)
        self.layer2 = _stage(w, 2 * w, 2)
        self.layer3 = _stage(2 * w, 4 * w, 2)
        self.layer4 = _stage(4 * w, 8 * w, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.out_dim = 8 * w
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        for name, m in self.named_modules():  # zero-init the last BN of each block (stabler)
            if name.endswith("bn2") and isinstance(m, nn.BatchNorm2d):
                nn.init.zeros_(m.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)


def resnet18(stem: Stem = "cifar", base_width: int = 64) -> ResNet18:
    """A ResNet18 trunk; see the module docstring."""
    return ResNet18(stem=stem, base_width=base_width)
