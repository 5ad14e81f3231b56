/* rt_ops.c — element-wise ops: every binary and unary op against a double
 * reference, dtype promotion, scalar operands, broadcasting of every rank
 * pair, non-contiguous operands, odd sizes, division by zero, where, clip. */
#include "rt_testlib.h"

/* ---- references ------------------------------------------------------------- */

static double py_floordiv(double a, double b) {
    if (b == 0) return a / b;
    double mod = fmod(a, b), div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1.0;
    if (div == 0) return copysign(0.0, a / b);
    double f = floor(div);
    if (div - f > 0.5) f += 1.0;
    return f;
}

static double py_mod(double a, double b) {
    if (b == 0) return NAN;
    double m = fmod(a, b);
    if (m != 0 && ((b < 0) != (m < 0))) m += b;
    return m;
}

static int is_float(rt_dtype t) { return t == RT_FLOAT32 || t == RT_FLOAT64; }

static double ref_binary(rt_binary_op op, double a, double b, rt_dtype ct) {
    int fl = is_float(ct);
    switch (op) {
    case RT_ADD: return a + b;
    case RT_SUB: return a - b;
    case RT_MUL: return a * b;
    case RT_DIV: return a / b;
    case RT_FLOORDIV: return fl ? py_floordiv(a, b) : floor(a / b);
    case RT_MOD: return fl ? py_mod(a, b) : a - floor(a / b) * b;
    case RT_POW: return fl ? pow(a, b) : trunc(pow(a, b));
    case RT_MAXIMUM: return a > b ? a : b;
    case RT_MINIMUM: return a < b ? a : b;
    case RT_EQ: return a == b;
    case RT_NE: return a != b;
    case RT_LT: return a < b;
    case RT_LE: return a <= b;
    case RT_GT: return a > b;
    case RT_GE: return a >= b;
    case RT_LOGICAL_AND: return a != 0 && b != 0;
    case RT_LOGICAL_OR: return a != 0 || b != 0;
    default: return NAN;
    }
}

static int rank(rt_dtype t) {
    return t == RT_BOOL ? 0 : t == RT_UINT8 ? 1 : t == RT_INT32 ? 2 : t == RT_INT64 ? 3 : t == RT_FLOAT32 ? 4 : 5;
}

/* The documented rules, written out independently of the runtime. */
static void expect_dtypes(rt_binary_op op, rt_dtype a, rt_dtype b, rt_dtype *ct, rt_dtype *ot) {
    rt_dtype t = rank(a) >= rank(b) ? a : b;
    if (op == RT_LOGICAL_AND || op == RT_LOGICAL_OR) { *ct = *ot = RT_BOOL; return; }
    if (op >= RT_EQ && op <= RT_GE) { *ct = t; *ot = RT_BOOL; return; }
    if (op == RT_DIV && !is_float(t)) t = RT_FLOAT32;
    else if (t == RT_BOOL && (op == RT_FLOORDIV || op == RT_MOD || op == RT_POW)) t = RT_INT32;
    *ct = *ot = t;
}

static double gen(rt_dtype t, int nonzero) {
    double v;
    switch (t) {
    case RT_BOOL: v = tl_int(0, 1); if (nonzero) v = 1; break;
    case RT_INT32: case RT_INT64: v = tl_int(-20, 20); if (nonzero && v == 0) v = 3; break;
    case RT_UINT8: v = tl_int(0, 40); if (nonzero && v == 0) v = 3; break;
    default: v = tl_int(-20, 20) / 4.0; if (nonzero && v == 0) v = 1.5; break;
    }
    return v;
}

static double tol_for(rt_dtype t) { return t == RT_FLOAT32 ? 2e-6 : t == RT_FLOAT64 ? 1e-13 : 0; }

