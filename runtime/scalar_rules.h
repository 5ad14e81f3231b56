/* scalar_rules.h — the per-element rules of the element-wise ops that the
 * CPU backend (cpu_backend.c, the reference) and the CUDA kernels
 * (cuda/cuda_scalar.cuh) must apply identically: Python's floor division
 * and modulo (numpy's npy_divmod), wrapping int32/int64 arithmetic, integer
 * powers, x86's float->int conversions. Written once here so the two
 * devices cannot drift apart.
 *
 * Header-only; usable from C and from .cu files (host and device), as
 * philox.h is.
 */
#ifndef CGPU_SCALAR_RULES_H
#define CGPU_SCALAR_RULES_H

#include <stdint.h>
#include <math.h>

#ifdef __CUDACC__
#define SCALAR_FN static inline __host__ __device__
#else
#define SCALAR_FN static inline
#endif

/* float -> int32 as x86's cvttsd2si does: NaN and out of range give
 * INT32_MIN (what numpy prints on this machine). */
SCALAR_FN int32_t f2i(double v) {
    if (!(v >= -2147483648.0 && v < 2147483648.0)) return INT32_MIN;
    return (int32_t)v;
}
/* float -> int64 likewise: NaN and out of range give INT64_MIN. */
SCALAR_FN int64_t f2l(double v) {
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) return INT64_MIN;
    return (int64_t)v;
}

/* ---- Python floor division and modulo (numpy's npy_divmod) ------------------ */

SCALAR_FN double d_floordiv(double a, double b) {
    if (b == 0) return a / b;
    double mod = fmod(a, b), div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1.0;
    if (div == 0) return copysign(0.0, a / b);
    double f = floor(div);
    if (div - f > 0.5) f += 1.0;
    return f;
}
SCALAR_FN double d_mod(double a, double b) {
    if (b == 0) return fmod(a, b);
    double mod = fmod(a, b);
    if (mod != 0) { if ((b < 0) != (mod < 0)) mod += b; }
    else mod = copysign(0.0, b);
    return mod;
}
SCALAR_FN float f_floordiv(float a, float b) {
    if (b == 0) return a / b;
    float mod = fmodf(a, b), div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1.0f;
    if (div == 0) return copysignf(0.0f, a / b);
    float f = floorf(div);
    if (div - f > 0.5f) f += 1.0f;
    return f;
}
SCALAR_FN float f_mod(float a, float b) {
    if (b == 0) return fmodf(a, b);
    float mod = fmodf(a, b);
    if (mod != 0) { if ((b < 0) != (mod < 0)) mod += b; }
    else mod = copysignf(0.0f, b);
    return mod;
}

/* ---- int32 and int64: wrap like numpy instead of overflowing into
 * undefined behaviour; a zero divisor gives 0 (the dispatcher reports
 * division by zero before any kernel runs). Negative exponents truncate
 * toward zero like C integer division: 1 and -1 keep magnitude 1, every
 * other base gives 0 (the dispatcher refuses them first, as numpy does).
 * P is the prefix: i_ for int32, l_ for int64. ---------------------------------- */

#define SCALAR_SIGNED_INT_RULES(P, T, U) \
SCALAR_FN T P##add(T a, T b) { return (T)((U)a + (U)b); } \
SCALAR_FN T P##sub(T a, T b) { return (T)((U)a - (U)b); } \
SCALAR_FN T P##mul(T a, T b) { return (T)((U)a * (U)b); } \
SCALAR_FN T P##neg(T a) { return (T)((U)0 - (U)a); } \
SCALAR_FN T P##floordiv(T a, T b) { \
    if (b == 0) return 0; \
    if (b == -1) return P##neg(a); \
    T q = a / b; \
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--; \
    return q; \
} \
SCALAR_FN T P##mod(T a, T b) { \
    if (b == 0 || b == -1) return 0; \
    T r = a % b; \
    if (r != 0 && ((r < 0) != (b < 0))) r += b; \
    return r; \
} \
SCALAR_FN T P##pow(T a, T b) { \
    if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0; \
    U r = 1, x = (U)a; \
    while (b) { if (b & 1) r *= x; x *= x; b >>= 1; } \
    return (T)r; \
}
SCALAR_SIGNED_INT_RULES(i_, int32_t, uint32_t)
SCALAR_SIGNED_INT_RULES(l_, int64_t, uint64_t)
#undef SCALAR_SIGNED_INT_RULES

/* uint8 wraps modulo 256 (the other uint8 ops wrap by C's conversion). */
SCALAR_FN uint8_t u_pow(uint8_t a, uint8_t b) {
    unsigned r = 1, x = a;
    while (b) { if (b & 1) r = (r * x) & 0xffu; x = (x * x) & 0xffu; b >>= 1; }
    return (uint8_t)r;
}

#undef SCALAR_FN
#endif
