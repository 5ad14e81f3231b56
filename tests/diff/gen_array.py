#!/usr/bin/python3
"""Differential tests of C-GPU's arrays against numpy.

Generates random array programs (random shapes including 0-d, size-0 and
odd sizes; every dtype; Python numbers as weak scalars; valid and invalid
broadcasting; operators, element-wise functions, maximum/minimum/where/clip,
reductions over every axis with and without keepdims, slicing and views,
reshape/transpose/flatten/expand_dims/squeeze/concatenate/stack, astype, printing; nan, inf and
-0.0), runs them in C-GPU (`cgpu-kernel exec`, one cell per case) and
computes the expected result with numpy (Debian's python3-numpy 1.24).

numpy 1.24 promotes Python numbers by value; C-GPU follows numpy 2's NEP 50
(a Python number is weak: the array's dtype wins unless the number's kind is
higher). The reference applies NEP 50 itself: numbers become np.asarray with
the dtype the rule gives. Then C-GPU's documented differences are applied,
each listed once in DIFFERENCES with its line in kernel/lang/REFERENCE.md.

Compared: error versus error (any exception on both sides counts as
agreement), kind (array or Python number), dtype, shape, and values:
integers and bools exactly; floats with FLOAT32_RTOL/FLOAT64_RTOL relative
to the magnitude of the operands (reductions: to the sum of magnitudes),
NaN equal to NaN, infinities exactly, and the sign of zero in element-wise
results. Printing cases compare str() and repr() text exactly.

Usage: gen_array.py --cgpu BUILD/cgpu-kernel [--seed S] [--count N]
Prints each divergence as a minimal one-cell repro, then
"N passed, N failed, N skipped".
"""
import argparse
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import warnings

import numpy as np

warnings.simplefilter("ignore")

# float32 results: |got - want| <= FLOAT32_RTOL * scale, where scale is
# max(1, |want|, magnitude of the operands) (reductions: the sum of |x|).
FLOAT32_RTOL = 2e-6
FLOAT64_RTOL = 1e-12

# C-GPU's documented differences from numpy (2's promotion rule), each
# applied by the reference below; the REFERENCE.md line says why.
DIFFERENCES = {
    "float32-default": "kernel/lang/REFERENCE.md: Dtype promotion: where numpy gives float64 from "
                       "ints or bools (int32 + float32, x / 255, mean of ints), C-GPU gives float32",
    "int32-default": "kernel/lang/REFERENCE.md: Dtype promotion: a Python int beside a bool array "
                     "gives int32 (numpy: int64); two Python numbers give int32/float32",
    "no-small-types": "kernel/lang/REFERENCE.md: Dtype promotion: no float16/int8/uint64: bool // bool "
                      "is int32 (numpy int8), exp of uint8 float32 (numpy float16), sum of uint8 "
                      "int64 (numpy uint64)",
    "int-zero-division": "kernel/lang/REFERENCE.md: Arrays, Arithmetic: integer // and % by zero raise "
                         "ZeroDivisionError (numpy warns and gives 0)",
    "argmax-int32": "kernel/lang/REFERENCE.md: Dtype promotion (reductions): argmax/argmin give int32 (numpy int64)",
    "element-number": "kernel/lang/REFERENCE.md: Arrays, Indexing: an index that picks one element gives a Python "
                      "number (numpy: a numpy scalar; float32 rounded to its shortest text), so "
                      "arithmetic on it is Python's",
    "floor-int": "kernel/lang/REFERENCE.md: Element-wise functions: floor/ceil of integers give "
                 "float32 (numpy 1.24: float64)",
    "overflow-valueerror": "kernel/lang/REFERENCE.md: Dtype promotion: a Python int out of the "
                           "array's range raises ValueError (numpy 2: OverflowError); errors are "
                           "compared as error versus error",
    "host-numbers": "kernel/lang/REFERENCE.md: Reductions: over all axes the result is a Python "
                    "number (numpy: a numpy scalar); either agrees with a 0-d result",
}

DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]
KIND = {"bool": 0, "uint8": 1, "int32": 1, "int64": 1, "float32": 2, "float64": 2}
INFO = {"uint8": (0, 255), "int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1)}


class Fail(Exception):
    """The reference raises: C-GPU must raise too."""


# ---- the promotion rule, derived from numpy with the documented differences ----

def cgpu_of(np_dtype, inputs):
    """numpy's result dtype -> C-GPU's (DIFFERENCES float32-default, no-small-types)."""
    t = np.dtype(np_dtype).name
    if t == "float16":
        t = "float32"
    if t in ("int8", "int16"):
        t = "int32"
    if t == "uint64":
        t = "int64"
    if t == "float64" and "float64" not in inputs:
        t = "float32"
    return t


def promote(a, b):
    return cgpu_of(np.result_type(np.dtype(a), np.dtype(b)), [a, b])


def promote_weak(a, kind):
    """NEP 50: the array's dtype unless the number's kind is higher; then the
    kind's default: int32 (int32-default) or float64 (-> float32)."""
    if KIND[a] >= kind:
        return a
    return cgpu_of(np.result_type(np.dtype(a), [np.bool_, np.int32, np.float64][kind]), [a])


# ---- operands --------------------------------------------------------------------

def rand_value(rng, dt, special):
    if dt == "bool":
        return rng.random() < 0.5
    if dt == "uint8":
        return rng.choice([0, 1, 2, 7, 128, 200, 255, rng.randrange(256)])
    if dt in ("int32", "int64"):
        big = 2**31 - 1 if dt == "int32" else 2**40
        return rng.choice([0, 1, -1, 2, -3, 7, 100, -100, big, -big, rng.randrange(-1000, 1000)])
    if special and rng.random() < 0.25:
        return rng.choice([math.nan, math.inf, -math.inf, -0.0, 0.0])
    v = rng.choice([0.5, -1.5, 2.0, 3.25, -0.75, 1e-3, 1e6, rng.uniform(-10, 10), rng.uniform(-1e3, 1e3)])
    return float(np.float32(v)) if dt == "float32" else v


def rand_shape(rng):
    r = rng.random()
    if r < 0.12:
        return ()
    if r < 0.2:
        return tuple(rng.choice([[0], [0, 3], [2, 0], [3, 0, 2]]))
    nd = rng.choice([1, 1, 2, 2, 3])
    return tuple(rng.choice([1, 2, 3, 5, 7]) for _ in range(nd))


def lit(v):
    if isinstance(v, bool):
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if math.isnan(v):
        return 'float("nan")'
    if math.isinf(v):
        return 'float("inf")' if v > 0 else 'float("-inf")'
    return repr(v)


class Arr:
    """An operand array: its numpy value and its C-GPU source text."""

    def __init__(self, rng, dt=None, shape=None, special=True):
        self.dt = dt or rng.choice(DTYPES)
        self.shape = rand_shape(rng) if shape is None else shape
        n = int(np.prod(self.shape)) if self.shape else 1
        vals = [rand_value(rng, self.dt, special) for _ in range(n)]
        self.np = np.array(vals, dtype=self.dt).reshape(self.shape)
        if self.shape == ():
            self.src = 'array(%s, dtype="%s")' % (lit(vals[0]), self.dt)
        else:
            self.src = 'array([%s], dtype="%s").reshape(%s)' % (", ".join(lit(v) for v in vals), self.dt,
                                                                 repr(self.shape))


class Num:
    """A Python number (a weak scalar)."""

    def __init__(self, rng, kind=None):
        self.kind = rng.choice([0, 1, 1, 2, 2]) if kind is None else kind
        if self.kind == 0:
            self.v = rng.random() < 0.5
        elif self.kind == 1:
            self.v = rng.choice([0, 1, 2, -1, 3, 5, 255, 300, -7, 2**31, 2**40])
        else:
            self.v = rng.choice([0.5, 2.0, -0.0, 1e10, -2.5, math.nan, math.inf, 0.1])
        self.src = lit(self.v)


def weak_array(num, other_dt, exact_compare=False):
    """The number as numpy array of the dtype NEP 50 gives it beside other_dt."""
    t = promote_weak(other_dt, num.kind)
    if num.kind == 1 and t in INFO:
        lo, hi = INFO[t]
        if not lo <= num.v <= hi:
            if exact_compare:
                return np.asarray(num.v, dtype="float64"), "float64"
            raise Fail("Python integer out of bounds")
    return np.asarray(num.v, dtype=t), t


def check_broadcast(*shapes):
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise Fail("broadcast")


# ---- cases: each returns (source expression or statements, reference function) ----

BINOPS = ["+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=", ">", ">="]
NPBIN = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "//": np.floor_divide,
         "%": np.remainder, "**": np.power, "==": np.equal, "!=": np.not_equal, "<": np.less,
         "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


def binary_ref(op, x, xdt, y, ydt):
    """x op y for numpy arrays already in C-GPU's operand dtypes."""
    cmp = op in ("==", "!=", "<", "<=", ">", ">=")
    t = promote(xdt, ydt)
    if cmp:
        return NPBIN[op](x.astype(t), y.astype(t)), "bool"
    if t == "bool":
        if op == "-":
            raise Fail("boolean subtract")
        if op in ("+", "*"):
            return NPBIN[op](x, y), "bool"
    if op == "/":
        out = t if t in ("float32", "float64") else "float32"
        return np.true_divide(x.astype(out), y.astype(out)), out
    t = cgpu_of(NPBIN[op](np.ones(1, xdt), np.ones(1, ydt)).dtype, [xdt, ydt])
    xx, yy = x.astype(t), y.astype(t)
    if t not in ("float32", "float64"):
        if op in ("//", "%") and (yy == 0).any():
            raise Fail("integer division by zero")  # int-zero-division
        if op == "**" and (yy < 0).any():
            raise Fail("negative integer power")
    return NPBIN[op](xx, yy).astype(t), t


def case_binary(rng):
    op = rng.choice(BINOPS)
    a = Arr(rng)
    r = rng.random()
    if r < 0.35:
        n = Num(rng)
        left = rng.random() < 0.3
        ns = "(%s)" % n.src if n.src.startswith("-") else n.src
        src = "%s %s %s" % ((ns, op, "(%s)" % a.src) if left else ("(%s)" % a.src, op, ns))

        def ref():
            cmp = op in ("==", "!=", "<", "<=", ">", ">=")
            w, wt = weak_array(n, a.dt, exact_compare=cmp)
            return binary_ref(op, w, wt, a.np, a.dt) if left else binary_ref(op, a.np, a.dt, w, wt)
        return src, ref, [a.np]
    if r < 0.6:
        b = Arr(rng, shape=a.shape if rng.random() < 0.5 else None)
    else:  # broadcasting: a trailing part of a's shape, with some axes set to 1
        sh = list(a.shape[rng.randrange(len(a.shape) + 1):]) if a.shape else []
        sh = [1 if rng.random() < 0.3 else d for d in sh]
        b = Arr(rng, shape=tuple(sh))
    if rng.random() < 0.5:
        a, b = b, a

    def ref():
        check_broadcast(a.shape, b.shape)
        return binary_ref(op, a.np, a.dt, b.np, b.dt)
    return "(%s) %s (%s)" % (a.src, op, b.src), ref, [a.np, b.np]


UNARY = ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "floor", "ceil", "abs", "neg"]


