#!/usr/bin/env bash
# Install the headless browser the console test drives (tests/e2e/test_console.py), if missing
# (idempotent; a warm run only checks one file):
#   Debian chromium   /usr/bin/chromium   (driven by Playwright for Python, pinned in the dev
#                                          extra, with executable_path: `playwright install` is
#                                          never run, nothing is downloaded at test time)
# apt-get update runs only when the package cannot be found in the cached lists. Exits non-zero
# with the reason when it cannot install it (not root and no password-less sudo, no apt-get,
# apt failed): `make test` stops there rather than run the console test without a browser.
set -euo pipefail
log() { echo "[chromium] $*" >&2; }
die() { echo "[chromium] error: $*" >&2; exit 1; }

BROWSER=/usr/bin/chromium
[ -x "$BROWSER" ] && exit 0

how="install it with: sudo apt-get install chromium"
command -v apt-get >/dev/null || die "no $BROWSER and no apt-get here; $how on a Debian/Ubuntu machine"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    die "no $BROWSER and not root (no password-less sudo); $how"
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  log "updating apt package lists"
  $SUDO apt-get update -qq || die "apt-get update failed (is the Debian mirror reachable?)"
fi
log "installing chromium"
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null \
  || die "apt-get install chromium failed (see apt's message above)"
[ -x "$BROWSER" ] || die "chromium installed but $BROWSER is still missing"
"$BROWSER" --headless --no-sandbox --disable-gpu --version >/dev/null 2>&1 \
  || die "$BROWSER is installed but does not start (see: $BROWSER --headless --version)"
log "installed $("$BROWSER" --version 2>/dev/null || echo chromium)"
