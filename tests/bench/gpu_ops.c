/* gpu_ops.c — GPU throughput and per-op overhead of the runtime's CUDA
 * backend (tests/bench/gpu_ops.sh runs it next to PyTorch and CuPy).
 *
 *   gpu_ops [log2_n]      default 27 (128M float32 elements)
 *
 * Every measurement goes through the public API (rt_binary, rt_reduce,
 * rt_matmul, ...), allocation of outputs included. Times are GPU time from
 * CUDA events: rt_take_gpu_seconds() around a batch of K queued ops (the
 * backend records an event before the first and after the last), divided
 * by K; the median over R batches after a warm-up. The tiny-op overhead is
 * host wall time per op over a long batch (that is what a user waits for).
 *
 * Prints one line per measurement, "key=value" pairs, e.g.
 *   add n=134217728 ms=0.553 TB/s=2.91
 */
#include "rt.h"
#include "rt_internal.h" /* the backend table, for the overhead breakdown */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct {
    rt_array *a, *b, *c;
} inputs;

typedef rt_array *(*op_fn)(const inputs *in);

static rt_array *op_add(const inputs *in) { return rt_binary(RT_ADD, in->a, in->b); }
static rt_array *op_sum(const inputs *in) { return rt_reduce(RT_SUM, in->a, RT_ALL_AXES, 0); }
static rt_array *op_matmul(const inputs *in) { return rt_matmul(in->a, in->b); }
static rt_array *op_chain(const inputs *in) {
    rt_array *m = rt_binary(RT_MUL, in->a, in->b);
    rt_array *s = m ? rt_binary(RT_ADD, m, in->c) : NULL;
    rt_array *r = s ? rt_unary(RT_RELU, s) : NULL;
    rt_array_release(m);
    rt_array_release(s);
    return r;
}

/* Median GPU seconds per call of fn over `reps` batches of `k` calls. */
static int gpu_time(op_fn fn, const inputs *in, int k, int reps, double *out) {
    double t[64];
    if (reps > 64) reps = 64;
    for (int w = 0; w < 2; w++) { /* warm-up: module load, cuBLAS heuristics, allocator cache */
        rt_array *r = fn(in);
        if (!r) return 1;
        rt_array_release(r);
    }
    if (rt_synchronize(NULL) != RT_OK) return 1;
    for (int r = 0; r < reps; r++) {
        (void)rt_take_gpu_seconds();
        for (int i = 0; i < k; i++) {
            rt_array *x = fn(in);
            if (!x) return 1;
            rt_array_release(x);
        }
        if (rt_synchronize(NULL) != RT_OK) return 1;
        t[r] = rt_take_gpu_seconds() / k;
    }
    *out = median(t, reps);
    return 0;
}

/* Host wall time per op of a + b on tiny arrays, queued back to back
 * (`out`), and the part of it spent before the final wait (`enq`: when it
 * is close to `out`, the host's launch path is the limit, not the GPU). */
static int tiny_overhead(rt_device *g, int64_t n, double *out, double *enq) {
    rt_array *a = rt_full(&n, 1, 1.0, RT_FLOAT32, g), *b = rt_full(&n, 1, 2.0, RT_FLOAT32, g);
    if (!a || !b) return 1;
    double t[9], e[9];
    const int k = 20000;
    for (int r = 0; r < 10; r++) {
        if (rt_synchronize(g) != RT_OK) return 1;
        double t0 = now();
        for (int i = 0; i < k; i++) {
            rt_array *c = rt_binary(RT_ADD, a, b);
            if (!c) return 1;
            rt_array_release(c);
        }
        double t1 = now();
        if (rt_synchronize(g) != RT_OK) return 1;
        if (r > 0) { t[r - 1] = (now() - t0) / k; e[r - 1] = (t1 - t0) / k; } /* first round warms up */
    }
    *out = median(t, 9);
    *enq = median(e, 9);
    rt_array_release(a);
    rt_array_release(b);
    return 0;
}

/* Where the time of a tiny op goes: the same a + b (1) through the CPU
 * backend (the dispatcher's own cost plus a trivial kernel), and (2)
 * straight into the CUDA backend's binary() on preallocated memory (the
 * backend plus the CUDA launch, no dispatcher). */
