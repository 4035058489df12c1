#!/usr/bin/env bash
# Install the real sample data the tests and benchmarks use, if missing (idempotent, cached by
# the system: a warm run only checks two files):
#   Debian opencv-doc            /usr/share/doc/opencv-doc/examples/data/ (vtest.avi, tree.avi,
#                                Megamind_bugy.avi, images) and opencv4/html/{box,cup}.mp4.gz
#   Debian dataset-fashion-mnist /usr/share/datasets/fashion-mnist/
# apt-get update runs only when a package is missing and cannot be found in the cached lists.
# Exits non-zero with the reason when it cannot install them (not root and no password-less
# sudo, no apt-get, apt failed): `make test` stops there rather than test without the data.
set -euo pipefail
log() { echo "[sample-data] $*" >&2; }
die() { echo "[sample-data] error: $*" >&2; exit 1; }

declare -A probe=(
  [opencv-doc]=/usr/share/doc/opencv-doc/examples/data/vtest.avi
  [dataset-fashion-mnist]=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
)
missing=()
for pkg in "${!probe[@]}"; do
  [ -e "${probe[$pkg]}" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

how="install them with: sudo apt-get install ${missing[*]}"
command -v apt-get >/dev/null || die "missing Debian packages ${missing[*]} and no apt-get here; $how on a Debian/Ubuntu machine"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    die "missing Debian packages ${missing[*]} and not root (no password-less sudo); $how"
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# Update the package lists only when apt cannot find a candidate for a missing package.
for pkg in "${missing[@]}"; do
  if ! apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    log "updating apt package lists"
    $SUDO apt-get update -qq || die "apt-get update failed (is the Debian mirror reachable?)"
    break
  fi
done
log "installing ${missing[*]}"
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || die "apt-get install ${missing[*]} failed (see apt's message above)"
for pkg in "${missing[@]}"; do
  [ -e "${probe[$pkg]}" ] || die "$pkg installed but ${probe[$pkg]} is still missing"
done
log "installed ${missing[*]}"
