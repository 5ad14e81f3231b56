/* ops.c — the compute dispatcher: element-wise ops with broadcasting and
 * dtype promotion, where/clip, reductions, matmul.
 *
 * For every op this file decides the compute dtype, converts the inputs to
 * it (so a backend kernel sees one dtype), broadcasts with stride-0 views,
 * allocates the output, calls the device's backend, and logs the placement.
 */
#include "rt_core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int null_arg(const void *p, const char *fn) {
    if (p) return 0;
    rt_set_error(RT_EVALUE, "%s: array argument is NULL", fn);
    return 1;
}

/* ---- element-wise --------------------------------------------------------------- */

static int is_comparison(rt_binary_op op) { return op >= RT_EQ && op <= RT_GE; }
static int is_logical(rt_binary_op op) { return op == RT_LOGICAL_AND || op == RT_LOGICAL_OR; }

/* Compute and output dtype of a binary op: the promoted dtype
 * (rt_dtype_promote), bool for comparisons and logical ops, float32 for
 * true division of integers (numpy: float64). Bool with bool: + and * are
 * `or` and `and`, maximum/minimum stay bool, - is refused as numpy refuses
 * it, and //, % and ** work in int32 (numpy: int8, which C-GPU lacks). */
static rt_status binary_dtypes(rt_binary_op op, rt_dtype ta, rt_dtype tb, rt_dtype *ct, rt_dtype *ot) {
    rt_dtype t = rt_dtype_promote(ta, tb);
    if (is_logical(op)) { *ct = *ot = RT_BOOL; return RT_OK; }
    if (is_comparison(op)) { *ct = t; *ot = RT_BOOL; return RT_OK; }
    if (op == RT_DIV && !rt_dtype_is_float(t)) t = RT_FLOAT32;
    else if (t == RT_BOOL) {
        if (op == RT_SUB)
            return rt_set_error(RT_ETYPE, "numpy boolean subtract, the `-` operator, is not supported, "
                                          "use the bitwise_xor, the `^` operator, or the logical_xor function instead.");
        if (op == RT_FLOORDIV || op == RT_MOD || op == RT_POW) t = RT_INT32;
    }
    *ct = *ot = t;
    return RT_OK;
}

/* 1 when some element of b compares true with 0 by `cmp` (RT_EQ: a zero,
 * RT_LT: a negative), 0 when none, -1 on error. */
static int any_vs_zero(const rt_array *b, rt_binary_op cmp) {
    if (b->size == 0) return 0;
    rt_log_quiet_push();
    rt_array *eq = rt_binary_weak(cmp, b, rt_scalar_int(0), 0);
    rt_array *mx = eq ? rt_reduce(RT_ANY, eq, RT_ALL_AXES, 0) : NULL;
    rt_log_quiet_pop();
    double v = 0;
    int r = (mx && rt_item(mx, 0, &v) == RT_OK) ? (v != 0) : -1;
    rt_array_release(eq);
    rt_array_release(mx);
    return r;
}