def unary_ref(f, x, dt):
    if f == "neg":
        if dt == "bool":
            raise Fail("boolean negative")
        return np.negative(x), dt
    if f == "abs":
        return np.abs(x), dt
    if f == "relu":
        t = promote_weak(dt, 1)
        xx = x.astype(t)
        return np.where(xx > 0, xx, np.where(np.isnan(xx.astype("float64")), xx, 0)).astype(t), t
    t = dt if dt in ("float32", "float64") else "float32"  # float32-default, no-small-types, floor-int
    xx = x.astype(t)
    if f == "sigmoid":
        return (1 / (1 + np.exp(-xx.astype("float64")))).astype(t), t
    return getattr(np, f)(xx), t


def case_unary_number(rng):
    """An element-wise function of a Python number gives a Python number,
    computed in float64 as numpy computes it on np.float64."""
    f = rng.choice([u for u in UNARY if u not in ("abs", "neg")])
    n = Num(rng, rng.choice([1, 2]))

    def ref():
        if f == "relu":
            r = n.v if (n.v > 0 or n.v != n.v) else 0 * n.v if isinstance(n.v, int) else 0.0
            return np.asarray(r), "int64" if isinstance(n.v, int) else "float64"
        x = np.float64(n.v)
        r = 1 / (1 + np.exp(-x)) if f == "sigmoid" else getattr(np, f)(x)
        return np.asarray(r), "float64"
    return "%s(%s)" % (f, n.src), ref, [], "reduce"


