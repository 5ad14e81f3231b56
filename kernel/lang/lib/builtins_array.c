/* builtins_array.c — array creation, element-wise math, reductions, shape
 * functions, and the array type's methods and attributes. Everything runs
 * through the runtime (rt.h); host numbers and lists are converted on the
 * way in, and reductions over every axis come back as host numbers (as
 * numpy scalars print like Python numbers).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp.h"
#include "libraries.h"

/* ---- argument helpers ------------------------------------------------------------------ */

static int opt_dtype(lang_state *L, lang_value v, rt_dtype dflt, rt_dtype *out)
{
    if (lv_is_missing(v) || lv_is_none(v)) { *out = dflt; return 0; }
    return lang_get_dtype(L, v, "dtype", out);
}

static int opt_device(lang_state *L, lang_value v, rt_device **out)
{
    if (lv_is_missing(v)) { *out = NULL; return 0; }
    return lang_get_device(L, v, "device", out);
}

static int get_axis(lang_state *L, lang_value v, int *axis)
{
    if (lv_is_missing(v) || lv_is_none(v)) { *axis = RT_ALL_AXES; return 0; }
    int64_t a;
    if (lang_get_int(L, v, "axis", &a) < 0) return -1;
    *axis = (int)a;
    return 0;
}

/* shape from either one argument (int/tuple/list) or several ints */
static int shape_args(lang_state *L, const lang_value *v, int n, int64_t *shape, int *ndim)
{
    if (n == 1 && (v[0].type == LV_TUPLE || v[0].type == LV_LIST)) return lang_get_shape(L, v[0], "shape", shape, ndim);
    if (n > RT_MAX_DIMS) return lang_fail(L, LANG_E_VALUE, "at most %d dimensions are supported", RT_MAX_DIMS);
    for (int i = 0; i < n; i++) {
        if (lang_get_int(L, v[i], "dimension", &shape[i]) < 0) return -1;
        if (shape[i] < -1) return lang_fail(L, LANG_E_VALUE, "negative dimensions are not allowed");
    }
    *ndim = n;
    return 0;
}

/* Refuses shapes whose element count cannot exist, before the runtime
 * tries to allocate them. */
static int check_size(lang_state *L, const int64_t *shape, int ndim, rt_dtype t)
{
    int64_t size = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return lang_fail(L, LANG_E_VALUE, "negative dimensions are not allowed");
        if (shape[i] && size > INT64_MAX / shape[i]) goto oom;
        size *= shape[i];
    }
    if (size > (INT64_MAX / 16) / (int64_t)rt_dtype_size(t)) goto oom;
    return 0;
oom: {
        char s[128];
        rt_format_shape(shape, ndim, s, sizeof s);
        return lang_fail(L, LANG_E_OOM, "cannot allocate an array of shape %s and dtype %s: too large", s, rt_dtype_name(t));
    }
}

static lang_value array_or_number(lang_state *L, rt_array *r)
{
    if (!r) return lang_raise_rt(L);
    if (r->ndim == 0) {
        lang_value v = lang_array_item(L, r, 0);
        rt_array_release(r);
        return v;
    }
    return lv_array_take(r);
}

/* ---- creation ------------------------------------------------------------------------ */

static lang_value bi_array(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    if (lang_args_bind(L, a, "data, dtype=, device=", v) < 0) return lv_err();
    rt_dtype t = RT_FLOAT32;
    rt_device *d;
    if (v[0].type == LV_ARRAY) t = v[0].u.a->dtype;
    if (opt_dtype(L, v[1], t, &t) < 0 || opt_device(L, v[2], &d) < 0) return lv_err();
    rt_array *x = lang_to_array(L, v[0], (int)t, "array() data");
    if (!x) return lv_err();
    rt_device *target = d ? d : (v[0].type == LV_ARRAY ? x->device : NULL);
    if (!target) target = rt_default_device();
    rt_array *r = (x->device == target && x != lv_array(v[0])) ? rt_array_retain(x) : rt_to_device(x, target);
    rt_array_release(x);
    return lang_array_result(L, r);
}

static lang_value make_filled(lang_state *L, const lang_args *a, int kind)
{
    lang_value v[4];
    const char *spec = kind == 2 ? "shape, fill_value, dtype=, device=" : "shape, dtype=, device=";
    if (lang_args_bind(L, a, spec, v) < 0) return lv_err();
    int off = kind == 2 ? 1 : 0;
    int64_t shape[RT_MAX_DIMS];
    int ndim;
    rt_dtype t;
    rt_device *d;
    double fill = kind == 1 ? 1.0 : 0.0;
    rt_dtype dflt = RT_FLOAT32;
    if (kind == 2) {
        if (lang_get_float(L, v[1], "fill_value", &fill) < 0) return lv_err();
        if (v[1].type == LV_INT) dflt = RT_INT32;
        else if (v[1].type == LV_BOOL) dflt = RT_BOOL;
    }
    if (lang_get_shape(L, v[0], "shape", shape, &ndim) < 0 || opt_dtype(L, v[1 + off], dflt, &t) < 0 ||
        opt_device(L, v[2 + off], &d) < 0 || check_size(L, shape, ndim, t) < 0)
        return lv_err();
    if (kind == 0) return lang_array_result(L, rt_zeros(shape, ndim, t, d));
    return lang_array_result(L, rt_full(shape, ndim, fill, t, d));
}
static lang_value bi_zeros(lang_state *L, const lang_args *a) { return make_filled(L, a, 0); }
static lang_value bi_ones(lang_state *L, const lang_args *a) { return make_filled(L, a, 1); }
static lang_value bi_full(lang_state *L, const lang_args *a) { return make_filled(L, a, 2); }