rt_array *rt_binary(rt_binary_op op, const rt_array *a, const rt_array *b) {
    if (null_arg(a, "binary op") || null_arg(b, "binary op")) return NULL;
    if ((unsigned)op >= RT_BINARY_OP_COUNT) { rt_set_error(RT_EVALUE, "unknown binary op %d", (int)op); return NULL; }
    if (rt_check_same_device(a, b) != RT_OK) return NULL;
    int64_t shape[RT_MAX_DIMS];
    int nd;
    if (rt_broadcast_shapes(a->shape, a->ndim, b->shape, b->ndim, shape, &nd) != RT_OK) return NULL;
    rt_dtype ct = RT_FLOAT32, ot = RT_FLOAT32;
    if (binary_dtypes(op, a->dtype, b->dtype, &ct, &ot) != RT_OK) return NULL;
    rt_device *d = a->device;
    rt_array *ca = rt_as_dtype(a, ct);
    rt_array *cb = ca ? rt_as_dtype(b, ct) : NULL;
    rt_array *out = NULL;
    if (!cb) goto done;
    if (rt_dtype_is_integer(ct) && (op == RT_FLOORDIV || op == RT_MOD)) {
        int z = any_vs_zero(cb, RT_EQ);
        if (z < 0) goto done;
        if (z) { rt_set_error(RT_EZERODIV, "integer %s by zero", op == RT_MOD ? "modulo" : "division"); goto done; }
    }
    if (rt_dtype_is_integer(ct) && ct != RT_UINT8 && op == RT_POW) {
        int z = any_vs_zero(cb, RT_LT);
        if (z < 0) goto done;
        if (z) { rt_set_error(RT_EVALUE, "Integers to negative integer powers are not allowed."); goto done; }
    }
    out = rt_array_new(d, shape, nd, ot);
    if (!out) goto done;
    if (out->size > 0) {
        rt_view ov = rt_view_of(out);
        rt_view av = rt_view_broadcast(ca, shape, nd), bv = rt_view_broadcast(cb, shape, nd);
        if (d->backend->binary(d, op, &ov, &av, &bv) != RT_OK) { rt_array_release(out); out = NULL; goto done; }
    }
    rt_log_op(rt_binary_op_name(op), d);
done:
    rt_array_release(ca);
    rt_array_release(cb);
    return out;
}

/* Writes `s` as one element of dtype t: ints exactly (wrapping into
 * narrower integer dtypes), floats as rt_store_double converts them. */
static void store_scalar(void *cell, rt_dtype t, rt_scalar s) {
    if (s.kind == RT_WEAK_FLOAT || rt_dtype_is_float(t)) {
        if (s.kind != RT_WEAK_FLOAT && t == RT_FLOAT32) *(float *)cell = (float)s.i;
        else rt_store_double(cell, t, s.kind == RT_WEAK_FLOAT ? s.f : (double)s.i);
        return;
    }
    switch (t) {
    case RT_INT32: *(int32_t *)cell = (int32_t)(uint32_t)(uint64_t)s.i; break;
    case RT_INT64: *(int64_t *)cell = s.i; break;
    case RT_UINT8: *(uint8_t *)cell = (uint8_t)(uint64_t)s.i; break;
    case RT_BOOL: *(uint8_t *)cell = s.i != 0; break;
    default: break;
    }
}

rt_array *rt_scalar_array(rt_scalar s, rt_dtype t, rt_device *d) {
    int64_t cell[1];
    store_scalar(cell, t, s);
    return rt_from_host(cell, t, NULL, 0, t, d);
}

/* 1 when the int value fits integer dtype t. */
static int int_fits(int64_t v, rt_dtype t) {
    switch (t) {
    case RT_UINT8: return v >= 0 && v <= 255;
    case RT_INT32: return v >= INT32_MIN && v <= INT32_MAX;
    default: return 1;
    }
}

/* 1 when s is an int that integer dtype t cannot hold. */
static int int_out_of_range(rt_scalar s, rt_dtype t) {
    return s.kind == RT_WEAK_INT && rt_dtype_is_integer(t) && !int_fits(s.i, t);
}

static rt_status int_out_of_bounds(rt_scalar s, rt_dtype t) {
    return rt_set_error(RT_EVALUE, "Python integer %lld out of bounds for %s", (long long)s.i, rt_dtype_name(t));
}

rt_array *rt_weak_operand(rt_scalar s, const rt_array *other) {
    if (null_arg(other, "weak operand")) return NULL;
    rt_dtype t = rt_dtype_promote_weak(other->dtype, s.kind);
    if (int_out_of_range(s, t)) { int_out_of_bounds(s, t); return NULL; }
    rt_log_quiet_push();
    rt_array *r = rt_scalar_array(s, t, other->device);
    rt_log_quiet_pop();
    return r;
}

