#!/usr/bin/env bash
# Regenerate the Python code for proto/farpoint/v1/*.proto into shared/farpoint/events/
# with the protoc bundled in grpcio-tools (no system protoc needed). `make proto` runs this;
# tests/unit/test_proto_generated.py fails when the committed code is stale.
#   scripts/proto.sh [OUT_DIR]   (default shared/farpoint/events)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=${1:-shared/farpoint/events}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$PY" -m grpc_tools.protoc -Iproto --python_out="$TMP" --pyi_out="$TMP" proto/farpoint/v1/*.proto
mkdir -p "$OUT"
for f in "$TMP"/farpoint/v1/*_pb2.py "$TMP"/farpoint/v1/*_pb2.pyi; do
  # generated modules import each other as farpoint.v1.x_pb2; they live in farpoint.events
  sed -e 's/^from farpoint\.v1 import /from farpoint.events import /' "$f" > "$OUT/$(basename "$f")"
done
if [ ! -f "$OUT/__init__.py" ]; then
  printf '"""Generated protobuf code for proto/farpoint/v1 (scripts/proto.sh; do not edit)."""\n' \
    > "$OUT/__init__.py"
fi
echo "generated $(ls "$OUT"/*_pb2.py | wc -l) module(s) into $OUT"
