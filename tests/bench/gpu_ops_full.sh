#!/usr/bin/env bash
# Everything GPU-side of the runtime in one go, for a machine with a GPU:
# build the runtime and every rt_* unit test (sm_90 only, to build fast),
# run the tests, the launch-shape variants and the op benchmark against
# PyTorch and CuPy.
#
#   tests/bench/gpu_ops_full.sh [OUTDIR]     (logs: OUTDIR/{build,tests,variants,bench}.log,
#                                             one log per test binary in $BUILD/logs/)
#
# Kernel-runtime tests are independent binaries; one that fails does not
# stop the others. Exit status: 0 when every test binary passed.
set -u
cd "$(dirname "$0")/../.."
OUT=${1:-build-gpu/out}
BUILD=${BUILD:-build-gpu}
ARCH=${ARCH:-sm_90}
LOGS="$BUILD/logs"
mkdir -p "$OUT" "$LOGS"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv,noheader || true
NCF=""
[ -f /usr/local/cuda/include/nccl.h ] && NCF="-DCGPU_HAVE_NCCL=1"
TESTS=$(ls tests/unit/rt_*.c | sed "s|tests/unit/\(.*\)\.c|$BUILD/tests/\1|")
t0=$(date +%s)
make -k BUILD="$BUILD" -j"$(nproc)" \
  NVCCFLAGS="-O3 -std=c++17 -arch=$ARCH -Xcompiler -fPIC -Iruntime -I/usr/local/cuda/include -MMD -MP $NCF" \
  $TESTS >"$OUT/build.log" 2>&1
echo "build: exit $?, $(( $(date +%s) - t0 )) s (errors: $(grep -c 'error' "$OUT/build.log"))"
grep -E 'error' "$OUT/build.log" | head -5

rc=0
for t in $TESTS; do
  [ -x "$t" ] || { echo "--- $(basename "$t"): NOT BUILT"; rc=1; continue; }
  s=$(date +%s.%N)
  timeout 300 "$t" >"$LOGS/$(basename "$t").log" 2>&1
  r=$?
  [ $r = 0 ] || rc=1
  printf -- '--- %s: exit %d, %.1f s: %s\n' "$(basename "$t")" $r "$(awk -v a="$(date +%s.%N)" -v b="$s" 'BEGIN { print a - b }')" \
    "$(tail -n1 "$LOGS/$(basename "$t").log")"
  grep -E 'FAIL|FAILED|: [a-z0-9 ]+:|relative error|async|busy|allocator|oom|discovery|fault|later work' \
    "$LOGS/$(basename "$t").log" | head -40
done
for f in "$LOGS"/rt_*.log; do echo "=== $(basename "$f" .log)"; cat "$f"; done >"$OUT/tests.log"

if command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ]; then
  NVCC=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
  $NVCC -O3 -std=c++17 -arch=$ARCH -Iruntime tests/bench/gpu_ops_variants.cu -o "$BUILD/gpu_ops_variants" &&
    "$BUILD/gpu_ops_variants" | tee "$OUT/variants.log"
fi
BUILD="$BUILD" bash tests/bench/gpu_ops.sh 2>&1 | tee "$OUT/bench.log"
exit $rc
