"""Benchmark: farpoint's CPU selector vs the numpy reference loop vs fpsample (pinned 1.0.2).

One run covers n in {1e5, 1e6, 1e7} x d in {20, 128, 512} x k in {1000, 10000}; every cell runs
in its own subprocess so peak RSS (``resource.getrusage``) is per cell. Cells projected to take
longer than ``--max-seconds`` per method (from a calibrated O(n·d·k) cost) are reported as
skipped with the projection; 1e7 x 512 (20 GB of float32) is always skipped on a 24 GB machine.
The picks of every method are compared with the same start index. Prints a markdown table.

    .venv/bin/python bench/bench_select.py --quick            # n=1e5 and the goal cell
    .venv/bin/python bench/bench_select.py --max-seconds 120  # the full grid, guarded
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

NS = [100_000, 1_000_000, 10_000_000]
DS = [20, 128, 512]
KS = [1000, 10000]
# seconds per n·d·k element, calibrated on this machine (2 cores) with --calibrate
COST = {"reference": 9e-10, "fpsample": 9e-10, "cpu": 1.5e-10}


def make_data(n: int, d: int, kind: str, seed: int = 0) -> np.ndarray:
    """Clustered data on a 6-d manifold (like normalized frame embeddings), or plain Gaussian."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, d), np.float32)
    if kind == "gauss":
        for a in range(0, n, 1 << 20):
            out[a : a + (1 << 20)] = rng.normal(size=(min(1 << 20, n - a), d))
        return out
    centers = rng.normal(size=(200, 6)) * 4
    mix = rng.normal(size=(6, d))
    for a in range(0, n, 1 << 20):
        m = min(1 << 20, n - a)
        z = centers[rng.integers(200, size=m)] + rng.normal(size=(m, 6))
        out[a : a + m] = np.tanh(z) @ mix + 0.05 * z @ mix + 0.01 * rng.normal(size=(m, d))
    return out


def run_cell(method: str, n: int, d: int, k: int, kind: str) -> dict[str, object]:
    x = make_data(n, d, kind)
    if method != "fpsample":  # load the numba kernels (JIT cache) before timing
        from farpoint.selection import get_selector

        get_selector(method).select(x[:5000], 300)  # reaches every kernel
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    if method == "fpsample":
        import fpsample

        idx = np.asarray(fpsample.fps_sampling(x, k, start_idx=0), np.int64)
    else:
        from farpoint.selection import get_selector

        idx = get_selector(method).select(x, k, start=0).indices
    secs = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)
    return {"secs": secs, "cpu_s": cpu, "rss_mib": rss, "picks": idx.tolist()}


def child(args: list[str], timeout: float) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--child", *args]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout {timeout:.0f}s"}
    except subprocess.CalledProcessError as exc:
        return {"error": exc.stderr.strip().splitlines()[-1][:80]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ratio(row: dict[str, dict[str, object]], a: str, b: str) -> str:
    ra, rb = row.get(a, {}), row.get(b, {})
    if "secs" in ra and "secs" in rb:
        return f"{float(rb['secs']) / float(ra['secs']):.1f}x"  # type: ignore[arg-type]
    return "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n=1e5 cells plus 1e6 x 20 x 1000")
    ap.add_argument("--max-seconds", type=float, default=120.0)
    ap.add_argument("--data", choices=["clustered", "gauss"], default="clustered")
    ap.add_argument("--methods", default="cpu,fpsample,reference")
    ap.add_argument("--ns", default="", help="comma-separated n values (default: all)")
    ap.add_argument("--ds", default="", help="comma-separated d values (default: all)")
    ap.add_argument("--ks", default="", help="comma-separated k values (default: all)")
    ap.add_argument("--child", nargs=5, metavar=("METHOD", "N", "D", "K", "DATA"))
    a = ap.parse_args()
    if a.child:
        m, n, d, k, kind = a.child
        sys.stdout.write(json.dumps(run_cell(m, int(n), int(d), int(k), kind)) + "\n")
        return
    def pick(arg: str, default: list[int]) -> list[int]:
        return [int(float(v)) for v in arg.split(",")] if arg else default

    cells = [(n, d, k) for n in pick(a.ns, NS) for d in pick(a.ds, DS) for k in pick(a.ks, KS)]
    if a.quick:
        cells = [(100_000, 20, 1000), (100_000, 128, 1000), (1_000_000, 20, 1000)]
    methods = a.methods.split(",")
    sys.stdout.write(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"data: {a.data}; start index 0; wall seconds, peak RSS MiB per subprocess\n\n"
        "| n | d | k | " + " | ".join(f"{m} wall / cpu s (RSS)" for m in methods)
        + " | cpu vs fpsample | cpu vs reference | picks == reference |\n"
        + "|---" * (4 + len(methods) + 2) + "|\n"
    )
    for n, d, k in cells:
        row: dict[str, dict[str, object]] = {}
        for m in methods:
            proj = COST[m] * n * d * k
            if n * d * 4 > 8 << 30:
                row[m] = {"skip": f"skipped: input {n * d * 4 / 2**30:.0f} GiB"}
            elif proj > a.max_seconds:
                row[m] = {"skip": f"skipped (~{proj:.0f}s projected)"}
            else:
                row[m] = child([m, str(n), str(d), str(k), a.data], timeout=4 * a.max_seconds)
        cols = []
        for m in methods:
            r = row[m]
            if "secs" in r:
                cols.append(f"{r['secs']:.2f} / {r['cpu_s']:.2f} ({r['rss_mib']:.0f})")
            else:
                cols.append(str(r.get("skip") or r.get("error")))

        ref = row.get("reference", {}).get("picks")
        same = ", ".join(
            f"{m}: {'yes' if r['picks'] == ref else 'NO'}"
            for m, r in row.items()
            if m != "reference" and "picks" in r and ref is not None
        ) or "-"
        sys.stdout.write(
            f"| {n:.0e} | {d} | {k} | " + " | ".join(cols)
            + f" | {_ratio(row, 'cpu', 'fpsample')} | {_ratio(row, 'cpu', 'reference')}"
            + f" | {same} |\n"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
