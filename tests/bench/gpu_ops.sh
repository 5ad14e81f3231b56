#!/usr/bin/env bash
# Runs the CUDA backend benchmark (gpu_ops.c) and the same measurements in
# PyTorch and CuPy (gpu_ops_peers.py), then prints a table with the ratios.
#
#   tests/bench/gpu_ops.sh [log2_n]        (default 27)
#
# Needs the runtime built with CUDA ($BUILD/libcgpurt.a, e.g.
# `make BUILD=build-gpu build-gpu/libcgpurt.a`); builds $BUILD/bench/gpu_ops
# from tests/bench/gpu_ops.c when missing. Without a GPU it says so and
# exits 0. Raw outputs go to $BUILD/bench/gpu_ops.{ours,peers}.txt.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-python3}
CC=${CC:-gcc}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
LG=${1:-27}
BIN="$BUILD/bench/gpu_ops"
mkdir -p "$BUILD/bench"
if [ ! -x "$BIN" ] || [ tests/bench/gpu_ops.c -nt "$BIN" ] || [ "$BUILD/libcgpurt.a" -nt "$BIN" ]; then
  [ -f "$BUILD/libcgpurt.a" ] || { echo "missing $BUILD/libcgpurt.a (run: make BUILD=$BUILD $BUILD/libcgpurt.a)"; exit 1; }
  libs="-L$CUDA_HOME/lib64 -Wl,-rpath,$CUDA_HOME/lib64 -lcudart -lcublas"
  [ -e "$CUDA_HOME/lib64/libnccl.so" ] || [ -e /usr/lib/x86_64-linux-gnu/libnccl.so ] && libs="$libs -lnccl"
  $CC -std=gnu11 -O2 -Iruntime tests/bench/gpu_ops.c "$BUILD/libcgpurt.a" $libs -lstdc++ -lm -lpthread -o "$BIN"
fi

ours="$BUILD/bench/gpu_ops.ours.txt"
peers="$BUILD/bench/gpu_ops.peers.txt"
"$BIN" "$LG" | tee "$ours"
if grep -q '^skipped' "$ours"; then exit 0; fi
PYTHONUNBUFFERED=1 "$PYTHON" tests/bench/gpu_ops_peers.py "$LG" | tee "$peers"
echo
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
"$PYTHON" tests/bench/gpu_ops_peers.py --table "$ours" "$peers"
