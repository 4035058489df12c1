#!/usr/bin/env bash
# Create or refresh this checkout's own virtualenv at .venv (never shared with another checkout).
#
# Packages come through uv (PyPI `uv`, pinned below, installed into ~/.cache/farpoint/uv-<version>
# on first use): uv keeps one package cache (~/.cache/uv) and links packages from it into each
# checkout's .venv, so a second clone installs torch and friends in seconds, without a download,
# and every checkout imports its own `farpoint`. Runtime versions are pinned by
# docker/constraints.txt, so tests, the demo and the images run the same packages.
# A stamp (hash of pyproject.toml + constraints) decides whether dependencies need installing;
# another (packages + numba source) whether the numba cache must be warmed again.
#
# Environment: PYTHON=python3 (must be 3.11), FARPOINT_UV_VERSION, UV_CACHE_DIR (uv's own),
# FARPOINT_NO_WARMUP=1 (skip the numba warm-up).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[setup] $*" >&2; }
die() { echo "[setup] error: $*" >&2; exit 1; }

PY=${PYTHON:-python3}
UV_VERSION=${FARPOINT_UV_VERSION:-0.13.9}
TOOLS=${FARPOINT_CACHE:-$HOME/.cache/farpoint}
command -v "$PY" >/dev/null || die "$PY not found; install Python 3.11"
"$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || die "farpoint needs Python 3.11 (found $("$PY" --version 2>&1))"

# uv: the pinned version, from PyPI, in a folder of its own (never the user's site-packages).
UV_HOME="$TOOLS/uv-$UV_VERSION"
UV="$UV_HOME/bin/uv"
if [ ! -x "$UV" ]; then
  log "installing uv $UV_VERSION into $UV_HOME"
  rm -rf "$UV_HOME.tmp"
  "$PY" -m pip install -q --disable-pip-version-check --root-user-action=ignore --target "$UV_HOME.tmp" "uv==$UV_VERSION" \
    || die "could not install uv $UV_VERSION from PyPI (is the package index reachable?)"
  rm -rf "$UV_HOME" && mv "$UV_HOME.tmp" "$UV_HOME"
fi
export UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1

# The old layout linked .venv to one venv shared by every checkout: replace the link.
if [ -L .venv ]; then
  log ".venv was a link to a shared venv ($(readlink .venv)); making this checkout its own"
  rm -f .venv
fi
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  "$UV" venv -q --python "$PY" .venv || die "uv could not create .venv"
fi

# uv links .py files only, and `make` sets PYTHONDONTWRITEBYTECODE: without compiling them here
# every process would compile the source of every module it imports (torch: seconds) each start.
want=$( (cat pyproject.toml docker/constraints.txt; echo "uv --compile-bytecode") | sha256sum | cut -c1-16)
if [ "$(cat .venv/.farpoint-deps 2>/dev/null)" != "$want" ]; then
  log "installing dependencies into .venv (uv cache: ${UV_CACHE_DIR:-~/.cache/uv}; first time a few minutes)"
  t0=$SECONDS
  "$UV" pip install -q --python .venv/bin/python -e ".[dev]" -c docker/constraints.txt \
    || die "installing dependencies failed (see uv's message above)"
  log "packages linked in $((SECONDS - t0))s; compiling their bytecode"
  site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  # (a few test files inside packages are Python 2: compileall reports them and goes on)
  .venv/bin/python -m compileall -q -j 0 "$site" >/dev/null 2>&1 || true
  # Compiled numba code embeds code of the packages it calls: new packages, new cache.
  rm -rf .venv/var/numba-cache
  echo "$want" > .venv/.farpoint-deps
  log "dependencies installed in $((SECONDS - t0))s"
fi
.venv/bin/python -c 'import farpoint, pathlib, sys
here = pathlib.Path.cwd().resolve()
mod = pathlib.Path(farpoint.__file__).resolve()
sys.exit(0 if here in mod.parents else f"farpoint imports from {mod}, not from {here}")' \
  || die "this checkout's .venv does not import this checkout's farpoint"
# numba's compiled code (selection engine, dedup, UMAP) into the venv's persistent cache
# (<venv>/var/numba-cache, see shared/farpoint/jitcache.py), so a first `farpoint select` loads
# machine code instead of compiling it for ~50 s. Redone when the packages or the numba code
# change; FARPOINT_NO_WARMUP=1 skips it (numba then compiles on first use, into the same cache).
warm=$( (echo "$want"; cat shared/farpoint/warmup.py shared/farpoint/jitcache.py \
  shared/farpoint/selection/*.py shared/farpoint/normalize/*.py) | sha256sum | cut -c1-16)
if [ "${FARPOINT_NO_WARMUP:-0}" != 1 ] && [ "$(cat .venv/.farpoint-warm 2>/dev/null)" != "$warm" ]; then
  log "compiling numba code into .venv/var/numba-cache (python -m farpoint.warmup; once, ~2 CPU-minutes)"
  t0=$SECONDS
  .venv/bin/python -m farpoint.warmup || die "python -m farpoint.warmup failed (see above)"
  echo "$warm" > .venv/.farpoint-warm
  log "numba cache warm in $((SECONDS - t0))s"
fi
log "ready: .venv ($(.venv/bin/farpoint --version 2>/dev/null || echo 'cli not importable yet'))"
