"""Does ``farpoint train`` help? Sources covered at k on long-tailed near-copies of real photos.

The check of issue 14: ~60 real photos from Debian ``opencv-doc`` (``examples/data/*.jpg|png``)
each become a "scene" of near-copies (random crop keeping 70-100 % of the area, brightness /
contrast / saturation jitter of +-20 %, Gaussian blur with p 0.3, resized to 100 x 75 px); the
copies per photo are long-tailed (1 + geometric, mean ``--mean-copies``), as consecutive video
frames are. A good embedding puts copies of one photo together and different photos apart, so
greedy farthest point (``--normalize none``) at k = number of photos should cover most photos.

Embedders compared on the same images (in one run, one after the other):

* ``imagenet``         EfficientNet-Lite0, ImageNet weights, no training (the default embedder);
* ``swav-scratch``     ``farpoint train --method swav --backbone resnet18`` (random start);
* ``swav-pretrained``  ``farpoint train --method swav --backbone efficientnet-lite0``
  (ImageNet start, last blocks fine-tuned);
* ``pixels``           the tiny-image baseline; ``random`` picks as the floor.

Each training run gets the same ``--budget`` on the CPU, on the pool itself (still images: two
augmented views of one image per pair, as ``farpoint train folder/`` does). Covered sources are
averaged over ``--seeds`` FPS start points (and random draws).

    .venv/bin/python bench/train_quality.py --budget 180          # ~8 min on 2 cores
    .venv/bin/python bench/train_quality.py --budget 20 --seeds 3  # smoke
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

PHOTOS = Path("/usr/share/doc/opencv-doc/examples/data")
SIZE = (100, 75)  # width, height


def load_photos(n: int, seed: int) -> tuple[list[str], list[np.ndarray]]:
    """``n`` photos (RGB uint8, centre-cropped to 4:3 at 400 x 300), drawn with ``seed``."""
    from PIL import Image

    files = sorted([*PHOTOS.glob("*.jpg"), *PHOTOS.glob("*.png")])
    if len(files) < n:
        raise SystemExit(
            f"need {n} photos in {PHOTOS}, found {len(files)} (apt-get install opencv-doc)"
        )
    pick = sorted(np.random.default_rng(seed).choice(len(files), size=n, replace=False))
    names, images = [], []
    for i in pick:
        im = Image.open(files[i]).convert("RGB")
        w, h = im.size
        cw, ch = (w, round(w * 3 / 4)) if w * 3 / 4 <= h else (round(h * 4 / 3), h)
        left, top = (w - cw) // 2, (h - ch) // 2
        im = im.crop((left, top, left + cw, top + ch)).resize((400, 300), Image.Resampling.LANCZOS)
        names.append(files[i].name)
        images.append(np.asarray(im))
    return names, images


def near_copy(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from PIL import Image, ImageEnhance, ImageFilter

    h, w = img.shape[:2]
    frac = np.sqrt(rng.uniform(0.7, 1.0))
    cw, ch = round(w * frac), round(h * frac)
    x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    im = Image.fromarray(img[y0 : y0 + ch, x0 : x0 + cw])
    im = ImageEnhance.Brightness(im).enhance(rng.uniform(0.8, 1.2))
    im = ImageEnhance.Contrast(im).enhance(rng.uniform(0.8, 1.2))
    im = ImageEnhance.Color(im).enhance(rng.uniform(0.8, 1.2))
    if rng.random() < 0.3:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.0)))
    return np.asarray(im.resize(SIZE, Image.Resampling.BILINEAR))


def build_near_copies(
    n_sources: int, mean_copies: float, seed: int
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(images (N, 75, 100, 3) uint8, source (N,), photo names)``, order shuffled."""
    names, photos = load_photos(n_sources, seed)
    rng = np.random.default_rng(seed + 1)
    counts = rng.geometric(1.0 / mean_copies, size=n_sources)
    images, source = [], []
    for s, (photo, c) in enumerate(zip(photos, counts, strict=True)):
        for _ in range(int(c)):
            images.append(near_copy(photo, rng))
            source.append(s)
    order = rng.permutation(len(images))
    return np.stack(images)[order], np.asarray(source)[order], names


