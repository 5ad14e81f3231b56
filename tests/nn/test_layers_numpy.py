"""The image layers' forward passes against numpy references written here
from the definitions (direct loops over windows, not im2col): Conv2D with
valid/same padding, strides, odd sizes and dilation; the max and average
pools (valid/same, padding excluded from averages); the global pools;
BatchNormalization in inference; Reshape. One cell script runs every case
through `cgpu-kernel exec` with the same inputs and weights."""
import ast
import math
import os
import subprocess

import numpy as np
import pytest

BUILD = os.environ.get("BUILD", "build")
KERNEL = os.path.join(os.path.dirname(__file__), "..", "..", BUILD, "cgpu-kernel")
RNG = np.random.default_rng(20261207)


def out_len(n, k, s, d, padding):
    """Keras's output length and the padding before the first element."""
    span = (k - 1) * d + 1
    if padding == "same":
        out = -(-n // s)
        return out, max((out - 1) * s + span - n, 0) // 2
    return (n - span) // s + 1, 0


def windows(x, k, s, d, padding):
    """Yields (oy, ox, [(y, x) inside the image]) for every output pixel."""
    _, h, w, _ = x.shape
    oh, pt = out_len(h, k[0], s[0], d[0], padding)
    ow, pl = out_len(w, k[1], s[1], d[1], padding)
    for oy in range(oh):
        for ox in range(ow):
            pts = []
            for i in range(k[0]):
                for j in range(k[1]):
                    y, xx = oy * s[0] - pt + i * d[0], ox * s[1] - pl + j * d[1]
                    pts.append((i, j, y, xx) if 0 <= y < h and 0 <= xx < w else None)
            yield oy, ox, oh, ow, pts


def conv_ref(x, kern, bias, s, d, padding):
    n, _, _, _ = x.shape
    res = None
    for oy, ox, oh, ow, pts in windows(x, kern.shape[:2], s, d, padding):
        if res is None:
            res = np.zeros((n, oh, ow, kern.shape[3]))
        for p in pts:
            if p is not None:
                i, j, y, xx = p
                res[:, oy, ox, :] += x[:, y, xx, :] @ kern[i, j]
    return res + bias


def pool_ref(x, k, s, padding, kind):
    n, _, _, c = x.shape
    res = None
    for oy, ox, oh, ow, pts in windows(x, k, s, (1, 1), padding):
        if res is None:
            res = np.zeros((n, oh, ow, c))
        vals = np.stack([x[:, p[2], p[3], :] for p in pts if p is not None])
        res[:, oy, ox, :] = vals.max(0) if kind == "max" else vals.mean(0)
    return res


def lit(a):
    return "array(%s, dtype='float32')" % repr(np.asarray(a, dtype=np.float64).tolist())


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


CASES = []


def case(name, shape, layer, weights, ref):
    CASES.append((name, shape, layer, weights, ref))


def conv_case(name, shape, filters, k, s=(1, 1), padding="valid", d=(1, 1)):
    kern = f32(RNG.normal(size=(k[0], k[1], shape[-1], filters)))
    bias = f32(RNG.normal(size=filters))
    layer = "Conv2D(%d, %r, strides=%r, padding=%r, dilation_rate=%r)" % (filters, tuple(k), tuple(s), padding, tuple(d))
    case(name, shape, layer, [kern, bias], lambda x: conv_ref(x, kern, bias, s, d, padding))


conv_case("conv valid 3x3 odd sizes", (7, 5, 3), 4, (3, 3))
conv_case("conv same (3,2) strides (2,1)", (6, 7, 2), 3, (3, 2), (2, 1), "same")
conv_case("conv same 4x4 stride 2 (odd padding total)", (7, 7, 1), 2, (4, 4), (2, 2), "same")
conv_case("conv same 2x2 (all padding below/right)", (5, 6, 2), 2, (2, 2), (1, 1), "same")
conv_case("conv valid dilation (2,2)", (9, 8, 2), 3, (3, 3), (1, 1), "valid", (2, 2))
conv_case("conv same dilation (2,3)", (6, 7, 2), 2, (3, 2), (1, 1), "same", (2, 3))
conv_case("conv 1x1", (4, 3, 5), 2, (1, 1))
for kind, cls in (("max", "MaxPooling2D"), ("avg", "AveragePooling2D")):
    for k, s, pad, shape in (((2, 2), None, "valid", (5, 7, 3)), ((3, 3), (2, 2), "same", (7, 6, 2)),
                             ((3, 2), (2, 1), "same", (5, 5, 2)), ((2, 3), (1, 2), "valid", (6, 7, 1))):
        layer = "%s(%r, strides=%r, padding=%r)" % (cls, k, s if s is None else tuple(s), pad)
        case("%s pool %s %s strides %s" % (kind, k, pad, s), shape, layer, None,
             (lambda k, s, pad, kind: lambda x: pool_ref(x, k, s or k, pad, kind))(k, s, pad, kind))
case("global average pool", (5, 3, 4), "GlobalAveragePooling2D()", None, lambda x: x.mean(axis=(1, 2)))
case("global max pool", (5, 3, 4), "GlobalMaxPooling2D()", None, lambda x: x.max(axis=(1, 2)))
bn_w = [f32(RNG.normal(size=3)), f32(RNG.normal(size=3)), f32(RNG.normal(size=3)), f32(RNG.uniform(0.5, 2, size=3))]
case("batch normalization (inference)", (4, 5, 3), "BatchNormalization(epsilon=0.01)", bn_w,
     lambda x: bn_w[0] * (x - bn_w[2]) / np.sqrt(bn_w[3] + 0.01) + bn_w[1])
case("reshape", (4, 6, 2), "Reshape((8, -1))", None, lambda x: x.reshape(x.shape[0], 8, 6))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    if not os.path.exists(KERNEL):
        pytest.fail("%s is missing (run make first)" % KERNEL)
    lines, inputs = [], []
    for i, (name, shape, layer, weights, _) in enumerate(CASES):
        x = f32(RNG.normal(size=(3,) + shape))
        inputs.append(x)
        lines.append("m = Sequential([Input(shape=%r), %s])" % (tuple(shape), layer))
        if weights is not None:
            lines.append("m.layers[0].set_weights([%s])" % ", ".join(lit(w) for w in weights))
        lines.append("print('CASE', %d, m.predict(%s, verbose=0).tolist())" % (i, lit(x)))
    script = tmp_path_factory.mktemp("nn") / "layers.cg"
    script.write_text("\n".join(lines) + "\n")
    r = subprocess.run([KERNEL, "exec", str(script)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    got = {}
    for line in r.stdout.splitlines():
        if line.startswith("CASE "):
            _, idx, rest = line.split(" ", 2)
            got[int(idx)] = np.array(ast.literal_eval(rest))
    return inputs, got


@pytest.mark.parametrize("i", range(len(CASES)), ids=[c[0] for c in CASES])
def test_forward_matches_numpy(outputs, i):
    inputs, got = outputs
    want = CASES[i][4](inputs[i])
    assert i in got, "case %d printed nothing" % i
    assert got[i].shape == want.shape
    np.testing.assert_allclose(got[i], want, rtol=1e-4, atol=1e-4)
