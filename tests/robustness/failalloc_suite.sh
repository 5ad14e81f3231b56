#!/usr/bin/env bash
# The "failalloc" suite: the language and runtime built with a malloc that
# fails the Nth allocation (make FAILALLOC=1 -> build-failalloc/, with
# AddressSanitizer), driven by build-failalloc/robustness/failalloc_run:
# for every N over each test cell's run, no crash, an error or a success,
# the state still serving (`1+1`, an earlier binding intact), no leak.
# Runs once failing only allocation N, once failing N and every later one.
# One test per (cell, mode). Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
FB=${FAILALLOC_BUILD:-build-failalloc}

log=$(mktemp)
if ! make --no-print-directory FAILALLOC=1 BUILD="$FB" NO_CUDA=1 -j"${FAILALLOC_JOBS:-2}" failalloc-bins >"$log" 2>&1; then
  tail -n 30 "$log"; rm -f "$log"
  echo "FAIL build of $FB/robustness/failalloc_run"
  echo "0 passed, 1 failed"; exit 1
fi
rm -f "$log"

p=0 f=0 points=0
for mode in "" "-p"; do
  echo "--- failing allocation N${mode:+ and every later one}"
  out=$(mktemp)
  "$FB/robustness/failalloc_run" $mode "$@" 2>"$out.err" | tee "$out"
  # sanitizer reports and per-N failures, shortened
  grep -E "^  [a-z]+ N=|SUMMARY:|^[a-z]+: " "$out.err" | sort | uniq -c | sort -rn | head -n 20 | sed 's/^/    /'
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n1)
  if [ -z "$line" ]; then echo "FAIL failalloc_run$mode crashed"; f=$((f + 1))
  else
    p=$((p + $(echo "$line" | cut -d' ' -f1)))
    f=$((f + $(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
  fi
  pts=$(grep -oE 'failure points survived: [0-9]+' "$out" | grep -oE '[0-9]+$')
  points=$((points + ${pts:-0}))
  rm -f "$out" "$out.err"
done
echo "allocation failure points tried: $points"
echo "$p passed, $f failed"
[ "$f" = 0 ]
