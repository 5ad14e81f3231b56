/* fused.cu — the whole training step of a small model as ONE kernel.
 *
 * For tiny models (the celsius tutorial: 2 parameters, 8 samples) a step is
 * a few hundred floating-point operations and the cost on a GPU is entirely
 * launch and dependency latency: gather, matmul, bias, loss, three backward
 * products, optimizer = 8+ launches per step. Here one thread block keeps
 * the batch, every layer's activations and the gradient buffers in shared
 * memory, and does gather -> forward -> loss (+ metrics into the device
 * accumulators) -> backward -> optimizer step with __syncthreads between
 * phases: one launch per step. The loops mirror the CPU reference
 * (kernels_cpu_tmpl.h); the row-wise parts (softmax, loss) use the same
 * warp functions as kernels.cu.
 *
 * Used when the step fits one block comfortably (nn_gpu_fused_smem): the
 * shared-memory plan fits 96 KB and the step is small enough (a few
 * MFLOP) that one SM beats a dozen launches across the GPU.
 */
#include "nn_cuda.cuh"

#define FUSED_THREADS 256
#define FUSED_MAX_SMEM (96 * 1024)
#define FUSED_MAX_FLOPS 4.0e6

typedef struct {
    int64_t x, act[NN_FUSED_MAX_LAYERS], y, g[2], total;   /* float offsets in shared memory */
} fused_layout;

static int64_t fused_plan(const nn_fused_desc *d, int64_t rows, fused_layout *L)
{
    int64_t o = 0, maxf = d->in_features;
    L->x = o;
    o += rows * d->in_features;
    int64_t prev = L->x;
    for (int i = 0; i < d->nlayers; i++) {
        if (d->l[i].kind == NN_LAYER_FLATTEN) L->act[i] = prev;
        else { L->act[i] = o; o += rows * d->l[i].out; }
        prev = L->act[i];
        if (d->l[i].out > maxf) maxf = d->l[i].out;
    }
    L->y = o;
    o += rows * d->ycols;
    L->g[0] = o;
    o += rows * maxf;
    L->g[1] = o;
    o += rows * maxf;
    L->total = o;
    return o;
}

extern "C" size_t nn_gpu_fused_smem(const nn_fused_desc *d, int64_t rows)
{
    if (rows <= 0 || rows > 4096 || d->nlayers > NN_FUSED_MAX_LAYERS) return 0;
    double flops = 0;
    for (int i = 0; i < d->nlayers; i++) {
        if (d->l[i].kind == NN_LAYER_DENSE) flops += 6.0 * (double)rows * (double)d->l[i].in * (double)d->l[i].out;
        if (d->l[i].kind != NN_LAYER_DENSE && d->l[i].kind != NN_LAYER_ACTIVATION && d->l[i].kind != NN_LAYER_DROPOUT &&
            d->l[i].kind != NN_LAYER_FLATTEN) return 0;
    }
    if (flops > FUSED_MAX_FLOPS || d->flat > (1 << 17)) return 0;
    fused_layout L;
    size_t bytes = (size_t)fused_plan(d, rows, &L) * sizeof(float);
    return bytes <= FUSED_MAX_SMEM ? (bytes ? bytes : sizeof(float)) : 0;
}

__device__ __forceinline__ void act_rows_backward(float *g, const float *a, int64_t R, int64_t cols, int act,
                                                  int tid, int nth, int lane, int w, int nw)
{
    if (act == NN_ACT_SOFTMAX) {
        for (int64_t r = w; r < R; r += nw) nn_softmax_grad_row(g + r * cols, g + r * cols, a + r * cols, cols, lane);
    } else {
        for (int64_t e = tid; e < R * cols; e += nth) g[e] = nn_act_grad(g[e], a[e], act);
    }
}