static lang_value like(lang_state *L, const lang_args *a, double fill)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "a, dtype=", v) < 0) return lv_err();
    rt_array *x = lang_to_array(L, v[0], -1, "a");
    if (!x) return lv_err();
    rt_dtype t;
    if (opt_dtype(L, v[1], x->dtype, &t) < 0) { rt_array_release(x); return lv_err(); }
    rt_array *r = rt_full(x->shape, x->ndim, fill, t, x->device);
    rt_array_release(x);
    return lang_array_result(L, r);
}
static lang_value bi_zeros_like(lang_state *L, const lang_args *a) { return like(L, a, 0); }
static lang_value bi_ones_like(lang_state *L, const lang_args *a) { return like(L, a, 1); }

static lang_value bi_arange(lang_state *L, const lang_args *a)
{
    lang_value v[5];
    if (lang_args_bind(L, a, "start, stop=, step=, dtype=, device=", v) < 0) return lv_err();
    double start = 0, stop, step = 1;
    int all_int = 1;
    for (int i = 0; i < 3; i++) if (!lv_is_missing(v[i]) && !lv_is_none(v[i]) && v[i].type == LV_FLOAT) all_int = 0;
    if (lv_is_missing(v[1]) || lv_is_none(v[1])) {
        if (lang_get_float(L, v[0], "stop", &stop) < 0) return lv_err();
    } else if (lang_get_float(L, v[0], "start", &start) < 0 || lang_get_float(L, v[1], "stop", &stop) < 0) {
        return lv_err();
    }
    if (!lv_is_missing(v[2]) && !lv_is_none(v[2]) && lang_get_float(L, v[2], "step", &step) < 0) return lv_err();
    if (step == 0) return lang_raise(L, LANG_E_ZERODIV, "arange(): step must not be zero");
    rt_dtype t;
    rt_device *d;
    if (opt_dtype(L, v[3], all_int ? RT_INT32 : RT_FLOAT32, &t) < 0 || opt_device(L, v[4], &d) < 0) return lv_err();
    double n = ceil((stop - start) / step);
    if (n > 1e12) return lang_raise(L, LANG_E_OOM, "arange(): %g elements is too many", n);
    return lang_array_result(L, rt_arange(start, stop, step, t, d));
}

static lang_value bi_linspace(lang_state *L, const lang_args *a)
{
    lang_value v[5];
    double lo, hi;
    int64_t num = 50;
    if (lang_args_bind(L, a, "start, stop, num=, dtype=, device=", v) < 0 || lang_get_float(L, v[0], "start", &lo) < 0 ||
        lang_get_float(L, v[1], "stop", &hi) < 0) return lv_err();
    if (!lv_is_missing(v[2]) && lang_get_int(L, v[2], "num", &num) < 0) return lv_err();
    if (num < 0) return lang_raise(L, LANG_E_VALUE, "Number of samples, %lld, must be non-negative.", (long long)num);
    rt_dtype t;
    rt_device *d;
    if (opt_dtype(L, v[3], RT_FLOAT32, &t) < 0 || opt_device(L, v[4], &d) < 0 || check_size(L, &num, 1, t) < 0) return lv_err();
    return lang_array_result(L, rt_linspace(lo, hi, num, t, d));
}

static lang_value bi_eye(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    int64_t n;
    if (lang_args_bind(L, a, "n, dtype=, device=", v) < 0 || lang_get_int(L, v[0], "n", &n) < 0) return lv_err();
    rt_dtype t;
    rt_device *d;
    int64_t shp[2] = { n, n };
    if (opt_dtype(L, v[1], RT_FLOAT32, &t) < 0 || opt_device(L, v[2], &d) < 0 || check_size(L, shp, 2, t) < 0) return lv_err();
    return lang_array_result(L, rt_eye(n, t, d));
}

static lang_value random_array(lang_state *L, const lang_args *a, int normal)
{
    int64_t shape[RT_MAX_DIMS];
    int ndim = 0;
    rt_dtype t = RT_FLOAT32;
    rt_device *d = NULL;
    for (int k = 0; k < a->nkw; k++) {
        if (strcmp(a->kwname[k], "dtype") == 0) { if (lang_get_dtype(L, a->kw[k], "dtype", &t) < 0) return lv_err(); }
        else if (strcmp(a->kwname[k], "device") == 0) { if (lang_get_device(L, a->kw[k], "device", &d) < 0) return lv_err(); }
        else return lang_raise(L, LANG_E_TYPE, "%s() got an unexpected keyword argument '%s'", a->fname, a->kwname[k]);
    }
    if (shape_args(L, a->v, a->n, shape, &ndim) < 0 || check_size(L, shape, ndim, t) < 0) return lv_err();
    rt_array *r = normal ? rt_rand_normal(shape, ndim, 0.0, 1.0, t, d) : rt_rand_uniform(shape, ndim, 0.0, 1.0, t, d);
    return array_or_number(L, r);
}
static lang_value bi_rand(lang_state *L, const lang_args *a) { return random_array(L, a, 0); }
static lang_value bi_randn(lang_state *L, const lang_args *a) { return random_array(L, a, 1); }

static lang_value bi_seed(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    int64_t s;
    if (lang_args_bind(L, a, "seed", v) < 0 || lang_get_int(L, v[0], "seed", &s) < 0) return lv_err();
    rt_seed((uint64_t)s);
    return lv_none();
}

/* ---- element-wise ----------------------------------------------------------------------- */

static const struct { const char *name; rt_unary_op op; } unary_table[] = {
    {"exp", RT_EXP}, {"log", RT_LOG}, {"sqrt", RT_SQRT}, {"sin", RT_SIN}, {"cos", RT_COS},
    {"tanh", RT_TANH}, {"sigmoid", RT_SIGMOID}, {"relu", RT_RELU}, {"floor", RT_FLOOR}, {"ceil", RT_CEIL},
};

static double host_unary(rt_unary_op op, double x)
{
    switch (op) {
    case RT_EXP: return exp(x);
    case RT_LOG: return x == 0 ? -INFINITY : x < 0 ? NAN : log(x);
    case RT_SQRT: return x < 0 ? NAN : sqrt(x);
    case RT_SIN: return sin(x);
    case RT_COS: return cos(x);
    case RT_TANH: return tanh(x);
    case RT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case RT_FLOOR: return floor(x);
    case RT_CEIL: return ceil(x);
    default: return x;
    }
}

