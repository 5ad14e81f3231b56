/* rt_cuda_elementwise.c — GPU:0 against CPU:0 for every element-wise op:
 * binary, unary, casts, fill, where, clip, gather, concatenate, assignment,
 * on odd sizes (0, 1, 1023, 2^20+3), non-contiguous views and broadcasts.
 */
#include "rt_cuda_common.h"

static const int64_t sizes[] = {0, 1, 1023, (1 << 20) + 3};
#define NSIZES (int)(sizeof sizes / sizeof sizes[0])
/* the first four are the ones every op loop covers; uint8 and int64 too
 * (ORDER: loops that need only the first n use `ti < n`) */
static const rt_dtype dtypes[] = {RT_FLOAT32, RT_FLOAT64, RT_INT32, RT_BOOL, RT_UINT8, RT_INT64};
#define NDTYPES ((int)(sizeof dtypes / sizeof dtypes[0]))
static int is_int(rt_dtype t) { return t == RT_INT32 || t == RT_INT64 || t == RT_UINT8; }

/* Tolerance of op results in dtype t: float math functions of the device
 * and glibc differ by a few ulp; everything else is exact. */
static double rel_of(rt_dtype t, int transcendental) {
    if (t == RT_FLOAT32) return transcendental ? 4e-6 : 1e-7;
    if (t == RT_FLOAT64) return transcendental ? 1e-13 : 1e-15;
    return 0;
}

/* Inputs in a range that keeps every op defined where it should be: the
 * divisor of integer floordiv/mod is never 0 (the dispatcher rejects it). */
static void input_range(rt_binary_op op, rt_dtype t, int right, double *lo, double *hi) {
    *lo = -20; *hi = 20;
    if (t == RT_UINT8) *lo = 0;
    if (is_int(t) && right && (op == RT_FLOORDIV || op == RT_MOD)) { *lo = 1; *hi = 9; }
    if (op == RT_POW) { *lo = right ? (is_int(t) ? 0 : -3) : 0.1; *hi = right ? 4 : 3; }
}

TEST(binary_all_ops_dtypes_sizes) {
    NEED_GPU();
    for (int s = 0; s < NSIZES; s++)
        for (int ti = 0; ti < NDTYPES; ti++)
            for (int op = 0; op < RT_BINARY_OP_COUNT; op++) {
                rt_dtype t = dtypes[ti];
                int64_t shape[1] = {sizes[s]};
                double lo, hi;
                input_range(op, t, 0, &lo, &hi);
                pair a = pair_random(shape, 1, t, lo, hi);
                input_range(op, t, 1, &lo, &hi);
                pair b = pair_random(shape, 1, t, lo, hi);
                if ((t == RT_INT32 || t == RT_INT64) && (op == RT_FLOORDIV || op == RT_MOD)) {
                    /* negative divisors too */
                    rt_array *nb = rt_binary_scalar(RT_MUL, b.c, -1, 0);
                    rt_array *nbg = rt_binary_scalar(RT_MUL, b.g, -1, 0);
                    rt_array *ev = rt_arange(0, (double)sizes[s], 1, RT_INT32, cpu0);
                    rt_array *evg = rt_arange(0, (double)sizes[s], 1, RT_INT32, gpu0);
                    rt_array *m = rt_binary_scalar(RT_MOD, ev, 2, 0), *mg = rt_binary_scalar(RT_MOD, evg, 2, 0);
                    rt_array *c = rt_binary_scalar(RT_EQ, m, 0, 0), *cg = rt_binary_scalar(RT_EQ, mg, 0, 0);
                    rt_array *w = rt_where(c, b.c, nb), *wg = rt_where(cg, b.g, nbg);
                    rt_array_release(nb); rt_array_release(nbg); rt_array_release(ev); rt_array_release(evg);
                    rt_array_release(m); rt_array_release(mg); rt_array_release(c); rt_array_release(cg);
                    pair_release(b);
                    b.c = w; b.g = wg;
                }
                rt_array *rc = rt_binary(op, a.c, b.c);
                rt_status ec = rc ? RT_OK : rt_error_code();
                rt_array *rg = rt_binary(op, a.g, b.g);
                rt_status eg = rg ? RT_OK : rt_error_code();
                char what[128];
                snprintf(what, sizeof what, "%s %s n=%lld", rt_binary_op_name(op), rt_dtype_name(t), (long long)sizes[s]);
                if (!rc && !rg) /* bool // False, bool - bool: both refuse alike */
                    CHECK(ec == eg && (ec == RT_EZERODIV || ec == RT_ETYPE));
                else
                    CHECK(same_result(what, rg, rc, 0, rel_of(rc ? rc->dtype : t, op == RT_POW || op == RT_DIV)));
                rt_array_release(rc);
                rt_array_release(rg);
                pair_release(a);
                pair_release(b);
            }
}