__global__ void __launch_bounds__(FUSED_THREADS)
k_fused_step(nn_fused_desc D, fused_layout L, nn_fused_args A, nn_loss_cfg lc, nn_opt_cfg oc)
{
    extern __shared__ float sm[];
    __shared__ double part[FUSED_THREADS / 32][1 + NN_MAX_METRICS];
    const int tid = threadIdx.x, nth = blockDim.x, lane = tid & 31, w = tid >> 5, nw = nth >> 5;
    const int64_t R = A.rows, IN = D.in_features;
    float *X = sm + L.x, *Y = sm + L.y;

    /* gather the shard's rows */
    for (int64_t e = tid; e < R * IN; e += nth) {
        int64_t r = e / IN, c = e - r * IN;
        X[e] = A.x[(int64_t)A.idx[r] * IN + c];
    }
    for (int64_t e = tid; e < R * D.ycols; e += nth) {
        int64_t r = e / D.ycols, c = e - r * D.ycols;
        Y[e] = A.y[(int64_t)A.idx[r] * D.ycols + c];
    }
    __syncthreads();

    /* forward */
    const float *in = X;
    for (int i = 0; i < D.nlayers; i++) {
        const nn_fused_layer &l = D.l[i];
        float *out = sm + L.act[i];
        const int64_t n = R * l.out;
        if (l.kind == NN_LAYER_DENSE) {
            const float *W = A.params + l.w_off, *b = l.b_off >= 0 ? A.params + l.b_off : NULL;
            for (int64_t e = tid; e < n; e += nth) {
                int64_t r = e / l.out, j = e - r * l.out;
                const float *xr = in + r * l.in;
                float s = 0.f;
                for (int64_t k = 0; k < l.in; k++) s += xr[k] * W[k * l.out + j];
                if (b) s += b[j];
                out[e] = l.act == NN_ACT_SOFTMAX ? s : nn_act(s, l.act);
            }
        } else if (l.kind == NN_LAYER_ACTIVATION) {
            for (int64_t e = tid; e < n; e += nth) out[e] = l.act == NN_ACT_SOFTMAX ? in[e] : nn_act(in[e], l.act);
        } else if (l.kind == NN_LAYER_DROPOUT) {
            float scale = (float)(1.0 / (1.0 - l.rate));
            for (int64_t e = tid; e < n; e += nth) {
                int64_t r = e / l.out, c = e - r * l.out;
                out[e] = l.rate <= 0 ? in[e]
                       : nn_dropout_keep(A.seed, A.salt * 64 + (uint64_t)i, A.row0 + r, c, l.rate) ? in[e] * scale : 0.f;
            }
        }
        __syncthreads();
        if ((l.kind == NN_LAYER_DENSE || l.kind == NN_LAYER_ACTIVATION) && l.act == NN_ACT_SOFTMAX) {
            for (int64_t r = w; r < R; r += nw) nn_softmax_row(out + r * l.out, NULL, l.out, lane);
            __syncthreads();
        }
        in = out;
    }

    /* loss, metrics and d loss / d output (or d logits for a fused tail) */
    float *G0 = sm + L.g[0];
    double ls = 0, ms[NN_MAX_METRICS] = {0, 0, 0, 0};
    for (int64_t r = w; r < R; r += nw) {
        double m[NN_MAX_METRICS];
        ls += nn_row_loss(lc, in + r * lc.cols, Y + r * lc.ycols, G0 + r * lc.cols, m, lane);
        for (int q = 0; q < lc.nmetrics; q++) ms[q] += m[q];
    }
    if (lane == 0) {
        part[w][0] = ls;
        for (int q = 0; q < lc.nmetrics; q++) part[w][1 + q] = ms[q];
    }
    __syncthreads();
    if (tid == 0 && A.acc) {
        for (int q = 0; q <= lc.nmetrics; q++) {
            double s = 0;
            for (int k = 0; k < nw; k++) s += part[k][q];
            A.acc[q] += s;
        }
    }

    /* backward */
    int first = D.nlayers;
    for (int i = 0; i < D.nlayers; i++) if (D.l[i].kind == NN_LAYER_DENSE) { first = i; break; }
    int cur = 0;
    for (int i = D.nlayers - 1; i >= first; i--) {
        const nn_fused_layer &l = D.l[i];
        const int tail = D.fused_tail && i == D.nlayers - 1;
        float *g = sm + L.g[cur];
        const float *aout = sm + L.act[i], *ain = i ? sm + L.act[i - 1] : X;
        if (l.kind == NN_LAYER_DENSE) {
            if (!tail && l.act != NN_ACT_LINEAR) {
                act_rows_backward(g, aout, R, l.out, l.act, tid, nth, lane, w, nw);
                __syncthreads();
            }
            const float *W = A.params + l.w_off;
            float *dW = A.grads + l.w_off;
            for (int64_t e = tid; e < l.in * l.out; e += nth) {
                int64_t k = e / l.out, j = e - k * l.out;
                float s = 0.f;
                for (int64_t r = 0; r < R; r++) s += ain[r * l.in + k] * g[r * l.out + j];
                dW[e] = s;
            }
            if (l.b_off >= 0)
                for (int64_t j = tid; j < l.out; j += nth) {
                    float s = 0.f;
                    for (int64_t r = 0; r < R; r++) s += g[r * l.out + j];
                    A.grads[l.b_off + j] = s;
                }
            if (i > first) {
                float *gn = sm + L.g[cur ^ 1];
                for (int64_t e = tid; e < R * l.in; e += nth) {
                    int64_t r = e / l.in, k = e - r * l.in;
                    float s = 0.f;
                    for (int64_t j = 0; j < l.out; j++) s += g[r * l.out + j] * W[k * l.out + j];
                    gn[e] = s;
                }
                cur ^= 1;
            }
            __syncthreads();
        } else if (l.kind == NN_LAYER_ACTIVATION) {
            if (!tail) {
                act_rows_backward(g, aout, R, l.out, l.act, tid, nth, lane, w, nw);
                __syncthreads();
            }
        } else if (l.kind == NN_LAYER_DROPOUT && l.rate > 0) {
            float scale = (float)(1.0 / (1.0 - l.rate));
            for (int64_t e = tid; e < R * l.out; e += nth) {
                int64_t r = e / l.out, c = e - r * l.out;
                g[e] = nn_dropout_keep(A.seed, A.salt * 64 + (uint64_t)i, A.row0 + r, c, l.rate) ? g[e] * scale : 0.f;
            }
            __syncthreads();
        }
    }

    /* the optimizer step over the flat buffer (gradients written above by
     * this block; __syncthreads made them visible) */
    if (A.update) {
        __syncthreads();
        for (int64_t i = tid; i < D.flat; i += nth) nn_opt_update(oc, A.params, A.grads, A.s1, A.s2, i);
    }
}

