/* rt_testlib.h — helpers for the runtime unit tests (tests/unit/rt_*.c).
 *
 * DEVICE_TEST(name) { ... uses `dev` ... } defines name_cpu, run on CPU:0,
 * and name_gpu, run on GPU:0 when one exists (else "skipped: no GPU").
 * Results are checked against a double-precision host reference with a
 * tolerance of abs + rel * |ref|, so the GPU is held to the CPU's semantics.
 */
#ifndef CGPU_RT_TESTLIB_H
#define CGPU_RT_TESTLIB_H

#include "test.h"
#include "rt.h"

#include <stdint.h>

#define DEVICE_TEST(name) \
    static void name##_on(rt_device *dev); \
    TEST(name##_cpu) { name##_on(rt_device_get(RT_CPU, 0)); } \
    TEST(name##_gpu) { \
        if (rt_logical_device_count(RT_GPU) == 0) SKIP("no GPU"); \
        name##_on(rt_device_get(RT_GPU, 0)); \
    } \
    static void name##_on(rt_device *dev)

#define RUN_DEV(name) do { RUN(name##_cpu); RUN(name##_gpu); } while (0)

/* Deterministic host data (xorshift), so failures reproduce. */
static uint64_t tl_state = 88172645463325252ULL;
static inline uint64_t tl_next(void) {
    tl_state ^= tl_state << 13; tl_state ^= tl_state >> 7; tl_state ^= tl_state << 17;
    return tl_state;
}
/* integer in [lo, hi] */
static inline int tl_int(int lo, int hi) { return lo + (int)(tl_next() % (uint64_t)(hi - lo + 1)); }

/* Array of doubles on the host -> array of dtype t on dev. */
static inline rt_array *tl_array(const double *v, const int64_t *shape, int ndim, rt_dtype t, rt_device *dev) {
    return rt_from_host(v, RT_FLOAT64, shape, ndim, t, dev);
}

/* Fetches every element as double (malloc'd; NULL on failure). */
static inline double *tl_fetch(const rt_array *a) {
    double *v = malloc((size_t)(a->size ? a->size : 1) * sizeof *v);
    if (v && rt_to_host(a, RT_FLOAT64, v) != RT_OK) { free(v); return NULL; }
    return v;
}

/* Rounds a double reference to what dtype t can hold. */
static inline double tl_round(double v, rt_dtype t) {
    switch (t) {
    case RT_FLOAT32: return (float)v;
    case RT_INT32: return (v >= -2147483648.0 && v < 2147483648.0) ? (double)(int32_t)v : (double)INT32_MIN;
    case RT_BOOL: return v != 0;
    case RT_UINT8: return (double)(uint8_t)(uint32_t)(int32_t)((v >= -2147483648.0 && v < 2147483648.0) ? v : 0);
    case RT_INT64: return (double)(int64_t)v;
    default: return v;
    }
}

/* Compares n values; NaN matches NaN, equal infinities match. Reports the
 * first mismatch only (as one failed CHECK), so big arrays don't flood. */
static inline int tl_close(const double *got, const double *ref, int64_t n, double abs_tol, double rel_tol,
                           const char *what) {
    for (int64_t i = 0; i < n; i++) {
        double g = got[i], r = ref[i];
        if (isnan(r) && isnan(g)) continue;
        if (isinf(r) && g == r) continue;
        if (!(fabs(g - r) <= abs_tol + rel_tol * fabs(r))) {
            fprintf(stderr, "    %s: element %lld: got %.9g, expected %.9g\n", what, (long long)i, g, r);
            return 0;
        }
    }
    return 1;
}

/* Checks array a against ref (n doubles) with tolerance. */
#define CHECK_ARRAY(a, ref, n, abs_tol, rel_tol, what) do { \
    const rt_array *a_ = (a); \
    CHECK(a_ != NULL); \
    if (a_) { \
        CHECK(a_->size == (int64_t)(n)); \
        double *g_ = tl_fetch(a_); \
        CHECK(g_ != NULL); \
        if (g_ && a_->size == (int64_t)(n)) CHECK(tl_close(g_, (ref), (n), (abs_tol), (rel_tol), (what))); \
        free(g_); \
    } } while (0)

#define CHECK_SHAPE(a, ...) do { \
    const int64_t want_[] = {__VA_ARGS__}; \
    const rt_array *a_ = (a); \
    CHECK(a_ != NULL); \
    if (a_) { \
        int nd_ = (int)(sizeof want_ / sizeof want_[0]); \
        int ok_ = a_->ndim == nd_; \
        for (int i_ = 0; ok_ && i_ < nd_; i_++) ok_ = a_->shape[i_] == want_[i_]; \
        if (!ok_) { char s_[128]; rt_format_shape(a_->shape, a_->ndim, s_, sizeof s_); \
                    fprintf(stderr, "    shape is %s\n", s_); } \
        CHECK(ok_); \
    } } while (0)

#define CHECK_SCALAR_SHAPE(a) do { const rt_array *a_ = (a); CHECK(a_ != NULL && a_->ndim == 0); } while (0)

/* The call failed with `code` and the message contains `text`. */
#define CHECK_ERROR(code, text) do { \
    CHECK(rt_error_code() == (code)); \
    if (!strstr(rt_error_message(), (text))) \
        fprintf(stderr, "    message: \"%s\" lacks \"%s\"\n", rt_error_message(), (text)); \
    CHECK(strstr(rt_error_message(), (text)) != NULL); \
    rt_clear_error(); } while (0)

#endif
