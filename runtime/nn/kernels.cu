/* kernels.cu — the CUDA kernel table of the training loop (float32). Each
 * kernel first, its host launcher after, a launch check after every
 * launch. Work is queued on the device's stream (the one every runtime op
 * of that device uses), so the training loop needs no extra ordering.
 * Matrix products go to the backend's cuBLAS SGEMM. */
#include "nn_cuda.cuh"

/* ---- gather ------------------------------------------------------------------------ */

__global__ void k_gather_rows(float *dst, const float *src, int64_t cols, const int32_t *idx, int64_t rows)
{
    int64_t n = rows * cols;
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < n; e += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = e / cols, c = e - r * cols;
        dst[e] = src[(int64_t)idx[r] * cols + c];
    }
}

/* rows of a multiple of 4 floats, 16-byte aligned: one float4 per thread */
__global__ void k_gather_rows4(float4 *dst, const float4 *src, int64_t cols4, const int32_t *idx, int64_t rows)
{
    int64_t n = rows * cols4;
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < n; e += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = e / cols4, c = e - r * cols4;
        dst[e] = src[(int64_t)idx[r] * cols4 + c];
    }
}

static rt_status g_gather_rows(rt_device *d, void *dst, const void *src, int64_t cols, const int32_t *idx, int64_t rows)
{
    if (rows * cols == 0) return RT_OK;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    if (cols % 4 == 0 && ptr_aligned(dst, 16) && ptr_aligned(src, 16)) {
        k_gather_rows4<<<ew_blocks(st, rows * cols / 4), EW_THREADS, 0, st->stream>>>(
            (float4 *)dst, (const float4 *)src, cols / 4, idx, rows);
        LAUNCH_CHECK(d, "k_gather_rows4");
    } else {
        k_gather_rows<<<ew_blocks(st, rows * cols), EW_THREADS, 0, st->stream>>>(
            (float *)dst, (const float *)src, cols, idx, rows);
        LAUNCH_CHECK(d, "k_gather_rows");
    }
    return RT_OK;
}

/* ---- matrix product ------------------------------------------------------------------- */

static rt_status g_gemm(rt_device *d, int ta, int tb, int64_t m, int64_t n, int64_t k, const void *A, const void *B, void *C)
{
    return d->backend->matmul(d, RT_FLOAT32, 1, m, n, k, A, 0, ta, B, 0, tb, C, 0);
}

/* ---- activations ------------------------------------------------------------------------- */

__global__ void k_bias_act(float *z, const float *bias, int64_t rows, int64_t cols, int act)
{
    int64_t n = rows * cols;
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < n; e += (int64_t)gridDim.x * blockDim.x) {
        float v = z[e];
        if (bias) v += bias[e % cols];
        z[e] = nn_act(v, act);
    }
}

/* one warp per row */
__global__ void k_bias_softmax(float *z, const float *bias, int64_t rows, int64_t cols)
{
    int lane = threadIdx.x & 31;
    int64_t warp = (blockIdx.x * (int64_t)blockDim.x + threadIdx.x) >> 5;
    int64_t nw = ((int64_t)gridDim.x * blockDim.x) >> 5;
    for (int64_t r = warp; r < rows; r += nw) nn_softmax_row(z + r * cols, bias, cols, lane);
}

static unsigned row_blocks(const cuda_state *st, int64_t rows)
{
    int64_t need = (rows + (EW_THREADS / 32) - 1) / (EW_THREADS / 32);
    int64_t cap = (int64_t)st->sms * 8;
    return (unsigned)(need < 1 ? 1 : need > cap ? cap : need);
}

static rt_status g_bias_act(rt_device *d, void *z, const void *bias, int64_t rows, int64_t cols, nn_activation act)
{
    if (rows * cols == 0) return RT_OK;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    if (act == NN_ACT_SOFTMAX) {
        k_bias_softmax<<<row_blocks(st, rows), EW_THREADS, 0, st->stream>>>((float *)z, (const float *)bias, rows, cols);
        LAUNCH_CHECK(d, "k_bias_softmax");
    } else {
        k_bias_act<<<ew_blocks(st, rows * cols), EW_THREADS, 0, st->stream>>>((float *)z, (const float *)bias, rows, cols, act);
        LAUNCH_CHECK(d, "k_bias_act");
    }
    return RT_OK;
}

__global__ void k_act_backward(float *dz, const float *da, const float *a, int64_t n, int act)
{
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < n; e += (int64_t)gridDim.x * blockDim.x)
        dz[e] = nn_act_grad(da[e], a[e], act);
}

