#!/usr/bin/env bash
# tests/e2e/suite.sh - the C-GPU kernel in the real JupyterLab 4.5 web UI, in headless Chromium.
#
# JupyterLab's frontend is built here from npm (tests/e2e/app: exact pins, a committed lock file,
# webpack) and served by Debian's jupyter_server + jupyterlab_server through app/main.py; the
# browser is Debian's Chromium driven by playwright-core (app/e2e.js). The suite
#   1. installs what is missing: Debian packages, Node (Debian's 18 is enough), `npm ci` (skipped
#      while node_modules matches the lock), the webpack build (skipped while up to date);
#   2. installs the kernel into a temporary prefix (`make install PREFIX=...`) and shows the
#      server only that prefix and temporary Jupyter config/data/runtime dirs;
#   3. starts the server on a free port with a token and runs the browser scenarios:
#      - a Python (ipykernel) notebook: checks the machinery itself, so that a failure there is
#        not blamed on the C-GPU kernel (skipped when ipykernel is not installed);
#      - notebooks/celsius.ipynb on C-GPU: Run All, the prediction, the SVG plot, kernel idle;
#      - a notebook without kernelspec: C-GPU chosen in JupyterLab's Select Kernel dialog;
#      - the launcher: the C-GPU card and its kernelspec logo;
#   4. stops its server by PID and removes its temporary files, whatever happens.
# Each check prints PASS/FAIL/SKIP; the last line is "N passed, N failed[, N skipped]".
# Artifacts go to $BUILD/e2e/: celsius.png, launcher.png, pick-kernel.png, python-smoke.png,
# server.log, e2e.log.
#
# Environment: BUILD (default build), PYTHON (default /usr/bin/python3), E2E_TIMEOUT (seconds
# allowed for Run All of one notebook, default 300), NO_CUDA=1 (passed on to make),
# CGPU_SKIP_E2E=1 (install nothing, run nothing: the suite reports itself skipped).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
APP=tests/e2e/app
OUT=$BUILD/e2e
NB_TIMEOUT=${E2E_TIMEOUT:-300}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT"/*.png

pass=0 fail=0 skip=0
ok()     { echo "PASS $*"; pass=$((pass + 1)); }
bad()    { echo "FAIL $*"; fail=$((fail + 1)); }
skipped(){ echo "SKIP $*"; skip=$((skip + 1)); }
summary() {
  echo "e2e artifacts: $OUT"
  if [ "$skip" -gt 0 ]; then echo "$pass passed, $fail failed, $skip skipped"
  else echo "$pass passed, $fail failed"; fi
}
now() { date +%s; }
T_START=$(now)
if [ "${CGPU_SKIP_E2E:-0}" = 1 ]; then
  echo "skipped: CGPU_SKIP_E2E=1 (no Chromium, Node or npm packages installed)"
  skipped "jupyterlab: the browser test"
  summary; exit 0
fi
hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# ---- temporary dirs and the server: removed / stopped on any exit ---------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cgpu-e2e.XXXXXX")
SERVER_PID='' DRIVER_PID=''
cleanup() {
  if [ -n "$DRIVER_PID" ]; then   # timeout passes TERM on; playwright then closes Chromium
    kill -TERM "$DRIVER_PID" 2>/dev/null
    wait "$DRIVER_PID" 2>/dev/null
    DRIVER_PID=
  fi
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null   # jupyter_server shuts its kernels down on SIGTERM
    for _ in $(seq 1 40); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  SERVER_PID=
  # Kernels whose connection file is in this run's runtime dir, if the server left any behind.
  local left
  left=$(pgrep -f -- "$TMP/runtime/" 2>/dev/null || true)
  if [ -n "$left" ]; then
    echo "note: stopping kernel processes left behind: $(echo "$left" | tr '\n' ' ')"
    # shellcheck disable=SC2086  # one PID per word
    kill -KILL $left 2>/dev/null
  fi
  [ -f "$TMP/server.log" ] && cp "$TMP/server.log" "$OUT/server.log" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 1. Debian packages ----------------------------------------------------------------------
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
DEB=(python3-jupyter-server python3-jupyterlab-server python3-ipykernel chromium fonts-liberation curl)
command -v node >/dev/null || DEB+=(nodejs)
command -v npm >/dev/null || DEB+=(npm)
missing=()
for p in "${DEB[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
T=$(now)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq &&
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
      --no-install-recommends "${missing[@]}"; } > "$OUT/apt.log" 2>&1 || tail -20 "$OUT/apt.log"