rt_status rt_assign_weak(rt_array *dst, rt_scalar s) {
    if (null_arg(dst, "assign")) return rt_error_code();
    if (int_out_of_range(s, dst->dtype)) return int_out_of_bounds(s, dst->dtype);
    rt_log_quiet_push();
    rt_array *v = rt_scalar_array(s, dst->dtype, dst->device);
    rt_log_quiet_pop();
    if (!v) return rt_error_code();
    rt_status st = rt_assign(dst, v);
    rt_array_release(v);
    return st;
}

rt_array *rt_binary_weak(rt_binary_op op, const rt_array *a, rt_scalar s, int scalar_left) {
    if (null_arg(a, "binary op")) return NULL;
    rt_dtype st = rt_dtype_promote_weak(a->dtype, s.kind);
    if (int_out_of_range(s, st)) {
        /* numpy 2: comparisons use the exact value; arithmetic refuses */
        if (is_comparison(op)) st = RT_FLOAT64;
        else { int_out_of_bounds(s, st); return NULL; }
    }
    if (a->device->kind == RT_CPU) {
        /* host memory is device memory: the number lives on the stack, in
         * a 0-d array whose references never drop to zero */
        int64_t cell[1];
        rt_storage stor = {.refcount = 1, .device = a->device, .data = cell, .bytes = sizeof cell};
        rt_array sc;
        memset(&sc, 0, sizeof sc);
        sc.refcount = 1;
        sc.dtype = st;
        sc.size = 1;
        sc.storage = &stor;
        sc.device = a->device;
        store_scalar(cell, st, s);
        return scalar_left ? rt_binary(op, &sc, a) : rt_binary(op, a, &sc);
    }
    rt_log_quiet_push();
    rt_array *sc = rt_scalar_array(s, st, a->device);
    rt_log_quiet_pop();
    if (!sc) return NULL;
    rt_array *r = scalar_left ? rt_binary(op, sc, a) : rt_binary(op, a, sc);
    rt_array_release(sc);
    return r;
}

/* A double as rt_binary_scalar reads it: integral values are ints. */
static rt_scalar scalar_of_double(double v) {
    if (v >= -9223372036854775808.0 && v < 9223372036854775808.0 && v == floor(v)) return rt_scalar_int((int64_t)v);
    return rt_scalar_float(v);
}

rt_array *rt_binary_scalar_ex(rt_binary_op op, const rt_array *a, double s, int scalar_left, int scalar_is_float) {
    return rt_binary_weak(op, a, scalar_is_float ? rt_scalar_float(s) : scalar_of_double(s), scalar_left);
}

rt_array *rt_binary_scalar(rt_binary_op op, const rt_array *a, double s, int scalar_left) {
    return rt_binary_weak(op, a, scalar_of_double(s), scalar_left);
}

rt_array *rt_unary(rt_unary_op op, const rt_array *a) {
    if (null_arg(a, "unary op")) return NULL;
    if ((unsigned)op >= RT_UNARY_OP_COUNT) { rt_set_error(RT_EVALUE, "unknown unary op %d", (int)op); return NULL; }
    rt_dtype ct = a->dtype, ot;
    switch (op) {
    case RT_NEG:
        if (ct == RT_BOOL) {
            rt_set_error(RT_ETYPE, "The numpy boolean negative, the `-` operator, is not supported, "
                                   "use the `~` operator or the logical_not function instead.");
            return NULL;
        }
        break;
    case RT_ABS:
        break; /* bool stays bool */
    case RT_RELU: /* maximum(x, 0): a weak int lifts bool to int32 */
        if (ct == RT_BOOL) ct = RT_INT32;
        break;
    case RT_LOGICAL_NOT:
        ct = RT_BOOL;
        break;
    default: /* transcendental */
        if (!rt_dtype_is_float(ct)) ct = RT_FLOAT32;
        break;
    }
    ot = op == RT_LOGICAL_NOT ? RT_BOOL : ct;
    rt_device *d = a->device;
    rt_array *ca = rt_as_dtype(a, ct);
    if (!ca) return NULL;
    rt_array *out = rt_array_new(d, a->shape, a->ndim, ot);
    if (out && out->size > 0) {
        rt_view ov = rt_view_of(out), av = rt_view_of(ca);
        if (d->backend->unary(d, op, &ov, &av) != RT_OK) { rt_array_release(out); out = NULL; }
    }
    rt_array_release(ca);
    if (out) rt_log_op(rt_unary_op_name(op), d);
    return out;
}

