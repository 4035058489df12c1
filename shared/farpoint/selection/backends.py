"""Farthest-point selector backends by name; every backend returns the reference's picks."""

from __future__ import annotations

from farpoint.errors import InputError
from farpoint.selection.base import Selector
from farpoint.selection.reference import ReferenceSelector

BACKENDS = ("auto", "reference", "cpu", "torch", "faiss")


# Device nodes a CUDA (NVIDIA) or ROCm (AMD) GPU driver creates; torch.cuda sees neither without.
GPU_DEVICE_FILES = ("/dev/nvidiactl", "/proc/driver/nvidia/version", "/dev/kfd")


def _cuda_available() -> bool:
    import os
    import sys

    if "torch" not in sys.modules and not any(os.path.exists(f) for f in GPU_DEVICE_FILES):
        return False  # no GPU driver: importing torch (seconds) could only say the same
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return bool(torch.cuda.is_available())


def get_selector(name: str = "auto") -> Selector:
    """Return the selector backend ``name`` ("auto" picks the fastest available)."""
    if name == "auto":
        name = "torch" if _cuda_available() else "cpu"
    if name == "reference":
        return ReferenceSelector()
    if name == "cpu":
        from farpoint.selection.cpu import CpuSelector

        return CpuSelector()
    if name == "torch":
        from farpoint.selection.dense import TorchSelector

        return TorchSelector()
    if name == "faiss":
        from farpoint.selection.dense import FaissSelector

        return FaissSelector()
    raise InputError(f"unknown selector backend {name!r}; choose one of {', '.join(BACKENDS)}")
