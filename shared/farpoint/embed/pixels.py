"""The tiny-image baseline: each frame shrunk to 16x16 RGB, flattened (768-d), no network.

A deliberately simple baseline in the spirit of "80 million tiny images" (Torralba et al. 2008):
it needs no weights and no training, and grayscale / low-texture data often favours it.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


class PixelsEmbedder:
    name = "pixels"

    def __init__(self, model: str | None = None, device: str = "cpu", side: int = 16) -> None:
        self.side = side
        self.dim = side * side * 3
        self.batch_size = 512
        self.device = device

    def embed(self, frames: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(frames)).to(self.device)
            x = x.permute(0, 3, 1, 2).float().div_(255.0)
            x = F.interpolate(x, size=(self.side, self.side), mode="area")
            return x.reshape(x.shape[0], -1).cpu().numpy().astype(np.float32)

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "side": self.side, "dim": self.dim}
