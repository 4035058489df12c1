#!/usr/bin/env bash
# Install the real sample data the tests and benchmarks use, if missing (idempotent):
#   Debian opencv-doc          /usr/share/doc/opencv-doc/examples/data/ (vtest.avi, tree.avi,
#                              Megamind_bugy.avi, images) and opencv4/html/{box,cup}.mp4.gz
#   Debian dataset-fashion-mnist /usr/share/datasets/fashion-mnist/
# apt-get update runs only when a package is missing and cannot be found in the cached lists.
# Without root (and without sudo) it only says what is missing: the tests that need it skip.
set -euo pipefail
log() { echo "[sample-data] $*" >&2; }

declare -A probe=(
  [opencv-doc]=/usr/share/doc/opencv-doc/examples/data/vtest.avi
  [dataset-fashion-mnist]=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
)
missing=()
for pkg in "${!probe[@]}"; do
  [ -e "${probe[$pkg]}" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    log "missing ${missing[*]} and not root: install them with apt-get (tests needing them skip)"
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null; then
  log "missing ${missing[*]} and no apt-get here: tests needing them skip"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# Update the package lists only when apt cannot find a candidate for a missing package.
for pkg in "${missing[@]}"; do
  if ! apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    log "updating apt package lists"
    $SUDO apt-get update -qq
    break
  fi
done
log "installing ${missing[*]}"
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