/* One binary op on n elements of dtypes (ta, tb) against the reference. */
static void check_binary(rt_device *dev, rt_binary_op op, rt_dtype ta, rt_dtype tb, int64_t n) {
    double *a = malloc((size_t)(n + 1) * sizeof *a), *b = malloc((size_t)(n + 1) * sizeof *b);
    double *ref = malloc((size_t)(n + 1) * sizeof *ref);
    int divides = op == RT_DIV || op == RT_FLOORDIV || op == RT_MOD;
    for (int64_t i = 0; i < n; i++) {
        a[i] = gen(ta, 0);
        b[i] = gen(tb, divides);
        if (op == RT_POW) { b[i] = tl_int(-3, 4); if (tb == RT_BOOL) b[i] = tl_int(0, 1); if (!is_float(ta) && !is_float(tb) && b[i] < 0) b[i] = 2; }
    }
    rt_dtype ct, ot;
    expect_dtypes(op, ta, tb, &ct, &ot);
    for (int64_t i = 0; i < n; i++) {
        double x = tl_round(a[i], ct == RT_BOOL ? RT_BOOL : ta), y = tl_round(b[i], ct == RT_BOOL ? RT_BOOL : tb);
        double r = ref_binary(op, x, y, ct);
        if (ct == RT_BOOL && !(op >= RT_EQ)) r = r != 0; /* bool + and * are or / and */
        ref[i] = tl_round(r, ot);
    }
    if (ct == RT_BOOL && op == RT_SUB) { /* refused, as numpy refuses it */
        int64_t shape[1] = {n};
        rt_array *A = tl_array(a, shape, 1, ta, dev), *B = tl_array(b, shape, 1, tb, dev);
        CHECK(rt_binary(op, A, B) == NULL);
        CHECK_ERROR(RT_ETYPE, "boolean subtract");
        rt_array_release(A); rt_array_release(B);
        free(a); free(b); free(ref);
        return;
    }
    int64_t shape[1] = {n};
    rt_array *A = tl_array(a, shape, 1, ta, dev), *B = tl_array(b, shape, 1, tb, dev);
    rt_array *C = rt_binary(op, A, B);
    CHECK(C != NULL);
    if (C) {
        CHECK(C->dtype == ot);
        CHECK(C->device == dev);
        char what[96];
        snprintf(what, sizeof what, "%s(%s, %s) n=%lld", rt_binary_op_name(op), rt_dtype_name(ta), rt_dtype_name(tb), (long long)n);
        double tol = tol_for(ot);
        CHECK_ARRAY(C, ref, n, tol, tol * 4, what);
    } else {
        fprintf(stderr, "    %s: %s\n", rt_binary_op_name(op), rt_error_message());
    }
    rt_array_release(A); rt_array_release(B); rt_array_release(C);
    free(a); free(b); free(ref);
}

DEVICE_TEST(binary_every_op_and_dtype) {
    static const rt_dtype pairs[][2] = {
        {RT_FLOAT32, RT_FLOAT32}, {RT_FLOAT64, RT_FLOAT64}, {RT_INT32, RT_INT32}, {RT_BOOL, RT_BOOL},
        {RT_INT32, RT_FLOAT32}, {RT_FLOAT32, RT_FLOAT64}, {RT_BOOL, RT_INT32}, {RT_BOOL, RT_FLOAT32},
        {RT_UINT8, RT_UINT8}, {RT_INT64, RT_INT64}, {RT_UINT8, RT_INT32}, {RT_UINT8, RT_FLOAT32},
        {RT_INT64, RT_FLOAT32}, {RT_BOOL, RT_UINT8}, {RT_INT32, RT_INT64},
    };
    for (int op = 0; op < RT_BINARY_OP_COUNT; op++)
        for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++)
            check_binary(dev, (rt_binary_op)op, pairs[p][0], pairs[p][1], 1023);
}

DEVICE_TEST(binary_odd_sizes) {
    static const int64_t sizes[] = {0, 1, 2, 15, 17, 1023, ((int64_t)1 << 20) + 3};
    static const rt_binary_op ops[] = {RT_ADD, RT_MUL, RT_DIV, RT_MAXIMUM, RT_LT, RT_FLOORDIV};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
            check_binary(dev, ops[o], RT_FLOAT32, RT_FLOAT32, sizes[s]);
            if (s < 6) check_binary(dev, ops[o], RT_INT32, RT_INT32, sizes[s]);
        }
}