TEST(binary_special_values) {
    NEED_GPU();
    /* NaN, infinities, signed zeros through every float op */
    double v[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 1.5, -2.5, 7.0, -7.0, 3.0, 1e30, -1e-30};
    int n = (int)(sizeof v / sizeof v[0]);
    double *x = malloc(sizeof(double) * n * n), *y = malloc(sizeof(double) * n * n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) { x[i * n + j] = v[i]; y[i * n + j] = v[j]; }
    int64_t shape[1] = {n * n};
    for (int ti = 0; ti < 2; ti++) {
        pair a = pair_from(x, shape, 1, dtypes[ti]), b = pair_from(y, shape, 1, dtypes[ti]);
        for (int op = 0; op < RT_BINARY_OP_COUNT; op++) {
            rt_array *rc = rt_binary(op, a.c, b.c), *rg = rt_binary(op, a.g, b.g);
            char what[96];
            snprintf(what, sizeof what, "special %s %s", rt_binary_op_name(op), rt_dtype_name(dtypes[ti]));
            CHECK(same_result(what, rg, rc, 0, rel_of(dtypes[ti], op == RT_POW)));
            rt_array_release(rc);
            rt_array_release(rg);
        }
        pair_release(a);
        pair_release(b);
    }
    free(x);
    free(y);
}

TEST(unary_all_ops_dtypes_sizes) {
    NEED_GPU();
    for (int s = 0; s < NSIZES; s++)
        for (int ti = 0; ti < NDTYPES; ti++)
            for (int op = 0; op < RT_UNARY_OP_COUNT; op++) {
                rt_dtype t = dtypes[ti];
                int64_t shape[1] = {sizes[s]};
                double lo = -10, hi = 10;
                if (op == RT_LOG || op == RT_SQRT) { lo = 0; hi = 100; }
                pair a = pair_random(shape, 1, t, lo, hi);
                rt_array *rc = rt_unary(op, a.c), *rg = rt_unary(op, a.g);
                char what[96];
                snprintf(what, sizeof what, "%s %s n=%lld", rt_unary_op_name(op), rt_dtype_name(t), (long long)sizes[s]);
                int tr = op >= RT_EXP && op <= RT_SIGMOID;
                if (!rc && !rg) CHECK(t == RT_BOOL && op == RT_NEG); /* refused on both, as numpy refuses it */
                else CHECK(same_result(what, rg, rc, tr && t != RT_FLOAT64 ? 1e-7 : 0, rel_of(rc ? rc->dtype : t, tr)));
                rt_array_release(rc);
                rt_array_release(rg);
                pair_release(a);
            }
}

TEST(casts_between_all_dtypes) {
    NEED_GPU();
    double special[] = {NAN, INFINITY, -INFINITY, 3e9, -3e9, -0.0, 2.5, -2.5, 1, 0};
    for (int s = 0; s < NSIZES; s++)
        for (int a = 0; a < NDTYPES; a++)
            for (int b = 0; b < NDTYPES; b++) {
                int64_t n = sizes[s];
                double *v = host_data(n, dtypes[a], -1e3, 1e3);
                for (int64_t i = 0; i < n && i < 10; i++) v[i] = special[i];
                int64_t shape[1] = {n};
                pair p = pair_from(v, shape, 1, dtypes[a]);
                rt_array *rc = rt_cast(p.c, dtypes[b]), *rg = rt_cast(p.g, dtypes[b]);
                char what[96];
                snprintf(what, sizeof what, "cast %s->%s n=%lld", rt_dtype_name(dtypes[a]), rt_dtype_name(dtypes[b]), (long long)n);
                CHECK(same_result(what, rg, rc, 0, 0));
                rt_array_release(rc);
                rt_array_release(rg);
                pair_release(p);
                free(v);
            }
}

