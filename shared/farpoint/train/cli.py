"""``farpoint train INPUT... --method swav|autoencoder -o MODEL`` (wired by farpoint.cli).

    farpoint train videos/ -o model.pt                       # SwAV, 10 epochs
    farpoint train videos/ --backbone efficientnet-lite0 --time-budget 3m -o model.pt
    farpoint train a.mp4 b.mp4 --time-budget 20m -o model.pt
    farpoint train frames/ --method autoencoder -o ae.pt --bottleneck 8
    farpoint train videos/ --resume model.pt --epochs 5 -o model.pt
    farpoint select videos/ -k 1000 --embedder swav --model model.pt
"""

from __future__ import annotations

import argparse
import logging
import sys

from farpoint.errors import InputError
from farpoint.models.backbones import BACKBONES, DEFAULT_BACKBONE
from farpoint.train.methods import DEFAULT_METHOD, METHODS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``farpoint train``'s arguments to ``parser``."""
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="videos, images, folders, globs or archives to train on")
    parser.add_argument("--method", default=DEFAULT_METHOD,
                        help=f"{' or '.join(METHODS)} (default {DEFAULT_METHOD})")
    parser.add_argument("-o", "--output", required=True, metavar="MODEL",
                        help="model file to write (local path or s3://bucket/key)")
    stop = parser.add_mutually_exclusive_group()
    stop.add_argument("--epochs", type=float, default=None,
                      help="passes over the frames (default 10 unless --time-budget)")
    stop.add_argument("--time-budget", default=None, metavar="DURATION",
                      help="train for this long, e.g. 90s, 10m, 1h")
    parser.add_argument("--resume", default=None, metavar="CKPT",
                        help="continue from a model written by farpoint train")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=None,
                        help="frames (SwAV: pairs) per step; default 64 swav, 128 autoencoder")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--width", type=int, default=100,
                        help="decode width in px, aspect kept (paper: 100)")
    parser.add_argument("--fps", type=float, default=10.0, help="frame-rate cap (paper: 10)")
    parser.add_argument("--lr", type=float, default=None, help="Adam learning rate (1e-3)")
    adv = parser.add_argument_group("method options")
    adv.add_argument("--bottleneck", type=int, default=8, help="autoencoder code size (8)")
    adv.add_argument("--backbone", default=DEFAULT_BACKBONE, choices=BACKBONES,
                     help="SwAV backbone: resnet18 from random weights, or efficientnet-lite0 "
                          f"from its ImageNet weights, last blocks fine-tuned ({DEFAULT_BACKBONE})")
    adv.add_argument("--finetune-blocks", type=int, default=2,
                     help="efficientnet-lite0: how many of its 16 last blocks train (2)")
    adv.add_argument("--base-width", type=int, default=64,
                     help="SwAV ResNet18 first-stage channels (64 = standard; 512-d output)")
    adv.add_argument("--stem", default="auto", choices=("auto", "cifar", "imagenet"),
                     help="SwAV ResNet18 stem (auto: cifar when frames are <= 64 px)")
    adv.add_argument("--prototypes", type=int, default=300, help="SwAV prototypes (300)")
    adv.add_argument("--gap", type=float, default=10.0,
                     help="seconds between frames of one video in a SwAV batch (10)")
    adv.add_argument("--window", type=float, default=1.0,
                     help="max seconds between the two frames of a SwAV positive pair (1)")
    adv.add_argument("--frames-dir", default=None,
                     help="where decoded frame shards go (default: a cache keyed by inputs)")
    adv.add_argument("--max-frames", type=int, default=None,
                     help="decode at most this many frames (smoke tests)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Run ``farpoint train``; return the exit code (errors propagate as FarpointError)."""
    from farpoint.models.swav import SwavConfig
    from farpoint.train.autoencoder import AutoencoderConfig
    from farpoint.train.duration import parse_duration
    from farpoint.train.loop import train

    if args.method not in METHODS:
        raise InputError(f"unknown --method {args.method!r}; choose one of {', '.join(METHODS)}")
    if not 0 <= args.finetune_blocks <= 16:
        raise InputError(f"--finetune-blocks must be in 0..16, got {args.finetune_blocks}")
    for flag in ("batch_size", "bottleneck", "base_width", "prototypes", "width", "max_frames"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise InputError(f"--{flag.replace('_', '-')} must be positive, got {value}")
    if not args.fps > 0:
        raise InputError(f"--fps must be positive, got {args.fps}")
    budget = parse_duration(args.time_budget) if args.time_budget else None
    if not args.quiet:
        logging.getLogger("farpoint").setLevel(logging.INFO)
    out = train(
        args.inputs,
        args.method,
        args.output,
        width=args.width,
        fps=args.fps,
        frames_dir=args.frames_dir,
        max_frames=args.max_frames,
        epochs=args.epochs,
        time_budget_s=budget,
        batch_size=args.batch_size,
        seed=args.seed,
        resume=args.resume,
        device=args.device,
        progress=not args.quiet,
        lr=args.lr,
        gap_s=args.gap,
        window_s=args.window,
        swav=SwavConfig(backbone=args.backbone, base_width=args.base_width,
                        finetune_blocks=args.finetune_blocks, n_prototypes=args.prototypes,
                        stem=args.stem),
        autoencoder=AutoencoderConfig(bottleneck=args.bottleneck),
    )
    if not args.quiet:
        from farpoint.train.plot import loss_plot_path

        sys.stdout.write(f"model: {out}\nloss curve: {loss_plot_path(out)}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (``python -m farpoint.train.cli``) until farpoint.cli wires it."""
    from farpoint.errors import FarpointError

    parser = argparse.ArgumentParser(prog="farpoint train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return run(args)
    except FarpointError as exc:
        sys.stderr.write(f"farpoint train: error: {exc.message}\n")
        return exc.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
