/* cuda_common.cuh — what every file of the CUDA backend shares: the
 * per-device state, the status-check macros, launch sizing and the small
 * vector/strided-iteration helpers used by the element-wise kernels.
 *
 * Error rule (as everywhere in the runtime): nothing here exits. A failing
 * CUDA or cuBLAS call records RT_EDEVICE with the call's name, the CUDA
 * message and the source position, and the backend function returns that
 * status. Errors that poison the CUDA context (illegal address, launch
 * failure, ...) also mark the device unusable, so later work placed on it
 * fails cleanly instead of silently computing garbage.
 */
#ifndef CGPU_CUDA_COMMON_CUH
#define CGPU_CUDA_COMMON_CUH

#include <cuda_runtime.h>
#include <cublas_v2.h>
#include <stdint.h>
#include <stddef.h>

#include "rt_internal.h"

/* Per logical device. Owned by the registry through rt_device.backend_state
 * (created by rt_cuda_device_state_new, lives as long as the process). All
 * work of the logical device is queued on `stream`; the caching allocator
 * relies on that single stream for its stream-ordered reuse of blocks. */
typedef struct cuda_state {
    int            physical;       /* CUDA device ordinal */
    int            sms;            /* multiprocessor count (launch sizing) */
    cudaStream_t   stream;         /* non-blocking: no implicit sync with stream 0 */
    cublasHandle_t blas;           /* bound to `stream` */
    int            blas_tf32;      /* math mode currently set on `blas` */
    void          *blas_ws;        /* cuBLAS workspace (NULL: library default) */
    size_t         blas_ws_bytes;
    /* Busy time: ev_start is recorded before the first op queued after the
     * host last waited; ev_end when the host waits again. */
    cudaEvent_t    ev_start, ev_end;
    int            burst_open;
    double         busy_seconds;   /* closed bursts not yet taken */
    /* Scratch for reduction partials; reused by every op of this stream
     * (stream order makes the reuse safe). */
    void          *scratch;
    size_t         scratch_bytes;
    /* Pinned staging buffers for host<->device copies (cuda_transfer.cu):
     * allocated on the first large copy; stage_done[i] is recorded after the
     * last DMA that used stage[i]. */
    void          *stage[2];
    cudaEvent_t    stage_done[2];
    int            stage_state;    /* 0 not tried, 1 ready, -1 unavailable (copy directly) */
} cuda_state;

#define CUDA_SCRATCH_BYTES ((size_t)8 << 20)

/* ---- status checks (cuda_device.cu) -------------------------------------------- */

/* Records the failure of `what` (e.g. "cudaMalloc") and returns RT_EDEVICE.
 * Sticky errors also mark `d` unusable. Clears the non-sticky error state. */
rt_status cuda_fail(rt_device *d, cudaError_t e, const char *what, const char *file, int line);
rt_status cublas_fail(rt_device *d, cublasStatus_t s, const char *what, const char *file, int line);

