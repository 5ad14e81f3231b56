/* conv.cu — the CUDA kernels of the image layers (float32, channels last):
 * Conv2D's im2col and its adjoint (the matrix products go to cuBLAS through
 * the table's gemm), max/average pooling and their backward, batch
 * normalisation. Each mirrors the CPU reference in conv_cpu_tmpl.h; work
 * is queued on the device's stream like every other training kernel. */
#include "nn_cuda.cuh"

#define GRID_STRIDE(e, n) \
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < (n); e += (int64_t)gridDim.x * blockDim.x)

/* ---- im2col / col2im -------------------------------------------------------------- */

__global__ void k_im2col(nn_conv_geom g, int64_t rows, const float *x, float *cols)
{
    int64_t n = rows * g.oh * g.ow * g.kh * g.kw * g.c;
    GRID_STRIDE(e, n) {
        int64_t t = e, c = t % g.c; t /= g.c;
        int64_t j = t % g.kw; t /= g.kw;
        int64_t i = t % g.kh; t /= g.kh;
        int64_t ox = t % g.ow; t /= g.ow;
        int64_t oy = t % g.oh, b = t / g.oh;
        int64_t y = oy * g.sh - g.pt + i * g.dh, xx = ox * g.sw - g.pl + j * g.dw;
        cols[e] = (y >= 0 && y < g.h && xx >= 0 && xx < g.w) ? x[((b * g.h + y) * g.w + xx) * g.c + c] : 0.f;
    }
}

/* one thread per input element gathers every window position that reads
 * it: no atomics, the same order on every run */
__global__ void k_col2im(nn_conv_geom g, int64_t rows, const float *cols, float *dx)
{
    int64_t n = rows * g.h * g.w * g.c, K = g.kh * g.kw * g.c;
    GRID_STRIDE(e, n) {
        int64_t t = e, c = t % g.c; t /= g.c;
        int64_t xx = t % g.w; t /= g.w;
        int64_t y = t % g.h, b = t / g.h;
        float s = 0.f;
        for (int64_t i = 0; i < g.kh; i++) {
            int64_t ny = y + g.pt - i * g.dh;
            if (ny < 0 || ny % g.sh) continue;
            int64_t oy = ny / g.sh;
            if (oy >= g.oh) continue;
            for (int64_t j = 0; j < g.kw; j++) {
                int64_t nx = xx + g.pl - j * g.dw;
                if (nx < 0 || nx % g.sw) continue;
                int64_t ox = nx / g.sw;
                if (ox >= g.ow) continue;
                s += cols[((b * g.oh + oy) * g.ow + ox) * K + (i * g.kw + j) * g.c + c];
            }
        }
        dx[e] = s;
    }
}

extern "C" rt_status gconv_im2col(rt_device *d, const nn_conv_geom *g, int64_t rows, const void *x, void *cols)
{
    int64_t n = rows * g->oh * g->ow * g->kh * g->kw * g->c;
    if (n == 0) return RT_OK;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    k_im2col<<<ew_blocks(st, n), EW_THREADS, 0, st->stream>>>(*g, rows, (const float *)x, (float *)cols);
    LAUNCH_CHECK(d, "k_im2col");
    return RT_OK;
}

extern "C" rt_status gconv_col2im(rt_device *d, const nn_conv_geom *g, int64_t rows, const void *cols, void *dx)
{
    int64_t n = rows * g->h * g->w * g->c;
    if (n == 0) return RT_OK;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    k_col2im<<<ew_blocks(st, n), EW_THREADS, 0, st->stream>>>(*g, rows, (const float *)cols, (float *)dx);
    LAUNCH_CHECK(d, "k_col2im");
    return RT_OK;
}

/* ---- pooling ------------------------------------------------------------------------ */

/* the first maximum (max) or the count of in-image elements (average) of
 * one window, as the CPU scans it */