TEST(dtype_promotion_table) {
    CHECK(rt_dtype_promote(RT_BOOL, RT_INT32) == RT_INT32);
    CHECK(rt_dtype_promote(RT_INT32, RT_FLOAT32) == RT_FLOAT32);
    CHECK(rt_dtype_promote(RT_FLOAT32, RT_FLOAT64) == RT_FLOAT64);
    CHECK(rt_dtype_promote(RT_BOOL, RT_BOOL) == RT_BOOL);
    CHECK(rt_dtype_promote(RT_FLOAT64, RT_INT32) == RT_FLOAT64);
    CHECK(rt_dtype_size(RT_FLOAT64) == 8 && rt_dtype_size(RT_BOOL) == 1);
    CHECK_STR(rt_dtype_name(RT_INT32), "int32");
    rt_dtype t;
    CHECK(rt_dtype_parse("float64", &t) == 0 && t == RT_FLOAT64);
    CHECK(rt_dtype_parse("bool", &t) == 0 && t == RT_BOOL);
    CHECK(rt_dtype_parse("int64", &t) == 0 && t == RT_INT64);
    CHECK(rt_dtype_parse("uint8", &t) == 0 && t == RT_UINT8);
    CHECK(rt_dtype_parse("int16", &t) == -1);
    CHECK(rt_dtype_promote(RT_UINT8, RT_INT32) == RT_INT32);
    CHECK(rt_dtype_promote(RT_UINT8, RT_BOOL) == RT_UINT8);
    CHECK(rt_dtype_promote(RT_INT64, RT_FLOAT32) == RT_FLOAT32);
    CHECK(rt_dtype_promote(RT_INT64, RT_INT32) == RT_INT64);
    CHECK(rt_dtype_promote_weak(RT_UINT8, RT_WEAK_INT) == RT_UINT8);
    CHECK(rt_dtype_promote_weak(RT_UINT8, RT_WEAK_FLOAT) == RT_FLOAT32);
    CHECK(rt_dtype_promote_weak(RT_BOOL, RT_WEAK_INT) == RT_INT32);
    CHECK(rt_dtype_promote_weak(RT_FLOAT64, RT_WEAK_INT) == RT_FLOAT64);
    CHECK(rt_dtype_promote_weak(RT_INT64, RT_WEAK_BOOL) == RT_INT64);
    CHECK_STR(rt_binary_op_name(RT_ADD), "AddV2");
    CHECK_STR(rt_binary_op_name(RT_LOGICAL_OR), "LogicalOr");
    CHECK_STR(rt_unary_op_name(RT_LOGICAL_NOT), "LogicalNot");
    CHECK_STR(rt_unary_op_name(RT_RELU), "Relu");
}

