"""Build a training run: check the arguments, pick the device, build the method from the
registry (:mod:`farpoint.train.methods`), its optimizer and gradient scaler.

A :class:`TrainRun` holds everything that changes while training (model, optimizer, counters,
loss history), so that the step (:mod:`.step`), the checkpoint (:mod:`.checkpoint`) and resume
(:mod:`.resume`) each take one object.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import torch

from farpoint.errors import InputError
from farpoint.train.methods import check_method, method_class

DEFAULT_EPOCHS = 10


def now_utc() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass
class TrainRun:
    """One training run: the method (model + data), its optimizer and counters."""

    method_name: str
    method: Any  # a farpoint.train.methods.Method
    cfg: Any  # the method's config dataclass
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler
    device: torch.device
    seed: int
    frames: Any  # farpoint.train.dataset.FrameSet
    step: int = 0
    images_seen: int = 0
    train_seconds: float = 0.0
    losses: list[float] = field(default_factory=list)
    nonfinite: int = 0
    started: str = field(default_factory=now_utc)

    @property
    def amp(self) -> bool:
        return self.device.type == "cuda"

    @property
    def encoder_prefix(self) -> str:
        model, enc = self.method.model, self.method.encoder
        return next(name for name, mod in model.named_children() if mod is enc) + "."


def check_stop(
    epochs: float | None, time_budget_s: float | None, max_steps: int | None
) -> float | None:
    """Validate the stopping rule; return ``epochs`` (the default when nothing is given)."""
    if epochs is not None and not epochs > 0:
        raise InputError(f"--epochs must be positive, got {epochs}")
    if time_budget_s is not None and not time_budget_s > 0:
        raise InputError(f"--time-budget must be positive, got {time_budget_s}")
    if epochs is None and time_budget_s is None and max_steps is None:
        return DEFAULT_EPOCHS
    return epochs


def pick_device(device: str) -> torch.device:
    from farpoint.embed.base import resolve_device

    name = resolve_device(device)
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda asked for, but no CUDA GPU is visible")
    return torch.device(name)


def build_run(
    frames: Any,
    method: str,
    *,
    config: Any = None,
    batch_size: int | None = None,
    seed: int = 0,
    device: str = "auto",
    lr: float | None = None,
    resume_blob: dict[str, Any] | None = None,
    **method_options: Any,
) -> TrainRun:
    """A fresh run of ``method`` on ``frames`` (or one shaped like ``resume_blob``'s model;
    :func:`farpoint.train.resume.restore` then loads its weights and counters)."""
    cls = method_class(check_method(method))
    if batch_size is not None and batch_size < 2:
        raise InputError(f"--batch-size must be at least 2, got {batch_size}")
    if len(frames) < 2:
        raise InputError(f"training needs at least 2 frames, got {len(frames)}")
    dev = pick_device(device)
    step0 = int(resume_blob["train_state"]["step"]) if resume_blob else 0
    torch.manual_seed(seed + step0)
    cfg = config if config is not None else cls.config_class()
    if lr is not None:
        cfg.lr = lr
    m = cls(
        frames,
        cfg,
        batch_size or cls.default_batch,
        seed + step0,
        dev,
        input_spec=resume_blob["input"] if resume_blob else None,
        arch=resume_blob["arch"] if resume_blob else None,
        **method_options,
    )
    cfg = getattr(m, "cfg", cfg)
    opt = torch.optim.Adam(m.param_groups(cfg.lr), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scaler = torch.amp.GradScaler("cuda", enabled=dev.type == "cuda")
    return TrainRun(method, m, cfg, opt, scaler, dev, seed, frames, step=step0)
