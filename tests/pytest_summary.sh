# pytest_summary LOG RC — sourced by the suites that run pytest: turns the
# pytest output in LOG (and its exit status RC) into the suites' closing
# line "N passed, N failed, N skipped" (errors count as failures; a run
# that failed without a pytest summary counts as one failure) and returns
# non-zero when anything failed.
pytest_summary() {
  local log=$1 rc=$2 summary p f s e
  summary=$(grep -E '[0-9]+ (passed|failed|skipped|errors?)' "$log" | tail -n 1)
  count() { echo "$summary" | grep -oE "[0-9]+ $1" | head -n1 | cut -d' ' -f1; }
  p=$(count passed); f=$(count failed); s=$(count skipped); e=$(count 'errors?')
  p=${p:-0}; f=$((${f:-0} + ${e:-0})); s=${s:-0}
  if [ -z "$summary" ] && [ "$rc" != 0 ]; then f=$((f + 1)); fi
  echo "$p passed, $f failed, $s skipped"
  [ "$f" = 0 ]
}