def case_unary(rng):
    f = rng.choice(UNARY)
    a = Arr(rng)
    src = "-(%s)" % a.src if f == "neg" else ("abs(%s)" % a.src if f == "abs" else "%s(%s)" % (f, a.src))
    return src, lambda: unary_ref(f, a.np, a.dt), [a.np]


def operand(rng, shape):
    if rng.random() < 0.4:
        return Num(rng)
    return Arr(rng, shape=shape if rng.random() < 0.7 else None)


def as_ref(o, other_dt):
    if isinstance(o, Num):
        return weak_array(o, other_dt) if other_dt else (np.asarray(o.v, dtype=["bool", "int32", "float32"][o.kind]),
                                                         ["bool", "int32", "float32"][o.kind])
    return o.np, o.dt


def pair_ref(x, y):
    """Two operands of where/maximum/minimum as numpy arrays and dtypes."""
    if isinstance(x, Num) and isinstance(y, Num):
        k = max(x.kind, y.kind)
        t = ["bool", "int32", "float32"][k]  # int32-default, float32-default
        return np.asarray(x.v, t), t, np.asarray(y.v, t), t
    xv, xt = as_ref(x, None if isinstance(x, Num) else None) if not isinstance(x, Num) else weak_array(x, y.dt)
    yv, yt = as_ref(y, None) if not isinstance(y, Num) else weak_array(y, x.dt)
    return xv, xt, yv, yt


def case_select(rng):
    a = Arr(rng)
    kind = rng.choice(["maximum", "minimum", "where", "clip"])
    if kind == "clip":
        lo = rng.choice([None, Num(rng, rng.choice([1, 2]))])
        hi = rng.choice([None, Num(rng, rng.choice([1, 2]))])
        if lo is None and hi is None:
            hi = Num(rng, 1)
        src = "clip(%s, %s, %s)" % (a.src, lo.src if lo else "None", hi.src if hi else "None")

        def ref():
            r, t = a.np, a.dt
            for b, f in ((lo, np.maximum), (hi, np.minimum)):
                if b is not None:
                    w, wt = weak_array(b, t)
                    t2 = promote(t, wt)
                    r, t = f(r.astype(t2), w.astype(t2)), t2
            return r, t
        return src, ref, [a.np]
    x, y = operand(rng, a.shape), operand(rng, a.shape)
    if kind == "where":
        src = "where(%s, %s, %s)" % (a.src, x.src, y.src)

        def ref():
            xv, xt, yv, yt = pair_ref(x, y)
            check_broadcast(a.shape, xv.shape, yv.shape)
            t = promote(xt, yt)
            return np.where(a.np.astype(bool), xv.astype(t), yv.astype(t)), t
        return src, ref, [a.np]
    x = a
    src = "%s(%s, %s)" % (kind, x.src, y.src)

    def ref():
        xv, xt, yv, yt = pair_ref(x, y)
        check_broadcast(xv.shape, yv.shape)
        t = promote(xt, yt)
        return getattr(np, kind)(xv.astype(t), yv.astype(t)), t
    return src, ref, [a.np]


REDUCTIONS = ["sum", "mean", "max", "min", "argmax", "argmin", "var", "std", "any", "all"]