def covered(vectors: np.ndarray, source: np.ndarray, k: int, seeds: int, method: str) -> list[int]:
    from farpoint.selection import select_points

    out = []
    for s in range(seeds):
        sel = select_points(vectors, k, method=method, seed=s)
        out.append(int(np.unique(source[np.asarray(sel.indices)]).size))
    return out


def train_model(
    images: np.ndarray, backbone: str, budget: float, out: Path, base_width: int
) -> tuple[str, dict]:
    from farpoint.models.swav import SwavConfig
    from farpoint.train.checkpoint import read_checkpoint
    from farpoint.train.dataset import FrameSet
    from farpoint.train.loop import train_on_frames

    cfg = SwavConfig(backbone=backbone, base_width=base_width)
    path = train_on_frames(
        FrameSet.from_arrays(images),
        "swav",
        out,
        time_budget_s=budget,
        swav=cfg,
        device="cpu",
        progress=False,
        seed=0,
    )
    meta = read_checkpoint(path)["meta"]
    losses = meta["loss_history"]
    info = {
        "steps": meta["steps"],
        "images_seen": meta["images_seen"],
        "train_seconds": meta["train_seconds"],
        "loss_first10": round(float(np.mean(losses[:10])), 3) if losses else None,
        "loss_last10": round(float(np.mean(losses[-10:])), 3) if losses else None,
    }
    return str(path), info


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sources", type=int, default=60)
    ap.add_argument("--mean-copies", type=float, default=15.0)
    ap.add_argument("--budget", type=float, default=180.0, help="CPU seconds per training run")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--data-seed", type=int, default=0)
    ap.add_argument("--base-width", type=int, default=64, help="resnet18 width for scratch")
    ap.add_argument("--only", default="", help="comma list of embedders to run (default all)")
    ap.add_argument("--json", default=None, help="also write the rows here")
    args = ap.parse_args()
    import torch

    from farpoint.embed.base import get_embedder

    t0 = time.time()
    images, source, names = build_near_copies(args.sources, args.mean_copies, args.data_seed)
    k = args.sources
    sys.stdout.write(
        f"data: {len(images)} near-copies of {args.sources} opencv-doc photos "
        f"(copies per photo {np.bincount(source).min()}-{np.bincount(source).max()}"
        f", mean {len(images) / args.sources:.1f}), k = {k}, seeds {args.seeds}, "
        f"torch threads {torch.get_num_threads()}\n"
    )
    only = set(filter(None, args.only.split(",")))
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="train-quality-"))
    plan = [
        ("random", None),
        ("pixels", None),
        ("imagenet", None),
        ("swav-scratch", "resnet18"),
        ("swav-pretrained", "efficientnet-lite0"),
    ]
    for name, backbone in plan:
        if only and name not in only:
            continue
        info: dict = {}
        if name == "random":
            vec = np.zeros((len(images), 1), dtype=np.float32)
            cov = covered(vec, source, k, args.seeds, "random")
        else:
            model = None
            if backbone:
                model, info = train_model(
                    images, backbone, args.budget, tmp / f"{name}.pt", args.base_width
                )
            emb = get_embedder("swav" if backbone else name, model, device="cpu")
            vec = emb.embed(images)
            cov = covered(vec, source, k, args.seeds, "fps")
        row = {
            "embedder": name,
            "covered_mean": round(float(np.mean(cov)), 1),
            "covered_min": min(cov),
            "covered_max": max(cov),
            "runs": cov,
            **info,
        }
        rows.append(row)
        sys.stdout.write(json.dumps(row) + "\n")
        sys.stdout.flush()
    sys.stdout.write(
        f"\nwall {time.time() - t0:.0f} s\n\n| embedder | sources covered at k={k} "
        "(mean, min-max) | training |\n|---|---|---|\n"
    )
    for r in rows:
        tr = (
            (
                f"{r['steps']} steps, {r['images_seen']} images, {r['train_seconds']:.0f} s, loss "
                f"{r['loss_first10']} -> {r['loss_last10']}"
            )
            if "steps" in r
            else "-"
        )
        sys.stdout.write(
            f"| {r['embedder']} | {r['covered_mean']} ({r['covered_min']}-"
            f"{r['covered_max']}) | {tr} |\n"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
