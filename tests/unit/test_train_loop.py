"""The training loop and CLI: durations, determinism, resume, time budget, errors, PNG."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
import torch

from farpoint.errors import InputError
from farpoint.models.swav import SwavConfig
from farpoint.train.checkpoint import read_checkpoint
from farpoint.train.dataset import FrameSet
from farpoint.train.duration import parse_duration
from farpoint.train.loop import train_on_frames
from farpoint.train.plot import loss_plot_path
from tests.data import fashion_mnist, opencv_sample

torch.set_num_threads(1)

TINY = SwavConfig(backbone="resnet18", base_width=8, proj_hidden=64, proj_dim=32,
                  n_prototypes=16, freeze_prototypes_steps=1)


@pytest.fixture(scope="module")
def frames() -> FrameSet:
    images, _ = fashion_mnist(256)
    return FrameSet.from_arrays(images)


@pytest.mark.parametrize("text,seconds", [("90s", 90), ("10m", 600), ("1h", 3600),
                                          ("1.5h", 5400), ("45", 45), (" 2 min ", 120)])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "ten minutes", "-5m", "0s", "5x"])
def test_parse_duration_rejects(bad: str) -> None:
    with pytest.raises(InputError):
        parse_duration(bad)


def test_deterministic_on_cpu_with_a_seed(frames, tmp_path) -> None:  # type: ignore[no-untyped-def]
    a = train_on_frames(frames, "swav", tmp_path / "a.pt", max_steps=3, batch_size=32, seed=5,
                        swav=TINY, progress=False)
    b = train_on_frames(frames, "swav", tmp_path / "b.pt", max_steps=3, batch_size=32, seed=5,
                        swav=TINY, progress=False)
    c = train_on_frames(frames, "swav", tmp_path / "c.pt", max_steps=3, batch_size=32, seed=6,
                        swav=TINY, progress=False)
    ba, bb, bc = (read_checkpoint(p) for p in (a, b, c))
    assert ba["meta"]["loss_history"] == bb["meta"]["loss_history"]
    assert ba["content_hash"] == bb["content_hash"] != bc["content_hash"]
    png = Path(loss_plot_path(a))
    assert png.name == "a.loss.png" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_resume_continues(frames, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = train_on_frames(frames, "autoencoder", tmp_path / "ae.pt", epochs=1, batch_size=64,
                            progress=False)
    b1 = read_checkpoint(first)
    assert b1["meta"]["steps"] == 4 and b1["meta"]["epochs"] == 1.0
    again = train_on_frames(frames, "autoencoder", tmp_path / "ae2.pt", epochs=1,
                            batch_size=64, resume=first, progress=False)
    b2 = read_checkpoint(again)
    assert b2["meta"]["steps"] == 8 and b2["meta"]["images_seen"] == 512
    assert b2["meta"]["loss_history"][:4] == b1["meta"]["loss_history"]
    assert b2["content_hash"] != b1["content_hash"]
    with pytest.raises(InputError, match="autoencoder"):
        train_on_frames(frames, "swav", tmp_path / "x.pt", max_steps=1, resume=first,
                        progress=False)


def test_time_budget_stops(frames, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = train_on_frames(frames, "autoencoder", tmp_path / "t.pt", time_budget_s=0.5,
                          batch_size=16, progress=False)
    meta = read_checkpoint(out)["meta"]
    assert meta["steps"] >= 1 and meta["train_seconds"] < 30
    assert meta["finished"]


def test_bad_arguments(frames, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="unknown training method"):
        train_on_frames(frames, "simclr", tmp_path / "m.pt")
    with pytest.raises(InputError, match="epochs"):
        train_on_frames(frames, "swav", tmp_path / "m.pt", epochs=0)
    with pytest.raises(InputError, match="batch-size"):
        train_on_frames(frames, "swav", tmp_path / "m.pt", batch_size=1)


def _cli(argv: list[str]) -> argparse.Namespace:
    from farpoint.train.cli import add_arguments as add_train_arguments

    parser = argparse.ArgumentParser(prog="farpoint train")
    add_train_arguments(parser)
    return parser.parse_args(argv)


def test_cli_trains_swav_on_a_real_video(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from farpoint.embed.base import get_embedder
    from farpoint.train.cli import run as run_train

    out = tmp_path / "model.pt"
    args = _cli([str(opencv_sample("vtest.avi")), "-o", str(out), "--epochs", "0.2",
                 "--batch-size", "16", "--backbone", "resnet18", "--base-width", "8",
                 "--prototypes", "16", "--fps", "5",
                 "--max-frames", "200", "--frames-dir", str(tmp_path / "frames"), "--quiet"])
    assert run_train(args) == 0
    blob = read_checkpoint(out)
    assert blob["meta"]["views"]["kind"] == "temporal"
    assert blob["meta"]["data"]["frames"] == 200
    assert blob["input"]["height"] == 75 and blob["arch"]["stem"] == "imagenet"
    assert Path(loss_plot_path(out)).exists()
    emb = get_embedder("swav", str(out), device="cpu")
    frames = np.zeros((3, 120, 160, 3), dtype=np.uint8)  # other size: letterboxed
    assert emb.embed(frames).shape == (3, 64)


def test_cli_rejects_bad_input(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from farpoint.train.cli import run as run_train

    with pytest.raises(InputError, match="method"):
        run_train(_cli(["x.mp4", "-o", str(tmp_path / "m.pt"), "--method", "byol"]))
    with pytest.raises(InputError, match="no such file"):
        run_train(_cli([str(tmp_path / "missing.mp4"), "-o", str(tmp_path / "m.pt"), "-q"]))
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with pytest.raises(InputError):
        run_train(_cli([str(notes), "-o", str(tmp_path / "m.pt"), "-q",
                        "--frames-dir", str(tmp_path / "f")]))
    with pytest.raises(InputError, match="duration"):
        run_train(_cli([str(notes), "-o", str(tmp_path / "m.pt"), "--time-budget", "soon"]))