DEVICE_TEST(scalar_operands) {
    double v[4] = {1, 2, 3, 4};
    int64_t s[1] = {4};
    rt_array *i = tl_array(v, s, 1, RT_INT32, dev), *f = tl_array(v, s, 1, RT_FLOAT32, dev);
    rt_array *bo = tl_array(v, s, 1, RT_BOOL, dev);
    rt_array *r;
    r = rt_binary_scalar(RT_ADD, i, 2, 0);                     /* int + 2 -> int32 */
    CHECK(r && r->dtype == RT_INT32);
    CHECK_ARRAY(r, ((double[]){3, 4, 5, 6}), 4, 0, 0, "i+2");
    rt_array_release(r);
    r = rt_binary_scalar(RT_ADD, i, 2.5, 0);                   /* int + 2.5 -> float32 */
    CHECK(r && r->dtype == RT_FLOAT32);
    CHECK_ARRAY(r, ((double[]){3.5, 4.5, 5.5, 6.5}), 4, 0, 0, "i+2.5");
    rt_array_release(r);
    r = rt_binary_scalar_ex(RT_ADD, i, 2.0, 0, 1);             /* int + 2.0 -> float32 */
    CHECK(r && r->dtype == RT_FLOAT32);
    rt_array_release(r);
    r = rt_binary_scalar(RT_SUB, f, 10, 1);                    /* 10 - f */
    CHECK(r && r->dtype == RT_FLOAT32);
    CHECK_ARRAY(r, ((double[]){9, 8, 7, 6}), 4, 0, 0, "10-f");
    rt_array_release(r);
    r = rt_binary_scalar(RT_DIV, i, 2, 0);                     /* true division -> float32 */
    CHECK(r && r->dtype == RT_FLOAT32);
    CHECK_ARRAY(r, ((double[]){0.5, 1, 1.5, 2}), 4, 0, 0, "i/2");
    rt_array_release(r);
    r = rt_binary_scalar(RT_ADD, bo, 1, 0);                    /* True + 1 == 2 */
    CHECK(r && r->dtype == RT_INT32);
    CHECK_ARRAY(r, ((double[]){2, 2, 2, 2}), 4, 0, 0, "b+1");
    rt_array_release(r);
    r = rt_binary_scalar(RT_GT, f, 2, 0);
    CHECK(r && r->dtype == RT_BOOL);
    CHECK_ARRAY(r, ((double[]){0, 0, 1, 1}), 4, 0, 0, "f>2");
    rt_array_release(r);
    r = rt_binary_scalar(RT_POW, i, 2, 1);                     /* 2 ** i */
    CHECK(r && r->dtype == RT_INT32);
    CHECK_ARRAY(r, ((double[]){2, 4, 8, 16}), 4, 0, 0, "2**i");
    rt_array_release(r);
    r = rt_binary_scalar(RT_MOD, i, -3, 0);                    /* Python sign rule */
    CHECK_ARRAY(r, ((double[]){-2, -1, 0, -2}), 4, 0, 0, "i%-3");
    rt_array_release(r);
    r = rt_binary_scalar(RT_FLOORDIV, i, -3, 1);               /* -3 // i */
    CHECK_ARRAY(r, ((double[]){-3, -2, -1, -1}), 4, 0, 0, "-3//i");
    rt_array_release(r);
    rt_array_release(i); rt_array_release(f); rt_array_release(bo);
}

DEVICE_TEST(division_by_zero) {
    double v[3] = {1, -1, 0}, z[3] = {0, 0, 0};
    int64_t s[1] = {3};
    rt_array *a = tl_array(v, s, 1, RT_INT32, dev), *b = tl_array(z, s, 1, RT_INT32, dev);
    CHECK(rt_binary(RT_FLOORDIV, a, b) == NULL);
    CHECK_ERROR(RT_EZERODIV, "integer division by zero");
    CHECK(rt_binary(RT_MOD, a, b) == NULL);
    CHECK_ERROR(RT_EZERODIV, "by zero");
    CHECK(rt_binary_scalar(RT_FLOORDIV, a, 0, 0) == NULL);
    CHECK_ERROR(RT_EZERODIV, "integer division by zero");
    /* true division of ints is float division: inf like numpy */
    rt_array *r = rt_binary(RT_DIV, a, b);
    CHECK(r && r->dtype == RT_FLOAT32);
    CHECK_ARRAY(r, ((double[]){INFINITY, -INFINITY, NAN}), 3, 0, 0, "int/0");
    rt_array_release(r);
    rt_array *fa = tl_array(v, s, 1, RT_FLOAT32, dev), *fb = tl_array(z, s, 1, RT_FLOAT32, dev);
    r = rt_binary(RT_DIV, fa, fb);
    CHECK_ARRAY(r, ((double[]){INFINITY, -INFINITY, NAN}), 3, 0, 0, "f/0");
    rt_array_release(r);
    r = rt_binary(RT_FLOORDIV, fa, fb);
    CHECK_ARRAY(r, ((double[]){INFINITY, -INFINITY, NAN}), 3, 0, 0, "f//0");
    rt_array_release(r);
    r = rt_binary(RT_MOD, fa, fb);
    CHECK_ARRAY(r, ((double[]){NAN, NAN, NAN}), 3, 0, 0, "f%0");
    rt_array_release(r);
    /* integer wrap-around instead of undefined behaviour */
    double mn[2] = {-2147483648.0, 7}, m1[2] = {-1, -1};
    rt_array *x = tl_array(mn, (int64_t[]){2}, 1, RT_INT32, dev), *y = tl_array(m1, (int64_t[]){2}, 1, RT_INT32, dev);
    r = rt_binary(RT_FLOORDIV, x, y);
    CHECK_ARRAY(r, ((double[]){-2147483648.0, -7}), 2, 0, 0, "INT_MIN//-1");
    rt_array_release(r);
    r = rt_binary(RT_MOD, x, y);
    CHECK_ARRAY(r, ((double[]){0, 0}), 2, 0, 0, "INT_MIN%-1");
    rt_array_release(r);
    rt_array_release(x); rt_array_release(y);
    rt_array_release(a); rt_array_release(b); rt_array_release(fa); rt_array_release(fb);
}

