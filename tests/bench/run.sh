#!/usr/bin/env bash
# Runs every benchmark that can run on this machine, each beside its peer in
# the same run (numpy, CPython, ipykernel, PyTorch/CuPy where installed).
# GPU benchmarks say "skipped: no GPU" here; tests/gpu_session.sh runs them
# on a GPU node. Results are recorded by hand in tests/bench/RESULTS.md.
set -u
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build} PYTHON=${PYTHON:-/usr/bin/python3}
make --no-print-directory BUILD="$BUILD" bench-bins >/dev/null || exit 1
rc=0
for b in cpu_ops lang_bench kernel_bench load_bench class_bench plot_bench gpu_ops transfer_bench nn_bench fmnist_bench datasets_bench; do
  [ -f "tests/bench/$b.sh" ] || continue
  echo "=== bench: $b"
  bash "tests/bench/$b.sh" || { echo "bench $b: exit $?"; rc=1; }
done
exit $rc
