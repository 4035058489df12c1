"""The embedder over a ``farpoint.model/1`` checkpoint (shared by ``swav`` and ``autoencoder``).

Frames go through exactly the preprocessing used in training (:mod:`farpoint.models.preprocess`:
letterbox to the recorded input size, the recorded mean/std), then the encoder, in batches,
under ``torch.inference_mode``; the output is float32 ``(N, embed_dim)``. Batch-size
independent: the encoder is in eval mode (BatchNorm uses its running statistics).
"""

from __future__ import annotations

import numpy as np
import torch

from farpoint.errors import InputError


class TrainedEmbedder:
    """Base for embedders whose model comes from ``farpoint train``."""

    name = "trained"
    method = ""
    batch_size = 256

    def __init__(self, model: str | None = None, device: str = "cpu") -> None:
        from farpoint.train.checkpoint import load_checkpoint

        if not model:
            raise InputError(f"the {self.name} embedder needs --model PATH_OR_URI "
                             "(a model written by `farpoint train`)")
        self.net, self.spec = load_checkpoint(model, device=device)
        if self.spec.method != self.method:
            raise InputError(f"{model} is a {self.spec.method} model; use --embedder "
                             f"{self.spec.method} (not {self.name})")
        self.model_ref = str(model)
        self.device = device
        self.dim = self.spec.embed_dim
        self.height = int(self.spec.input["height"])
        self.width = int(self.spec.input["width"])

    def embed(self, frames: np.ndarray) -> np.ndarray:
        from farpoint.models.preprocess import prepare

        frames = np.asarray(frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise InputError(f"expected (N, H, W, 3) uint8 frames, got {frames.shape} "
                             f"{frames.dtype}")
        if len(frames) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        mean, std = self.spec.input["mean"], self.spec.input["std"]
        outs = []
        with torch.inference_mode():
            for i in range(0, len(frames), self.batch_size):
                x = prepare(np.ascontiguousarray(frames[i : i + self.batch_size]),
                            self.height, self.width, mean, std, self.device)
                outs.append(self.net(x).float().cpu())
        return torch.cat(outs).numpy().astype(np.float32, copy=False)

    def describe(self) -> dict[str, object]:
        meta = self.spec.meta
        return {
            "name": self.name,
            "model": self.model_ref,
            "content_hash": self.spec.content_hash,
            "dim": self.dim,
            "params": {
                "format": "farpoint.model/1",
                "method": self.spec.method,
                "arch": self.spec.arch,
                "input": self.spec.input,
                "trained": {k: meta.get(k) for k in ("epochs", "steps", "images_seen", "seed",
                                                     "finished")},
            },
        }
