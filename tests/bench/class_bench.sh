#!/usr/bin/env bash
# A class on one machine (tests/bench/class_bench.py): 30 C-GPU kernels and
# 30 ipykernels started together through jupyter_client, each running the
# celsius cells; resident memory, time to the last reply, and leaks after
# 30 restarts. Installs the kernel into a temporary Jupyter prefix.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d /tmp/cgpu-classbench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
make -s --no-print-directory BUILD="$BUILD" install PREFIX="$tmp" >/dev/null || exit 1
if "$tmp/bin/cgpu-kernel" --version | grep -q "no Jupyter protocol"; then
  echo "skipped: this build has no Jupyter protocol"; exit 0
fi
export JUPYTER_PATH="$tmp/share/jupyter" JUPYTER_RUNTIME_DIR="$tmp/runtime" JUPYTER_DATA_DIR="$tmp/data"
mkdir -p "$JUPYTER_RUNTIME_DIR"
$PYTHON -m ipykernel install --prefix "$tmp" --name python3 >/dev/null 2>&1 || true
exec $PYTHON tests/bench/class_bench.py "$@"
