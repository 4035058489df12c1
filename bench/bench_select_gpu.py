"""GPU benchmark for selection, sized for one short run: 1e8 x 20, k=10,000 (goal <= 10 s, H200).

Runs the ``torch`` backend (CUDA) on synthetic clustered float32 data generated on the host in
slices, and checks the first 100 picks against the ``cpu`` backend on a 1e6-row prefix. Exits
with status 2 and a clear message when CUDA is not available. FAISS GPU is reported when
``faiss.get_num_gpus() > 0`` (the ``faiss`` backend itself runs FAISS's CPU kernel).

    .venv/bin/python bench/bench_select_gpu.py [--n 100000000] [--k 10000]
"""

from __future__ import annotations

import argparse
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000_000)
    ap.add_argument("--d", type=int, default=20)
    ap.add_argument("--k", type=int, default=10_000)
    a = ap.parse_args()
    import torch

    if not torch.cuda.is_available():
        sys.stderr.write("bench_select_gpu: no CUDA device here; nothing measured\n")
        return 2
    import faiss

    sys.path.insert(0, "bench")
    from bench_select import make_data

    from farpoint.selection import get_selector

    sys.stdout.write(f"device: {torch.cuda.get_device_name(0)}; faiss GPUs: "
                     f"{faiss.get_num_gpus() if hasattr(faiss, 'get_num_gpus') else 0}\n")
    x = make_data(a.n, a.d, "clustered")
    small = x[:1_000_000]
    want = get_selector("cpu").select(small, 100, start=0).indices
    got = get_selector("torch").select(small, 100, start=0).indices
    sys.stdout.write(f"1e6 prefix, 100 picks: torch == cpu: {bool((want == got).all())}\n")
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    sel = get_selector("torch").select(x, a.k, start=0)
    torch.cuda.synchronize()
    secs = time.perf_counter() - t0
    sys.stdout.write(
        f"torch CUDA: n={a.n:.0e} d={a.d} k={a.k}: {secs:.2f} s "
        f"({len(sel)} picks, {sel.info.get('exact_rechecks')} exact re-checks)\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
