/* cpu_backend.c — the CPU backend: the reference implementation of every
 * rt_backend function, and the fast path for CPU-only machines.
 *
 * Element-wise kernels run through one strided iterator (dims of size 1
 * dropped, adjacent dims merged when every operand allows) that calls a row
 * function on the innermost run; row functions have contiguous and
 * scalar-operand fast paths the compiler vectorises. Work of at least
 * PAR_MIN elements is split across threads.
 */
#pragma GCC optimize("O3")

#include "rt_core.h"
#include "philox.h"
#include "scalar_rules.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAR_MIN ((int64_t)1 << 20)
#define MAX_THREADS 8
#define MAXOP 4

/* ---- threads ---------------------------------------------------------------- */

static int cpu_threads(void) {
    static int n;
    if (!n) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        const char *e = getenv("CGPU_CPU_THREADS");
        if (e && atoi(e) > 0) c = atoi(e);
        n = c < 1 ? 1 : c > MAX_THREADS ? MAX_THREADS : (int)c;
    }
    return n;
}

typedef void (*range_fn)(void *ctx, int64_t lo, int64_t hi);

typedef struct {
    range_fn fn;
    void *ctx;
    int64_t lo, hi;
} par_task;

static void *par_main(void *arg) {
    par_task *t = arg;
    t->fn(t->ctx, t->lo, t->hi);
    return NULL;
}

/* Runs fn over [0, n) in up to cpu_threads() pieces of at least `grain`
 * items each. Falls back to the calling thread when threads can't start. */
static void parallel_for(int64_t n, int64_t grain, range_fn fn, void *ctx) {
    int nt = cpu_threads();
    if (grain < 1) grain = 1;
    if (n / grain < nt) nt = (int)(n / grain);
    if (nt <= 1) { if (n > 0) fn(ctx, 0, n); return; }
    pthread_t th[MAX_THREADS];
    par_task task[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int i = 0; i < nt; i++) {
        task[i].fn = fn;
        task[i].ctx = ctx;
        task[i].lo = n * i / nt;
        task[i].hi = n * (i + 1) / nt;
    }
    for (int i = 1; i < nt; i++) started[i] = pthread_create(&th[i], NULL, par_main, &task[i]) == 0;
    fn(ctx, task[0].lo, task[0].hi);
    for (int i = 1; i < nt; i++) {
        if (started[i]) pthread_join(th[i], NULL);
        else fn(ctx, task[i].lo, task[i].hi);
    }
}

/* ---- the strided iterator ---------------------------------------------------- */

/* p[i] points at operand i's first element of the run, s[i] is its stride
 * in BYTES (0 for broadcast operands). */
typedef void (*row_fn)(void *ctx, int64_t n, char **p, const int64_t *s);

typedef struct {
    int nop, nd;
    int64_t size;
    int64_t shape[RT_MAX_DIMS];
    int64_t stride[MAXOP][RT_MAX_DIMS]; /* bytes */
    char *base[MAXOP];
    row_fn row;
    void *ctx;
} iter;

static void iter_init(iter *it, int nop, const rt_view *const *v, row_fn row, void *ctx) {
    const rt_view *v0 = v[0];
    it->nop = nop;
    it->row = row;
    it->ctx = ctx;
    it->size = 1;
    for (int d = 0; d < v0->ndim; d++) it->size *= v0->shape[d];
    for (int i = 0; i < nop; i++) it->base[i] = v[i]->data;
    /* keep dims > 1, innermost last, merging a dim into the one inside it
     * when every operand is contiguous across the pair */
    int nd = 0;
    for (int d = 0; d < v0->ndim; d++) {
        if (v0->shape[d] == 1) continue;
        int64_t es[MAXOP];
        for (int i = 0; i < nop; i++) es[i] = v[i]->strides[d] * (int64_t)rt_dtype_size(v[i]->dtype);
        if (nd > 0) {
            int merge = 1;
            for (int i = 0; i < nop; i++)
                if (it->stride[i][nd - 1] != es[i] * v0->shape[d]) { merge = 0; break; }
            if (merge) {
                it->shape[nd - 1] *= v0->shape[d];
                for (int i = 0; i < nop; i++) it->stride[i][nd - 1] = es[i];
                continue;
            }
        }
        it->shape[nd] = v0->shape[d];
        for (int i = 0; i < nop; i++) it->stride[i][nd] = es[i];
        nd++;
    }
    it->nd = nd;
}

static void iter_range(void *arg, int64_t lo, int64_t hi) {
    iter *it = arg;
    int nd = it->nd, nop = it->nop;
    char *p[MAXOP];
    int64_t s[MAXOP];
    if (nd == 0) {
        for (int i = 0; i < nop; i++) { p[i] = it->base[i]; s[i] = 0; }
        if (lo < hi) it->row(it->ctx, 1, p, s);
        return;
    }
    int64_t idx[RT_MAX_DIMS];
    int64_t r = lo;
    for (int d = nd - 1; d >= 0; d--) { idx[d] = r % it->shape[d]; r /= it->shape[d]; }
    for (int i = 0; i < nop; i++) s[i] = it->stride[i][nd - 1];
    int64_t inner = it->shape[nd - 1], pos = lo;
    while (pos < hi) {
        for (int i = 0; i < nop; i++) {
            char *q = it->base[i];
            for (int d = 0; d < nd; d++) q += idx[d] * it->stride[i][d];
            p[i] = q;
        }
        int64_t n = inner - idx[nd - 1];
        if (n > hi - pos) n = hi - pos;
        it->row(it->ctx, n, p, s);
        pos += n;
        idx[nd - 1] += n;
        for (int d = nd - 1; d > 0 && idx[d] >= it->shape[d]; d--) { idx[d] = 0; idx[d - 1]++; }
    }
}

static void iter_run(iter *it) {
    if (it->size <= 0) return;
    if (it->size >= PAR_MIN) parallel_for(it->size, PAR_MIN / 4, iter_range, it);
    else iter_range(it, 0, it->size);
}

/* ---- scalar semantics shared by the kernels ---------------------------------- */

/* f2i/f2l, floor division, modulo and the wrapping integer ops (i_ int32,
 * l_ int64, u_pow uint8): scalar_rules.h, shared with the CUDA kernels. */
static inline float f_max(float a, float b) { return (a >= b || a != a) ? a : b; }
static inline float f_min(float a, float b) { return (a <= b || a != a) ? a : b; }
static inline double d_max(double a, double b) { return (a >= b || a != a) ? a : b; }
static inline double d_min(double a, double b) { return (a <= b || a != a) ? a : b; }
static inline float f_sigmoid(float x) {
    if (x >= 0) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}
static inline double d_sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

/* ---- binary ------------------------------------------------------------------- */