def case_reduce(rng):
    a = Arr(rng, special=rng.random() < 0.3)
    f = rng.choice(REDUCTIONS)
    nd = len(a.shape)
    axis = rng.choice([None] + list(range(-nd - 1, nd + 1)))
    keep = rng.random() < 0.4
    args = []
    if axis is not None:
        args.append("axis=%d" % axis)
    if keep:
        args.append("keepdims=True")
    if f in ("mean", "std", "var", "argmax", "argmin") and rng.random() < 0.3:
        src = "%s(%s)" % (f, ", ".join([a.src] + args))  # the function form
    else:
        src = "(%s).%s(%s)" % (a.src, f, ", ".join(args))

    def ref():
        if axis is not None and not -nd <= axis < nd:
            raise Fail("axis")
        x = a.np
        if f in ("any", "all"):
            return getattr(np, f)(x, axis=axis, keepdims=keep), "bool"
        if f in ("argmax", "argmin"):
            if x.size == 0 and (axis is None or x.shape[axis] == 0):
                raise Fail("empty")
            r = getattr(np, f)(x, axis=axis)
            if keep:
                r = np.expand_dims(r, axis if axis is not None else tuple(range(nd)))
            return r.astype("int32"), "int32"  # argmax-int32
        if f in ("max", "min"):
            if x.size == 0 and (axis is None or x.shape[axis] == 0):
                raise Fail("empty")
            return getattr(np, f)(x, axis=axis, keepdims=keep), a.dt
        if f == "sum":
            t = cgpu_of(np.sum(np.zeros(0, a.dt)).dtype, [a.dt])
            return np.sum(x.astype("float64" if KIND[a.dt] == 2 else "int64"), axis=axis, keepdims=keep), t
        t = a.dt if a.dt in ("float32", "float64") else "float32"
        return getattr(np, f)(x.astype("float64"), axis=axis, keepdims=keep), t
    return src, ref, [a.np], "reduce"


def rand_index(rng, shape):
    idx = []
    for d in shape[:rng.randrange(len(shape) + 1)] if shape else []:
        r = rng.random()
        if r < 0.3:
            idx.append((rng.randrange(-d - 1, d + 1) if d else 0,))
        elif r < 0.45:
            idx.append(None)
        else:
            idx.append(slice(rng.choice([None, 0, 1, -1, -2, 3]), rng.choice([None, 2, -1, 5, 0]),
                             rng.choice([None, 1, 2, -1, -2])))
    if rng.random() < 0.15:
        idx.append(None)
    return tuple(idx)


def idx_src(idx):
    parts = []
    for e in idx:
        if e is None:
            parts.append("None")
        elif isinstance(e, tuple):
            parts.append(str(e[0]))
        else:
            parts.append("%s:%s%s" % ("" if e.start is None else e.start, "" if e.stop is None else e.stop,
                                      "" if e.step is None else ":%d" % e.step))
    return ", ".join(parts) if parts else ":"


def idx_np(idx):
    return tuple(e[0] if isinstance(e, tuple) else e for e in idx) if idx else slice(None)


def case_view(rng):
    a = Arr(rng, shape=rand_shape(rng) or (3,))
    idx = rand_index(rng, a.shape)
    kind = rng.random()
    if kind < 0.5:
        src = "(%s)[%s]" % (a.src, idx_src(idx))
        return src, lambda: (np.asarray(a.np[idx_np(idx)]), a.dt), [a.np]
    if kind < 0.8:  # a view in an expression
        n = Num(rng, 1)
        src = "(%s)[%s] * %s" % (a.src, idx_src(idx), n.src)

        def ref():
            v = a.np[idx_np(idx)]
            if np.ndim(v) == 0:  # element-number: one element is a Python number
                e = float(str(v)) if a.dt == "float32" else v.item()  # float32: its shortest text
                r = e * n.v
                return np.asarray(r), "int64" if isinstance(r, int) else "float64"
            w, wt = weak_array(n, a.dt)
            return binary_ref("*", np.asarray(v), a.dt, w, wt)
        return src, ref, [a.np]
    # writing through a view changes the base
    n = Num(rng, 1)
    src = "a = %s\nv = a[%s]\nv[:] = %s\nr = a" % (a.src, idx_src(idx), n.src)

    def ref():
        base = a.np.copy()
        v = base[idx_np(idx)]
        if not isinstance(v, np.ndarray) or v.ndim == 0:
            raise Fail("a 0-d index gives a number")
        if a.dt in INFO and not INFO[a.dt][0] <= n.v <= INFO[a.dt][1]:
            raise Fail("Python integer out of bounds")  # numpy 2's OverflowError
        v[:] = n.v
        return base, a.dt
    return src, ref, [a.np], "stmt"


