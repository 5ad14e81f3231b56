/* rt_reduce.c — reductions over all axes and each axis (negative axes,
 * keepdims), every op and dtype, odd and empty sizes, float32 accuracy,
 * error messages. */
#include "rt_testlib.h"

static const char *const op_names[] = {"sum", "mean", "max", "min", "argmax", "argmin", "var", "std"};

/* Reference over elements x[0], x[stride], ... (n of them). */
static double ref_reduce(rt_reduce_op op, const double *x, int64_t n, int64_t stride) {
    double s = 0, best = x[0];
    int64_t arg = 0;
    switch (op) {
    case RT_SUM: case RT_MEAN: case RT_VAR: case RT_STD:
        for (int64_t i = 0; i < n; i++) s += x[i * stride];
        if (op == RT_SUM) return s;
        if (n == 0) return NAN;
        {
            double m = s / n, v = 0;
            if (op == RT_MEAN) return m;
            for (int64_t i = 0; i < n; i++) v += (x[i * stride] - m) * (x[i * stride] - m);
            return op == RT_VAR ? v / n : sqrt(v / n);
        }
    default:
        for (int64_t i = 1; i < n; i++) {
            double v = x[i * stride];
            if ((op == RT_MAX || op == RT_ARGMAX) ? v > best : v < best) { best = v; arg = i; }
        }
        return (op == RT_ARGMAX || op == RT_ARGMIN) ? (double)arg : best;
    }
}

static rt_dtype out_dtype(rt_reduce_op op, rt_dtype t) {
    if (op == RT_ARGMAX || op == RT_ARGMIN) return RT_INT32;
    if (op == RT_MEAN || op == RT_VAR || op == RT_STD) return t == RT_FLOAT64 ? RT_FLOAT64 : RT_FLOAT32;
    if (op == RT_SUM && t != RT_FLOAT32 && t != RT_FLOAT64) return RT_INT64; /* integers sum in 64 bits */
    return t;
}

static void check_reduce(rt_device *dev, rt_reduce_op op, rt_dtype t, const int64_t *shape, int nd) {
    int64_t size = 1;
    for (int i = 0; i < nd; i++) size *= shape[i];
    double *x = malloc((size_t)(size + 1) * sizeof *x);
    for (int64_t i = 0; i < size; i++)
        x[i] = t == RT_BOOL ? tl_int(0, 1) : t == RT_UINT8 ? tl_int(0, 255)
             : (t == RT_INT32 || t == RT_INT64) ? tl_int(-100, 100) : tl_int(-400, 400) / 8.0;
    rt_array *A = tl_array(x, shape, nd, t, dev);
    rt_dtype ot = out_dtype(op, t);
    double tol = ot == RT_FLOAT32 ? 1e-5 : ot == RT_FLOAT64 ? 1e-12 : 0;
    int noident = op != RT_SUM && op != RT_MEAN && op != RT_VAR && op != RT_STD;
    char what[128];
    /* all axes, with and without keepdims */
    for (int keep = 0; keep <= 1; keep++) {
        rt_array *R = rt_reduce(op, A, RT_ALL_AXES, keep);
        snprintf(what, sizeof what, "%s(%s) all axes size %lld", op_names[op], rt_dtype_name(t), (long long)size);
        if (size == 0 && noident) {
            CHECK(R == NULL);
            CHECK(rt_error_code() == RT_EVALUE);
            rt_clear_error();
            continue;
        }
        CHECK(R != NULL);
        if (!R) { fprintf(stderr, "    %s: %s\n", what, rt_error_message()); continue; }
        CHECK(R->dtype == ot);
        CHECK(R->ndim == (keep ? nd : 0));
        double ref = tl_round(ref_reduce(op, x, size, 1), ot);
        CHECK_ARRAY(R, &ref, 1, tol * (1 + sqrt((double)size)), tol, what);
        rt_array_release(R);
    }
    /* each axis, positive and negative */
    for (int ax = 0; ax < nd; ax++) {
        int64_t outer = 1, inner = 1, n = shape[ax];
        for (int i = 0; i < ax; i++) outer *= shape[i];
        for (int i = ax + 1; i < nd; i++) inner *= shape[i];
        double *ref = malloc((size_t)(outer * inner + 1) * sizeof *ref);
        for (int64_t o = 0; o < outer; o++)
            for (int64_t i = 0; i < inner; i++)
                ref[o * inner + i] = n ? tl_round(ref_reduce(op, x + o * n * inner + i, n, inner), ot) : 0;
        for (int neg = 0; neg <= 1; neg++) {
            int keep = neg;
            rt_array *R = rt_reduce(op, A, neg ? ax - nd : ax, keep);
            snprintf(what, sizeof what, "%s(%s) axis %d of %d-d", op_names[op], rt_dtype_name(t), neg ? ax - nd : ax, nd);
            if (n == 0 && noident && outer * inner > 0) {
                CHECK(R == NULL);
                CHECK(rt_error_code() == RT_EVALUE);
                rt_clear_error();
                continue;
            }
            CHECK(R != NULL);
            if (!R) { fprintf(stderr, "    %s: %s\n", what, rt_error_message()); continue; }
            CHECK(R->dtype == ot);
            CHECK(R->ndim == (keep ? nd : nd - 1));
            if (keep && R->ndim == nd) CHECK(R->shape[ax] == 1);
            if (n == 0 && (op == RT_MEAN || op == RT_VAR || op == RT_STD))
                for (int64_t i = 0; i < outer * inner; i++) ref[i] = NAN;
            CHECK_ARRAY(R, ref, outer * inner, tol * (1 + sqrt((double)n)), tol, what);
            rt_array_release(R);
        }
        free(ref);
    }
    rt_array_release(A);
    free(x);
}

