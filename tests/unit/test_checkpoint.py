"""The ``farpoint.model/1`` file: round trip, content hash, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from farpoint.embed.base import get_embedder
from farpoint.errors import InputError, NotFoundError
from farpoint.train.checkpoint import (
    FORMAT,
    content_hash,
    load_checkpoint,
    read_checkpoint,
    save_checkpoint,
)
from tests.data import fashion_mnist

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A SwAV and an autoencoder model after a few real training steps on Fashion-MNIST."""
    from farpoint.models.swav import SwavConfig
    from farpoint.train.dataset import FrameSet
    from farpoint.train.loop import train_on_frames

    images, _ = fashion_mnist(256)
    frames = FrameSet.from_arrays(images)
    d = tmp_path_factory.mktemp("models")
    swav = train_on_frames(frames, "swav", d / "swav.pt", max_steps=3, batch_size=32,
                           swav=SwavConfig(backbone="resnet18", base_width=8, n_prototypes=16),
                           progress=False)
    ae = train_on_frames(frames, "autoencoder", d / "ae.pt", max_steps=3, batch_size=32,
                         progress=False)
    return {"swav": Path(swav), "autoencoder": Path(ae)}


@pytest.fixture(scope="module")
def rgb() -> np.ndarray:
    images, _ = fashion_mnist(40, split="test")
    return np.repeat(images[..., None], 3, axis=-1)


@pytest.mark.parametrize("method", ["swav", "autoencoder"])
def test_round_trip_gives_identical_embeddings(trained, rgb, method, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = trained[method]
    blob = torch.load(path, map_location="cpu", weights_only=True)  # no pickled classes
    assert blob["format"] == FORMAT and blob["method"] == method
    assert set(blob["input"]) >= {"height", "width", "mean", "std"}
    assert blob["meta"]["steps"] == 3 and len(blob["meta"]["loss_history"]) == 3
    emb = get_embedder(method, str(path), device="cpu")
    v1 = emb.embed(rgb)
    assert v1.shape == (len(rgb), emb.dim) and v1.dtype == np.float32
    assert emb.dim == (64 if method == "swav" else 8)
    # save the loaded encoder again under another name: same hash, same vectors
    net, spec = load_checkpoint(path)
    copy = tmp_path / "copy.pt"
    digest = save_checkpoint(copy, method=spec.method, arch=spec.arch, input_spec=spec.input,
                             encoder=net, meta={"note": "copy"})
    assert digest == spec.content_hash == emb.describe()["content_hash"]
    v2 = get_embedder(method, str(copy), device="cpu").embed(rgb)
    assert np.array_equal(v1, v2)
    # batch-size independent
    v3 = np.concatenate([emb.embed(rgb[:7]), emb.embed(rgb[7:])])
    np.testing.assert_allclose(v1, v3, rtol=1e-5, atol=1e-5)
    d = emb.describe()
    assert d["name"] == method and d["model"] == str(path) and d["dim"] == emb.dim


def test_content_hash_is_deterministic_and_weight_sensitive() -> None:
    net = torch.nn.Linear(4, 3)
    a = content_hash(net.state_dict())
    assert a == content_hash({k: v.clone() for k, v in reversed(net.state_dict().items())})
    with torch.no_grad():
        net.weight[0, 0] += 1e-3
    assert content_hash(net.state_dict()) != a


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        load_checkpoint(tmp_path / "nope.pt")


def test_garbage_and_truncated_files_are_input_errors(trained, tmp_path) -> None:  # type: ignore[no-untyped-def]
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"this is not a model\n" * 10)
    with pytest.raises(InputError, match="not a readable farpoint model"):
        load_checkpoint(junk)
    data = trained["swav"].read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError):
        load_checkpoint(cut)
    with pytest.raises(InputError, match="directory"):
        load_checkpoint(tmp_path)


def test_foreign_torch_files_are_input_errors(tmp_path: Path) -> None:
    plain = tmp_path / "resnet_state.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), plain)
    with pytest.raises(InputError, match="not a farpoint model file"):
        load_checkpoint(plain)
    future = tmp_path / "future.pt"
    torch.save({"format": "farpoint.model/99"}, future)
    with pytest.raises(InputError, match="farpoint.model/99"):
        load_checkpoint(future)


def test_altered_weights_fail_the_hash(trained, tmp_path) -> None:  # type: ignore[no-untyped-def]
    blob = torch.load(trained["autoencoder"], map_location="cpu", weights_only=True)
    key = next(iter(blob["encoder"]))
    blob["encoder"][key] = blob["encoder"][key] + 1.0
    bad = tmp_path / "tampered.pt"
    torch.save(blob, bad)
    with pytest.raises(InputError, match="corrupt"):
        read_checkpoint(bad)


def test_embedder_refuses_the_other_method(trained) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="autoencoder model"):
        get_embedder("swav", str(trained["autoencoder"]), device="cpu")
    with pytest.raises(InputError, match="--model"):
        get_embedder("swav", None, device="cpu")
