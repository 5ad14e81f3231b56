#!/bin/sh
# packages.sh build|runtime [EXTRA...] — installs the distribution packages
# one stage of kernelspec/container/Containerfile needs, on Debian 12 or
# Ubuntu 24.04 (whose library packages carry a "t64" suffix), then cleans
# the package lists. EXTRA names more packages (e.g. Jupyter from the
# distribution for a plain image).
set -eu
stage=$1; shift
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# first of several names that the distribution has
pick() { for p in "$@"; do apt-cache show "$p" >/dev/null 2>&1 && { echo "$p"; return; }; done; }
case $stage in
build)
  pkgs="build-essential make pkg-config libzmq3-dev libjansson-dev libssl-dev
        zlib1g-dev libdeflate-dev libpng-dev libarchive-dev libcurl4-openssl-dev" ;;
runtime)
  pkgs="ca-certificates $(pick libzmq5) $(pick libjansson4) $(pick libpng16-16t64 libpng16-16)
        $(pick libarchive13t64 libarchive13) $(pick libcurl4t64 libcurl4) $(pick zlib1g)
        $(pick dataset-fashion-mnist)" ;;
*) echo "usage: $0 build|runtime [EXTRA...]" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $pkgs "$@"
rm -rf /var/lib/apt/lists/*
