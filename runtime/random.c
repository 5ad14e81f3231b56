/* random.c — the global counter-based generator.
 *
 * State is a 64-bit seed (the Philox key) and a 64-bit counter offset.
 * Every draw takes ceil(n / 4) counters from the offset, so after rt_seed(s)
 * the same sequence of calls gives the same numbers on every device (the
 * backends evaluate the same Philox stream, see philox.h). Without a seed
 * the key comes from the clock and the process id.
 */
#include "rt_core.h"
#include "philox.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Process-wide; guarded by gen_lock. */
static pthread_mutex_t gen_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t gen_seed, gen_offset;
static int gen_seeded;

void rt_seed(uint64_t seed) {
    pthread_mutex_lock(&gen_lock);
    gen_seed = seed;
    gen_offset = 0;
    gen_seeded = 1;
    pthread_mutex_unlock(&gen_lock);
}

/* Reserves counters for n elements; returns the key and the first counter. */
static void reserve(uint64_t n, uint64_t *seed, uint64_t *offset) {
    pthread_mutex_lock(&gen_lock);
    if (!gen_seeded) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        gen_seed = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
        gen_offset = 0;
        gen_seeded = 1;
    }
    *seed = gen_seed;
    *offset = gen_offset;
    gen_offset += (n + 3) / 4;
    pthread_mutex_unlock(&gen_lock);
}

static rt_array *draw(const char *op, const int64_t *shape, int ndim, int normal, double a, double b,
                      rt_dtype t, rt_device *d) {
    d = rt_resolve_device(d);
    rt_array *out = rt_array_new(d, shape, ndim, t);
    if (!out) return NULL;
    uint64_t seed, offset;
    reserve((uint64_t)out->size, &seed, &offset);
    if (out->size > 0) {
        rt_view v = rt_view_of(out);
        if (d->backend->random(d, &v, normal, a, b, seed, offset) != RT_OK) { rt_array_release(out); return NULL; }
    }
    rt_log_op(op, d);
    return out;
}

rt_array *rt_rand_uniform(const int64_t *shape, int ndim, double lo, double hi, rt_dtype t, rt_device *d) {
    if (t == RT_FLOAT32 || t == RT_FLOAT64) return draw("RandomUniform", shape, ndim, 0, lo, hi, t, d);
    if (t != RT_INT32) {
        rt_set_error(RT_ETYPE, "random uniform: dtype must be float32, float64 or int32, not %s", rt_dtype_name(t));
        return NULL;
    }
    /* integers: floor of a float64 draw in [lo, hi) (TensorFlow's
     * RandomUniformInt draws from the same half-open range) */
    if (!(hi > lo)) { rt_set_error(RT_EVALUE, "random uniform: need minval < maxval for integers, got %g and %g", lo, hi); return NULL; }
    rt_log_quiet_push();
    rt_array *f = draw("RandomUniformInt", shape, ndim, 0, lo, hi, RT_FLOAT64, d);
    rt_array *fl = f ? rt_unary(RT_FLOOR, f) : NULL;
    rt_array *r = fl ? rt_convert(fl, RT_INT32) : NULL;
    rt_log_quiet_pop();
    rt_array_release(f);
    rt_array_release(fl);
    if (r) rt_log_op("RandomUniformInt", r->device);
    return r;
}

rt_array *rt_rand_normal(const int64_t *shape, int ndim, double mean, double std, rt_dtype t, rt_device *d) {
    if (t != RT_FLOAT32 && t != RT_FLOAT64) {
        rt_set_error(RT_ETYPE, "random normal: dtype must be float32 or float64, not %s", rt_dtype_name(t));
        return NULL;
    }
    return draw("RandomStandardNormal", shape, ndim, 1, mean, std, t, d);
}

void rt_rand_host_u32(uint32_t *out, size_t n) {
    uint64_t seed, offset;
    reserve((uint64_t)n, &seed, &offset);
    for (size_t q = 0; q * 4 < n; q++) {
        philox_block b = philox4x32_10(offset + q, seed);
        for (size_t i = 0; i < 4 && q * 4 + i < n; i++) out[q * 4 + i] = b.v[i];
    }
}
