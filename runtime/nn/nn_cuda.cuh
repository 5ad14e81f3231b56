/* nn_cuda.cuh — device functions shared by the training kernels
 * (kernels.cu) and the fused tiny-model step (fused.cu): activations,
 * per-row softmax and loss on one warp, and the optimizer update of one
 * element. Each mirrors the CPU reference in kernels_cpu_tmpl.h. */
#ifndef CGPU_NN_CUDA_CUH
#define CGPU_NN_CUDA_CUH

#include <math.h>
#include "cuda/cuda_common.cuh"
#include "nn_internal.h"

#define NN_WARP 32

__device__ __forceinline__ float nn_act(float z, int act)
{
    switch (act) {
    case NN_ACT_RELU: return z > 0.f ? z : 0.f;
    case NN_ACT_SIGMOID: return 1.f / (1.f + expf(-z));
    case NN_ACT_TANH: return tanhf(z);
    default: return z;
    }
}

/* derivative given the activation's output a (not for softmax) */
__device__ __forceinline__ float nn_act_grad(float da, float a, int act)
{
    switch (act) {
    case NN_ACT_RELU: return a > 0.f ? da : 0.f;
    case NN_ACT_SIGMOID: return da * a * (1.f - a);
    case NN_ACT_TANH: return da * (1.f - a * a);
    default: return da;
    }
}