__global__ void k_softmax_backward(float *dz, const float *da, const float *a, int64_t rows, int64_t cols)
{
    int lane = threadIdx.x & 31;
    int64_t warp = (blockIdx.x * (int64_t)blockDim.x + threadIdx.x) >> 5;
    int64_t nw = ((int64_t)gridDim.x * blockDim.x) >> 5;
    for (int64_t r = warp; r < rows; r += nw) nn_softmax_grad_row(dz + r * cols, da + r * cols, a + r * cols, cols, lane);
}

static rt_status g_act_backward(rt_device *d, void *dz, const void *da, const void *a, int64_t rows, int64_t cols,
                                nn_activation act)
{
    if (rows * cols == 0) return RT_OK;
    if (act == NN_ACT_LINEAR && dz == da) return RT_OK;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    if (act == NN_ACT_SOFTMAX) {
        k_softmax_backward<<<row_blocks(st, rows), EW_THREADS, 0, st->stream>>>(
            (float *)dz, (const float *)da, (const float *)a, rows, cols);
        LAUNCH_CHECK(d, "k_softmax_backward");
    } else {
        k_act_backward<<<ew_blocks(st, rows * cols), EW_THREADS, 0, st->stream>>>(
            (float *)dz, (const float *)da, (const float *)a, rows * cols, act);
        LAUNCH_CHECK(d, "k_act_backward");
    }
    return RT_OK;
}

/* ---- bias gradient: column sums ---------------------------------------------------------- */

/* block (32, 8): 32 columns, 8 row groups; a fixed summation order */
__global__ void k_col_sum(float *out, const float *dz, int64_t rows, int64_t cols)
{
    __shared__ float part[8][33];
    int64_t c = blockIdx.x * 32 + threadIdx.x;
    float s = 0.f;
    if (c < cols)
        for (int64_t r = threadIdx.y; r < rows; r += 8) s += dz[r * cols + c];
    part[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        float t = 0.f;
        for (int k = 0; k < 8; k++) t += part[k][threadIdx.x];
        out[c] = t;
    }
}

static rt_status g_col_sum(rt_device *d, void *out, const void *dz, int64_t rows, int64_t cols)
{
    if (cols == 0) return RT_OK;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    dim3 block(32, 8);
    k_col_sum<<<(unsigned)((cols + 31) / 32), block, 0, st->stream>>>((float *)out, (const float *)dz, rows, cols);
    LAUNCH_CHECK(d, "k_col_sum");
    return RT_OK;
}

/* ---- dropout ---------------------------------------------------------------------------- */

__global__ void k_dropout(float *out, const float *in, int64_t rows, int64_t cols, int64_t row0, double rate,
                          uint64_t seed, uint64_t salt, float scale)
{
    int64_t n = rows * cols;
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < n; e += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = e / cols, c = e - r * cols;
        out[e] = nn_dropout_keep(seed, salt, row0 + r, c, rate) ? in[e] * scale : 0.f;
    }
}

static rt_status g_dropout(rt_device *d, void *out, const void *in, int64_t rows, int64_t cols, int64_t row0,
                           double rate, uint64_t seed, uint64_t salt)
{
    if (rows * cols == 0) return RT_OK;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    k_dropout<<<ew_blocks(st, rows * cols), EW_THREADS, 0, st->stream>>>(
        (float *)out, (const float *)in, rows, cols, row0, rate, seed, salt, (float)(1.0 / (1.0 - rate)));
    LAUNCH_CHECK(d, "k_dropout");
    return RT_OK;
}

/* ---- loss + metrics + gradient ---------------------------------------------------------------- */

#define LOSS_THREADS 256

/* One block: warp w takes rows w, w + 8, ...; the per-warp sums are added
 * in warp order, so the result does not depend on timing. */
__global__ void k_loss(nn_loss_cfg c, const float *P, const float *Y, float *G, int64_t rows, double *acc)
{
    __shared__ double part[LOSS_THREADS / 32][1 + NN_MAX_METRICS];
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    double ls = 0, ms[NN_MAX_METRICS] = {0, 0, 0, 0};
    for (int64_t r = w; r < rows; r += nw) {
        double m[NN_MAX_METRICS];
        ls += nn_row_loss(c, P + r * c.cols, Y + r * c.ycols, G ? G + r * c.cols : NULL, m, lane);
        for (int q = 0; q < c.nmetrics; q++) ms[q] += m[q];
    }
    if (lane == 0) {
        part[w][0] = ls;
        for (int q = 0; q < c.nmetrics; q++) part[w][1 + q] = ms[q];
    }
    __syncthreads();
    if (threadIdx.x == 0 && acc) {
        for (int q = 0; q <= c.nmetrics; q++) {
            double s = 0;
            for (int k = 0; k < nw; k++) s += part[k][q];
            acc[q] += s;
        }
    }
}

