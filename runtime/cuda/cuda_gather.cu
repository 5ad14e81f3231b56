/* cuda_gather.cu — out[o][j][i] = in[o][idx[j]][i] (rows picked along an axis).
 *
 * The element type does not matter, only its size: the kernel moves 1, 4,
 * 8 or 16-byte words. When a whole row (inner elements) is a multiple of 16
 * bytes and both buffers are aligned, rows move as 16-byte words.
 */
#include "cuda_common.cuh"

struct w16 { uint4 v; };

template <typename W>
__global__ void gather_kernel(W *__restrict__ out, const W *__restrict__ in, const int32_t *__restrict__ idx,
                              int64_t nidx, int64_t axis_len, int64_t inner, int64_t total) {
    int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        int64_t i = e % inner;
        int64_t r = e / inner;
        int64_t j = r % nidx;
        int64_t o = r / nidx;
        out[e] = in[(o * axis_len + idx[j]) * inner + i];
    }
}

template <typename W>
static rt_status launch(rt_device *d, cuda_state *st, void *out, const void *in, const int32_t *idx,
                        int64_t nidx, int64_t outer, int64_t axis_len, int64_t inner) {
    int64_t total = outer * nidx * inner;
    gather_kernel<W><<<ew_blocks(st, total), EW_THREADS, 0, st->stream>>>(
        (W *)out, (const W *)in, idx, nidx, axis_len, inner, total);
    LAUNCH_CHECK(d, "gather_kernel");
    return RT_OK;
}

rt_status cuda_gather(rt_device *d, rt_dtype t, void *out, const void *in, const int32_t *idx,
                      int64_t nidx, int64_t outer, int64_t axis_len, int64_t inner) {
    if (outer <= 0 || nidx <= 0 || inner <= 0) return RT_OK;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    size_t esz = rt_dtype_size(t);
    size_t row = (size_t)inner * esz;
    if (row % 16 == 0 && ptr_aligned(out, 16) && ptr_aligned(in, 16))
        return launch<w16>(d, st, out, in, idx, nidx, outer, axis_len, (int64_t)(row / 16));
    switch (esz) {
    case 1: return launch<uint8_t>(d, st, out, in, idx, nidx, outer, axis_len, inner);
    case 4: return launch<uint32_t>(d, st, out, in, idx, nidx, outer, axis_len, inner);
    case 8: return launch<uint64_t>(d, st, out, in, idx, nidx, outer, axis_len, inner);
    default: return rt_set_error(RT_ETYPE, "gather: unsupported dtype %s", rt_dtype_name(t));
    }
}
