#!/bin/sh
# Installs the Debian packages the tests use as independent peers, when they are missing.
# The tests never skip for a missing peer: they need these.
set -e
missing=""
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
# The console tests drive Debian's Chromium through playwright-core (never a downloaded browser).
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
# The mail tests send messages through the SMTP listeners with swaks.
command -v swaks >/dev/null 2>&1 || missing="$missing swaks"
if [ -n "$missing" ]; then
  echo "installing test peers:$missing"
  if [ "$(id -u)" != "0" ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
fi