fi
still=()
for p in python3-jupyter-server python3-jupyterlab-server chromium fonts-liberation curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || still+=("$p")
done
CHROMIUM=$(command -v chromium || true)
if [ ${#still[@]} -eq 0 ] && [ -n "$CHROMIUM" ] && "$PYTHON" -c 'import jupyter_server, jupyterlab_server' 2>/dev/null; then
  ok "setup: Debian packages (jupyter_server $("$PYTHON" -c 'import jupyter_server; print(jupyter_server.__version__)'), $("$CHROMIUM" --version 2>/dev/null | head -1)) [$(( $(now) - T ))s]"
  DEPS_OK=1
else
  bad "setup: Debian packages: missing ${still[*]:-} $( [ -n "$CHROMIUM" ] || echo chromium-binary) (see $OUT/apt.log)"
  DEPS_OK=0
fi

# The scenarios; e2e.js --list turns this into the list of checks, so a run that cannot reach
# the browser still reports every check it did not run.
CELSIUS=notebooks/celsius.ipynb
write_spec() {  # $1 = C-GPU display name, $2 = python display name ("" = none), $3 = 1: celsius
  "$PYTHON" - "$TMP/spec.json" "$PORT" "$TOKEN" "$CHROMIUM" "$OUT" "$NB_TIMEOUT" "$1" "$2" "$3" <<'EOF'
import json, sys
path, port, token, chromium, out, timeout, cgpu, py, celsius = sys.argv[1:]
sc = []
if py:
    sc.append({"type": "notebook", "name": "python-smoke", "path": "smoke-python.ipynb", "kernel": py,
               "shot": out + "/python-smoke.png", "timeout": 120, "expectOutput": "answer 42"})
if celsius == "1":
    sc.append({"type": "notebook", "name": "celsius", "path": "celsius.ipynb", "kernel": cgpu,
               "shot": out + "/celsius.png", "timeout": int(timeout),
               "predict": {"cell": "predict", "min": 210, "max": 214}, "svg": True})
# A notebook without kernelspec metadata: JupyterLab asks, and the test picks C-GPU in the dialog.
sc.append({"type": "notebook", "name": "pick-kernel", "path": "pick-kernel.ipynb", "kernel": cgpu,
           "shot": out + "/pick-kernel.png", "timeout": 120, "expectOutput": "42 degrees"})
sc.append({"type": "launcher", "name": "launcher", "kernel": cgpu, "spec": "cgpu",
           "shot": out + "/launcher.png"})
json.dump({"base": "http://127.0.0.1:" + port, "token": token, "chromium": chromium,
           "scenarios": sc}, open(path, "w"), indent=1)
EOF
}
PORT=0 TOKEN=x
# Report every browser check as failed (or skipped) with one reason, then the summary.
give_up() {  # $1 = bad|skipped, $2 = reason
  local kind=$1 why=$2 n
  if command -v node >/dev/null && write_spec "C-GPU" "Python 3 (ipykernel)" 1 2>/dev/null &&
     names=$(node "$APP/e2e.js" "$TMP/spec.json" --list 2>/dev/null) && [ -n "$names" ]; then
    while IFS= read -r n; do "$kind" "$n: $why"; done <<< "$names"
  else
    "$kind" "browser tests: $why"
  fi
  summary
  [ "$kind" = skipped ] && exit 0 || exit 1
}
[ "$DEPS_OK" = 1 ] || give_up bad "Debian packages missing"

# ---- Node: playwright-core 1.49 declares node >= 18; webpack's output runs in the browser --------
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "skipped: Node >= 18 is missing (no node/npm found)"
  give_up skipped "Node >= 18 is missing"
fi
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
if [ "$NODE_MAJOR" -lt 18 ]; then
  echo "skipped: Node >= 18 is missing (have $(node --version))"
  give_up skipped "Node >= 18 is missing (have $(node --version))"
fi

# ---- npm deps and the webpack build, each skipped while up to date ---------------------------
# A lock serialises two suites building the shared app folder at the same time.
exec 9> "$APP/.e2e-setup.lock"
flock 9
T=$(now)
DEPS_HASH=$(hash_of "$APP/package.json" "$APP/package-lock.json")
if [ "$(cat "$APP/node_modules/.cgpu-e2e-hash" 2>/dev/null)" = "$DEPS_HASH" ]; then
  ok "setup: npm deps match the lock (cached)"
else
  echo "npm ci in $APP (node $(node --version), npm $(npm --version))"
  if (cd "$APP" && npm ci --no-audit --no-fund --loglevel=error) > "$OUT/npm.log" 2>&1; then
    echo "$DEPS_HASH" > "$APP/node_modules/.cgpu-e2e-hash"
    ok "setup: npm ci ($(ls "$APP/node_modules" | wc -l) top-level packages) [$(( $(now) - T ))s]"
  else
    tail -30 "$OUT/npm.log"
    flock -u 9
    bad "setup: npm ci failed (see $OUT/npm.log)"
    give_up bad "npm ci failed"
  fi
fi
T=$(now)
BUILD_HASH=$(hash_of "$APP/package.json" "$APP/package-lock.json" "$APP/gen-index.js" "$APP/webpack.config.js")
if [ -f "$APP/build/bundle.js" ] && [ "$(cat "$APP/build/.cgpu-e2e-hash" 2>/dev/null)" = "$BUILD_HASH" ]; then
  ok "setup: JupyterLab frontend built (cached)"
else
  echo "building the JupyterLab frontend with webpack"
  rm -rf "$APP/build"
  if (cd "$APP" && node gen-index.js && node node_modules/webpack-cli/bin/cli.js --config webpack.config.js) \
       > "$OUT/webpack.log" 2>&1; then
    echo "$BUILD_HASH" > "$APP/build/.cgpu-e2e-hash"
    ok "setup: JupyterLab frontend built ($(du -sh "$APP/build" | cut -f1)) [$(( $(now) - T ))s]"
  else
    tail -30 "$OUT/webpack.log"
    flock -u 9
    bad "setup: webpack build failed (see $OUT/webpack.log)"
    give_up bad "frontend build failed"
  fi
fi
flock -u 9

# ---- 2. the kernel, installed into a temporary prefix -----------------------------------------
T=$(now)
PREFIX_DIR=$TMP/prefix
SPEC_DIR=$PREFIX_DIR/share/jupyter/kernels/cgpu
CGPU_NAME=
if make --no-print-directory BUILD="$BUILD" install PREFIX="$PREFIX_DIR" > "$OUT/install.log" 2>&1 &&
   [ -f "$SPEC_DIR/kernel.json" ]; then
  CGPU_NAME=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["display_name"])' "$SPEC_DIR/kernel.json" 2>/dev/null)
fi
if [ -n "$CGPU_NAME" ]; then
  ok "setup: C-GPU kernel installed into a temporary prefix ('$CGPU_NAME', $(ls "$SPEC_DIR" | tr '\n' ' ')) [$(( $(now) - T ))s]"
else
  tail -20 "$OUT/install.log"
  bad "setup: make install PREFIX=... failed or wrote no kernel.json (see $OUT/install.log)"
  CGPU_NAME="C-GPU"   # the scenarios still run: the Python one checks the machinery
fi

# ---- 3. the server: free port, token, isolated Jupyter dirs ------------------------------------
mkdir -p "$TMP/root" "$TMP/config" "$TMP/data" "$TMP/runtime" "$TMP/home" "$TMP/ipython"
cp tests/e2e/smoke-python.ipynb "$TMP/root/"
[ -f "$CELSIUS" ] && cp "$CELSIUS" "$TMP/root/"
"$PYTHON" - "$TMP/root/pick-kernel.ipynb" <<'EOF'
import json, sys
cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
        "source": ['print("{} degrees".format(6 * 7))']}
