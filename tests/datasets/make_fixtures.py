"""Small data-set files in the real formats, for tests/datasets/suite.sh.

    make_fixtures.py OUT

OUT/datasets/            a $CGPU_DATASETS folder: fashion-mnist/ (gzipped IDX),
                         mnist.npz (numpy's savez), cifar-10-binary.tar.gz
OUT/plain/               the same Fashion-MNIST IDX files, not gzipped
OUT/cifar-10-batches-bin/  the CIFAR batches, extracted
OUT/bad/...              corrupt and truncated variants
OUT/mirror/              what the local HTTP server serves (CGPU_DATASETS_URL)

Values follow formulas the .cgt files recompute: image n, row r, column c
(channel k) holds (n*31 + r*7 + c*3 + k*11) % 256; label n is (n*7) % 10 for
Fashion-MNIST, (n*3) % 10 for MNIST, (n*9) % 10 for CIFAR-10 (batches
numbered through, test from 0).
"""
import gzip
import io
import os
import shutil
import sys
import tarfile
import zipfile

import numpy as np


def images(n, h, w, ch=None):
    i = np.arange(n)[:, None, None]
    r = np.arange(h)[None, :, None]
    c = np.arange(w)[None, None, :]
    x = i * 31 + r * 7 + c * 3
    if ch is not None:
        x = x[..., None] + np.arange(ch)[None, None, None, :] * 11
    return (x % 256).astype(np.uint8)


def idx_bytes(a):
    head = bytes([0, 0, 0x08, a.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in a.shape)
    return head + a.tobytes()


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main(out):
    # Fashion-MNIST: 600 train, 100 test
    fm = {
        "train-images-idx3-ubyte": images(600, 28, 28),
        "train-labels-idx1-ubyte": (np.arange(600) * 7 % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte": images(100, 28, 28),
        "t10k-labels-idx1-ubyte": (np.arange(100) * 7 % 10).astype(np.uint8),
    }
    for name, a in fm.items():
        raw = idx_bytes(a)
        gz = gzip.compress(raw, mtime=0)
        write(f"{out}/datasets/fashion-mnist/{name}.gz", gz)
        write(f"{out}/mirror/{name}.gz", gz)
        write(f"{out}/plain/{name}", raw)
        if name.startswith("train-images"):
            write(f"{out}/bad/truncated-gz/{name}.gz", gz[: len(gz) // 2])
            damaged = bytearray(gz)
            for k in range(40, len(damaged) - 10, 97):
                damaged[k] ^= 0x55
            write(f"{out}/bad/corrupt-gz/{name}.gz", bytes(damaged))
            write(f"{out}/bad/truncated-idx/{name}", raw[:-100])
            write(f"{out}/bad/not-idx/{name}", b"<html>not found</html>" + raw[22:])
        else:
            for d in ("truncated-gz", "corrupt-gz", "truncated-idx", "not-idx"):
                write(f"{out}/bad/{d}/{name}" + (".gz" if "gz" in d else ""), gz if "gz" in d else raw)

    # MNIST as Keras ships it: mnist.npz from numpy's savez
    mn = dict(x_train=images(50, 28, 28), y_train=(np.arange(50) * 3 % 10).astype(np.uint8),
              x_test=images(20, 28, 28), y_test=(np.arange(20) * 3 % 10).astype(np.uint8))
    buf = io.BytesIO()
    np.savez(buf, **mn)
    write(f"{out}/datasets/mnist.npz", buf.getvalue())
    write(f"{out}/mirror/mnist.npz", buf.getvalue())
    buf = io.BytesIO()
    np.savez_compressed(buf, **mn)
    write(f"{out}/compressed/mnist.npz", buf.getvalue())
    buf = io.BytesIO()
    np.savez(buf, x_train=mn["x_train"], y_train=mn["y_train"], x_test=mn["x_test"])
    write(f"{out}/bad/npz-missing/mnist.npz", buf.getvalue())
    buf = io.BytesIO()
    np.savez(buf, **dict(mn, x_train=mn["x_train"].astype(np.float32)))
    write(f"{out}/bad/npz-float/mnist.npz", buf.getvalue())
    write(f"{out}/bad/npz-truncated/mnist.npz", open(f"{out}/datasets/mnist.npz", "rb").read()[:30000])

    # CIFAR-10 binary: 5 train batches of 8 records, a test batch of 6
    def batch(first, count):
        x = images(first + count, 32, 32, 3)[first:]          # (n, 32, 32, 3)
        y = (np.arange(first, first + count) * 9 % 10).astype(np.uint8)
        planes = x.transpose(0, 3, 1, 2).reshape(count, 3072)  # R, G, B planes
        return np.concatenate([y[:, None], planes], axis=1).astype(np.uint8).tobytes()

    names = [f"data_batch_{k}.bin" for k in range(1, 6)] + ["test_batch.bin"]
    batches = {n: batch(8 * k, 8) for k, n in enumerate(names[:5])}
    batches["test_batch.bin"] = batch(0, 6)
    tgz = io.BytesIO()
    with tarfile.open(fileobj=tgz, mode="w:gz") as t:
        for n in names:
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{n}")
            info.size = len(batches[n])
            info.mtime = 0
            t.addfile(info, io.BytesIO(batches[n]))
        info = tarfile.TarInfo("cifar-10-batches-bin/readme.html")
        info.size = 5
        t.addfile(info, io.BytesIO(b"hello"))
    write(f"{out}/datasets/cifar-10-binary.tar.gz", tgz.getvalue())
    write(f"{out}/mirror/cifar-10-binary.tar.gz", tgz.getvalue())
    write(f"{out}/bad/cifar-tgz-truncated/cifar-10-binary.tar.gz", tgz.getvalue()[: len(tgz.getvalue()) // 2])
    for n in names:
        write(f"{out}/cifar-10-batches-bin/{n}", batches[n])
        write(f"{out}/bad/cifar-short/cifar-10-batches-bin/{n}", batches[n][:-1] if n == "test_batch.bin" else batches[n])
    os.makedirs(f"{out}/pickled/cifar-10-batches-py", exist_ok=True)
    write(f"{out}/pickled/cifar-10-batches-py/data_batch_1", b"\x80\x04pickle")

    # a plain file for get_file (its SHA-256 is fixed: the text is)
    write(f"{out}/mirror/hello.txt", b"hello from the class mirror\n")
    os.makedirs(f"{out}/empty", exist_ok=True)


if __name__ == "__main__":
    main(sys.argv[1])
