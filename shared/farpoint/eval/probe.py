"""The probe: a fixed model and training recipe, never tuned per method (seed paper §4.1, 1.1).

* ``cpu`` (default): a one-hidden-layer MLP (pixels -> 256 ReLU -> classes) trained from scratch
  on the subset's raw gray pixels for a fixed 30 epochs with Adam (lr 1e-3, batch 32), no
  augmentation. Cheap enough that a full table of paired runs fits on a busy 2-core CPU; it is
  *not* the paper's probe, and a weaker learner than a CNN (documented in docs/quality.md).
* ``cnn``: a small CNN (conv16-conv32-linear, ~15k weights), same recipe, 15 epochs.
* ``paper``: the paper's recipe — ResNet18 (CIFAR stem), vanilla SGD with momentum, random crop
  (+ horizontal flip for Fashion-MNIST), up to 100 epochs with early stopping on a fixed
  validation split, mixed precision on CUDA. Meant for a GPU.

Everything random in training (initialisation, batch order, augmentation) comes from ``seed``;
the protocol passes the same seed to every method in one sampling iteration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class ProbeConfig:
    name: str = "cpu"
    arch: str = "mlp"
    epochs: int = 30
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"
    patience: int = 0  # 0 = no early stopping
    augment: bool = False
    flip: bool = False
    device: str = "cpu"

    def describe(self) -> str:
        stop = f", early stopping (patience {self.patience})" if self.patience else ""
        aug = ", random crop" + (" + flip" if self.flip else "") if self.augment else ""
        return (
            f"{self.arch}, {self.optimizer} lr {self.lr}, batch {self.batch_size}, "
            f"{self.epochs} epochs{stop}{aug}"
        )


CPU_PROBE = ProbeConfig()
CNN_PROBE = ProbeConfig(name="cnn", arch="cnn", epochs=15)


def paper_probe(device: str = "cuda", flip: bool = True) -> ProbeConfig:
    return ProbeConfig(
        name="paper",
        arch="resnet18",
        epochs=100,
        batch_size=128,
        lr=0.05,
        optimizer="sgd",
        patience=10,
        augment=True,
        flip=flip,
        device=device,
    )


class MLP(nn.Module):
    def __init__(self, n_inputs: int, n_classes: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(n_inputs, 256), nn.ReLU(), nn.Linear(256, n_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class SmallCNN(nn.Module):
    def __init__(self, n_classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(4),
        )
        self.head = nn.Linear(32 * 16, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.flatten(self.features(x), 1))


class ResNetProbe(nn.Module):
    def __init__(self, n_classes: int) -> None:
        super().__init__()
        from farpoint.models.resnet import resnet18

        self.trunk = resnet18(stem="cifar")
        self.head = nn.Linear(self.trunk.out_dim, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x.expand(-1, 3, -1, -1)))


def _tensor(images: np.ndarray, device: str) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images)).to(device).float().div_(255.0)[:, None]


def _augment(x: torch.Tensor, gen: torch.Generator, flip: bool) -> torch.Tensor:
    n, _, h, w = x.shape
    pad = nn.functional.pad(x, (2, 2, 2, 2))
    dy = torch.randint(0, 5, (n,), generator=gen).tolist()
    dx = torch.randint(0, 5, (n,), generator=gen).tolist()
    shifts = enumerate(zip(dy, dx, strict=True))
    out = torch.stack([pad[i, :, y : y + h, z : z + w] for i, (y, z) in shifts])
    if flip:
        mask = torch.rand(n, generator=gen) < 0.5
        out[mask.to(out.device)] = out[mask.to(out.device)].flip(-1)
    return out


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch: int = 2048) -> torch.Tensor:
    model.eval()
    return torch.cat([model(x[i : i + batch]).argmax(1) for i in range(0, len(x), batch)])


def train_probe(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    *,
    n_classes: int,
    seed: int,
    config: ProbeConfig = CPU_PROBE,
    val_x: np.ndarray | None = None,
    val_y: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """Train the probe on ``(train_x, train_y)`` and return (test accuracy, per-class accuracy)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    dev = config.device
    model: nn.Module
    if config.arch == "mlp":
        model = MLP(int(np.prod(train_x.shape[1:])), n_classes)
    elif config.arch == "cnn":
        model = SmallCNN(n_classes)
    else:
        model = ResNetProbe(n_classes)
    model.to(dev)
    if config.optimizer == "adam":
        opt: torch.optim.Optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=0.9, weight_decay=5e-4)
    x = _tensor(train_x, dev)
    y = torch.from_numpy(np.asarray(train_y, np.int64)).to(dev)
    use_amp = dev.startswith("cuda")
    val = None
    if config.patience and val_x is not None and val_y is not None:
        val = (_tensor(val_x, dev), torch.from_numpy(np.asarray(val_y, np.int64)).to(dev))
    best_acc, best_state, bad = -1.0, None, 0
    loss_fn = nn.CrossEntropyLoss()
    for _epoch in range(config.epochs):
        model.train()
        order = torch.randperm(len(x), generator=gen).to(dev)
        for i in range(0, len(x), config.batch_size):
            b = order[i : i + config.batch_size]
            xb = _augment(x[b], gen, config.flip) if config.augment else x[b]
            with torch.autocast("cuda", enabled=use_amp):
                loss = loss_fn(model(xb), y[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if val is not None:
            acc = float((predict(model, val[0]) == val[1]).float().mean())
            if acc > best_acc:
                best_acc, bad = acc, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                bad += 1
                if bad >= config.patience:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    pred = predict(model, _tensor(test_x, dev)).cpu().numpy()
    ty = np.asarray(test_y)
    per_class = np.array(
        [
            float((pred[ty == c] == c).mean()) if (ty == c).any() else np.nan
            for c in range(n_classes)
        ]
    )
    return float((pred == ty).mean()), per_class
