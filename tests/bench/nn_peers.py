#!/usr/bin/env python3
"""nn_peers.py - the training benchmarks of nn_bench.c written in PyTorch.

    nn_peers.py                      run the PyTorch peers, print key=value lines
    nn_peers.py --table OURS PEERS   print a comparison table of two outputs

celsius: Linear(1, 1), MSE, Adam(lr=0.1), 500 epochs over the 8 pairs,
         reshuffled every epoch (one batch of 8 per epoch), the loss of
         every step kept on the device (no per-step host sync), as a plain
         training loop; median of 7 runs after a warm-up, on the CPU and on
         the GPU.
mlp:     one epoch over 60000 x 784 random float32 inputs on the GPU,
         Linear(784, 64) -> ReLU -> Linear(64, 10), cross entropy on the
         logits (what Keras's softmax + sparse_categorical_crossentropy
         computes), Adam(1e-3), batch 128, a fresh permutation per epoch;
         median of 3 epochs after a warm-up epoch. FP32 matmuls (TF32 off).
fmnist:  the class's Fashion-MNIST MLP on the same random data:
         Linear(784, 512) -> ReLU -> Dropout(0.2) -> Linear(512, 10), the
         rest as mlp; PyTorch eager on the GPU (and on the CPU when PyTorch
         is there), and on the CPU a numpy training loop of the same model
         (float32 matmuls through numpy's BLAS, Adam by hand): one epoch
         after a warm-up of 20 steps.

    nn_peers.py numpy                only the numpy peer (no PyTorch needed)
"""
import sys
import time


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def numpy_fmnist():
    """One epoch of the Fashion-MNIST MLP in numpy, float32, Adam(1e-3)."""
    import numpy as np
    rng = np.random.default_rng(7)
    n, d, h, k, b = 60000, 784, 512, 10, 128
    x = rng.random((n, d), dtype=np.float32)
    y = rng.integers(0, k, n)

    def glorot(fi, fo):
        lim = np.sqrt(6.0 / (fi + fo))
        return rng.uniform(-lim, lim, (fi, fo)).astype(np.float32)

    params = [glorot(d, h), np.zeros(h, np.float32), glorot(h, k), np.zeros(k, np.float32)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t = 0

    def step(xb, yb):
        nonlocal t
        w1, b1, w2, b2 = params
        a = xb @ w1 + b1
        r = np.maximum(a, 0)
        keep = (rng.random(r.shape, dtype=np.float32) >= 0.2).astype(np.float32) / 0.8
        rd = r * keep
        z = rd @ w2 + b2
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        rows = np.arange(len(yb))
        loss = -np.log(p[rows, yb] + 1e-7).mean()
        g = p
        g[rows, yb] -= 1
        g /= len(yb)
        gw2 = rd.T @ g
        gb2 = g.sum(axis=0)
        gr = (g @ w2.T) * keep * (a > 0)
        gw1 = xb.T @ gr
        gb1 = gr.sum(axis=0)
        t += 1
        lr = 1e-3 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        for i, gi in enumerate((gw1, gb1, gw2, gb2)):
            m[i] = 0.9 * m[i] + 0.1 * gi
            v[i] = 0.999 * v[i] + 0.001 * gi * gi
            params[i] -= lr * m[i] / (np.sqrt(v[i]) + 1e-7)
        return loss

    for i in range(20):
        step(x[i * b:(i + 1) * b], y[i * b:(i + 1) * b])
    t0 = time.perf_counter()
    perm = rng.permutation(n)
    total = 0.0
    for i in range(0, n, b):
        idx = perm[i:i + b]
        total += step(x[idx], y[idx]) * len(idx)
    ms = (time.perf_counter() - t0) * 1e3
    print(f"fmnist device=cpu epoch_ms={ms:.2f} steps=469 us_per_step={ms * 1e3 / 469:.2f} loss={total / n:.4f} peer=numpy")
    sys.stdout.flush()


def torch_mlp(torch, dev, name, hidden, dropout, epochs):
    """One epoch of 784 -> hidden relu [-> Dropout] -> 10 in PyTorch eager; median of `epochs` after a warm-up."""
    torch.manual_seed(7)
    n, d, k = 60000, 784, 10
    x = torch.rand(n, d, device=dev)
    y = torch.randint(0, k, (n,), device=dev)
    layers = [torch.nn.Linear(d, hidden), torch.nn.ReLU()] + ([torch.nn.Dropout(dropout)] if dropout else [])
    model = torch.nn.Sequential(*layers, torch.nn.Linear(hidden, k)).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)

    def sync():
        if dev == "cuda":
            torch.cuda.synchronize()

    def epoch():
        sync()
        t0 = time.perf_counter()
        perm = torch.randperm(n, device=dev)
        total = torch.zeros((), device=dev)
        for i in range(0, n, 128):
            idx = perm[i:i + 128]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)
        mean = (total / n).item()
        return time.perf_counter() - t0, mean

    epoch()
    runs = [epoch() for _ in range(epochs)]
    ms = median([r[0] for r in runs]) * 1e3
    print(f"{name} device={dev} epoch_ms={ms:.2f} steps=469 us_per_step={ms * 1e3 / 469:.2f} loss={runs[-1][1]:.4f} peer=torch")
    sys.stdout.flush()