/* CU_CHECK(d, cudaMemsetAsync(...)): returns from the calling function on error. */
#define CU_CHECK(d, call) do { cudaError_t e_ = (call); \
    if (e_ != cudaSuccess) return cuda_fail((d), e_, #call, __FILE__, __LINE__); } while (0)
#define CUBLAS_CHECK(d, call) do { cublasStatus_t s_ = (call); \
    if (s_ != CUBLAS_STATUS_SUCCESS) return cublas_fail((d), s_, #call, __FILE__, __LINE__); } while (0)
/* After every kernel launch: launch-configuration errors show up here. */
#define LAUNCH_CHECK(d, kname) do { cudaError_t e_ = cudaGetLastError(); \
    if (e_ != cudaSuccess) return cuda_fail((d), e_, "launch of " kname, __FILE__, __LINE__); } while (0)

/* ---- host<->device copies (cuda_transfer.cu) ------------------------------------------ */

rt_status cuda_copy_from_host(rt_device *d, void *dst, const void *src, size_t bytes);
rt_status cuda_copy_to_host(rt_device *d, void *dst, const void *src, size_t bytes);
void      cuda_staging_free(cuda_state *st);
/* Waits for the stream and closes the busy-time burst (cuda_device.cu). */
rt_status cuda_wait_stream(rt_device *d, cuda_state *st);

/* Makes `d`'s GPU current for this thread, refuses work on a device marked
 * unusable, and opens a busy-time burst. Returns the state or NULL with an
 * error recorded. Every backend entry point that queues work starts here. */
cuda_state *cuda_enter(rt_device *d);
/* Like cuda_enter without opening a burst (allocation, queries). */
cuda_state *cuda_enter_quiet(rt_device *d);

/* ---- launch sizing ----------------------------------------------------------------- */

#define EW_THREADS 256

/* Blocks for `work` items of EW_THREADS threads each: one item per thread.
 * The kernels keep a grid-stride loop, so the cap (far beyond any real
 * array) only bounds the grid. Measured on an H100 (tests/bench/
 * gpu_ops_variants.cu): one 16-byte vector per thread reached 3.05 TB/s on
 * a 2^27-element add, a grid-stride loop over 8 resident blocks per SM
 * 2.87 TB/s. */
static inline unsigned ew_blocks(const cuda_state *st, int64_t work) {
    (void)st;
    int64_t need = (work + EW_THREADS - 1) / EW_THREADS;
    if (need > ((int64_t)1 << 30)) need = (int64_t)1 << 30;
    if (need < 1) need = 1;
    return (unsigned)need;
}

/* ---- vectors ------------------------------------------------------------------------ */

/* N elements of T loaded/stored as one aligned access (16 bytes for the
 * inputs: LDG.128). */
template <typename T, int N>
struct alignas(sizeof(T) * N) vec_t { T v[N]; };

template <typename T> struct vec_width { static const int value = 16 / (int)sizeof(T); };

static inline int ptr_aligned(const void *p, size_t a) { return ((uintptr_t)p % a) == 0; }

/* ---- strided iteration ------------------------------------------------------------ */

/* Shape and per-operand strides of an element-wise op after collapsing
 * (size-1 axes dropped, axes that are contiguous in every operand merged).
 * Passed to kernels by value. NOPS operands: 0 is the output. */
template <int NOPS>
struct strided_t {
    int     ndim;
    int64_t shape[RT_MAX_DIMS];
    int64_t st[NOPS][RT_MAX_DIMS];
};

/* Collapses the views (all of out's shape) into `it`. Returns the element
 * count. */
template <int NOPS>
static int64_t strided_collapse(strided_t<NOPS> *it, const rt_view *const *views) {
    const rt_view *o = views[0];
    int64_t n = 1;
    int nd = 0;
    for (int d = 0; d < o->ndim; d++) {
        n *= o->shape[d];
        if (o->shape[d] == 1) continue;
        it->shape[nd] = o->shape[d];
        for (int k = 0; k < NOPS; k++) it->st[k][nd] = views[k]->strides[d];
        nd++;
    }
    /* merge axis i into i-1 when every operand steps over axis i-1 exactly
     * as it would over a contiguous block of axis i */
    int w = 0;
    for (int d = 0; d < nd; d++) {
        if (w > 0) {
            int ok = 1;
            for (int k = 0; k < NOPS; k++)
                if (it->st[k][w - 1] != it->st[k][d] * it->shape[d]) { ok = 0; break; }
            if (ok) {
                it->shape[w - 1] *= it->shape[d];
                for (int k = 0; k < NOPS; k++) it->st[k][w - 1] = it->st[k][d];
                continue;
            }
        }
        if (w != d) {
            it->shape[w] = it->shape[d];
            for (int k = 0; k < NOPS; k++) it->st[k][w] = it->st[k][d];
        }
        w++;
    }
    it->ndim = w;
    return n;
}

/* After collapsing: 1 when the op is flat (one axis or none) and operand k
 * is contiguous (stride 1) or a broadcast scalar (stride 0). `scalar` gets
 * one bit per operand that is a broadcast scalar. */
template <int NOPS>
static int strided_is_flat(const strided_t<NOPS> *it, unsigned *scalar) {
    *scalar = 0;
    if (it->ndim == 0) return 1;
    if (it->ndim > 1) return 0;
    for (int k = 0; k < NOPS; k++) {
        if (it->st[k][0] == 0) *scalar |= 1u << k;
        else if (it->st[k][0] != 1) return 0;
    }
    return 1;
}

/* Element offsets of flat index i (row-major over it.shape) for each operand.
 * IDX is uint32_t when the element count fits, which makes the divisions
 * much cheaper. */
template <int NOPS, typename IDX>
__device__ __forceinline__ void strided_offsets(const strided_t<NOPS> &it, IDX i, int64_t *off) {
#pragma unroll
    for (int k = 0; k < NOPS; k++) off[k] = 0;
    for (int d = it.ndim - 1; d >= 0; d--) {
        IDX s = (IDX)it.shape[d];
        IDX q = i / s;
        IDX r = i - q * s;
#pragma unroll
        for (int k = 0; k < NOPS; k++) off[k] += (int64_t)r * it.st[k][d];
        i = q;
    }
}

/* ---- dtype dispatch -------------------------------------------------------------------- */

/* Calls F::template run<T>(args...) for the C type of dtype t (not uint8,
 * whose C type is bool's: see cuda_scalar.cuh). */
#define DTYPE_SWITCH(t, T, ...) do { switch (t) { \
    case RT_FLOAT32: { typedef float T; __VA_ARGS__; } break; \
    case RT_FLOAT64: { typedef double T; __VA_ARGS__; } break; \
    case RT_INT32:   { typedef int32_t T; __VA_ARGS__; } break; \
    case RT_BOOL:    { typedef uint8_t T; __VA_ARGS__; } break; \
    case RT_INT64:   { typedef int64_t T; __VA_ARGS__; } break; \
    default: break; } } while (0)

/* ---- the backend's operations (one file each) ----------------------------------- */

rt_status cuda_binary(rt_device *d, rt_binary_op op, const rt_view *out, const rt_view *a, const rt_view *b);
rt_status cuda_unary(rt_device *d, rt_unary_op op, const rt_view *out, const rt_view *a);
rt_status cuda_copy(rt_device *d, const rt_view *dst, const rt_view *src);
rt_status cuda_fill(rt_device *d, const rt_view *dst, double value);
rt_status cuda_where(rt_device *d, const rt_view *out, const rt_view *cond, const rt_view *a, const rt_view *b);
rt_status cuda_reduce(rt_device *d, rt_reduce_op op, void *out, const void *in, rt_dtype t,
                      int64_t outer, int64_t n, int64_t inner);
rt_status cuda_matmul(rt_device *d, rt_dtype t, int64_t batch, int64_t m, int64_t n, int64_t k,
                      const void *a, int64_t a_batch_stride, int trans_a,
                      const void *b, int64_t b_batch_stride, int trans_b,
                      void *c, int64_t c_batch_stride);
rt_status cuda_random(rt_device *d, const rt_view *out, int normal, double a, double b,
                      uint64_t seed, uint64_t offset);
rt_status cuda_gather(rt_device *d, rt_dtype t, void *out, const void *in, const int32_t *idx,
                      int64_t nidx, int64_t outer, int64_t axis_len, int64_t inner);

#endif
