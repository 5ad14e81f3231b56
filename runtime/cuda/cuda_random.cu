/* cuda_random.cu — uniform and normal numbers from Philox-4x32-10.
 *
 * Thread q computes counter block q (philox.h, shared with the CPU backend)
 * and writes elements 4q .. 4q+3, so the GPU draws exactly the CPU's
 * stream. The affine step is written with explicitly rounded operations
 * (__fmul_rn, __fadd_rn): the compiler may not fuse them into an FMA,
 * which the CPU build does not do either. Uniform numbers therefore match
 * the CPU bit for bit; normal numbers match to a few ulp (the device's
 * logf/sinf/cosf are not glibc's).
 */
#include "cuda_common.cuh"
#include "philox.h"

__global__ void __launch_bounds__(EW_THREADS)
random_f32(float *__restrict__ out, int64_t n, int normal, float a, float b, uint64_t seed, uint64_t offset,
           int vec) {
    int64_t blocks = (n + 3) / 4;
    for (int64_t q = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; q < blocks;
         q += (int64_t)gridDim.x * blockDim.x) {
        philox_block blk = philox4x32_10(offset + (uint64_t)q, seed);
        float v[4];
        if (normal) {
            philox_normal_f32(blk.v[0], blk.v[1], &v[0], &v[1]);
            philox_normal_f32(blk.v[2], blk.v[3], &v[2], &v[3]);
#pragma unroll
            for (int i = 0; i < 4; i++) v[i] = __fadd_rn(a, __fmul_rn(b, v[i]));
        } else {
            float span = __fsub_rn(b, a);
#pragma unroll
            for (int i = 0; i < 4; i++) v[i] = __fadd_rn(a, __fmul_rn(span, philox_uniform_f32(blk.v[i])));
        }
        int64_t e0 = q * 4;
        if (vec && e0 + 4 <= n) {
            reinterpret_cast<float4 *>(out)[q] = make_float4(v[0], v[1], v[2], v[3]);
        } else {
            for (int i = 0; i < 4 && e0 + i < n; i++) out[e0 + i] = v[i];
        }
    }
}

__global__ void __launch_bounds__(EW_THREADS)
random_f64(double *__restrict__ out, int64_t n, int normal, double a, double b, uint64_t seed, uint64_t offset) {
    int64_t blocks = (n + 3) / 4;
    for (int64_t q = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; q < blocks;
         q += (int64_t)gridDim.x * blockDim.x) {
        philox_block blk = philox4x32_10(offset + (uint64_t)q, seed);
        double v[4];
        if (normal) {
            philox_normal_f64(blk.v[0], blk.v[1], &v[0], &v[1]);
            philox_normal_f64(blk.v[2], blk.v[3], &v[2], &v[3]);
#pragma unroll
            for (int i = 0; i < 4; i++) v[i] = __dadd_rn(a, __dmul_rn(b, v[i]));
        } else {
            double span = __dsub_rn(b, a);
#pragma unroll
            for (int i = 0; i < 4; i++) v[i] = __dadd_rn(a, __dmul_rn(span, philox_uniform_f64(blk.v[i])));
        }
        int64_t e0 = q * 4;
        for (int i = 0; i < 4 && e0 + i < n; i++) out[e0 + i] = v[i];
    }
}

rt_status cuda_random(rt_device *d, const rt_view *out, int normal, double a, double b, uint64_t seed,
                      uint64_t offset) {
    if (out->dtype != RT_FLOAT32 && out->dtype != RT_FLOAT64)
        return rt_set_error(RT_ETYPE, "random numbers must be float32 or float64, not %s", rt_dtype_name(out->dtype));
    int64_t n = 1;
    for (int i = 0; i < out->ndim; i++) n *= out->shape[i];
    if (n <= 0) return RT_OK;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    int64_t blocks = (n + 3) / 4;
    if (out->dtype == RT_FLOAT32) {
        /* the CPU rounds a and b to float first, then computes in float */
        random_f32<<<ew_blocks(st, blocks), EW_THREADS, 0, st->stream>>>(
            (float *)out->data, n, normal, (float)a, (float)b, seed, offset, ptr_aligned(out->data, 16));
        LAUNCH_CHECK(d, "random_f32");
    } else {
        random_f64<<<ew_blocks(st, blocks), EW_THREADS, 0, st->stream>>>((double *)out->data, n, normal, a, b,
                                                                          seed, offset);
        LAUNCH_CHECK(d, "random_f64");
    }
    return RT_OK;
}