json.dump({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}, open(sys.argv[1], "w"))
EOF
PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
ROOT_FLAG=
[ "$(id -u)" = 0 ] && ROOT_FLAG=--allow-root
T=$(now)
env JUPYTER_PATH="$PREFIX_DIR/share/jupyter" JUPYTER_CONFIG_DIR="$TMP/config" \
    JUPYTER_DATA_DIR="$TMP/data" JUPYTER_RUNTIME_DIR="$TMP/runtime" JUPYTER_NO_CONFIG=1 \
    JLAB_STATE_DIR="$TMP/lab-state" IPYTHONDIR="$TMP/ipython" PYDEVD_DISABLE_FILE_VALIDATION=1 \
  "$PYTHON" "$APP/main.py" --no-browser $ROOT_FLAG --ServerApp.ip=127.0.0.1 \
    --ServerApp.port="$PORT" --ServerApp.port_retries=0 --ServerApp.token="$TOKEN" \
    --ServerApp.root_dir="$TMP/root" > "$TMP/server.log" 2>&1 < /dev/null &
SERVER_PID=$!
up=0
for _ in $(seq 1 240); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/api?token=$TOKEN" && { up=1; break; }
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.25
done
if [ "$up" = 1 ]; then
  ok "setup: Jupyter server up on 127.0.0.1:$PORT (pid $SERVER_PID) [$(( $(now) - T ))s]"