def peers():
    try:
        import torch
    except ImportError:
        print("peer: n/a (no PyTorch here)")
        return
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    print(f"peer torch={torch.__version__}")
    c = [-40, -10, 0, 8, 15, 22, 38, 45]
    f = [-40, 14, 32, 46, 59, 72, 100, 113]
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for dev in devices:
        x = torch.tensor(c, dtype=torch.float32, device=dev).reshape(8, 1)
        y = torch.tensor(f, dtype=torch.float32, device=dev).reshape(8, 1)

        def fit(seed):
            torch.manual_seed(seed)
            model = torch.nn.Linear(1, 1).to(dev)
            opt = torch.optim.Adam(model.parameters(), lr=0.1, eps=1e-7)
            losses = torch.zeros(500, device=dev)
            if dev == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            for e in range(500):
                perm = torch.randperm(8, device=dev)
                xb, yb = x[perm], y[perm]
                opt.zero_grad(set_to_none=True)
                loss = torch.nn.functional.mse_loss(model(xb), yb)
                loss.backward()
                opt.step()
                losses[e] = loss.detach()
            hist = losses.tolist()   # one read at the end, like Keras's history
            t = time.perf_counter() - t0
            with torch.no_grad():
                p = model(torch.tensor([[100.0]], device=dev)).item()
            return t, p, hist[-1]

        fit(0)
        runs = [fit(s) for s in range(1, 8)]
        ms = median([r[0] for r in runs]) * 1e3
        print(f"celsius device={dev} ms={ms:.3f} us_per_epoch={ms * 1e3 / 500:.2f} predict100={runs[0][1]:.4f}")
        sys.stdout.flush()

    if torch.cuda.is_available():
        torch_mlp(torch, "cuda", "mlp", 64, 0.0, 3)
        torch_mlp(torch, "cuda", "fmnist", 512, 0.2, 3)


def parse(path):
    rows = {}
    for line in open(path):
        parts = line.split()
        if not parts or "=" in parts[0]:
            continue
        kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        rows[(parts[0], kv.get("device", "").replace("cuda", "GPU:0").replace("cpu", "CPU:0"))] = kv
    return rows


def table(ours_path, peers_path):
    ours, peers_ = parse(ours_path), parse(peers_path)
    print(f"{'benchmark':<24}{'C-GPU':>14}{'PyTorch':>14}{'ratio':>10}   (fmnist GPU target: <= 0.50x)")
    for (name, dev), kv in ours.items():
        key = {"celsius": "ms", "mlp": "epoch_ms", "fmnist": "epoch_ms"}.get(name)
        if not key:
            continue
        p = peers_.get((name, dev), {}).get(key)
        mine = float(kv[key])
        if p is None:
            print(f"{name + ' ' + dev:<24}{mine:>12.3f}ms{'n/a':>14}")
        else:
            print(f"{name + ' ' + dev:<24}{mine:>12.3f}ms{float(p):>12.3f}ms{mine / float(p):>9.2f}x")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--table":
        table(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 2 and sys.argv[1] == "numpy":
        numpy_fmnist()
    else:
        peers()
