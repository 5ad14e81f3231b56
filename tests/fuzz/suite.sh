#!/usr/bin/env bash
# The "fuzz" suite of tests/run_all.sh: every harness fuzzes for
# FUZZ_SUITE_SECONDS (default 30) — one test each, passing when libFuzzer
# finds no crash, leak or timeout — then every input kept in
# tests/fuzz/regressions/<harness>/ is replayed once (one test each: inputs
# that once crashed must not crash again). Ends with "N passed, N failed[, N skipped]".
set -u
cd "$(dirname "$0")/../.."
. tests/fuzz/lib.sh
SECS=${FUZZ_SUITE_SECONDS:-30}
p=0 f=0 s=0

if ! why=$(fuzz_have_toolchain); then
  echo "skipped: $why"
  echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
if ! fuzz_build; then
  echo "FAIL build of the harnesses"
  echo "0 passed, 1 failed"; exit 1
fi

for n in "${FUZZ_NAMES[@]}"; do
  if fuzz_run "$n" "$SECS"; then
    echo "ok   fuzz_$n ${SECS}s: ${FZ_EXECS:-?} execs (${FZ_RATE:-?}/s), cov ${FZ_COV:-?}, no crash"
    p=$((p + 1))
  else
    echo "FAIL fuzz_$n: crash after ${FZ_EXECS:-?} execs: $FZ_CRASH"
    echo "     log: $FUZZ_BUILD/logs/$n.log"
    grep -aE "ERROR|SUMMARY|runtime error" "$FUZZ_BUILD/logs/$n.log" | head -n 5 | sed 's/^/     /'
    f=$((f + 1))
  fi
done

for n in "${FUZZ_NAMES[@]}"; do
  for file in tests/fuzz/regressions/"$n"/*; do
    [ -f "$file" ] || continue
    if fuzz_replay "$n" "$file"; then echo "ok   replay $file"; p=$((p + 1))
    else echo "FAIL replay $file"; f=$((f + 1)); fi
  done
done

if [ "$s" -gt 0 ]; then echo "$p passed, $f failed, $s skipped"; else echo "$p passed, $f failed"; fi
[ "$f" = 0 ]