/* ---- unary -------------------------------------------------------------------- */

static double ref_unary(rt_unary_op op, double x) {
    switch (op) {
    case RT_NEG: return -x;
    case RT_ABS: return fabs(x);
    case RT_EXP: return exp(x);
    case RT_LOG: return log(x);
    case RT_SQRT: return sqrt(x);
    case RT_SIN: return sin(x);
    case RT_COS: return cos(x);
    case RT_TANH: return tanh(x);
    case RT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case RT_RELU: return x > 0 ? x : 0;
    case RT_FLOOR: return floor(x);
    case RT_CEIL: return ceil(x);
    case RT_LOGICAL_NOT: return x == 0;
    default: return NAN;
    }
}

static void check_unary(rt_device *dev, rt_unary_op op, rt_dtype t, int64_t n) {
    double *a = malloc((size_t)(n + 1) * sizeof *a), *ref = malloc((size_t)(n + 1) * sizeof *ref);
    int transcendental = op >= RT_EXP && op <= RT_SIGMOID;
    int rounding = op == RT_FLOOR || op == RT_CEIL;
    rt_dtype ot = op == RT_LOGICAL_NOT ? RT_BOOL : ((transcendental || rounding) && !is_float(t)) ? RT_FLOAT32
                : (t == RT_BOOL && op == RT_RELU) ? RT_INT32 : t;
    if (t == RT_BOOL && op == RT_NEG) { /* refused, as numpy refuses it */
        rt_array *A = tl_array((double[]){1}, (int64_t[]){1}, 1, t, dev);
        CHECK(rt_unary(op, A) == NULL);
        CHECK_ERROR(RT_ETYPE, "boolean negative");
        rt_array_release(A);
        free(a); free(ref);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        a[i] = tl_round(gen(t, 0), t);
        ref[i] = tl_round(ref_unary(op, a[i]), ot);
        if (t == RT_UINT8 && op == RT_NEG) ref[i] = (uint8_t)(0u - (unsigned)a[i]);
    }
    int64_t shape[1] = {n};
    rt_array *A = tl_array(a, shape, 1, t, dev);
    rt_array *C = rt_unary(op, A);
    CHECK(C != NULL);
    if (C) {
        CHECK(C->dtype == ot);
        char what[96];
        snprintf(what, sizeof what, "%s(%s) n=%lld", rt_unary_op_name(op), rt_dtype_name(t), (long long)n);
        double tol = ot == RT_FLOAT32 ? 1e-5 : ot == RT_FLOAT64 ? 1e-12 : 0;
        CHECK_ARRAY(C, ref, n, tol, tol, what);
    }
    rt_array_release(A); rt_array_release(C);
    free(a); free(ref);
}

