#!/usr/bin/env bash
# Kernel protocol benchmark: cgpu-kernel beside Debian's ipykernel (start-up,
# execute round trip, resident memory), then the protocol core alone (no
# sockets, no interpreter). With RECORD=1 the figures are appended to
# tests/bench/RESULTS.md under "## Kernel protocol".
#
#   BUILD=build tests/bench/kernel_bench.sh [extra kernel_bench.py args]
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
KERNEL="$BUILD/cgpu-kernel"

if [ ! -x "$KERNEL" ]; then echo "kernel_bench: $KERNEL is missing (make BUILD=$BUILD first)"; exit 1; fi
if "$KERNEL" --version | grep -q "no Jupyter protocol"; then
  echo "kernel_bench: skipped: $KERNEL has no Jupyter protocol (built without ZeroMQ/jansson/OpenSSL)"; exit 0
fi
if ! $PYTHON -c 'import zmq' 2>/dev/null; then echo "kernel_bench: skipped: python3-zmq is missing"; exit 0; fi

# The protocol core's own cost first: compiled against the build's protocol library
# (and libcgpurt.a for runtime/common/).
core=""
client=""
lib="$BUILD/libcgpujupyter.a"
if [ -f "$lib" ]; then
  bin=$(mktemp /tmp/kernel_dispatch_bench.XXXXXX)
  trap 'rm -f "$bin"' EXIT
  ${CC:-gcc} -std=gnu11 -O2 -D_GNU_SOURCE -Iruntime/common -Ikernel -Ikernel/lang -Ikernel/lang/front -Ikernel/lang/core -Ikernel/lang/lib -Ikernel/lang/display -Iruntime tests/bench/kernel_dispatch_bench.c \
    "$lib" "$BUILD/libcgpurt.a" -ljansson -lzmq -lcrypto -lpthread -o "$bin"
  core=$("$bin" 20000)
  client=$(mktemp /tmp/kernel_rtt_client.XXXXXX)
  trap 'rm -f "$bin" "$client"' EXIT
  ${CC:-gcc} -std=gnu11 -O2 -D_GNU_SOURCE -Iruntime/common -Ikernel -Ikernel/lang -Ikernel/lang/front -Ikernel/lang/core -Ikernel/lang/lib -Ikernel/lang/display -Iruntime tests/bench/kernel_rtt_client.c \
    "$lib" "$BUILD/libcgpurt.a" -ljansson -lzmq -lcrypto -lpthread -o "$client"
fi

args=("$@")
if [ "${RECORD:-0}" = 1 ]; then args+=(--record tests/bench/RESULTS.md); fi
$PYTHON tests/bench/kernel_bench.py --kernel "$KERNEL" --note "$core" ${client:+--c-client "$client"} "${args[@]}"
