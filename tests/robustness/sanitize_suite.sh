#!/usr/bin/env bash
# The "sanitizers" suite.
#  1. ASan+UBSan build of the kernel and every unit test
#     (make SANITIZE=1 BUILD=build-asan all unit-tests); each unit binary and
#     each tests/lang/*.cgt file (through build-asan/cgpu-kernel test) is one
#     test, passing when AddressSanitizer, LeakSanitizer and UBSan report
#     nothing and no signal killed it. Functional failures are the unit and
#     language suites' business; they are shown here but not counted.
#  2. valgrind on the normal kernel binary ($BUILD/cgpu-kernel, no
#     sanitizer) running notebooks/celsius.ipynb and
#     notebooks/language_tour.ipynb headless (`cgpu-kernel run NB -o OUT`):
#     0 errors and 0 bytes definitely lost.
# Ends with "N passed, N failed[, N skipped]".
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
AB=${ASAN_BUILD:-build-asan}
p=0 f=0 s=0
pass() { echo "ok   $1"; p=$((p + 1)); }
fail() { echo "FAIL $1"; f=$((f + 1)); }
skip() { echo "skip $1"; s=$((s + 1)); }
tmp=$(mktemp -d /tmp/cgpu-sanitize-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87
export LSAN_OPTIONS=exitcode=86

# Runs "$@" with output to $tmp/log; 0 when no sanitizer spoke and no signal.
clean_run() {
  "$@" >"$tmp/log" 2>&1
  local rc=$?
  RUN_RC=$rc
  if [ "$rc" = 86 ] || [ "$rc" = 87 ] || [ "$rc" -gt 128 ] ||
     grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer" "$tmp/log"; then
    grep -E "ERROR: |runtime error:|SUMMARY:|^    #[0-9]+ 0x[0-9a-f]+ in [a-z_]" "$tmp/log" | head -n 16 | sed 's/^/     /'
    [ "$rc" -gt 128 ] && [ "$rc" != 86 ] && [ "$rc" != 87 ] && echo "     killed by signal $((rc - 128))"
    return 1
  fi
  return 0
}

# ---- 1. ASan + UBSan ----------------------------------------------------------------
echo "--- building $AB (make SANITIZE=1 all unit-tests)"
if ! make --no-print-directory SANITIZE=1 BUILD="$AB" -j"${SAN_JOBS:-2}" all unit-tests >"$tmp/build.log" 2>&1; then
  tail -n 30 "$tmp/build.log"
  fail "build $AB"
else
  for t in "$AB"/tests/*; do
    [ -x "$t" ] && [ -f "$t" ] || continue
    name=$(basename "$t")
    if clean_run "$t"; then
      summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$tmp/log" | tail -n1)
      pass "asan unit $name (${summary:-no summary, exit $RUN_RC})"
    else
      fail "asan unit $name"
    fi
  done
  # in a scratch folder, as tests/lang/suite.sh runs them (files.cgt writes files)
  langdir=$(mktemp -d -p "$tmp")
  for cgt in tests/lang/*.cgt; do
    if clean_run env -C "$langdir" "$PWD/$AB/cgpu-kernel" test "$PWD/$cgt"; then
      summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$tmp/log" | tail -n1)
      pass "asan lang $(basename "$cgt") (${summary:-exit $RUN_RC})"
    else
      fail "asan lang $(basename "$cgt")"
    fi
  done
  # the headless runner too (a notebook is a different path through the code)
  for nb in notebooks/celsius.ipynb notebooks/language_tour.ipynb; do
    [ -f "$nb" ] || continue
    if clean_run "$AB/cgpu-kernel" run "$nb" -o "$tmp/out.ipynb"; then pass "asan run $nb"
    else fail "asan run $nb"; fi
  done
fi

# ---- 2. valgrind ------------------------------------------------------------------------
if ! command -v valgrind >/dev/null 2>&1; then
  skip "valgrind: not installed (apt-get install valgrind)"
else
  if [ ! -x "$BUILD/cgpu-kernel" ]; then
    make --no-print-directory BUILD="$BUILD" -j2 all >"$tmp/build2.log" 2>&1 || { tail -n 20 "$tmp/build2.log"; }
  fi
  for nb in notebooks/celsius.ipynb notebooks/language_tour.ipynb; do
    if [ ! -f "$nb" ]; then skip "valgrind $nb: the notebook is not in the repository"; continue; fi
    if [ ! -x "$BUILD/cgpu-kernel" ]; then fail "valgrind $nb: $BUILD/cgpu-kernel did not build"; continue; fi
    valgrind --suppressions=tests/robustness/valgrind.supp --error-exitcode=99 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
      --track-origins=yes --num-callers=30 \
      "$BUILD/cgpu-kernel" run "$nb" -o "$tmp/vg.ipynb" >"$tmp/vg.out" 2>"$tmp/vg.log"
    rc=$?
    errs=$(grep -oE "ERROR SUMMARY: [0-9]+ errors" "$tmp/vg.log" | tail -n1 | grep -oE "[0-9]+")
    lost=$(grep -oE "definitely lost: [0-9,]+ bytes" "$tmp/vg.log" | tail -n1 | grep -oE "[0-9,]+" | tr -d ,)
    if [ "$rc" = 0 ] && [ "${errs:-1}" = 0 ] && [ "${lost:-0}" = 0 ]; then
      pass "valgrind $nb (0 errors, 0 bytes definitely lost)"
    else
      fail "valgrind $nb (exit $rc, ${errs:-?} errors, ${lost:-0} bytes definitely lost)"
      grep -E "^==[0-9]+== (Invalid|Conditional|Use of|Syscall|Mismatched|[0-9,]+ bytes in)|^==[0-9]+==    (at|by) 0x" "$tmp/vg.log" |
        head -n 30 | sed 's/^/     /'
    fi
  done
fi

if [ "$s" -gt 0 ]; then echo "$p passed, $f failed, $s skipped"; else echo "$p passed, $f failed"; fi
[ "$f" = 0 ]