DEVICE_TEST(unary_every_op_and_dtype) {
    static const rt_dtype ts[] = {RT_FLOAT32, RT_FLOAT64, RT_INT32, RT_BOOL, RT_UINT8, RT_INT64};
    for (int op = 0; op < RT_UNARY_OP_COUNT; op++)
        for (size_t t = 0; t < sizeof ts / sizeof ts[0]; t++) {
            check_unary(dev, (rt_unary_op)op, ts[t], 1023);
            check_unary(dev, (rt_unary_op)op, ts[t], 0);
            check_unary(dev, (rt_unary_op)op, ts[t], 1);
        }
    check_unary(dev, RT_EXP, RT_FLOAT32, ((int64_t)1 << 20) + 3);
    check_unary(dev, RT_NEG, RT_FLOAT32, ((int64_t)1 << 20) + 3);
}

/* ---- broadcasting --------------------------------------------------------------- */

/* a has the last ra dims of full = (2, 3, 4, 5) with every dim where
 * (i + mask) is even set to 1; b likewise with the other parity. */
static void make_shape(int r, int parity, int64_t *shape) {
    static const int64_t full[4] = {2, 3, 4, 5};
    for (int i = 0; i < r; i++) {
        int d = 4 - r + i;
        shape[i] = ((d + parity) % 2 == 0) ? 1 : full[d];
    }
}

static int64_t bidx(const int64_t *oshape, int on, int64_t flat, const int64_t *shape, int n) {
    int64_t coord[8], off = 0, st = 1;
    for (int i = on - 1; i >= 0; i--) { coord[i] = flat % oshape[i]; flat /= oshape[i]; }
    for (int i = n - 1; i >= 0; i--) {
        int oi = on - n + i;
        off += (shape[i] == 1 ? 0 : coord[oi]) * st;
        st *= shape[i];
    }
    return off;
}

DEVICE_TEST(broadcast_every_rank_pair) {
    for (int ra = 0; ra <= 4; ra++)
        for (int rb = 0; rb <= 4; rb++) {
            int64_t sa[4], sb[4], so[4];
            make_shape(ra, 0, sa);
            make_shape(rb, 1, sb);
            int on = ra > rb ? ra : rb;
            for (int i = 0; i < on; i++) {
                int ia = ra - on + i, ib = rb - on + i;
                int64_t da = ia >= 0 ? sa[ia] : 1, db = ib >= 0 ? sb[ib] : 1;
                so[i] = da > db ? da : db;
            }
            int64_t na = 1, nb = 1, no = 1;
            for (int i = 0; i < ra; i++) na *= sa[i];
            for (int i = 0; i < rb; i++) nb *= sb[i];
            for (int i = 0; i < on; i++) no *= so[i];
            double a[120], b[120], ref[120], refc[120];
            for (int64_t i = 0; i < na; i++) a[i] = tl_int(-9, 9);
            for (int64_t i = 0; i < nb; i++) b[i] = tl_int(-9, 9);
            for (int64_t i = 0; i < no; i++) {
                double x = a[bidx(so, on, i, sa, ra)], y = b[bidx(so, on, i, sb, rb)];
                ref[i] = x * 10 + y;
                refc[i] = x < y;
            }
            rt_array *A = tl_array(a, sa, ra, RT_FLOAT32, dev), *B = tl_array(b, sb, rb, RT_FLOAT32, dev);
            rt_array *A10 = rt_binary_scalar(RT_MUL, A, 10, 0);
            rt_array *C = rt_binary(RT_ADD, A10, B), *L = rt_binary(RT_LT, A, B);
            char what[64];
            snprintf(what, sizeof what, "rank %d + rank %d", ra, rb);
            CHECK(C && C->ndim == on);
            for (int i = 0; C && i < on && i < C->ndim; i++) CHECK(C->shape[i] == so[i]);
            CHECK_ARRAY(C, ref, no, 0, 0, what);
            CHECK_ARRAY(L, refc, no, 0, 0, what);
            rt_array_release(A); rt_array_release(B); rt_array_release(A10);
            rt_array_release(C); rt_array_release(L);
        }
}

