#!/usr/bin/env bash
# Smoke test of a built image (run by `make images`; not by `make test`, see docs/deploy.md):
#
#   - inside the image: `farpoint --version` equals the chart's appVersion; it runs as uid 10001;
#     no secret-looking file or variable; numba's cache is warm (files in /opt/farpoint/var) and
#     writable by uid 10001;
#   - every service (`farpoint serve NAME`) started from the image, one container each
#     (`buildah run`, chroot isolation, host network), pointed at the running local Kafka, S3 and
#     database (infra/.state/env) with its own bucket and topic prefix, on ports 18100-18199, in
#     dev mode (those servers use the dev credentials; the image alone refuses them: checked):
#     /healthz and /readyz answer 200; the gateway's start-up time (launch -> /readyz 200) printed;
#   - an API key created inside the image (`farpoint admin keys create`), then one job over
#     tests/fixtures/bikes_320.mp4 through the REST API, polled until it succeeded.
#
# Usage: scripts/images-smoke.sh [IMAGE]   (default localhost/farpoint:<version>)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "smoke: $*" >&2; }
die() { echo "smoke: FAILED: $*" >&2; exit 1; }

CACHE=${FARPOINT_IMAGES_CACHE:-$HOME/.cache/farpoint/images}
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)
IMAGE=${1:-localhost/farpoint:$VERSION}
DRIVER=$(cat "$CACHE/driver" 2>/dev/null || echo vfs)
B=(buildah --root "$CACHE/storage" --runroot /run/farpoint-buildah --storage-driver "$DRIVER")
export BUILDAH_ISOLATION=chroot
SERVICES=(gateway ingest embedding normalization selection export trainer)
BASE_PORT=${SMOKE_BASE_PORT:-18140}
RUN=imgsmoke-$(date +%s)-$$
WORK=$(mktemp -d /tmp/farpoint-smoke.XXXXXX)

[ -f infra/.state/env ] || die "infra/.state/env missing: start Kafka/S3 first (make infra-up)"
# shellcheck disable=SC1091
source infra/.state/env
"${B[@]}" inspect --type image "$IMAGE" >/dev/null 2>&1 || die "no image $IMAGE (make images)"

