"""Benchmark: every selection method of the registry beside FPS and the open peers.

Peers: scikit-learn ``KMeans`` (Lloyd, ``n_init=1``) and ``MiniBatchKMeans`` (each then the row
nearest each centroid, as farpoint's ``kmeans``), and apricot-select 0.6.1
``FacilityLocationSelection`` (lazy greedy on a dense n x n similarity matrix: small n only).
Cells n x d x k (default n in {1e5, 1e6, 1e7}, d in {20, 128}, k in {100, 1000, 10000}; a cell
whose input exceeds ``--max-input-gib`` is skipped with its projection) run each method in
its own subprocess (peak RSS from ``getrusage`` per cell: the input, loaded from a cached .npy,
plus the method's own memory). Numba kernels are warmed on 2000 rows before timing. A cell
whose projection from the method's last measured cell (CPU seconds scaled by its cost model,
``COST``) exceeds ``--max-seconds`` is reported as skipped with the projection; every child has
a hard wall-clock timeout (``--timeout``; default 3 x ``--max-seconds``, at least 60 s).
Besides time, each cell reports the k-median cost of the picks (mean distance of 20,000 sampled
rows to their nearest pick: lower = more representative), so peers are compared on quality too.
After the grid: the cost curve (seconds vs n per method, d and k) and a projection of every
method to n = 1e8 (seconds by its cost model from its largest measured cell; peak RSS: the
interpreter's base + the 1e8 input + that cell's own extra memory scaled linearly in n and d).

    .venv/bin/python bench/bench_methods.py --ns 1e5 --ds 20 --ks 100 --max-seconds 30
    .venv/bin/python bench/bench_methods.py --ns 1e6 --ds 128 --ks 1000 --max-seconds 600
    .venv/bin/python bench/bench_methods.py --apricot-n 5000   # the facility-location peer row
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
from pathlib import Path

import numpy as np

FARPOINT = [
    "fps",
    "random",
    "uniform",
    "kmeans",
    "typiclust",
    "typiclust-fps",
    "facility",
    "probcover",
    "fps-dense",
]
PEERS = ["sk-kmeans", "sk-minibatch", "apricot"]
DATA = Path(os.environ.get("FARPOINT_BENCH_DATA", "/tmp/farpoint-bench"))


def _kmeans_cost(n: float, d: float, k: float) -> float:
    return min(n, 128 * k) * k * d * 20 + n * k * d


def _typiclust_cost(n: float, d: float, k: float) -> float:  # k-means restarts while cheap
    from farpoint.selection.clusters import affordable_restarts

    k = max(k, 1)
    runs = affordable_restarts(int(n), int(k), int(d))
    extra = (runs - 1) * min(n, 128 * k) * k * d * 20
    return _kmeans_cost(n, d, k) + extra + n * min(n / k, 20_000) * d


def _knn_cost(n: float, d: float, k: float) -> float:  # the budget-scaled graph of s rows
    from farpoint.selection.knn import EXACT_WORK, graph_scale

    s, m = graph_scale(int(n), int(k), 10)
    return s * s * d if s * s * d <= EXACT_WORK else s * 6 * s**0.5 * d + s * m * 50


def _density_cost(n: float, d: float, k: float) -> float:  # fps-dense: 10-NN of all rows
    return n * min(n, 2e10 / (n * d)) * d if n * n * d <= 2e10 else n * n**0.5 * d


COST = {  # relative cost models: projections scale the method's last measured cell
    "fps": lambda n, d, k: n * d * k,
    "random": lambda n, d, k: n * d,
    "uniform": lambda n, d, k: n * d,
    "kmeans": _kmeans_cost,
    "typiclust": _typiclust_cost,
    "typiclust-fps": lambda n, d, k: (  # + the near-copy test (farpoint.selection.copies)
        _typiclust_cost(n, d, min(k, n // 20))
        + n * d * max(0, k - n // 20)
        + n * (n if n <= 4096 else 1024) * d
    ),
    "facility": _knn_cost,
    "probcover": lambda n, d, k: _knn_cost(n, d, k) + _kmeans_cost(n, d, k),
    "fps-dense": lambda n, d, k: _density_cost(n, d, k) + n * d * k,
    "sk-kmeans": lambda n, d, k: n * k * d * 300,
    "sk-minibatch": lambda n, d, k: n * k * d,
    "apricot": lambda n, d, k: n * n * d,
}


def make_data(n: int, d: int, seed: int = 0) -> np.ndarray:
    """Clustered data on a 6-d manifold (as bench_select.py), cached as .npy, float32."""
    path = DATA / f"clustered_{n}_{d}_{seed}.npy"
    if path.exists():
        return np.load(path)
    rng = np.random.default_rng(seed)
    out = np.empty((n, d), np.float32)
    centers = rng.normal(size=(200, 6)) * 4
    mix = rng.normal(size=(6, d))
    for a in range(0, n, 1 << 16):
        m = min(1 << 16, n - a)
        z = centers[rng.integers(200, size=m)] + rng.normal(size=(m, 6))
        out[a : a + m] = np.tanh(z) @ mix + 0.05 * z @ mix + 0.01 * rng.normal(size=(m, d))
    DATA.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, out)
    tmp.replace(path)
    return out


def _nearest_rows(x: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    from farpoint.selection.clusters import assign_to
    from farpoint.selection.kmeans import nearest_to_centroids

    ids, sq = assign_to(x, np.asarray(centroids, np.float32))
    got = nearest_to_centroids(ids, sq, centroids.shape[0])
    return got[got >= 0]


def pick(method: str, x: np.ndarray, k: int) -> np.ndarray:
    if method == "sk-kmeans":
        from sklearn.cluster import KMeans

        km = KMeans(n_clusters=k, n_init=1, random_state=0).fit(x)
        return _nearest_rows(x, km.cluster_centers_)
    if method == "sk-minibatch":
        from sklearn.cluster import MiniBatchKMeans

        km = MiniBatchKMeans(n_clusters=k, n_init=1, random_state=0, batch_size=4096).fit(x)
        return _nearest_rows(x, km.cluster_centers_)
    if method == "apricot":
        from apricot import FacilityLocationSelection

        sel = FacilityLocationSelection(k, metric="euclidean", optimizer="lazy", verbose=False)
        return np.asarray(sel.fit(x).ranking, np.int64)
    from farpoint.selection import select_points

    return select_points(x, k, method=method, seed=0).indices


def kmedian_cost(x: np.ndarray, picks: np.ndarray, sample: int = 20_000) -> float:
    """Mean distance of ``sample`` random rows to their nearest pick (lower: representative)."""
    from farpoint.selection.ranked import nearest_sq

    rows = np.random.default_rng(1).choice(x.shape[0], min(sample, x.shape[0]), replace=False)
    return float(np.sqrt(nearest_sq(x[rows], x[picks])).mean())


def run_cell(method: str, n: int, d: int, k: int) -> dict[str, object]:
    x = make_data(n, d)
    if method in FARPOINT:  # warm the numba kernels (on-disk JIT cache) before timing
        pick(method, np.ascontiguousarray(x[:2000]), min(k, 200))
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    idx = pick(method, x, k)
    secs = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    rss = r1.ru_maxrss / 1024  # MiB (Linux: KiB)
    return {
        "secs": secs,
        "cpu_s": cpu,
        "rss_mib": rss,
        "data_mib": x.nbytes / 2**20,
        "picks": int(len(idx)),
        "distinct": int(len(set(np.asarray(idx).tolist()))),
        "kmedian": kmedian_cost(x, np.asarray(idx, np.int64)),
    }


def child(args: list[str], timeout: float) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--child", *args]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout {timeout:.0f}s"}
    except subprocess.CalledProcessError as exc:
        return {"error": (exc.stderr.strip().splitlines() or ["failed"])[-1][:80]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--ns", default="1e5,1e6,1e7")
    ap.add_argument("--ds", default="20,128")
    ap.add_argument("--ks", default="100,1000,10000")
    ap.add_argument(
        "--max-input-gib",
        type=float,
        default=2.0,
        help="skip (with a projection) cells whose float32 input is larger",
    )
    ap.add_argument("--json", type=Path, default=None, help="write every cell here")
    ap.add_argument("--from-json", type=Path, default=None, help="only summarize a --json run")
    ap.add_argument("--methods", default=",".join(FARPOINT + ["sk-kmeans", "sk-minibatch"]))
    ap.add_argument("--max-seconds", type=float, default=60.0)
    ap.add_argument("--timeout", type=float, default=0.0, help="wall s per child (3x max)")
    ap.add_argument("--apricot-n", type=int, default=0, help="also run a small-n cell with apricot")
    ap.add_argument("--child", nargs=4, metavar=("METHOD", "N", "D", "K"))
    a = ap.parse_args()
    if a.from_json:
        done = json.loads(a.from_json.read_text())
        summarize(done, sorted({int(r["d"]) for r in done}), sorted({int(r["k"]) for r in done}))
        return
    if a.child:
        m, n, d, k = a.child
        sys.stdout.write(json.dumps(run_cell(m, int(n), int(d), int(k))) + "\n")
        return

    def ints(arg: str) -> list[int]:
        return [int(float(v)) for v in arg.split(",") if v]

    methods = a.methods.split(",")
    cells = [(n, d, k) for n in ints(a.ns) for d in ints(a.ds) for k in ints(a.ks)]
    if a.apricot_n:
        cells = [(a.apricot_n, d, k) for d in ints(a.ds) for k in ints(a.ks)] + cells
    sys.stdout.write(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}; clustered data; seed 0; per cell: wall s / CPU s "
        "(peak RSS MiB) [k-median cost]\n\n"
        "| n | d | k | method | wall s | CPU s | peak RSS MiB (input) | k-median cost "
        "| CPU s vs fps |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
    )
    last: dict[str, tuple[tuple[int, int, int], float]] = {}
    results: list[dict[str, object]] = []
    for n, d, k in cells:
        row: dict[str, dict[str, object]] = {}
        run = [m for m in methods if m != "apricot"]
        if n <= 20_000 and (a.apricot_n or "apricot" in methods):
            run.append("apricot")
        for m in run:
            proj = None
            if m in last:
                (n0, d0, k0), s0 = last[m]
                proj = s0 * COST[m](n, d, k) / COST[m](n0, d0, k0)
            gib = n * d * 4 / 2**30
            if k >= n:
                row[m] = {"skip": "skipped: k >= n"}
            elif m == "apricot" and n > 20_000:
                row[m] = {"skip": "skipped: dense n x n"}
            elif gib > a.max_input_gib:
                extra = f", ~{proj:.0f} s projected" if proj is not None else ""
                row[m] = {"skip": f"skipped: input {gib:.1f} GiB{extra}", "projected_s": proj}
            elif proj is not None and proj > a.max_seconds:
                row[m] = {"skip": f"skipped (~{proj:.0f} s projected)", "projected_s": proj}
            else:
                row[m] = child(
                    [m, str(n), str(d), str(k)], timeout=a.timeout or max(60.0, 3 * a.max_seconds)
                )
                if "cpu_s" in row[m]:  # CPU seconds: less distorted by other load than wall
                    last[m] = ((n, d, k), float(row[m]["cpu_s"]))  # type: ignore[arg-type]
            r = row[m]
            results.append({"n": n, "d": d, "k": k, "method": m, **r})
            if a.json:  # after every cell: a run cut short still leaves its cells
                a.json.write_text(json.dumps(results, indent=1))
            fps = row.get("fps", {})
            if "secs" in r:
                vs = "-"
                if "cpu_s" in fps and m != "fps":
                    ratio = float(r["cpu_s"]) / max(1e-3, float(fps["cpu_s"]))  # type: ignore[arg-type]
                    vs = f"{ratio:.1f}x"
                sys.stdout.write(
                    f"| {n:.0e} | {d} | {k} | {m} | {r['secs']:.2f} | {r['cpu_s']:.2f} | "
                    f"{r['rss_mib']:.0f} ({r['data_mib']:.0f}) | {r['kmedian']:.4f} | {vs} |\n"
                )
            else:
                msg = r.get("skip") or r.get("error")
                sys.stdout.write(f"| {n:.0e} | {d} | {k} | {m} | {msg} | | | | |\n")
            sys.stdout.flush()
    summarize(results, ints(a.ds), ints(a.ks))


def summarize(results: list[dict[str, object]], ds: list[int], ks: list[int]) -> None:
    """The cost curve vs n (measured, else projected) and every method projected to 1e8."""
    ns = sorted({int(r["n"]) for r in results})  # type: ignore[call-overload]
    methods = list(dict.fromkeys(str(r["method"]) for r in results))
    cell = {(r["method"], r["n"], r["d"], r["k"]): r for r in results}
    head = " | ".join(f"n={n:.0e}" for n in ns)
    measured = [r for r in results if "secs" in r]
    # the interpreter's own RSS (imports, no data): the smallest RSS-minus-input of any cell
    base = min((float(r["rss_mib"]) - float(r["data_mib"]) for r in measured), default=0.0)  # type: ignore[arg-type]
    sys.stdout.write(
        f"\ncost curve, CPU seconds (~: projected)\n\n| method | d | k | {head} | "
        "n=1e8 projected CPU s | n=1e8 projected peak RSS GiB |\n"
        f"|---|---|---|{'---|' * len(ns)}---|---|\n"
    )
    for m in methods:
        for d in ds:
            for k in ks:
                vals = []
                best = None
                for n in ns:
                    r = cell.get((m, n, d, k), {})
                    if "secs" in r:
                        vals.append(f"{float(r['cpu_s']):.2f}")  # type: ignore[arg-type]
                        best = r
                    elif r.get("projected_s") is not None:
                        vals.append(f"~{float(r['projected_s']):.0f}")  # type: ignore[arg-type]
                    else:
                        vals.append("-")
                if best is None:  # fall back to the method's largest measured cell anywhere
                    done = [r for r in results if r["method"] == m and "secs" in r]
                    best = max(done, key=lambda r: float(r["n"]), default=None)  # type: ignore[arg-type]
                if best is None or m == "apricot":
                    p_s, p_rss = "-", "- (dense n x n)" if m == "apricot" else "-"
                else:
                    n0, d0, k0 = int(best["n"]), int(best["d"]), int(best["k"])  # type: ignore[call-overload]
                    s0 = float(best["cpu_s"])  # type: ignore[arg-type]
                    p_s = f"~{s0 * COST[m](1e8, d, k) / COST[m](n0, d0, k0):.0f}"
                    extra = float(best["rss_mib"]) - float(best["data_mib"]) - base  # type: ignore[arg-type]
                    rss = (base + 1e8 * d * 4 / 2**20 + max(0.0, extra) * 1e8 / n0 * d / d0) / 1024
                    p_rss = f"~{rss:.0f}"
                sys.stdout.write(f"| {m} | {d} | {k} | {' | '.join(vals)} | {p_s} | {p_rss} |\n")


if __name__ == "__main__":
    main()