/* Binary row loop: output type TO, input type T, EXPR over a and b. */
#define LOOP2(T, TO, EXPR) do { \
    const T *restrict x_ = (const T *)p[1], *restrict y_ = (const T *)p[2]; \
    TO *restrict o_ = (TO *)p[0]; \
    int64_t so_ = s[0] / (int64_t)sizeof(TO), sx_ = s[1] / (int64_t)sizeof(T), sy_ = s[2] / (int64_t)sizeof(T); \
    if (so_ == 1 && sx_ == 1 && sy_ == 1) { \
        for (int64_t i = 0; i < n; i++) { T a = x_[i], b = y_[i]; o_[i] = (TO)(EXPR); } \
    } else if (so_ == 1 && sx_ == 1 && sy_ == 0) { \
        const T b = y_[0]; \
        for (int64_t i = 0; i < n; i++) { T a = x_[i]; o_[i] = (TO)(EXPR); } \
    } else if (so_ == 1 && sx_ == 0 && sy_ == 1) { \
        const T a = x_[0]; \
        for (int64_t i = 0; i < n; i++) { T b = y_[i]; o_[i] = (TO)(EXPR); } \
    } else { \
        for (int64_t i = 0; i < n; i++) { T a = x_[i * sx_], b = y_[i * sy_]; o_[i * so_] = (TO)(EXPR); } \
    } } while (0)

#define BINARY_CASES(T, ADD, SUB, MUL, DIV, FDIV, MOD, POW, MAX, MIN) \
    case RT_ADD: LOOP2(T, T, ADD); break; \
    case RT_SUB: LOOP2(T, T, SUB); break; \
    case RT_MUL: LOOP2(T, T, MUL); break; \
    case RT_DIV: LOOP2(T, T, DIV); break; \
    case RT_FLOORDIV: LOOP2(T, T, FDIV); break; \
    case RT_MOD: LOOP2(T, T, MOD); break; \
    case RT_POW: LOOP2(T, T, POW); break; \
    case RT_MAXIMUM: LOOP2(T, T, MAX); break; \
    case RT_MINIMUM: LOOP2(T, T, MIN); break; \
    case RT_EQ: LOOP2(T, uint8_t, a == b); break; \
    case RT_NE: LOOP2(T, uint8_t, a != b); break; \
    case RT_LT: LOOP2(T, uint8_t, a < b); break; \
    case RT_LE: LOOP2(T, uint8_t, a <= b); break; \
    case RT_GT: LOOP2(T, uint8_t, a > b); break; \
    case RT_GE: LOOP2(T, uint8_t, a >= b); break; \
    case RT_LOGICAL_AND: LOOP2(T, uint8_t, (a != 0) && (b != 0)); break; \
    case RT_LOGICAL_OR: LOOP2(T, uint8_t, (a != 0) || (b != 0)); break; \
    default: break;

typedef struct { rt_binary_op op; rt_dtype t; } binary_ctx;

static void binary_row(void *vctx, int64_t n, char **p, const int64_t *s) {
    const binary_ctx *c = vctx;
    switch (c->t) {
    case RT_FLOAT32:
        switch (c->op) {
        BINARY_CASES(float, a + b, a - b, a * b, a / b, f_floordiv(a, b), f_mod(a, b), powf(a, b),
                     f_max(a, b), f_min(a, b))
        }
        break;
    case RT_FLOAT64:
        switch (c->op) {
        BINARY_CASES(double, a + b, a - b, a * b, a / b, d_floordiv(a, b), d_mod(a, b), pow(a, b),
                     d_max(a, b), d_min(a, b))
        }
        break;
    case RT_INT32:
        switch (c->op) {
        BINARY_CASES(int32_t, i_add(a, b), i_sub(a, b), i_mul(a, b), i_floordiv(a, b), i_floordiv(a, b),
                     i_mod(a, b), i_pow(a, b), (a > b ? a : b), (a < b ? a : b))
        }
        break;
    case RT_INT64:
        switch (c->op) {
        BINARY_CASES(int64_t, l_add(a, b), l_sub(a, b), l_mul(a, b), l_floordiv(a, b), l_floordiv(a, b),
                     l_mod(a, b), l_pow(a, b), (a > b ? a : b), (a < b ? a : b))
        }
        break;
    case RT_UINT8:
        switch (c->op) {
        BINARY_CASES(uint8_t, (uint8_t)(a + b), (uint8_t)(a - b), (uint8_t)(a * b), (b ? a / b : 0),
                     (b ? a / b : 0), (b ? a % b : 0), u_pow(a, b), (a > b ? a : b), (a < b ? a : b))
        }
        break;
    case RT_BOOL:
        /* bool arithmetic is int arithmetic stored as truth values */
        switch (c->op) {
        BINARY_CASES(uint8_t, (a | b) != 0, (a ^ b) != 0, (a & b) != 0, i_floordiv(a, b) != 0,
                     i_floordiv(a, b) != 0, i_mod(a, b) != 0, i_pow(a, b) != 0, (a | b) != 0, (a & b) != 0)
        }
        break;
    default: break;
    }
}

static rt_status cpu_binary(rt_device *d, rt_binary_op op, const rt_view *out, const rt_view *a,
                            const rt_view *b) {
    if ((unsigned)op >= RT_BINARY_OP_COUNT) return rt_set_error(RT_EVALUE, "unknown binary op %d", (int)op);
    binary_ctx c = {op, a->dtype};
    const rt_view *v[3] = {out, a, b};
    iter it;
    iter_init(&it, 3, v, binary_row, &c);
    iter_run(&it);
    return RT_OK;
}

/* ---- unary ---------------------------------------------------------------------- */

#define LOOP1(T, TO, EXPR) do { \
    const T *restrict x_ = (const T *)p[1]; TO *restrict o_ = (TO *)p[0]; \
    int64_t so_ = s[0] / (int64_t)sizeof(TO), sx_ = s[1] / (int64_t)sizeof(T); \
    if (so_ == 1 && sx_ == 1) { for (int64_t i = 0; i < n; i++) { T a = x_[i]; o_[i] = (TO)(EXPR); } } \
    else { for (int64_t i = 0; i < n; i++) { T a = x_[i * sx_]; o_[i * so_] = (TO)(EXPR); } } \
    } while (0)

typedef struct { rt_unary_op op; rt_dtype t; } unary_ctx;

/* A transcendental op through double: integer kernels other than int32
 * exist for completeness (the dispatcher casts integers to float32). */
static double un_double(rt_unary_op op, double a) {
    switch (op) {
    case RT_EXP: return exp(a);
    case RT_LOG: return log(a);
    case RT_SQRT: return sqrt(a);
    case RT_SIN: return sin(a);
    case RT_COS: return cos(a);
    case RT_TANH: return tanh(a);
    case RT_SIGMOID: return d_sigmoid(a);
    default: return a;
    }
}

