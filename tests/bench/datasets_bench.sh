#!/usr/bin/env bash
# Loading Fashion-MNIST: C-GPU's load_data beside numpy + gzip, same files,
# same run (tests/bench/datasets_bench.py). ROUNDS=5 by default.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$BUILD/cgpu-kernel" ] || { echo "missing $BUILD/cgpu-kernel (run: make BUILD=$BUILD)"; exit 1; }
exec nice "$PYTHON" tests/bench/datasets_bench.py --kernel "$BUILD/cgpu-kernel" --rounds "${ROUNDS:-5}"
