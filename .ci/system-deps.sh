#!/usr/bin/env bash
# Debian packages the tests need; installed with apt-get when missing and running as root (as in CI),
# otherwise one clear message saying what to install.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v npm >/dev/null || need+=(npm)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "Missing Debian packages for the tests: ${need[*]}"
  echo "Install them with: sudo apt-get update && sudo apt-get install -y ${need[*]}"
  exit 1
fi
