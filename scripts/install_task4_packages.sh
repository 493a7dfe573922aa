#!/bin/sh
# Install Debian's Fashion-MNIST files (/usr/share/datasets/fashion-mnist) and PostgreSQL's server
# binaries (for the multi-process sweep test) where we are allowed to; exit 1 where we cannot.
set -e
packages="dataset-fashion-mnist postgresql"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && command -v apt-get >/dev/null 2>&1; then
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
else
  exit 1
fi
ls /usr/share/datasets/fashion-mnist
