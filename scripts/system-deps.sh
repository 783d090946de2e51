#!/usr/bin/env bash
# Installs what the tests need from Debian when it is missing: chromium and postgresql.
# As root it installs them; otherwise it says what to install. Under CI a missing one fails.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} from Debian…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "Missing system packages for the tests: ${missing[*]} (install with: sudo apt-get install ${missing[*]})" >&2
if [ "${CI:-}" = "true" ]; then
  exit 1
fi
