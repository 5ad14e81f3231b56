#!/usr/bin/env bash
# Runs the training benchmarks (nn_bench.c) and their PyTorch peers
# (nn_peers.py), then prints a comparison table.
#
#   tests/bench/nn_bench.sh [what...]     (nn_bench's arguments; default all)
#
# Builds $BUILD/bench/nn_bench (`make bench-bins`; a CUDA build for the GPU
# numbers). Without PyTorch the peer column says
# "n/a (no PyTorch here)". Raw outputs: $BUILD/bench/nn_bench.{ours,peers}.txt.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-python3}
BIN="$BUILD/bench/nn_bench"
make --no-print-directory BUILD="$BUILD" "$BIN" >/dev/null
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
