#!/usr/bin/env bash
# One GPU session for the training code: build the runtime with CUDA (no
# ZeroMQ/jansson needed), run the rt_nn_* unit tests, then the training
# benchmarks next to PyTorch. Logs go to $OUT (or build-gpu/session/).
#
#   tests/bench/nn_gpu_session.sh [tests|bench|all]     (default all)
#
# When the CUDA toolkit has no nccl.h but a pip NCCL is installed (as on
# machines whose PyTorch brings its own), that NCCL is linked in.
set -u
cd "$(dirname "$0")/../.."
WHAT=${1:-all}
BUILD=${BUILD:-build-gpu}
OUTDIR=${OUT:-$BUILD/session}
mkdir -p "$OUTDIR"
JOBS=$(nproc 2>/dev/null || echo 4)
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')  host: $(hostname)"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "nvidia-smi: n/a"
  nvcc --version 2>/dev/null | tail -1
} | tee "$OUTDIR/machine.txt"

if [ ! -e "$CUDA_HOME/include/nccl.h" ] && [ ! -e /usr/include/nccl.h ]; then
  h=$(find / -name nccl.h -path '*nccl*' -not -path '/proc/*' 2>/dev/null | head -1)
  if [ -n "$h" ]; then
    d=$(dirname "$(dirname "$h")")
    echo "using NCCL from $d"
    ln -sf "$d"/include/nccl*.h "$CUDA_HOME/include/" 2>/dev/null
    for l in "$d"/lib/libnccl.so*; do ln -sf "$l" "$CUDA_HOME/lib64/"; done
    [ -e "$CUDA_HOME/lib64/libnccl.so" ] || ln -sf "$(ls "$d"/lib/libnccl.so* | head -1)" "$CUDA_HOME/lib64/libnccl.so"
  fi
fi

TESTS="rt_nn_fit rt_nn_grad rt_nn_strategy rt_nn_gpu rt_nn_gpu_virtual"
t0=$(date +%s)
if [ -n "${PREBUILT:-}" ]; then
  # a libcgpurt.a built elsewhere (same CUDA major version): link only
  mkdir -p "$BUILD/tests"
  cp "$PREBUILT" "$BUILD/libcgpurt.a"
  libs="-L$CUDA_HOME/lib64 -Wl,-rpath,$CUDA_HOME/lib64 -lcudart -lcublas -lstdc++"
  nm "$BUILD/libcgpurt.a" 2>/dev/null | grep -q ncclAllReduce && libs="$libs -lnccl"
  rc=0
  for t in $TESTS; do
    gcc -std=gnu11 -O2 -D_GNU_SOURCE -Iruntime "tests/unit/$t.c" "$BUILD/libcgpurt.a" $libs -lm -lpthread \
      -o "$BUILD/tests/$t" >> "$OUTDIR/build.log" 2>&1 || rc=1
  done
else
  make BUILD="$BUILD" -j"$JOBS" "$BUILD/libcgpurt.a" $(for t in $TESTS; do echo "$BUILD/tests/$t"; done) \
    > "$OUTDIR/build.log" 2>&1
  rc=$?
fi
echo "build: rc=$rc in $(( $(date +%s) - t0 ))s"; grep -E "^\[features\]|error" "$OUTDIR/build.log" | head -20
[ $rc = 0 ] || { tail -30 "$OUTDIR/build.log"; exit 1; }

if [ "$WHAT" = all ] || [ "$WHAT" = tests ]; then
  for t in $TESTS; do
    echo "--- $t"
    TEST_VERBOSE=1 timeout 300 "$BUILD/tests/$t" > "$OUTDIR/$t.log" 2>&1
    echo "exit $?"; grep -E "FAIL|skipped|passed|celsius|mlp|MirroredStrategy" "$OUTDIR/$t.log" | head -40
  done 2>&1 | tee "$OUTDIR/tests.txt"
fi

if [ "$WHAT" = all ] || [ "$WHAT" = bench ]; then
  BUILD="$BUILD" PYTHON=${PYTHON:-python3} timeout 400 bash tests/bench/nn_bench.sh > "$OUTDIR/bench.txt" 2>&1
  echo "bench exit $?"
  cat "$OUTDIR/bench.txt"
fi
