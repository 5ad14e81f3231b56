#!/usr/bin/env python3
"""Kernel protocol benchmark: cgpu-kernel side by side with Debian's ipykernel.

Measures, for each kernel started from a connection file written here:
  start     process spawn -> first kernel_info_reply received (median of runs)
  rtt       execute_request "a = 1" sent -> its status idle received on IOPub
            (median), through a minimal raw pyzmq client over loopback TCP
  rss       VmRSS after start (after the first kernel_info_reply), and after
            the first execute_request (the interpreter is created on first use)
plus the client's own floor: the same client against a trivial pyzmq echo
process that answers each request with an idle status at once.

  kernel_bench.py --kernel build/cgpu-kernel [--runs 20] [--iters 2000] [--record RESULTS.md]
"""
import argparse
import datetime
import hashlib
import hmac
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import zmq

DELIM = b"<IDS|MSG>"
KEY = uuid.uuid4().hex.encode()
TARGETS = {"start_ms": 20.0, "rtt_us": 150.0, "rss_mb": 10.0}


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


def write_conn():
    p = free_ports(5)
    info = {"shell_port": p[0], "iopub_port": p[1], "stdin_port": p[2], "control_port": p[3], "hb_port": p[4],
            "ip": "127.0.0.1", "key": KEY.decode(), "transport": "tcp", "signature_scheme": "hmac-sha256",
            "kernel_name": "bench"}
    fd, path = tempfile.mkstemp(prefix="bench-conn-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(info, f)
    return path, info


def request(msg_type, content=b"{}"):
    """(msg_id bytes, frames) of a signed request, built the cheap way."""
    mid = uuid.uuid4().hex
    date = datetime.datetime.now(datetime.timezone.utc).isoformat()
    header = ('{"msg_id":"%s","msg_type":"%s","session":"bench-session","username":"bench",'
              '"date":"%s","version":"5.3"}' % (mid, msg_type, date)).encode()
    sig = hmac.new(KEY, header + b"{}" + b"{}" + content, hashlib.sha256).hexdigest().encode()
    return mid.encode(), [DELIM, sig, header, b"{}", b"{}", content]


def cpu_ns(pid):
    """CPU time of all the process's threads so far (ns), from schedstat."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total


def vmrss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


class Client:
    def __init__(self, ctx, info):
        self.shell = ctx.socket(zmq.DEALER)
        self.shell.linger = 0
        # the client connects before the kernel binds: retry every 1 ms, not
        # zmq's default 100 ms, or start-up is measured in reconnect steps
        self.shell.setsockopt(zmq.RECONNECT_IVL, 1)
        self.shell.connect(f"tcp://127.0.0.1:{info['shell_port']}")
        self.sub = ctx.socket(zmq.SUB)
        self.sub.linger = 0
        self.sub.setsockopt(zmq.SUBSCRIBE, b"")
        self.sub.connect(f"tcp://127.0.0.1:{info['iopub_port']}")

    def close(self):
        self.shell.close()
        self.sub.close()

    def kernel_info(self, timeout=30.0):
        mid, frames = request("kernel_info_request")
        self.shell.send_multipart(frames)
        if not self.shell.poll(int(timeout * 1000)):
            raise TimeoutError("no kernel_info_reply")
        return self.shell.recv_multipart()

    def wait_iopub_ready(self, timeout=30.0):
        """PUB/SUB drops messages until the subscription lands: probe until
        a status message of ours comes back."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.kernel_info()
            if self.sub.poll(200):
                while self.sub.poll(50):
                    self.sub.recv_multipart()
                return
        raise TimeoutError("iopub never delivered")

    def execute_rtt(self, iters, code=b'{"code":"a = 1","silent":false,"store_history":true,'
                                      b'"user_expressions":{},"allow_stdin":false,"stop_on_error":true}'):
        times = []
        for _ in range(iters):
            mid, frames = request("execute_request", code)
            t0 = time.perf_counter_ns()
            self.shell.send_multipart(frames)
            while True:
                f = self.sub.recv_multipart()
                # [topic, DELIM, sig, header, parent, metadata, content]
                if b'"idle"' in f[-1] and mid in f[-3]:
                    break
            t1 = time.perf_counter_ns()
            self.shell.recv_multipart()  # the execute_reply, outside the timing
            times.append((t1 - t0) / 1000.0)
        return times


def spawn(argv_for_conn, path):
    return subprocess.Popen(argv_for_conn(path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def c_client_rtt(client, conn_path, iters):
    """(median, p90) µs from tests/bench/kernel_rtt_client.c, or None."""
    if not client:
        return None
    p = subprocess.run([client, conn_path, str(iters)], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        print(f"kernel_rtt_client failed: {p.stderr.strip()}")
        return None
    med, p90, _ = (float(x) for x in p.stdout.split())
    return med, p90


def bench_kernel(name, argv_for_conn, runs, iters, c_client=None):
    ctx = zmq.Context()
    starts, start_cpu = [], []
    for _ in range(runs):
        path, info = write_conn()
        c = Client(ctx, info)
        t0 = time.perf_counter()
        proc = spawn(argv_for_conn, path)
        c.kernel_info(timeout=60)
        starts.append((time.perf_counter() - t0) * 1000.0)
        start_cpu.append(cpu_ns(proc.pid) / 1e6)
        c.close()
        stop(proc)
        os.unlink(path)

    path, info = write_conn()
    c = Client(ctx, info)
    proc = spawn(argv_for_conn, path)
    c.kernel_info(timeout=60)
    time.sleep(0.3)  # let start-up settle before reading RSS
    rss_start = vmrss_mb(proc.pid)
    c.wait_iopub_ready()
    c.execute_rtt(20)  # warm-up: first execute creates the interpreter
    rss_exec = vmrss_mb(proc.pid)
    cpu0 = cpu_ns(proc.pid)
    rtts = c.execute_rtt(iters)
    cpu_us = (cpu_ns(proc.pid) - cpu0) / 1000.0 / iters
    c.close()
    crtt = c_client_rtt(c_client, path, iters)
    stop(proc)
    os.unlink(path)
    ctx.term()
    return {"name": name, "start_ms": statistics.median(starts), "start_min_ms": min(starts),
            "start_cpu_ms": statistics.median(start_cpu),
            "rtt_us": statistics.median(rtts), "rtt_p90_us": sorted(rtts)[int(len(rtts) * 0.9)],
            "rss_mb": rss_start, "rss_exec_mb": rss_exec, "cpu_us": cpu_us, "crtt": crtt}


ECHO = r'''
import sys, zmq
ctx = zmq.Context()
router = ctx.socket(zmq.ROUTER); router.bind("tcp://127.0.0.1:%s" % sys.argv[1])
pub = ctx.socket(zmq.PUB); pub.bind("tcp://127.0.0.1:%s" % sys.argv[2])
sig = b"0" * 64
while True:
    f = router.recv_multipart()
    d = f.index(b"<IDS|MSG>")
    parent = f[d + 2]
    pub.send_multipart([b"status", b"<IDS|MSG>", sig, b'{"msg_type":"status"}', parent, b"{}",
                        b'{"execution_state":"idle"}'])
    router.send_multipart(f[:d] + [b"<IDS|MSG>", sig, b'{"msg_type":"execute_reply"}', parent, b"{}",
                                   b'{"status":"ok"}'])
'''


def bench_echo(iters):
    p = free_ports(2)
    proc = subprocess.Popen([sys.executable, "-c", ECHO, str(p[0]), str(p[1])])
    ctx = zmq.Context()
    c = Client(ctx, {"shell_port": p[0], "iopub_port": p[1]})
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until the subscription is live
            mid, frames = request("execute_request")
            c.shell.send_multipart(frames)
            c.shell.recv_multipart()
            if c.sub.poll(100):
                while c.sub.poll(20):
                    c.sub.recv_multipart()
                break
        c.execute_rtt(50)
        rtts = c.execute_rtt(iters)
    finally:
        c.close()
        ctx.term()
        proc.kill()
        proc.wait()
    return statistics.median(rtts)


def machine():
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"


def record(path, text):
    """Appends text at the end of the "## Kernel protocol" section."""
    try:
        with open(path) as f:
            lines = f.read().split("\n")
    except FileNotFoundError:
        lines = ["# Benchmark results", ""]
    try:
        start = lines.index("## Kernel protocol")
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        while end > start + 1 and lines[end - 1] == "":
            end -= 1
        lines[end:end] = [""] + text.rstrip("\n").split("\n")
    except ValueError:
        while lines and lines[-1] == "":
            lines.pop()
        lines += ["", "## Kernel protocol", ""] + text.rstrip("\n").split("\n")
    with open(path, "w") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True, help="path to cgpu-kernel")
    ap.add_argument("--runs", type=int, default=20, help="start-up runs (ipykernel: a quarter)")
    ap.add_argument("--iters", type=int, default=2000, help="execute round trips")
    ap.add_argument("--no-ipykernel", action="store_true")
    ap.add_argument("--record", metavar="RESULTS.md")
    ap.add_argument("--c-client", help="path to a built kernel_rtt_client")
    ap.add_argument("--note", default="", help="text added to the report (kernel_dispatch_bench output)")
    a = ap.parse_args()

    kernel = os.path.abspath(a.kernel)
    cg = bench_kernel("cgpu-kernel", lambda p: [kernel, "-f", p], a.runs, a.iters, a.c_client)
    ipk = None
    if not a.no_ipykernel:
        try:
            import ipykernel  # noqa: F401
            ipk = bench_kernel("ipykernel " + ipykernel.__version__,
                               lambda p: [sys.executable, "-m", "ipykernel_launcher", "-f", p],
                               max(3, a.runs // 4), max(200, a.iters // 4), a.c_client)
        except ImportError:
            print("ipykernel is not installed: no comparison")
    floor = bench_echo(a.iters)
    cfloor = None
    if a.c_client:
        p = subprocess.run([a.c_client, "--echo", str(a.iters)], capture_output=True, text=True, timeout=300)
        if p.returncode == 0:
            cfloor = float(p.stdout.split()[0])

    def ok(v, key):
        return "ok" if v <= TARGETS[key] else "over target"

    for r in (cg, ipk):
        if r and r["crtt"]:
            r["crtt_us"] = r["crtt"][0]
    rows = [("start -> first kernel_info_reply (median)", "start_ms", "ms", "%.1f")]
    if cg.get("crtt_us"):
        TARGETS["crtt_us"] = TARGETS["rtt_us"]
        rows.append(("execute 'a = 1' sent -> idle (median), C client", "crtt_us", "µs", "%.0f"))
    rows += [("execute 'a = 1' sent -> idle (median), Python client", "rtt_us", "µs", "%.0f"),
             ("VmRSS after start", "rss_mb", "MB", "%.1f")]
    out = []
    out.append(f"### {datetime.date.today().isoformat()} — {machine()}")
    out.append("")
    out.append(f"| measure | cgpu-kernel | {ipk['name'] if ipk else 'ipykernel'} | ratio | target |")
    out.append("|---|---|---|---|---|")
    for label, key, unit, fmt in rows:
        c = cg[key]
        i = ipk.get(key) if ipk else None
        ratio = f"{i / c:.1f}x less" if i else "-"
        out.append(f"| {label} | {fmt % c} {unit} | {(fmt % i) + ' ' + unit if i else '-'} | {ratio} | "
                   f"<= {TARGETS[key]:g} {unit} ({ok(c, key)}) |")
    out.append(f"| VmRSS after the first execute | {cg['rss_exec_mb']:.1f} MB | "
               f"{(('%.1f MB' % ipk['rss_exec_mb']) if ipk else '-')} | "
               f"{('%.1fx less' % (ipk['rss_exec_mb'] / cg['rss_exec_mb'])) if ipk else '-'} | |")
    out.append("")
    out.append(f"Round trip p90: cgpu-kernel {cg['rtt_p90_us']:.0f} µs"
               + (f", ipykernel {ipk['rtt_p90_us']:.0f} µs" if ipk else "")
               + f". Start-up best: cgpu-kernel {cg['start_min_ms']:.1f} ms"
               + (f", ipykernel {ipk['start_min_ms']:.0f} ms" if ipk else "") + ".")
    out.append(f"Kernel CPU time from exec to the first kernel_info_reply (all threads, schedstat; "
               f"the dynamic loader included): cgpu-kernel {cg['start_cpu_ms']:.1f} ms"
               + (f", ipykernel {ipk['start_cpu_ms']:.0f} ms" if ipk else "") + ".")
    out.append(f"Kernel CPU time per execute round trip (all its threads, from schedstat): "
               f"cgpu-kernel {cg['cpu_us']:.0f} µs" + (f", ipykernel {ipk['cpu_us']:.0f} µs" if ipk else "") + ".")
    try:
        load = os.getloadavg()[0]
        out.append(f"Load average during the run: {load:.1f} on {os.cpu_count()} CPUs.")
    except OSError:
        pass
    if cfloor is not None:
        out.append(f"Platform floor: one frame to a C ZeroMQ ROUTER echo thread (with its own ZeroMQ context "
                   f"and I/O thread, as a kernel process has) over loopback TCP and back "
                   f"(kernel_rtt_client --echo) takes {cfloor:.0f} µs (median) on this machine.")
    out.append(f"Client floor: the same raw pyzmq client against a pyzmq echo process (idle published at "
               f"once) takes {floor:.0f} µs per round trip; the kernel's own share of its round trip is "
               f"about {max(cg['rtt_us'] - floor, 0):.0f} µs.")
    if a.note.strip():
        out.append("")
        out.append("Protocol core alone (tests/bench/kernel_dispatch_bench.c: real handlers, mock transport, "
                   "no-op language):")
        out.append("")
        out.append("```")
        out += a.note.strip().split("\n")
        out.append("```")
    text = "\n".join(out) + "\n"
    print(text)
    if a.record:
        record(a.record, text)
        print(f"recorded in {a.record}")


if __name__ == "__main__":
    main()
