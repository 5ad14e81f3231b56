#!/usr/bin/env bash
# Runs the runtime's CPU op benchmark and the same ops in numpy, on the same
# sizes, and prints GB/s (GFLOP/s for matmul) side by side with the ratio
# runtime / numpy (> 1 means the runtime is faster).
#
#   tests/bench/cpu_ops.sh [log2_n]     (default 24)
# Needs $BUILD/bench/cpu_ops (make BUILD=... bench-bins) and python3-numpy.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
LG=${1:-24}
BIN="$BUILD/bench/cpu_ops"
[ -x "$BIN" ] || { echo "missing $BIN (run: make BUILD=$BUILD bench-bins)"; exit 1; }

rt_out=$("$BIN" "$LG")
np_out=$("$PYTHON" - "$LG" <<'PY'
import sys, time
import numpy as np
lg = int(sys.argv[1]); n = 1 << lg
rng = np.random.default_rng(0)
a = rng.uniform(-1, 1, n).astype(np.float32)
b = rng.uniform(-1, 1, n).astype(np.float32)
out = np.empty_like(a)
m = a.reshape(n // 1024, 1024)
x = rng.uniform(-1, 1, (512, 512)).astype(np.float32)
y = rng.uniform(-1, 1, (512, 512)).astype(np.float32)
def best(fn, reps):
    t = 1e30
    for r in range(reps + 2):
        t0 = time.perf_counter(); fn(); d = time.perf_counter() - t0
        if r >= 2: t = min(t, d)
    return t
rows = [
    ("add",        lambda: a + b,                       12 * n, 0, 10),
    ("add_out",    lambda: np.add(a, b, out=out),       12 * n, 0, 10),
    ("mul_scalar", lambda: a * np.float32(1.5),          8 * n, 0, 10),
    ("sum",        lambda: a.sum(),                      4 * n, 0, 10),
    ("exp",        lambda: np.exp(a),                    8 * n, 0, 5),
    ("sum_axis0",  lambda: m.sum(axis=0),                4 * n, 0, 10),
    ("matmul512",  lambda: x @ y,                        0, 2 * 512**3, 5),
]
for name, fn, by, fl, reps in rows:
    t = best(fn, reps)
    s = f"{name:<12s} n={n:<10d} ms={t*1e3:<9.3f}"
    if by: s += f" GB/s={by/t/1e9:.2f}"
    if fl: s += f" GFLOP/s={fl/t/1e9:.2f}"
    print(s)
PY
)
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; numpy $("$PYTHON" -c 'import numpy; print(numpy.__version__)')"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
printf '%-12s %14s %14s %8s\n' op runtime numpy ratio
rate() { echo "$1" | grep -E "^$2 " | grep -oE '(GB|GFLOP)/s=[0-9.]+' | cut -d= -f2; }
unit() { echo "$1" | grep -E "^$2 " | grep -oE '(GB|GFLOP)/s' ; }
for op in add mul_scalar sum exp sum_axis0 matmul512; do
  r=$(rate "$rt_out" $op); p=$(rate "$np_out" $op); u=$(unit "$rt_out" $op)
  ratio=$(awk -v r="$r" -v p="$p" 'BEGIN { if (p > 0) printf "%.2f", r / p; else print "-" }')
  printf '%-12s %9s %-4s %9s %-4s %8s\n' "$op" "$r" "$u" "$p" "$u" "$ratio"
done
r=$(rate "$rt_out" add); p=$(rate "$np_out" add_out)
printf '%-12s %9s %-4s %9s %-4s %8s   (numpy with out=, no allocation)\n' add "$r" GB/s "$p" GB/s \
  "$(awk -v r="$r" -v p="$p" 'BEGIN { printf "%.2f", r / p }')"
