#!/bin/sh
# Install Chromium for the explorer's browser tests (Playwright drives the system's Chromium, so
# nothing is downloaded from Playwright's CDN) where we are allowed to; exit 1 where we cannot.
set -e
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && command -v apt-get >/dev/null 2>&1; then
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  exit 1
fi
command -v chromium
