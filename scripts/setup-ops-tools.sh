#!/usr/bin/env bash
# Idempotent: the Debian programs the operating-runs tests use — chromium (the Web UI and mermaid in a headless
# browser, driven by npm playwright-core), prometheus (scrapes `orc worker --metrics-port`), docker-compose
# (checks docker-compose.yml), util-linux `script` (a pseudo-terminal for `orc run`) and ffmpeg (the audio tools'
# conversions). Chromium also backs the headless-browser and pdf-compiler tools. Installs only what is missing.
set -euo pipefail
say() { printf 'setup: %s\n' "$*" >&2; }
fail() { printf 'setup: %s\n' "$*" >&2; exit 1; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v prometheus >/dev/null || missing+=(prometheus)
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
command -v script >/dev/null || missing+=(util-linux)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
[ ${#missing[@]} -eq 0 ] && exit 0

[ "$(id -u)" = 0 ] || fail "${missing[*]} needed and only root can install them: run 'apt-get install ${missing[*]}' as root"
say "installing ${missing[*]} from Debian"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 ||
  { DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
