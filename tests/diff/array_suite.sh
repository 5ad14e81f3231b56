#!/usr/bin/env bash
# Differential tests of arrays against numpy (tests/diff/gen_array.py):
# random array programs run in C-GPU and in numpy, divergences printed as
# one-cell repros, ending with "N passed, N failed, N skipped".
#   default (make test): fixed seeds, a bounded count (~15 s here);
#   CGPU_DIFF_LONG=1 (make fuzz): 20 times as many cases at seeds taken from
#   the clock (or CGPU_DIFF_SEED), printed so a failure can be replayed.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
BIN="$BUILD/cgpu-kernel"
if [ ! -x "$BIN" ]; then
  echo "array diff suite: $BIN is missing (run make first)"
  echo "0 passed, 1 failed"
  exit 1
fi
if ! "$PYTHON" -c 'import numpy' 2>/dev/null; then
  echo "array diff suite: skipped: $PYTHON has no numpy (apt-get install python3-numpy)"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi
if [ "${CGPU_DIFF_LONG:-0}" = 1 ]; then
  seeds="${CGPU_DIFF_SEED:-$(date +%s)}"
  count=12000
else
  seeds="1 2"
  count=300
fi
tp=0 tf=0 ts=0 rc=0
for seed in $seeds; do
  echo "--- seed $seed, $count cases"
  out=$("$PYTHON" tests/diff/gen_array.py --cgpu "$BIN" --seed "$seed" --count "$count") || rc=1
  echo "$out"
  line=$(echo "$out" | tail -n 1)
  if ! echo "$line" | grep -qE '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$'; then
    echo "array diff suite: seed $seed ended without a summary"; tf=$((tf + 1)); rc=1; continue
  fi
  tp=$((tp + $(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')))
  tf=$((tf + $(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
  ts=$((ts + $(echo "$line" | sed -E 's/.* ([0-9]+) skipped.*/\1/')))
done
echo "$tp passed, $tf failed, $ts skipped"
exit $rc
