#!/usr/bin/env bash
# The class's three CIFAR-10 CNNs on GPU:0: one epoch (50000 random 32x32x3
# images, batch 64 and 256, Adam, sparse cross-entropy) in C-GPU
# (conv_bench models) and in PyTorch eager (cnn_peers.py), same run, same
# machine: time and the device memory each caching allocator held (C-GPU:
# used + cached after the epoch; PyTorch: max_memory_reserved). Targets: time
# within 1.0x of PyTorch's, memory within 1.2x.
#
#   tests/bench/cnn_gpu.sh [batch...]
#
# Needs a CUDA build (`make bench-bins`) and a GPU; raw outputs in
# $BUILD/bench/cnn_gpu.{ours,peers}.txt.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-python3}
BIN="$BUILD/bench/conv_bench"
make --no-print-directory BUILD="$BUILD" "$BIN" >/dev/null
ours="$BUILD/bench/cnn_gpu.ours.txt"
peers="$BUILD/bench/cnn_gpu.peers.txt"
"$BIN" models "$@" | tee "$ours"
PYTHONUNBUFFERED=1 "$PYTHON" tests/bench/cnn_peers.py "$@" | tee "$peers"
echo
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')  host: $(hostname)"
val() { echo "$1" | grep -oE "$2=[0-9.]+" | cut -d= -f2; }
printf '%-20s %6s %10s %10s %8s %10s %10s %8s\n' model batch cgpu_s torch_s time_x cgpu_mib torch_mib mem_x
while read -r line; do
  n=$(echo "$line" | grep -oE 'name=[^ ]+' | cut -d= -f2); b=$(val "$line" batch)
  p=$(grep "name=$n batch=$b " "$peers" || true)
  ts=$(val "$line" epoch_s); tp=$(val "$p" epoch_s); ms=$(val "$line" held_mib); mp=$(val "$p" held_mib)
  rx=$( [ -n "$tp" ] && awk -v a="$ts" -v b="$tp" 'BEGIN{printf "%.2f", a/b}' || echo n/a)
  mx=$( [ -n "$mp" ] && awk -v a="$ms" -v b="$mp" 'BEGIN{printf "%.2f", a/b}' || echo n/a)
  printf '%-20s %6s %10s %10s %8s %10s %10s %8s\n' "$n" "$b" "$ts" "${tp:-n/a}" "$rx" "$ms" "${mp:-n/a}" "$mx"
done < <(grep '^model ' "$ours")