TEST(fill_full_zeros_arange) {
    NEED_GPU();
    double values[] = {0.0, -0.0, 1.0, -3.75, 1e10, NAN};
    for (int s = 0; s < NSIZES; s++)
        for (int ti = 0; ti < 4; ti++)
            for (int k = 0; k < 6; k++) {
                int64_t shape[2] = {sizes[s], 1};
                rt_array *c = rt_full(shape, 2, values[k], dtypes[ti], cpu0);
                rt_array *g = rt_full(shape, 2, values[k], dtypes[ti], gpu0);
                char what[96];
                snprintf(what, sizeof what, "full %g %s n=%lld", values[k], rt_dtype_name(dtypes[ti]), (long long)sizes[s]);
                CHECK(same_result(what, g, c, 0, 0));
                rt_array_release(c);
                rt_array_release(g);
            }
    rt_array *c = rt_arange(-5, 1000.5, 0.75, RT_FLOAT32, cpu0), *g = rt_arange(-5, 1000.5, 0.75, RT_FLOAT32, gpu0);
    CHECK(same_result("arange", g, c, 0, 0));
    rt_array_release(c);
    rt_array_release(g);
    c = rt_eye(37, RT_FLOAT64, cpu0);
    g = rt_eye(37, RT_FLOAT64, gpu0);
    CHECK(same_result("eye", g, c, 0, 0));
    rt_array_release(c);
    rt_array_release(g);
}

TEST(broadcasting_shapes) {
    NEED_GPU();
    /* (N,1)+(1,M), (M,)+(N,M), scalar, 3-D with middle broadcast */
    int64_t sa[][3] = {{1023, 1, 0}, {517, 0, 0}, {1, 0, 0}, {5, 1, 9}, {1, 7, 1}};
    int64_t sb[][3] = {{1, 517, 0}, {1023, 517, 0}, {300, 301, 0}, {5, 8, 9}, {6, 1, 5}};
    int na[] = {2, 1, 1, 3, 3}, nb[] = {2, 2, 2, 3, 3};
    for (int k = 0; k < 5; k++)
        for (int ti = 0; ti < 3; ti++) {
            pair a = pair_random(sa[k], na[k], dtypes[ti], -5, 5), b = pair_random(sb[k], nb[k], dtypes[ti], -5, 5);
            rt_binary_op ops[] = {RT_ADD, RT_MUL, RT_GT, RT_MAXIMUM};
            for (int o = 0; o < 4; o++) {
                rt_array *rc = rt_binary(ops[o], a.c, b.c), *rg = rt_binary(ops[o], a.g, b.g);
                rt_array *rc2 = rt_binary(ops[o], b.c, a.c), *rg2 = rt_binary(ops[o], b.g, a.g);
                char what[96];
                snprintf(what, sizeof what, "broadcast case %d %s %s", k, rt_binary_op_name(ops[o]), rt_dtype_name(dtypes[ti]));
                CHECK(same_result(what, rg, rc, 0, 1e-7));
                CHECK(same_result(what, rg2, rc2, 0, 1e-7));
                rt_array_release(rc); rt_array_release(rg); rt_array_release(rc2); rt_array_release(rg2);
            }
            pair_release(a);
            pair_release(b);
        }
    /* scalar on either side */
    int64_t shape[1] = {(1 << 20) + 3};
    pair a = pair_random(shape, 1, RT_FLOAT32, -5, 5);
    for (int op = RT_ADD; op <= RT_POW; op++) {
        if (op == RT_POW) continue;
        rt_array *rc = rt_binary_scalar(op, a.c, 2.5, 1), *rg = rt_binary_scalar(op, a.g, 2.5, 1);
        CHECK(same_result("scalar left", rg, rc, 0, 1e-7));
        rt_array_release(rc); rt_array_release(rg);
        rc = rt_binary_scalar(op, a.c, 3, 0);
        rg = rt_binary_scalar(op, a.g, 3, 0);
        CHECK(same_result("scalar right", rg, rc, 0, 1e-7));
        rt_array_release(rc); rt_array_release(rg);
    }
    pair_release(a);
}