static void unary_row(void *vctx, int64_t n, char **p, const int64_t *s) {
    const unary_ctx *c = vctx;
    switch (c->t) {
    case RT_FLOAT32:
        switch (c->op) {
        case RT_NEG: LOOP1(float, float, -a); break;
        case RT_ABS: LOOP1(float, float, fabsf(a)); break;
        case RT_EXP: LOOP1(float, float, expf(a)); break;
        case RT_LOG: LOOP1(float, float, logf(a)); break;
        case RT_SQRT: LOOP1(float, float, sqrtf(a)); break;
        case RT_SIN: LOOP1(float, float, sinf(a)); break;
        case RT_COS: LOOP1(float, float, cosf(a)); break;
        case RT_TANH: LOOP1(float, float, tanhf(a)); break;
        case RT_SIGMOID: LOOP1(float, float, f_sigmoid(a)); break;
        case RT_RELU: LOOP1(float, float, (a > 0.0f || a != a) ? a : 0.0f); break;
        case RT_FLOOR: LOOP1(float, float, floorf(a)); break;
        case RT_CEIL: LOOP1(float, float, ceilf(a)); break;
        case RT_LOGICAL_NOT: LOOP1(float, uint8_t, a == 0.0f); break;
        default: break;
        }
        break;
    case RT_FLOAT64:
        switch (c->op) {
        case RT_NEG: LOOP1(double, double, -a); break;
        case RT_ABS: LOOP1(double, double, fabs(a)); break;
        case RT_EXP: LOOP1(double, double, exp(a)); break;
        case RT_LOG: LOOP1(double, double, log(a)); break;
        case RT_SQRT: LOOP1(double, double, sqrt(a)); break;
        case RT_SIN: LOOP1(double, double, sin(a)); break;
        case RT_COS: LOOP1(double, double, cos(a)); break;
        case RT_TANH: LOOP1(double, double, tanh(a)); break;
        case RT_SIGMOID: LOOP1(double, double, d_sigmoid(a)); break;
        case RT_RELU: LOOP1(double, double, (a > 0.0 || a != a) ? a : 0.0); break;
        case RT_FLOOR: LOOP1(double, double, floor(a)); break;
        case RT_CEIL: LOOP1(double, double, ceil(a)); break;
        case RT_LOGICAL_NOT: LOOP1(double, uint8_t, a == 0.0); break;
        default: break;
        }
        break;
    case RT_INT32:
        /* transcendental ops on ints arrive cast to float32 from the
         * dispatcher; they are still defined here (via double) */
        switch (c->op) {
        case RT_NEG: LOOP1(int32_t, int32_t, i_neg(a)); break;
        case RT_ABS: LOOP1(int32_t, int32_t, a < 0 ? i_neg(a) : a); break;
        case RT_EXP: LOOP1(int32_t, int32_t, f2i(exp(a))); break;
        case RT_LOG: LOOP1(int32_t, int32_t, f2i(log(a))); break;
        case RT_SQRT: LOOP1(int32_t, int32_t, f2i(sqrt(a))); break;
        case RT_SIN: LOOP1(int32_t, int32_t, f2i(sin(a))); break;
        case RT_COS: LOOP1(int32_t, int32_t, f2i(cos(a))); break;
        case RT_TANH: LOOP1(int32_t, int32_t, f2i(tanh(a))); break;
        case RT_SIGMOID: LOOP1(int32_t, int32_t, f2i(d_sigmoid(a))); break;
        case RT_RELU: LOOP1(int32_t, int32_t, a > 0 ? a : 0); break;
        case RT_FLOOR: case RT_CEIL: LOOP1(int32_t, int32_t, a); break;
        case RT_LOGICAL_NOT: LOOP1(int32_t, uint8_t, a == 0); break;
        default: break;
        }
        break;
    case RT_INT64:
        switch (c->op) {
        case RT_NEG: LOOP1(int64_t, int64_t, l_neg(a)); break;
        case RT_ABS: LOOP1(int64_t, int64_t, a < 0 ? l_neg(a) : a); break;
        case RT_RELU: LOOP1(int64_t, int64_t, a > 0 ? a : 0); break;
        case RT_FLOOR: case RT_CEIL: LOOP1(int64_t, int64_t, a); break;
        case RT_LOGICAL_NOT: LOOP1(int64_t, uint8_t, a == 0); break;
        default: LOOP1(int64_t, int64_t, rt_f2l(un_double(c->op, (double)a))); break;
        }
        break;
    case RT_UINT8:
        switch (c->op) {
        case RT_NEG: LOOP1(uint8_t, uint8_t, (uint8_t)(0u - a)); break;
        case RT_ABS: case RT_RELU: case RT_FLOOR: case RT_CEIL: LOOP1(uint8_t, uint8_t, a); break;
        case RT_LOGICAL_NOT: LOOP1(uint8_t, uint8_t, a == 0); break;
        default: LOOP1(uint8_t, uint8_t, rt_f2u8(un_double(c->op, (double)a))); break;
        }
        break;
    case RT_BOOL:
        switch (c->op) {
        case RT_LOGICAL_NOT: LOOP1(uint8_t, uint8_t, a == 0); break;
        case RT_EXP: case RT_COS: LOOP1(uint8_t, uint8_t, ((void)a, 1)); break; /* e^x, cos x > 0 */
        case RT_LOG: LOOP1(uint8_t, uint8_t, a == 0); break;       /* log 0 = -inf, log 1 = 0 */
        case RT_SIGMOID: LOOP1(uint8_t, uint8_t, ((void)a, 1)); break;
        default: LOOP1(uint8_t, uint8_t, a != 0); break;           /* identity on 0/1 */
        }
        break;
    default: break;
    }
}

static rt_status cpu_unary(rt_device *d, rt_unary_op op, const rt_view *out, const rt_view *a) {
    if ((unsigned)op >= RT_UNARY_OP_COUNT) return rt_set_error(RT_EVALUE, "unknown unary op %d", (int)op);
    unary_ctx c = {op, a->dtype};
    const rt_view *v[2] = {out, a};
    iter it;
    iter_init(&it, 2, v, unary_row, &c);
    iter_run(&it);
    return RT_OK;
}

/* ---- copy / fill / where ------------------------------------------------------------ */

typedef struct { rt_dtype dt, st; } copy_ctx;

#define CONV(TD, TS, EXPR) do { \
    const TS *restrict x_ = (const TS *)p[1]; TD *restrict o_ = (TD *)p[0]; \
    int64_t so_ = s[0] / (int64_t)sizeof(TD), sx_ = s[1] / (int64_t)sizeof(TS); \
    if (so_ == 1 && sx_ == 1) { for (int64_t i = 0; i < n; i++) { TS a = x_[i]; o_[i] = (TD)(EXPR); } } \
    else { for (int64_t i = 0; i < n; i++) { TS a = x_[i * sx_]; o_[i * so_] = (TD)(EXPR); } } \
    } while (0)

/* From a float type: x86's conversions (see dtype.c). */
#define CONV_FROM(TS) \
    switch (c->dt) { \
    case RT_FLOAT32: CONV(float, TS, a); break; \
    case RT_FLOAT64: CONV(double, TS, a); break; \
    case RT_INT32: CONV(int32_t, TS, f2i((double)a)); break; \
    case RT_BOOL: CONV(uint8_t, TS, a != 0); break; \
    case RT_UINT8: CONV(uint8_t, TS, rt_f2u8((double)a)); break; \
    case RT_INT64: CONV(int64_t, TS, rt_f2l((double)a)); break; \
    default: break; \
    }
/* From an integer type: C's conversions, which wrap modulo 2^bits on the
 * way to a narrower integer, as numpy does. */
