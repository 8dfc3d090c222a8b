#!/usr/bin/env bash
# Idempotent: makes sure PostgreSQL's server binaries (initdb, pg_ctl) are installed, from Debian's `postgresql`
# package, for the run store's cluster backend and its tests (test/helpers/postgres.ts starts a throwaway server).
set -euo pipefail
say() { printf 'setup: %s\n' "$*" >&2; }
fail() { printf 'setup: %s\n' "$*" >&2; exit 1; }

have_initdb() {
  command -v initdb >/dev/null 2>&1 && return 0
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

have_initdb && exit 0
[ "$(id -u)" = 0 ] || fail "PostgreSQL is needed for the run store tests and only root can install it: run 'apt-get install postgresql' as root"
say "installing postgresql from Debian"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null 2>&1 ||
  { DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null; }
have_initdb || fail "postgresql was installed but no initdb was found (looked on PATH and in /usr/lib/postgresql/*/bin)"
# The Debian package starts a cluster of its own; the tests start their own servers, so that one is not needed.
id postgres >/dev/null 2>&1 || fail "the postgres user is missing after installing postgresql"