static int tiny_breakdown(rt_device *g, double *cpu_us, double *backend_us) {
    int64_t n = 1;
    rt_device *c = rt_device_get(RT_CPU, 0);
    rt_array *a = rt_full(&n, 1, 1.0, RT_FLOAT32, c), *b = rt_full(&n, 1, 2.0, RT_FLOAT32, c);
    rt_array *ga = rt_full(&n, 1, 1.0, RT_FLOAT32, g), *gb = rt_full(&n, 1, 2.0, RT_FLOAT32, g);
    rt_array *go = rt_empty(&n, 1, RT_FLOAT32, g);
    if (!a || !b || !ga || !gb || !go) return 1;
    double t[9];
    const int k = 20000;
    for (int r = 0; r < 10; r++) {
        double t0 = now();
        for (int i = 0; i < k; i++) rt_array_release(rt_binary(RT_ADD, a, b));
        if (r > 0) t[r - 1] = (now() - t0) / k;
    }
    *cpu_us = median(t, 9) * 1e6;
    rt_view ov = rt_view_of(go), av = rt_view_of(ga), bv = rt_view_of(gb);
    for (int r = 0; r < 10; r++) {
        if (rt_synchronize(g) != RT_OK) return 1;
        double t0 = now();
        for (int i = 0; i < k; i++)
            if (g->backend->binary(g, RT_ADD, &ov, &av, &bv) != RT_OK) return 1;
        if (rt_synchronize(g) != RT_OK) return 1;
        if (r > 0) t[r - 1] = (now() - t0) / k;
    }
    *backend_us = median(t, 9) * 1e6;
    rt_array_release(a); rt_array_release(b); rt_array_release(ga); rt_array_release(gb); rt_array_release(go);
    return 0;
}

static void fail(const char *what) {
    fprintf(stderr, "gpu_ops: %s failed: %s\n", what, rt_error_message());
    exit(1);
}

int main(int argc, char **argv) {
    int lg = argc > 1 ? atoi(argv[1]) : 27;
    if (lg < 10 || lg > 30) { fprintf(stderr, "log2_n must be in [10, 30]\n"); return 2; }
    if (rt_logical_device_count(RT_GPU) == 0) {
        printf("skipped: no GPU (%s)\n", rt_gpu_unavailable_reason());
        return 0;
    }
    rt_device *g = rt_device_get(RT_GPU, 0);
    rt_device_props p;
    rt_device_properties(RT_GPU, 0, &p);
    printf("device sms=%d mem_gib=%.1f cc=%d.%d name=%s\n", p.multiprocessors, p.total_memory / 1073741824.0,
           p.cc_major, p.cc_minor, p.name);

    int64_t n = (int64_t)1 << lg;
    double f = (double)n, t;
    rt_seed(0);
    inputs big;
    big.a = rt_rand_uniform(&n, 1, -1, 1, RT_FLOAT32, g);
    big.b = rt_rand_uniform(&n, 1, -1, 1, RT_FLOAT32, g);
    big.c = rt_rand_uniform(&n, 1, -1, 1, RT_FLOAT32, g);
    if (!big.a || !big.b || !big.c) fail("setup");

    if (gpu_time(op_add, &big, 10, 15, &t)) fail("add");
    printf("add n=%lld ms=%.4f TB/s=%.3f\n", (long long)n, t * 1e3, 12 * f / t / 1e12);
    if (gpu_time(op_sum, &big, 10, 15, &t)) fail("sum");
    printf("sum n=%lld ms=%.4f TB/s=%.3f\n", (long long)n, t * 1e3, 4 * f / t / 1e12);
    if (gpu_time(op_chain, &big, 5, 9, &t)) fail("chain");
    /* three kernels: a*b (12 B/elem), +c (12 B/elem), relu (8 B/elem) */
    printf("chain n=%lld ms=%.4f TB/s=%.3f\n", (long long)n, t * 1e3, 32 * f / t / 1e12);
    rt_array_release(big.a);
    rt_array_release(big.b);
    rt_array_release(big.c);

    int64_t mk[2] = {8192, 8192};
    inputs mm;
    mm.a = rt_rand_uniform(mk, 2, -1, 1, RT_FLOAT32, g);
    mm.b = rt_rand_uniform(mk, 2, -1, 1, RT_FLOAT32, g);
    mm.c = NULL;
    if (!mm.a || !mm.b) fail("matmul setup");
    if (rt_set_matmul_precision("highest") != RT_OK) fail("precision");
    if (gpu_time(op_matmul, &mm, 3, 7, &t)) fail("sgemm");
    printf("sgemm n=8192 ms=%.3f TFLOP/s=%.2f\n", t * 1e3, 2.0 * 8192 * 8192 * 8192 / t / 1e12);
    if (rt_set_matmul_precision("tf32") != RT_OK) fail("precision");
    if (gpu_time(op_matmul, &mm, 3, 7, &t)) fail("sgemm tf32");
    printf("sgemm_tf32 n=8192 ms=%.3f TFLOP/s=%.2f\n", t * 1e3, 2.0 * 8192 * 8192 * 8192 / t / 1e12);
    rt_set_matmul_precision("highest");
    rt_array_release(mm.a);
    rt_array_release(mm.b);

    double e;
    if (tiny_overhead(g, 1, &t, &e)) fail("tiny add");
    printf("tiny n=1 us=%.3f enqueue_us=%.3f\n", t * 1e6, e * 1e6);
    if (tiny_overhead(g, 1024, &t, &e)) fail("tiny add");
    printf("tiny n=1024 us=%.3f enqueue_us=%.3f\n", t * 1e6, e * 1e6);
    double cu, bu;
    if (tiny_breakdown(g, &cu, &bu)) fail("tiny breakdown");
    printf("tiny_parts n=1 cpu_dispatch_us=%.3f cuda_backend_us=%.3f\n", cu, bu);
    return 0;
}