static lang_value bi_unary(lang_state *L, const lang_args *a)
{
    rt_unary_op op = RT_EXP;
    for (size_t i = 0; i < sizeof unary_table / sizeof unary_table[0]; i++)
        if (strcmp(unary_table[i].name, a->fname) == 0) { op = unary_table[i].op; break; }
    lang_value v[1];
    if (lang_args_bind(L, a, "x", v) < 0) return lv_err();
    lang_value x = v[0];
    if (lv_is_number(x)) {
        if (op == RT_RELU) {
            if (x.type == LV_FLOAT) return lv_float(x.u.f > 0 || x.u.f != x.u.f ? x.u.f : 0.0); /* NaN stays */
            int64_t i = x.type == LV_INT ? x.u.i : x.u.b;
            return lv_int(i > 0 ? i : 0);
        }
        return lv_float(host_unary(op, lv_as_double(x)));
    }
    rt_array *arr = lang_to_array(L, x, -1, "x");
    if (!arr) return lv_err();
    rt_array *r = rt_unary(op, arr);
    rt_array_release(arr);
    return lang_array_result(L, r);
}

rt_scalar lang_weak_scalar(lang_value v); /* core/ops.c */

/* One operand as an array: a number beside an array is a weak scalar
 * (rt_weak_operand); two numbers give their higher kind's dtype. */
static rt_array *operand_array(lang_state *L, lang_value x, lang_value other, const char *what)
{
    if (lv_is_number(x) && lv_array(other)) {
        rt_array *r = rt_weak_operand(lang_weak_scalar(x), other.u.a);
        if (!r) lang_raise_rt(L);
        return r;
    }
    if (lv_is_number(x) && lv_is_number(other)) {
        rt_scalar s = lang_weak_scalar(x), o = lang_weak_scalar(other);
        rt_array *r = rt_scalar_array(s, rt_dtype_of_kind(s.kind > o.kind ? s.kind : o.kind), NULL);
        if (!r) lang_raise_rt(L);
        return r;
    }
    return lang_to_array(L, x, -1, what);
}

/* two operands to arrays on the same device */
static int two_arrays(lang_state *L, lang_value x, lang_value y, rt_array **ax, rt_array **ay)
{
    *ax = operand_array(L, x, y, "x");
    if (!*ax) return -1;
    *ay = operand_array(L, y, x, "y");
    if (!*ay) { rt_array_release(*ax); return -1; }
    if ((*ax)->device != (*ay)->device) {
        /* host data follows the array operand's device */
        rt_array **move = lv_array(x) ? ay : ax;
        rt_device *to = lv_array(x) ? (*ax)->device : (*ay)->device;
        if (!lv_array(lv_array(x) ? y : x)) {
            rt_array *m = rt_to_device(*move, to);
            rt_array_release(*move);
            *move = m;
            if (!m) { rt_array_release(lv_array(x) ? *ax : *ay); lang_raise_rt(L); return -1; }
        }
    }
    return 0;
}

static lang_value bi_maxmin2(lang_state *L, const lang_args *a, int is_max)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "x1, x2", v) < 0) return lv_err();
    if (lv_is_number(v[0]) && lv_is_number(v[1])) {
        lang_value c = op_compare(L, is_max ? CMP_GE : CMP_LE, v[0], v[1]);
        if (lv_is_err(c)) return c;
        return lv_retain(c.u.b ? v[0] : v[1]);
    }
    rt_array *x, *y;
    if (two_arrays(L, v[0], v[1], &x, &y) < 0) return lv_err();
    rt_array *r = rt_binary(is_max ? RT_MAXIMUM : RT_MINIMUM, x, y);
    rt_array_release(x);
    rt_array_release(y);
    return lang_array_result(L, r);
}
static lang_value bi_maximum(lang_state *L, const lang_args *a) { return bi_maxmin2(L, a, 1); }
static lang_value bi_minimum(lang_state *L, const lang_args *a) { return bi_maxmin2(L, a, 0); }

static lang_value bi_where(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    if (lang_args_bind(L, a, "condition, x, y", v) < 0) return lv_err();
    rt_array *c = lang_to_array(L, v[0], RT_BOOL, "condition");
    if (!c) return lv_err();
    rt_array *x, *y;
    if (two_arrays(L, v[1], v[2], &x, &y) < 0) { rt_array_release(c); return lv_err(); }
    rt_array *r = rt_where(c, x, y);
    rt_array_release(c);
    rt_array_release(x);
    rt_array_release(y);
    return lang_array_result(L, r);
}

static lang_value bi_clip(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    double lo = -INFINITY, hi = INFINITY;
    if (lang_args_bind(L, a, "a, a_min, a_max", v) < 0) return lv_err();
    if (!lv_is_none(v[1]) && lang_get_float(L, v[1], "a_min", &lo) < 0) return lv_err();
    if (!lv_is_none(v[2]) && lang_get_float(L, v[2], "a_max", &hi) < 0) return lv_err();
    if (lv_array(v[0]) && (lv_is_none(v[1]) || lv_is_number(v[1])) && (lv_is_none(v[2]) || lv_is_number(v[2]))) {
        /* number bounds are weak scalars: int32 stays int32 with int bounds */
        rt_scalar l = lang_weak_scalar(v[1]), h = lang_weak_scalar(v[2]);
        return lang_array_result(L, rt_clip_weak(v[0].u.a, lv_is_none(v[1]) ? NULL : &l, lv_is_none(v[2]) ? NULL : &h));
    }
    if (lv_is_number(v[0])) {
        double x = lv_as_double(v[0]);
        x = x < lo ? lo : x > hi ? hi : x;
        return v[0].type == LV_FLOAT || v[1].type == LV_FLOAT || v[2].type == LV_FLOAT ? lv_float(x) : lv_int((int64_t)x);
    }
    rt_array *x = lang_to_array(L, v[0], -1, "a");
    if (!x) return lv_err();
    rt_array *r = rt_clip(x, lo, hi);
    rt_array_release(x);
    return lang_array_result(L, r);
}

