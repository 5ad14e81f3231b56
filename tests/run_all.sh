#!/usr/bin/env bash
# Runs every test suite and prints one total line "N passed, N failed[, N skipped]".
# Each suite is a script that ends its output with its own summary line in
# that form; this script adds them up. A suite that exits non-zero without a
# summary line counts as one failure.
#
# CGPU_QUICK=1 runs only the suites that need no Jupyter, no browser and no
# long fuzzing (the developer loop, `make check`).
#
# CGPU_EXPECT_GPUS=N on a GPU machine: every suite then fails, rather than
# skips, when fewer than N GPUs are discovered (unit tests' "no GPU" skips,
# the language files' [gpu] cases, the notebooks' GPU count).
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build} PYTHON=${PYTHON:-/usr/bin/python3}

# ORDER: cheap and fundamental first.
SUITES=(
  "unit        tests/unit/suite.sh"
  "language    tests/lang/suite.sh"
  "langdiff    tests/diff/lang_suite.sh"
  "nn          tests/nn/suite.sh"
  "arraydiff   tests/diff/array_suite.sh"
  "datasets    tests/datasets/suite.sh"
  "layers      tests/layers/suite.sh"
  "protocol    tests/protocol/suite.sh"
  "notebooks   tests/notebooks/suite.sh"
  "sanitizers  tests/robustness/sanitize_suite.sh"
  "failalloc   tests/robustness/failalloc_suite.sh"
  "faults      tests/robustness/faults_suite.sh"
  "deploy      tests/deploy/suite.sh"
  "fuzz        tests/fuzz/suite.sh"
  "jupyterlab  tests/e2e/suite.sh"
)
QUICK_SUITES=" unit language datasets layers nn "

total_p=0 total_f=0 total_s=0
for entry in "${SUITES[@]}"; do
  name=${entry%% *}; script=${entry##* }
  if [ "${CGPU_QUICK:-0}" = 1 ] && [[ "$QUICK_SUITES" != *" $name "* ]]; then continue; fi
  echo "=== suite: $name ($script)"
  if [ ! -f "$script" ]; then
    echo "suite $name: $script is missing"; total_f=$((total_f + 1)); continue
  fi
  log=$(mktemp)
  bash "$script" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -n 1)
  rm -f "$log"
  if [ -z "$line" ]; then
    echo "suite $name: exited $rc without a summary line"; total_f=$((total_f + 1)); continue
  fi
  p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
  f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
  s=$(echo "$line" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+' || echo 0)
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; echo "suite $name: exited $rc"; fi
  total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + ${s:-0}))
done
echo
if [ "$total_s" -gt 0 ]; then echo "$total_p passed, $total_f failed, $total_s skipped"
else echo "$total_p passed, $total_f failed"; fi
[ "$total_f" = 0 ]