rt_array *rt_where(const rt_array *cond, const rt_array *a, const rt_array *b) {
    if (null_arg(cond, "where") || null_arg(a, "where") || null_arg(b, "where")) return NULL;
    if (rt_check_same_device(cond, a) != RT_OK || rt_check_same_device(a, b) != RT_OK) return NULL;
    int64_t s1[RT_MAX_DIMS], shape[RT_MAX_DIMS];
    int n1, nd;
    if (rt_broadcast_shapes(cond->shape, cond->ndim, a->shape, a->ndim, s1, &n1) != RT_OK) return NULL;
    if (rt_broadcast_shapes(s1, n1, b->shape, b->ndim, shape, &nd) != RT_OK) return NULL;
    rt_dtype t = rt_dtype_promote(a->dtype, b->dtype);
    rt_device *d = a->device;
    rt_array *cc = rt_as_dtype(cond, RT_BOOL);
    rt_array *ca = cc ? rt_as_dtype(a, t) : NULL;
    rt_array *cb = ca ? rt_as_dtype(b, t) : NULL;
    rt_array *out = cb ? rt_array_new(d, shape, nd, t) : NULL;
    if (out && out->size > 0) {
        rt_view ov = rt_view_of(out);
        rt_view cv = rt_view_broadcast(cc, shape, nd), av = rt_view_broadcast(ca, shape, nd),
                bv = rt_view_broadcast(cb, shape, nd);
        if (d->backend->where(d, &ov, &cv, &av, &bv) != RT_OK) { rt_array_release(out); out = NULL; }
    }
    rt_array_release(cc);
    rt_array_release(ca);
    rt_array_release(cb);
    if (out) rt_log_op("SelectV2", d);
    return out;
}

rt_array *rt_clip_weak(const rt_array *a, const rt_scalar *lo, const rt_scalar *hi) {
    if (null_arg(a, "clip")) return NULL;
    if (!lo && !hi) return rt_copy(a);
    rt_log_quiet_push();
    rt_array *t = lo ? rt_binary_weak(RT_MAXIMUM, a, *lo, 0) : rt_array_retain((rt_array *)a);
    rt_array *r = t && hi ? rt_binary_weak(RT_MINIMUM, t, *hi, 0) : rt_array_retain(t);
    rt_log_quiet_pop();
    rt_array_release(t);
    if (r) rt_log_op("ClipByValue", a->device);
    return r;
}

rt_array *rt_clip(const rt_array *a, double lo, double hi) {
    rt_scalar l = scalar_of_double(lo), h = scalar_of_double(hi);
    return rt_clip_weak(a, isinf(lo) && lo < 0 ? NULL : &l, isinf(hi) && hi > 0 ? NULL : &h);
}

/* ---- reductions ---------------------------------------------------------------------- */

static const char *const reduce_names[] = {"Sum", "Mean", "Max", "Min", "ArgMax", "ArgMin", "Variance", "Std",
                                           "Any", "All"};

/* any/all: max/min of the truth values; an empty axis gives the identity. */
static rt_array *reduce_any_all(rt_reduce_op op, const rt_array *a, int axis, int keepdims) {
    rt_log_quiet_push();
    rt_array *b = rt_as_dtype(a, RT_BOOL), *r = NULL;
    int empty = b && (axis == RT_ALL_AXES ? b->size == 0 : b->shape[axis < 0 ? axis + b->ndim : axis] == 0);
    if (b && empty) {
        r = rt_reduce(RT_SUM, b, axis, keepdims); /* the output's shape */
        rt_array *f = r ? rt_full(r->shape, r->ndim, op == RT_ALL ? 1.0 : 0.0, RT_BOOL, r->device) : NULL;
        rt_array_release(r);
        r = f;
    } else if (b) {
        r = rt_reduce(op == RT_ANY ? RT_MAX : RT_MIN, b, axis, keepdims);
    }
    rt_log_quiet_pop();
    rt_array_release(b);
    if (r) rt_log_op(reduce_names[op], a->device);
    return r;
}

