#!/usr/bin/env bash
# Load benchmark (tests/bench/load_bench.py): 10 000 sequential execute
# requests and 8 concurrent clients, C-GPU beside ipykernel in one run.
#   LOAD_N=10000 LOAD_CLIENTS=8 LOAD_RECORD=1 bash tests/bench/load_bench.sh
# LOAD_RECORD=1 appends a "## Load" section to tests/bench/RESULTS.md.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$BUILD/cgpu-kernel" ] || make --no-print-directory BUILD="$BUILD" all >/dev/null || exit 1
if ! "$BUILD/cgpu-kernel" --version | grep -q "Jupyter protocol"; then
  echo "skipped: $BUILD/cgpu-kernel has no Jupyter protocol"; exit 0
fi
args=(--kernel "$BUILD/cgpu-kernel" -n "${LOAD_N:-10000}" -c "${LOAD_CLIENTS:-8}")
[ "${LOAD_RECORD:-0}" = 1 ] && args+=(--record tests/bench/RESULTS.md)
exec "$PYTHON" tests/bench/load_bench.py "${args[@]}"
