"""Training throughput of ``farpoint train`` on this machine (results: docs/performance.md).

Measures optimisation steps on real data — Fashion-MNIST (28x28 -> 32x32, CIFAR stem) and the
frames of opencv-doc's vtest.avi decoded as in the paper (width 100, 10 fps -> 100x75, ImageNet
stem) — through the same method objects ``farpoint train`` uses (sampling, views, forward,
backward, Adam step), excluding decoding and checkpoint writes. SwAV figures count *images* per
second, i.e. anchor frames; every image is seen as two augmented views. ``images/CPU-s``
divides by the process's CPU time instead of wall time: it is less sensitive to other load on
a shared machine (an idle machine's wall figure is about it times the cores used).

    .venv/bin/python bench/bench_train.py                  # CPU, standard ResNet18
    .venv/bin/python bench/bench_train.py --device cuda    # GPU (mixed precision)
    .venv/bin/python bench/bench_train.py --seconds 5 --widths 8
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _fashion(n: int) -> np.ndarray:
    import gzip

    path = Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)[:n].copy()


def _video_frames(tmp: Path):  # type: ignore[no-untyped-def]
    from farpoint.store.local import LocalStore
    from farpoint.train.dataset import build_frame_dataset, load_frame_set

    store = LocalStore(tmp)
    build_frame_dataset(["/usr/share/doc/opencv-doc/examples/data/vtest.avi"], store)
    return load_frame_set(store)


def measure(method_obj, device: torch.device, seconds: float, lr: float = 1e-3) -> dict:  # type: ignore[no-untyped-def]
    amp = device.type == "cuda"
    opt = torch.optim.Adam(method_obj.param_groups(lr), lr=lr)
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    method_obj.model.train()

    def step(i: int) -> float:
        batch = method_obj.next_batch()
        method_obj.before_step()
        with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=amp):
            loss = method_obj.loss(batch)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        method_obj.after_backward(i)
        scaler.step(opt)
        scaler.update()
        return float(loss.detach())

    for i in range(2):  # warm-up (allocator, cuDNN autotune)
        step(i)
    if amp:
        torch.cuda.synchronize()
    n = 0
    c0 = time.process_time()
    t0 = time.perf_counter()
    while True:
        step(n + 2)
        n += 1
        if time.perf_counter() - t0 >= seconds and n >= 2:
            break
    if amp:
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    images = n * method_obj.batch_size
    return {"steps": n, "seconds": round(dt, 2), "images_per_s": round(images / dt, 1),
            "images_per_cpu_s": round(images / max(cpu, 1e-9), 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seconds", type=float, default=15.0, help="timed seconds per case")
    ap.add_argument("--widths", default="64,16",
                    help="SwAV ResNet18 base widths to measure (64 = standard ResNet18)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    import tempfile

    from farpoint.models.swav import SwavConfig
    from farpoint.train.autoencoder import AutoencoderConfig, AutoencoderMethod
    from farpoint.train.dataset import FrameSet
    from farpoint.train.swav import SwavMethod

    dev = torch.device(args.device)
    fashion = FrameSet.from_arrays(_fashion(4096))
    video = _video_frames(Path(tempfile.mkdtemp(prefix="bench-train-")))
    widths = [int(w) for w in args.widths.split(",") if w]
    swav_batches = [64, 256] if dev.type == "cuda" else [64]
    cases = []
    for w in widths:
        for bs in swav_batches:
            cases += [("swav", "fashion-mnist 32x32, cifar stem", fashion, bs, w),
                      ("swav", "vtest 100x75, imagenet stem", video, bs, w)]
    for bs in swav_batches:  # the default backbone: ImageNet start, last 2 blocks trained
        cases += [("swav", "vtest 100x75 -> 97x129", video, bs, -1)]
    cases += [("autoencoder", "fashion-mnist 32x32", fashion, 128, 0),
              ("autoencoder", "vtest 100x75 -> 96x80", video, 128, 0)]
    rows = []
    for method, data, frames, bs, width in cases:
        torch.manual_seed(0)
        if method == "swav" and width < 0:
            m = SwavMethod(frames, SwavConfig(backbone="efficientnet-lite0"), bs, 0, dev)
            net = "EfficientNet-Lite0 (ImageNet, last 2 blocks trained, 1280-d)"
        elif method == "swav":
            m = SwavMethod(frames, SwavConfig(backbone="resnet18", base_width=width), bs, 0, dev)
            net = f"ResNet18 (base width {width}, {m.model.backbone.out_dim}-d)"
        else:
            m = AutoencoderMethod(frames, AutoencoderConfig(), bs, 0, dev)
            net = "conv AE, 8-d bottleneck"
        r = measure(m, dev, args.seconds)
        row = {"method": method, "data": data, "network": net, "batch": m.batch_size,
               "device": str(dev), **r}
        rows.append(row)
        sys.stdout.write(json.dumps(row) + "\n")
        sys.stdout.flush()
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if dev.type == "cuda" else "-"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    sys.stdout.write(f"\nmachine: {cpu}, {os.cpu_count()} cores, torch threads "
                     f"{torch.get_num_threads()}, gpu {gpu}, torch {torch.__version__}, "
                     f"load average at the end {load:.1f}\n\n")
    sys.stdout.write("| method | data | network | batch | device | images/s | images/CPU-s |\n"
                     "|---|---|---|---|---|---|---|\n")
    for r in rows:
        sys.stdout.write(f"| {r['method']} | {r['data']} | {r['network']} | {r['batch']} | "
                         f"{r['device']} | {r['images_per_s']} | {r['images_per_cpu_s']} |\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
