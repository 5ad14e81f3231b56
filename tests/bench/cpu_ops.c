/* cpu_ops.c — CPU throughput of core runtime ops, for comparison with
 * numpy (tests/bench/cpu_ops.sh runs both on the same sizes).
 *
 *   cpu_ops [log2_n]      default 24 (16M float32 elements)
 *
 * Prints one line per op: "<op> n=<n> ms=<best> GB/s=<bytes moved / best>"
 * where the time is the best of several repetitions after a warm-up.
 */
#include "rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef rt_array *(*op_fn)(rt_array *a, rt_array *b);

static rt_array *op_add(rt_array *a, rt_array *b) { return rt_binary(RT_ADD, a, b); }
static rt_array *op_mul_scalar(rt_array *a, rt_array *b) { (void)b; return rt_binary_scalar(RT_MUL, a, 1.5, 0); }
static rt_array *op_sum(rt_array *a, rt_array *b) { (void)b; return rt_reduce(RT_SUM, a, RT_ALL_AXES, 0); }
static rt_array *op_exp(rt_array *a, rt_array *b) { (void)b; return rt_unary(RT_EXP, a); }
static rt_array *op_matmul(rt_array *a, rt_array *b) { return rt_matmul(a, b); }
static rt_array *op_sum_axis0(rt_array *a, rt_array *b) { (void)b; return rt_reduce(RT_SUM, a, 0, 0); }

static int bench(const char *name, op_fn fn, rt_array *a, rt_array *b, double bytes, double flops, int reps) {
    double best = 1e30;
    for (int r = 0; r < reps + 2; r++) {
        double t0 = now();
        rt_array *c = fn(a, b);
        double t = now() - t0;
        if (!c) { fprintf(stderr, "%s failed: %s\n", name, rt_error_message()); return 1; }
        rt_array_release(c);
        if (r >= 2 && t < best) best = t; /* two warm-up runs fill the allocator cache */
    }
    printf("%-12s n=%-10lld ms=%-9.3f", name, (long long)a->size, best * 1e3);
    if (bytes > 0) printf(" GB/s=%.2f", bytes / best / 1e9);
    if (flops > 0) printf(" GFLOP/s=%.2f", flops / best / 1e9);
    printf("\n");
    return 0;
}

int main(int argc, char **argv) {
    int lg = argc > 1 ? atoi(argv[1]) : 24;
    if (lg < 10 || lg > 30) { fprintf(stderr, "log2_n must be in [10, 30]\n"); return 2; }
    int64_t n = (int64_t)1 << lg;
    rt_device *cpu = rt_device_get(RT_CPU, 0);
    rt_seed(0);
    rt_array *a = rt_rand_uniform(&n, 1, -1, 1, RT_FLOAT32, cpu);
    rt_array *b = rt_rand_uniform(&n, 1, -1, 1, RT_FLOAT32, cpu);
    if (!a || !b) { fprintf(stderr, "setup failed: %s\n", rt_error_message()); return 1; }
    int fail = 0;
    double f = (double)n;
    fail |= bench("add", op_add, a, b, 12 * f, 0, 10);
    fail |= bench("mul_scalar", op_mul_scalar, a, b, 8 * f, 0, 10);
    fail |= bench("sum", op_sum, a, b, 4 * f, 0, 10);
    fail |= bench("exp", op_exp, a, b, 8 * f, 0, 5);
    int64_t rs[2] = {n / 1024, 1024};
    rt_array *m = rt_reshape(a, rs, 2);
    fail |= bench("sum_axis0", op_sum_axis0, m, NULL, 4 * f, 0, 10);
    rt_array_release(m);
    int64_t k = 512;
    int64_t ms[2] = {k, k};
    rt_array *x = rt_rand_uniform(ms, 2, -1, 1, RT_FLOAT32, cpu), *y = rt_rand_uniform(ms, 2, -1, 1, RT_FLOAT32, cpu);
    fail |= bench("matmul512", op_matmul, x, y, 0, 2.0 * k * k * k, 5);
    rt_array_release(x); rt_array_release(y);
    rt_array_release(a); rt_array_release(b);
    return fail;
}
