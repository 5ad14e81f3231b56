#!/usr/bin/env python3
"""gpu_ops_peers.py — the measurements of gpu_ops.c in PyTorch and CuPy.

    gpu_ops_peers.py [log2_n]                   measure, print key=value lines
    gpu_ops_peers.py --table OURS PEERS         print the comparison table

Same sizes and the same method as gpu_ops.c: GPU time from CUDA events
around a batch of K ops, divided by K, median of R batches after a warm-up;
for tiny arrays, host wall time per op over a long batch. PyTorch runs with
TF32 off for the FP32 matrix product (torch.backends.cuda.matmul.allow_tf32
= False), CuPy with its default (no TF32 unless CUPY_TF32=1).
"""
import statistics
import sys
import time


def batch_time(fn, sync, event, k, reps):
    for _ in range(2):
        fn()
    sync()
    ts = []
    for _ in range(reps):
        e0, e1 = event(), event()
        e0.record()
        for _ in range(k):
            fn()
        e1.record()
        e1.synchronize()
        ts.append(e0.elapsed_time(e1) / 1e3 / k)
    return statistics.median(ts)


def tiny_time(fn, sync, k=20000, rounds=10):
    ts = []
    for r in range(rounds):
        sync()
        t0 = time.perf_counter()
        for _ in range(k):
            fn()
        sync()
        if r > 0:
            ts.append((time.perf_counter() - t0) / k)
    return statistics.median(ts)


def emit(lib, name, n, t, unit, value, extra=""):
    if unit == "us":
        print(f"{lib}.{name} n={n} us={t * 1e6:.3f}")
    else:
        print(f"{lib}.{name} n={n} ms={t * 1e3:.4f} {unit}={value:.3f}{extra}")


def run_torch(lg):
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda")
    n = 1 << lg
    g = torch.Generator(device=dev).manual_seed(0)
    a = torch.rand(n, device=dev, generator=g) * 2 - 1
    b = torch.rand(n, device=dev, generator=g) * 2 - 1
    c = torch.rand(n, device=dev, generator=g) * 2 - 1
    sync = torch.cuda.synchronize
    ev = lambda: torch.cuda.Event(enable_timing=True)
    t = batch_time(lambda: a + b, sync, ev, 10, 15)
    emit("torch", "add", n, t, "TB/s", 12 * n / t / 1e12)
    t = batch_time(lambda: a.sum(), sync, ev, 10, 15)
    emit("torch", "sum", n, t, "TB/s", 4 * n / t / 1e12)
    t = batch_time(lambda: torch.relu(a * b + c), sync, ev, 5, 9)
    emit("torch", "chain", n, t, "TB/s", 32 * n / t / 1e12)
    del a, b, c
    x = torch.rand(8192, 8192, device=dev, generator=g) * 2 - 1
    y = torch.rand(8192, 8192, device=dev, generator=g) * 2 - 1
    t = batch_time(lambda: x @ y, sync, ev, 3, 7)
    emit("torch", "sgemm", 8192, t, "TFLOP/s", 2 * 8192 ** 3 / t / 1e12)
    torch.backends.cuda.matmul.allow_tf32 = True
    t = batch_time(lambda: x @ y, sync, ev, 3, 7)
    emit("torch", "sgemm_tf32", 8192, t, "TFLOP/s", 2 * 8192 ** 3 / t / 1e12)
    torch.backends.cuda.matmul.allow_tf32 = False
    del x, y
    for m in (1, 1024):
        p = torch.full((m,), 1.0, device=dev)
        q = torch.full((m,), 2.0, device=dev)
        t = tiny_time(lambda: p + q, sync)
        emit("torch", "tiny", m, t, "us", 0)
    print(f"torch.version v={torch.__version__}")


def run_cupy(lg):
    import cupy as cp
    n = 1 << lg
    rs = cp.random.RandomState(0)
    a = rs.uniform(-1, 1, n, dtype=cp.float32)
    b = rs.uniform(-1, 1, n, dtype=cp.float32)
    c = rs.uniform(-1, 1, n, dtype=cp.float32)
    sync = cp.cuda.Device().synchronize

    class Ev:
        def __init__(self):
            self.e = cp.cuda.Event()

        def record(self):
            self.e.record()

        def synchronize(self):
            self.e.synchronize()

        def elapsed_time(self, other):
            return cp.cuda.get_elapsed_time(self.e, other.e)

    t = batch_time(lambda: a + b, sync, Ev, 10, 15)
    emit("cupy", "add", n, t, "TB/s", 12 * n / t / 1e12)
    t = batch_time(lambda: a.sum(), sync, Ev, 10, 15)
    emit("cupy", "sum", n, t, "TB/s", 4 * n / t / 1e12)
    t = batch_time(lambda: cp.maximum(a * b + c, 0), sync, Ev, 5, 9)
    emit("cupy", "chain", n, t, "TB/s", 32 * n / t / 1e12)
    del a, b, c
    x = rs.uniform(-1, 1, (8192, 8192), dtype=cp.float32)
    y = rs.uniform(-1, 1, (8192, 8192), dtype=cp.float32)
    t = batch_time(lambda: x @ y, sync, Ev, 3, 7)
    emit("cupy", "sgemm", 8192, t, "TFLOP/s", 2 * 8192 ** 3 / t / 1e12)
    del x, y
    for m in (1, 1024):
        p = cp.full((m,), 1.0, dtype=cp.float32)
        q = cp.full((m,), 2.0, dtype=cp.float32)
        t = tiny_time(lambda: p + q, sync)
        emit("cupy", "tiny", m, t, "us", 0)
    print(f"cupy.version v={cp.__version__}")


