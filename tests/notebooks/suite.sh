#!/usr/bin/env bash
# Notebook suite: installs the kernel into a temporary prefix (binary and
# kernelspec, as `make install PREFIX=...` does for users), points Jupyter
# at it, and runs the pytest files of tests/notebooks/: the shipped
# notebooks as files, executed with nbconvert and with `cgpu-kernel run`,
# and the runner's own behaviour. Ends with "N passed, N failed[, N skipped]".
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}

summary() { # passed failed skipped
  if [ "$3" -gt 0 ]; then echo "$1 passed, $2 failed, $3 skipped"; else echo "$1 passed, $2 failed"; fi
}

if ! "$PYTHON" -c 'import pytest, nbformat, nbconvert, nbclient' 2>/dev/null; then
  echo "notebook suite: $PYTHON lacks pytest/nbformat/nbconvert/nbclient (make deps installs them)"
  summary 0 1 0; exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cgpu-nbtest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# MAKEFLAGS from an enclosing `make test` (BUILD, NO_CUDA...) carry over.
if ! make --no-print-directory BUILD="$BUILD" install PREFIX="$tmp" >"$tmp/install.log" 2>&1; then
  cat "$tmp/install.log"
  echo "notebook suite: make install failed"
  summary 0 1 0; exit 1
fi

export JUPYTER_PATH="$tmp/share/jupyter"
export CGPU_KERNEL="$tmp/bin/cgpu-kernel"
export PATH="$tmp/bin:$PATH"
export BUILD PYTHON
# Keep Jupyter's runtime files (connection files) out of the user's home.
export JUPYTER_RUNTIME_DIR="$tmp/runtime"
export PYDEVD_DISABLE_FILE_VALIDATION=1

"$PYTHON" -m pytest -q -p no:cacheprovider -o console_output_style=classic \
  --basetemp="$tmp/pytest" tests/notebooks "$@" 2>&1 | tee "$tmp/pytest.log"
rc=${PIPESTATUS[0]}

# pytest's last line: "3 failed, 10 passed, 1 skipped, 2 errors in 12.34s" (any order).
last=$(grep -E '[0-9]+ (passed|failed|skipped|errors?)' "$tmp/pytest.log" | tail -n 1)
count() { echo "$last" | grep -oE "[0-9]+ $1" | grep -oE '^[0-9]+' || echo 0; }
p=$(count passed); f=$(count failed); s=$(count skipped); e=$(count 'errors?')
f=$((f + e))
if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
  echo "notebook suite: pytest exited $rc"
  f=1
fi
summary "$p" "$f" "$s"
[ "$f" = 0 ]