#define CONV_FROM_INT(TS) \
    switch (c->dt) { \
    case RT_FLOAT32: CONV(float, TS, a); break; \
    case RT_FLOAT64: CONV(double, TS, a); break; \
    case RT_INT32: CONV(int32_t, TS, (int32_t)(uint32_t)a); break; \
    case RT_BOOL: CONV(uint8_t, TS, a != 0); break; \
    case RT_UINT8: CONV(uint8_t, TS, (uint8_t)a); break; \
    case RT_INT64: CONV(int64_t, TS, a); break; \
    default: break; \
    }

static void copy_row(void *vctx, int64_t n, char **p, const int64_t *s) {
    const copy_ctx *c = vctx;
    if (c->dt == c->st) {
        size_t es = rt_dtype_size(c->dt);
        if (s[0] == (int64_t)es && s[1] == (int64_t)es) { memmove(p[0], p[1], (size_t)n * es); return; }
        switch (es) {
        case 1: CONV(uint8_t, uint8_t, a); return;
        case 4: CONV(uint32_t, uint32_t, a); return;
        case 8: CONV(uint64_t, uint64_t, a); return;
        default: return;
        }
    }
    switch (c->st) {
    case RT_FLOAT32: CONV_FROM(float) break;
    case RT_FLOAT64: CONV_FROM(double) break;
    case RT_INT32: CONV_FROM_INT(int32_t) break;
    case RT_INT64: CONV_FROM_INT(int64_t) break;
    case RT_UINT8: CONV_FROM_INT(uint8_t) break;
    case RT_BOOL:
        /* stored 0/1; any non-zero byte reads as True */
        switch (c->dt) {
        case RT_FLOAT32: CONV(float, uint8_t, a != 0); break;
        case RT_FLOAT64: CONV(double, uint8_t, a != 0); break;
        case RT_INT32: CONV(int32_t, uint8_t, a != 0); break;
        case RT_UINT8: CONV(uint8_t, uint8_t, a != 0); break;
        case RT_INT64: CONV(int64_t, uint8_t, a != 0); break;
        default: break;
        }
        break;
    default: break;
    }
}

static rt_status cpu_copy(rt_device *d, const rt_view *dst, const rt_view *src) {
    copy_ctx c = {dst->dtype, src->dtype};
    const rt_view *v[2] = {dst, src};
    iter it;
    iter_init(&it, 2, v, copy_row, &c);
    iter_run(&it);
    return RT_OK;
}

typedef struct { rt_dtype t; double value; } fill_ctx;

#define FILL(T, V) do { \
    T *restrict o_ = (T *)p[0]; const T v_ = (V); int64_t so_ = s[0] / (int64_t)sizeof(T); \
    if (so_ == 1) { for (int64_t i = 0; i < n; i++) o_[i] = v_; } \
    else { for (int64_t i = 0; i < n; i++) o_[i * so_] = v_; } } while (0)

static void fill_row(void *vctx, int64_t n, char **p, const int64_t *s) {
    const fill_ctx *c = vctx;
    switch (c->t) {
    case RT_FLOAT32: FILL(float, (float)c->value); break;
    case RT_FLOAT64: FILL(double, c->value); break;
    case RT_INT32: FILL(int32_t, f2i(c->value)); break;
    case RT_BOOL: FILL(uint8_t, c->value != 0); break;
    case RT_UINT8: FILL(uint8_t, rt_f2u8(c->value)); break;
    case RT_INT64: FILL(int64_t, rt_f2l(c->value)); break;
    default: break;
    }
}

static rt_status cpu_fill(rt_device *d, const rt_view *dst, double value) {
    fill_ctx c = {dst->dtype, value};
    const rt_view *v[1] = {dst};
    iter it;
    iter_init(&it, 1, v, fill_row, &c);
    iter_run(&it);
    return RT_OK;
}

#define SELECT(T) do { \
    T *o_ = (T *)p[0]; const uint8_t *c_ = (const uint8_t *)p[1]; \
    const T *x_ = (const T *)p[2], *y_ = (const T *)p[3]; \
    int64_t so_ = s[0] / (int64_t)sizeof(T), sc_ = s[1], sx_ = s[2] / (int64_t)sizeof(T), sy_ = s[3] / (int64_t)sizeof(T); \
    for (int64_t i = 0; i < n; i++) o_[i * so_] = c_[i * sc_] ? x_[i * sx_] : y_[i * sy_]; } while (0)

static void where_row(void *vctx, int64_t n, char **p, const int64_t *s) {
    switch (*(const size_t *)vctx) {
    case 1: SELECT(uint8_t); break;
    case 4: SELECT(uint32_t); break;
    case 8: SELECT(uint64_t); break;
    default: break;
    }
}

static rt_status cpu_where(rt_device *d, const rt_view *out, const rt_view *cond, const rt_view *a,
                           const rt_view *b) {
    size_t es = rt_dtype_size(out->dtype);
    const rt_view *v[4] = {out, cond, a, b};
    iter it;
    iter_init(&it, 4, v, where_row, &es);
    iter_run(&it);
    return RT_OK;
}

/* ---- reductions ----------------------------------------------------------------------- */

/* Pairwise summation over blocks summed with 16 independent accumulators:
 * error grows like O(log n) and the block loop vectorises. */
#define PAIRWISE_SUM(NAME, T) \
static T NAME(const T *x, int64_t n) { \
    if (n <= 4096) { \
        T acc[16] = {0}; \
        int64_t i = 0; \
        for (; i + 16 <= n; i += 16) \
            for (int j = 0; j < 16; j++) acc[j] += x[i + j]; \
        for (int w = 8; w >= 1; w /= 2) \
            for (int j = 0; j < w; j++) acc[j] += acc[j + w]; \
        T r = acc[0]; \
        for (; i < n; i++) r += x[i]; \
        return r; \
    } \
    int64_t h = (n / 2) & ~(int64_t)15; \
    return NAME(x, h) + NAME(x + h, n - h); \
}
PAIRWISE_SUM(sum_f32, float)
PAIRWISE_SUM(sum_f64, double)

static int64_t sum_i32(const int32_t *x, int64_t n) {
    int64_t acc = 0;
    for (int64_t i = 0; i < n; i++) acc += x[i];
    return acc;
}

static double load_at(const void *in, rt_dtype t, int64_t i) {
    switch (t) {
    case RT_FLOAT32: return ((const float *)in)[i];
    case RT_FLOAT64: return ((const double *)in)[i];
    case RT_INT32: return ((const int32_t *)in)[i];
    default: return ((const uint8_t *)in)[i];
    }
}

static void store_at(void *out, rt_dtype t, int64_t i, double v) {
    switch (t) {
    case RT_FLOAT32: ((float *)out)[i] = (float)v; break;
    case RT_FLOAT64: ((double *)out)[i] = v; break;
    case RT_INT32: ((int32_t *)out)[i] = f2i(v); break;
    case RT_UINT8: ((uint8_t *)out)[i] = rt_f2u8(v); break;
    default: ((uint8_t *)out)[i] = v != 0; break;
    }
}

