#!/usr/bin/env bash
# Host<->device copy bandwidth: the runtime's staged copies beside
# cudaMemcpy from pinned and from pageable memory, in one run on GPU:0
# (transfer_bench.c). Without a GPU it says so and exits 0.
#
#   tests/bench/transfer_bench.sh [MiB...]      (default 16 64 256)
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN="$BUILD/bench/transfer_bench"
make --no-print-directory BUILD="$BUILD" "$BIN" >/dev/null
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
"$BIN" "$@"
