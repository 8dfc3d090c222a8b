#!/usr/bin/env bash
# Idempotent: makes sure a Docker engine answers (Debian docker.io, dockerd started in the background when the
# user is root) and that the sandbox image of sandbox/image.json exists, built locally from a debootstrap root
# filesystem (Debian's packages; no registry image is pulled).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'setup: %s\n' "$*" >&2; }
fail() { printf 'setup: %s\n' "$*" >&2; exit 1; }

RECIPE=sandbox/image.json
json() { node -e "const r=require('./$RECIPE'); const v=$1; console.log(Array.isArray(v) ? v.join(',') : v)"; }
TAG="$(json r.repository):$(sha256sum "$RECIPE" | cut -c1-12)"
DATA_DIR="${ORC_DATA_DIR:-$PWD/.orc}"
mkdir -p "$DATA_DIR"

apt_install() {
  [ "$(id -u)" = 0 ] || fail "$* is needed and only root can install it: run 'apt-get install $*' as root, or set ORC_SANDBOX_IMAGE and DOCKER_HOST to an engine you have"
  say "installing $* from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 ||
    { DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
}

# 1. A Docker engine.
if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || apt_install docker.io
  command -v docker >/dev/null || apt_install docker.io
  if [ -z "${DOCKER_HOST:-}" ] && [ "$(id -u)" = 0 ]; then
    say "starting dockerd (log: $DATA_DIR/dockerd.log)"
    nohup dockerd >"$DATA_DIR/dockerd.log" 2>&1 &
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  fi
  docker info >/dev/null 2>&1 || fail "no Docker engine answers (docker info failed). Start one (dockerd as root, or set DOCKER_HOST); see $DATA_DIR/dockerd.log"
fi

# 2. The sandbox image, unless the user names their own.
if [ -n "${ORC_SANDBOX_IMAGE:-}" ]; then
  docker image inspect "$ORC_SANDBOX_IMAGE" >/dev/null 2>&1 || fail "ORC_SANDBOX_IMAGE=$ORC_SANDBOX_IMAGE is not on this engine (docker pull it first)"
  exit 0
fi
docker image inspect "$TAG" >/dev/null 2>&1 && exit 0

command -v debootstrap >/dev/null || apt_install debootstrap
[ "$(id -u)" = 0 ] || fail "building the sandbox image needs root (debootstrap); or set ORC_SANDBOX_IMAGE to an image with python3"
ROOTFS="$(mktemp -d "${TMPDIR:-/tmp}/orc-sandbox-rootfs.XXXXXX")"
trap 'rm -rf "$ROOTFS"' EXIT
say "building sandbox image $TAG (debootstrap $(json r.suite), about a minute)"
debootstrap --variant="$(json r.variant)" --include="$(json r.packages)" "$(json r.suite)" "$ROOTFS" >"$DATA_DIR/debootstrap.log" 2>&1 ||
  fail "debootstrap failed; see $DATA_DIR/debootstrap.log"
USER_NAME="$(json r.user.name)"
USER_ID="$(json r.user.uid)"
echo "$USER_NAME:x:$USER_ID:$USER_ID:sandbox:/work:/usr/sbin/nologin" >>"$ROOTFS/etc/passwd"
echo "$USER_NAME:x:$USER_ID:" >>"$ROOTFS/etc/group"
mkdir -p "$ROOTFS/work"
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/locale/*
tar -C "$ROOTFS" -c . | docker import \
  --change "USER $USER_ID:$USER_ID" \
  --change "WORKDIR /work" \
  --change "ENV PATH=/usr/local/bin:/usr/bin:/bin HOME=/work LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1" \
  --change "LABEL org.orchestrator.recipe=$(sha256sum "$RECIPE" | cut -c1-12)" \
  - "$TAG" >/dev/null
say "sandbox image $TAG ready"
