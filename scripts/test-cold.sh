#!/usr/bin/env bash
# `make test-cold`: `make test` as on a fresh machine, and a check that two clones set up one after
# the other each run their own code. CI can run it; it is heavy (tens of minutes on 2 cores).
#
#   1. clones this repository's HEAD (committed work only) into a temp folder;
#   2. runs `make test` there with an empty home folder (HOME=<tmp>/home): the uv tool, the
#      venv, the numba cache, the chart tools (Helm, helm-unittest: rebuilt from Go sources), the
#      Kafka jars cache (~/.cache/farpoint/kafka-*), the unpacked samples, pip's and Go's build
#      caches all start empty. Only package *download* caches are kept, as on a CI runner that
#      caches them: uv's (~/.cache/uv), Maven's (~/.m2) and Go's modules (GOMODCACHE);
#   3. purges the Debian sample data (opencv-doc, dataset-fashion-mnist) first, so that
#      scripts/deps/sample-data.sh must reinstall it (it is back afterwards in any case: trap);
#   4. starts Kafka, S3 and PostgreSQL on alternative ports (FARPOINT_COLD_PORT_BASE, default
#      18500: Kafka +92/+93, S3 +33, SeaweedFS internals +34/+40/+88/+46 and gRPC +1000,
#      PostgreSQL +54), so servers already running on the default ports are not touched;
#   5. clones a second copy and sets it up (FARPOINT_NO_WARMUP=1: packages linked from uv's
#      cache), then checks that each clone's .venv imports its own `farpoint`;
#   6. prints the duration and the test count, and removes the temp folder (keep it with
#      FARPOINT_KEEP_COLD=1).
# A fresh HOME instead of moving the real caches aside: other work on this machine (other
# checkouts, their tests) keeps its caches while this runs, and nothing needs restoring.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
log() { echo "[test-cold] $*" >&2; }
die() { echo "[test-cold] error: $*" >&2; exit 1; }

git diff --quiet HEAD -- . 2>/dev/null \
  || log "note: uncommitted changes here are not tested (the clone takes HEAD $(git rev-parse --short HEAD))"
REAL_HOME=$HOME
WORK=$(mktemp -d "${TMPDIR:-/tmp}/farpoint-cold.XXXXXX")
COLD_HOME=$WORK/home
BASE=${FARPOINT_COLD_PORT_BASE:-18500}
SAMPLES=(opencv-doc dataset-fashion-mnist)
purged=()
start=$SECONDS

cleanup() {
  local rc=$?
  if [ -d "$WORK/a/infra/.state" ]; then  # test.sh stops what it started; this is a safety net
    HOME=$COLD_HOME bash "$WORK/a/infra/down.sh" >/dev/null 2>&1 || true
  fi
  if [ ${#purged[@]} -gt 0 ]; then
    bash "$SRC/scripts/deps/sample-data.sh" \
      || log "warning: could not reinstall ${purged[*]}; run scripts/deps/sample-data.sh"
  fi
  if [ "${FARPOINT_KEEP_COLD:-0}" = 1 ]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The real interpreter (pyenv's shims look for ~/.pyenv under HOME) and the kept package caches.
PYTHON_BIN=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)')
mkdir -p "$COLD_HOME/.cache"
[ -d "$REAL_HOME/.m2" ] && ln -s "$REAL_HOME/.m2" "$COLD_HOME/.m2"
cold_env=(
  HOME="$COLD_HOME" PYTHON="$PYTHON_BIN" PYENV_ROOT="${PYENV_ROOT:-$REAL_HOME/.pyenv}"
  UV_CACHE_DIR="${UV_CACHE_DIR:-$REAL_HOME/.cache/uv}"
  FARPOINT_KAFKA_PORT=$((BASE + 92)) FARPOINT_KAFKA_CONTROLLER_PORT=$((BASE + 93))
  FARPOINT_S3_PORT=$((BASE + 33)) FARPOINT_S3_MASTER_PORT=$((BASE + 34))
  FARPOINT_S3_VOLUME_PORT=$((BASE + 40)) FARPOINT_S3_FILER_PORT=$((BASE + 88))
  FARPOINT_S3_ADMIN_PORT=$((BASE + 46)) FARPOINT_S3_GRPC_OFFSET=1000
  FARPOINT_PG_PORT=$((BASE + 54)) FARPOINT_GATEWAY_PORT=$((BASE + 80))
)
if command -v go >/dev/null; then
  cold_env+=(GOMODCACHE="$(go env GOMODCACHE)" GOPATH="$COLD_HOME/go")
fi
# Servers given from outside would be used instead of starting fresh ones: drop those settings.
unset_env=(-u XDG_CACHE_HOME -u NUMBA_CACHE_DIR -u VIRTUAL_ENV -u FARPOINT_HELM -u FARPOINT_TOOLS
           -u FARPOINT_KAFKA_CACHE -u FARPOINT_CACHE -u FARPOINT_INFRA_STATE)
for v in $(compgen -e | grep -E '^FARPOINT_(KAFKA__|S3__|DATABASE__)' || true); do
  unset_env+=(-u "$v")
done

log "cloning $SRC (HEAD $(git rev-parse --short HEAD)) into $WORK/a"
git clone -q "$SRC" "$WORK/a"

for pkg in "${SAMPLES[@]}"; do
  if dpkg -s "$pkg" >/dev/null 2>&1; then purged+=("$pkg"); fi
done
if [ ${#purged[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  log "purging the Debian sample data (${purged[*]}): scripts/deps/sample-data.sh must reinstall it"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${purged[@]}" >/dev/null \
    || die "could not purge ${purged[*]} (root or password-less sudo needed)"
fi

log "make test in the clone, cold home $COLD_HOME, ports from $BASE"
t0=$SECONDS
set +e
env "${unset_env[@]}" "${cold_env[@]}" make -C "$WORK/a" test 2>&1 | tee "$WORK/test.log"
rc=${PIPESTATUS[0]}
set -e
test_s=$((SECONDS - t0))
count=$(grep -E '^\[test\] [0-9]+ tests:' "$WORK/test.log" | tail -n 1 || true)
[ "$rc" -eq 0 ] || die "make test failed in a fresh clone (exit $rc) after ${test_s}s; ${count:-no test count}"

log "second clone: set up after the first, each must import its own farpoint"
git clone -q "$SRC" "$WORK/b"
t0=$SECONDS
env "${unset_env[@]}" "${cold_env[@]}" FARPOINT_NO_WARMUP=1 bash "$WORK/b/scripts/setup.sh"
setup_b=$((SECONDS - t0))
for c in a b; do
  where=$("$WORK/$c/.venv/bin/python" -c 'import farpoint; print(farpoint.__file__)')
  case "$where" in
    "$WORK/$c/"*) log "clone $c imports $where" ;;
    *) die "clone $c's .venv imports $where, not its own checkout" ;;
  esac
done

log "passed in $((SECONDS - start))s (make test ${test_s}s, second clone's setup ${setup_b}s)"
log "${count#\[test\] }"
