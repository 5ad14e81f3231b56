#!/usr/bin/env bash
# Everything that needs a GPU, in one batch, for a GPU node with no Jupyter,
# no ZeroMQ and maybe no jansson (pass JANSSON_DIR to a copy of Debian's
# libjansson: include/ and lib/):
#   1. build the kernel binary (CPU + CUDA, no Jupyter protocol) and the
#      runtime/language unit tests for sm_90;
#   2. run the unit suite and the language test files;
#   3. execute every notebook with `cgpu-kernel run` (no Jupyter);
#   4. the GPU benchmarks (runtime ops, training, strategy, CNNs) beside PyTorch/CuPy,
#      and the element-wise launch-shape variants (gpu_ops_variants.cu).
#
#   tests/gpu_session.sh OUTDIR [build|tests|notebooks|bench ...]   (default: all)
#
# Writes OUTDIR/summary.txt, OUTDIR/logs.tar.gz (every log) and
# OUTDIR/notebooks.tar.gz (the executed notebooks).
set -u
cd "$(dirname "$0")/.."
OUTDIR=${1:?usage: tests/gpu_session.sh OUTDIR [steps...]}
shift
STEPS=${*:-build tests notebooks bench}
export BUILD=${BUILD:-build-gpu} PYTHON=${PYTHON:-python3}
LOG="$BUILD/session"
mkdir -p "$OUTDIR" "$LOG/notebooks"
SUMMARY="$OUTDIR/summary.txt"
say() { echo "$*" | tee -a "$SUMMARY"; }
has() { [[ " $STEPS " == *" $1 "* ]]; }

say "== C-GPU GPU session $(date -u '+%Y-%m-%d %H:%M UTC') on $(hostname)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee -a "$SUMMARY"
# The suites must find the GPUs this node has: CGPU_EXPECT_GPUS (default:
# what nvidia-smi lists) turns a "no GPU" skip into a failure.
export CGPU_EXPECT_GPUS=${CGPU_EXPECT_GPUS:-$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ')}
say "expecting $CGPU_EXPECT_GPUS GPU(s)"
failed=0

if has build; then
  t0=$(date +%s)
  make BUILD="$BUILD" CUDA_ARCH_FLAGS=-arch=sm_90 ${JANSSON_DIR:+JANSSON_DIR=$JANSSON_DIR} \
       -j"$(nproc)" all unit-tests bench-bins > "$LOG/build.log" 2>&1
  rc=$?
  say "build: exit $rc in $(( $(date +%s) - t0 )) s"
  grep -E '^\[features\]' "$LOG/build.log" | tee -a "$SUMMARY"
  grep -E 'error' "$LOG/build.log" | head -20 | tee -a "$SUMMARY"
fi

if has tests; then
  for suite in unit lang; do
    timeout 900 bash "tests/$suite/suite.sh" > "$LOG/$suite.log" 2>&1
    rc=$?
    [ $rc = 0 ] || failed=1
    say "suite $suite: exit $rc — $(tail -n 1 "$LOG/$suite.log")"
    grep -E 'FAIL|crashed|NOT BUILT' "$LOG/$suite.log" | head -30 | tee -a "$SUMMARY"
  done
  # the CNN tests again on the im2col + cuBLAS path (cuDNN off)
  CGPU_NO_CUDNN=1 timeout 600 "$BUILD/tests/rt_nn_conv_gpu" > "$LOG/conv_gpu_no_cudnn.log" 2>&1
  rc=$?
  [ $rc = 0 ] || failed=1
  say "rt_nn_conv_gpu without cuDNN: exit $rc — $(tail -n 1 "$LOG/conv_gpu_no_cudnn.log")"
fi

if has notebooks; then
  for nb in notebooks/*.ipynb; do
    name=$(basename "$nb" .ipynb)
    s=$(date +%s.%N)
    timeout 600 "$BUILD/cgpu-kernel" run "$nb" -o "$LOG/notebooks/$name.executed.ipynb" > "$LOG/notebooks/$name.log" 2>&1
    rc=$?
    [ $rc = 0 ] || failed=1
    say "notebook $name: exit $rc in $(awk -v a="$(date +%s.%N)" -v b="$s" 'BEGIN{printf "%.2f", a-b}') s"
    [ $rc = 0 ] || tail -n 20 "$LOG/notebooks/$name.log" | tee -a "$SUMMARY"
    grep -E 'Num GPUs|Finished|\[\[21|Number of devices|MirroredStrategy|replicas' "$LOG/notebooks/$name.log" | head -8 | tee -a "$SUMMARY"
  done
fi

if has bench; then
  timeout 400 bash tests/bench/gpu_ops.sh > "$LOG/bench_gpu_ops.log" 2>&1
  say "bench gpu_ops: exit $?"; tail -n 14 "$LOG/bench_gpu_ops.log" | tee -a "$SUMMARY"
  timeout 300 bash tests/bench/transfer_bench.sh > "$LOG/bench_transfer.log" 2>&1
  say "bench transfer: exit $?"; tail -n 8 "$LOG/bench_transfer.log" | tee -a "$SUMMARY"
  timeout 400 bash tests/bench/nn_bench.sh > "$LOG/bench_nn.log" 2>&1
  say "bench nn: exit $?"; tail -n 24 "$LOG/bench_nn.log" | tee -a "$SUMMARY"
  timeout 900 bash tests/bench/cnn_gpu.sh > "$LOG/bench_cnn.log" 2>&1
  say "bench cnn: exit $?"; tail -n 8 "$LOG/bench_cnn.log" | tee -a "$SUMMARY"
  # launch-shape variants of the element-wise kernels (a standalone CUDA program)
  nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
  { "$nvcc" -O3 -std=c++17 -arch=sm_90 -Iruntime tests/bench/gpu_ops_variants.cu -o "$BUILD/bench/gpu_ops_variants" &&
    timeout 300 "$BUILD/bench/gpu_ops_variants"; } > "$LOG/bench_variants.log" 2>&1
  say "bench variants: exit $?"
fi

tar -czf "$OUTDIR/logs.tar.gz" -C "$LOG" --exclude=notebooks . 2>/dev/null
tar -czf "$OUTDIR/notebooks.tar.gz" -C "$LOG" notebooks 2>/dev/null
say "== done $(date -u '+%H:%M:%S UTC')"
[ "$failed" = 0 ] || say "FAILED: a suite or notebook above failed"
exit "$failed"
