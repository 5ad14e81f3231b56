/* rt_matmul.c — matmul against a naive triple loop: sizes that are not
 * multiples of any block, transposed views, 1-D promotion, batched
 * broadcasting, integer operands, empty dims, shape errors. */
#include "rt_testlib.h"

/* Naive reference for C = A @ B over explicit strides (elements). */
static void naive(const double *a, int64_t as0, int64_t as1, const double *b, int64_t bs0, int64_t bs1,
                  double *c, int64_t m, int64_t n, int64_t k) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t q = 0; q < k; q++) s += a[i * as0 + q * as1] * b[q * bs0 + j * bs1];
            c[i * n + j] = s;
        }
}

static double *rand_vals(int64_t n) {
    double *v = malloc((size_t)(n + 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = tl_int(-64, 64) / 16.0;
    return v;
}

static void check_2d(rt_device *dev, int64_t m, int64_t n, int64_t k, rt_dtype t, int ta, int tb) {
    double *a = rand_vals(m * k), *b = rand_vals(k * n), *ref = malloc((size_t)(m * n + 1) * sizeof *ref);
    for (int64_t i = 0; i < m * k; i++) a[i] = tl_round(a[i], t);
    for (int64_t i = 0; i < k * n; i++) b[i] = tl_round(b[i], t);
    /* stored transposed when ta/tb: the view A = stored.T */
    int64_t sa[2] = {ta ? k : m, ta ? m : k}, sb[2] = {tb ? n : k, tb ? k : n};
    rt_array *As = tl_array(a, sa, 2, t, dev), *Bs = tl_array(b, sb, 2, t, dev);
    rt_array *A = ta ? rt_transpose(As, NULL) : rt_array_retain(As);
    rt_array *B = tb ? rt_transpose(Bs, NULL) : rt_array_retain(Bs);
    naive(a, ta ? 1 : k, ta ? m : 1, b, tb ? 1 : n, tb ? k : 1, ref, m, n, k);
    for (int64_t i = 0; i < m * n; i++) ref[i] = tl_round(ref[i], t);
    rt_array *C = rt_matmul(A, B);
    char what[96];
    snprintf(what, sizeof what, "matmul %s (%lld,%lld)@(%lld,%lld) ta=%d tb=%d", rt_dtype_name(t),
             (long long)m, (long long)k, (long long)k, (long long)n, ta, tb);
    CHECK(C != NULL);
    if (C) {
        CHECK(C->dtype == t);
        CHECK_SHAPE(C, m, n);
        double tol = t == RT_FLOAT32 ? 1e-5 * sqrt((double)k + 1) : t == RT_FLOAT64 ? 1e-12 : 0;
        CHECK_ARRAY(C, ref, m * n, tol, tol, what);
    } else {
        fprintf(stderr, "    %s: %s\n", what, rt_error_message());
    }
    rt_array_release(As); rt_array_release(Bs); rt_array_release(A); rt_array_release(B); rt_array_release(C);
    free(a); free(b); free(ref);
}

DEVICE_TEST(matmul_2d_sizes_and_transposes) {
    static const int64_t dims[][3] = {{1, 1, 1}, {3, 5, 7}, {4, 4, 4}, {17, 1, 9}, {64, 33, 17},
                                      {130, 257, 129}, {5, 600, 3}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
        for (int ta = 0; ta <= 1; ta++)
            for (int tb = 0; tb <= 1; tb++) {
                check_2d(dev, dims[i][0], dims[i][1], dims[i][2], RT_FLOAT32, ta, tb);
                if (i < 5) check_2d(dev, dims[i][0], dims[i][1], dims[i][2], RT_FLOAT64, ta, tb);
            }
    check_2d(dev, 7, 6, 5, RT_INT32, 0, 0);
    check_2d(dev, 300, 300, 300, RT_FLOAT32, 0, 1); /* large enough to use threads */
}

DEVICE_TEST(matmul_1d_promotion) {
    double a[6] = {1, 2, 3, 4, 5, 6}, v[3] = {1, -1, 2};
    rt_array *M = tl_array(a, (int64_t[]){2, 3}, 2, RT_FLOAT32, dev), *V = tl_array(v, (int64_t[]){3}, 1, RT_FLOAT32, dev);
    rt_array *W = tl_array(v, (int64_t[]){2}, 1, RT_FLOAT32, dev);
    rt_array *r = rt_matmul(M, V);                      /* (2,3)@(3,) -> (2,) */
    CHECK_SHAPE(r, 2);
    CHECK_ARRAY(r, ((double[]){5, 11}), 2, 0, 0, "M@v");
    rt_array_release(r);
    r = rt_matmul(W, M);                                /* (2,)@(2,3) -> (3,) */
    CHECK_SHAPE(r, 3);
    CHECK_ARRAY(r, ((double[]){-3, -3, -3}), 3, 0, 0, "w@M");
    rt_array_release(r);
    r = rt_matmul(V, V);                                /* (3,)@(3,) -> () */
    CHECK_SCALAR_SHAPE(r);
    CHECK_ARRAY(r, ((double[]){6}), 1, 0, 0, "v@v");
    rt_array_release(r);
    /* a strided 1-D operand */
    rt_index ix[1] = {{.kind = RT_IDX_SLICE, .step = -1}};
    rt_array *Vr = rt_index_view(V, ix, 1);
    r = rt_matmul(M, Vr);
    CHECK_ARRAY(r, ((double[]){3, 9}), 2, 0, 0, "M@v[::-1]");
    rt_array_release(r);
    rt_array_release(Vr); rt_array_release(M); rt_array_release(V); rt_array_release(W);
}

DEVICE_TEST(matmul_batched_broadcast) {
    /* (2,1,3,4) @ (5,4,2) -> (2,5,3,2) */
    int64_t sa[4] = {2, 1, 3, 4}, sb[3] = {5, 4, 2};
    double *a = rand_vals(24), *b = rand_vals(40);
    rt_array *A = tl_array(a, sa, 4, RT_FLOAT32, dev), *B = tl_array(b, sb, 3, RT_FLOAT32, dev);
    rt_array *C = rt_matmul(A, B);
    CHECK_SHAPE(C, 2, 5, 3, 2);
    double ref[60];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 5; j++) naive(a + i * 12, 4, 1, b + j * 8, 2, 1, ref + (i * 5 + j) * 6, 3, 2, 4);
    CHECK_ARRAY(C, ref, 60, 1e-5, 1e-5, "batched broadcast");
    rt_array_release(C);
    /* (5,4,2) batch against a 2-D (3,4) left operand, and a 1-D right one */
    rt_array *M = tl_array(a, (int64_t[]){3, 4}, 2, RT_FLOAT32, dev);
    C = rt_matmul(M, B);
    CHECK_SHAPE(C, 5, 3, 2);
    double ref2[30];
    for (int j = 0; j < 5; j++) naive(a, 4, 1, b + j * 8, 2, 1, ref2 + j * 6, 3, 2, 4);
    CHECK_ARRAY(C, ref2, 30, 1e-5, 1e-5, "2-D @ batch");
    rt_array_release(C);
    rt_array *v = tl_array(b, (int64_t[]){4}, 1, RT_FLOAT32, dev);
    C = rt_matmul(A, v);
    CHECK_SHAPE(C, 2, 1, 3);
    double ref3[6];
    for (int i = 0; i < 2; i++) naive(a + i * 12, 4, 1, b, 1, 1, ref3 + i * 3, 3, 1, 4);
    CHECK_ARRAY(C, ref3, 6, 1e-5, 1e-5, "batch @ 1-D");
    rt_array_release(C);
    /* batched transposed view: swap the last two axes of (5,4,2) -> (5,2,4) */
    int perm[3] = {0, 2, 1};
    rt_array *Bt = rt_transpose(B, perm);
    rt_array *Bc = rt_contiguous(Bt);
    rt_array *C1 = rt_matmul(Bt, B), *C2 = rt_matmul(Bc, B);
    double *g1 = C1 ? tl_fetch(C1) : NULL, *g2 = C2 ? tl_fetch(C2) : NULL;
    CHECK(g1 && g2 && C1->size == 20);
    if (g1 && g2) CHECK(tl_close(g1, g2, 20, 1e-5, 1e-5, "transposed batch view"));
    free(g1); free(g2);
    rt_array_release(C1); rt_array_release(C2); rt_array_release(Bt); rt_array_release(Bc);
    rt_array_release(M); rt_array_release(v); rt_array_release(A); rt_array_release(B);
    free(a); free(b);
}

DEVICE_TEST(matmul_errors_and_edges) {
    rt_array *A = rt_zeros((int64_t[]){2, 3}, 2, RT_FLOAT32, dev), *B = rt_zeros((int64_t[]){4, 5}, 2, RT_FLOAT32, dev);
    CHECK(rt_matmul(A, B) == NULL);
    CHECK_ERROR(RT_ESHAPE, "matmul: shapes (2, 3) and (4, 5) are not aligned: 3 (dim 1) != 4 (dim 0)");
    rt_array *s = rt_full(NULL, 0, 2, RT_FLOAT32, dev);
    CHECK(rt_matmul(s, A) == NULL);
    CHECK_ERROR(RT_ESHAPE, "does not have enough dimensions");
    rt_array *X = rt_zeros((int64_t[]){2, 3, 4}, 3, RT_FLOAT32, dev), *Y = rt_zeros((int64_t[]){3, 4, 2}, 3, RT_FLOAT32, dev);
    CHECK(rt_matmul(X, Y) == NULL);
    CHECK_ERROR(RT_ESHAPE, "cannot be broadcast");
    /* k = 0 gives zeros; m = 0 gives an empty result */
    rt_array *K0a = rt_zeros((int64_t[]){3, 0}, 2, RT_FLOAT32, dev), *K0b = rt_zeros((int64_t[]){0, 2}, 2, RT_FLOAT32, dev);
    rt_array *C = rt_matmul(K0a, K0b);
    CHECK_SHAPE(C, 3, 2);
    CHECK_ARRAY(C, ((double[]){0, 0, 0, 0, 0, 0}), 6, 0, 0, "k=0");
    rt_array_release(C);
    rt_array *M0 = rt_zeros((int64_t[]){0, 4}, 2, RT_FLOAT32, dev);
    C = rt_matmul(M0, Y);
    CHECK_SHAPE(C, 3, 0, 2);
    rt_array_release(C);
    /* bool @ bool and mixed dtypes promote */
    rt_array *F = rt_full((int64_t[]){2, 2}, 2, 1.5, RT_FLOAT64, dev), *I = rt_full((int64_t[]){2, 2}, 2, 2, RT_INT32, dev);
    C = rt_matmul(I, F);
    CHECK(C && C->dtype == RT_FLOAT64);
    CHECK_ARRAY(C, ((double[]){6, 6, 6, 6}), 4, 0, 0, "int@float64");
    rt_array_release(C);
    rt_array_release(A); rt_array_release(B); rt_array_release(s); rt_array_release(X); rt_array_release(Y);
    rt_array_release(K0a); rt_array_release(K0b); rt_array_release(M0); rt_array_release(F); rt_array_release(I);
}

int main(void) {
    RUN_DEV(matmul_2d_sizes_and_transposes);
    RUN_DEV(matmul_1d_promotion);
    RUN_DEV(matmul_batched_broadcast);
    RUN_DEV(matmul_errors_and_edges);
    return test_summary();
}