__device__ __forceinline__ float pool_window(const nn_conv_geom &g, const float *xb, int64_t oy, int64_t ox, int64_t c,
                                             int max, int64_t *arg, int64_t *cnt)
{
    float v = 0.f;
    *cnt = 0;
    *arg = -1;
    for (int64_t i = 0; i < g.kh; i++)
        for (int64_t j = 0; j < g.kw; j++) {
            int64_t y = oy * g.sh - g.pt + i, xx = ox * g.sw - g.pl + j;
            if (y < 0 || y >= g.h || xx < 0 || xx >= g.w) continue;
            int64_t p = (y * g.w + xx) * g.c + c;
            float t = xb[p];
            if (*cnt == 0 || (max && t > v)) { v = t; *arg = p; }
            else if (!max) v += t;
            ++*cnt;
        }
    return max ? v : v / (float)*cnt;
}

__global__ void k_pool(nn_conv_geom g, int64_t rows, int max, const float *x, float *y)
{
    int64_t n = rows * g.oh * g.ow * g.c;
    GRID_STRIDE(e, n) {
        int64_t t = e, c = t % g.c; t /= g.c;
        int64_t ox = t % g.ow; t /= g.ow;
        int64_t oy = t % g.oh, b = t / g.oh, arg, cnt;
        y[e] = pool_window(g, x + b * g.h * g.w * g.c, oy, ox, c, max, &arg, &cnt);
    }
}

/* one thread per output element; overlapping windows add atomically */
__global__ void k_pool_backward(nn_conv_geom g, int64_t rows, int max, const float *x, const float *dy, float *dx)
{
    int64_t n = rows * g.oh * g.ow * g.c;
    GRID_STRIDE(e, n) {
        int64_t t = e, c = t % g.c; t /= g.c;
        int64_t ox = t % g.ow; t /= g.ow;
        int64_t oy = t % g.oh, b = t / g.oh, arg, cnt, img = g.h * g.w * g.c;
        pool_window(g, x + b * img, oy, ox, c, max, &arg, &cnt);
        float *db = dx + b * img;
        if (max) { atomicAdd(db + arg, dy[e]); continue; }
        float share = dy[e] / (float)cnt;
        for (int64_t i = 0; i < g.kh; i++)
            for (int64_t j = 0; j < g.kw; j++) {
                int64_t y = oy * g.sh - g.pt + i, xx = ox * g.sw - g.pl + j;
                if (y >= 0 && y < g.h && xx >= 0 && xx < g.w) atomicAdd(db + (y * g.w + xx) * g.c + c, share);
            }
    }
}

extern "C" rt_status gconv_pool(rt_device *d, const nn_conv_geom *g, int64_t rows, int max, const void *x, void *y)
{
    int64_t n = rows * g->oh * g->ow * g->c;
    if (n == 0) return RT_OK;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    k_pool<<<ew_blocks(st, n), EW_THREADS, 0, st->stream>>>(*g, rows, max, (const float *)x, (float *)y);
    LAUNCH_CHECK(d, "k_pool");
    return RT_OK;
}

extern "C" rt_status gconv_pool_backward(rt_device *d, const nn_conv_geom *g, int64_t rows, int max, const void *x,
                                         const void *y, const void *dy, void *dx)
{
    (void)y;
    int64_t n = rows * g->oh * g->ow * g->c;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    CU_CHECK(d, cudaMemsetAsync(dx, 0, (size_t)(rows * g->h * g->w * g->c) * sizeof(float), st->stream));
    if (n == 0) return RT_OK;
    k_pool_backward<<<ew_blocks(st, n), EW_THREADS, 0, st->stream>>>(*g, rows, max, (const float *)x,
                                                                      (const float *)dy, (float *)dx);
    LAUNCH_CHECK(d, "k_pool_backward");
    return RT_OK;
}

/* ---- batch normalisation: one block per channel ------------------------------------------ */

#define BN_THREADS 256

__device__ __forceinline__ double block_sum_d(double v, double *sh)
{
    v = warp_sum_d(v);
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) sh[w] = v;
    __syncthreads();
    double t = 0;
    for (int k = 0; k < BN_THREADS / 32; k++) t += sh[k];
    return t;
}

