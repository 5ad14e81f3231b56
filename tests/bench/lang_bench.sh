#!/usr/bin/env bash
# Interpreter speed: runs the programs in tests/bench/lang/*.cg with the
# C-GPU kernel binary and with CPython on the same machine, in the same run,
# and prints the seconds of each and the ratio CPython / C-GPU (> 1: C-GPU
# is faster). Each program measures its own timed region (after start-up)
# into `elapsed`; both sides run ROUNDS times, interleaved, best kept.
#
#   tests/bench/lang_bench.sh            (BUILD=build by default)
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
ROUNDS=${ROUNDS:-5}
BIN="$BUILD/cgpu-kernel"
[ -x "$BIN" ] || { echo "missing $BIN (run: make BUILD=$BUILD)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf '%-14s %12s %12s %8s\n' program "C-GPU s" "CPython s" ratio
for prog in tests/bench/lang/*.cg; do
  name=$(basename "$prog" .cg)
  # C-GPU: the program, then print elapsed
  { cat "$prog"; printf '\nprint(f"{elapsed:.6f}")\n'; } > "$tmp/$name.cg"
  # CPython: the same text with time() imported
  { printf 'from time import time\n'; cat "$prog"; printf '\nprint(f"{elapsed:.6f}")\n'; } > "$tmp/$name.py"
  best_c=1e9 best_p=1e9
  for r in $(seq "$ROUNDS"); do
    c=$("$BIN" exec "$tmp/$name.cg" | tail -n 1)
    p=$("$PYTHON" "$tmp/$name.py" | tail -n 1)
    best_c=$(awk -v a="$best_c" -v b="$c" 'BEGIN { print (b < a) ? b : a }')
    best_p=$(awk -v a="$best_p" -v b="$p" 'BEGIN { print (b < a) ? b : a }')
  done
  awk -v n="$name" -v c="$best_c" -v p="$best_p" \
    'BEGIN { printf "%-14s %12.4f %12.4f %8.2f\n", n, c, p, (c > 0 ? p / c : 0) }'
  if [ "$name" = builtin_call ]; then
    awk -v c="$best_c" 'BEGIN { printf "%-14s %9.1f ns per loop iteration calling abs(x) (target <= 200 ns per call)\n", "", c * 1e9 / 1e6 }'
  fi
  if [ "$name" = loop_sum ]; then
    awk -v c="$best_c" 'BEGIN { printf "%-14s %12s (target <= 0.5 s)\n", "", "" }'
  fi
done
echo "machine: $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores; $("$PYTHON" --version 2>&1)"

# Module attribute lookup, against C-GPU's own global lookup in the same run.
read -r mod glob ratio < <("$BIN" exec tests/bench/module_lookup.cg | tail -n 1)
printf '%-14s np.sqrt(x) %.4f s, sqrt(x) %.4f s per 1e6 calls: ratio %s (target <= 1.2)\n' module_lookup "$mod" "$glob" "$ratio"
