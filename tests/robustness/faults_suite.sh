#!/usr/bin/env bash
# The "faults" suite: installs the kernel into a temporary prefix
# (make install PREFIX=...), points JUPYTER_PATH there and runs
# tests/robustness/test_faults.py (pytest + jupyter_client): clients killed
# mid-cell, a vanished iopub subscriber, a 10 000-request flood, a 64 MiB
# message, a 4 TiB allocation, deep recursion, 100 interrupts, SIGINT during
# fit, SIGTERM; and the security checks (signatures, replays, key never
# printed, bind address, ipc file modes, signature schemes, empty key).
# Ends with "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}

tmp=$(mktemp -d /tmp/cgpu-faults-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

if ! $PYTHON -c 'import jupyter_client, zmq, pytest' 2>/dev/null; then
  echo "skipped: python3-jupyter-client, python3-zmq or python3-pytest is missing"
  echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
if ! make -s --no-print-directory BUILD="$BUILD" install PREFIX="$tmp" >"$tmp/install.log" 2>&1; then
  tail -n 30 "$tmp/install.log"
  echo "faults: could not build/install the kernel"
  echo "0 passed, 1 failed"; exit 1
fi
if ! "$tmp/bin/cgpu-kernel" --version | grep -q "Jupyter protocol"; then
  echo "skipped: this build has no Jupyter protocol (no ZeroMQ/jansson/OpenSSL)"
  echo "0 passed, 0 failed, 1 skipped"; exit 0
fi

export JUPYTER_PATH="$tmp/share/jupyter"
export JUPYTER_CONFIG_DIR="$tmp/config" JUPYTER_RUNTIME_DIR="$tmp/runtime" JUPYTER_DATA_DIR="$tmp/data"
export IPYTHONDIR="$tmp/ipython"
mkdir -p "$JUPYTER_RUNTIME_DIR"

$PYTHON -m pytest -q -p no:cacheprovider -rfEs "$@" tests/robustness/test_faults.py 2>&1 | tee "$tmp/pytest.log"
rc=${PIPESTATUS[0]}

summary=$(grep -E '[0-9]+ (passed|failed|skipped|errors?)' "$tmp/pytest.log" | tail -n 1)
count() { echo "$summary" | grep -oE "[0-9]+ $1" | head -n1 | cut -d' ' -f1; }
p=$(count passed); f=$(count failed); s=$(count skipped); e=$(count 'errors?')
p=${p:-0}; f=$((${f:-0} + ${e:-0})); s=${s:-0}
if [ -z "$summary" ] && [ "$rc" != 0 ]; then f=$((f + 1)); fi
echo "$p passed, $f failed, $s skipped"
[ "$f" = 0 ]
