#!/usr/bin/env bash
# Lint, render and validate the Helm chart offline; run its unit tests and its negative checks.
#
#   1. helm lint --strict for each value set in charts/farpoint/ci/ (default, gpu, keda)
#   2. helm template for each value set, every rendered object validated strictly against the
#      Kubernetes JSON schemas bundled by PyPI's kubernetes-validate (oldest and newest supported
#      Kubernetes) and KEDA's kinds against charts/farpoint/tests-schemas/ (tests/chart/validate.py)
#   3. helm-unittest: charts/farpoint/tests/*_test.yaml
#   4. pytest tests/chart: a wrong type / an unknown key in values must fail with a schema message
#      (skip with FARPOINT_CHART_PYTEST=0 when the caller's pytest run already covered tests/chart)
# Tools come from scripts/deps/chart-tools.sh (cached; installs on first use). Nothing is downloaded
# here once the tools are cached. Exit status: 0 only if every step passed.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[chart-check] $*" >&2; }

CHART=charts/farpoint
RENDER_KUBE=${FARPOINT_KUBE_VERSION:-1.33.0}
# The chart's kubeVersion floor and the newest schemas kubernetes-validate bundles.
VALIDATE_KUBES=${FARPOINT_VALIDATE_KUBE_VERSIONS:-"1.27.0 1.37.0"}
PY=.venv/bin/python

TOOLS=$(bash scripts/deps/chart-tools.sh)
HELM="$TOOLS/helm"
UNITTEST="$TOOLS/helm-unittest"
[ -x "$PY" ] || { log "error: $PY missing; run 'make setup' first"; exit 1; }
"$PY" -c 'import kubernetes_validate' 2>/dev/null \
  || { log "error: kubernetes-validate is not in .venv; run 'make setup' (it is a dev dependency)"; exit 1; }

OUT=$(mktemp -d "${TMPDIR:-/tmp}/farpoint-chart.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
start=$SECONDS
step() { log "$1 ($((SECONDS - start))s)"; }

values=("$CHART"/ci/*-values.yaml)
[ ${#values[@]} -gt 0 ] && [ -e "${values[0]}" ] || { log "error: no $CHART/ci/*-values.yaml"; exit 1; }

step "helm lint (${#values[@]} value sets, Kubernetes $RENDER_KUBE)"
for v in "${values[@]}"; do
  "$HELM" lint "$CHART" --strict --quiet --kube-version "$RENDER_KUBE" -f "$v" >"$OUT/lint.log" 2>&1 \
    || { cat "$OUT/lint.log" >&2; log "FAIL: helm lint -f $v"; exit 1; }
done

step "helm template + schema validation"
rendered=()
for v in "${values[@]}"; do
  name=$(basename "$v" -values.yaml)
  "$HELM" template farpoint "$CHART" --namespace farpoint --kube-version "$RENDER_KUBE" -f "$v" \
    >"$OUT/$name.yaml" || { log "FAIL: helm template -f $v"; exit 1; }
  rendered+=("$OUT/$name.yaml")
  kinds=$(grep -E '^kind: ' "$OUT/$name.yaml" | sort | uniq -c | awk '{printf "%s %s, ", $1, $3}')
  log "  $name: ${kinds%, }"
done
for k in $VALIDATE_KUBES; do
  "$PY" tests/chart/validate.py --kube-version "$k" "${rendered[@]}" >&2 \
    || { log "FAIL: rendered manifests do not validate against Kubernetes $k"; exit 1; }
done

step "helm-unittest"
"$UNITTEST" --color=false --file 'tests/*_test.yaml' "$CHART" >"$OUT/unittest.log" 2>&1 \
  || { cat "$OUT/unittest.log" >&2; log "FAIL: helm-unittest"; exit 1; }
grep -E '^(Charts|Test Suites|Tests):' "$OUT/unittest.log" | sed 's/^/[chart-check]   /' >&2 || true

if [ "${FARPOINT_CHART_PYTEST:-1}" != "0" ]; then
  step "pytest tests/chart (negative checks: wrong type, unknown key)"
  FARPOINT_HELM="$HELM" "$PY" -m pytest -q -p no:cacheprovider tests/chart
fi
step "chart-check passed"