/* ---- reductions -------------------------------------------------------------------------- */

lang_value array_reduce_call(lang_state *L, rt_reduce_op op, lang_value x, lang_value axis, lang_value keepdims)
{
    int ax, kd = 0;
    if (get_axis(L, axis, &ax) < 0) return lv_err();
    if (!lv_is_missing(keepdims) && lang_get_bool(L, keepdims, "keepdims", &kd) < 0) return lv_err();
    rt_array *arr = lang_to_array(L, x, -1, "a");
    if (!arr) return lv_err();
    if (arr->size == 0 && (op == RT_MAX || op == RT_MIN || op == RT_ARGMAX || op == RT_ARGMIN) && ax == RT_ALL_AXES) {
        rt_array_release(arr);
        return lang_raise(L, LANG_E_VALUE, "zero-size array to reduction operation %s which has no identity",
                          op == RT_MAX ? "maximum" : op == RT_MIN ? "minimum" : op == RT_ARGMAX ? "argmax" : "argmin");
    }
    if (ax != RT_ALL_AXES && (ax >= arr->ndim || ax < -arr->ndim)) {
        int nd = arr->ndim;
        rt_array_release(arr);
        return lang_raise(L, LANG_E_VALUE, "axis %d is out of bounds for array of dimension %d", ax, nd);
    }
    rt_array *r = rt_reduce(op, arr, ax, kd);
    rt_array_release(arr);
    if (!r) return lang_raise_rt(L);
    if (!kd && r->ndim == 0) return array_or_number(L, r);
    return lv_array_take(r);
}

static const struct { const char *name; rt_reduce_op op; } reduce_table[] = {
    {"sum", RT_SUM}, {"mean", RT_MEAN}, {"max", RT_MAX}, {"min", RT_MIN}, {"argmax", RT_ARGMAX},
    {"argmin", RT_ARGMIN}, {"var", RT_VAR}, {"std", RT_STD},
};

static int reduce_op_of(const char *name, rt_reduce_op *op)
{
    for (size_t i = 0; i < sizeof reduce_table / sizeof reduce_table[0]; i++)
        if (strcmp(reduce_table[i].name, name) == 0) { *op = reduce_table[i].op; return 0; }
    return -1;
}

/* mean(a, axis=None, keepdims=False) and friends as functions */
static lang_value bi_reduce(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    rt_reduce_op op = RT_SUM;
    reduce_op_of(a->fname, &op);
    if (lang_args_bind(L, a, "a, axis=, keepdims=", v) < 0) return lv_err();
    return array_reduce_call(L, op, v[0], v[1], v[2]);
}

/* a.sum(axis=None, keepdims=False) and friends as methods */
static lang_value m_reduce(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    rt_reduce_op op = RT_SUM;
    reduce_op_of(a->fname, &op);
    if (lang_args_bind(L, a, "axis=, keepdims=", v) < 0) return lv_err();
    return array_reduce_call(L, op, a->self, v[0], v[1]);
}

static lang_value m_anyall(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    int is_all = strcmp(a->fname, "all") == 0;
    if (lang_args_bind(L, a, "axis=, keepdims=", v) < 0) return lv_err();
    return array_reduce_call(L, is_all ? RT_ALL : RT_ANY, a->self, v[0], v[1]);
}

/* ---- shapes ------------------------------------------------------------------------------- */

/* arr (owned, released here) in a new shape, as the call's result. */
static lang_value reshape_take(lang_state *L, rt_array *arr, const int64_t *shape, int ndim)
{
    rt_array *r = rt_reshape(arr, shape, ndim);
    rt_array_release(arr);
    return lang_array_result(L, r);
}

static lang_value do_reshape(lang_state *L, lang_value x, const lang_value *sv, int n)
{
    int64_t shape[RT_MAX_DIMS];
    int ndim;
    if (n == 0) return lang_raise(L, LANG_E_TYPE, "reshape() needs a shape");
    if (shape_args(L, sv, n, shape, &ndim) < 0) return lv_err();
    rt_array *arr = lang_to_array(L, x, -1, "a");
    if (!arr) return lv_err();
    return reshape_take(L, arr, shape, ndim);
}

static lang_value bi_reshape(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "a, newshape", v) < 0) return lv_err();
    return do_reshape(L, v[0], &v[1], 1);
}

static lang_value m_reshape(lang_state *L, const lang_args *a)
{
    if (a->nkw) {
        if (a->nkw == 1 && a->n == 0 && (strcmp(a->kwname[0], "shape") == 0 || strcmp(a->kwname[0], "newshape") == 0))
            return do_reshape(L, a->self, a->kw, 1);
        return lang_raise(L, LANG_E_TYPE, "reshape() got an unexpected keyword argument '%s'", a->kwname[0]);
    }
    return do_reshape(L, a->self, a->v, a->n);
}

static lang_value do_transpose(lang_state *L, lang_value x, const lang_value *pv, int n)
{
    rt_array *arr = lang_to_array(L, x, -1, "a");
    if (!arr) return lv_err();
    int perm[RT_MAX_DIMS];
    int *pp = NULL;
    if (n > 0 && !(n == 1 && lv_is_none(pv[0]))) {
        /* axes: one tuple/list or several ints; negative axes count from the end */
        int64_t p64[RT_MAX_DIMS], cnt = n;
        const lang_value *items = pv;
        if (n == 1 && !lv_is_number(pv[0])) {
            items = lv_seq_items(pv[0], &cnt);
            if (!items) { rt_array_release(arr); return lang_raise(L, LANG_E_TYPE, "axes must be a tuple of ints, not %s", lv_type_name(pv[0])); }
        }
        if (cnt > RT_MAX_DIMS) cnt = RT_MAX_DIMS + 1;
        int np = (int)cnt;
        for (int i = 0; i < np && i < RT_MAX_DIMS; i++)
            if (lang_get_int(L, items[i], "axis", &p64[i]) < 0) { rt_array_release(arr); return lv_err(); }
        if (np != arr->ndim) {
            rt_array_release(arr);
            return lang_raise(L, LANG_E_VALUE, "axes don't match array: %d axes for an array of dimension %d", np, arr->ndim);
        }
        for (int i = 0; i < np; i++) perm[i] = (int)p64[i];
        pp = perm;
    }
    rt_array *r = rt_transpose(arr, pp);
    rt_array_release(arr);
    return lang_array_result(L, r);
}