extern "C" rt_status nn_gpu_fused_step(rt_device *d, const nn_fused_desc *desc, const nn_fused_args *a)
{
    size_t bytes = nn_gpu_fused_smem(desc, a->rows);
    if (!bytes) return rt_set_error(RT_EVALUE, "internal: the fused step does not fit this model");
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    static int raised[64];
    if (bytes > 48 * 1024 && st->physical < 64 && !raised[st->physical]) {
        CU_CHECK(d, cudaFuncSetAttribute(k_fused_step, cudaFuncAttributeMaxDynamicSharedMemorySize, FUSED_MAX_SMEM));
        raised[st->physical] = 1;
    }
    fused_layout L;
    fused_plan(desc, a->rows, &L);
    nn_loss_cfg lc;
    lc.loss = desc->loss;
    lc.fused = desc->fused_tail;
    lc.nmetrics = desc->nmetrics;
    for (int q = 0; q < NN_MAX_METRICS; q++) lc.mk[q] = q < desc->nmetrics ? (int)desc->mk[q] : 0;
    lc.cols = desc->out_features;
    lc.ycols = desc->ycols;
    lc.sc = a->grad_scale;
    nn_opt_cfg oc = nn_opt_make(&a->step);
    k_fused_step<<<1, FUSED_THREADS, bytes, st->stream>>>(*desc, L, *a, lc, oc);
    LAUNCH_CHECK(d, "k_fused_step");
    return RT_OK;
}
