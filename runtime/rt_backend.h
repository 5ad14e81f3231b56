/* rt_backend.h — the interface every device backend implements (runtime-internal).
 *
 * The dispatcher (runtime/ops.c, runtime/array.c) does everything that is
 * the same on every device: argument checks, broadcasting (stride 0 on
 * broadcast axes), dtype promotion (it casts inputs to the compute dtype
 * with `copy` first, so a kernel's inputs share one dtype), allocation of
 * the output through the caching allocator, placement logging. A backend
 * only runs kernels on memory of its own device.
 *
 * Like Redis's ae_epoll.c / ae_kqueue.c, the CPU backend (cpu_backend.c,
 * always built, the reference) and the CUDA backend (cuda/, built when nvcc
 * is present) implement the same table. Every function returns RT_OK or
 * records an error with rt_set_error() and returns its code; none exits.
 * GPU functions are asynchronous on the device's stream unless they return
 * data to the host.
 */
#ifndef CGPU_RT_BACKEND_H
#define CGPU_RT_BACKEND_H

#include "rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A strided view of device memory: `data` points at element 0. */
typedef struct {
    void    *data;
    rt_dtype dtype;
    int      ndim;
    int64_t  shape[RT_MAX_DIMS];
    int64_t  strides[RT_MAX_DIMS]; /* elements; 0 on broadcast axes */
} rt_view;

typedef struct rt_backend {
    const char *name; /* "cpu", "cuda" */

    /* Raw memory. raw_alloc returns NULL on failure WITHOUT recording an
     * error (the caching allocator flushes and retries, then reports). */
    void     *(*raw_alloc)(rt_device *d, size_t bytes);
    void      (*raw_free)(rt_device *d, void *p);
    rt_status (*mem_info)(rt_device *d, size_t *free_bytes, size_t *total_bytes);
    rt_status (*copy_from_host)(rt_device *d, void *dst, const void *src, size_t bytes);
    rt_status (*copy_to_host)(rt_device *d, void *dst, const void *src, size_t bytes);
    rt_status (*synchronize)(rt_device *d);

    /* out: contiguous, same shape as the (broadcast) inputs. a and b have
     * one dtype; out has that dtype, or RT_BOOL for comparisons and logical
     * ops. */
    rt_status (*binary)(rt_device *d, rt_binary_op op, const rt_view *out,
                        const rt_view *a, const rt_view *b);
    /* out and a have one dtype (the dispatcher casts ints to float32 first
     * for transcendental ops; RT_LOGICAL_NOT works on RT_BOOL). */
    rt_status (*unary)(rt_device *d, rt_unary_op op, const rt_view *out, const rt_view *a);
    /* Strided copy with dtype conversion; dst and src have the same shape.
     * Used for casts, making arrays contiguous, assignment into views. */
    rt_status (*copy)(rt_device *d, const rt_view *dst, const rt_view *src);
    rt_status (*fill)(rt_device *d, const rt_view *dst, double value);
    /* cond is RT_BOOL; a, b, out share one dtype; all broadcast to out. */
    rt_status (*where)(rt_device *d, const rt_view *out, const rt_view *cond,
                       const rt_view *a, const rt_view *b);

    /* Reduce the middle axis of a contiguous [outer][n][inner] block.
     * in: dtype t: float32, float64 or int64 (the dispatcher widens
     * integers and bools to int64, or to float64 for MEAN/VAR/STD; the CPU
     * backend also gets bool, uint8 and int32 for every op but SUM).
     * out: [outer][inner], dtype t for SUM/MAX/MIN, RT_FLOAT32/64 (float64
     * only for float64 input) for MEAN/VAR/STD, RT_INT32 for ARGMAX/ARGMIN.
     * ANY/ALL never reach a backend.
     * n == 0: SUM gives 0, MEAN/VAR/STD NaN; MAX/MIN/ARG* are rejected by the
     * dispatcher. Use a pairwise or tree order (float32 accuracy). */
    rt_status (*reduce)(rt_device *d, rt_reduce_op op, void *out, const void *in,
                        rt_dtype t, int64_t outer, int64_t n, int64_t inner);

    /* C[b] = op(A[b]) @ op(B[b]) for b < batch, row-major.
     * op(A) is (m, k): A stored (m, k) or, with trans_a, (k, m). Likewise B
     * (k, n) or (n, k). batch strides in elements; 0 broadcasts one matrix.
     * t is RT_FLOAT32 (SGEMM; TF32 only when enabled) or RT_FLOAT64. */
    rt_status (*matmul)(rt_device *d, rt_dtype t, int64_t batch, int64_t m, int64_t n, int64_t k,
                        const void *a, int64_t a_batch_stride, int trans_a,
                        const void *b, int64_t b_batch_stride, int trans_b,
                        void *c, int64_t c_batch_stride);

    /* Philox-4x32-10: element i of the output uses counter (offset + i/4,
     * lane i%4) with key `seed`, identically on every backend (see
     * philox.h). normal: Box-Muller on pairs. out is contiguous, float32 or
     * float64. uniform: a + (b-a)*u; normal: a + b*z. */
    rt_status (*random)(rt_device *d, const rt_view *out, int normal, double a, double b,
                        uint64_t seed, uint64_t offset);

    /* out[o][j][i] = in[o][idx[j]][i]; idx int32, already range-checked and
     * non-negative. in and out contiguous, dtype t. */
    rt_status (*gather)(rt_device *d, rt_dtype t, void *out, const void *in,
                        const int32_t *idx_on_device, int64_t nidx,
                        int64_t outer, int64_t axis_len, int64_t inner);

    /* Seconds of GPU time since the last call (0 for the CPU). */
    double (*take_busy_seconds)(rt_device *d);
} rt_backend;

#ifdef __cplusplus
}
#endif
#endif