static lang_value bi_transpose(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "a, axes=", v) < 0) return lv_err();
    return do_transpose(L, v[0], &v[1], lv_is_missing(v[1]) ? 0 : 1);
}

static lang_value m_transpose(lang_state *L, const lang_args *a)
{
    if (a->nkw) return lang_raise(L, LANG_E_TYPE, "transpose() takes no keyword arguments");
    return do_transpose(L, a->self, a->v, a->n);
}

static lang_value join_arrays(lang_state *L, const lang_args *a, int stack)
{
    lang_value v[2];
    int64_t axis = 0;
    if (lang_args_bind(L, a, "arrays, axis=", v) < 0) return lv_err();
    if (!lv_is_missing(v[1]) && lang_get_int(L, v[1], "axis", &axis) < 0) return lv_err();
    lang_value l = iter_to_list(L, v[0]);
    if (lv_is_err(l)) return l;
    size_t n = lv_list_len(l);
    if (n == 0) { lv_release(l); return lang_raise(L, LANG_E_VALUE, "need at least one array to %s", stack ? "stack" : "concatenate"); }
    rt_array **arrs = calloc(n, sizeof *arrs);
    if (!arrs) { lv_release(l); return lang_nomem(L); }
    lang_value res = lv_err();
    size_t i;
    for (i = 0; i < n; i++) {
        arrs[i] = lang_to_array(L, lv_list_items(l)[i], -1, "array");
        if (!arrs[i]) break;
    }
    if (i == n) {
        rt_array *r = stack ? rt_stack(arrs, (int)n, (int)axis) : rt_concatenate(arrs, (int)n, (int)axis);
        res = lang_array_result(L, r);
    }
    for (size_t k = 0; k < n; k++) rt_array_release(arrs[k]);
    free(arrs);
    lv_release(l);
    return res;
}
static lang_value bi_concatenate(lang_state *L, const lang_args *a) { return join_arrays(L, a, 0); }
static lang_value bi_stack(lang_state *L, const lang_args *a) { return join_arrays(L, a, 1); }

static lang_value bi_flatten(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "a", v) < 0) return lv_err();
    rt_array *arr = lang_to_array(L, v[0], -1, "a");
    if (!arr) return lv_err();
    rt_array *r = rt_flatten(arr);
    rt_array_release(arr);
    return lang_array_result(L, r);
}

/* expand_dims(a, axis): a view with a new axis of length 1 at `axis`
 * (counted in the result's dimensions, negative from the end). */
static lang_value bi_expand_dims(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    int64_t ax;
    if (lang_args_bind(L, a, "a, axis", v) < 0 || lang_get_int(L, v[1], "axis", &ax) < 0) return lv_err();
    rt_array *arr = lang_to_array(L, v[0], -1, "a");
    if (!arr) return lv_err();
    int nd = arr->ndim + 1;
    if (ax < -nd || ax >= nd || nd > RT_MAX_DIMS) {
        rt_array_release(arr);
        return lang_raise(L, LANG_E_VALUE, "axis %lld is out of bounds for array of dimension %d", (long long)ax, nd);
    }
    if (ax < 0) ax += nd;
    int64_t shape[RT_MAX_DIMS];
    for (int i = 0, k = 0; i < nd; i++) shape[i] = i == ax ? 1 : arr->shape[k++];
    return reshape_take(L, arr, shape, nd);
}

/* squeeze(a, axis=None): without the length-1 axes (or only `axis`, which
 * must have length 1). */
static lang_value bi_squeeze(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "a, axis=", v) < 0) return lv_err();
    rt_array *arr = lang_to_array(L, v[0], -1, "a");
    if (!arr) return lv_err();
    int64_t shape[RT_MAX_DIMS], ax = -1;
    int nd = 0;
    if (!lv_is_missing(v[1]) && !lv_is_none(v[1])) {
        if (lang_get_int(L, v[1], "axis", &ax) < 0) { rt_array_release(arr); return lv_err(); }
        if (arr->ndim == 0 && (ax == 0 || ax == -1)) ax = -1; /* numpy lets a 0-d array name axis 0 */
        else if (ax < -arr->ndim || ax >= arr->ndim) {
            int d = arr->ndim;
            rt_array_release(arr);
            return lang_raise(L, LANG_E_VALUE, "axis %lld is out of bounds for array of dimension %d", (long long)ax, d);
        }
        if (ax < 0 && arr->ndim > 0) ax += arr->ndim;
        if (ax >= 0 && arr->shape[ax] != 1) {
            rt_array_release(arr);
            return lang_raise(L, LANG_E_VALUE, "cannot select an axis to squeeze out which has size not equal to one");
        }
    }
    for (int i = 0; i < arr->ndim; i++)
        if (!(arr->shape[i] == 1 && (ax < 0 || ax == i))) shape[nd++] = arr->shape[i];
    return reshape_take(L, arr, shape, nd);
}

static lang_value m_flatten(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    return lang_array_result(L, rt_flatten(a->self.u.a));
}