DEVICE_TEST(reduce_every_op_axis_dtype) {
    static const rt_dtype ts[] = {RT_FLOAT32, RT_FLOAT64, RT_INT32, RT_BOOL, RT_UINT8, RT_INT64};
    static const int64_t s1[] = {1}, s2[] = {1023}, s3[] = {3, 4, 5}, s4[] = {2, 1, 3, 1}, s5[] = {0, 3},
                         s6[] = {4, 0}, s7[] = {7, 129};
    static const struct { const int64_t *s; int n; } shapes[] = {
        {s1, 1}, {s2, 1}, {s3, 3}, {s4, 4}, {s5, 2}, {s6, 2}, {s7, 2}, {NULL, 0},
    };
    for (int op = RT_SUM; op <= RT_STD; op++)
        for (int t = 0; t < 6; t++)
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
                check_reduce(dev, (rt_reduce_op)op, ts[t], shapes[s].s, shapes[s].n);
}

DEVICE_TEST(reduce_large) {
    /* long runs, many columns, and a tall block with few columns (the CPU
     * splits its rows across threads) */
    static const int64_t big[] = {((int64_t)1 << 20) + 3}, wide[] = {3, ((int64_t)1 << 19) + 1},
                         tall[] = {1100, 1001};
    for (int op = RT_SUM; op <= RT_STD; op++) {
        check_reduce(dev, (rt_reduce_op)op, RT_FLOAT32, big, 1);
        check_reduce(dev, (rt_reduce_op)op, RT_FLOAT32, wide, 2);
        check_reduce(dev, (rt_reduce_op)op, RT_FLOAT32, tall, 2);
    }
    check_reduce(dev, RT_MEAN, RT_FLOAT64, tall, 2);
    check_reduce(dev, RT_SUM, RT_INT32, big, 1);
}

DEVICE_TEST(reduce_float32_accuracy) {
    /* 10^7 copies of 0.1f: naive float32 accumulation is off by ~10%;
     * pairwise summation keeps the relative error near 1e-6 */
    int64_t n = 10000000;
    rt_array *A = rt_full(&n, 1, 0.1, RT_FLOAT32, dev);
    rt_array *S = rt_reduce(RT_SUM, A, RT_ALL_AXES, 0), *M = rt_reduce(RT_MEAN, A, RT_ALL_AXES, 0);
    double ref = (double)n * (double)0.1f;
    double s = 0, m = 0;
    CHECK(S && rt_item(S, 0, &s) == RT_OK);
    CHECK(M && rt_item(M, 0, &m) == RT_OK);
    CHECK_NEAR(s, ref, 0, 1e-5);
    CHECK_NEAR(m, (double)0.1f, 0, 1e-5);
    rt_array_release(A); rt_array_release(S); rt_array_release(M);
}

