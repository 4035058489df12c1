#!/usr/bin/env bash
# The GPU check in one command (<= 8 minutes on one H200): congruence of every CUDA path with its
# CPU reference, then selection 1e8 x 20 k=10,000, embedder fp16/bf16 and SwAV AMP throughput.
# Report: $OUT/gpu-check.{json,md} (default ./gpu-check). Add --dry to run it on the CPU, tiny.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT_DIR="${OUT:-gpu-check}"
PY="${PYTHON:-.venv/bin/python}"  # PYTHON: an interpreter with farpoint + CUDA torch installed
export PYTHONPATH="$PWD/shared${PYTHONPATH:+:$PYTHONPATH}"
exec timeout 480 "$PY" bench/gpu_check.py --out "$OUT_DIR" "$@"
