#!/usr/bin/env bash
# `make test`: install what the tests use (every scripts/deps/*.sh: chart tools, sample data, ...;
# cached, so a warm run costs nothing; a failed install stops here with its reason), start Kafka +
# S3 (or reuse running ones), run every test under tests/ against them, run the chart checks,
# print the test count, and stop only what this run started. Under FARPOINT_REQUIRE_INFRA=1 (the
# default here) a skipped test is a failure: tests/conftest.py reports it as one, and this script
# fails the run if pytest still counted a skip.
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

export FARPOINT_REQUIRE_INFRA=${FARPOINT_REQUIRE_INFRA:-1}

# Everything the tests use beyond the virtualenv, each from its own cached installer.
for dep in scripts/deps/*.sh; do
  t0=$SECONDS
  bash "$dep" >/dev/null || { log "error: $dep could not install what the tests need (reason above)"; exit 1; }
  if [ $((SECONDS - t0)) -gt 2 ]; then log "$dep took $((SECONDS - t0))s"; fi
done
FARPOINT_HELM=${FARPOINT_HELM:-$(bash scripts/deps/chart-tools.sh)/helm}
export FARPOINT_HELM

started_file=$(mktemp "${TMPDIR:-/tmp}/farpoint-started.XXXXXX")
report=$(mktemp "${TMPDIR:-/tmp}/farpoint-junit.XXXXXX")
cleanup() {
  local rc=$?
  local started
  started=$(tr '\n' ' ' < "$started_file" 2>/dev/null || true)
  if [ -n "${started// /}" ]; then
    log "stopping what this run started: $started"
    # shellcheck disable=SC2086
    bash infra/down.sh $started || log "warning: infra/down.sh failed"
  fi
  rm -f "$started_file" "$report"
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

rc=0
"$PY" -m pytest tests -q -ra --junitxml="$report" "$@" || rc=$?
# The count, from pytest's own JUnit report: tests, failures + errors, skips.
read -r total failed skipped < <("$PY" - "$report" <<'PY' 2>/dev/null || echo "0 0 0"
import sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot()
s = s if s.tag == "testsuite" else s.find("testsuite")
print(s.get("tests"), int(s.get("failures")) + int(s.get("errors")), s.get("skipped"))
PY
)
log "$total tests: $((total - failed - skipped)) passed, $failed failed, $skipped skipped"
if [ "$FARPOINT_REQUIRE_INFRA" = 1 ] && [ "${skipped:-0}" -gt 0 ]; then
  log "error: $skipped test(s) skipped under FARPOINT_REQUIRE_INFRA=1 (see 'SKIPPED' above): make test never skips"
  exit 1
fi
if [ "$rc" -eq 5 ]; then
  log "error: pytest collected no tests"
  exit 1
elif [ "$rc" -ne 0 ]; then
  log "error: tests failed (pytest exit $rc)"
  exit "$rc"
fi

log "running scripts/chart-check.sh"
FARPOINT_CHART_PYTEST=0 bash scripts/chart-check.sh  # tests/chart already ran in pytest
log "all $total tests passed, none skipped; chart checks passed"
