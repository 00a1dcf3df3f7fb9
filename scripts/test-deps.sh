#!/bin/sh
# Installs the Debian packages the tests use as independent peers, when they are missing.
# The tests never skip for a missing peer: they need these. Runs as root (apt-get directly) or as a
# user with sudo. test/e2e/fresh-machine.test.ts runs it against stand-ins with every peer missing.
set -e
missing=""
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
# The console tests drive Debian's Chromium through playwright-core (never a downloaded browser).
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
# The mail tests send messages through the SMTP listeners with swaks.
command -v swaks >/dev/null 2>&1 || missing="$missing swaks"
# test/e2e/testssl.test.ts scans every kind of listener with testssl.sh (Debian's package installs it as `testssl`).
command -v testssl >/dev/null 2>&1 || missing="$missing testssl.sh"
# The DNS-01 tests run Knot DNS (knotd) as the zone's server and look at the zone with kdig.
command -v knotd >/dev/null 2>&1 || missing="$missing knot"
command -v kdig >/dev/null 2>&1 || missing="$missing knot-dnsutils"
# The ACME tests run pebble (and its pebble-challtestsrv, same package) as the CA.
command -v pebble >/dev/null 2>&1 || missing="$missing pebble"
# The suite runs a second time on PostgreSQL (npm run test:postgres): Debian's server, a cluster of the tests' own.
# Its programs are not on PATH: looked for where Debian puts them ($GATEHOUSE_PG_LIB: the fresh-machine test's stand-in).
pg=""
for f in "${GATEHOUSE_PG_LIB:-/usr/lib/postgresql}"/*/bin/initdb; do [ -x "$f" ] && pg="$f"; done
# psql (postgresql-client, which the server package brings) on PATH as well: a machine with only a leftover server directory gets the package again.
command -v psql >/dev/null 2>&1 || pg=""
[ -n "$pg" ] || missing="$missing postgresql"
[ -n "$missing" ] || exit 0
echo "installing test peers:$missing"
if [ "$(id -u)" = "0" ]; then
  run() { env DEBIAN_FRONTEND=noninteractive "$@"; }
elif command -v sudo >/dev/null 2>&1; then
  run() { sudo env DEBIAN_FRONTEND=noninteractive "$@"; }
else
  echo "error: the tests need these Debian packages:$missing. Install them as root (apt-get install$missing), or run the tests as root or as a user with sudo." >&2
  exit 1
fi
run apt-get update -qq
# shellcheck disable=SC2086 # one word per package
run apt-get install -y -qq $missing
