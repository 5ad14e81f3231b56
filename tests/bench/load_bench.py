#!/usr/bin/python3
"""Load benchmark: execute_request throughput and latency under load,
cgpu-kernel side by side with ipykernel in the same run.

For each kernel (started from a connection file written here):
  sequential   one client, N requests (default 10 000), each sent when the
               previous reply has arrived
  concurrent   C clients (default 8), each its own process and its own
               DEALER socket on the shell channel, N/C requests each, all at
               once (up to C requests queued in the kernel)
Every request is `n = n + 1` (valid in both languages), signed with
HMAC-SHA256. Latency is send -> execute_reply received, per request.
Checks: every request answered, each client's replies in the order of its
requests, every reply status "ok", and afterwards n equals the number of
requests sent (no request lost or run twice).

  load_bench.py --kernel build/cgpu-kernel [-n 10000] [-c 8] [--record tests/bench/RESULTS.md]
Exit status 1 when a check failed.
"""
import argparse
import datetime
import hashlib
import hmac
import json
import multiprocessing
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import zmq

DELIM = b"<IDS|MSG>"
CODE = (b'{"code":"n = n + 1","silent":false,"store_history":true,'
        b'"user_expressions":{},"allow_stdin":false,"stop_on_error":false}')


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def write_conn(key):
    p = free_ports(5)
    info = {"shell_port": p[0], "iopub_port": p[1], "stdin_port": p[2], "control_port": p[3], "hb_port": p[4],
            "ip": "127.0.0.1", "key": key, "transport": "tcp", "signature_scheme": "hmac-sha256",
            "kernel_name": "load"}
    fd, path = tempfile.mkstemp(prefix="load-conn-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(info, f)
    return path, info


def request(key, session, msg_type, content):
    mid = uuid.uuid4().hex
    date = datetime.datetime.now(datetime.timezone.utc).isoformat()
    header = ('{"msg_id":"%s","msg_type":"%s","session":"%s","username":"load",'
              '"date":"%s","version":"5.3"}' % (mid, msg_type, session, date)).encode()
    sig = hmac.new(key, header + b"{}" + b"{}" + content, hashlib.sha256).hexdigest().encode()
    return mid, [DELIM, sig, header, b"{}", b"{}", content]


def parse_reply(key, frames):
    """(parent msg_id, content dict) of a reply; raises on a bad signature."""
    i = frames.index(DELIM)
    sig, header, parent, metadata, content = frames[i + 1:i + 6]
    want = hmac.new(key, header + parent + metadata + content, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(want, sig):
        raise ValueError("reply with a bad signature")
    return json.loads(parent).get("msg_id"), json.loads(content)


def connect(ctx, info):
    s = ctx.socket(zmq.DEALER)
    s.linger = 0
    s.setsockopt(zmq.RECONNECT_IVL, 10)
    s.connect(f"tcp://127.0.0.1:{info['shell_port']}")
    return s


def call(sock, key, msg_type, content=b"{}", timeout=60.0):
    session = uuid.uuid4().hex
    mid, frames = request(key, session, msg_type, content)
    sock.send_multipart(frames)
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not sock.poll(int(left * 1000)):
            raise TimeoutError(f"no reply to {msg_type}")
        parent, c = parse_reply(key, sock.recv_multipart())
        if parent == mid:
            return c


def client_run(args):
    """One client: n requests, one at a time, starting at barrier_t (wall clock).
    Returns (latencies in ns, errors, wall-clock time of the last reply)."""
    info, key, n, barrier_t = args
    ctx = zmq.Context()
    sock = connect(ctx, info)
    session = uuid.uuid4().hex
    lat, errors, sent = [], [], []
    while time.time() < barrier_t:  # all clients start together
        time.sleep(0.0005)
    for _ in range(n):
        mid, frames = request(key, session, "execute_request", CODE)
        sent.append(mid)
        t0 = time.perf_counter_ns()
        sock.send_multipart(frames)
        if not sock.poll(120000):
            errors.append(f"no reply after {len(lat)} of {n}")
            break
        parent, content = parse_reply(key, sock.recv_multipart())
        lat.append(time.perf_counter_ns() - t0)
        if parent != mid:
            errors.append(f"reply {len(lat)} answers {parent}, expected {mid} (out of order)")
        if content.get("status") != "ok":
            errors.append(f"reply {len(lat)} status {content.get('status')}: {content.get('evalue')}")
        if len(errors) > 5:
            break
    end = time.time()
    sock.close()
    ctx.term()
    return lat, errors, end


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def bench_kernel(name, argv_of, n, clients):
    key = uuid.uuid4().hex
    path, info = write_conn(key)
    kb = key.encode()
    proc = subprocess.Popen(argv_of(path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ctx = zmq.Context()
    sock = connect(ctx, info)
    res = {"kernel": name, "errors": []}
    try:
        call(sock, kb, "kernel_info_request", timeout=60)
        c = call(sock, kb, "execute_request", b'{"code":"n = 0","silent":false}')
        assert c["status"] == "ok", c
        for _ in range(200):  # warm-up, not counted below
            call(sock, kb, "execute_request", b'{"code":"m = 1","silent":false}')

        for mode, ncl in (("sequential", 1), ("concurrent", clients)):
            per = n // ncl
            # the clients start together at start_at (after the pool's fork),
            # throughput counts from there to the last reply
            start_at = time.time() + (0.2 if ncl == 1 else 1.5)
            if ncl == 1:
                results = [client_run((info, kb, per, start_at))]
            else:
                with multiprocessing.get_context("fork").Pool(ncl) as pool:
                    results = pool.map(client_run, [(info, kb, per, start_at)] * ncl)
            wall = max(r[2] for r in results) - start_at
            lat = [x for r in results for x in r[0]]
            errs = [e for r in results for e in r[1]]
            res[mode] = {
                "clients": ncl, "requests": per * ncl, "answered": len(lat),
                "p50_us": pct(lat, 50) / 1e3 if lat else float("nan"),
                "p99_us": pct(lat, 99) / 1e3 if lat else float("nan"),
                "wall_s": wall,
            }
            res["errors"] += [f"{mode}: {e}" for e in errs]
        expected = sum(res[m]["requests"] for m in ("sequential", "concurrent"))
        c = call(sock, kb, "execute_request",
                 b'{"code":"","silent":false,"user_expressions":{"n":"n"}}')
        got = c.get("user_expressions", {}).get("n", {}).get("data", {}).get("text/plain")
        res["final_n"] = got
        if got != str(expected):
            res["errors"].append(f"n is {got} after {expected} requests (lost or repeated requests)")
    finally:
        sock.close()
        ctx.term()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        os.unlink(path)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernel", default=os.path.join(os.environ.get("BUILD", "build"), "cgpu-kernel"))
    ap.add_argument("-n", type=int, default=10000, help="requests per mode (default 10000)")
    ap.add_argument("-c", "--clients", type=int, default=8)
    ap.add_argument("--no-ipykernel", action="store_true")
    ap.add_argument("--record", help="append a '## Load' section to this markdown file")
    a = ap.parse_args()

    kernels = [("C-GPU", lambda p: [a.kernel, "-f", p])]
    if not a.no_ipykernel:
        try:
            import ipykernel  # noqa: F401
            kernels.append(("ipykernel", lambda p: [sys.executable, "-m", "ipykernel_launcher", "-f", p]))
        except ImportError:
            print("ipykernel is not installed: C-GPU only", file=sys.stderr)

    rows, bad = [], []
    for name, argv_of in kernels:
        print(f"{name}: {a.n} sequential requests, then {a.clients} concurrent clients x {a.n // a.clients} ...",
              flush=True)
        r = bench_kernel(name, argv_of, a.n, a.clients)
        for mode in ("sequential", "concurrent"):
            m = r[mode]
            thr = m["answered"] / m["wall_s"] if m["wall_s"] > 0 else float("nan")
            rows.append((name, mode, m["clients"], m["requests"], m["answered"], thr, m["p50_us"], m["p99_us"]))
        ok = not r["errors"]
        print(f"  {name}: final n = {r['final_n']}; checks {'passed' if ok else 'FAILED'}")
        for e in r["errors"][:10]:
            print("   ", e)
        if not ok:
            bad.append(name)

    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except Exception:
        pass
    load = open("/proc/loadavg").read().split()[:3]
    lines = [
        "| kernel | mode | clients | requests | answered | throughput (req/s) | p50 latency (us) | p99 latency (us) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, mode, ncl, req, ans, thr, p50, p99 in rows:
        lines.append(f"| {name} | {mode} | {ncl} | {req} | {ans} | {thr:,.0f} | {p50:,.0f} | {p99:,.0f} |")
    table = "\n".join(lines)
    print()
    print(table)
    machine = f"{os.cpu_count()} cores ({cpu}), load average {' '.join(load)} at the start"
    print(f"\nmachine: {machine}")
    verdict = "all checks passed (no request lost, replies in order per client, n == requests sent)" \
        if not bad else f"checks FAILED for {', '.join(bad)}"
    print(verdict)

    if a.record:
        date = datetime.date.today().isoformat()
        text = (f"\n## Load\n\n{date}, {machine}. `tests/bench/load_bench.sh` "
                f"(`load_bench.py -n {a.n} -c {a.clients}`): `n = n + 1` execute requests over loopback TCP, "
                "HMAC-SHA256 signed, latency from send to execute_reply; clients are separate processes, "
                "each with its own DEALER socket; both kernels measured in the same run by the same client. "
                f"Result: {verdict}.\n\n{table}\n")
        with open(a.record, "a") as f:
            f.write(text)
        print(f"recorded in {a.record}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
