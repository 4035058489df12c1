"""Embedders on real frames: shapes, determinism, batch-size independence, bad models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from farpoint.embed import get_embedder
from farpoint.errors import InputError, NotFoundError
from farpoint.ingest import iter_frames
from tests.data import bikes_small


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    """10 real frames (100x42) of street footage, 1 s apart."""
    return np.stack([f.image for f in iter_frames([bikes_small()], width=100, fps=1)])


def _batch_independent(emb, frames: np.ndarray, atol: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    whole = emb.embed(frames)
    old = emb.batch_size
    try:
        emb.batch_size = 3
        pieces = emb.embed(frames)
    finally:
        emb.batch_size = old
    singles = np.concatenate([emb.embed(frames[i : i + 1]) for i in range(4)])
    np.testing.assert_allclose(whole, pieces, atol=atol)
    np.testing.assert_allclose(whole[:4], singles, atol=atol)
    return whole


def test_pixels_shape_values_determinism(frames: np.ndarray) -> None:
    emb = get_embedder("pixels", device="cpu")
    v = emb.embed(frames)
    assert v.shape == (len(frames), emb.dim) == (10, 768)
    assert v.dtype == np.float32 and 0.0 <= v.min() and v.max() <= 1.0
    # 16x16 area average of the frame: the mean intensity survives.
    np.testing.assert_allclose(v.mean(axis=1), frames.reshape(10, -1).mean(axis=1) / 255, atol=0.02)
    np.testing.assert_array_equal(v, emb.embed(frames))
    _batch_independent(emb, frames, atol=1e-6)
    assert emb.describe()["dim"] == 768


def test_imagenet_shape_determinism_and_batches(frames: np.ndarray) -> None:
    emb = get_embedder("imagenet", device="cpu")
    v = _batch_independent(emb, frames, atol=1e-3)
    assert v.shape == (10, 1280) and v.dtype == np.float32
    assert np.isfinite(v).all() and v.std() > 0
    np.testing.assert_array_equal(v, emb.embed(frames))
    # Real features: two frames of the same shot are closer than frames of different shots.
    d = np.linalg.norm(v[:, None] - v[None], axis=-1)
    assert d[0, 1] < d[0, 9]
    desc = emb.describe()
    assert desc["name"] == "imagenet" and len(str(desc["weights_sha256"])) == 16


def test_checkpoint_resnet18_state_dict(frames: np.ndarray, tmp_path: Path) -> None:
    import torchvision

    torch.manual_seed(0)
    net = torchvision.models.resnet18(weights=None, num_classes=7)
    path = tmp_path / "r18.pt"
    torch.save({"state_dict": {f"module.{k}": v for k, v in net.state_dict().items()}}, path)
    emb = get_embedder("checkpoint", model=str(path), device="cpu")
    assert emb.describe()["arch"] == "resnet18" and emb.dim == 512
    v = _batch_independent(emb, frames[:4], atol=1e-3)
    assert v.shape == (4, 512)
    # Penultimate features of the very network we saved.
    from farpoint.embed.checkpoint import IMAGENET_MEAN, IMAGENET_STD
    from farpoint.embed.torchutil import frames_to_tensor

    net.fc = torch.nn.Identity()
    with torch.inference_mode():
        x = frames_to_tensor(frames[:4], (224, 224), IMAGENET_MEAN, IMAGENET_STD, "cpu")
        ref = net.eval()(x)
    np.testing.assert_allclose(v, ref.numpy(), rtol=1e-4, atol=1e-4)


def test_checkpoint_bad_inputs(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"definitely not a torch file")
    with pytest.raises(InputError, match="not a loadable torch state dict"):
        get_embedder("checkpoint", model=str(junk), device="cpu")
    notresnet = tmp_path / "mlp.pt"
    torch.save(torch.nn.Linear(3, 2).state_dict(), notresnet)
    with pytest.raises(InputError):
        get_embedder("checkpoint", model=str(notresnet), device="cpu")
    with pytest.raises((NotFoundError, InputError), match="no such|not found|does not exist"):
        get_embedder("checkpoint", model=str(tmp_path / "missing.pt"), device="cpu")
    with pytest.raises(InputError, match="needs --model"):
        get_embedder("checkpoint", device="cpu")
    with pytest.raises(InputError, match="unknown embedder"):
        get_embedder("sift", device="cpu")


def test_imagenet_bf16_stays_close_to_fp32(frames: np.ndarray) -> None:
    from farpoint.embed.imagenet import ImageNetEmbedder, cpu_has_bf16

    fp32 = ImageNetEmbedder(device="cpu", precision="fp32")
    assert fp32.describe()["precision"] == "fp32"
    auto = ImageNetEmbedder(device="cpu")
    assert auto.precision == ("bf16" if cpu_has_bf16() else "fp32")
    bf16 = ImageNetEmbedder(device="cpu", precision="bf16")  # emulated where not native
    a, b = fp32.embed(frames), bf16.embed(frames)
    assert b.dtype == np.float32 and b.shape == a.shape
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    assert cos.min() > 0.98
    # Nearest neighbours of each frame mostly agree between the two precisions.
    da = np.linalg.norm(a[:, None] - a[None], axis=-1) + np.eye(len(a)) * 1e9
    db = np.linalg.norm(b[:, None] - b[None], axis=-1) + np.eye(len(b)) * 1e9
    assert (da.argmin(1) == db.argmin(1)).mean() >= 0.8
    with pytest.raises(Exception, match="precision"):
        ImageNetEmbedder(device="cpu", precision="fp8")
