#!/usr/bin/env bash
# Create or reuse farpoint's virtualenv and link it as .venv in the repo root.
#
# The venv lives outside the clone (default ~/.cache/farpoint/venv-py311, override with
# FARPOINT_VENV) so fresh clones and CI reuse it: torch alone is ~3 GB of wheels. A stamp holding
# the hash of pyproject.toml decides whether dependencies need a (re)install; otherwise only the
# project itself is (re)installed in editable mode, which takes seconds. Runtime versions are
# pinned by docker/constraints.txt, so tests, the demo and the images run the same packages.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[setup] $*" >&2; }

PY=${PYTHON:-python3}
VENV=${FARPOINT_VENV:-$HOME/.cache/farpoint/venv-py311}
command -v "$PY" >/dev/null || { log "error: $PY not found; install Python 3.11"; exit 1; }
"$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || { log "error: farpoint needs Python 3.11 (found $("$PY" --version 2>&1))"; exit 1; }

want=$(cat pyproject.toml docker/constraints.txt 2>/dev/null | sha256sum | cut -c1-16)
constraints=()
[ -f docker/constraints.txt ] && constraints=(-c docker/constraints.txt)
if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtualenv at $VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
fi
if [ "$(cat "$VENV/.farpoint-deps" 2>/dev/null)" != "$want" ]; then
  log "installing dependencies into $VENV (first time: several minutes, torch is large)"
  "$VENV/bin/python" -m pip install -q -e ".[dev]" "${constraints[@]}"
  echo "$want" > "$VENV/.farpoint-deps"
else
  pip_log=$(mktemp)
  "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e . >"$pip_log" 2>&1 \
    || { cat "$pip_log" >&2; rm -f "$pip_log"; log "error: installing farpoint failed"; exit 1; }
  rm -f "$pip_log"
fi
if [ -e .venv ] && [ ! -L .venv ]; then
  log ".venv exists and is not a link; leaving it"
else
  ln -sfn "$VENV" .venv
fi
log "ready: .venv -> $VENV ($(.venv/bin/farpoint --version 2>/dev/null || echo 'cli not importable yet'))"
