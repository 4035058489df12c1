#!/usr/bin/env bash
# `make images`: build the container images with buildah, without a Docker engine or a registry.
#
#   1. buildah + debootstrap from apt when missing (as root; both are Debian packages).
#   2. A Debian bookworm base image (python3 3.11 + venv + pip, ca-certificates) laid down by
#      debootstrap, cached as a tarball under ~/.cache/farpoint/images and as the local image
#      localhost/farpoint-base:bookworm: made once, reused by every later build.
#   3. docker/Dockerfile (CPU) with `--build-arg BASE_IMAGE=<that base>` (Docker users keep the
#      public python:3.11.7-slim-bookworm default, the Dockerfile is unchanged for them), cached
#      layers (`--layers`), the host's uv cache lent to the build (`--volume ~/.cache/uv:...`).
#   4. The smoke test (scripts/images-smoke.sh) against the built image, unless IMAGES_SMOKE=0.
#
# IMAGES_CUDA=1 also builds docker/Dockerfile.cuda: every layer installs here (the CUDA libraries
# are pip wheels), only running it needs a GPU. IMAGES_TORCH_INDEX: the CPU torch index to use
# (default empty: download.pytorch.org is unreachable here, so the CPU image gets PyPI's torch).
# Storage: ~/.cache/farpoint/images/storage, overlay driver (vfs where overlay cannot mount).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "images: $*" >&2; }
die() { echo "images: error: $*" >&2; exit 1; }

CACHE=${FARPOINT_IMAGES_CACHE:-$HOME/.cache/farpoint/images}
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)
BASE_TAG=localhost/farpoint-base:bookworm
CPU_TAG=localhost/farpoint:$VERSION
CUDA_TAG=localhost/farpoint:$VERSION-cuda
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
export BUILDAH_ISOLATION=chroot

[ "$(id -u)" = 0 ] || die "buildah without a daemon needs root here (chroot isolation)"
mkdir -p "$CACHE"

# 1. tools
need=()
command -v buildah >/dev/null || need+=(buildah)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]} with apt-get"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" \
    >/dev/null || die "apt-get could not install ${need[*]}"
fi

# Storage driver: overlay when the kernel mounts it here, else vfs (full copies: much more disk).
DRIVER=${IMAGES_STORAGE_DRIVER:-}
if [ -z "$DRIVER" ]; then
  DRIVER=$(cat "$CACHE/driver" 2>/dev/null || true)
fi
if [ -z "$DRIVER" ]; then
  probe=$(mktemp -d)
  if buildah --root "$probe/r" --runroot "$probe/rr" --storage-driver overlay from scratch \
      >/dev/null 2>&1 && c=$(buildah --root "$probe/r" --runroot "$probe/rr" \
      --storage-driver overlay containers -q | head -1) \
      && buildah --root "$probe/r" --runroot "$probe/rr" --storage-driver overlay mount "$c" \
      >/dev/null 2>&1; then
    DRIVER=overlay
  else
    DRIVER=vfs
  fi
  buildah --root "$probe/r" --runroot "$probe/rr" --storage-driver overlay rm -a >/dev/null 2>&1 \
    || true
  rm -rf "$probe"
  echo "$DRIVER" > "$CACHE/driver"
fi
B=(buildah --root "$CACHE/storage" --runroot /run/farpoint-buildah --storage-driver "$DRIVER")
log "buildah $(buildah --version | awk '{print $3}'), storage driver $DRIVER in $CACHE/storage"

# 2. the base image
if ! "${B[@]}" inspect --type image "$BASE_TAG" >/dev/null 2>&1; then
  tarball=$CACHE/bookworm-python3.tar
  if [ ! -s "$tarball" ]; then
    log "debootstrap: Debian bookworm + python3/venv/pip from $MIRROR (once, a few minutes)"
    root=$CACHE/rootfs.tmp
    rm -rf "$root"
    debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
      bookworm "$root" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
      || die "debootstrap failed; see $CACHE/debootstrap.log"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" --numeric-owner -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  log "importing the base image $BASE_TAG from $tarball"
  c=$("${B[@]}" from scratch)
  "${B[@]}" add "$c" "$tarball" / >/dev/null
  "${B[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 --cmd '["python3"]' \
    --label org.opencontainers.image.description="Debian bookworm + python3 (debootstrap)" "$c"
  "${B[@]}" commit -q --rm "$c" "$BASE_TAG" >/dev/null
fi

# 3. the images
build() {  # build DOCKERFILE TAG [extra buildah args...]
  local file=$1 tag=$2
  shift 2
  local t0=$SECONDS
  log "building $tag from $file"
  mkdir -p "$HOME/.cache/uv"
  # This machine's CA bundle for the build's RUNs only (a TLS-inspecting egress proxy signs with
  # its own CA here): bind-mounted, never committed to the image. uv reads it (--system-certs).
  local ca=()
  [ -s /etc/ssl/certs/ca-certificates.crt ] \
    && ca=(--volume /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
  "${B[@]}" bud --format docker --layers --force-rm --isolation chroot --network host "${ca[@]}" \
    --volume "$HOME/.cache/uv:/root/.cache/uv" \
    --ignorefile "$file.dockerignore" --build-arg BASE_IMAGE="$BASE_TAG" "$@" \
    -f "$file" -t "$tag" . || die "buildah bud $file failed"
  log "$tag built in $((SECONDS - t0)) s; size $("${B[@]}" images --format '{{.Size}}' "$tag")"
}
build docker/Dockerfile "$CPU_TAG" --build-arg TORCH_INDEX="${IMAGES_TORCH_INDEX:-}"
if [ "${IMAGES_CUDA:-0}" = 1 ]; then
  build docker/Dockerfile.cuda "$CUDA_TAG"
fi
# Dangling intermediate images of earlier builds (cached layers of the current ones stay).
"${B[@]}" rmi --prune >/dev/null 2>&1 || true

# 4. the smoke test
if [ "${IMAGES_SMOKE:-1}" = 1 ]; then
  bash scripts/images-smoke.sh "$CPU_TAG"
fi
