#!/usr/bin/env bash
# Training-layer suite: the pytest files of tests/nn/ (the image layers'
# forward passes against numpy) through the built kernel binary. Ends with
# "N passed, N failed[, N skipped]".
set -u
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
if ! "$PYTHON" -c 'import pytest, numpy' 2>/dev/null; then
  echo "nn suite: $PYTHON lacks pytest or numpy (make deps installs them)"
  echo "0 passed, 1 failed"; exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$PYTHON" -m pytest -q -p no:cacheprovider -o console_output_style=classic tests/nn "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
last=$(grep -E '[0-9]+ (passed|failed|skipped|errors?)' "$log" | tail -n 1)
count() { echo "$last" | grep -oE "[0-9]+ $1" | grep -oE '^[0-9]+' || echo 0; }
p=$(count passed); f=$(count failed); s=$(count skipped); e=$(count 'errors?')
f=$((f + e))
if [ "$rc" != 0 ] && [ "$f" = 0 ]; then echo "nn suite: pytest exited $rc"; f=1; fi
if [ "$s" -gt 0 ]; then echo "$p passed, $f failed, $s skipped"; else echo "$p passed, $f failed"; fi
[ "$f" = 0 ]
