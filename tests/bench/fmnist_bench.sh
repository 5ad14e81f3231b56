#!/usr/bin/env bash
# The class's Fashion-MNIST MLP (784 -> 512 relu -> Dropout -> 10 softmax,
# Adam, batch 128): one epoch on this machine's CPU beside the same model
# in numpy (nn_peers.py numpy), and DeviceMonitor's cost (one sample's cost
# over its interval, and epochs with and without it in one run). The GPU
# part beside PyTorch eager is in nn_bench.sh (fmnist), which
# tests/gpu_session.sh runs.
#
#   tests/bench/fmnist_bench.sh      (BUILD=build-nocuda NO_CUDA=1 for the CPU-only build)
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
BIN="$BUILD/bench/nn_bench"
make --no-print-directory BUILD="$BUILD" "$BIN" "$BUILD/cgpu-kernel" >/dev/null
ours=$("$BIN" fmnist-cpu monitor)
echo "$ours"
peer=$("$PYTHON" tests/bench/nn_peers.py numpy)
echo "$peer"
"$BUILD/cgpu-kernel" exec tests/bench/monitor_overhead.cg
echo
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')  host: $(hostname)  cpus: $(nproc)"
o=$(echo "$ours" | sed -n 's/^fmnist device=CPU:0 epoch_ms=\([0-9.]*\).*/\1/p')
p=$(echo "$peer" | sed -n 's/^fmnist device=cpu epoch_ms=\([0-9.]*\).*/\1/p')
[ -n "$o" ] && [ -n "$p" ] && awk -v o="$o" -v p="$p" \
  'BEGIN { printf "fmnist CPU epoch: C-GPU %.0f ms, numpy %.0f ms, ratio %.2fx\n", o, p, o / p }'