rt_array *rt_reduce(rt_reduce_op op, const rt_array *a, int axis, int keepdims) {
    if (null_arg(a, "reduce")) return NULL;
    if ((unsigned)op > RT_ALL) { rt_set_error(RT_EVALUE, "unknown reduction %d", (int)op); return NULL; }
    int64_t outer = 1, n = 1, inner = 1, oshape[RT_MAX_DIMS];
    int ond = 0, ax = -1;
    if (axis == RT_ALL_AXES) {
        n = a->size;
        if (keepdims) for (int i = 0; i < a->ndim; i++) oshape[ond++] = 1;
    } else {
        if (axis < -a->ndim || axis >= a->ndim) {
            rt_set_error(RT_EVALUE, "axis %d is out of bounds for array of dimension %d", axis, a->ndim);
            return NULL;
        }
        ax = axis < 0 ? axis + a->ndim : axis;
        for (int i = 0; i < a->ndim; i++) {
            if (i < ax) outer *= a->shape[i];
            else if (i > ax) inner *= a->shape[i];
            if (i != ax) oshape[ond++] = a->shape[i];
            else if (keepdims) oshape[ond++] = 1;
        }
        n = a->shape[ax];
    }
    if (op == RT_ANY || op == RT_ALL) return reduce_any_all(op, a, axis, keepdims);
    int64_t osize = outer * inner;
    if (n == 0 && osize > 0 && op != RT_SUM && op != RT_MEAN && op != RT_VAR && op != RT_STD) {
        if (op == RT_ARGMAX || op == RT_ARGMIN)
            rt_set_error(RT_EVALUE, "attempt to get %s of an empty sequence", op == RT_ARGMAX ? "argmax" : "argmin");
        else
            rt_set_error(RT_EVALUE, "zero-size array to reduction operation %s which has no identity",
                         op == RT_MAX ? "maximum" : "minimum");
        return NULL;
    }
    /* integers and bools: sums and extremes in int64, moments in float64;
     * the backend sees float32, float64 or int64 only */
    int moment = op == RT_MEAN || op == RT_VAR || op == RT_STD;
    rt_dtype ct = rt_dtype_is_float(a->dtype) ? a->dtype : moment ? RT_FLOAT64 : RT_INT64;
    /* the CPU backend reads bool, uint8 and int32 exactly as doubles: no
     * widened copy of a big uint8 image batch for its max or mean */
    if (a->device->kind == RT_CPU && op != RT_SUM &&
        (a->dtype == RT_BOOL || a->dtype == RT_UINT8 || a->dtype == RT_INT32))
        ct = a->dtype;
    rt_dtype ot = (op == RT_ARGMAX || op == RT_ARGMIN) ? RT_INT32
                : moment ? (ct == RT_FLOAT64 ? RT_FLOAT64 : RT_FLOAT32) : ct;
    /* what the user gets: int64 sums, float32 moments of integers, extremes
     * in the array's own dtype */
    rt_dtype want = (op == RT_MAX || op == RT_MIN) ? a->dtype
                  : (moment && !rt_dtype_is_float(a->dtype)) ? RT_FLOAT32 : ot;
    rt_device *d = a->device;
    rt_array *src = NULL, *out = NULL;
    if (a->dtype != ct) src = rt_convert(a, ct);
    else src = rt_contiguous(a);
    if (!src) return NULL;
    out = rt_array_new(d, oshape, ond, ot);
    if (out && out->size > 0) {
        rt_view ov = rt_view_of(out), sv = rt_view_of(src);
        if (d->backend->reduce(d, op, ov.data, sv.data, ct, outer, n, inner) != RT_OK) { rt_array_release(out); out = NULL; }
    }
    rt_array_release(src);
    if (out && want != ot) {
        rt_array *w = rt_convert(out, want);
        rt_array_release(out);
        out = w;
    }
    if (out) rt_log_op(reduce_names[op], d);
    return out;
}

