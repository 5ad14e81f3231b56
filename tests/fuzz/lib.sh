# lib.sh — shared by tests/fuzz/run.sh (`make fuzz`) and tests/fuzz/suite.sh.
# Sourced with the repository root as the current directory.
#
#   fuzz_build            builds the harnesses into $FUZZ_BUILD (clang, NO_CUDA)
#   fuzz_run NAME SECS    fuzzes one harness; sets FZ_EXECS FZ_RATE FZ_NEW FZ_RSS
#                         FZ_CRASH (artifact path or "") and returns libFuzzer's status
#   fuzz_replay NAME FILE replays one input once; returns non-zero on a crash

FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_NAMES=(frames conn lang)

fuzz_have_toolchain() {
  command -v clang >/dev/null 2>&1 || { echo "clang is not installed (apt-get install clang libclang-rt-14-dev)"; return 1; }
  echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n){return 0;}' |
    clang -x c -fsanitize=fuzzer,address,undefined - -o /dev/null 2>/dev/null ||
    { echo "clang cannot link libFuzzer (apt-get install libclang-rt-14-dev)"; return 1; }
  [ -f /usr/include/zmq.h ] && [ -f /usr/include/jansson.h ] && [ -f /usr/include/openssl/hmac.h ] ||
    { echo "the protocol harnesses need libzmq3-dev, libjansson-dev and libssl-dev"; return 1; }
}

fuzz_build() {
  local log
  log=$(mktemp)
  if ! make --no-print-directory FUZZ=1 BUILD="$FUZZ_BUILD" NO_CUDA=1 CC=clang -j"${FUZZ_JOBS:-2}" fuzz-bins >"$log" 2>&1; then
    tail -n 40 "$log"; rm -f "$log"; return 1
  fi
  rm -f "$log"
}

# Per-harness options: dictionary, per-input timeout (seconds), input size.
fuzz_opts() {
  case $1 in
    frames) echo "-dict=tests/fuzz/frames.dict -timeout=10 -max_len=8192" ;;
    conn)   echo "-timeout=10 -max_len=4096" ;;
    lang)   echo "-dict=tests/fuzz/lang.dict -timeout=30 -max_len=4096" ;;
  esac
}

fuzz_stat() { grep -aE "^stat::$1:" "$2" | tail -n1 | awk '{print $2}'; }

fuzz_run() {
  local name=$1 secs=$2 bin="$FUZZ_BUILD/fuzz/fuzz_$1"
  local work="$FUZZ_BUILD/corpus/$name" art="$FUZZ_BUILD/artifacts/$name/" log="$FUZZ_BUILD/logs/$name.log"
  mkdir -p "$work" "$art" "$(dirname "$log")"
  local before
  before=$(ls "$art" 2>/dev/null | wc -l)
  # New corpus units go to $work (kept between runs); the seeds are read only.
  "$bin" $(fuzz_opts "$name") -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=2048 \
    -artifact_prefix="$art" "$work" "tests/fuzz/corpus/$name" >"$log" 2>&1
  local rc=$?
  FZ_EXECS=$(fuzz_stat number_of_executed_units "$log")
  FZ_RATE=$(fuzz_stat average_exec_per_sec "$log")
  FZ_NEW=$(fuzz_stat new_units_added "$log")
  FZ_RSS=$(fuzz_stat peak_rss_mb "$log")
  FZ_COV=$(grep -aoE "cov: [0-9]+" "$log" | tail -n1 | awk '{print $2}')
  FZ_CRASH=""
  if [ "$rc" != 0 ]; then
    FZ_CRASH=$(ls -t "$art" 2>/dev/null | head -n1)
    [ -n "$FZ_CRASH" ] && FZ_CRASH="$art$FZ_CRASH"
    [ "$(ls "$art" | wc -l)" -gt "$before" ] || FZ_CRASH="(no artifact; see $log)"
  fi
  return $rc
}

fuzz_replay() {
  local name=$1 file=$2 log
  log=$(mktemp)
  "$FUZZ_BUILD/fuzz/fuzz_$name" $(fuzz_opts "$name") -runs=1 "$file" >"$log" 2>&1
  local rc=$?
  if [ "$rc" != 0 ]; then grep -aE "^fuzz_[a-z]+:|Assertion|ERROR:|runtime error|#[0-9]+ 0x.* in [a-z_]+ /work" "$log" | head -n 8; fi
  rm -f "$log"
  return $rc
}