containers=()
pids=()
cleanup() {
  for pid in "${pids[@]}"; do  # each service runs in its own process group (setsid)
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  for c in "${containers[@]}"; do "${B[@]}" rm "$c" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# A container of the image with the settings of this run (kept out of the image itself), in $CTR
# (not printed: a command substitution would run in a subshell and lose `containers`).
new_container() {  # new_container NAME
  local c
  c=$("${B[@]}" from --name "$RUN-$1" "$IMAGE")
  containers+=("$c")
  CTR=$c
  "${B[@]}" config \
    --env FARPOINT_KAFKA__BOOTSTRAP="$FARPOINT_KAFKA__BOOTSTRAP" \
    --env FARPOINT_KAFKA__TOPIC_PREFIX="$RUN." \
    --env FARPOINT_KAFKA__PARTITIONS=1 \
    --env FARPOINT_S3__ENDPOINT="$FARPOINT_S3__ENDPOINT" \
    --env FARPOINT_S3__ACCESS_KEY="$FARPOINT_S3__ACCESS_KEY" \
    --env FARPOINT_S3__SECRET_KEY="$FARPOINT_S3__SECRET_KEY" \
    --env FARPOINT_S3__SECURE="$FARPOINT_S3__SECURE" \
    --env FARPOINT_S3__BUCKET="$RUN" \
    ${FARPOINT_DATABASE__URL:+--env FARPOINT_DATABASE__URL="$FARPOINT_DATABASE__URL"} \
    --env OMP_NUM_THREADS=1 \
    "$c"
  if [ "$1" != probe ]; then  # the local servers run with the dev credentials (infra/up.sh)
    "${B[@]}" config --env FARPOINT_DEV_MODE=true "$c"
  fi
}
in_image() {  # in_image CONTAINER CMD...: run as the image's user, as the image would
  local c=$1
  shift
  "${B[@]}" run --isolation chroot --network host --user 10001:10001 "$c" -- "$@"
}

# 1. the image itself
new_container probe
probe=$CTR
got=$(in_image "$probe" farpoint --version)
# (once, right after a build, `buildah run` returned nothing with status 0: ask a second time)
[ -n "$got" ] || got=$(in_image "$probe" farpoint --version)
want="farpoint $(sed -n 's/^appVersion: "\(.*\)"/\1/p' charts/farpoint/Chart.yaml)"
[ "$got" = "$want" ] || die "farpoint --version in the image says '$got', the chart's appVersion '$want'"
log "version: $got (= chart appVersion)"
user=$("${B[@]}" inspect --type image --format '{{.OCIv1.Config.User}}' "$IMAGE")
[ "$user" = "10001:10001" ] || die "image user is '$user', not 10001:10001"
[ "$(in_image "$probe" id -u)" = 10001 ] || die "processes do not run as uid 10001"
env_keys=$("${B[@]}" inspect --type image --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' \
  "$IMAGE" | cut -d= -f1)
if grep -Ei 'SECRET|PASSWORD|TOKEN|ACCESS_KEY|API_KEY' <<<"$env_keys"; then
  die "the image's environment names a secret (above)"
fi
mnt=$("${B[@]}" mount "$probe")
secrets=$(find "$mnt" -xdev \( -path "$mnt/proc" -o -path "$mnt/sys" -o -path "$mnt/opt/farpoint/lib" \
  -o -path "$mnt/usr" \) -prune -o -type f \( -name '.env' -o -name 'env' -path '*/.state/*' \
  -o -name 'id_rsa*' -o -name '*.pem' -o -name 'credentials' -o -name '.netrc' \) -print | head)
[ -z "$secrets" ] || die "secret-looking files in the image: $secrets"
nfiles=$(find "$mnt/opt/farpoint/var/numba-cache" -type f -name '*.nbi' 2>/dev/null | wc -l)
[ "$nfiles" -gt 0 ] || die "no warm numba cache in /opt/farpoint/var/numba-cache"
"${B[@]}" umount "$probe" >/dev/null
in_image "$probe" sh -c 'test -w /opt/farpoint/var/numba-cache' \
  || die "numba cache not writable by uid 10001"
log "uid 10001, no secrets, numba cache warm ($nfiles index files) and writable"
# The image is not in dev mode: it refuses the local servers' placeholder credentials.
if refusal=$(in_image "$probe" farpoint serve gateway --port "$BASE_PORT" 2>&1); then
  die "the image started with placeholder credentials outside dev mode"
fi
grep -q "refusing to start outside dev mode" <<<"$refusal" || die "unexpected failure: $refusal"
log "outside dev mode the image refuses placeholder credentials"

# 2. every service from the image
declare -A port t_start
p=$BASE_PORT
for s in "${SERVICES[@]}"; do
  new_container "$s"
  c=$CTR
  port[$s]=$p
  t_start[$s]=$(date +%s.%N)
  setsid "${B[@]}" run --isolation chroot --network host --user 10001:10001 "$c" -- \
    farpoint serve "$s" --host 127.0.0.1 --port "$p" >"$WORK/$s.log" 2>&1 &
  pids+=($!)
  p=$((p + 1))
done
declare -A ready_s
deadline=$((SECONDS + ${SMOKE_READY_TIMEOUT:-300}))
for s in "${SERVICES[@]}"; do
  until curl -sf -o /dev/null "http://127.0.0.1:${port[$s]}/readyz"; do
    [ $SECONDS -lt $deadline ] || die "$s not ready on ${port[$s]}: $(tail -20 "$WORK/$s.log")"
    sleep 0.5
  done
  ready_s[$s]=$(python3 -c "import time; print(f'{time.time() - ${t_start[$s]}:.1f}')")
  curl -sf -o /dev/null "http://127.0.0.1:${port[$s]}/healthz" || die "$s: /healthz not 200"
  log "$s: /healthz and /readyz 200 on ${port[$s]} (ready ${ready_s[$s]} s after launch)"
done

# 3. a key made inside the image, one job through the REST API
gw=http://127.0.0.1:${port[gateway]}
key=$(in_image "$probe" farpoint admin keys create --tenant smoke --role writer --name images-smoke \
  2>/dev/null) || die "farpoint admin keys create failed inside the image"
auth=(-H "Authorization: Bearer $key")
media=$(curl -sf "${auth[@]}" -F "file=@tests/fixtures/bikes_320.mp4" "$gw/v1/media") \
  || die "upload failed: $(tail -20 "$WORK/gateway.log")"
mid=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$media")
job=$(curl -sf "${auth[@]}" -H 'Content-Type: application/json' \
  -d "{\"media_ids\": [\"$mid\"], \"k\": 3}" "$gw/v1/jobs") || die "job submit failed"
jid=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$job")
t0=$SECONDS
while :; do
  st=$(curl -sf "${auth[@]}" "$gw/v1/jobs/$jid" || echo '{"status": "unknown"}')
  status=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' <<<"$st")
  [ "$status" = succeeded ] && break
  [ "$status" = failed ] && die "job $jid failed: $st"
  [ $((SECONDS - t0)) -lt "${SMOKE_JOB_TIMEOUT:-600}" ] || die "job $jid still $status"
  sleep 1
done
picks=$(curl -sf "${auth[@]}" "$gw/v1/jobs/$jid/result" \
  | python3 -c 'import json,sys; r=json.load(sys.stdin); print(len(r["items"]))')
[ "$picks" = 3 ] || die "job $jid succeeded with $picks picks, not 3"
log "job $jid succeeded in $((SECONDS - t0)) s with 3 picks"
log "PASSED: image $IMAGE ($("${B[@]}" images --format '{{.Size}}' "$IMAGE")); gateway ready" \
  "${ready_s[gateway]} s after launch"
rm -rf "$WORK"  # logs kept only when a check failed
