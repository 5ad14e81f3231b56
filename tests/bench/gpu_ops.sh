#!/usr/bin/env bash
# Runs the CUDA backend benchmark (gpu_ops.c) and the same measurements in
# PyTorch and CuPy (gpu_ops_peers.py), then prints a table with the ratios.
#
#   tests/bench/gpu_ops.sh [log2_n]        (default 27)
#
# Builds $BUILD/bench/gpu_ops (`make bench-bins`; a CUDA build for GPU
# figures). Without a GPU it says so and exits 0. Raw outputs go to
# $BUILD/bench/gpu_ops.{ours,peers}.txt.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-python3}
LG=${1:-27}
BIN="$BUILD/bench/gpu_ops"
make --no-print-directory BUILD="$BUILD" "$BIN" >/dev/null

ours="$BUILD/bench/gpu_ops.ours.txt"
peers="$BUILD/bench/gpu_ops.peers.txt"
"$BIN" "$LG" | tee "$ours"
if grep -q '^skipped' "$ours"; then exit 0; fi
PYTHONUNBUFFERED=1 "$PYTHON" tests/bench/gpu_ops_peers.py "$LG" | tee "$peers"
echo
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
"$PYTHON" tests/bench/gpu_ops_peers.py --table "$ours" "$peers"
