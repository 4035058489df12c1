"""The autoencoder of seed paper §2.4 and §3.2.2.

Encoder: four stride-2 3x3 convolutions (3 -> 32 -> 64 -> 128 -> 256 channels, BatchNorm + ReLU)
and a linear layer down to a tiny bottleneck (default 8, the paper's choice after tuning).
Decoder: a linear layer back to ``256 x H/16 x W/16`` and **five transposed convolutions** (four
stride-2 upsamplings and a stride-1 output layer) with a sigmoid, reconstructing the input in
[0, 1]. Training minimises the L2 (mean squared) reconstruction error, without augmentation.

Input height and width must be multiples of 16 (the training size is chosen that way; see
docs/training.md). The bottleneck vector is the embedding used for selection.
"""

from __future__ import annotations

import torch
from torch import nn

WIDTHS = (32, 64, 128, 256)


def _down(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def _check_size(height: int, width: int) -> None:
    if height % 16 or width % 16 or height < 16 or width < 16:
        raise ValueError(f"autoencoder input must be a multiple of 16 px, got {height}x{width}")


class ConvEncoder(nn.Module):
    """``(N, 3, H, W)`` -> ``(N, bottleneck)``."""

    def __init__(self, height: int, width: int, bottleneck: int = 8) -> None:
        super().__init__()
        _check_size(height, width)
        chans = (3, *WIDTHS)
        pairs = zip(chans[:-1], chans[1:], strict=True)
        self.features = nn.Sequential(*[_down(a, b) for a, b in pairs])
        self.fc = nn.Linear(WIDTHS[-1] * (height // 16) * (width // 16), bottleneck)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.features(x), 1))


class ConvDecoder(nn.Module):
    """``(N, bottleneck)`` -> ``(N, 3, H, W)`` in [0, 1] through 5 transposed convolutions."""

    def __init__(self, height: int, width: int, bottleneck: int = 8) -> None:
        super().__init__()
        _check_size(height, width)
        self.grid = (WIDTHS[-1], height // 16, width // 16)
        self.fc = nn.Sequential(
            nn.Linear(bottleneck, WIDTHS[-1] * self.grid[1] * self.grid[2]), nn.ReLU(inplace=True)
        )
        rev = (*WIDTHS[::-1], 16)  # 256 -> 128 -> 64 -> 32 -> 16
        self.up = nn.Sequential(*[_up(a, b) for a, b in zip(rev[:-1], rev[1:], strict=True)])
        self.out = nn.ConvTranspose2d(rev[-1], 3, 3, stride=1, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.fc(z).view(-1, *self.grid)
        return torch.sigmoid(self.out(self.up(x)))


class Autoencoder(nn.Module):
    """Encoder + decoder; ``forward`` returns ``(reconstruction, code)``."""

    def __init__(self, height: int, width: int, bottleneck: int = 8) -> None:
        super().__init__()
        self.encoder = ConvEncoder(height, width, bottleneck)
        self.decoder = ConvDecoder(height, width, bottleneck)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        code = self.encoder(x)
        return self.decoder(code), code
