"""Loading Fashion-MNIST (Debian's dataset-fashion-mnist, 30 MB of gzipped
IDX files) with C-GPU's datasets.fashion_mnist.load_data() beside numpy
reading the same files with gzip, as Keras's own loader does, in one run.

Each side runs in its own process, ROUNDS times interleaved; the time is
measured by the program around the load (start-up excluded), the memory is
the process's peak RSS (wait4's ru_maxrss) minus the peak of the same
program without the load; "CPU s" is the process's user + system time
minus the same program's without the load (what the load costs on a
machine shared with other jobs, where the wall time also counts waiting). Targets: load <= 0.5 s, peak <= 2x the decoded
data (54.95 MB).

    datasets_bench.py --kernel build/cgpu-kernel [--rounds 5]
"""
import argparse
import os
import subprocess
import sys
import tempfile

FOLDER = "/usr/share/datasets/fashion-mnist"
DECODED = 60000 * 784 + 60000 + 10000 * 784 + 10000

CGPU_LOAD = """t0 = time()
(x_train, y_train), (x_test, y_test) = datasets.fashion_mnist.load_data()
print(f"{time() - t0:.6f}", x_train.shape, x_test.shape)
"""
CGPU_BASE = """t0 = time()
print(f"{time() - t0:.6f}")
"""
NUMPY_LOAD = """import gzip, time
import numpy as np
t0 = time.perf_counter()
d = %r
def rd(name, offset):
    with gzip.open(d + "/" + name, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)
y_train = rd("train-labels-idx1-ubyte.gz", 8)
x_train = rd("train-images-idx3-ubyte.gz", 16).reshape(len(y_train), 28, 28)
y_test = rd("t10k-labels-idx1-ubyte.gz", 8)
x_test = rd("t10k-images-idx3-ubyte.gz", 16).reshape(len(y_test), 28, 28)
print(f"{time.perf_counter() - t0:.6f}", x_train.shape, x_test.shape)
""" % FOLDER
NUMPY_BASE = """import gzip, time
import numpy as np
t0 = time.perf_counter()
print(f"{time.perf_counter() - t0:.6f}")
"""


def run(argv, env):
    """(seconds printed by the program, peak RSS in bytes, CPU seconds)"""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    out = p.stdout.read().decode()
    _, status, ru = os.wait4(p.pid, 0)
    p.stdout.close()
    if status != 0:
        sys.exit(f"{argv} failed:\n{out}")
    return float(out.split()[0]), ru.ru_maxrss * 1024, ru.ru_utime + ru.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    if not os.path.exists(FOLDER + "/train-images-idx3-ubyte.gz"):
        print("skipped: Debian's dataset-fashion-mnist is not installed")
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, HOME=tmp, CGPU_DATASETS_URL="http://127.0.0.1:9/")
        env.pop("CGPU_DATASETS", None)
        files = {}
        for name, text in (("load.cg", CGPU_LOAD), ("base.cg", CGPU_BASE), ("load.py", NUMPY_LOAD), ("base.py", NUMPY_BASE)):
            files[name] = os.path.join(tmp, name)
            with open(files[name], "w") as f:
                f.write(text)
        t, peak, cpu, base, base_cpu = ({"cgpu": [], "numpy": []} for _ in range(5))
        argv = {"cgpu": lambda f: [a.kernel, "exec", files[f + ".cg"]],
                "numpy": lambda f: [sys.executable, files[f + ".py"]]}
        for _ in range(a.rounds):
            for side in ("cgpu", "numpy"):
                s, m, c = run(argv[side]("load"), env)
                t[side].append(s); peak[side].append(m); cpu[side].append(c)
                _, m, c = run(argv[side]("base"), env)
                base[side].append(m); base_cpu[side].append(c)
    mb = 1e6
    print(f"Fashion-MNIST from {FOLDER} ({DECODED / mb:.2f} MB decoded), best of {a.rounds}:")
    print(f"{'':10s} {'load s':>8s} {'CPU s':>8s} {'peak MB':>9s} {'x decoded':>10s}")
    for side, label in (("cgpu", "C-GPU"), ("numpy", "numpy+gzip")):
        extra = min(peak[side]) - min(base[side])
        busy = min(cpu[side]) - min(base_cpu[side])
        print(f"{label:10s} {min(t[side]):8.3f} {busy:8.3f} {extra / mb:9.1f} {extra / DECODED:10.2f}")
    print(f"time ratio numpy / C-GPU: {min(t['numpy']) / min(t['cgpu']):.2f} (target: C-GPU <= 0.5 s; "
          f"memory <= 2x decoded)")


if __name__ == "__main__":
    main()
