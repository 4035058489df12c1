"""SwAV: swapping assignments between views (Caron et al. 2020, arXiv:2006.09882; paper §2.5).

Each view of an image is embedded (backbone -> projection head -> unit vector ``z``) and scored
against learnable unit-norm prototypes (``z @ C``). The *codes* ``q`` of a batch are soft
assignments of the batch to the prototypes under an equipartition constraint (every prototype
receives the same share of the batch), computed by 3 Sinkhorn-Knopp iterations with entropy
``eps = 0.05``; they are targets and carry no gradient. The loss predicts the codes of one view
from the scores of the other ("swapped prediction") with a softmax at temperature 0.1. The
prototypes are frozen for the first iterations, as in the paper's recipe.

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

from farpoint.models.heads import ProjectionHead, Prototypes
from farpoint.models.resnet import resnet18


@dataclass
class SwavConfig:
    """Hyper-parameters of the SwAV method (defaults follow the paper where they apply)."""

    stem: str = "auto"  # "cifar", "imagenet" or "auto" (cifar when the input is <= 64 px)
    base_width: int = 64  # ResNet18 channels of the first stage (64 = standard ResNet18)
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
    """Backbone + projection head + prototypes. ``backbone`` alone is the embedder."""

    def __init__(self, stem: str, cfg: SwavConfig) -> None:
        super().__init__()
        self.backbone = resnet18(stem=stem, base_width=cfg.base_width)  # type: ignore[arg-type]
        self.head = ProjectionHead(self.backbone.out_dim, cfg.proj_hidden, cfg.proj_dim)
        self.prototypes = Prototypes(cfg.proj_dim, cfg.n_prototypes)
        self.cfg = cfg

    def forward(self, views: list[torch.Tensor]) -> list[torch.Tensor]:
        """Prototype scores ``(B, K)`` for each view (all views go through one forward pass,
        so BatchNorm sees the whole multi-view batch)."""
        b = views[0].shape[0]
        z = self.head(self.backbone(torch.cat(views)))
        return list(self.prototypes(z).split(b))

    def loss(self, views: list[torch.Tensor]) -> torch.Tensor:
        c = self.cfg
        return swapped_prediction_loss(self(views), c.temperature, c.sinkhorn_eps,
                                       c.sinkhorn_iters)

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
            "backbone": "resnet18",
            "stem": self.stem,
            "base_width": c.base_width,
            "embed_dim": self.backbone.out_dim,
            "proj_hidden": c.proj_hidden,
            "proj_dim": c.proj_dim,
            "n_prototypes": c.n_prototypes,
            "temperature": c.temperature,
            "sinkhorn_eps": c.sinkhorn_eps,
            "sinkhorn_iters": c.sinkhorn_iters,
        }

    @property
    def stem(self) -> str:
        return "cifar" if isinstance(self.backbone.maxpool, nn.Identity) else "imagenet"


IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def training_size(height: int, width: int, minimum: int = 32) -> tuple[int, int]:
    """SwAV trains at the dataset's frame size, scaled up so the shorter side is >= 32 px."""
    scale = max(1.0, minimum / min(height, width))
    return round(height * scale), round(width * scale)


class SwavMethod:
    """Adapter used by :func:`farpoint.train.loop.train`: views, sampler and model."""

    name = "swav"

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
            keep = ("base_width", "proj_hidden", "proj_dim", "n_prototypes", "temperature",
                    "sinkhorn_eps", "sinkhorn_iters")
            cfg = SwavConfig(**{**cfg.as_dict(), **{k: arch[k] for k in keep},
                                "stem": arch["stem"]})
        if input_spec is None:
            h, w = training_size(frames.height, frames.width)
            input_spec = {"height": h, "width": w, "fit": "letterbox",
                          "mean": IMAGENET_MEAN, "std": IMAGENET_STD}
        self.input_spec = input_spec
        stem = cfg.stem if cfg.stem != "auto" else choose_stem(input_spec["height"],
                                                                input_spec["width"])
        self.cfg = cfg
        self.frames = frames
        self.device = device
        self.model = SwavModel(stem, cfg).to(device)
        self.sampler = PairSampler(frames.source_ids, frames.timestamps, batch_size,
                                   gap_s=gap_s, window_s=window_s, seed=seed)
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
