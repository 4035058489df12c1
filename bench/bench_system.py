"""Throughput of the whole system: jobs/hour and frames/s with 1 vs 2 embedding workers.

Starts the services as processes (`farpoint serve NAME`) on the real Kafka and S3 server
(``make up`` first), uploads a real video, submits ``--jobs`` selection jobs at once and times
from the first submission to the last job's success. Results go to docs/performance.md
(``## System``) by hand, with the machine noted.

    .venv/bin/python bench/bench_system.py [--jobs 3] [--embedder imagenet] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import _infra_settings, _reachable  # noqa: E402
from tests.data import bikes_small  # noqa: E402
from tests.e2e.system import System  # noqa: E402


def run_config(workers: int, args: argparse.Namespace) -> dict[str, float]:
    settings = _infra_settings()
    with tempfile.TemporaryDirectory(prefix="farpoint-bench-") as tmp:
        system = System(settings, Path(tmp), partitions=args.partitions)
        try:
            system.start_all(embedding_workers=workers)
            media = system.upload(bikes_small())
            body = {
                "media_ids": [media],
                "k": 20,
                "embedder": args.embedder,
                "normalize": "pca",
                "width": args.width,
                "fps": 10.0,
                "shard_size": args.shard_size,
            }
            # warm-up job: loads the model in every embedding worker's first shard
            system.wait(system.submit(body))
            t0 = time.perf_counter()
            ids = [system.submit(body) for _ in range(args.jobs)]
            frames = 0
            for job_id in ids:
                st = system.wait(job_id, timeout_s=1800)
                if st["status"] != "succeeded":
                    raise RuntimeError(f"job {job_id} failed: {st}")
                frames += int(system.result(job_id)["n_frames"])
            elapsed = time.perf_counter() - t0
        finally:
            system.stop()
    return {
        "embedding_workers": workers,
        "jobs": args.jobs,
        "frames": frames,
        "seconds": round(elapsed, 2),
        "jobs_per_hour": round(args.jobs * 3600 / elapsed, 1),
        "frames_per_s": round(frames / elapsed, 1),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=3)
    p.add_argument("--embedder", default="imagenet")
    p.add_argument("--width", type=int, default=100)
    p.add_argument("--shard-size", type=int, default=16)
    p.add_argument("--partitions", type=int, default=4)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = p.parse_args()
    settings = _infra_settings()
    if not (_reachable(settings.kafka.bootstrap) and _reachable(settings.s3.endpoint)):
        sys.stderr.write("Kafka or S3 not reachable: run `make up` first\n")
        return 2
    sys.stdout.write(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}; "
        f"video: {bikes_small().name}, embedder {args.embedder}, width {args.width}, "
        f"shard {args.shard_size}, partitions {args.partitions}\n"
    )
    for w in args.workers:
        sys.stdout.write(json.dumps(run_config(w, args)) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