static lang_value bi_matmul(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "a, b", v) < 0) return lv_err();
    if (lv_is_number(v[0]) || lv_is_number(v[1])) {
        if (strcmp(a->fname, "dot") == 0) return op_binary(L, OP_MUL, v[0], v[1]);
        return lang_raise(L, LANG_E_VALUE, "matmul: input operand does not have enough dimensions (a number)");
    }
    rt_array *x, *y;
    if (two_arrays(L, v[0], v[1], &x, &y) < 0) return lv_err();
    rt_array *r = rt_matmul(x, y);
    rt_array_release(x);
    rt_array_release(y);
    return array_or_number(L, r);
}

/* ---- methods ------------------------------------------------------------------------------ */

static lang_value host_list(lang_state *L, const rt_array *a, const double *data, int dim, int64_t *pos)
{
    int64_t n = a->shape[dim];
    lang_value l = lv_list_new((size_t)n);
    if (lv_is_err(l)) return lang_nomem(L);
    for (int64_t i = 0; i < n; i++) {
        lang_value x;
        if (dim == a->ndim - 1 && a->dtype == RT_INT64) {
            x = lv_int(((const int64_t *)(const void *)data)[(*pos)++]); /* fetched as int64, exactly */
        } else if (dim == a->ndim - 1) {
            double d = data[(*pos)++];
            switch (a->dtype) {
            case RT_INT32: case RT_UINT8: case RT_INT64: x = lv_int((int64_t)d); break;
            case RT_BOOL: x = lv_bool(d != 0); break;
            case RT_FLOAT32: {
                /* shortest float32 text, as item() does */
                char digits[32], buf[64];
                int decpt;
                if (d != d || d == 0 || d - d != 0) { x = lv_float(d); break; }
                fmt_shortest_digits(d, 1, digits, &decpt);
                snprintf(buf, sizeof buf, "%s0.%se%d", d < 0 ? "-" : "", digits, decpt);
                x = lv_float(strtod(buf, NULL));
                break;
            }
            default: x = lv_float(d);
            }
        } else {
            x = host_list(L, a, data, dim + 1, pos);
            if (lv_is_err(x)) { lv_release(l); return x; }
        }
        lv_list_append_take(l, x);
    }
    return l;
}

static lang_value m_tolist(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    rt_array *arr = a->self.u.a;
    if (arr->ndim == 0) return lang_array_item(L, arr, 0);
    double *data = malloc(((size_t)arr->size + 1) * sizeof *data);
    if (!data) return lang_nomem(L);
    rt_dtype ht = arr->dtype == RT_INT64 ? RT_INT64 : RT_FLOAT64; /* both 8 bytes */
    if (rt_to_host(arr, ht, data) != RT_OK) { free(data); return lang_raise_rt(L); }
    int64_t pos = 0;
    lang_value r = host_list(L, arr, data, 0, &pos);
    free(data);
    return r;
}

static lang_value m_item(lang_state *L, const lang_args *a)
{
    rt_array *arr = a->self.u.a;
    if (a->n == 0 && !a->nkw) {
        if (arr->size != 1)
            return lang_raise(L, LANG_E_VALUE, "can only convert an array of size 1 to a Python scalar (this one has %lld elements)",
                              (long long)arr->size);
        return lang_array_item(L, arr, 0);
    }
    lang_value v[1];
    int64_t i;
    if (lang_args_bind(L, a, "index", v) < 0 || lang_get_int(L, v[0], "index", &i) < 0) return lv_err();
    if (i < 0) i += arr->size;
    if (i < 0 || i >= arr->size) return lang_raise(L, LANG_E_INDEX, "index %lld is out of bounds for size %lld", (long long)i, (long long)arr->size);
    return lang_array_item(L, arr, i);
}

static lang_value m_astype(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    rt_dtype t;
    if (lang_args_bind(L, a, "dtype", v) < 0 || lang_get_dtype(L, v[0], "dtype", &t) < 0) return lv_err();
    return lang_array_result(L, rt_cast(a->self.u.a, t));
}

static lang_value m_to(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    rt_device *d;
    if (lang_args_bind(L, a, "device", v) < 0 || lang_get_device(L, v[0], "device", &d) < 0) return lv_err();
    if (!d) d = rt_default_device();
    return lang_array_result(L, rt_to_device(a->self.u.a, d));
}

static lang_value m_copy(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    return lang_array_result(L, rt_copy(a->self.u.a));
}

static lang_value shape_tuple(lang_state *L, const rt_array *x)
{
    lang_value t = lv_tuple_new((size_t)x->ndim);
    if (lv_is_err(t)) return lang_nomem(L);
    for (int i = 0; i < x->ndim; i++) lv_tuple_set_take(t, (size_t)i, lv_int(x->shape[i]));
    return t;
}

static lang_value array_getattr(lang_state *L, lang_value self, const char *name)
{
    rt_array *x = self.u.a;
    if (strcmp(name, "shape") == 0) return shape_tuple(L, x);
    if (strcmp(name, "dtype") == 0) return lv_str(rt_dtype_name(x->dtype));
    if (strcmp(name, "device") == 0) return lv_str(rt_device_name(x->device));
    if (strcmp(name, "ndim") == 0) return lv_int(x->ndim);
    if (strcmp(name, "size") == 0) return lv_int(x->size);
    if (strcmp(name, "itemsize") == 0) return lv_int((int64_t)rt_dtype_size(x->dtype));
    if (strcmp(name, "nbytes") == 0) return lv_int(x->size * (int64_t)rt_dtype_size(x->dtype));
    if (strcmp(name, "T") == 0) return lang_array_result(L, rt_transpose(x, NULL));
    return lv_missing();
}

static const char *const lang_array_attrs[] = { "shape", "dtype", "device", "ndim", "size", "itemsize", "nbytes", "T", NULL };