/* Sum of a contiguous run as double (float32 summed in float32 pairwise,
 * as numpy does, which is both fast and accurate enough). */
static double run_sum(const void *x, rt_dtype t, int64_t n) {
    switch (t) {
    case RT_FLOAT32: return sum_f32(x, n);
    case RT_FLOAT64: return sum_f64(x, n);
    case RT_INT32: return (double)sum_i32(x, n);
    default: { double s = 0; for (int64_t i = 0; i < n; i++) s += ((const uint8_t *)x)[i]; return s; }
    }
}

static double run_var(const void *x, rt_dtype t, int64_t n, double mean) {
    double acc[4] = {0, 0, 0, 0};
    int64_t i = 0;
    if (t == RT_FLOAT32) {
        const float *f = x;
        for (; i + 4 <= n; i += 4)
            for (int j = 0; j < 4; j++) { double dlt = f[i + j] - mean; acc[j] += dlt * dlt; }
    } else if (t == RT_FLOAT64) {
        const double *f = x;
        for (; i + 4 <= n; i += 4)
            for (int j = 0; j < 4; j++) { double dlt = f[i + j] - mean; acc[j] += dlt * dlt; }
    }
    for (; i < n; i++) { double dlt = load_at(x, t, i) - mean; acc[0] += dlt * dlt; }
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

/* max/min/argmax/argmin of one strided run; NaN wins (numpy). */
static void run_extreme(const void *x, rt_dtype t, int64_t n, int64_t stride, int want_max,
                        double *best_out, int64_t *arg_out) {
    double best = load_at(x, t, 0);
    int64_t arg = 0;
    if (best == best) {
        for (int64_t i = 1; i < n; i++) {
            double v = load_at(x, t, i * stride);
            if (v != v) { best = v; arg = i; break; }
            if (want_max ? v > best : v < best) { best = v; arg = i; }
        }
    }
    *best_out = best;
    *arg_out = arg;
}

typedef struct {
    rt_reduce_op op;
    rt_dtype t, ot;
    void *out;
    const char *in;
    int64_t n, inner;
    int failed; /* a worker could not get scratch memory */
} reduce_ctx;

/* Reduces outer rows [lo, hi) of [outer][n][1] (contiguous runs). */
static void reduce_runs(void *vctx, int64_t lo, int64_t hi) {
    const reduce_ctx *c = vctx;
    size_t es = rt_dtype_size(c->t);
    int64_t n = c->n;
    for (int64_t o = lo; o < hi; o++) {
        const char *x = c->in + (size_t)(o * n) * es;
        double r = 0;
        int64_t arg = 0;
        switch (c->op) {
        case RT_SUM:
            if (c->t == RT_INT32) { ((int32_t *)c->out)[o] = (int32_t)(uint32_t)(uint64_t)sum_i32((const int32_t *)x, n); continue; }
            r = run_sum(x, c->t, n);
            break;
        case RT_MEAN: r = n ? run_sum(x, c->t, n) / (double)n : NAN; break;
        case RT_VAR: case RT_STD:
            if (!n) { r = NAN; break; }
            r = run_var(x, c->t, n, run_sum(x, c->t, n) / (double)n) / (double)n;
            if (c->op == RT_STD) r = sqrt(r);
            break;
        case RT_MAX: case RT_MIN: run_extreme(x, c->t, n, 1, c->op == RT_MAX, &r, &arg); break;
        case RT_ARGMAX: case RT_ARGMIN:
            run_extreme(x, c->t, n, 1, c->op == RT_ARGMAX, &r, &arg);
            r = (double)arg;
            break;
        default: break; /* any/all: the dispatcher uses max/min */
        }
        store_at(c->out, c->ot, o, r);
    }
}

/* inner > 1: columns [i0, i0 + w) of outer row o, w <= COLW. Rows of the
 * block are added column-wise (vectorised); float32 sums go through a
 * float32 partial per ROWB rows, then into double, which keeps both speed
 * and accuracy. */
#define COLW 4096
#define ROWB 64
typedef struct { double acc[COLW], aux[COLW]; float tmp[COLW]; } col_scratch;

static void reduce_cols(const reduce_ctx *c, int64_t o, int64_t i0, int64_t w, col_scratch *sc) {
    size_t es = rt_dtype_size(c->t);
    int64_t n = c->n, inner = c->inner;
    const char *base = c->in + (size_t)(o * n * inner + i0) * es;
    int64_t obase = o * inner + i0;
    double *restrict acc = sc->acc, *restrict aux = sc->aux;
    switch (c->op) {
    case RT_SUM: case RT_MEAN: case RT_VAR: case RT_STD: {
        for (int64_t i = 0; i < w; i++) acc[i] = 0;
        if (c->t == RT_FLOAT32) {
            float *restrict tmp = sc->tmp;
            for (int64_t j0 = 0; j0 < n; j0 += ROWB) {
                int64_t j1 = n - j0 < ROWB ? n : j0 + ROWB;
                for (int64_t i = 0; i < w; i++) tmp[i] = 0;
                for (int64_t j = j0; j < j1; j++) {
                    const float *restrict x = (const float *)base + j * inner;
                    for (int64_t i = 0; i < w; i++) tmp[i] += x[i];
                }
                for (int64_t i = 0; i < w; i++) acc[i] += tmp[i];
            }
        } else if (c->t == RT_FLOAT64) {
            for (int64_t j = 0; j < n; j++) {
                const double *restrict x = (const double *)base + j * inner;
                for (int64_t i = 0; i < w; i++) acc[i] += x[i];
            }
        } else if (c->t == RT_INT32) {
            for (int64_t j = 0; j < n; j++) {
                const int32_t *restrict x = (const int32_t *)base + j * inner;
                for (int64_t i = 0; i < w; i++) acc[i] += x[i];
            }
        } else {
            for (int64_t j = 0; j < n; j++)
                for (int64_t i = 0; i < w; i++) acc[i] += load_at(base, c->t, j * inner + i);
        }
        if (c->op == RT_SUM) {
            if (c->t == RT_INT32)
                for (int64_t i = 0; i < w; i++)
                    ((int32_t *)c->out)[obase + i] = (int32_t)(uint32_t)(uint64_t)(int64_t)acc[i];
            else
                for (int64_t i = 0; i < w; i++) store_at(c->out, c->ot, obase + i, acc[i]);
            break;
        }
        for (int64_t i = 0; i < w; i++) acc[i] = n ? acc[i] / (double)n : NAN;
        if (c->op == RT_MEAN) {
            for (int64_t i = 0; i < w; i++) store_at(c->out, c->ot, obase + i, acc[i]);
            break;
        }
        for (int64_t i = 0; i < w; i++) aux[i] = 0;
        for (int64_t j = 0; j < n; j++)
            for (int64_t i = 0; i < w; i++) {
                double dl = load_at(base, c->t, j * inner + i) - acc[i];
                aux[i] += dl * dl;
            }
        for (int64_t i = 0; i < w; i++) {
            double v = n ? aux[i] / (double)n : NAN;
            store_at(c->out, c->ot, obase + i, c->op == RT_STD ? sqrt(v) : v);
        }
        break;
    }
    default: {
        int want_max = c->op == RT_MAX || c->op == RT_ARGMAX;
        int arg_mode = c->op == RT_ARGMAX || c->op == RT_ARGMIN;
        for (int64_t i = 0; i < w; i++) { acc[i] = load_at(base, c->t, i); aux[i] = 0; }
        for (int64_t j = 1; j < n; j++)
            for (int64_t i = 0; i < w; i++) {
                double b = acc[i];
                if (b != b) continue;
                double v = load_at(base, c->t, j * inner + i);
                if (v != v || (want_max ? v > b : v < b)) { acc[i] = v; aux[i] = (double)j; }
            }
        for (int64_t i = 0; i < w; i++) store_at(c->out, c->ot, obase + i, arg_mode ? aux[i] : acc[i]);
        break;
    }
    }
}

/* Tasks [lo, hi) of outer * ceil(inner / COLW) column chunks. Chunks are
 * wide so each row is read in long sequential runs. */
static void reduce_chunks(void *vctx, int64_t lo, int64_t hi) {
    const reduce_ctx *c = vctx;
    int64_t nch = (c->inner + COLW - 1) / COLW;
    col_scratch *sc = malloc(sizeof *sc);
    if (!sc) { ((reduce_ctx *)c)->failed = 1; return; }
    for (int64_t q = lo; q < hi; q++) {
        int64_t o = q / nch, i0 = (q % nch) * COLW;
        int64_t w = c->inner - i0 < COLW ? c->inner - i0 : COLW;
        reduce_cols(c, o, i0, w, sc);
    }
    free(sc);
}

/* One long run split across threads: partial sums / extremes combined. */
typedef struct {
    const reduce_ctx *c;
    double part[MAX_THREADS];
    int64_t arg[MAX_THREADS];
    int nparts;
    int64_t chunk;
} split_ctx;

static void split_part(void *vctx, int64_t lo, int64_t hi) {
    split_ctx *sc = vctx;
    const reduce_ctx *c = sc->c;
    size_t es = rt_dtype_size(c->t);
    int k = (int)(lo / sc->chunk);
    int64_t a = lo * 1, n = hi - lo;
    const char *x = c->in + (size_t)a * es;
    if (c->op == RT_SUM || c->op == RT_MEAN) sc->part[k] = run_sum(x, c->t, n);
    else run_extreme(x, c->t, n, 1, c->op == RT_MAX, &sc->part[k], &sc->arg[k]);
}

static void split_range(void *vctx, int64_t lo, int64_t hi) {
    split_ctx *sc = vctx;
    for (int64_t k = lo; k < hi; k++) {
        int64_t a = k * sc->chunk, b = a + sc->chunk;
        if (b > sc->c->n) b = sc->c->n;
        split_part(sc, a, b);
    }
}

/* A sum over the rows of one (n, inner) block with few columns: each thread
 * sums a band of rows into its own float64 partial, and the partials are
 * added in a fixed order (the result does not depend on timing). */
typedef struct { reduce_ctx part[MAX_THREADS]; } split_rows_ctx;

static void split_rows_part(void *vctx, int64_t lo, int64_t hi) {
    split_rows_ctx *s = vctx;
    for (int64_t p = lo; p < hi; p++) {
        reduce_ctx *c = &s->part[p];
        reduce_chunks(c, 0, (c->inner + COLW - 1) / COLW);
    }
}

static rt_status sum_rows_split(const reduce_ctx *c, int nt) {
    size_t es = rt_dtype_size(c->t);
    int64_t inner = c->inner, n = c->n;
    double *parts = malloc((size_t)nt * (size_t)inner * sizeof(double));
    if (!parts) return rt_set_error(RT_EOOM, "out of host memory");
    split_rows_ctx s;
    for (int p = 0; p < nt; p++) {
        int64_t r0 = n * p / nt, r1 = n * (p + 1) / nt;
        s.part[p] = *c;
        s.part[p].op = RT_SUM;
        s.part[p].ot = RT_FLOAT64;
        s.part[p].out = parts + (size_t)p * (size_t)inner;
        s.part[p].in = c->in + (size_t)(r0 * inner) * es;
        s.part[p].n = r1 - r0;
        s.part[p].failed = 0;
    }
    parallel_for(nt, 1, split_rows_part, &s);
    int failed = 0;
    for (int p = 0; p < nt; p++) failed |= s.part[p].failed;
    if (!failed) {
        for (int64_t i = 0; i < inner; i++) {
            double v = 0;
            for (int p = 0; p < nt; p++) v += parts[(size_t)p * (size_t)inner + (size_t)i];
            if (c->op == RT_MEAN) v = n ? v / (double)n : NAN;
            store_at(c->out, c->ot, i, v);
        }
    }
    free(parts);
    return failed ? rt_set_error(RT_EOOM, "out of host memory") : RT_OK;
}

/* int64 (every integer reduction arrives as int64): exact, wrapping sums
 * and exact extremes; argmax/argmin give the first extreme. */
static void reduce_int64(rt_reduce_op op, void *out, const int64_t *in, int64_t outer, int64_t n, int64_t inner) {
    if (inner > 1 && n > 0 && (op == RT_SUM || op == RT_MAX || op == RT_MIN)) {
        /* row by row over the block, so memory is read in order */
        for (int64_t o = 0; o < outer; o++) {
            int64_t *restrict acc = (int64_t *)out + o * inner;
            const int64_t *x = in + o * n * inner;
            memcpy(acc, x, (size_t)inner * sizeof *acc);
            for (int64_t j = 1; j < n; j++) {
                const int64_t *restrict r = x + j * inner;
                if (op == RT_SUM) for (int64_t i = 0; i < inner; i++) acc[i] = l_add(acc[i], r[i]);
                else if (op == RT_MAX) for (int64_t i = 0; i < inner; i++) acc[i] = r[i] > acc[i] ? r[i] : acc[i];
                else for (int64_t i = 0; i < inner; i++) acc[i] = r[i] < acc[i] ? r[i] : acc[i];
            }
        }
        return;
    }
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t i = 0; i < inner; i++) {
            const int64_t *x = in + o * n * inner + i;
            uint64_t sum = 0;
            int64_t best = n ? x[0] : 0, arg = 0;
            for (int64_t j = 0; j < n; j++) {
                int64_t v = x[j * inner];
                sum += (uint64_t)v;
                if ((op == RT_MAX || op == RT_ARGMAX) ? v > best : v < best) { best = v; arg = j; }
            }
            int64_t k = o * inner + i;
            switch (op) {
            case RT_SUM: ((int64_t *)out)[k] = (int64_t)sum; break;
            case RT_MAX: case RT_MIN: ((int64_t *)out)[k] = best; break;
            case RT_ARGMAX: case RT_ARGMIN: ((int32_t *)out)[k] = (int32_t)arg; break;
            default: break;
            }
        }
    }
}

