/* rt_cuda_reduce.c — GPU:0 reductions against CPU:0 and against a float64
 * host reference: every op, every dtype, every axis of a 3-D array, odd
 * sizes, 2^24-element all-reductions, NaN and ties.
 */
#include "rt_cuda_common.h"

static const rt_dtype dtypes[] = {RT_FLOAT32, RT_FLOAT64, RT_INT32, RT_BOOL, RT_UINT8, RT_INT64};
static const char *const op_names[] = {"sum", "mean", "max", "min", "argmax", "argmin", "var", "std"};

/* Tolerance for comparing a reduction over n elements with the CPU's:
 * float32 sums differ by summation order (the GPU accumulates in double,
 * the CPU pairwise in float32). */
static void tol_of(rt_reduce_op op, rt_dtype t, int64_t n, double maxabs, double *abs_tol, double *rel_tol) {
    *abs_tol = 0;
    *rel_tol = 0;
    if (op == RT_MAX || op == RT_MIN || op == RT_ARGMAX || op == RT_ARGMIN) return;
    int f32 = t != RT_FLOAT64;
    double eps = f32 ? 1.2e-7 : 2.3e-16;
    if (op == RT_SUM) *abs_tol = 16 * eps * sqrt((double)n + 1) * maxabs;
    if (op == RT_MEAN) *abs_tol = 16 * eps * maxabs;
    *rel_tol = f32 ? 2e-6 : 1e-12;
    if (t == RT_INT32 || t == RT_BOOL || t == RT_UINT8 || t == RT_INT64) {
        if (op == RT_SUM) { *abs_tol = 0; *rel_tol = 0; }
    }
}

static void check_reduce(const char *tag, const pair *a, rt_dtype t, int axis, int keepdims, double maxabs, int64_t n) {
    for (int op = RT_SUM; op <= RT_STD; op++) {
        rt_array *rc = rt_reduce(op, a->c, axis, keepdims);
        rt_status ec = rc ? RT_OK : rt_error_code();
        rt_array *rg = rt_reduce(op, a->g, axis, keepdims);
        rt_status eg = rg ? RT_OK : rt_error_code();
        char what[160];
        snprintf(what, sizeof what, "%s %s %s axis %d%s", tag, op_names[op], rt_dtype_name(t), axis,
                 keepdims ? " keepdims" : "");
        if (!rc || !rg) {
            /* empty max/argmax: both must refuse with the same error */
            if (rc || rg) fprintf(stderr, "    %s: only one device failed: %s\n", what, rt_error_message());
            CHECK(!rc && !rg && ec == eg && ec == RT_EVALUE);
        } else {
            double at, rt;
            tol_of(op, t, n, maxabs, &at, &rt);
            CHECK(same_result(what, rg, rc, at, rt));
        }
        rt_array_release(rc);
        rt_array_release(rg);
    }
}

TEST(every_op_axis_dtype) {
    NEED_GPU();
    int64_t shapes[][3] = {{3, 1023, 5}, {1, 1, 1}, {2, 0, 3}, {1, 1, 70001}, {67, 33, 1}, {5, 300, 40}};
    for (int si = 0; si < (int)(sizeof shapes / sizeof shapes[0]); si++)
        for (int ti = 0; ti < (int)(sizeof dtypes / sizeof dtypes[0]); ti++) {
            rt_dtype t = dtypes[ti];
            pair a = pair_random(shapes[si], 3, t, -50, 50);
            char tag[64];
            snprintf(tag, sizeof tag, "(%lld,%lld,%lld)", (long long)shapes[si][0], (long long)shapes[si][1],
                     (long long)shapes[si][2]);
            int64_t total = shapes[si][0] * shapes[si][1] * shapes[si][2];
            check_reduce(tag, &a, t, RT_ALL_AXES, 0, 50, total);
            check_reduce(tag, &a, t, RT_ALL_AXES, 1, 50, total);
            for (int ax = -1; ax < 3; ax++)
                check_reduce(tag, &a, t, ax, ax == 1, 50, shapes[si][ax < 0 ? 2 : ax]);
            pair_release(a);
        }
}

/* Rows and columns of many lengths: exercises the warp-per-row, block-per-
 * row, split-row and column kernels and their switch-over points. */
TEST(row_and_column_lengths) {
    NEED_GPU();
    int64_t lens[] = {2, 31, 32, 33, 255, 256, 257, 2047, 2049, 4097, 65537};
    for (int i = 0; i < (int)(sizeof lens / sizeof lens[0]); i++) {
        int64_t shape[2] = {lens[i], 1 + (int64_t)(300000 / (lens[i] + 1)) % 513};
        pair a = pair_random(shape, 2, RT_FLOAT32, -3, 3);
        char tag[64];
        snprintf(tag, sizeof tag, "(%lld,%lld)", (long long)shape[0], (long long)shape[1]);
        check_reduce(tag, &a, RT_FLOAT32, 0, 0, 3, shape[0]);
        check_reduce(tag, &a, RT_FLOAT32, 1, 0, 3, shape[1]);
        pair_release(a);
    }
}

