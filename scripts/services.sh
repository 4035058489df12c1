#!/usr/bin/env bash
# Start / stop every farpoint service as a local background process (no Docker):
#   scripts/services.sh up     gateway on 127.0.0.1:${FARPOINT_GATEWAY_PORT:-8080}, stages on 8081..
#   scripts/services.sh down   stop what `up` started (by the pids it recorded)
# Needs Kafka + S3 running (infra/up.sh); reads their addresses from infra/.state/env.
# Logs (JSON lines) and pids live in infra/.state/services/.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=infra/.state/services
FARPOINT=${FARPOINT:-.venv/bin/farpoint}
SERVICES=(gateway ingest embedding normalization selection export trainer)
cmd=${1:-up}

if [ "$cmd" = up ]; then
  [ -f infra/.state/env ] && source infra/.state/env
  mkdir -p "$STATE"
  port=${FARPOINT_GATEWAY_PORT:-8080}
  for s in "${SERVICES[@]}"; do
    pidf="$STATE/$s.pid"
    if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
      echo "$s already running (pid $(cat "$pidf"))"
    else
      nohup "$FARPOINT" serve "$s" --port "$port" >"$STATE/$s.log" 2>&1 &
      echo $! >"$pidf"
      echo "$s: pid $! on 127.0.0.1:$port (log $STATE/$s.log)"
    fi
    port=$((port + 1))
  done
  for _ in $(seq 1 120); do
    if curl -sf "http://127.0.0.1:${FARPOINT_GATEWAY_PORT:-8080}/healthz" >/dev/null; then
      echo "gateway ready: http://127.0.0.1:${FARPOINT_GATEWAY_PORT:-8080}/docs"
      exit 0
    fi
    sleep 0.5
  done
  echo "gateway did not become ready; see $STATE/gateway.log" >&2
  exit 1
elif [ "$cmd" = down ]; then
  for s in "${SERVICES[@]}"; do
    pidf="$STATE/$s.pid"
    [ -f "$pidf" ] || continue
    pid=$(cat "$pidf")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
      echo "$s stopped"
    fi
    rm -f "$pidf"
  done
else
  echo "usage: $0 up|down" >&2
  exit 2
fi
