/* rt_cuda_common.h — helpers for the CUDA backend tests: random host data,
 * the same array on CPU:0 and GPU:0, and element-wise comparison of the
 * two devices' results (the CPU backend is the reference).
 *
 * Comparison rule (llm.c style): |gpu - cpu| <= abs + rel * |cpu|; NaN
 * matches NaN only, infinities match equal infinities.
 */
#ifndef CGPU_RT_CUDA_COMMON_H
#define CGPU_RT_CUDA_COMMON_H

#include "test.h"
#include "rt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static rt_device *cpu0 __attribute__((unused)), *gpu0 __attribute__((unused));

/* 1 when a GPU exists (and sets cpu0/gpu0).
 * Built with -DRT_CUDA_TEST_SELFCHECK, the comparison tests run CPU:0
 * against CPU:0: that checks the tests themselves on a machine without a
 * GPU (expected values, tolerances, API use). */
static inline int have_gpu(void) {
    cpu0 = rt_device_get(RT_CPU, 0);
#ifdef RT_CUDA_TEST_SELFCHECK
    gpu0 = cpu0;
    return 1;
#else
    gpu0 = rt_logical_device_count(RT_GPU) > 0 ? rt_device_get(RT_GPU, 0) : NULL;
    return gpu0 != NULL;
#endif
}

#define NEED_GPU() do { if (!have_gpu()) { \
    static char why_[600]; \
    snprintf(why_, sizeof why_, "no GPU (%s)", rt_gpu_unavailable_reason() ? rt_gpu_unavailable_reason() : "?"); \
    SKIP(why_); } } while (0)

/* ---- host random data (xorshift; independent of the runtime's generator) ---- */

static uint64_t hr_state __attribute__((unused)) = 0x9E3779B97F4A7C15ULL;
static inline uint64_t hr_next(void) {
    hr_state ^= hr_state << 13;
    hr_state ^= hr_state >> 7;
    hr_state ^= hr_state << 17;
    return hr_state;
}
static inline double hr_uniform(double lo, double hi) {
    return lo + (hi - lo) * ((double)(hr_next() >> 11) * (1.0 / 9007199254740992.0));
}

/* n doubles: floats in [lo, hi), or integers in [lo, hi) for int32/bool. */
static inline double *host_data(int64_t n, rt_dtype t, double lo, double hi) {
    double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) {
        double x = hr_uniform(lo, hi);
        if (t == RT_INT32) x = floor(x);
        else if (t == RT_BOOL) x = hr_next() & 1;
        v[i] = x;
    }
    return v;
}

/* The same data on CPU:0 and GPU:0 (from doubles, converted to t). */
typedef struct { rt_array *c, *g; } pair;

static inline pair pair_from(const double *v, const int64_t *shape, int nd, rt_dtype t) {
    pair p;
    p.c = rt_from_host(v, RT_FLOAT64, shape, nd, t, cpu0);
    p.g = rt_from_host(v, RT_FLOAT64, shape, nd, t, gpu0);
    return p;
}

static inline pair pair_random(const int64_t *shape, int nd, rt_dtype t, double lo, double hi) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    double *v = host_data(n, t, lo, hi);
    pair p = pair_from(v, shape, nd, t);
    free(v);
    return p;
}

static inline void pair_release(pair p) {
    rt_array_release(p.c);
    rt_array_release(p.g);
}

/* Values of an array as doubles (caller frees); NULL on error. */
static inline double *fetch(const rt_array *a) {
    double *v = malloc((size_t)(a->size ? a->size : 1) * sizeof *v);
    if (rt_to_host(a, RT_FLOAT64, v) != RT_OK) {
        fprintf(stderr, "    to_host failed: %s\n", rt_error_message());
        free(v);
        return NULL;
    }
    return v;
}

static inline int near(double g, double c, double abs_tol, double rel_tol) {
    if (isnan(c)) return isnan(g);
    if (isinf(c)) return g == c;
    return fabs(g - c) <= abs_tol + rel_tol * fabs(c);
}

/* Compares shape, dtype and every element of the GPU result with the CPU
 * one; prints the first few mismatches under `what`. Returns 1 when equal
 * within tolerance. */
static inline int same_result(const char *what, const rt_array *g, const rt_array *c, double abs_tol, double rel_tol) {
    if (!g || !c) {
        fprintf(stderr, "    %s: %s result is NULL: %s\n", what, g ? "cpu" : "gpu", rt_error_message());
        return 0;
    }
    if (g->dtype != c->dtype || g->ndim != c->ndim || g->size != c->size) {
        fprintf(stderr, "    %s: dtype/shape differ (%s ndim %d size %lld vs %s ndim %d size %lld)\n", what,
                rt_dtype_name(g->dtype), g->ndim, (long long)g->size, rt_dtype_name(c->dtype), c->ndim,
                (long long)c->size);
        return 0;
    }
    for (int i = 0; i < g->ndim; i++)
        if (g->shape[i] != c->shape[i]) { fprintf(stderr, "    %s: shape differs at axis %d\n", what, i); return 0; }
#ifndef RT_CUDA_TEST_SELFCHECK
    if (rt_device_kind_of(g->device) != RT_GPU) {
        fprintf(stderr, "    %s: GPU result lives on %s\n", what, rt_device_name(g->device));
        return 0;
    }
#endif
    double *gv = fetch(g), *cv = fetch(c);
    int ok = gv && cv, bad = 0;
    for (int64_t i = 0; ok && i < g->size; i++) {
        if (!near(gv[i], cv[i], abs_tol, rel_tol)) {
            if (bad < 4)
                fprintf(stderr, "    %s: element %lld: gpu %.9g cpu %.9g\n", what, (long long)i, gv[i], cv[i]);
            bad++;
        }
    }
    if (bad) fprintf(stderr, "    %s: %d of %lld elements differ\n", what, bad, (long long)g->size);
    free(gv);
    free(cv);
    return ok && !bad;
}

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

#endif