#define REDUCE_DOC(n, d, ex) "a." n "(axis=None, keepdims=False)\n" d "\n>>> " ex
static const lang_method lang_array_methods[] = {
    {"sum", m_reduce, REDUCE_DOC("sum", "Sum of the elements (over an axis).", "array([[1, 2], [3, 4]]).sum(axis=0)\narray([4., 6.], dtype=float32)")},
    {"mean", m_reduce, REDUCE_DOC("mean", "Mean of the elements (over an axis).", "array([1, 2, 3, 4]).mean()\n2.5")},
    {"max", m_reduce, REDUCE_DOC("max", "Largest element (over an axis).", "array([1, 5, 2]).max()\n5.0")},
    {"min", m_reduce, REDUCE_DOC("min", "Smallest element (over an axis).", "array([1, 5, 2]).min()\n1.0")},
    {"argmax", m_reduce, REDUCE_DOC("argmax", "Index of the largest element (over an axis).", "array([1, 5, 2]).argmax()\n1")},
    {"argmin", m_reduce, REDUCE_DOC("argmin", "Index of the smallest element (over an axis).", "array([1, 5, 2]).argmin()\n0")},
    {"std", m_reduce, REDUCE_DOC("std", "Standard deviation (population, ddof=0).", "array([1, 2, 3, 4]).std()\n1.118034")},
    {"var", m_reduce, REDUCE_DOC("var", "Variance (population, ddof=0).", "array([1, 2, 3, 4]).var()\n1.25")},
    {"any", m_anyall, "a.any(axis=None, keepdims=False)\nTrue when any element is non-zero.\n>>> (array([1, -2]) < 0).any()\nTrue"},
    {"all", m_anyall, "a.all(axis=None, keepdims=False)\nTrue when every element is non-zero.\n>>> (array([1, -2]) < 0).all()\nFalse"},
    {"reshape", m_reshape, "a.reshape(*shape)\nThe same elements in a new shape (one dimension may be -1).\n>>> arange(6).reshape(2, -1).shape\n(2, 3)"},
    {"transpose", m_transpose, "a.transpose(*axes)\nAxes permuted (reversed by default); a.T is the same.\n>>> zeros((2, 3)).transpose().shape\n(3, 2)"},
    {"flatten", m_flatten, "a.flatten()\nA 1-D copy of the elements.\n>>> array([[1, 2], [3, 4]]).flatten()\narray([1., 2., 3., 4.], dtype=float32)"},
    {"tolist", m_tolist, "a.tolist()\nThe elements as (nested) lists of Python numbers.\n>>> array([1.5, 2]).tolist()\n[1.5, 2.0]"},
    {"item", m_item, "a.item(index=)\nThe element of a one-element array (or at a flat index) as a Python number.\n>>> array([3.5]).item()\n3.5"},
    {"astype", m_astype, "a.astype(dtype)\nA copy converted to dtype.\n>>> array([1.7, -1.7]).astype('int32')\narray([ 1, -1], dtype=int32)"},
    {"to", m_to, "a.to(device)\nA copy on another device (\"CPU:0\", \"GPU:1\" ...).\n>>> a.to(\"CPU:0\").device\n'CPU:0'"},
    {"copy", m_copy, "a.copy()\nA copy with its own storage.\n>>> b = a.copy()"},
    {NULL, NULL, NULL}
};