/* 2^24 elements: all-reductions against a float64 host reference. */
TEST(large_all_reduce_accuracy) {
    NEED_GPU();
    int64_t n = (int64_t)1 << 24;
    int64_t shape[1] = {n};
    double *v = host_data(n, RT_FLOAT32, 0, 1);      /* nonzero mean: relative error is meaningful */
    for (int64_t i = 0; i < n; i++) v[i] = (float)v[i]; /* exactly the float32 values */
    pair a = pair_from(v, shape, 1, RT_FLOAT32);
    double s = 0, mx = -1, mn = 2, m2 = 0;
    int64_t amax = 0, amin = 0;
    for (int64_t i = 0; i < n; i++) {
        s += v[i];
        if (v[i] > mx) { mx = v[i]; amax = i; }
        if (v[i] < mn) { mn = v[i]; amin = i; }
    }
    double mean = s / n;
    for (int64_t i = 0; i < n; i++) m2 += (v[i] - mean) * (v[i] - mean);
    double ref[8] = {s, mean, mx, mn, (double)amax, (double)amin, m2 / n, sqrt(m2 / n)};
    for (int op = RT_SUM; op <= RT_STD; op++) {
        rt_array *rg = rt_reduce(op, a.g, RT_ALL_AXES, 0);
        rt_array *rc = rt_reduce(op, a.c, RT_ALL_AXES, 0);
        double g = NAN, c = NAN;
        CHECK(rg && rt_item(rg, 0, &g) == RT_OK);
        CHECK(rc && rt_item(rc, 0, &c) == RT_OK);
        /* the GPU result is the float64 reference rounded to float32 */
        int arg = op == RT_ARGMAX || op == RT_ARGMIN;
        CHECK_NEAR(g, ref[op], 0, arg ? 0 : 1.2e-7);
        CHECK_NEAR(g, c, 0, arg ? 0 : 2e-6);
        if (!(fabs(g - ref[op]) <= 1.2e-7 * fabs(ref[op])))
            fprintf(stderr, "    2^24 %s: gpu %.10g cpu %.10g ref %.10g\n", op_names[op], g, c, ref[op]);
        rt_array_release(rg);
        rt_array_release(rc);
    }
    pair_release(a);
    free(v);
}

/* Large column reduction (axis 0 of (2^20, 16)) in float64. */
TEST(large_column_reduce) {
    NEED_GPU();
    int64_t shape[2] = {1 << 20, 16};
    pair a = pair_random(shape, 2, RT_FLOAT64, -1, 1);
    check_reduce("(2^20,16)", &a, RT_FLOAT64, 0, 0, 1, shape[0]);
    pair_release(a);
}

TEST(nan_and_ties) {
    NEED_GPU();
    /* ties: the first position wins; NaN: propagates, first NaN wins */
    double v[] = {1, 5, 5, 2, 5, -1, -1, 0, NAN, 3, NAN, 5};
    int64_t shape[1] = {12};
    pair a = pair_from(v, shape, 1, RT_FLOAT32);
    int64_t s2[2] = {3, 4};
    pair b = pair_from(v, s2, 2, RT_FLOAT32);
    for (int op = RT_SUM; op <= RT_STD; op++) {
        rt_array *rc = rt_reduce(op, a.c, RT_ALL_AXES, 0), *rg = rt_reduce(op, a.g, RT_ALL_AXES, 0);
        CHECK(same_result("nan all", rg, rc, 0, 1e-6));
        rt_array_release(rc); rt_array_release(rg);
        for (int ax = 0; ax < 2; ax++) {
            rc = rt_reduce(op, b.c, ax, 0);
            rg = rt_reduce(op, b.g, ax, 0);
            CHECK(same_result("nan axis", rg, rc, 0, 1e-6));
            rt_array_release(rc); rt_array_release(rg);
        }
    }
    pair_release(a);
    pair_release(b);
    /* many ties over a long int row: argmax is the first maximum */
    int64_t n[1] = {(1 << 20) + 3};
    pair t = pair_random(n, 1, RT_INT32, 0, 10);
    for (int op = RT_ARGMAX; op <= RT_ARGMIN; op++) {
        rt_array *rc = rt_reduce(op, t.c, 0, 0), *rg = rt_reduce(op, t.g, 0, 0);
        CHECK(same_result("int ties", rg, rc, 0, 0));
        rt_array_release(rc); rt_array_release(rg);
    }
    pair_release(t);
}

int main(void) {
    RUN(every_op_axis_dtype);
    RUN(row_and_column_lengths);
    RUN(large_all_reduce_accuracy);
    RUN(large_column_reduce);
    RUN(nan_and_ties);
    return test_summary();
}