__device__ __forceinline__ float warp_sum(float v)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ double warp_sum_d(double v)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ float warp_max(float v)
{
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
/* first index of the maximum (as the CPU's strict > scan) */
__device__ __forceinline__ int warp_argmax(float v, int i)
{
    for (int o = 16; o > 0; o >>= 1) {
        float ov = __shfl_xor_sync(0xffffffffu, v, o);
        int oi = __shfl_xor_sync(0xffffffffu, i, o);
        if (ov > v || (ov == v && oi < i)) { v = ov; i = oi; }
    }
    return i;
}

/* softmax of one row in place, by one warp */
__device__ __forceinline__ void nn_softmax_row(float *row, const float *bias, int64_t cols, int lane)
{
    float mx = -INFINITY;
    for (int64_t c = lane; c < cols; c += NN_WARP) {
        float z = row[c] + (bias ? bias[c] : 0.f);
        row[c] = z;
        mx = fmaxf(mx, z);
    }
    mx = warp_max(mx);
    float s = 0.f;
    for (int64_t c = lane; c < cols; c += NN_WARP) { float e = expf(row[c] - mx); row[c] = e; s += e; }
    s = warp_sum(s);
    for (int64_t c = lane; c < cols; c += NN_WARP) row[c] /= s;
    __syncwarp();
}

/* dz = a * (da - sum(da * a)) for one row, by one warp (dz may alias da) */
__device__ __forceinline__ void nn_softmax_grad_row(float *dz, const float *da, const float *a, int64_t cols, int lane)
{
    float dot = 0.f;
    for (int64_t c = lane; c < cols; c += NN_WARP) dot += da[c] * a[c];
    dot = warp_sum(dot);
    __syncwarp();
    for (int64_t c = lane; c < cols; c += NN_WARP) dz[c] = a[c] * (da[c] - dot);
    __syncwarp();
}

__device__ __forceinline__ double nn_clipd(double v) { return v < NN_EPS ? NN_EPS : v > 1.0 - NN_EPS ? 1.0 - NN_EPS : v; }
__device__ __forceinline__ int nn_in_clip(double v) { return v >= NN_EPS && v <= 1.0 - NN_EPS; }

/* Loss settings passed by value to the kernels. */
typedef struct {
    int    loss, fused, nmetrics;
    int    mk[NN_MAX_METRICS];
    int64_t cols, ycols;
    double sc;        /* gradient scale */
} nn_loss_cfg;

/* One row's loss (returned), metric values (m[], lane 0) and gradient
 * (g may be NULL), computed by one warp. */
__device__ __forceinline__ double nn_row_loss(const nn_loss_cfg &c, const float *p, const float *y, float *g,
                                              double *m, int lane)
{
    const int64_t C = c.cols;
    double l = 0;
    switch (c.loss) {
    case NN_LOSS_MSE:
    case NN_LOSS_MAE:
        for (int64_t j = lane; j < C; j += NN_WARP) {
            double df = (double)p[j] - (double)y[j];
            if (c.loss == NN_LOSS_MSE) {
                l += df * df;
                if (g) g[j] = (float)(2.0 * df / (double)C * c.sc);
            } else {
                l += fabs(df);
                if (g) g[j] = (float)((df > 0 ? 1.0 : df < 0 ? -1.0 : 0.0) / (double)C * c.sc);
            }
        }
        l = warp_sum_d(l) / (double)C;
        break;
    case NN_LOSS_BCE:
        for (int64_t j = lane; j < C; j += NN_WARP) {
            double pj = p[j], yj = y[j], pc = nn_clipd(pj);
            l += -(yj * log(pc) + (1.0 - yj) * log(1.0 - pc));
            if (g) {
                if (c.fused) g[j] = (float)((pj - yj) / (double)C * c.sc);
                else g[j] = (float)(nn_in_clip(pj) ? (-(yj / pj) + (1.0 - yj) / (1.0 - pj)) / (double)C * c.sc : 0.0);
            }
        }
        l = warp_sum_d(l) / (double)C;
        break;
    case NN_LOSS_CCE: {
        double S = 0, ys = 0;
        for (int64_t j = lane; j < C; j += NN_WARP) { S += p[j]; ys += y[j]; }
        S = warp_sum_d(S);
        ys = warp_sum_d(ys);
        double dot = 0;
        for (int64_t j = lane; j < C; j += NN_WARP) {
            double q = p[j] / S;
            l -= (double)y[j] * log(nn_clipd(q));
            if (g && !c.fused) dot += (nn_in_clip(q) ? -(double)y[j] / q : 0.0) * q;
        }
        l = warp_sum_d(l);
        if (g) {
            dot = warp_sum_d(dot);
            for (int64_t j = lane; j < C; j += NN_WARP) {
                if (c.fused) g[j] = (float)(((double)p[j] * ys - (double)y[j]) * c.sc);
                else {
                    double q = p[j] / S, dj = nn_in_clip(q) ? -(double)y[j] / q : 0.0;
                    g[j] = (float)((dj - dot) / S * c.sc);
                }
            }
        }
        break;
    }
    case NN_LOSS_SCCE: {
        int64_t k = (int64_t)y[0];
        if (k < 0) k = 0;
        if (k >= C) k = C - 1;
        double S = 0;
        for (int64_t j = lane; j < C; j += NN_WARP) S += p[j];
        S = warp_sum_d(S);
        double qk = p[k] / S;
        l = -log(nn_clipd(qk));
        if (g) {
            double dk = nn_in_clip(qk) ? -1.0 / qk : 0.0;
            for (int64_t j = lane; j < C; j += NN_WARP) {
                if (c.fused) g[j] = (float)(((double)p[j] - (j == k ? 1.0 : 0.0)) * c.sc);
                else g[j] = (float)(((j == k ? dk : 0.0) - dk * qk) / S * c.sc);
            }
        }
        break;
    }
    default: break;
    }
    for (int q = 0; q < c.nmetrics; q++) {
        double v = 0;
        switch (c.mk[q]) {
        case NN_MK_BINARY_ACC:
            for (int64_t j = lane; j < C; j += NN_WARP) v += ((p[j] > 0.5f ? 1.0 : 0.0) == (double)y[j]);
            v = warp_sum_d(v) / (double)C;
            break;
        case NN_MK_CAT_ACC:
        case NN_MK_SPARSE_ACC: {
            float bv = -INFINITY;
            int bi = 0x7fffffff;
            for (int64_t j = lane; j < C; j += NN_WARP) if (p[j] > bv || bi == 0x7fffffff) { bv = p[j]; bi = (int)j; }
            int pa = warp_argmax(bv, bi);
            if (c.mk[q] == NN_MK_SPARSE_ACC) v = (double)pa == (double)y[0];
            else {
                float yv = -INFINITY;
                int yi = 0x7fffffff;
                for (int64_t j = lane; j < c.ycols; j += NN_WARP) if (y[j] > yv || yi == 0x7fffffff) { yv = y[j]; yi = (int)j; }
                v = pa == warp_argmax(yv, yi);
            }
            break;
        }
        case NN_MK_MAE:
            for (int64_t j = lane; j < C; j += NN_WARP) v += fabs((double)p[j] - (double)y[j]);
            v = warp_sum_d(v) / (double)C;
            break;
        case NN_MK_MSE:
            for (int64_t j = lane; j < C; j += NN_WARP) { double df = (double)p[j] - (double)y[j]; v += df * df; }
            v = warp_sum_d(v) / (double)C;
            break;
        }
        m[q] = v;
    }
    return l;
}

/* Optimizer constants for one step (computed on the host in double). */
typedef struct {
    int   kind;
    float lr, alpha, b1c, b2c, eps, momentum, rho;
} nn_opt_cfg;

static inline nn_opt_cfg nn_opt_make(const nn_step_args *s)
{
    nn_opt_cfg c;
    const nn_optimizer *o = &s->opt;
    c.kind = o->kind;
    c.lr = (float)o->learning_rate;
    c.alpha = (float)nn_adam_step_size(o->learning_rate, o->beta_1, o->beta_2, s->t);
    c.b1c = (float)(1.0 - o->beta_1);
    c.b2c = (float)(1.0 - o->beta_2);
    c.eps = (float)o->epsilon;
    c.momentum = (float)o->momentum;
    c.rho = (float)o->rho;
    return c;
}

/* Keras 3's update of element i (same float operations as the CPU) */
__device__ __forceinline__ void nn_opt_update(const nn_opt_cfg &c, float *p, const float *g, float *s1, float *s2,
                                              int64_t i)
{
    float gi = g[i];
    switch (c.kind) {
    case NN_OPT_ADAM: {
        float m = s1[i] + (gi - s1[i]) * c.b1c;
        float v = s2[i] + (gi * gi - s2[i]) * c.b2c;
        s1[i] = m;
        s2[i] = v;
        p[i] -= m * c.alpha / (sqrtf(v) + c.eps);
        break;
    }
    case NN_OPT_SGD:
        if (c.momentum != 0.f) { float m = s1[i] * c.momentum - gi * c.lr; s1[i] = m; p[i] += m; }
        else p[i] -= gi * c.lr;
        break;
    case NN_OPT_RMSPROP: {
        float v = c.rho * s1[i] + (1.f - c.rho) * gi * gi;
        s1[i] = v;
        p[i] -= c.lr * gi / sqrtf(v + c.eps);
        break;
    }
    }
}

#endif
