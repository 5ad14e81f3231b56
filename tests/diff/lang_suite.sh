#!/usr/bin/env bash
# Language differential suite: random programs in the common subset run in
# C-GPU and in CPython (tests/diff/lang_diff.py), fixed seed and count so a
# run is repeatable (LANG_DIFF_SEED, LANG_DIFF_COUNT override them).
# `make fuzz` runs it longer at new seeds. Ends with "N passed, N failed, N skipped"
# (programs).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
exec "$PYTHON" tests/diff/lang_diff.py --bin "$BUILD/cgpu-kernel" \
  --seed "${LANG_DIFF_SEED:-1}" --count "${LANG_DIFF_COUNT:-2000}"