DEVICE_TEST(broadcast_errors) {
    rt_array *a = rt_zeros((int64_t[]){2}, 1, RT_FLOAT32, dev), *b = rt_zeros((int64_t[]){3}, 1, RT_FLOAT32, dev);
    CHECK(rt_binary(RT_ADD, a, b) == NULL);
    CHECK_ERROR(RT_ESHAPE, "cannot broadcast shapes (2,) and (3,)");
    rt_array *c = rt_zeros((int64_t[]){2, 3}, 2, RT_FLOAT32, dev), *d = rt_zeros((int64_t[]){3, 2}, 2, RT_FLOAT32, dev);
    CHECK(rt_binary(RT_MUL, c, d) == NULL);
    CHECK_ERROR(RT_ESHAPE, "cannot broadcast shapes (2, 3) and (3, 2)");
    CHECK(rt_where(a, c, d) == NULL);
    CHECK_ERROR(RT_ESHAPE, "cannot broadcast");
    /* size-0 broadcasts with size 1 */
    rt_array *e = rt_zeros((int64_t[]){0, 3}, 2, RT_FLOAT32, dev), *f = rt_zeros((int64_t[]){1, 3}, 2, RT_FLOAT32, dev);
    rt_array *g = rt_binary(RT_ADD, e, f);
    CHECK_SHAPE(g, 0, 3);
    rt_array_release(a); rt_array_release(b); rt_array_release(c); rt_array_release(d);
    rt_array_release(e); rt_array_release(f); rt_array_release(g);
}

DEVICE_TEST(non_contiguous_operands) {
    /* base (6, 7); A = base.T (7, 6); B = base[::-1, ::-2] (6, 4) -> B.T (4, 6)
     * broadcast against A[1:5] */
    double v[42];
    for (int i = 0; i < 42; i++) v[i] = tl_int(-50, 50) / 2.0;
    rt_array *base = tl_array(v, (int64_t[]){6, 7}, 2, RT_FLOAT32, dev);
    rt_array *A = rt_transpose(base, NULL);
    rt_index ix[2] = {{.kind = RT_IDX_SLICE, .step = -1}, {.kind = RT_IDX_SLICE, .step = -2}};
    rt_array *B = rt_index_view(base, ix, 2);
    rt_array *BT = rt_transpose(B, NULL);
    rt_index ia[1] = {{.kind = RT_IDX_SLICE, .start = 1, .stop = 5, .step = 1, .has_start = 1, .has_stop = 1}};
    rt_array *A15 = rt_index_view(A, ia, 1);
    CHECK(!rt_array_is_contiguous(A) && !rt_array_is_contiguous(BT));
    CHECK(A15 && BT && A15->storage == base->storage && BT->storage == base->storage);
    CHECK_SHAPE(A15, 4, 6);
    CHECK_SHAPE(BT, 4, 6);
    double ref[24];
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 6; c++) {
            double x = v[c * 7 + (r + 1)];         /* A[r+1][c] = base[c][r+1] */
            double y = v[(5 - c) * 7 + (6 - 2 * r)]; /* BT[r][c] = B[c][r] = base[5-c][6-2r] */
            ref[r * 6 + c] = x - y;
        }
    rt_array *C = rt_binary(RT_SUB, A15, BT);
    CHECK_ARRAY(C, ref, 24, 0, 0, "A[1:5] - B.T");
    double refn[24];
    for (int i = 0; i < 24; i++) { int r = i / 6, c = i % 6; refn[i] = -v[c * 7 + (r + 1)]; }
    rt_array *N = rt_unary(RT_NEG, A15);
    CHECK_ARRAY(N, refn, 24, 0, 0, "-A[1:5]");
    rt_array_release(base); rt_array_release(A); rt_array_release(B); rt_array_release(BT);
    rt_array_release(A15); rt_array_release(C); rt_array_release(N);
}

