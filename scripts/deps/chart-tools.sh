#!/usr/bin/env bash
# Install the chart tools (Helm 3 and helm-unittest) into a cache and print where they are
# (stdout: the folder; logs go to stderr). One of the installers `make test` runs (scripts/deps/).
#
# Both come from the Go module proxy with `go install` (no release tarballs are reachable here):
#   helm.sh/helm/v3/cmd/helm@HELM_VERSION
#   github.com/helm-unittest/helm-unittest/cmd/helm-unittest@v1.0.1
#     (later helm-unittest tags carry a `replace` directive and `go install` refuses them;
#      the checksum database answers 404 for this module, so it alone skips that lookup via
#      GONOSUMDB; its dependencies are still verified)
# Binaries land in $FARPOINT_TOOLS (default ~/.cache/farpoint/tools/bin). The module version baked
# into each binary (`go version -m`) decides whether it is current, so a warm run takes well under a
# second and never touches the network. Override versions with HELM_VERSION / HELM_UNITTEST_VERSION.
set -euo pipefail
log() { echo "[chart-tools] $*" >&2; }

HELM_VERSION=${HELM_VERSION:-v3.22.0}
HELM_UNITTEST_VERSION=${HELM_UNITTEST_VERSION:-v1.0.1}
TOOLS=${FARPOINT_TOOLS:-$HOME/.cache/farpoint/tools/bin}
mkdir -p "$TOOLS"

# The module version a go-built binary carries, or nothing.
built_version() {
  [ -x "$1" ] || return 0
  command -v go >/dev/null 2>&1 || { echo "unknown"; return 0; }
  go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

# install NAME PACKAGE VERSION [NOSUMDB-PATTERN]
install_tool() {
  local name=$1 pkg=$2 version=$3 nosumdb=${4:-} have
  have=$(built_version "$TOOLS/$name")
  if [ "$have" = "$version" ] || { [ "$have" = "unknown" ] && [ -x "$TOOLS/$name" ]; }; then
    return 0
  fi
  if ! command -v go >/dev/null 2>&1; then
    log "error: '$name' $version is not in $TOOLS and 'go' is not on PATH;"
    log "       install Go >= 1.24 (https://go.dev/doc/install) and run 'make chart-tools' again"
    exit 1
  fi
  log "installing $name $version with go install (first time: a few minutes)"
  # GOTOOLCHAIN=local: never fetch another Go toolchain behind the user's back.
  GOBIN="$TOOLS" GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:--buildvcs=false}" \
    GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}$nosumdb" go install "$pkg@$version"
  log "installed $TOOLS/$name"
}

install_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"
install_tool helm-unittest github.com/helm-unittest/helm-unittest/cmd/helm-unittest \
  "$HELM_UNITTEST_VERSION" github.com/helm-unittest/helm-unittest
echo "$TOOLS"
