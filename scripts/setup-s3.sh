#!/usr/bin/env bash
# Idempotent: installs moto's S3-compatible server (`moto_server`, from PyPI) into the project's .venv, for the S3
# run store's tests (test/helpers/s3.ts starts a throwaway server on a free loopback port).
set -euo pipefail
cd "$(dirname "$0")/.."
MOTO_VERSION=5.2.5
say() { printf 'setup: %s\n' "$*" >&2; }

[ -x .venv/bin/python ] || { say "no .venv yet: run 'bash scripts/setup.sh' first"; exit 1; }
[ -x .venv/bin/moto_server ] && exit 0
say "installing moto[server]==${MOTO_VERSION} (an S3-compatible server for the tests) from PyPI"
.venv/bin/pip install --quiet --disable-pip-version-check "moto[server]==${MOTO_VERSION}"
[ -x .venv/bin/moto_server ] || { say "moto was installed but .venv/bin/moto_server is missing"; exit 1; }
