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
. "$(dirname "${BASH_SOURCE[0]}")/../pytest_summary.sh"
pytest_summary "$log" "$rc"
