"""numpy's rate on the convolutions of conv_bench.c's `layers`: the same
shapes (batch 64, channels last), forward as im2col (sliding windows
copied into a (N*OH*OW, kh*kw*C) matrix) + matmul, backward as
dW = windows.T @ dY, d(windows) = dY @ W.T and col2im (a sum of shifted
slices); FLOPs count the products only. Also numpy's SGEMM on the forward
product's shape. Median of 5 after a warm-up. Prints conv_bench's format
with a peer= prefix:
  peer conv shape=... fwd_gflops=... bwd_gflops=... sgemm_gflops=...
"""
import time

import numpy as np

SHAPES = [("fashion_conv1_28x28x1_k3_f32", 28, 28, 1, 3, 32, "valid"),
          ("tutorial_conv2_15x15x32_k3_f64", 15, 15, 32, 3, 64, "valid"),
          ("cifar_same_32x32x32_k3_f32", 32, 32, 32, 3, 32, "same"),
          ("cifar_same_16x16x64_k3_f64", 16, 16, 64, 3, 64, "same")]
N, REPS = 64, 5


def im2col(xp, k, oh, ow):
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(1, 2))  # (N, OH, OW, C, k, k)
    return np.ascontiguousarray(win[:, :oh, :ow].transpose(0, 1, 2, 4, 5, 3)).reshape(N * oh * ow, -1)


def col2im(cols, shape, k, oh, ow):
    n, hp, wp, c = shape
    dxp = np.zeros(shape, np.float32)
    cols = cols.reshape(n, oh, ow, k, k, c)
    for i in range(k):
        for j in range(k):
            dxp[:, i:i + oh, j:j + ow, :] += cols[:, :, :, i, j, :]
    return dxp


def median(f):
    f()
    t = []
    for _ in range(REPS):
        t0 = time.perf_counter()
        f()
        t.append(time.perf_counter() - t0)
    return sorted(t)[REPS // 2]


def main():
    rng = np.random.default_rng(0)
    print("peer numpy=%s" % np.__version__)
    for name, h, w, c, k, f, pad in SHAPES:
        p = (k - 1) // 2 if pad == "same" else 0
        oh, ow = h + 2 * p - k + 1, w + 2 * p - k + 1
        x = rng.standard_normal((N, h, w, c), dtype=np.float32)
        wt = rng.standard_normal((k * k * c, f), dtype=np.float32)
        dy = rng.standard_normal((N * oh * ow, f), dtype=np.float32)
        xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        cols = im2col(xp, k, oh, ow)

        def fwd():
            return im2col(np.pad(x, ((0, 0), (p, p), (p, p), (0, 0))), k, oh, ow) @ wt

        def bwd():
            cl = im2col(np.pad(x, ((0, 0), (p, p), (p, p), (0, 0))), k, oh, ow)
            cl.T @ dy
            return col2im(dy @ wt.T, xp.shape, k, oh, ow)

        fl = 2.0 * cols.shape[0] * cols.shape[1] * f
        tf, tb, tg = median(fwd), median(bwd), median(lambda: cols @ wt)
        print("peer conv shape=%s batch=%d fwd_gflops=%.2f bwd_gflops=%.2f sgemm_gflops=%.2f" %
              (name, N, fl / tf * 1e-9, 2 * fl / tb * 1e-9, fl / tg * 1e-9), flush=True)


if __name__ == "__main__":
    main()