/* A transposed, a stepped slice and a reversed slice of one array. */
TEST(non_contiguous_views) {
    NEED_GPU();
    int64_t shape[2] = {1023, 517};
    for (int ti = 0; ti < 4; ti++) {
        pair a = pair_random(shape, 2, dtypes[ti], -9, 9);
        int64_t tshape[2] = {517, 1023};
        pair b = pair_random(tshape, 2, dtypes[ti], -9, 9);
        rt_array *at_c = rt_transpose(a.c, NULL), *at_g = rt_transpose(a.g, NULL);
        /* transposed + contiguous */
        rt_array *rc = rt_binary(RT_SUB, at_c, b.c), *rg = rt_binary(RT_SUB, at_g, b.g);
        CHECK(same_result("transpose - contiguous", rg, rc, 0, 0));
        rt_array_release(rc); rt_array_release(rg);
        /* unary and cast of a transposed view */
        rc = rt_unary(RT_ABS, at_c); rg = rt_unary(RT_ABS, at_g);
        CHECK(same_result("abs(transpose)", rg, rc, 0, 0));
        rt_array_release(rc); rt_array_release(rg);
        rc = rt_cast(at_c, RT_FLOAT64); rg = rt_cast(at_g, RT_FLOAT64);
        CHECK(same_result("cast(transpose)", rg, rc, 0, 0));
        rt_array_release(rc); rt_array_release(rg);
        rc = rt_contiguous(at_c); rg = rt_contiguous(at_g);
        CHECK(same_result("contiguous(transpose)", rg, rc, 0, 0));
        rt_array_release(rc); rt_array_release(rg);
        /* a[::3, ::-2] (steps and a negative step) */
        rt_index idx[2];
        memset(idx, 0, sizeof idx);
        idx[0].kind = RT_IDX_SLICE; idx[0].step = 3;
        idx[1].kind = RT_IDX_SLICE; idx[1].step = -2;
        rt_array *vc = rt_index_view(a.c, idx, 2), *vg = rt_index_view(a.g, idx, 2);
        CHECK(vc && vg);
        if (vc && vg) {
            rc = rt_binary(RT_MUL, vc, vc); rg = rt_binary(RT_MUL, vg, vg);
            CHECK(same_result("slice*slice", rg, rc, 0, 0));
            rt_array_release(rc); rt_array_release(rg);
            rc = rt_flatten(vc); rg = rt_flatten(vg);
            CHECK(same_result("flatten(slice)", rg, rc, 0, 0));
            rt_array_release(rc); rt_array_release(rg);
            /* assignment into the strided view, of a scalar and of an array */
            CHECK(rt_assign_scalar(vc, 4) == RT_OK && rt_assign_scalar(vg, 4) == RT_OK);
            CHECK(same_result("assign scalar into view", a.g, a.c, 0, 0));
            rt_array *src_c = rt_transpose(b.c, NULL), *src_g = rt_transpose(b.g, NULL);
            rt_index idx2[2];
            memset(idx2, 0, sizeof idx2);
            idx2[0].kind = RT_IDX_SLICE; idx2[0].step = 1; idx2[0].stop = vc->shape[0]; idx2[0].has_stop = 1;
            idx2[1].kind = RT_IDX_SLICE; idx2[1].step = 1; idx2[1].stop = vc->shape[1]; idx2[1].has_stop = 1;
            rt_array *sc = rt_index_view(src_c, idx2, 2), *sg = rt_index_view(src_g, idx2, 2);
            CHECK(rt_assign(vc, sc) == RT_OK && rt_assign(vg, sg) == RT_OK);
            CHECK(same_result("assign transposed array into view", a.g, a.c, 0, 0));
            rt_array_release(sc); rt_array_release(sg); rt_array_release(src_c); rt_array_release(src_g);
        }
        rt_array_release(vc); rt_array_release(vg);
        rt_array_release(at_c); rt_array_release(at_g);
        pair_release(a);
        pair_release(b);
    }
}