static rt_status cpu_reduce(rt_device *d, rt_reduce_op op, void *out, const void *in, rt_dtype t,
                            int64_t outer, int64_t n, int64_t inner) {
    if (t == RT_INT64) {
        if (op != RT_SUM && op != RT_MAX && op != RT_MIN && op != RT_ARGMAX && op != RT_ARGMIN)
            return rt_set_error(RT_ETYPE, "reduction %d of int64 is done in float64", (int)op);
        reduce_int64(op, out, in, outer, n, inner);
        return RT_OK;
    }
    reduce_ctx c;
    c.op = op;
    c.t = t;
    c.ot = (op == RT_ARGMAX || op == RT_ARGMIN) ? RT_INT32
         : (op == RT_MEAN || op == RT_VAR || op == RT_STD) ? (t == RT_FLOAT64 ? RT_FLOAT64 : RT_FLOAT32) : t;
    c.out = out;
    c.in = in;
    c.n = n;
    c.inner = inner;
    c.failed = 0;
    if (outer <= 0 || inner <= 0) return RT_OK;
    int nt = cpu_threads();
    if (outer == 1 && inner == 1 && n >= PAR_MIN && nt > 1 &&
        (op == RT_SUM || op == RT_MEAN || op == RT_MAX || op == RT_MIN) && t != RT_INT32) {
        split_ctx sc;
        sc.c = &c;
        sc.nparts = nt;
        sc.chunk = ((n + nt - 1) / nt + 15) & ~(int64_t)15;
        sc.nparts = (int)((n + sc.chunk - 1) / sc.chunk);
        parallel_for(sc.nparts, 1, split_range, &sc);
        double r = sc.part[0];
        for (int k = 1; k < sc.nparts; k++) {
            double v = sc.part[k];
            if (op == RT_SUM || op == RT_MEAN) r += v;
            else if (r == r && (v != v || (op == RT_MAX ? v > r : v < r))) r = v;
        }
        if (op == RT_MEAN) r /= (double)n;
        store_at(out, c.ot, 0, r);
        return RT_OK;
    }
    int big = outer * n * inner >= PAR_MIN;
    if (inner == 1) {
        if (big && outer >= 2) parallel_for(outer, 1, reduce_runs, &c);
        else reduce_runs(&c, 0, outer);
    } else {
        int64_t tasks = outer * ((inner + COLW - 1) / COLW);
        if (big && tasks < nt && outer == 1 && (op == RT_SUM || op == RT_MEAN) &&
            (t == RT_FLOAT32 || t == RT_FLOAT64))
            return sum_rows_split(&c, nt);
        if (big && tasks >= 2) parallel_for(tasks, 1, reduce_chunks, &c);
        else reduce_chunks(&c, 0, tasks);
        if (c.failed) return rt_set_error(RT_EOOM, "out of host memory");
    }
    return RT_OK;
}

