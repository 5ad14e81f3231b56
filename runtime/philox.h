/* philox.h — Philox-4x32-10 (Salmon et al., "Parallel random numbers: as
 * easy as 1, 2, 3"), shared verbatim by the CPU backend and the CUDA
 * kernels so both devices draw the same numbers.
 *
 * Stream layout (the contract every backend follows): element i of a draw
 * that starts at counter `offset` uses word (i % 4) of
 * philox4x32_10(counter = offset + i / 4, key = seed). A draw of n elements
 * consumes ceil(n / 4) counters. Normal numbers use Box-Muller on the
 * element pairs (2j, 2j + 1), which always sit in the same counter block.
 *
 * Header-only; usable from C and from .cu files (host and device).
 */
#ifndef CGPU_PHILOX_H
#define CGPU_PHILOX_H

#include <stdint.h>
#include <math.h>

#ifdef __CUDACC__
#define PHILOX_FN static inline __host__ __device__
#else
#define PHILOX_FN static inline
#endif

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

typedef struct { uint32_t v[4]; } philox_block;

/* One 4-word block for a 64-bit counter and a 64-bit key. */
PHILOX_FN philox_block philox4x32_10(uint64_t counter, uint64_t key) {
    uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32), c2 = 0, c3 = 0;
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
        k0 += PHILOX_W0; k1 += PHILOX_W1;
    }
    philox_block b;
    b.v[0] = c0; b.v[1] = c1; b.v[2] = c2; b.v[3] = c3;
    return b;
}

/* Uniform in [0, 1): 24 random bits for float32, the full word for float64. */
PHILOX_FN float philox_uniform_f32(uint32_t x) { return (float)(x >> 8) * (1.0f / 16777216.0f); }
PHILOX_FN double philox_uniform_f64(uint32_t x) { return (double)x * (1.0 / 4294967296.0); }

/* Box-Muller: u1 in (0, 1] so the log is finite. The float32 version works
 * in double and rounds once: the GPU's logf/sinf/cosf differ from glibc's
 * by an ulp or two, while errors of a few double ulps almost never change
 * the rounded float, so seed(n) gives the same normals on CPU and GPU. */
PHILOX_FN void philox_normal_f32(uint32_t x0, uint32_t x1, float *z0, float *z1) {
    double u1 = ((double)(x0 >> 8) + 1.0) * (1.0 / 16777216.0);
    double u2 = (double)(x1 >> 8) * (1.0 / 16777216.0);
    double r = sqrt(-2.0 * log(u1));
    double th = 6.28318530717958647692 * u2;
    *z0 = (float)(r * cos(th));
    *z1 = (float)(r * sin(th));
}

PHILOX_FN void philox_normal_f64(uint32_t x0, uint32_t x1, double *z0, double *z1) {
    double u1 = ((double)x0 + 1.0) * (1.0 / 4294967296.0);
    double u2 = (double)x1 * (1.0 / 4294967296.0);
    double r = sqrt(-2.0 * log(u1));
    double th = 6.28318530717958647692 * u2;
    *z0 = r * cos(th);
    *z1 = r * sin(th);
}

#endif