static rt_status g_loss(rt_device *d, const nn_loss_args *a)
{
    if (a->rows == 0) return RT_OK;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    nn_loss_cfg c;
    c.loss = a->loss;
    c.fused = a->fused;
    c.nmetrics = a->nmetrics;
    for (int q = 0; q < NN_MAX_METRICS; q++) c.mk[q] = q < a->nmetrics ? (int)a->mk[q] : 0;
    c.cols = a->cols;
    c.ycols = a->ycols;
    c.sc = a->grad_scale;
    k_loss<<<1, LOSS_THREADS, 0, st->stream>>>(c, (const float *)a->pred, (const float *)a->y, (float *)a->grad,
                                                a->rows, a->acc);
    LAUNCH_CHECK(d, "k_loss");
    return RT_OK;
}

/* ---- optimizer over the flat buffer ------------------------------------------------------------ */

__global__ void k_optimizer(nn_opt_cfg c, float *p, const float *g, float *s1, float *s2, int64_t n)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        nn_opt_update(c, p, g, s1, s2, i);
}

static rt_status g_optimizer(rt_device *d, const nn_step_args *s, void *p, const void *g, void *s1, void *s2, int64_t n)
{
    if (n == 0) return RT_OK;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    nn_opt_cfg c = nn_opt_make(s);
    k_optimizer<<<ew_blocks(st, n), EW_THREADS, 0, st->stream>>>(c, (float *)p, (const float *)g, (float *)s1, (float *)s2, n);
    LAUNCH_CHECK(d, "k_optimizer");
    return RT_OK;
}

__global__ void k_add(float *dst, const float *a, const float *b, int64_t n)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        dst[i] = a[i] + b[i];
}

static rt_status g_add(rt_device *d, void *dst, const void *a, const void *b, int64_t n)
{
    if (n == 0) return RT_OK;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    k_add<<<ew_blocks(st, n), EW_THREADS, 0, st->stream>>>((float *)dst, (const float *)a, (const float *)b, n);
    LAUNCH_CHECK(d, "k_add");
    return RT_OK;
}

/* conv.cu */
extern "C" {
rt_status gconv_im2col(rt_device *d, const nn_conv_geom *g, int64_t rows, const void *x, void *cols);
rt_status gconv_col2im(rt_device *d, const nn_conv_geom *g, int64_t rows, const void *cols, void *dx);
rt_status gconv_pool(rt_device *d, const nn_conv_geom *g, int64_t rows, int max, const void *x, void *y);
rt_status gconv_pool_backward(rt_device *d, const nn_conv_geom *g, int64_t rows, int max, const void *x,
                              const void *y, const void *dy, void *dx);
rt_status gconv_bn_forward(rt_device *d, int64_t n, int64_t c, const void *x, void *y, const void *gamma,
                           const void *beta, const void *mm, const void *mv, double eps, int training,
                           void *stats, void *dm, void *dv, double f);
rt_status gconv_bn_backward(rt_device *d, int64_t n, int64_t c, const void *x, const void *dy, void *dx,
                            const void *gamma, const void *stats, void *dg, void *db, int training);
rt_status gconv_transpose(rt_device *d, void *dst, const void *src, int64_t rows, int64_t cols);
int gconv_dnn_forward(rt_device *d, const nn_conv_geom *g, int64_t rows, const void *x, const void *w, void *y,
                      void *kt);
int gconv_dnn_backward(rt_device *d, const nn_conv_geom *g, int64_t rows, const void *x, const void *dy,
                       const void *w, void *dw, void *dx, void *kt);
}

static const nn_ops gpu_ops = {
    RT_FLOAT32,
    g_gemm,
    g_gather_rows,
    g_bias_act,
    g_act_backward,
    g_col_sum,
    g_dropout,
    g_loss,
    g_optimizer,
    g_add,
    gconv_im2col,
    gconv_col2im,
    gconv_pool,
    gconv_pool_backward,
    gconv_bn_forward,
    gconv_bn_backward,
    gconv_transpose,
    gconv_dnn_forward,
    gconv_dnn_backward,
};

extern "C" const nn_ops *nn_gpu_ops(void) { return &gpu_ops; }
