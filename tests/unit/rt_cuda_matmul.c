/* rt_cuda_matmul.c — GPU matrix products (cuBLAS) against the CPU: shapes,
 * transposed views, batches with broadcasting, 1-D operands, float64,
 * integers, k == 0, and the TF32 switch.
 */
#include "rt_cuda_common.h"

/* Relative Frobenius error ||g - c|| / ||c||. */
static double rel_error(const rt_array *g, const rt_array *c) {
    double *gv = fetch(g), *cv = fetch(c);
    double num = 0, den = 0;
    if (!gv || !cv) { free(gv); free(cv); return INFINITY; }
    for (int64_t i = 0; i < g->size; i++) {
        double d = gv[i] - cv[i];
        num += d * d;
        den += cv[i] * cv[i];
    }
    free(gv);
    free(cv);
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

/* tol: bound on the relative Frobenius error of the whole product. Each
 * element may differ by about tol * sqrt(k) in absolute terms (inputs are
 * in [-1, 1]: a dot product's rounding error grows with its length, and
 * an element that cancels to near zero keeps that absolute error). */
static void check_mm(const char *what, const rt_array *ac, const rt_array *bc, const rt_array *ag, const rt_array *bg,
                     double tol) {
    rt_array *rc = rt_matmul(ac, bc), *rg = rt_matmul(ag, bg);
    int ok = rc && rg;
    if (ok) {
        double k = (double)ac->shape[ac->ndim - 1];
        ok = same_result(what, rg, rc, tol * sqrt(k), tol); /* shapes, dtypes, element-wise closeness */
        double e = rel_error(rg, rc);
        if (!(e <= tol)) { fprintf(stderr, "    %s: relative error %.3g\n", what, e); ok = 0; }
    } else {
        fprintf(stderr, "    %s: %s\n", what, rt_error_message());
    }
    CHECK(ok);
    rt_array_release(rc);
    rt_array_release(rg);
}

TEST(sgemm_shapes) {
    NEED_GPU();
    int64_t dims[][3] = {{1, 1, 1}, {17, 33, 65}, {128, 256, 64}, {255, 1, 129}, {1, 300, 7}, {513, 257, 1025}};
    for (int i = 0; i < (int)(sizeof dims / sizeof dims[0]); i++) {
        int64_t sa[2] = {dims[i][0], dims[i][2]}, sb[2] = {dims[i][2], dims[i][1]};
        pair a = pair_random(sa, 2, RT_FLOAT32, -1, 1), b = pair_random(sb, 2, RT_FLOAT32, -1, 1);
        char what[64];
        snprintf(what, sizeof what, "sgemm m=%lld n=%lld k=%lld", (long long)dims[i][0], (long long)dims[i][1],
                 (long long)dims[i][2]);
        check_mm(what, a.c, b.c, a.g, b.g, 2e-5);
        pair_release(a);
        pair_release(b);
    }
}

TEST(transposed_operands) {
    NEED_GPU();
    int64_t sa[2] = {65, 130}, sb[2] = {97, 65};
    pair a = pair_random(sa, 2, RT_FLOAT32, -1, 1), b = pair_random(sb, 2, RT_FLOAT32, -1, 1);
    rt_array *atc = rt_transpose(a.c, NULL), *atg = rt_transpose(a.g, NULL); /* (130, 65) */
    rt_array *btc = rt_transpose(b.c, NULL), *btg = rt_transpose(b.g, NULL); /* (65, 97) */
    check_mm("a.T @ b.T", atc, btc, atg, btg, 2e-5);                          /* (130,65)@(65,97) */
    check_mm("b @ a", b.c, a.c, b.g, a.g, 2e-5);                              /* (97,65)@(65,130) */
    check_mm("a.T @ a", atc, a.c, atg, a.g, 2e-5);                            /* (130,65)@(65,130) */
    check_mm("b @ b.T", b.c, btc, b.g, btg, 2e-5);                            /* (97,65)@(65,97) */
    rt_array_release(atc); rt_array_release(atg); rt_array_release(btc); rt_array_release(btg);
    pair_release(a);
    pair_release(b);
}

TEST(batched_and_broadcast) {
    NEED_GPU();
    int64_t sa[3] = {3, 17, 19}, sb[3] = {3, 19, 23};
    pair a = pair_random(sa, 3, RT_FLOAT32, -1, 1), b = pair_random(sb, 3, RT_FLOAT32, -1, 1);
    check_mm("batched (3,17,19)@(3,19,23)", a.c, b.c, a.g, b.g, 2e-5);
    int64_t s2[2] = {19, 23};
    pair m = pair_random(s2, 2, RT_FLOAT32, -1, 1);
    check_mm("batched @ matrix", a.c, m.c, a.g, m.g, 2e-5);
    int64_t s4a[4] = {2, 1, 5, 7}, s4b[3] = {3, 7, 4};
    pair x = pair_random(s4a, 4, RT_FLOAT32, -1, 1), y = pair_random(s4b, 3, RT_FLOAT32, -1, 1);
    check_mm("broadcast (2,1,5,7)@(3,7,4)", x.c, y.c, x.g, y.g, 2e-5);
    int64_t sv[1] = {19};
    pair v = pair_random(sv, 1, RT_FLOAT32, -1, 1);
    check_mm("batched @ vector", a.c, v.c, a.g, v.g, 2e-5);
    int64_t sv2[1] = {17};
    pair w = pair_random(sv2, 1, RT_FLOAT32, -1, 1);
    rt_array *ac2 = rt_transpose(m.c, NULL), *ag2 = rt_transpose(m.g, NULL); /* (23, 19) */
    check_mm("vector @ batched", w.c, a.c, w.g, a.g, 2e-5);
    check_mm("vector @ vector", v.c, v.c, v.g, v.g, 2e-5);
    check_mm("matrix.T @ vector", ac2, v.c, ag2, v.g, 2e-5);
    rt_array_release(ac2); rt_array_release(ag2);
    pair_release(a); pair_release(b); pair_release(m); pair_release(x); pair_release(y); pair_release(v); pair_release(w);
}

TEST(float64_int32_and_empty_k) {
    NEED_GPU();
    int64_t sa[2] = {33, 44}, sb[2] = {44, 55};
    pair a = pair_random(sa, 2, RT_FLOAT64, -1, 1), b = pair_random(sb, 2, RT_FLOAT64, -1, 1);
    check_mm("dgemm", a.c, b.c, a.g, b.g, 1e-13);
    pair_release(a); pair_release(b);
    a = pair_random(sa, 2, RT_INT32, -100, 100);
    b = pair_random(sb, 2, RT_INT32, -100, 100);
    check_mm("int32 matmul", a.c, b.c, a.g, b.g, 0);
    pair_release(a); pair_release(b);
    int64_t ea[2] = {5, 0}, eb[2] = {0, 6};
    a = pair_random(ea, 2, RT_FLOAT32, -1, 1);
    b = pair_random(eb, 2, RT_FLOAT32, -1, 1);
    check_mm("k == 0 gives zeros", a.c, b.c, a.g, b.g, 0);
    pair_release(a); pair_release(b);
}

/* Full FP32 by default; "tf32" makes cuBLAS use TF32 tensor cores (visibly
 * less accurate on a long inner dimension); "highest" restores FP32. */
TEST(tf32_switch) {
    NEED_GPU();
    int64_t s[2] = {512, 4096}, s2[2] = {4096, 512};
    pair a = pair_random(s, 2, RT_FLOAT32, -1, 1), b = pair_random(s2, 2, RT_FLOAT32, -1, 1);
    rt_array *a64 = rt_cast(a.c, RT_FLOAT64), *b64 = rt_cast(b.c, RT_FLOAT64);
    rt_array *ref = rt_matmul(a64, b64);
    rt_array *r32 = rt_cast(ref, RT_FLOAT32); /* compare float32 against float32 */
    CHECK(rt_set_matmul_precision("highest") == RT_OK);
    rt_array *g1 = rt_matmul(a.g, b.g);
    double e1 = rel_error(g1, r32);
    CHECK(rt_set_matmul_precision("tf32") == RT_OK);
    rt_array *g2 = rt_matmul(a.g, b.g);
    double e2 = rel_error(g2, r32);
    CHECK(rt_set_matmul_precision("highest") == RT_OK);
    rt_array *g3 = rt_matmul(a.g, b.g);
    double e3 = rel_error(g3, r32);
    printf("  tf32_switch: relative error fp32 %.3g, tf32 %.3g, fp32 again %.3g\n", e1, e2, e3);
    CHECK(e1 < 1e-5);
    CHECK(e2 > 2e-5 && e2 < 5e-3); /* TF32 keeps 10 mantissa bits */
    CHECK(e3 < 1e-5);
    rt_array_release(a64); rt_array_release(b64); rt_array_release(ref); rt_array_release(r32);
    rt_array_release(g1); rt_array_release(g2); rt_array_release(g3);
    pair_release(a); pair_release(b);
}

int main(void) {
    RUN(sgemm_shapes);
    RUN(transposed_operands);
    RUN(batched_and_broadcast);
    RUN(float64_int32_and_empty_k);
    RUN(tf32_switch);
    return test_summary();
}