def parse(path):
    """{'add': {'n': ..., 'TB/s': ...}, 'torch.add': {...}, ...}"""
    out = {}
    for line in open(path):
        parts = line.split()
        if not parts or "=" in parts[0]:
            continue
        kv = {}
        for p in parts[1:]:
            if "=" in p:
                k, v = p.split("=", 1)
                kv[k] = v.strip('"')
        key = parts[0]
        if key == "device" and "name=" in line:
            kv["name"] = line.split("name=", 1)[1].strip()
        if key in ("tiny", "torch.tiny", "cupy.tiny"):
            key = f"{key}{kv.get('n')}"
        out[key] = kv
    return out


ROWS = [
    # key, label, unit, higher is better, target text
    ("add", "add 2^27 f32 (a+b)", "TB/s", True, ">= 2.9 TB/s"),
    ("sum", "sum 2^27 f32", "TB/s", True, ">= 2.7 TB/s"),
    ("chain", "relu(a*b+c) 2^27 f32", "TB/s", True, "3 kernels, 32 B/elem"),
    ("sgemm", "SGEMM 8192 FP32 (no TF32)", "TFLOP/s", True, ">= 95% of PyTorch"),
    ("sgemm_tf32", "SGEMM 8192 TF32", "TFLOP/s", True, "(for reference)"),
    ("tiny1", "a+b, 1 element", "us", False, "<= 5 us/op"),
    ("tiny1024", "a+b, 1024 elements", "us", False, "<= 5 us/op"),
]


def table(ours_path, peers_path):
    ours, peers = parse(ours_path), parse(peers_path)
    dev = ours.get("device", {})
    print(f"device: {dev.get('name', '?')}, {dev.get('sms', '?')} SMs, {dev.get('mem_gib', '?')} GiB; "
          f"torch {peers.get('torch.version', {}).get('v', '?')}, cupy {peers.get('cupy.version', {}).get('v', '?')}")
    hdr = f"{'op':<28s} {'unit':<8s} {'C-GPU':>9s} {'PyTorch':>9s} {'CuPy':>9s} {'vs torch':>9s} {'vs cupy':>8s}  target"
    print(hdr)
    print("-" * len(hdr))

    def val(d, unit):
        try:
            return float(d[unit])
        except (KeyError, TypeError, ValueError):
            return None

    for key, label, unit, higher, target in ROWS:
        o = val(ours.get(key), unit)
        t = val(peers.get("torch." + key), unit)
        c = val(peers.get("cupy." + key), unit)

        def ratio(p):
            if o is None or p is None or p == 0 or o == 0:
                return "-"
            return f"{(o / p) if higher else (p / o):.2f}x"

        fmt = lambda v: "-" if v is None else (f"{v:.2f}" if unit != "us" else f"{v:.2f}")
        print(f"{label:<28s} {unit:<8s} {fmt(o):>9s} {fmt(t):>9s} {fmt(c):>9s} {ratio(t):>9s} {ratio(c):>8s}  {target}")
    print("ratios > 1 mean C-GPU is faster (for us/op: fewer microseconds)")
    tp = ours.get("tiny_parts")
    if tp:
        print(f"tiny a+b breakdown: whole op {ours.get('tiny1', {}).get('us', '?')} us = dispatcher "
              f"(the same op on CPU:0: {tp.get('cpu_dispatch_us', '?')} us) + CUDA backend called directly "
              f"({tp.get('cuda_backend_us', '?')} us, kernel launch included)")


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--table":
        table(sys.argv[2], sys.argv[3])
        return
    lg = int(sys.argv[1]) if len(sys.argv) > 1 else 27
    for fn in (run_torch, run_cupy):
        try:
            fn(lg)
        except Exception as e:  # a missing library leaves its column empty
            print(f"# {fn.__name__} failed: {e!r}", file=sys.stderr)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
