"""Small torch helpers shared by the network embedders."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F


def frames_to_tensor(
    frames: np.ndarray,
    size: tuple[int, int],
    mean: tuple[float, float, float],
    std: tuple[float, float, float],
    device: str,
) -> torch.Tensor:
    """(N,H,W,3) uint8 -> normalized (N,3,h,w) float tensor resized to ``size`` = (h, w)."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).to(device)
    x = x.permute(0, 3, 1, 2).float().div_(255.0)
    if tuple(x.shape[-2:]) != tuple(size):
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)
    m = torch.tensor(mean, device=device).view(1, 3, 1, 1)
    s = torch.tensor(std, device=device).view(1, 3, 1, 1)
    return (x - m) / s


def file_sha256(path: str | Path, limit: int | None = None) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()[:limit] if limit else h.hexdigest()


def run_batches(model: torch.nn.Module, x: torch.Tensor, batch_size: int) -> np.ndarray:
    outs = []
    with torch.inference_mode():
        for i in range(0, x.shape[0], batch_size):
            outs.append(model(x[i : i + batch_size]).float().cpu())
    return torch.cat(outs).numpy().astype(np.float32, copy=False)
