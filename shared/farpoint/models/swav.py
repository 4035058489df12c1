"""SwAV: swapping assignments between views (Caron et al. 2020, arXiv:2006.09882; paper §2.5).

The model and its loss; the data side (views, pair sampling, input size) is the training
adapter :class:`farpoint.train.swav.SwavMethod`.

Each view of an image is embedded (backbone -> projection head -> unit vector ``z``) and scored
against learnable unit-norm prototypes (``z @ C``). The *codes* ``q`` of a batch are soft
assignments of the batch to the prototypes under an equipartition constraint (every prototype
receives the same share of the batch), computed by 3 Sinkhorn-Knopp iterations with entropy
``eps = 0.05``; they are targets and carry no gradient. The loss predicts the codes of one view
from the scores of the other ("swapped prediction") with a softmax at temperature 0.1. The
prototypes are frozen for the first iterations, as in the paper's recipe.

Backbones (:mod:`farpoint.models.backbones`): ``resnet18`` from random weights (the seed paper's
setting) or ``efficientnet-lite0`` from its ImageNet weights with only its last blocks trained
(at a tenth of the learning rate of the head and prototypes).

Simplifications against the paper (documented in docs/training.md): two views (no multi-crop),
no feature queue (our batches are drawn temporally distant, which is what the equipartition
needs), Adam instead of LARS.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from farpoint.models.backbones import DEFAULT_BACKBONE, build_backbone
from farpoint.models.heads import ProjectionHead, Prototypes


@dataclass
class SwavConfig:
    """Hyper-parameters of the SwAV method (defaults follow the paper where they apply)."""

    backbone: str = DEFAULT_BACKBONE  # resnet18 or efficientnet-lite0 (ImageNet, fine-tuned)
    stem: str = "auto"  # resnet18: "cifar", "imagenet" or "auto" (cifar when input <= 64 px)
    base_width: int = 64  # resnet18: channels of the first stage (64 = standard ResNet18)
    finetune_blocks: int = 2  # efficientnet-lite0: last MBConv blocks trained (of 16)
    backbone_lr_scale: float = 0.1  # efficientnet-lite0: backbone lr = lr * this
    proj_hidden: int = 512
    proj_dim: int = 128
    n_prototypes: int = 300
    temperature: float = 0.1
    sinkhorn_eps: float = 0.05
    sinkhorn_iters: int = 3
    freeze_prototypes_steps: int = 100
    lr: float = 1e-3
    weight_decay: float = 1e-6

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@torch.no_grad()
def sinkhorn(scores: torch.Tensor, eps: float = 0.05, iters: int = 3) -> torch.Tensor:
    """Equipartitioned soft codes for a ``(B, K)`` score matrix.

    Returns ``(B, K)`` codes whose rows each sum to 1 (a distribution over prototypes per
    sample) and whose columns each sum to about ``B / K`` (equal use of every prototype; exact
    after infinitely many iterations, close after 3). Computed in float32 whatever the input
    precision; the max is subtracted before ``exp`` for stability.
    """
    s = scores.detach().float() / eps
    q = torch.exp(s - s.max()).t()  # (K, B)
    k, b = q.shape
    q /= q.sum()
    for _ in range(iters):
        q /= q.sum(dim=1, keepdim=True)  # each prototype gets total mass 1/K
        q /= k
        q /= q.sum(dim=0, keepdim=True)  # each sample gets total mass 1/B
        q /= b
    return (q * b).t()


def swapped_prediction_loss(
    scores: list[torch.Tensor],
    temperature: float = 0.1,
    eps: float = 0.05,
    iters: int = 3,
) -> torch.Tensor:
    """Mean over ordered view pairs (v, u), v != u, of ``-sum(q_v * log softmax(s_u / T))``."""
    total = scores[0].new_zeros((), dtype=torch.float32)
    pairs = 0
    for v, sv in enumerate(scores):
        q = sinkhorn(sv, eps, iters)
        for u, su in enumerate(scores):
            if u == v:
                continue
            logp = F.log_softmax(su.float() / temperature, dim=1)
            total = total - (q * logp).sum(dim=1).mean()
            pairs += 1
    return total / pairs


class SwavModel(nn.Module):
    """Backbone + projection head + prototypes. ``backbone`` alone is the embedder.

    ``pretrained`` loads the backbone's released weights (efficientnet-lite0); a model rebuilt
    for resuming gets its weights from the checkpoint instead."""

    def __init__(self, stem: str, cfg: SwavConfig, pretrained: bool = True) -> None:
        super().__init__()
        self.cfg = cfg
        self._stem = stem
        self.backbone = build_backbone(self._backbone_arch(), pretrained=pretrained)
        self.out_dim = int(self.backbone.out_dim)  # type: ignore[arg-type]
        self.head = ProjectionHead(self.out_dim, cfg.proj_hidden, cfg.proj_dim)
        self.prototypes = Prototypes(cfg.proj_dim, cfg.n_prototypes)

    def _backbone_arch(self) -> dict[str, Any]:
        c = self.cfg
        if c.backbone == "resnet18":
            return {"backbone": "resnet18", "stem": self._stem, "base_width": c.base_width}
        return {
            "backbone": c.backbone,
            "finetune_blocks": c.finetune_blocks,
            "pretrained": "imagenet-1k",
        }

    def forward(self, views: list[torch.Tensor]) -> list[torch.Tensor]:
        """Prototype scores ``(B, K)`` for each view (all views go through one forward pass,
        so BatchNorm sees the whole multi-view batch)."""
        b = views[0].shape[0]
        z = self.head(self.backbone(torch.cat(views)))
        return list(self.prototypes(z).split(b))

    def loss(self, views: list[torch.Tensor]) -> torch.Tensor:
        c = self.cfg
        return swapped_prediction_loss(self(views), c.temperature, c.sinkhorn_eps, c.sinkhorn_iters)

    def param_groups(self, lr: float) -> list[dict[str, Any]]:
        """Trainable parameters with their learning rates: a pretrained backbone learns at
        ``lr * backbone_lr_scale``, everything else at ``lr``."""
        backbone = [p for p in self.backbone.parameters() if p.requires_grad]
        rest = [p for p in (*self.head.parameters(), *self.prototypes.parameters())]
        scale = 1.0 if self.cfg.backbone == "resnet18" else self.cfg.backbone_lr_scale
        return [{"params": backbone, "lr": lr * scale}, {"params": rest, "lr": lr}]

    def before_step(self) -> None:
        """Keep the prototypes on the unit sphere (called before each forward)."""
        self.prototypes.normalize()

    def after_backward(self, step: int) -> None:
        """Freeze the prototypes for the first ``freeze_prototypes_steps`` iterations."""
        if step < self.cfg.freeze_prototypes_steps:
            self.prototypes.layer.weight.grad = None

    def arch(self) -> dict[str, Any]:
        c = self.cfg
        return {
            **self._backbone_arch(),
            "embed_dim": self.out_dim,
            "proj_hidden": c.proj_hidden,
            "proj_dim": c.proj_dim,
            "n_prototypes": c.n_prototypes,
            "temperature": c.temperature,
            "sinkhorn_eps": c.sinkhorn_eps,
            "sinkhorn_iters": c.sinkhorn_iters,
        }

    @property
    def stem(self) -> str:
        return self._stem
