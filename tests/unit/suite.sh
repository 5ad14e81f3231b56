#!/usr/bin/env bash
# Runs every C unit-test binary under $BUILD/tests and sums their summary lines.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
p=0 f=0 s=0
for t in "$BUILD"/tests/*; do
  [ -x "$t" ] && [ -f "$t" ] || continue
  echo "--- $(basename "$t")"
  out=$("$t" 2>&1); rc=$?
  echo "$out" | grep -vE '^[0-9]+ passed, [0-9]+ failed' 
  line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n1)
  echo "    $line"
  if [ -z "$line" ]; then f=$((f+1)); echo "    (crashed or no summary, exit $rc)"; continue; fi
  p=$((p + $(echo "$line" | cut -d' ' -f1)))
  f=$((f + $(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
  sk=$(echo "$line" | grep -oE "[0-9]+ skipped" | cut -d" " -f1); s=$((s + ${sk:-0}))
  [ "$rc" = 0 ] || [ "$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')" != 0 ] || f=$((f+1))
done
echo "$p passed, $f failed, $s skipped"
