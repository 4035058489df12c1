"""SwAV from ImageNet weights (backbone efficientnet-lite0): the start equals the imagenet
embedder's network, only the last blocks move, the model file rebuilds it, resume continues."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
import torch

from farpoint.errors import InputError
from farpoint.models.swav import SwavConfig, SwavModel
from farpoint.train.checkpoint import load_checkpoint, read_checkpoint
from farpoint.train.dataset import FrameSet
from farpoint.train.loop import train_on_frames
from tests.data import opencv_images

torch.set_num_threads(1)

SMALL = SwavConfig(backbone="efficientnet-lite0", proj_hidden=64, proj_dim=32, n_prototypes=16,
                   freeze_prototypes_steps=1)


@pytest.fixture(scope="module")
def photos() -> np.ndarray:
    from PIL import Image

    return np.stack([np.asarray(Image.open(p).convert("RGB").resize((64, 48)))
                     for p in opencv_images(6)])


def test_start_is_the_imagenet_network(photos: np.ndarray) -> None:
    from farpoint.embed.imagenet import load_network

    model = SwavModel("n/a", SMALL).eval()
    x = torch.as_tensor(photos).permute(0, 3, 1, 2).float() / 127.5 - 1
    with torch.no_grad():
        ours, ref = model.backbone(x), load_network("cpu")(x)
    assert ours.shape == (6, 1280)
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-4)
    groups = model.param_groups(1e-3)
    assert groups[0]["lr"] == pytest.approx(1e-4) and groups[1]["lr"] == 1e-3
    trainable = sum(p.numel() for p in groups[0]["params"])
    total = sum(p.numel() for p in model.backbone.parameters())
    assert 0 < trainable < total / 2  # last 2 blocks + head conv only


def test_only_the_last_blocks_train_and_the_file_rebuilds_it(photos, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from farpoint.embed.base import get_embedder

    frames = FrameSet.from_arrays(np.concatenate([photos, photos[:, :, ::-1]]))
    start = SwavModel("n/a", SMALL).backbone.state_dict()
    out = train_on_frames(frames, "swav", tmp_path / "m.pt", max_steps=2, batch_size=6, seed=1,
                          swav=SMALL, progress=False, device="cpu")
    blob = read_checkpoint(out)
    assert blob["arch"]["backbone"] == "efficientnet-lite0"
    assert blob["arch"]["embed_dim"] == 1280 and blob["arch"]["finetune_blocks"] == 2
    assert blob["input"]["mean"] == [0.5] * 3 and blob["input"]["height"] * blob["input"][
        "width"] == pytest.approx(112 * 112, rel=0.05)
    after = blob["encoder"]
    moved = {k for k in start if not torch.equal(start[k], after[k])}
    assert moved, "nothing trained"
    assert all(k.startswith(("net._blocks.14.", "net._blocks.15.", "net._conv_head.",
                             "net._bn1.")) for k in moved), sorted(moved)[:5]
    net, spec = load_checkpoint(out)
    assert spec.embed_dim == 1280
    emb = get_embedder("swav", str(out), device="cpu")
    v = emb.embed(photos)
    assert v.shape == (6, 1280) and np.isfinite(v).all()
    np.testing.assert_allclose(np.concatenate([emb.embed(photos[:2]), emb.embed(photos[2:])]),
                               v, rtol=1e-4, atol=1e-4)
    again = train_on_frames(frames, "swav", tmp_path / "m2.pt", max_steps=1, batch_size=6,
                            resume=out, swav=SMALL, progress=False, device="cpu")
    b2 = read_checkpoint(again)
    assert b2["meta"]["steps"] == 3 and b2["arch"]["backbone"] == "efficientnet-lite0"


def test_cli_refuses_bad_finetune_blocks(tmp_path: Path) -> None:
    from farpoint.train.cli import add_arguments, run

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["x.mp4", "-o", str(tmp_path / "m.pt"), "--backbone",
                              "efficientnet-lite0", "--finetune-blocks", "17"])
    with pytest.raises(InputError, match="finetune-blocks"):
        run(args)
    with pytest.raises(SystemExit):
        parser.parse_args(["x.mp4", "-o", "m.pt", "--backbone", "vit"])
