"""SwAV projection head and prototypes (Caron et al. 2020, arXiv:2006.09882; seed paper §2.5).

The head maps the backbone's 512-d feature through an MLP to a low-dimensional vector that is
L2-normalised; the prototypes are a bias-free linear layer whose weight rows (the cluster
centres) are kept on the unit sphere, so a score is a cosine similarity.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ProjectionHead(nn.Module):
    """Linear -> BatchNorm -> ReLU -> Linear, then L2 normalisation."""

    def __init__(self, in_dim: int = 512, hidden_dim: int = 512, out_dim: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden_dim),
            nn.BatchNorm1d(hidden_dim),
            nn.ReLU(inplace=True),
            nn.Linear(hidden_dim, out_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.net(x), dim=1)


class Prototypes(nn.Module):
    """``n_prototypes`` unit-norm cluster centres; ``forward`` gives cosine scores."""

    def __init__(self, dim: int = 128, n_prototypes: int = 300) -> None:
        super().__init__()
        self.layer = nn.Linear(dim, n_prototypes, bias=False)
        self.normalize()

    @torch.no_grad()
    def normalize(self) -> None:
        """Project the prototype vectors back on the unit sphere (done before every step)."""
        self.layer.weight.copy_(F.normalize(self.layer.weight, dim=1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.layer(z)