DEVICE_TEST(reduce_semantics) {
    double v[6] = {3, 7, 7, 1, NAN, 2};
    rt_array *A = tl_array(v, (int64_t[]){2, 3}, 2, RT_FLOAT32, dev);
    rt_array *R = rt_reduce(RT_ARGMAX, A, 1, 0);
    CHECK(R && R->dtype == RT_INT32);
    CHECK_ARRAY(R, ((double[]){1, 1}), 2, 0, 0, "argmax first max / first nan");
    rt_array_release(R);
    R = rt_reduce(RT_MAX, A, 1, 0);
    CHECK_ARRAY(R, ((double[]){7, NAN}), 2, 0, 0, "max with nan");
    rt_array_release(R);
    R = rt_reduce(RT_ARGMIN, A, RT_ALL_AXES, 0);
    CHECK_ARRAY(R, ((double[]){4}), 1, 0, 0, "argmin all (nan wins)");
    rt_array_release(R);
    /* var/std are population (ddof 0) */
    double w[4] = {1, 2, 3, 4};
    rt_array *B = tl_array(w, (int64_t[]){4}, 1, RT_FLOAT64, dev);
    R = rt_reduce(RT_VAR, B, 0, 0);
    CHECK(R && R->dtype == RT_FLOAT64);
    CHECK_ARRAY(R, ((double[]){1.25}), 1, 1e-15, 0, "var");
    rt_array_release(R);
    R = rt_reduce(RT_STD, B, -1, 1);
    CHECK_SHAPE(R, 1);
    CHECK_ARRAY(R, ((double[]){sqrt(1.25)}), 1, 1e-15, 0, "std");
    rt_array_release(R);
    /* bool sums count; int mean is float32 */
    rt_array *Bo = tl_array((double[]){1, 0, 1, 1}, (int64_t[]){4}, 1, RT_BOOL, dev);
    R = rt_reduce(RT_SUM, Bo, RT_ALL_AXES, 0);
    CHECK(R && R->dtype == RT_INT64);
    CHECK_ARRAY(R, ((double[]){3}), 1, 0, 0, "sum bool");
    rt_array_release(R);
    rt_array *I = tl_array(w, (int64_t[]){4}, 1, RT_INT32, dev);
    R = rt_reduce(RT_MEAN, I, RT_ALL_AXES, 0);
    CHECK(R && R->dtype == RT_FLOAT32);
    CHECK_ARRAY(R, ((double[]){2.5}), 1, 0, 0, "mean int");
    rt_array_release(R);
    /* errors */
    CHECK(rt_reduce(RT_SUM, A, 2, 0) == NULL);
    CHECK_ERROR(RT_EVALUE, "axis 2 is out of bounds for array of dimension 2");
    CHECK(rt_reduce(RT_SUM, A, -3, 0) == NULL);
    CHECK_ERROR(RT_EVALUE, "axis -3 is out of bounds");
    rt_array *E = rt_zeros((int64_t[]){0}, 1, RT_FLOAT32, dev);
    CHECK(rt_reduce(RT_MAX, E, RT_ALL_AXES, 0) == NULL);
    CHECK_ERROR(RT_EVALUE, "zero-size array to reduction operation maximum which has no identity");
    CHECK(rt_reduce(RT_ARGMAX, E, 0, 0) == NULL);
    CHECK_ERROR(RT_EVALUE, "attempt to get argmax of an empty sequence");
    R = rt_reduce(RT_SUM, E, RT_ALL_AXES, 0);
    CHECK_ARRAY(R, ((double[]){0}), 1, 0, 0, "sum of empty");
    rt_array_release(R);
    /* a 0-d array reduces over all axes */
    rt_array *Z = rt_full(NULL, 0, 4.5, RT_FLOAT32, dev);
    R = rt_reduce(RT_SUM, Z, RT_ALL_AXES, 1);
    CHECK_SCALAR_SHAPE(R);
    CHECK_ARRAY(R, ((double[]){4.5}), 1, 0, 0, "sum of 0-d");
    rt_array_release(R);
    CHECK(rt_reduce(RT_SUM, Z, 0, 0) == NULL);
    CHECK_ERROR(RT_EVALUE, "out of bounds for array of dimension 0");
    /* non-contiguous input */
    rt_array *T = rt_transpose(A, NULL);
    R = rt_reduce(RT_MIN, T, 0, 0);
    CHECK_ARRAY(R, ((double[]){3, NAN}), 2, 0, 0, "min over transposed");
    rt_array_release(R);
    rt_array_release(T); rt_array_release(A); rt_array_release(B); rt_array_release(Bo);
    rt_array_release(I); rt_array_release(E); rt_array_release(Z);
}

int main(void) {
    RUN_DEV(reduce_every_op_axis_dtype);
    RUN_DEV(reduce_large);
    RUN_DEV(reduce_float32_accuracy);
    RUN_DEV(reduce_semantics);
    return test_summary();
}