/* ---- matmul ------------------------------------------------------------------------------ */

/* One operand prepared for the backend: a dense matrix (or a batch of them)
 * stored row-major or transposed. */
typedef struct {
    rt_array *arr;     /* owned: holds the data alive */
    const void *data;
    int trans;
    int64_t batch_stride;
} mm_operand;

/* X viewed as (batch..., r, c) where the batch dims of X broadcast to
 * bshape (bn dims). Avoids copies for a 2-D matrix or its transpose. */
static rt_status mm_prepare(const rt_array *x, rt_dtype ct, int64_t r, int64_t c, int xbn,
                            const int64_t *bshape, int bn, mm_operand *op) {
    memset(op, 0, sizeof *op);
    rt_array *cx = rt_as_dtype(x, ct);
    if (!cx) return rt_error_code();
    /* strides of the matrix dims; a 1-D operand is one row or one column */
    int64_t rs, cs;
    if (x->ndim == 1) { rs = r == 1 ? 0 : cx->strides[0]; cs = c == 1 ? 0 : cx->strides[0]; }
    else { rs = cx->strides[cx->ndim - 2]; cs = cx->strides[cx->ndim - 1]; }
    int64_t xbatch = 1;
    for (int i = 0; i < xbn; i++) xbatch *= cx->shape[i];
    int64_t obatch = 1;
    for (int i = 0; i < bn; i++) obatch *= bshape[i];
    if (xbatch <= 1 || obatch <= 1) {
        int rowmajor = (cs == 1 || c == 1) && (rs == c || r == 1);
        int transposed = (rs == 1 || r == 1) && (cs == r || c == 1);
        if (rowmajor || transposed) {
            op->arr = cx;
            op->data = rt_view_of(cx).data;
            op->trans = !rowmajor;
            op->batch_stride = 0;
            return RT_OK;
        }
    }
    /* general case: materialise (batch..., r, c) row-major, broadcasting the
     * batch dims to the output's when they differ */
    int64_t full[RT_MAX_DIMS];
    int nd = 0;
    int same_batch = xbn == bn;
    for (int i = 0; same_batch && i < bn; i++) same_batch = cx->shape[i] == bshape[i];
    if (xbatch <= 1) { full[nd++] = r; full[nd++] = c; }
    else {
        for (int i = 0; i < bn; i++) full[nd++] = bshape[i];
        full[nd++] = r;
        full[nd++] = c;
    }
    rt_array tmp = *cx;
    tmp.ndim = xbn + 2;
    if (x->ndim == 1) { /* as (r, c) with the one stride */
        tmp.ndim = 2;
        tmp.shape[0] = r; tmp.shape[1] = c;
        tmp.strides[0] = rs; tmp.strides[1] = cs;
    }
    rt_array *m;
    if (xbatch > 1 && !same_batch) {
        rt_view sv = rt_view_broadcast(&tmp, full, nd);
        m = rt_array_new(cx->device, full, nd, ct);
        if (m) {
            rt_view dv = rt_view_of(m);
            if (cx->device->backend->copy(cx->device, &dv, &sv) != RT_OK) { rt_array_release(m); m = NULL; }
        }
    } else {
        rt_array *flat = rt_convert(&tmp, ct); /* contiguous copy */
        m = flat;
    }
    rt_array_release(cx);
    if (!m) return rt_error_code();
    op->arr = m;
    op->data = rt_view_of(m).data;
    op->trans = 0;
    op->batch_stride = xbatch > 1 ? r * c : 0;
    return RT_OK;
}

