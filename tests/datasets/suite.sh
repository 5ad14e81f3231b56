#!/usr/bin/env bash
# Data sets: load_data on small files in the real formats (made by
# make_fixtures.py with numpy, gzip, zipfile, tarfile), their corrupt and
# truncated variants, the search order, the real Fashion-MNIST from Debian
# (skipped, visibly, when the package is absent), and downloads from a local
# HTTP server on 127.0.0.1 (CGPU_DATASETS_URL). HOME is a temporary folder,
# so the user's ~/.keras is never touched, and every run points
# CGPU_DATASETS_URL at this machine: nothing reaches outside it.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
BIN="$BUILD/cgpu-kernel"
here="$(pwd)/tests/datasets"
if [ ! -x "$BIN" ]; then echo "datasets suite: $BIN is missing (run make first)"; echo "0 passed, 1 failed"; exit 1; fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

scratch=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$scratch"; }
trap cleanup EXIT
"$PYTHON" "$here/make_fixtures.py" "$scratch/fx" || { echo "datasets suite: fixtures failed"; echo "0 passed, 1 failed"; exit 1; }
"$PYTHON" "$here/serve.py" "$scratch/fx/mirror" "$scratch/port" & server=$!
for _ in $(seq 50); do [ -s "$scratch/port" ] && break; sleep 0.1; done
port=$(cat "$scratch/port" 2>/dev/null)
echo "http://127.0.0.1:$port/" > "$scratch/fx/mirror_url.txt"
# A port nothing listens on: "no network" without leaving the machine.
closed="http://127.0.0.1:9/"

p=0 f=0 s=0
tally() { # adds a runner's summary line
  local line=$1
  p=$((p + $(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')))
  f=$((f + $(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
  local sk; sk=$(echo "$line" | grep -oE '[0-9]+ skipped' | cut -d' ' -f1); s=$((s + ${sk:-0}))
}
# run NAME FILE.cgt VAR=VALUE...: the runner in the scratch folder with a fresh HOME
run() {
  local name=$1 file=$2; shift 2
  local home="$scratch/home-$name"; mkdir -p "$home"
  echo "--- $name"
  local out
  out=$(cd "$scratch/fx" && env -u CGPU_DATASETS -u KERAS_HOME HOME="$home" CGPU_DATASETS_URL="$closed" "$@" \
        "$BIN" test "$here/$file" 2>&1)
  local line; line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n1)
  echo "$out" | grep -vE '^[0-9]+ passed, [0-9]+ failed'
  echo "    ${line:-no summary}"
  if [ -z "$line" ]; then f=$((f + 1)); else tally "$line"; fi
}
check() { # check NAME CONDITION-COMMAND...: one shell-level case
  local name=$1; shift
  if "$@"; then p=$((p + 1)); else f=$((f + 1)); echo "  FAIL $name"; fi
}

# What this build reads and fetches (cgpu-kernel --version's "data sets:" line).
features=$("$BIN" --version | grep '^data sets:')
has() { [[ "$features" != *"no $1"* ]]; }
skip() { echo "--- $1"; echo "  skipped: $2"; s=$((s + 1)); }

if has gzip && has "zip or tar"; then run local local.cgt CGPU_DATASETS="$scratch/fx/datasets"
else skip local "this build reads no gzip or no archives ($features)"; fi
if has downloads; then run notfound notfound.cgt
else skip notfound "this build has no downloads ($features)"; fi
if ! has downloads || ! has "zip or tar"; then
  skip download "this build has no downloads or no archives ($features)"
elif [ -n "$port" ]; then
  run download download.cgt CGPU_DATASETS_URL="http://127.0.0.1:$port/"
  cache="$scratch/home-download/.keras/datasets"
  check "no partial file is left in the cache" test -z "$(find "$cache" -name '*.part*')"
  check "no file of a failed download is in the cache" test ! -e "$cache/other.txt" -a ! -e "$cache/missing.txt"
else
  echo "  FAIL: the local HTTP server did not start"; f=$((f + 1))
fi
if ! has gzip; then
  skip debian "this build reads no gzip ($features)"
elif [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  run debian debian.cgt
else
  echo "--- debian"
  echo "  skipped: Debian's dataset-fashion-mnist is not installed (apt install dataset-fashion-mnist)"
  s=$((s + 1))
fi
echo "$p passed, $f failed, $s skipped"
[ "$f" = 0 ]