/* ---- matmul ------------------------------------------------------------------------------- */

/* C (m, n) = A (m, k) @ B (k, n), all row-major and dense. Blocked so a
 * KB x NB panel of B stays in cache while 4 rows of C accumulate against it;
 * the inner loop over columns vectorises. */
#define KB 128
#define NB 512
#define GEMM_KERNEL(NAME, T) \
static void NAME(int64_t m0, int64_t m1, int64_t n, int64_t k, const T *A, const T *B, T *C) { \
    for (int64_t i = m0; i < m1; i++) memset(C + i * n, 0, (size_t)n * sizeof(T)); \
    for (int64_t j0 = 0; j0 < n; j0 += NB) { \
        int64_t jn = n - j0 < NB ? n - j0 : NB; \
        for (int64_t k0 = 0; k0 < k; k0 += KB) { \
            int64_t kn = k - k0 < KB ? k - k0 : KB; \
            int64_t i = m0; \
            for (; i + 4 <= m1; i += 4) { \
                T *restrict c0 = C + i * n + j0, *restrict c1 = c0 + n, *restrict c2 = c1 + n, *restrict c3 = c2 + n; \
                for (int64_t kk = k0; kk < k0 + kn; kk++) { \
                    const T *restrict b = B + kk * n + j0; \
                    T a0 = A[i * k + kk], a1 = A[(i + 1) * k + kk], a2 = A[(i + 2) * k + kk], a3 = A[(i + 3) * k + kk]; \
                    for (int64_t j = 0; j < jn; j++) { \
                        T bj = b[j]; \
                        c0[j] += a0 * bj; c1[j] += a1 * bj; c2[j] += a2 * bj; c3[j] += a3 * bj; \
                    } \
                } \
            } \
            for (; i < m1; i++) { \
                T *restrict c0 = C + i * n + j0; \
                for (int64_t kk = k0; kk < k0 + kn; kk++) { \
                    const T *restrict b = B + kk * n + j0; \
                    T a0 = A[i * k + kk]; \
                    for (int64_t j = 0; j < jn; j++) c0[j] += a0 * b[j]; \
                } \
            } \
        } \
    } \
}
GEMM_KERNEL(gemm_f32, float)
GEMM_KERNEL(gemm_f64, double)

typedef struct {
    rt_dtype t;
    int64_t m, n, k;
    const void *A, *B;
    void *C;
} gemm_ctx;

static void gemm_rows(void *vctx, int64_t lo, int64_t hi) {
    const gemm_ctx *g = vctx;
    /* row blocks of 4 keep the micro-kernel's 4-row path */
    int64_t a = lo * 4, b = hi * 4 > g->m ? g->m : hi * 4;
    if (g->t == RT_FLOAT32) gemm_f32(a, b, g->n, g->k, g->A, g->B, g->C);
    else gemm_f64(a, b, g->n, g->k, g->A, g->B, g->C);
}

/* Dense row-major copy of a transposed (cols, rows) matrix into (rows, cols). */
static void transpose_into(void *dst, const void *src, int64_t rows, int64_t cols, size_t es) {
    const int64_t T = 32;
    for (int64_t r0 = 0; r0 < rows; r0 += T)
        for (int64_t c0 = 0; c0 < cols; c0 += T)
            for (int64_t r = r0; r < rows && r < r0 + T; r++)
                for (int64_t c = c0; c < cols && c < c0 + T; c++) {
                    if (es == 4) ((float *)dst)[r * cols + c] = ((const float *)src)[c * rows + r];
                    else ((double *)dst)[r * cols + c] = ((const double *)src)[c * rows + r];
                }
}