rt_array *rt_matmul(const rt_array *a, const rt_array *b) {
    if (null_arg(a, "matmul") || null_arg(b, "matmul")) return NULL;
    if (rt_check_same_device(a, b) != RT_OK) return NULL;
    if (a->ndim == 0 || b->ndim == 0) {
        rt_set_error(RT_ESHAPE, "matmul: input operand %d does not have enough dimensions (has 0, requires at least 1)",
                     a->ndim == 0 ? 0 : 1);
        return NULL;
    }
    int64_t m = a->ndim == 1 ? 1 : a->shape[a->ndim - 2];
    int64_t k = a->shape[a->ndim - 1];
    int64_t k2 = b->ndim == 1 ? b->shape[0] : b->shape[b->ndim - 2];
    int64_t n = b->ndim == 1 ? 1 : b->shape[b->ndim - 1];
    if (k != k2) {
        char x[160], y[160];
        rt_format_shape(a->shape, a->ndim, x, sizeof x);
        rt_format_shape(b->shape, b->ndim, y, sizeof y);
        rt_set_error(RT_ESHAPE, "matmul: shapes %s and %s are not aligned: %lld (dim %d) != %lld (dim %d)",
                     x, y, (long long)k, a->ndim - 1, (long long)k2, b->ndim == 1 ? 0 : b->ndim - 2);
        return NULL;
    }
    int abn = a->ndim > 2 ? a->ndim - 2 : 0, bbn = b->ndim > 2 ? b->ndim - 2 : 0;
    int64_t bshape[RT_MAX_DIMS];
    int bn;
    if (rt_broadcast_shapes(a->shape, abn, b->shape, bbn, bshape, &bn) != RT_OK) {
        char x[160], y[160];
        rt_format_shape(a->shape, a->ndim, x, sizeof x);
        rt_format_shape(b->shape, b->ndim, y, sizeof y);
        rt_set_error(RT_ESHAPE, "matmul: batch dimensions of shapes %s and %s cannot be broadcast", x, y);
        return NULL;
    }
    int64_t oshape[RT_MAX_DIMS];
    int ond = 0;
    for (int i = 0; i < bn; i++) oshape[ond++] = bshape[i];
    if (a->ndim > 1) oshape[ond++] = m;
    if (b->ndim > 1) oshape[ond++] = n;
    rt_dtype ot = rt_dtype_promote(a->dtype, b->dtype);
    /* integers are multiplied in float64 (exact up to 2^53) */
    rt_dtype ct = ot == RT_FLOAT32 ? RT_FLOAT32 : RT_FLOAT64;
    rt_device *d = a->device;
    rt_array *out = rt_array_new(d, oshape, ond, ct);
    if (!out) return NULL;
    int64_t batch = 1;
    for (int i = 0; i < bn; i++) batch *= bshape[i];
    rt_status st = RT_OK;
    if (out->size > 0) {
        if (k == 0) {
            rt_view ov = rt_view_of(out);
            st = d->backend->fill(d, &ov, 0.0);
        } else {
            mm_operand oa, ob;
            st = mm_prepare(a, ct, m, k, abn, bshape, bn, &oa);
            if (st == RT_OK) {
                st = mm_prepare(b, ct, k, n, bbn, bshape, bn, &ob);
                if (st == RT_OK) {
                    st = d->backend->matmul(d, ct, batch, m, n, k, oa.data, oa.batch_stride, oa.trans,
                                            ob.data, ob.batch_stride, ob.trans, rt_view_of(out).data, m * n);
                    rt_array_release(ob.arr);
                }
                rt_array_release(oa.arr);
            }
        }
    }
    if (st == RT_OK && ot != ct) {
        rt_array *conv = rt_convert(out, ot);
        rt_array_release(out);
        out = conv;
        if (!out) return NULL;
    }
    if (st != RT_OK) { rt_array_release(out); return NULL; }
    rt_log_op(a->ndim == 2 && b->ndim == 2 ? "MatMul" : "BatchMatMulV2", d);
    return out;
}