else
  tail -30 "$TMP/server.log"
  bad "setup: Jupyter server did not come up (see $OUT/server.log)"
  give_up bad "no server"
fi
SPECS=$(curl -sf "http://127.0.0.1:$PORT/api/kernelspecs?token=$TOKEN")
spec_name() {  # display name of kernelspec $1 as the server lists it, "" if absent
  echo "$SPECS" | "$PYTHON" -c 'import json,sys; s=json.load(sys.stdin)["kernelspecs"].get(sys.argv[1]); print(s["spec"]["display_name"] if s else "")' "$1" 2>/dev/null
}
if [ -n "$(spec_name cgpu)" ]; then
  ok "setup: the server offers kernelspec 'cgpu' ('$(spec_name cgpu)') from $PREFIX_DIR"
else
  bad "setup: the server does not offer kernelspec 'cgpu' (offers: $(echo "$SPECS" | "$PYTHON" -c 'import json,sys; print(", ".join(json.load(sys.stdin)["kernelspecs"]))' 2>/dev/null))"
fi
PY_NAME=$(spec_name python3)

# ---- the browser scenarios ------------------------------------------------------------------------
write_spec "$CGPU_NAME" "$PY_NAME" 1
[ -n "$PY_NAME" ] || skipped "python-smoke: machinery check on ipykernel: python3-ipykernel is not installed"
if [ ! -f "$CELSIUS" ]; then
  # Keep the celsius checks in the count: each fails, naming the missing notebook.
  while IFS= read -r n; do bad "$n: $CELSIUS is missing"; done \
    < <(node "$APP/e2e.js" "$TMP/spec.json" --list | grep '^celsius: ')
  write_spec "$CGPU_NAME" "$PY_NAME" 0
fi
T=$(now)
# Chromium's profile and any dot-files go under $TMP.
# In the background + wait, so that a signal to this script is handled at once (see cleanup).
env TMPDIR="$TMP" HOME="$TMP/home" timeout -k 10 $((NB_TIMEOUT + 600)) \
  node "$APP/e2e.js" "$TMP/spec.json" > "$OUT/e2e.log" 2>&1 &
DRIVER_PID=$!
wait "$DRIVER_PID"
rc=$?
DRIVER_PID=
cat "$OUT/e2e.log"
p=$(grep -c '^PASS ' "$OUT/e2e.log")
f=$(grep -c '^FAIL ' "$OUT/e2e.log")
expected=$(node "$APP/e2e.js" "$TMP/spec.json" --list | wc -l)
pass=$((pass + p)); fail=$((fail + f))
if [ $((p + f)) -lt "$expected" ]; then
  bad "browser: $((expected - p - f)) of $expected checks never reported (driver exited $rc)"
  fail=$((fail + expected - p - f - 1))
elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
  bad "browser: driver exited $rc"
fi
echo "browser scenarios: $(( $(now) - T ))s; suite total: $(( $(now) - T_START ))s"

cleanup
trap - EXIT
summary
[ "$fail" = 0 ]
