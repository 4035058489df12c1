"""From uint8 RGB frames to a model's input tensor — the one path shared by training and embedding.

A model expects a fixed ``height x width`` (recorded in its checkpoint). Frames of another size
are **letterboxed**: scaled by one factor so they fit inside the model size (aspect ratio kept,
bilinear with antialiasing), then centred and padded with zeros (black). Frames already at the
model size are passed through untouched. Pixel values go to [0, 1]; mean/std normalisation is a
separate step (:func:`normalize`) because SwAV's augmentations work on [0, 1] images.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def letterbox_size(src_h: int, src_w: int, dst_h: int, dst_w: int) -> tuple[int, int]:
    """The scaled size of a ``src_h x src_w`` image fitted inside ``dst_h x dst_w``."""
    scale = min(dst_h / src_h, dst_w / src_w)
    return max(1, min(dst_h, round(src_h * scale))), max(1, min(dst_w, round(src_w * scale)))


def fit(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Letterbox a float ``(N, 3, h, w)`` batch to ``(N, 3, height, width)``."""
    h, w = x.shape[-2:]
    if (h, w) == (height, width):
        return x
    nh, nw = letterbox_size(h, w, height, width)
    if (nh, nw) != (h, w):
        x = F.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False, antialias=True)
    top, left = (height - nh) // 2, (width - nw) // 2
    return F.pad(x, (left, width - nw - left, top, height - nh - top))


def to_tensor(
    frames: np.ndarray | torch.Tensor, device: str | torch.device = "cpu"
) -> torch.Tensor:
    """``(N, H, W, 3)`` uint8 -> ``(N, 3, H, W)`` float32 in [0, 1] on ``device``."""
    t = torch.as_tensor(frames) if isinstance(frames, np.ndarray) else frames
    t = t.to(device, non_blocking=True).permute(0, 3, 1, 2)
    return t.float().div_(255.0)


def normalize(x: torch.Tensor, mean: list[float], std: list[float]) -> torch.Tensor:
    """Channel-wise ``(x - mean) / std``."""
    m = torch.tensor(mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    return (x - m) / s


def prepare(
    frames: np.ndarray | torch.Tensor,
    height: int,
    width: int,
    mean: list[float],
    std: list[float],
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """uint8 frames -> letterboxed, normalised model input."""
    return normalize(fit(to_tensor(frames, device), height, width), mean, std)
