/* scalar_rules.h — the per-element rules of the element-wise ops that the
 * CPU backend (cpu_backend.c, the reference) and the CUDA kernels
 * (cuda/cuda_scalar.cuh) must apply identically: Python's floor division
 * and modulo (numpy's npy_divmod), wrapping int32 arithmetic, integer
 * powers, x86's float->int32 conversion. Written once here so the two
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

/* ---- int32: wraps like numpy instead of overflowing into undefined
 * behaviour; a zero divisor gives 0 (the dispatcher reports division by
 * zero before any kernel runs) ------------------------------------------------ */

SCALAR_FN int32_t i_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
SCALAR_FN int32_t i_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }
SCALAR_FN int32_t i_mul(int32_t a, int32_t b) { return (int32_t)((uint32_t)a * (uint32_t)b); }
SCALAR_FN int32_t i_neg(int32_t a) { return (int32_t)(0u - (uint32_t)a); }
SCALAR_FN int32_t i_floordiv(int32_t a, int32_t b) {
    if (b == 0) return 0;
    if (b == -1) return i_neg(a);
    int32_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}
SCALAR_FN int32_t i_mod(int32_t a, int32_t b) {
    if (b == 0 || b == -1) return 0;
    int32_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}
/* Negative exponents truncate toward zero like C integer division:
 * 1 and -1 keep magnitude 1, every other base gives 0. */
SCALAR_FN int32_t i_pow(int32_t a, int32_t b) {
    if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
    uint32_t r = 1, x = (uint32_t)a;
    while (b) { if (b & 1) r *= x; x *= x; b >>= 1; }
    return (int32_t)r;
}

#undef SCALAR_FN
#endif
