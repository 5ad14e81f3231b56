#!/usr/bin/env bash
# Language test files: runs every tests/lang/*.cgt through the kernel
# binary's test runner, which ends with "N passed, N failed[, N skipped]".
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN="$BUILD/cgpu-kernel"
if [ ! -x "$BIN" ]; then
  echo "language suite: $BIN is missing (run make first)"
  echo "0 passed, 1 failed"
  exit 1
fi
# The files run in a scratch folder (tests/lang/files.cgt writes relative
# paths), removed afterwards.
root=$(pwd)
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch" && "$BIN" test "$root"/tests/lang/*.cgt
