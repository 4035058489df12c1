"""``farpoint eval``: the selection-quality evaluation (seed paper §4.1); see docs/quality.md."""

from __future__ import annotations

import argparse
import logging
import os
import platform
import shlex
import sys
import time
from typing import Any

from farpoint.errors import InputError

log = logging.getLogger(__name__)

DEFAULT_K = {"fashion-mnist": 200, "digits": 100}


def _csv(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--datasets", type=_csv, default=["fashion-mnist", "digits"],
                   help="comma list: fashion-mnist,digits (default both)")
    p.add_argument("--settings", type=_csv,
                   default=["balanced", "long-tailed", "redundant", "redundant-shift"],
                   help="comma list: balanced,long-tailed,redundant,redundant-shift "
                        "(default all)")
    p.add_argument("--methods", type=_csv, default=None,
                   help="comma list, e.g. random,pixels+fps,imagenet+umap+fps "
                        "(default: random, pixels/imagenet with and without umap, plus "
                        "swav/autoencoder+umap+fps when --swav/--autoencoder is given)")
    p.add_argument("--iterations", type=int, default=20, help="paired sampling iterations (20)")
    p.add_argument("--k", type=_csv, default=None,
                   help="budget(s): one number for every dataset, or NAME=K,... "
                        "(default fashion-mnist=200,digits=100)")
    p.add_argument("--pool-size", type=int, default=None,
                   help="pool size before deriving settings (default 3000 fashion, 2000 digits)")
    p.add_argument("--swav", default=None, help="a SwAV model from farpoint train")
    p.add_argument("--autoencoder", default=None, help="an autoencoder model from farpoint train")
    p.add_argument("--probe", choices=("cpu", "cnn"), default="cpu",
                   help="cpu: MLP on pixels (default); cnn: small CNN")
    p.add_argument("--paper", action="store_true",
                   help="the paper's probe: ResNet18, SGD, up to 100 epochs, early stopping (GPU)")
    p.add_argument("--device", default="auto", help="probe device: auto, cpu or cuda")
    p.add_argument("--no-video", action="store_true", help="skip the video coverage score")
    p.add_argument("--video-k", type=_csv, default=["4", "8", "16", "32"])
    p.add_argument("--seed", type=int, default=0, help="seed of iteration 0 (and of the pools)")
    p.add_argument("--out", default="eval-out",
                   help="a folder (eval.md + eval.json) or a .md path (default eval-out)")
    p.add_argument("--threads", type=int, default=0,
                   help="torch CPU threads (default: min(2, cores)); 1 when sharing the CPU")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")


def _budgets(spec: list[str] | None, datasets: list[str]) -> dict[str, list[int]]:
    out = {d: [DEFAULT_K.get(d, 200)] for d in datasets}
    if not spec:
        return out
    plain: list[int] = []
    named: dict[str, list[int]] = {}
    for item in spec:
        try:
            if "=" in item:
                name, v = item.split("=", 1)
                named.setdefault(name, []).append(int(v))
            else:
                plain.append(int(item))
        except ValueError:
            raise InputError(f"--k: {item!r} is not a number or NAME=NUMBER") from None
    for d in datasets:
        out[d] = named.get(d) or plain or out[d]
    return out


def _machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{os.cpu_count()} CPU cores ({cpu}), {gpu}, torch {torch.__version__}"


def run(args: argparse.Namespace) -> int:
    import torch

    from farpoint.embed.base import resolve_device
    from farpoint.eval.data import DATASETS, load_dataset
    from farpoint.eval.derive import SETTINGS, derive
    from farpoint.eval.probe import CNN_PROBE, CPU_PROBE, paper_probe
    from farpoint.eval.protocol import DEFAULT_METHODS, Method, run_cell
    from farpoint.eval.report import write_results

    for d in args.datasets:
        if d not in DATASETS:
            raise InputError(f"unknown dataset {d!r}; choose from {', '.join(DATASETS)}")
    for s in args.settings:
        if s not in SETTINGS:
            raise InputError(f"unknown setting {s!r}; choose from {', '.join(SETTINGS)}")
    if args.iterations < 2:
        raise InputError("--iterations must be >= 2 for a paired test")
    models = {n: m for n, m in (("swav", args.swav), ("autoencoder", args.autoencoder)) if m}
    notes: list[str] = []
    names = list(args.methods or DEFAULT_METHODS)
    if not args.methods:
        for n in ("autoencoder", "swav"):
            if n in models:
                names.append(f"{n}+umap+fps")
            else:
                notes.append(
                    f"{n}+umap+fps skipped: no model given (--{n} PATH from farpoint train)"
                )
    methods = [Method.parse(n) for n in names]
    if methods[0].name != "random":
        methods = [Method.parse("random")] + [m for m in methods if m.name != "random"]
    for m in methods:
        if m.embedder in ("swav", "autoencoder") and m.embedder not in models:
            raise InputError(f"method {m.name} needs --{m.embedder} MODEL")
    device = resolve_device(args.device)
    if args.paper:
        probe = paper_probe(device)
    else:
        probe = CNN_PROBE if args.probe == "cnn" else CPU_PROBE
        if device != "cpu":
            from dataclasses import replace

            probe = replace(probe, device=device)
    if device == "cpu":
        torch.set_num_threads(args.threads or max(1, min(2, os.cpu_count() or 1)))

    def progress(msg: str) -> None:
        if not args.quiet:
            sys.stderr.write(msg + "\n")

    t0 = time.perf_counter()
    budgets = _budgets(args.k, args.datasets)
    cells: list[dict[str, Any]] = []
    command = "farpoint eval " + shlex.join(sys.argv[2:] if len(sys.argv) > 2 else [])

    def result(video: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "command": command,
            "machine": _machine(),
            "probe": f"{probe.name}: {probe.describe()}",
            "iterations": args.iterations,
            "methods": [m.name for m in methods],
            "seconds": time.perf_counter() - t0,
            "cells": cells,
            "video": video,
            "notes": notes,
        }

    for dname in args.datasets:
        ds = load_dataset(dname, pool_size=args.pool_size, seed=args.seed)
        if args.paper:
            from dataclasses import replace

            probe = replace(probe, flip=dname == "fashion-mnist")
        for setting in args.settings:
            derived = derive(ds.pool, setting, seed=args.seed)
            for k in budgets[dname]:
                cell = run_cell(
                    ds, derived, methods, k=k, iterations=args.iterations, probe=probe,
                    models=models, seed=args.seed, device=device, progress=progress,
                )
                cells.append(cell.as_dict())
                write_results(result(None), args.out)  # partial results survive an interrupt
                progress(f"{dname}/{setting} k={k} done in {cell.seconds:.0f}s")
    video = None
    if not args.no_video:
        from farpoint.eval.video import video_coverage

        embedders = sorted({m.embedder for m in methods if m.embedder})
        video = video_coverage([int(k) for k in args.video_k], embedders, models=models)
    md, js = write_results(result(video), args.out)
    sys.stdout.write(f"wrote {md} and {js}\n")
    return 0
