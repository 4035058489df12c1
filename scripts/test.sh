#!/usr/bin/env bash
# `make test`: start Kafka + S3 (or reuse running ones), run every test under tests/ against them,
# run the chart checks when scripts/chart-check.sh exists, and stop only what this run started.
#
# External servers: when FARPOINT_KAFKA__BOOTSTRAP (or FARPOINT_S3__ENDPOINT) is already set, no
# local Kafka (or S3) is started and the tests use the given one (docs/infrastructure.md).
# FARPOINT_REQUIRE_INFRA=1 makes integration tests fail, not skip, when a server is unreachable.
# Extra arguments go to pytest (e.g. scripts/test.sh -k kafka).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[test] $*" >&2; }

PY=.venv/bin/python
[ -x "$PY" ] || { log "error: no virtualenv at .venv; run 'make setup' first"; exit 1; }

started_file=$(mktemp "${TMPDIR:-/tmp}/farpoint-started.XXXXXX")
cleanup() {
  local rc=$?
  local started
  started=$(tr '\n' ' ' < "$started_file" 2>/dev/null || true)
  if [ -n "${started// /}" ]; then
    log "stopping what this run started: $started"
    # shellcheck disable=SC2086
    bash infra/down.sh $started || log "warning: infra/down.sh failed"
  fi
  rm -f "$started_file"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

components=()
[ -n "${FARPOINT_KAFKA__BOOTSTRAP:-}" ] && log "using external Kafka at $FARPOINT_KAFKA__BOOTSTRAP" \
  || components+=(kafka)
[ -n "${FARPOINT_S3__ENDPOINT:-}" ] && log "using external S3 at $FARPOINT_S3__ENDPOINT" \
  || components+=(s3)
[ -n "${FARPOINT_DATABASE__URL:-}" ] && log "using external PostgreSQL" || components+=(postgres)
if [ ${#components[@]} -gt 0 ]; then
  t0=$(date +%s)
  FARPOINT_INFRA_STARTED_FILE=$started_file bash infra/up.sh "${components[@]}"
  log "infrastructure ready in $(( $(date +%s) - t0 ))s"
  # Export what up.sh wrote, without overriding anything the caller set.
  while read -r _export assignment; do
    [ "$_export" = export ] || continue
    name=${assignment%%=*}
    [ -n "${!name:-}" ] || export "${assignment?}"
  done < "${FARPOINT_INFRA_STATE:-infra/.state}/env"
fi
export FARPOINT_REQUIRE_INFRA=${FARPOINT_REQUIRE_INFRA:-1}

if [ -f scripts/sample-data.sh ]; then
  bash scripts/sample-data.sh || log "warning: scripts/sample-data.sh failed; tests needing its data skip"
fi

rc=0
"$PY" -m pytest tests -q "$@" || rc=$?
if [ "$rc" -eq 5 ]; then
  log "error: pytest collected no tests"
  exit 1
elif [ "$rc" -ne 0 ]; then
  log "error: tests failed (pytest exit $rc)"
  exit "$rc"
fi

if [ -f scripts/chart-check.sh ]; then
  log "running scripts/chart-check.sh"
  FARPOINT_CHART_PYTEST=0 bash scripts/chart-check.sh  # tests/chart already ran in pytest
fi
log "all tests passed"
