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
from farpoint.eval.grid import budgets as grid_budgets
from farpoint.eval.grid import parse_ints

log = logging.getLogger(__name__)

DEFAULT_K = {"fashion-mnist": 200, "digits": 100, "uci-digits": 100}


def _csv(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--datasets",
        type=_csv,
        default=["fashion-mnist", "digits"],
        help="comma list: fashion-mnist,digits (default both) or uci-digits (held out)",
    )
    p.add_argument(
        "--settings",
        type=_csv,
        default=["balanced", "long-tailed", "redundant", "redundant-shift"],
        help="comma list: balanced,long-tailed,redundant,redundant-shift (default all)",
    )
    p.add_argument(
        "--methods",
        type=_csv,
        default=None,
        help="comma list of registered selection methods (crossed with --embedders "
        "and --normalize; default: every registered method but uniform) and/or "
        "explicit EMBEDDER[+NORM]+METHOD names, e.g. imagenet+pca+fps",
    )
    p.add_argument(
        "--embedders",
        type=_csv,
        default=["pixels", "imagenet"],
        help="embedder axis (default pixels,imagenet; swav/autoencoder need a model)",
    )
    p.add_argument(
        "--normalize",
        type=_csv,
        default=["none", "pca", "umap"],
        help="normalization axis (default none,pca,umap)",
    )
    p.add_argument(
        "--budgets",
        type=_csv,
        default=None,
        help="labels per class, k = budget x classes (default 1,2,5,10; "
        "--k overrides with absolute budgets)",
    )
    p.add_argument(
        "--iterations",
        type=int,
        default=None,
        help="paired sampling iterations (default 50 with the linear probe, else 20)",
    )
    p.add_argument(
        "--k",
        type=_csv,
        default=None,
        help="absolute budget(s) instead of --budgets: one number for every dataset, or NAME=K,...",
    )
    p.add_argument(
        "--candidates",
        type=_csv,
        default=None,
        help="methods to check cell by cell against the default bar "
        "(default: the current defaults' grid name)",
    )
    p.add_argument(
        "--pool-size",
        type=int,
        default=None,
        help="pool size before deriving settings (default 3000 fashion, 2000 digits)",
    )
    p.add_argument("--swav", default=None, help="a SwAV model from farpoint train")
    p.add_argument("--autoencoder", default=None, help="an autoencoder model from farpoint train")
    p.add_argument(
        "--probe",
        choices=("linear", "cpu", "cnn"),
        default="linear",
        help="linear: logistic regression on frozen features (default); cpu: MLP "
        "on pixels; cnn: small CNN",
    )
    p.add_argument(
        "--probe-features",
        default="imagenet",
        help="the embedder whose frozen features the linear probe reads (imagenet)",
    )
    p.add_argument(
        "--paper",
        action="store_true",
        help="the paper's probe: ResNet18, SGD, up to 100 epochs, early stopping (GPU)",
    )
    p.add_argument("--device", default="auto", help="probe device: auto, cpu or cuda")
    p.add_argument("--no-video", action="store_true", help="skip the video coverage score")
    p.add_argument("--video-k", type=_csv, default=["4", "8", "16", "32"])
    p.add_argument("--video-seeds", type=int, default=20, help="seeds per video cell (20)")
    p.add_argument("--seed", type=int, default=0, help="seed of iteration 0 (and of the pools)")
    p.add_argument(
        "--out",
        default="eval-out",
        help="a folder (eval.md + eval.json) or a .md path (default eval-out)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch CPU threads (default: min(2, cores)); 1 when sharing the CPU",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    p.add_argument(
        "--from-json",
        type=_csv,
        default=None,
        help="re-render (and merge) the eval.json files of earlier runs instead of running; "
        "with --candidates, adds their cell-by-cell checks",
    )


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


N_CLASSES = {"fashion-mnist": 10, "digits": 10, "uci-digits": 10}


def default_candidate() -> str:
    """The grid name of what ``farpoint select`` does by default today."""
    from farpoint.embed.base import DEFAULT_EMBEDDER
    from farpoint.eval.grid import method_name
    from farpoint.normalize import DEFAULT_NORMALIZE
    from farpoint.selection.registry import DEFAULT_METHOD

    if DEFAULT_METHOD == "random":
        return "random"
    return method_name(DEFAULT_EMBEDDER, DEFAULT_NORMALIZE, DEFAULT_METHOD)


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
    if args.from_json:
        from farpoint.eval.report import merge_results, write_results

        merged = merge_results(args.from_json)
        if args.candidates:
            merged["candidates"] = list(args.candidates)
        md, js = write_results(merged, args.out)
        sys.stdout.write(f"wrote {md} and {js}\n")
        return 0
    import torch

    from farpoint.embed.base import resolve_device
    from farpoint.eval.data import DATASETS
    from farpoint.eval.derive import SETTINGS
    from farpoint.eval.grid import grid_methods
    from farpoint.eval.linear import LinearProbeConfig
    from farpoint.eval.probe import CNN_PROBE, CPU_PROBE, paper_probe
    from farpoint.eval.protocol import Method
    from farpoint.eval.report import write_results

    for d in args.datasets:
        if d not in DATASETS:
            raise InputError(f"unknown dataset {d!r}; choose from {', '.join(DATASETS)}")
    for s in args.settings:
        if s not in SETTINGS:
            raise InputError(f"unknown setting {s!r}; choose from {', '.join(SETTINGS)}")
    models = {n: m for n, m in (("swav", args.swav), ("autoencoder", args.autoencoder)) if m}
    given = list(args.methods or [])
    explicit = [m for m in given if "+" in m]
    # None: every registered method; [] when only explicit EMB+NORM+METHOD names were given
    selectors = None if not given else [m for m in given if "+" not in m and m != "random"]
    notes: list[str] = []
    embedders = list(args.embedders)
    for n in ("autoencoder", "swav"):
        if n in models and n not in embedders:
            embedders.append(n)
        elif n not in models and selectors != []:  # the embedder axis is crossed
            notes.append(f"{n} rows skipped: no model given (--{n} PATH from farpoint train)")
    names = grid_methods(selectors, embedders, args.normalize, extra=explicit)
    methods = [Method.parse(n) for n in names]
    for m in methods:
        if m.embedder in ("swav", "autoencoder") and m.embedder not in models:
            raise InputError(f"method {m.name} needs --{m.embedder} MODEL")
    iterations = args.iterations or (50 if args.probe == "linear" and not args.paper else 20)
    if iterations < 2:
        raise InputError("--iterations must be >= 2 for a paired test")
    if (
        args.probe == "linear"
        and args.probe_features in ("swav", "autoencoder")
        and (args.probe_features not in models)
    ):
        raise InputError(f"--probe-features {args.probe_features} needs --{args.probe_features}")
    device = resolve_device(args.device)
    probe: Any
    if args.paper:
        probe = paper_probe(device)
    elif args.probe == "linear":
        probe = LinearProbeConfig(features=args.probe_features)
    else:
        probe = CNN_PROBE if args.probe == "cnn" else CPU_PROBE
        if device != "cpu" and not isinstance(probe, LinearProbeConfig):
            from dataclasses import replace

            probe = replace(probe, device=device)
    if device == "cpu":
        torch.set_num_threads(args.threads or max(1, min(2, os.cpu_count() or 1)))

    def progress(msg: str) -> None:
        if not args.quiet:
            sys.stderr.write(msg + "\n")

    t0 = time.perf_counter()
    if args.k:
        budgets = _budgets(args.k, args.datasets)
    else:
        per_class = parse_ints(args.budgets or ["1", "2", "5", "10"], "--budgets")
        budgets = {d: grid_budgets(per_class, N_CLASSES[d]) for d in args.datasets}
    candidates = list(args.candidates or [default_candidate()])
    cells: list[dict[str, Any]] = []
    command = "farpoint eval " + shlex.join(sys.argv[2:] if len(sys.argv) > 2 else [])

    def result(video: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "command": command,
            "machine": _machine(),
            "probe": f"{probe.name}: {probe.describe()}",
            "iterations": iterations,
            "methods": [m.name for m in methods],
            "candidates": candidates,
            "seconds": time.perf_counter() - t0,
            "cells": cells,
            "video": video,
            "notes": notes,
        }

    from threadpoolctl import threadpool_limits

    # one BLAS thread per process unless asked: on a shared 2-core machine, BLAS threads
    # fighting over the cores made a 10-row logistic fit take a second instead of 20 ms
    with threadpool_limits(limits=args.threads or 1):
        video = _run_cells(
            args,
            budgets,
            methods,
            iterations,
            probe,
            models,
            device,
            progress,
            cells,
            result,
            embedders,
            selectors,
        )
    md, js = write_results(result(video), args.out)
    sys.stdout.write(f"wrote {md} and {js}\n")
    return 0


def _run_cells(  # type: ignore[no-untyped-def]
    args,
    budgets,
    methods,
    iterations,
    probe,
    models,
    device,
    progress,
    cells,
    result,
    embedders,
    selectors,
) -> dict[str, Any] | None:
    from farpoint.eval.data import load_dataset
    from farpoint.eval.derive import derive
    from farpoint.eval.grid import registered_selectors
    from farpoint.eval.protocol import run_cell
    from farpoint.eval.report import write_results

    for dname in args.datasets:
        ds = load_dataset(dname, pool_size=args.pool_size, seed=args.seed)
        if args.paper:
            from dataclasses import replace

            probe = replace(probe, flip=dname == "fashion-mnist")
        for setting in args.settings:
            derived = derive(ds.pool, setting, seed=args.seed)
            for k in budgets[dname]:
                cell = run_cell(
                    ds,
                    derived,
                    methods,
                    k=k,
                    iterations=iterations,
                    probe=probe,
                    models=models,
                    seed=args.seed,
                    device=device,
                    progress=progress,
                )
                cells.append(cell.as_dict())
                write_results(result(None), args.out)  # partial results survive an interrupt
                progress(f"{dname}/{setting} k={k} done in {cell.seconds:.0f}s")
    video = None
    if not args.no_video:
        from farpoint.eval.video import video_coverage

        video = video_coverage(
            parse_ints(args.video_k, "--video-k"),
            embedders,
            models=models,
            seeds=args.video_seeds,
            selectors=list(registered_selectors()) if selectors is None else selectors,
            normalizations=list(args.normalize),
        )
    return video