void lang_init_array(lang_state *L)
{
    static const lang_type_methods array = { lang_array_methods, lang_array_attrs, array_getattr };
    lang_register_type_methods(L, LV_ARRAY, &array);
    lang_register_type(L, "array", bi_array,
        "array(data, dtype=\"float32\", device=None)\nAn n-dimensional array from (nested) lists of numbers, on the default device or `device`.\n"
        ">>> array([[1, 2], [3, 4]])\narray([[1., 2.],\n       [3., 4.]], dtype=float32)", LV_ARRAY);
    lang_register_builtin(L, "zeros", bi_zeros,
        "zeros(shape, dtype=\"float32\", device=None)\nAn array of zeros.\n>>> zeros((2, 3)).shape\n(2, 3)");
    lang_register_builtin(L, "ones", bi_ones,
        "ones(shape, dtype=\"float32\", device=None)\nAn array of ones.\n>>> ones(3)\narray([1., 1., 1.], dtype=float32)");
    lang_register_builtin(L, "full", bi_full,
        "full(shape, fill_value, dtype=None, device=None)\nAn array filled with fill_value.\n>>> full(2, 7.5)\narray([7.5, 7.5], dtype=float32)");
    lang_register_builtin(L, "zeros_like", bi_zeros_like,
        "zeros_like(a, dtype=None)\nZeros with the shape, dtype and device of a.\n>>> zeros_like(ones((2, 2))).sum()\n0.0");
    lang_register_builtin(L, "ones_like", bi_ones_like,
        "ones_like(a, dtype=None)\nOnes with the shape, dtype and device of a.\n>>> ones_like(zeros(3)).sum()\n3.0");
    lang_register_builtin(L, "arange", bi_arange,
        "arange(start, stop=None, step=1, dtype=None, device=None)\nEvenly spaced values in [start, stop) (int32 for int arguments, else float32).\n>>> arange(0, 1, 0.25)\narray([0.  , 0.25, 0.5 , 0.75], dtype=float32)");
    lang_register_builtin(L, "linspace", bi_linspace,
        "linspace(start, stop, num=50, dtype=\"float32\", device=None)\nnum evenly spaced values from start to stop inclusive.\n>>> linspace(0, 1, 5)\narray([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)");
    lang_register_builtin(L, "eye", bi_eye,
        "eye(n, dtype=\"float32\", device=None)\nThe n x n identity matrix.\n>>> eye(2)\narray([[1., 0.],\n       [0., 1.]], dtype=float32)");
    lang_register_builtin(L, "rand", bi_rand,
        "rand(*shape, dtype=\"float32\", device=None)\nUniform random numbers in [0, 1) (reproducible after seed(n)).\n>>> seed(0); rand(2, 3).shape\n(2, 3)");
    lang_register_builtin(L, "randn", bi_randn,
        "randn(*shape, dtype=\"float32\", device=None)\nStandard normal random numbers (reproducible after seed(n)).\n>>> randn(1000).std()");
    lang_register_builtin(L, "seed", bi_seed,
        "seed(n)\nSeeds the random generator: the same calls then give the same numbers on every device.\n>>> seed(42)");
    for (size_t i = 0; i < sizeof unary_table / sizeof unary_table[0]; i++) {
        static const char *const docs[] = {
            "exp(x)\nElement-wise e**x.\n>>> exp(array([0., 1.]))\narray([1.       , 2.7182817], dtype=float32)",
            "log(x)\nElement-wise natural logarithm.\n>>> log(array([1., 100.]))\narray([0.       , 4.6051702], dtype=float32)",
            "sqrt(x)\nElement-wise square root.\n>>> sqrt(array([4., 9.]))\narray([2., 3.], dtype=float32)",
            "sin(x)\nElement-wise sine (radians).\n>>> sin(0.0)\n0.0",
            "cos(x)\nElement-wise cosine (radians).\n>>> cos(0.0)\n1.0",
            "tanh(x)\nElement-wise hyperbolic tangent.\n>>> tanh(array([0.]))\narray([0.], dtype=float32)",
            "sigmoid(x)\nElement-wise 1 / (1 + exp(-x)).\n>>> sigmoid(0.0)\n0.5",
            "relu(x)\nElement-wise max(x, 0).\n>>> relu(array([-1., 2.]))\narray([0., 2.], dtype=float32)",
            "floor(x)\nElement-wise largest integer <= x.\n>>> floor(array([1.5, -1.5]))\narray([ 1., -2.], dtype=float32)",
            "ceil(x)\nElement-wise smallest integer >= x.\n>>> ceil(array([1.5, -1.5]))\narray([ 2., -1.], dtype=float32)",
        };
        lang_register_builtin(L, unary_table[i].name, bi_unary, docs[i]);
    }
    lang_register_builtin(L, "maximum", bi_maximum,
        "maximum(x1, x2)\nElement-wise larger of two arrays (broadcast).\n>>> maximum(array([1., 5.]), 3)\narray([3., 5.], dtype=float32)");
    lang_register_builtin(L, "minimum", bi_minimum,
        "minimum(x1, x2)\nElement-wise smaller of two arrays (broadcast).\n>>> minimum(array([1., 5.]), 3)\narray([1., 3.], dtype=float32)");
    lang_register_builtin(L, "where", bi_where,
        "where(condition, x, y)\nElements of x where condition holds, else of y (broadcast).\n>>> where(array([1., -2.]) > 0, 1, 0)\narray([1., 0.], dtype=float32)");
    lang_register_builtin(L, "clip", bi_clip,
        "clip(a, a_min, a_max)\nValues limited to [a_min, a_max] (None: no limit).\n>>> clip(array([-1., 0.5, 2.]), 0, 1)\narray([0. , 0.5, 1. ], dtype=float32)");
    lang_register_builtin(L, "mean", bi_reduce,
        "mean(a, axis=None, keepdims=False)\nMean of the elements (over an axis).\n>>> mean(array([1, 2, 3, 4]))\n2.5");
    lang_register_builtin(L, "argmax", bi_reduce,
        "argmax(a, axis=None, keepdims=False)\nIndex of the largest element (flat, or along an axis).\n>>> argmax(array([1, 5, 2]))\n1");
    lang_register_builtin(L, "argmin", bi_reduce,
        "argmin(a, axis=None, keepdims=False)\nIndex of the smallest element (flat, or along an axis).\n>>> argmin(array([1, 5, 2]))\n0");
    lang_register_builtin(L, "std", bi_reduce,
        "std(a, axis=None, keepdims=False)\nStandard deviation (population, ddof=0).\n>>> std(array([1, 2, 3, 4]))\n1.118034");
    lang_register_builtin(L, "var", bi_reduce,
        "var(a, axis=None, keepdims=False)\nVariance (population, ddof=0).\n>>> var(array([1, 2, 3, 4]))\n1.25");
    lang_register_builtin(L, "reshape", bi_reshape,
        "reshape(a, newshape)\nThe same elements in a new shape (one dimension may be -1).\n>>> reshape(arange(6), (3, -1)).shape\n(3, 2)");
    lang_register_builtin(L, "transpose", bi_transpose,
        "transpose(a, axes=None)\nAxes permuted (reversed by default).\n>>> transpose(zeros((2, 3))).shape\n(3, 2)");
    lang_register_builtin(L, "concatenate", bi_concatenate,
        "concatenate(arrays, axis=0)\nArrays joined along an existing axis.\n>>> concatenate([ones(2), zeros(1)])\narray([1., 1., 0.], dtype=float32)");
    lang_register_builtin(L, "stack", bi_stack,
        "stack(arrays, axis=0)\nArrays joined along a new axis.\n>>> stack([ones(2), zeros(2)]).shape\n(2, 2)");
    lang_register_builtin(L, "expand_dims", bi_expand_dims,
        "expand_dims(a, axis)\nThe elements of a with a new axis of length 1 at position axis.\n>>> expand_dims(zeros((2, 3)), 0).shape\n(1, 2, 3)");
    lang_register_builtin(L, "squeeze", bi_squeeze,
        "squeeze(a, axis=None)\nThe elements of a without its length-1 axes (or only axis).\n>>> squeeze(zeros((1, 3, 1))).shape\n(3,)");
    lang_register_builtin(L, "flatten", bi_flatten,
        "flatten(a)\nA 1-D copy of the elements.\n>>> flatten(ones((2, 2))).shape\n(4,)");
    lang_register_builtin(L, "matmul", bi_matmul,
        "matmul(a, b)\nMatrix product (a @ b), batched over leading axes.\n>>> matmul(ones((2, 3)), ones((3, 1))).shape\n(2, 1)");
    lang_register_builtin(L, "dot", bi_matmul,
        "dot(a, b)\nDot product of vectors, matrix product of matrices.\n>>> dot(array([1., 2.]), array([3., 4.]))\n11.0");
}
