#!/usr/bin/env bash
# Convolutions on this machine's CPU: conv_bench's layer rates next to
# numpy's (conv_peers.py, same shapes, same run), then one epoch of the
# tutorial CNN on Fashion-MNIST-shaped data.
#
#   tests/bench/conv_bench.sh [samples]   (samples for the epoch; default 60000)
#
# Builds $BUILD/bench/conv_bench (`make bench-bins`). Raw outputs:
# $BUILD/bench/conv_bench.{ours,peers}.txt.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
BIN="$BUILD/bench/conv_bench"
make --no-print-directory BUILD="$BUILD" "$BIN" >/dev/null
ours="$BUILD/bench/conv_bench.ours.txt"
peers="$BUILD/bench/conv_bench.peers.txt"
"$BIN" layers | tee "$ours"
"$PYTHON" tests/bench/conv_peers.py | tee "$peers"
echo
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')  host: $(hostname)  cpus: $(nproc)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-32s %10s %10s %10s %10s %10s %10s\n' shape fwd bwd sgemm np_fwd np_bwd np_sgemm
val() { echo "$1" | grep -oE "$2=[0-9.]+" | cut -d= -f2; }
while read -r line; do
  s=$(val "$line" shape 2>/dev/null || true); s=$(echo "$line" | grep -oE 'shape=[^ ]+' | cut -d= -f2)
  p=$(grep "shape=$s " "$peers" || true)
  printf '%-32s %10s %10s %10s %10s %10s %10s\n' "$s" "$(val "$line" fwd_gflops)" "$(val "$line" bwd_gflops)" \
    "$(val "$line" sgemm_gflops)" "$(val "$p" fwd_gflops)" "$(val "$p" bwd_gflops)" "$(val "$p" sgemm_gflops)"
done < <(grep '^conv ' "$ours")
echo "(GFLOP/s; C-GPU's columns first, numpy's after)"
"$BIN" epoch "${1:-60000}"
