#!/usr/bin/env bash
# Runs pytest files that drive the installed kernel with jupyter_client:
# installs the kernel into a temporary Jupyter prefix (make install
# PREFIX=...), points JUPYTER_PATH and Jupyter's other dirs there, runs
# pytest with /usr/bin/python3 and ends with one line
# "N passed, N failed, N skipped". Everything the tests write (TMPDIR
# included) stays in one temporary folder, removed at the end. Used by tests/protocol/suite.sh and
# tests/robustness/faults_suite.sh.
#
#   tests/jupyter_pytest.sh LABEL PYTEST_ARGS...
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
label=${1:?usage: tests/jupyter_pytest.sh LABEL PYTEST_ARGS...}
shift

tmp=$(mktemp -d "/tmp/cgpu-$label-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if ! $PYTHON -c 'import jupyter_client, zmq, pytest' 2>/dev/null; then
  echo "skipped: python3-jupyter-client, python3-zmq or python3-pytest is missing"
  echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
if ! make -s --no-print-directory BUILD="$BUILD" install PREFIX="$tmp" >"$tmp/install.log" 2>&1; then
  tail -n 30 "$tmp/install.log"
  echo "$label: could not build/install the kernel"
  echo "0 passed, 1 failed"; exit 1
fi
if "$tmp/bin/cgpu-kernel" --version | grep -q "no Jupyter protocol"; then
  echo "skipped: this build has no Jupyter protocol (no ZeroMQ/jansson/OpenSSL)"
  echo "0 passed, 0 failed, 1 skipped"; exit 0
fi

export JUPYTER_PATH="$tmp/share/jupyter"
export JUPYTER_CONFIG_DIR="$tmp/config" JUPYTER_RUNTIME_DIR="$tmp/runtime" JUPYTER_DATA_DIR="$tmp/data"
export IPYTHONDIR="$tmp/ipython"
# Connection files, ipc sockets, kernel logs: all under $tmp, removed on exit.
export TMPDIR="$tmp/tmp"
mkdir -p "$JUPYTER_RUNTIME_DIR" "$TMPDIR"

$PYTHON -m pytest -q -p no:cacheprovider "$@" 2>&1 | tee "$tmp/pytest.log"
rc=${PIPESTATUS[0]}

summary=$(grep -E '[0-9]+ (passed|failed|skipped|errors?)' "$tmp/pytest.log" | tail -n 1)
count() { echo "$summary" | grep -oE "[0-9]+ $1" | head -n1 | cut -d' ' -f1; }
p=$(count passed); f=$(count failed); s=$(count skipped); e=$(count 'errors?')
p=${p:-0}; f=$((${f:-0} + ${e:-0})); s=${s:-0}
if [ -z "$summary" ] && [ "$rc" != 0 ]; then f=$((f + 1)); fi
echo "$p passed, $f failed, $s skipped"
[ "$f" = 0 ]
