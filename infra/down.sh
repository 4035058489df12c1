#!/usr/bin/env bash
# Stop what infra/up.sh started (pid files in infra/.state/), nothing else.
# Usage: infra/down.sh [kafka] [s3] [postgres]   (default: all three). Servers up.sh merely
# reused have no pid file and are left alone. SIGTERM first (clean shutdown; SIGINT, the fast
# shutdown, for PostgreSQL), SIGKILL after FARPOINT_INFRA_STOP_TIMEOUT seconds (default 30).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${FARPOINT_INFRA_STATE:-$ROOT/infra/.state}
STOP_TIMEOUT=${FARPOINT_INFRA_STOP_TIMEOUT:-30}
log() { echo "[infra] $*" >&2; }

want=("$@")
[ ${#want[@]} -eq 0 ] && want=(kafka s3 postgres)

stop_one() {  # stop_one NAME PIDFILE CMDLINE-MARK [SIGNAL]
  local name=$1 pidf=$2 mark=$3 sig=${4:-TERM} pid
  pid=$(cat "$pidf" 2>/dev/null || true)
  if [ -z "$pid" ]; then
    log "$name: not started by up.sh; nothing to stop"
    return 0
  fi
  if ! { [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$mark"; }; then
    log "$name: pid $pid is gone (or is no longer ours); cleaning up its pid file"
    rm -f "$pidf"
    return 0
  fi
  kill "-$sig" "$pid" 2>/dev/null || true
  local deadline=$(( $(date +%s) + STOP_TIMEOUT ))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "$name: pid $pid ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  rm -f "$pidf"
  log "$name: stopped (pid $pid)"
}

for w in "${want[@]}"; do
  case "$w" in
    kafka) stop_one Kafka "$STATE/kafka.pid" kafka.Kafka ;;
    s3) stop_one "S3 (SeaweedFS)" "$STATE/s3.pid" weed ;;
    # SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client to disconnect).
    postgres) stop_one PostgreSQL "$STATE/postgres.pid" postgres INT ;;
    *) log "error: unknown component '$w' (expected kafka, s3 and/or postgres)"; exit 1 ;;
  esac
done
