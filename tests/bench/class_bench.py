#!/usr/bin/env python3
"""A class on one machine: N kernels started together, each running the
celsius notebook's cells, C-GPU beside ipykernel doing the same in Python.

For each kind of kernel, N kernels are started at once through
jupyter_client (the launch path JupyterLab uses) and each runs the cells of
notebooks/celsius.ipynb (ipykernel: the same model in numpy — one Dense
unit, Adam(0.1), 500 full-batch epochs, the prediction at 100 °C). Printed:
  answered     kernels whose every cell finished "ok"
  last_ready   start of all kernels -> the last kernel_info_reply (s)
  all_done     start -> the last kernel's last cell (s)
  rss_total    sum of the kernels' VmRSS after their cells (MB)
  rss_each     median VmRSS of one kernel (MB)
Then the leak check: one C-GPU kernel restarted R times (restart_kernel),
running a cell each time; the client's open files, the kernel processes
alive and the connection files left behind are counted before and after.

  class_bench.py [--kernels 30] [--restarts 30]
(the kernelspec "cgpu" must be installed: tests/bench/class_bench.sh does it)
"""
import argparse
import concurrent.futures
import datetime
import glob
import os
import platform
import statistics
import sys
import time

from jupyter_client.manager import KernelManager

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TIMEOUT = 300

PY_CELLS = [
    "import numpy as np\nnp.random.seed(0)",
    "celsius_q = np.array([-40, -10, 0, 8, 15, 22, 38, 45], dtype=np.float32)\n"
    "fahrenheit_a = np.array([-40, 14, 32, 46, 59, 72, 100, 113], dtype=np.float32)\n"
    "for i, c in enumerate(celsius_q):\n"
    "    print('{} degrees Celsius = {} degrees Fahrenheit'.format(c, fahrenheit_a[i]))",
    # one Dense unit, mean squared error, Adam(0.1), 500 full-batch epochs
    "w = np.float32(np.random.uniform(-1.7, 1.7)); b = np.float32(0)\n"
    "m = np.zeros(2, np.float32); v = np.zeros(2, np.float32); losses = []\n"
    "for t in range(1, 501):\n"
    "    err = w * celsius_q + b - fahrenheit_a\n"
    "    losses.append(float(np.mean(err * err)))\n"
    "    g = np.array([np.mean(2 * err * celsius_q), np.mean(2 * err)], np.float32)\n"
    "    m = 0.9 * m + 0.1 * g; v = 0.999 * v + 0.001 * g * g\n"
    "    step = 0.1 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-7)\n"
    "    w -= step[0]; b -= step[1]\n"
    "print('Finished training the model')",
    "print([[100 * w + b]])",
]


def cgpu_cells():
    import nbformat
    nb = nbformat.read(os.path.join(ROOT, "notebooks", "celsius.ipynb"), 4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def run_cells(kc, cells):
    for code in cells:
        reply = kc.execute_interactive(code, timeout=TIMEOUT, output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            return False
    return True


def one_class(kernel_name, n, cells):
    t0 = time.perf_counter()
    kms = []
    for _ in range(n):
        km = KernelManager(kernel_name=kernel_name)
        km.start_kernel(stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w"))
        kms.append(km)
    clients = [km.client() for km in kms]
    for kc in clients:
        kc.start_channels()

    # Each client is used by one thread only, from its first request on:
    # jupyter_client's blocking clients bind their sockets to the event loop
    # of the thread that first uses them.
    def student(kc):
        kc.wait_for_ready(timeout=TIMEOUT)
        ready = time.perf_counter() - t0
        return ready, run_cells(kc, cells)

    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        ready_at, ok = zip(*pool.map(student, clients))
    done = time.perf_counter() - t0
    rss = [rss_mb(km.provisioner.process.pid) for km in kms]
    for kc, km in zip(clients, kms):
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return {"answered": sum(ok), "last_ready": max(ready_at), "all_done": done,
            "rss_total": sum(rss), "rss_each": statistics.median(rss)}


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def kernel_processes():
    n = 0
    for d in glob.glob("/proc/[0-9]*"):
        try:
            with open(d + "/cmdline", "rb") as f:
                if b"cgpu-kernel" in f.read():
                    n += 1
        except OSError:
            pass
    return n


def restarts(count):
    from jupyter_core.paths import jupyter_runtime_dir
    runtime = jupyter_runtime_dir()
    km = KernelManager(kernel_name="cgpu")
    km.start_kernel(stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w"))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=TIMEOUT)
    run_cells(kc, ["x = ones(1000)\nsum(x)"])
    before = (open_fds(), kernel_processes(), len(os.listdir(runtime)))
    rss_first = rss_mb(km.provisioner.process.pid)
    ok = 0
    for _ in range(count):
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=TIMEOUT)
        ok += run_cells(kc, ["x = ones(1000)\nsum(x)"])
    after = (open_fds(), kernel_processes(), len(os.listdir(runtime)))
    rss_last = rss_mb(km.provisioner.process.pid)
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    return ok, before, after, rss_first, rss_last


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernels", type=int, default=30)
    ap.add_argument("--restarts", type=int, default=30)
    args = ap.parse_args()
    print(f"class bench, {datetime.date.today()}, {platform.node()}, {os.cpu_count()} CPUs, "
          f"{args.kernels} kernels at once")
    results = {}
    for name, cells in (("cgpu", cgpu_cells()), ("python3", PY_CELLS)):
        r = one_class(name, args.kernels, cells)
        results[name] = r
        print(f"  {name:8s} answered {r['answered']}/{args.kernels}  last kernel_info_reply "
              f"{r['last_ready']:.2f} s  all cells done {r['all_done']:.2f} s  "
              f"RSS total {r['rss_total']:.0f} MB (median {r['rss_each']:.1f} MB per kernel)")
    c, p = results["cgpu"], results["python3"]
    print(f"  ratio C-GPU / ipykernel: last ready {c['last_ready'] / p['last_ready']:.2f}x, "
          f"all done {c['all_done'] / p['all_done']:.2f}x, RSS total {c['rss_total'] / p['rss_total']:.2f}x")
    ok, before, after, rss_first, rss_last = restarts(args.restarts)
    print(f"  restarts: {ok}/{args.restarts} answered; client fds {before[0]} -> {after[0]}, "
          f"kernel processes {before[1]} -> {after[1]}, runtime-dir files {before[2]} -> {after[2]}, "
          f"kernel RSS {rss_first:.1f} -> {rss_last:.1f} MB")
    leaked = after[0] > before[0] + 2 or after[1] != before[1] or after[2] > before[2]
    print("  leaks after restarts:", "FOUND" if leaked else "none")
    return 1 if leaked or c["answered"] != args.kernels else 0


if __name__ == "__main__":
    sys.exit(main())