TEST(overlapping_assignment) {
    NEED_GPU();
    int64_t shape[1] = {100003};
    pair a = pair_random(shape, 1, RT_FLOAT32, -9, 9);
    rt_index lo, hi;
    memset(&lo, 0, sizeof lo); memset(&hi, 0, sizeof hi);
    lo.kind = hi.kind = RT_IDX_SLICE;
    lo.step = hi.step = 1;
    lo.stop = -1; lo.has_stop = 1;      /* a[:-1] */
    hi.start = 1; hi.has_start = 1;     /* a[1:] */
    rt_array *dc = rt_index_view(a.c, &hi, 1), *sc = rt_index_view(a.c, &lo, 1);
    rt_array *dg = rt_index_view(a.g, &hi, 1), *sg = rt_index_view(a.g, &lo, 1);
    CHECK(rt_assign(dc, sc) == RT_OK && rt_assign(dg, sg) == RT_OK);
    CHECK(same_result("a[1:] = a[:-1]", a.g, a.c, 0, 0));
    CHECK(rt_assign(sc, dc) == RT_OK && rt_assign(sg, dg) == RT_OK);
    CHECK(same_result("a[:-1] = a[1:]", a.g, a.c, 0, 0));
    rt_array_release(dc); rt_array_release(sc); rt_array_release(dg); rt_array_release(sg);
    pair_release(a);
}

TEST(where_and_clip) {
    NEED_GPU();
    for (int s = 0; s < NSIZES; s++)
        for (int ti = 0; ti < 4; ti++) {
            int64_t shape[1] = {sizes[s]};
            pair c = pair_random(shape, 1, RT_BOOL, 0, 1);
            pair a = pair_random(shape, 1, dtypes[ti], -9, 9), b = pair_random(shape, 1, dtypes[ti], -9, 9);
            rt_array *rc = rt_where(c.c, a.c, b.c), *rg = rt_where(c.g, a.g, b.g);
            CHECK(same_result("where", rg, rc, 0, 0));
            rt_array_release(rc); rt_array_release(rg);
            if (dtypes[ti] != RT_BOOL) {
                rc = rt_clip(a.c, -2.5, 3); rg = rt_clip(a.g, -2.5, 3);
                CHECK(same_result("clip", rg, rc, 0, 0));
                rt_array_release(rc); rt_array_release(rg);
            }
            pair_release(a); pair_release(b); pair_release(c);
        }
    /* broadcast condition (column) against a matrix and a scalar */
    int64_t cs[2] = {300, 1}, ms[2] = {300, 211}, ss[1] = {1};
    pair c = pair_random(cs, 2, RT_BOOL, 0, 1), a = pair_random(ms, 2, RT_FLOAT32, -9, 9), b = pair_random(ss, 1, RT_FLOAT32, -9, 9);
    rt_array *rc = rt_where(c.c, a.c, b.c), *rg = rt_where(c.g, a.g, b.g);
    CHECK(same_result("where broadcast", rg, rc, 0, 0));
    rt_array_release(rc); rt_array_release(rg);
    pair_release(a); pair_release(b); pair_release(c);
}

TEST(gather_axes) {
    NEED_GPU();
    int64_t shape[3] = {7, 301, 9};
    int32_t idx[] = {0, 300, 5, -1, 17, 17, 2};
    int64_t ishape[1] = {7};
    for (int ti = 0; ti < 4; ti++) {
        pair a = pair_random(shape, 3, dtypes[ti], -100, 100);
        rt_array *ic = rt_from_host(idx, RT_INT32, ishape, 1, RT_INT32, cpu0);
        rt_array *ig = rt_from_host(idx, RT_INT32, ishape, 1, RT_INT32, gpu0);
        for (int ax = 0; ax < 3; ax++) {
            if (ax != 1) {
                /* indices valid for the short axes */
                int32_t small[] = {0, 6, 3, -1, 2, 2, 1};
                rt_array *sc = rt_from_host(small, RT_INT32, ishape, 1, RT_INT32, cpu0);
                rt_array *sg = rt_from_host(small, RT_INT32, ishape, 1, RT_INT32, gpu0);
                rt_array *rc = rt_gather(a.c, sc, ax), *rg = rt_gather(a.g, sg, ax);
                CHECK(same_result("gather short axis", rg, rc, 0, 0));
                rt_array_release(rc); rt_array_release(rg); rt_array_release(sc); rt_array_release(sg);
            } else {
                rt_array *rc = rt_gather(a.c, ic, ax), *rg = rt_gather(a.g, ig, ax);
                CHECK(same_result("gather axis 1", rg, rc, 0, 0));
                rt_array_release(rc); rt_array_release(rg);
            }
        }
        rt_array_release(ic); rt_array_release(ig);
        pair_release(a);
    }
    /* rows of 16-byte multiples (the wide-word path): (1000, 64) float32 */
    int64_t es[2] = {1000, 64};
    pair e = pair_random(es, 2, RT_FLOAT32, -1, 1);
    int64_t ns[1] = {4096};
    double *iv = host_data(4096, RT_INT32, 0, 1000);
    rt_array *ic = rt_from_host(iv, RT_FLOAT64, ns, 1, RT_INT32, cpu0), *ig = rt_from_host(iv, RT_FLOAT64, ns, 1, RT_INT32, gpu0);
    rt_array *rc = rt_gather(e.c, ic, 0), *rg = rt_gather(e.g, ig, 0);
    CHECK(same_result("embedding-style gather", rg, rc, 0, 0));
    rt_array_release(rc); rt_array_release(rg); rt_array_release(ic); rt_array_release(ig);
    free(iv);
    pair_release(e);
}

