#!/usr/bin/env bash
# make bench: every benchmark in its quick setting; full settings are in each script's --help.
# Results and the machine they ran on are recorded in docs/performance.md. The system benchmark
# needs Kafka + S3: it is run when they are up (make up), else skipped with a note.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
rc=0
run() { echo "== $*" >&2; "$PY" "$@" || { echo "bench failed: $*" >&2; rc=1; }; }
run bench/bench_select.py --quick
run bench/bench_pipeline.py --minutes 10
run bench/bench_train.py --seconds 10
if "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  run bench/bench_select_gpu.py
  run bench/gpu_check.py --out gpu-check   # congruence + GPU figures (bench/gpu-check.sh)
else
  echo "== bench/bench_select_gpu.py skipped: no CUDA device" >&2
fi
if [ -f infra/.state/env ]; then
  set -a; . infra/.state/env; set +a
  run bench/bench_system.py
else
  echo "== bench/bench_system.py skipped: run 'make up' first" >&2
fi
exit $rc