DEVICE_TEST(where_and_clip) {
    double c[6] = {1, 0, 1, 0, 0, 1}, x[3] = {10, 20, 30}, y[2] = {-1, -2};
    rt_array *C = tl_array(c, (int64_t[]){2, 3}, 2, RT_BOOL, dev);
    rt_array *X = tl_array(x, (int64_t[]){3}, 1, RT_INT32, dev);
    rt_array *Y = tl_array(y, (int64_t[]){2, 1}, 2, RT_FLOAT32, dev);
    rt_array *W = rt_where(C, X, Y);
    CHECK(W && W->dtype == RT_FLOAT32);
    CHECK_ARRAY(W, ((double[]){10, -1, 30, -2, -2, 30}), 6, 0, 0, "where");
    rt_array_release(W);
    rt_array *Cf = tl_array(c, (int64_t[]){6}, 1, RT_FLOAT32, dev); /* non-bool condition */
    rt_array *Z = rt_zeros((int64_t[]){6}, 1, RT_FLOAT64, dev);
    W = rt_where(Cf, Cf, Z);
    CHECK(W && W->dtype == RT_FLOAT64);
    CHECK_ARRAY(W, c, 6, 0, 0, "where float cond");
    rt_array_release(W);
    double v[5] = {-3, -0.5, 0.5, 2, 9};
    rt_array *V = tl_array(v, (int64_t[]){5}, 1, RT_FLOAT32, dev);
    rt_array *K = rt_clip(V, -1, 1.5);
    CHECK(K && K->dtype == RT_FLOAT32);
    CHECK_ARRAY(K, ((double[]){-1, -0.5, 0.5, 1.5, 1.5}), 5, 0, 0, "clip");
    rt_array_release(K);
    rt_array *Vi = tl_array(v, (int64_t[]){5}, 1, RT_INT32, dev);
    K = rt_clip(Vi, 0, 3);
    CHECK(K && K->dtype == RT_INT32);
    CHECK_ARRAY(K, ((double[]){0, 0, 0, 2, 3}), 5, 0, 0, "clip int");
    rt_array_release(K);
    rt_array_release(C); rt_array_release(X); rt_array_release(Y); rt_array_release(Cf);
    rt_array_release(Z); rt_array_release(V); rt_array_release(Vi);
}

DEVICE_TEST(nan_propagation) {
    double v[3] = {NAN, 1, 2}, w[3] = {0, NAN, 1};
    rt_array *A = tl_array(v, (int64_t[]){3}, 1, RT_FLOAT32, dev), *B = tl_array(w, (int64_t[]){3}, 1, RT_FLOAT32, dev);
    rt_array *M = rt_binary(RT_MAXIMUM, A, B), *N = rt_binary(RT_MINIMUM, A, B), *E = rt_binary(RT_EQ, A, A);
    CHECK_ARRAY(M, ((double[]){NAN, NAN, 2}), 3, 0, 0, "maximum");
    CHECK_ARRAY(N, ((double[]){NAN, NAN, 1}), 3, 0, 0, "minimum");
    CHECK_ARRAY(E, ((double[]){0, 1, 1}), 3, 0, 0, "nan == nan");
    rt_array_release(A); rt_array_release(B); rt_array_release(M); rt_array_release(N); rt_array_release(E);
}

int main(void) {
    RUN_DEV(binary_every_op_and_dtype);
    RUN_DEV(binary_odd_sizes);
    RUN(dtype_promotion_table);
    RUN_DEV(scalar_operands);
    RUN_DEV(division_by_zero);
    RUN_DEV(unary_every_op_and_dtype);
    RUN_DEV(broadcast_every_rank_pair);
    RUN_DEV(broadcast_errors);
    RUN_DEV(non_contiguous_operands);
    RUN_DEV(where_and_clip);
    RUN_DEV(nan_propagation);
    return test_summary();
}
