#!/usr/bin/env bash
# Layering of kernel/lang: tests/layers/check.py over the sources and the
# built objects (nm). Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
exec "$PYTHON" tests/layers/check.py "$BUILD"
