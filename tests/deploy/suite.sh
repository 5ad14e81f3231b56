#!/usr/bin/env bash
# The "deploy" suite: checks of the container image's Containerfile and the
# JupyterHub values (tests/deploy/test_deploy.py), with /usr/bin/python3's
# pytest and PyYAML. Ends with "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-/usr/bin/python3}
if ! $PYTHON -c 'import pytest, yaml' 2>/dev/null; then
  echo "skipped: python3-pytest or python3-yaml is missing"
  echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
log=$(mktemp); trap 'rm -f "$log"' EXIT
$PYTHON -m pytest -q -rs -p no:cacheprovider tests/deploy/test_deploy.py 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
summary=$(grep -E '[0-9]+ (passed|failed|skipped|errors?)' "$log" | tail -n 1)
count() { echo "$summary" | grep -oE "[0-9]+ $1" | head -n1 | cut -d' ' -f1; }
p=$(count passed); f=$(count failed); s=$(count skipped); e=$(count 'errors?')
p=${p:-0}; f=$((${f:-0} + ${e:-0})); s=${s:-0}
if [ -z "$summary" ] && [ "$rc" != 0 ]; then f=$((f + 1)); fi
echo "$p passed, $f failed, $s skipped"
[ "$f" = 0 ]