def case_shape(rng):
    a = Arr(rng, special=False)
    nd = len(a.shape)
    r = rng.random()
    if r < 0.3:
        sizes = [a.np.size, 1] + ([a.np.size // 2] if a.np.size % 2 == 0 else [])
        new = rng.choice([(a.np.size,), (-1,), (1, -1), (-1, 1), (2, -1), (a.np.size, 1, 1), (3, 2), ()])
        src = "(%s).reshape(%s)" % (a.src, repr(new))

        def ref():
            try:
                return a.np.reshape(new), a.dt
            except ValueError:
                raise Fail("reshape")
        return src, ref, [a.np]
    if r < 0.55:
        perm = list(range(nd))
        rng.shuffle(perm)
        perm = [p - nd if rng.random() < 0.4 else p for p in perm]
        if rng.random() < 0.1 and nd:
            perm = perm[:-1]
        src = "transpose(%s, %s)" % (a.src, repr(tuple(perm)))

        def ref():
            try:
                return np.transpose(a.np, perm), a.dt
            except ValueError:
                raise Fail("axes")
        return src, ref, [a.np]
    if r < 0.65:
        return "(%s).flatten()" % a.src, lambda: (a.np.flatten(), a.dt), [a.np]
    if r < 0.75:
        axis = rng.randrange(-nd - 2, nd + 2)
        if rng.random() < 0.5:
            def ref():
                try:
                    return np.expand_dims(a.np, axis), a.dt
                except np.AxisError:
                    raise Fail("axis")
            return "expand_dims(%s, %d)" % (a.src, axis), ref, [a.np]
        ax = None if rng.random() < 0.5 else axis

        def ref():
            try:
                return np.squeeze(a.np, axis=ax), a.dt
            except (ValueError, np.AxisError):
                raise Fail("squeeze")
        return "squeeze(%s%s)" % (a.src, "" if ax is None else ", axis=%d" % ax), ref, [a.np]
    b = Arr(rng, shape=a.shape if rng.random() < 0.7 else None, special=False)
    f = rng.choice(["concatenate", "stack"])
    axis = rng.randrange(-nd - 1, nd + 2)
    src = "%s([%s, %s], axis=%d)" % (f, a.src, b.src, axis)

    def ref():
        t = promote(a.dt, b.dt)
        try:
            return getattr(np, f)([a.np.astype(t), b.np.astype(t)], axis=axis), t
        except (ValueError, np.AxisError):
            raise Fail(f)
    return src, ref, [a.np, b.np]


def case_astype(rng):
    a = Arr(rng)
    t = rng.choice(DTYPES)
    return '(%s).astype("%s")' % (a.src, t), lambda: (a.np.astype(t), t), [a.np]


def case_print(rng):
    a = Arr(rng)
    if rng.random() < 0.3:  # values of every magnitude
        a.np = (a.np.astype("float64") * rng.choice([1e-9, 1e-3, 1e5, 1e17, 2.0**87])).astype(a.dt) \
            if KIND[a.dt] == 2 else a.np
        a.src = 'array([%s], dtype="%s").reshape(%s)' % (", ".join(lit(float(v)) for v in a.np.ravel()), a.dt,
                                                          repr(a.shape)) if a.shape else \
            'array(%s, dtype="%s")' % (lit(float(a.np)), a.dt)
    src = "print(%s)\nprint(repr(%s))" % (a.src, a.src)
    a.np = np.asarray(a.np)
    return src, lambda: (str(a.np) + "\n" + repr(a.np)), [a.np], "print"


CASES = [(case_binary, 5), (case_unary, 2), (case_unary_number, 0.5), (case_select, 3), (case_reduce, 4), (case_view, 2),
         (case_shape, 2), (case_astype, 2), (case_print, 1)]


def make_case(rng):
    total = sum(w for _, w in CASES)
    r = rng.uniform(0, total)
    for f, w in CASES:
        r -= w
        if r <= 0:
            break
    c = f(rng)
    return {"src": c[0], "ref": c[1], "inputs": c[2], "mode": c[3] if len(c) > 3 else "expr", "select": f is case_select}


# ---- running C-GPU ----------------------------------------------------------------

PRELUDE = '''def show(r):
    if isinstance(r, bool):
        print("@S bool", r)
    elif isinstance(r, int):
        print("@S int", r)
    elif isinstance(r, float):
        print("@S float", repr(r))
    else:
        print("@A", r.dtype, r.shape, r.tolist())
'''


def cell_of(case, k):
    if case["mode"] == "print":
        body = case["src"]
    elif case["mode"] == "stmt":
        body = case["src"] + "\nshow(r)"
    else:
        body = "show(%s)" % case["src"]
    return 'print("@@ %d")\n%s\nprint("@@ end")\n' % (k, body)


def run_cgpu(binary, cases):
    """Outputs per case index: ("ok", text) or ("error", message)."""
    results = {}
    start = 0
    while start < len(cases):
        with tempfile.NamedTemporaryFile("w", suffix=".cg", delete=False) as f:
            f.write(PRELUDE)
            for k in range(start, len(cases)):
                f.write("# %%\n" + cell_of(cases[k], k))
            path = f.name
        try:
            p = subprocess.run([binary, "exec", path], capture_output=True, text=True, timeout=600)
        finally:
            os.unlink(path)
        chunks = re.split(r"^@@ (\d+)\n", p.stdout, flags=re.M)
        last = start - 1
        for i in range(1, len(chunks), 2):
            k = int(chunks[i])
            text = chunks[i + 1]
            if text.endswith("@@ end\n"):
                results[k] = ("ok", text[:-len("@@ end\n")])
                last = k
            else:
                msg = p.stderr.strip().splitlines()
                results[k] = ("error", (msg[-1] if msg else "no output (exit %d)" % p.returncode), text)
                last = k
        m = re.search(r"error in .*?, cell (\d+)", p.stderr)
        if m and int(m.group(1)) >= 2:  # the failing cell (1 is the prelude), e.g. a SyntaxError
            k = start + int(m.group(1)) - 2
            if k > last and k < len(cases):
                msg = p.stderr.strip().splitlines()
                results[k] = ("error", msg[-1] if msg else "error", "")
                last = k
        if last < start:  # nothing ran: the prelude or the process failed
            for k in range(start, len(cases)):
                results[k] = ("error", "C-GPU did not run: " + p.stderr.strip()[-300:], "")
            break
        start = last + 1
    return results


# ---- comparing --------------------------------------------------------------------

def parse_list(text):
    return eval(text, {"__builtins__": {}}, {"nan": math.nan, "inf": math.inf, "True": True, "False": False})


def scale_of(case, want):
    s = 1.0
    for x in case["inputs"]:
        if x.size and KIND[x.dtype.name] == 2:
            f = np.abs(x.astype("float64"))
            f = f[np.isfinite(f)]
            if f.size:
                s = max(s, float(f.sum() if case["mode"] == "reduce" else f.max()))
        elif x.size:
            s = max(s, float(np.abs(x.astype("float64")).sum() if case["mode"] == "reduce"
                             else np.abs(x.astype("float64")).max()))
    return s


def values_differ(got, want, dt, scale, signed_zero):
    g = np.array(got, dtype="float64").ravel() if not isinstance(got, (int, float, bool)) \
        else np.array([got], dtype="float64")
    w = np.asarray(want).astype("float64").ravel()
    if KIND[dt] < 2:
        gi = np.array(got, dtype=object).ravel() if not isinstance(got, (int, bool)) else np.array([got], dtype=object)
        wi = np.asarray(want).astype(dt).ravel().tolist()
        return [x for x in zip(gi.tolist(), wi) if int(x[0]) != int(x[1])][:1]
    tol = (FLOAT32_RTOL if dt == "float32" else FLOAT64_RTOL) * scale
    bad = []
    for x, y in zip(g, w):
        if math.isnan(y) or math.isnan(x):
            ok = math.isnan(x) and math.isnan(y)
        elif math.isinf(y) or math.isinf(x):
            ok = x == y
        else:
            ok = abs(x - y) <= tol + FLOAT32_RTOL * abs(y) * (1 if dt == "float32" else 1e-6)
            if ok and signed_zero and y == 0 and x == 0:
                ok = math.copysign(1, x) == math.copysign(1, y)
        if not ok:
            bad.append((x, y))
            break
    return bad


def compare(case, got):
    """None when C-GPU agrees with the reference, else a reason."""
    try:
        want = case["ref"]()
    except Fail as e:
        return None if got[0] == "error" else "numpy raises (%s), C-GPU gives %s" % (e, got[1].strip()[:200])
    except Exception as e:  # numpy itself raised: an error on both sides is agreement
        return None if got[0] == "error" else "numpy raises %s: %s, C-GPU gives %s" % (
            type(e).__name__, e, got[1].strip()[:200])
    if got[0] == "error":
        return "C-GPU raises %s" % got[1]
    text = got[1]
    if case["mode"] == "print":
        return None if text.rstrip("\n") == want else "printed\n%s\nnumpy prints\n%s" % (text.rstrip(), want)
    value, dt = want
    value = np.asarray(value)
    line = text.strip()
    # numpy gives 0-d results as numpy scalars or 0-d arrays alike: either a
    # Python number or a 0-d array agrees
    scalar_expected = case["mode"] == "reduce" and value.ndim == 0
    if line.startswith("@S") and value.ndim == 0:
        _, kind, v = line.split(" ", 2)
        want_kind = {"bool": "bool"}.get(dt, "int" if KIND[dt] == 1 else "float")
        if kind != want_kind:
            return "C-GPU gives a %s, expected a %s (%s)" % (kind, want_kind, dt)
        got_v = parse_list(v)
        bad = values_differ(got_v, value, dt, scale_of(case, value), False)
        return "value %r, numpy %r" % bad[0] if bad else None
    m = re.match(r"@A (\w+) (\(.*?\)) (.*)$", line, re.S)
    if not m:
        return "unreadable C-GPU output: %s" % line[:200]
    gdt, gshape, gvals = m.group(1), eval(m.group(2)), parse_list(m.group(3))
    if scalar_expected and gshape != ():
        return "C-GPU gives an array of shape %s, numpy a number" % (gshape,)
    if gdt != dt:
        return "dtype %s, expected %s" % (gdt, dt)
    if tuple(gshape) != value.shape:
        return "shape %s, expected %s" % (gshape, value.shape)
    # the sign of a zero from maximum/minimum/clip of 0.0 and -0.0 is
    # unspecified (numpy's SIMD and scalar loops differ)
    bad = values_differ(gvals, value, dt, scale_of(case, value), case["mode"] == "expr" and not case["select"])
    return "value %r, expected %r" % bad[0] if bad else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cgpu", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=400)
    ap.add_argument("--max-report", type=int, default=30)
    o = ap.parse_args()
    rng = random.Random(o.seed)
    cases = [make_case(rng) for _ in range(o.count)]
    results = run_cgpu(o.cgpu, cases)
    passed = failed = skipped = 0
    for k, case in enumerate(cases):
        got = results.get(k)
        if got is None:
            skipped += 1
            continue
        why = compare(case, got)
        if why is None:
            passed += 1
            continue
        failed += 1
        if failed <= o.max_report:
            # the repro is the cell itself: an expression shows its value
            print("--- divergence (seed %d, case %d): %s" % (o.seed, k, why))
            print(case["src"])
            print()
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
