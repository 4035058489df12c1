"""Decoder options for the first pass: CPU per frame, and what they do to the thumbnails.

Decodes one video as the first pass does (non-reference frames skipped, 10 fps cap, 100 px wide
RGB) with FFmpeg's defaults and with each option set (``skip_loop_filter=all``: no H.264
deblocking; ``flags2=+fast``), in the same run, and compares the thumbnails: mean absolute pixel
difference and the minimum cosine of the default embedder's features (these are what selection
sees). Deblocking is part of the reference frames, so its absence drifts until the next keyframe:
the comparison covers whole GOPs.

    .venv/bin/python bench/bench_decode_opts.py VIDEO [--seconds 120]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

OPTIONS = {
    "default": {},
    "skip_loop_filter": {"skip_loop_filter": "all"},
    "skip_loop_filter+fast": {"skip_loop_filter": "all", "flags2": "+fast"},
}


def decode(
    path: str, opts: dict[str, str], seconds: float, fps: float = 10.0, width: int = 100
) -> tuple[np.ndarray, float, int]:
    import av

    from farpoint.ingest.video import scaled_size

    c0 = time.process_time()
    out = []
    decoded = 0
    with av.open(path) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        cc = s.codec_context
        if opts:
            cc.options = dict(opts)
        cc.skip_frame = "NONREF"
        last = -1
        for vf in c.decode(s):
            decoded += 1
            t = float(vf.time)
            if t >= seconds:
                break
            slot = int(t * fps + 1e-6)
            if slot <= last:
                continue
            last = slot
            w, h = scaled_size(vf.width, vf.height, width)
            out.append(vf.to_ndarray(width=w, height=h, format="rgb24"))
    return np.stack(out), time.process_time() - c0, decoded


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("video")
    ap.add_argument("--seconds", type=float, default=120.0)
    a = ap.parse_args()
    from farpoint.embed.base import DEFAULT_EMBEDDER, get_embedder

    emb = get_embedder(DEFAULT_EMBEDDER, device="cpu")
    ref = ref_vec = None
    sys.stdout.write(
        f"| options | frames decoded | kept | CPU ms/decoded frame | mean abs px diff "
        f"| min cosine ({DEFAULT_EMBEDDER}) | mean cosine |\n|---|---|---|---|---|---|---|\n"
    )
    for name, opts in OPTIONS.items():
        imgs, cpu, decoded = decode(a.video, opts, a.seconds)
        vec = emb.embed(imgs)
        if ref is None:
            ref, ref_vec = imgs, vec
        n = min(len(ref), len(imgs))
        mad = float(np.abs(ref[:n].astype(np.int16) - imgs[:n].astype(np.int16)).mean())
        cos = (ref_vec[:n] * vec[:n]).sum(1) / (
            np.linalg.norm(ref_vec[:n], axis=1) * np.linalg.norm(vec[:n], axis=1)
        )
        sys.stdout.write(
            f"| {name} | {decoded} | {len(imgs)} | {1e3 * cpu / decoded:.2f} | "
            f"{mad:.2f} | {cos.min():.4f} | {cos.mean():.4f} |\n"
        )
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
