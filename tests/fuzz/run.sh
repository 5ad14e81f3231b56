#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer harnesses into build-fuzz (clang,
# ASan+UBSan, CPU only) and runs each for FUZZ_SECONDS (default 60).
#   FUZZ_SECONDS=3600 make fuzz          a long run
#   FUZZ_ONLY=lang make fuzz             one harness
# New corpus units are kept in build-fuzz/corpus/<name> (seeds stay in
# tests/fuzz/corpus/<name>); crashes land in build-fuzz/artifacts/<name>/.
# Prints a table row per harness in the form tests/fuzz/RESULTS.md uses.
set -u
cd "$(dirname "$0")/../.."
. tests/fuzz/lib.sh
SECS=${FUZZ_SECONDS:-60}

if ! why=$(fuzz_have_toolchain); then echo "fuzz: $why"; exit 1; fi
echo "building the harnesses into $FUZZ_BUILD ..."
fuzz_build || { echo "fuzz: build failed"; exit 1; }

names=("${FUZZ_NAMES[@]}")
[ -n "${FUZZ_ONLY:-}" ] && names=($FUZZ_ONLY)
status=0
rows=()
for n in "${names[@]}"; do
  echo "fuzzing $n for ${SECS}s ..."
  if fuzz_run "$n" "$SECS"; then res="no crash"; else res="CRASH: $FZ_CRASH"; status=1; fi
  echo "  $n: $res; ${FZ_EXECS:-?} execs, ${FZ_RATE:-?} exec/s, cov ${FZ_COV:-?}, ${FZ_NEW:-?} new units, peak RSS ${FZ_RSS:-?} MiB"
  rows+=("| $(date -u +%Y-%m-%d) | fuzz_$n | ${SECS} s | ${FZ_EXECS:-?} | ${FZ_RATE:-?} | ${FZ_COV:-?} | $res |")
done
echo
echo "| date | harness | time | execs | exec/s | coverage (edges) | result |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