static rt_status cpu_matmul(rt_device *d, rt_dtype t, int64_t batch, int64_t m, int64_t n, int64_t k,
                            const void *a, int64_t a_batch_stride, int trans_a,
                            const void *b, int64_t b_batch_stride, int trans_b,
                            void *c, int64_t c_batch_stride) {
    if (t != RT_FLOAT32 && t != RT_FLOAT64)
        return rt_set_error(RT_ETYPE, "matmul: CPU kernel supports float32 and float64, not %s", rt_dtype_name(t));
    size_t es = rt_dtype_size(t);
    void *ta = NULL, *tb = NULL;
    if (trans_a && !(ta = malloc((size_t)(m * k) * es + 1))) return rt_set_error(RT_EOOM, "out of host memory");
    if (trans_b && !(tb = malloc((size_t)(k * n) * es + 1))) { free(ta); return rt_set_error(RT_EOOM, "out of host memory"); }
    for (int64_t bi = 0; bi < batch; bi++) {
        const char *A = (const char *)a + (size_t)(bi * a_batch_stride) * es;
        const char *B = (const char *)b + (size_t)(bi * b_batch_stride) * es;
        char *C = (char *)c + (size_t)(bi * c_batch_stride) * es;
        if (trans_a && (bi == 0 || a_batch_stride != 0)) transpose_into(ta, A, m, k, es);
        if (trans_b && (bi == 0 || b_batch_stride != 0)) transpose_into(tb, B, k, n, es);
        gemm_ctx g = {t, m, n, k, trans_a ? ta : A, trans_b ? tb : B, C};
        if (k == 0) { memset(C, 0, (size_t)(m * n) * es); continue; }
        int64_t blocks = (m + 3) / 4;
        double flops = 2.0 * (double)m * (double)n * (double)k;
        if (flops >= 8e6 && blocks >= 2) {
            int64_t grain = blocks / cpu_threads();
            parallel_for(blocks, grain > 0 ? grain : 1, gemm_rows, &g);
        } else {
            gemm_rows(&g, 0, blocks);
        }
    }
    free(ta);
    free(tb);
    return RT_OK;
}

/* ---- random ------------------------------------------------------------------------------------ */

typedef struct {
    void *out;
    rt_dtype t;
    int normal;
    double a, b;
    uint64_t seed, offset;
    int64_t size;
} random_ctx;

/* Counter blocks [lo, hi): block q covers elements 4q .. 4q+3. The affine
 * step must not be fused into an FMA (the default on some targets): the
 * CUDA kernels round the multiply and the add separately, and uniform
 * numbers match them bit for bit. */
__attribute__((optimize("fp-contract=off")))
static void random_blocks(void *vctx, int64_t lo, int64_t hi) {
    const random_ctx *r = vctx;
    for (int64_t q = lo; q < hi; q++) {
        philox_block blk = philox4x32_10(r->offset + (uint64_t)q, r->seed);
        int64_t e0 = q * 4;
        int cnt = r->size - e0 < 4 ? (int)(r->size - e0) : 4;
        if (r->t == RT_FLOAT32) {
            float *o = (float *)r->out + e0, v[4];
            if (r->normal) {
                philox_normal_f32(blk.v[0], blk.v[1], &v[0], &v[1]);
                philox_normal_f32(blk.v[2], blk.v[3], &v[2], &v[3]);
                for (int i = 0; i < cnt; i++) o[i] = (float)r->a + (float)r->b * v[i];
            } else {
                float lo_ = (float)r->a, span = (float)r->b - (float)r->a;
                for (int i = 0; i < cnt; i++) o[i] = lo_ + span * philox_uniform_f32(blk.v[i]);
            }
        } else {
            double *o = (double *)r->out + e0, v[4];
            if (r->normal) {
                philox_normal_f64(blk.v[0], blk.v[1], &v[0], &v[1]);
                philox_normal_f64(blk.v[2], blk.v[3], &v[2], &v[3]);
                for (int i = 0; i < cnt; i++) o[i] = r->a + r->b * v[i];
            } else {
                for (int i = 0; i < cnt; i++) o[i] = r->a + (r->b - r->a) * philox_uniform_f64(blk.v[i]);
            }
        }
    }
}

static rt_status cpu_random(rt_device *d, const rt_view *out, int normal, double a, double b,
                            uint64_t seed, uint64_t offset) {
    if (out->dtype != RT_FLOAT32 && out->dtype != RT_FLOAT64)
        return rt_set_error(RT_ETYPE, "random numbers must be float32 or float64, not %s", rt_dtype_name(out->dtype));
    random_ctx r = {out->data, out->dtype, normal, a, b, seed, offset, 1};
    for (int i = 0; i < out->ndim; i++) r.size *= out->shape[i];
    int64_t blocks = (r.size + 3) / 4;
    if (blocks >= PAR_MIN / 16) parallel_for(blocks, PAR_MIN / 64, random_blocks, &r);
    else random_blocks(&r, 0, blocks);
    return RT_OK;
}

/* ---- gather -------------------------------------------------------------------------------------- */

static rt_status cpu_gather(rt_device *d, rt_dtype t, void *out, const void *in, const int32_t *idx,
                            int64_t nidx, int64_t outer, int64_t axis_len, int64_t inner) {
    size_t row = (size_t)inner * rt_dtype_size(t);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < nidx; j++)
            memcpy((char *)out + (size_t)(o * nidx + j) * row,
                   (const char *)in + (size_t)(o * axis_len + idx[j]) * row, row);
    return RT_OK;
}

/* ---- memory ----------------------------------------------------------------------------------------- */

static size_t host_total(void) {
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    return (pages > 0 && psize > 0) ? (size_t)pages * (size_t)psize : 0;
}

static size_t host_available(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {
        char line[256];
        unsigned long long kb;
        while (fgets(line, sizeof line, f)) {
            if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) { fclose(f); return (size_t)kb * 1024; }
        }
        fclose(f);
    }
    long pages = sysconf(_SC_AVPHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    return (pages > 0 && psize > 0) ? (size_t)pages * (size_t)psize : 0;
}

/* Requests beyond physical memory fail up front instead of relying on
 * overcommit (which would kill the process on first touch). */
static void *cpu_raw_alloc(rt_device *d, size_t bytes) {
    size_t total = host_total();
    if (total && bytes > total) return NULL;
    size_t r = (bytes + 63) & ~(size_t)63;
    if (r == 0) r = 64;
    return aligned_alloc(64, r);
}

static void cpu_raw_free(rt_device *d, void *p) { free(p); }

static rt_status cpu_mem_info(rt_device *d, size_t *free_bytes, size_t *total_bytes) {
    if (free_bytes) *free_bytes = host_available();
    if (total_bytes) *total_bytes = host_total();
    return RT_OK;
}

static rt_status cpu_copy_host(rt_device *d, void *dst, const void *src, size_t bytes) {
    if (bytes) memcpy(dst, src, bytes);
    return RT_OK;
}

static rt_status cpu_synchronize(rt_device *d) { return RT_OK; }
static double cpu_busy(rt_device *d) { return 0.0; }

static const rt_backend cpu_backend = {
    .name = "cpu",
    .raw_alloc = cpu_raw_alloc,
    .raw_free = cpu_raw_free,
    .mem_info = cpu_mem_info,
    .copy_from_host = cpu_copy_host,
    .copy_to_host = cpu_copy_host,
    .synchronize = cpu_synchronize,
    .binary = cpu_binary,
    .unary = cpu_unary,
    .copy = cpu_copy,
    .fill = cpu_fill,
    .where = cpu_where,
    .reduce = cpu_reduce,
    .matmul = cpu_matmul,
    .random = cpu_random,
    .gather = cpu_gather,
    .take_busy_seconds = cpu_busy,
};

const rt_backend *rt_cpu_backend(void) { return &cpu_backend; }
