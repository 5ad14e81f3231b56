#!/usr/bin/env bash
# Image grid benchmark: a 5 x 8 grid of CIFAR-shaped images with titles
# (tests/bench/plot_bench.c), beside matplotlib drawing the same grid
# (tests/bench/plot_peers.py) in the same run. Targets: <= 50 ms for the
# cell and <= 200 KB sent to the notebook.
#   ROUNDS=21 bash tests/bench/plot_bench.sh
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
ROUNDS=${ROUNDS:-21}
make --no-print-directory BUILD="$BUILD" "$BUILD/bench/plot_bench" >/dev/null || exit 1
ours=$(nice "$BUILD/bench/plot_bench" "$ROUNDS") || { echo "$ours"; echo "plot_bench failed"; exit 1; }
if echo "$ours" | grep -q "imshow needs libpng"; then echo "skipped: no libpng in this build"; exit 0; fi
peers=""
if "$PYTHON" -c "import matplotlib" 2>/dev/null; then
  peers=$(nice "$PYTHON" tests/bench/plot_peers.py "$ROUNDS")
else
  echo "(matplotlib not installed: apt-get install python3-matplotlib to compare)"
fi
printf '%-8s %10s %10s %16s %16s %16s %16s %9s %9s\n' data "C-GPU ms" "C-GPU KB" "mpl png ms" "mpl png KB" \
  "mpl svg ms" "mpl svg KB" "targets" "x faster"
rc=0
while read -r _ kind ms bytes; do
  pms=$(echo "$peers" | awk -v k="$kind" '$2 == k && $3 == "png" { print $4 }')
  pkb=$(echo "$peers" | awk -v k="$kind" '$2 == k && $3 == "png" { printf "%.1f", $5 / 1024 }')
  sms=$(echo "$peers" | awk -v k="$kind" '$2 == k && $3 == "svg" { print $4 }')
  skb=$(echo "$peers" | awk -v k="$kind" '$2 == k && $3 == "svg" { printf "%.1f", $5 / 1024 }')
  kb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1024 }')
  ok=$(awk -v m="$ms" -v b="$bytes" 'BEGIN { print (m <= 50 && b <= 200 * 1024) ? "met" : "MISSED" }')
  ratio=$(awk -v a="$pms" -v b="$ms" 'BEGIN { if (a == "") print "-"; else printf "%.1f", a / b }')
  [ "$ok" = met ] || rc=1
  printf '%-8s %10s %10s %16s %16s %16s %16s %9s %9s\n' "$kind" "$ms" "$kb" "${pms:--}" "${pkb:--}" "${sms:--}" "${skb:--}" "$ok" "$ratio"
done <<< "$ours"
exit $rc