__global__ void k_bn_forward(int64_t n, int64_t C, const float *x, float *y, const float *gamma, const float *beta,
                             const float *mm, const float *mv, double eps, int training, float *stats, float *dm,
                             float *dv, double f)
{
    __shared__ double sh[BN_THREADS / 32];
    int64_t c = blockIdx.x;
    double mean, var;
    if (training) {
        double s = 0;
        for (int64_t r = threadIdx.x; r < n; r += blockDim.x) s += x[r * C + c];
        mean = block_sum_d(s, sh) / (double)n;
        double q = 0;
        for (int64_t r = threadIdx.x; r < n; r += blockDim.x) { double t = x[r * C + c] - mean; q += t * t; }
        var = block_sum_d(q, sh) / (double)n;
        if (threadIdx.x == 0) { dm[c] = (float)(f * (mean - mm[c])); dv[c] = (float)(f * (var - mv[c])); }
    } else {
        mean = mm[c];
        var = mv[c];
    }
    float m = (float)mean, inv = (float)(1.0 / sqrt(var + eps));
    if (threadIdx.x == 0) { stats[c] = m; stats[C + c] = inv; }
    float g = gamma ? gamma[c] : 1.f, b = beta ? beta[c] : 0.f;
    for (int64_t r = threadIdx.x; r < n; r += blockDim.x) y[r * C + c] = (x[r * C + c] - m) * inv * g + b;
}

__global__ void k_bn_backward(int64_t n, int64_t C, const float *x, const float *dy, float *dx, const float *gamma,
                              const float *stats, float *dg, float *db, int training)
{
    __shared__ double sh[BN_THREADS / 32];
    int64_t c = blockIdx.x;
    float m = stats[c], inv = stats[C + c];
    double a = 0, b = 0;
    for (int64_t r = threadIdx.x; r < n; r += blockDim.x) {
        double g = dy[r * C + c];
        a += g;
        b += g * (double)((x[r * C + c] - m) * inv);
    }
    double sdy = block_sum_d(a, sh), sdyx = block_sum_d(b, sh);
    if (threadIdx.x == 0) {
        if (dg) dg[c] = (float)sdyx;
        if (db) db[c] = (float)sdy;
    }
    if (!dx) return;
    float k = (gamma ? gamma[c] : 1.f) * inv, mdy = (float)(sdy / (double)n), mdyx = (float)(sdyx / (double)n);
    for (int64_t r = threadIdx.x; r < n; r += blockDim.x) {
        float g = dy[r * C + c];
        if (training) g -= mdy + (x[r * C + c] - m) * inv * mdyx;
        dx[r * C + c] = k * g;
    }
}

extern "C" rt_status gconv_bn_forward(rt_device *d, int64_t n, int64_t c, const void *x, void *y, const void *gamma,
                                      const void *beta, const void *mm, const void *mv, double eps, int training,
                                      void *stats, void *dm, void *dv, double f)
{
    if (c == 0) return RT_OK;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    k_bn_forward<<<(unsigned)c, BN_THREADS, 0, st->stream>>>(n, c, (const float *)x, (float *)y, (const float *)gamma,
        (const float *)beta, (const float *)mm, (const float *)mv, eps, training, (float *)stats, (float *)dm,
        (float *)dv, f);
    LAUNCH_CHECK(d, "k_bn_forward");
    return RT_OK;
}

extern "C" rt_status gconv_bn_backward(rt_device *d, int64_t n, int64_t c, const void *x, const void *dy, void *dx,
                                       const void *gamma, const void *stats, void *dg, void *db, int training)
{
    if (c == 0) return RT_OK;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    k_bn_backward<<<(unsigned)c, BN_THREADS, 0, st->stream>>>(n, c, (const float *)x, (const float *)dy, (float *)dx,
        (const float *)gamma, (const float *)stats, (float *)dg, (float *)db, training);
    LAUNCH_CHECK(d, "k_bn_backward");
    return RT_OK;
}

/* ---- transpose ------------------------------------------------------------------------ */

__global__ void k_transpose(float *dst, const float *src, int64_t rows, int64_t cols)
{
    GRID_STRIDE(e, rows * cols) {
        int64_t c = e / rows, r = e - c * rows;
        dst[e] = src[r * cols + c];
    }
}

extern "C" rt_status gconv_transpose(rt_device *d, void *dst, const void *src, int64_t rows, int64_t cols)
{
    if (rows * cols == 0) return RT_OK;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    k_transpose<<<ew_blocks(st, rows * cols), EW_THREADS, 0, st->stream>>>((float *)dst, (const float *)src, rows, cols);
    LAUNCH_CHECK(d, "k_transpose");
    return RT_OK;
}