TEST(concatenate_stack) {
    NEED_GPU();
    int64_t s1[2] = {31, 17}, s2[2] = {31, 5};
    pair a = pair_random(s1, 2, RT_FLOAT32, -1, 1), b = pair_random(s2, 2, RT_FLOAT32, -1, 1);
    rt_array *lc[2] = {a.c, b.c}, *lg[2] = {a.g, b.g};
    rt_array *rc = rt_concatenate(lc, 2, 1), *rg = rt_concatenate(lg, 2, 1);
    CHECK(same_result("concatenate axis 1", rg, rc, 0, 0));
    rt_array_release(rc); rt_array_release(rg);
    rt_array *sc[2] = {a.c, a.c}, *sg[2] = {a.g, a.g};
    rc = rt_stack(sc, 2, 2); rg = rt_stack(sg, 2, 2);
    CHECK(same_result("stack axis 2", rg, rc, 0, 0));
    rt_array_release(rc); rt_array_release(rg);
    pair_release(a); pair_release(b);
}

/* The device agrees with itself across a relu(a*b+c) chain and a round
 * trip to the host. */
TEST(chain_and_round_trip) {
    NEED_GPU();
    int64_t shape[1] = {(1 << 20) + 3};
    pair a = pair_random(shape, 1, RT_FLOAT32, -2, 2), b = pair_random(shape, 1, RT_FLOAT32, -2, 2),
         c = pair_random(shape, 1, RT_FLOAT32, -2, 2);
    rt_array *mc = rt_binary(RT_MUL, a.c, b.c), *mg = rt_binary(RT_MUL, a.g, b.g);
    rt_array *sc = rt_binary(RT_ADD, mc, c.c), *sg = rt_binary(RT_ADD, mg, c.g);
    rt_array *rc = rt_unary(RT_RELU, sc), *rg = rt_unary(RT_RELU, sg);
    CHECK(same_result("relu(a*b+c)", rg, rc, 0, 0));
    rt_array *back = rt_to_device(rg, cpu0);
    CHECK(back && rt_device_kind_of(back->device) == RT_CPU);
    rt_array *again = back ? rt_to_device(back, gpu0) : NULL;
    CHECK(same_result("GPU -> CPU -> GPU", again, rc, 0, 0));
    rt_array_release(back); rt_array_release(again);
    rt_array_release(mc); rt_array_release(mg); rt_array_release(sc); rt_array_release(sg);
    rt_array_release(rc); rt_array_release(rg);
    pair_release(a); pair_release(b); pair_release(c);
}

int main(void) {
    RUN(binary_all_ops_dtypes_sizes);
    RUN(binary_special_values);
    RUN(unary_all_ops_dtypes_sizes);
    RUN(casts_between_all_dtypes);
    RUN(fill_full_zeros_arange);
    RUN(broadcasting_shapes);
    RUN(non_contiguous_views);
    RUN(overlapping_assignment);
    RUN(where_and_clip);
    RUN(gather_axes);
    RUN(concatenate_stack);
    RUN(chain_and_round_trip);
    return test_summary();
}
