#!/usr/bin/env bash
# Runs the training benchmarks (nn_bench.c) and their PyTorch peers
# (nn_peers.py), then prints a comparison table.
#
#   tests/bench/nn_bench.sh [what...]     (nn_bench's arguments; default all)
#
# Needs $BUILD/libcgpurt.a (CUDA build for the GPU numbers, e.g.
# `make BUILD=build-gpu build-gpu/libcgpurt.a`); builds $BUILD/bench/nn_bench
# when missing or stale. Without PyTorch the peer column says
# "n/a (no PyTorch here)". Raw outputs: $BUILD/bench/nn_bench.{ours,peers}.txt.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-python3}
CC=${CC:-gcc}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
BIN="$BUILD/bench/nn_bench"
mkdir -p "$BUILD/bench"
if [ ! -x "$BIN" ] || [ tests/bench/nn_bench.c -nt "$BIN" ] || [ "$BUILD/libcgpurt.a" -nt "$BIN" ]; then
  [ -f "$BUILD/libcgpurt.a" ] || { echo "missing $BUILD/libcgpurt.a (run: make BUILD=$BUILD $BUILD/libcgpurt.a)"; exit 1; }
  libs=""
  if nm "$BUILD/libcgpurt.a" 2>/dev/null | grep -q cublasCreate; then
    libs="-L$CUDA_HOME/lib64 -Wl,-rpath,$CUDA_HOME/lib64 -lcudart -lcublas -lstdc++"
    if nm "$BUILD/libcgpurt.a" 2>/dev/null | grep -q ncclAllReduce; then libs="$libs -lnccl"; fi
  fi
  $CC -std=gnu11 -O2 -Iruntime tests/bench/nn_bench.c "$BUILD/libcgpurt.a" $libs -lm -lpthread -o "$BIN"
fi
ours="$BUILD/bench/nn_bench.ours.txt"
peers="$BUILD/bench/nn_bench.peers.txt"
"$BIN" "$@" | tee "$ours"
if grep -q "device=GPU" "$ours"; then
  for n in 2 4; do "$BIN" virtual $n | tee -a "$ours"; done
fi
PYTHONUNBUFFERED=1 "$PYTHON" tests/bench/nn_peers.py | tee "$peers"
echo
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')  host: $(hostname)"
if grep -q "^peer: n/a" "$peers"; then
  echo "peer: n/a (no PyTorch here)"
else
  "$PYTHON" tests/bench/nn_peers.py --table "$ours" "$peers"
fi
