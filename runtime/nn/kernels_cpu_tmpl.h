/* kernels_cpu_tmpl.h — the CPU reference kernels of the training loop,
 * written once for a REAL type and included by kernels_cpu.c for float and
 * double (FN(x) names each instance). Plain loops, in the order that keeps
 * memory access sequential; accumulations of losses in double. These are
 * the reference the CUDA kernels are checked against. */

/* ---- matrix product -------------------------------------------------------------- */

/* Small products inline (no allocation, no threads); large ones through the
 * backend's blocked, threaded matmul. */
static rt_status FN(gemm)(rt_device *d, int ta, int tb, int64_t m, int64_t n, int64_t k,
                          const void *Av, const void *Bv, void *Cv)
{
    if ((double)m * (double)n * (double)k >= 65536.0)
        return d->backend->matmul(d, FN_DTYPE, 1, m, n, k, Av, 0, ta, Bv, 0, tb, Cv, 0);
    const REAL *A = Av, *B = Bv;
    REAL *C = Cv;
    if (!ta && !tb) {                  /* C[i][:] = sum_p A[i][p] B[p][:] */
        for (int64_t i = 0; i < m; i++) {
            REAL *c = C + i * n;
            for (int64_t j = 0; j < n; j++) c[j] = 0;
            for (int64_t p = 0; p < k; p++) {
                REAL a = A[i * k + p];
                const REAL *b = B + p * n;
                for (int64_t j = 0; j < n; j++) c[j] += a * b[j];
            }
        }
    } else if (ta && !tb) {            /* A stored (k, m): C[i][:] += A[p][i] B[p][:] */
        for (int64_t i = 0; i < m * n; i++) C[i] = 0;
        for (int64_t p = 0; p < k; p++) {
            const REAL *b = B + p * n;
            for (int64_t i = 0; i < m; i++) {
                REAL a = A[p * m + i];
                REAL *c = C + i * n;
                for (int64_t j = 0; j < n; j++) c[j] += a * b[j];
            }
        }
    } else if (!ta && tb) {            /* B stored (n, k): dot products of rows */
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                REAL s = 0;
                const REAL *a = A + i * k, *b = B + j * k;
                for (int64_t p = 0; p < k; p++) s += a[p] * b[p];
                C[i * n + j] = s;
            }
    } else {                           /* both transposed (unused by the layers) */
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                REAL s = 0;
                for (int64_t p = 0; p < k; p++) s += A[p * m + i] * B[j * k + p];
                C[i * n + j] = s;
            }
    }
    return RT_OK;
}

/* ---- data ------------------------------------------------------------------------- */

static rt_status FN(gather_rows)(rt_device *d, void *dstv, const void *srcv, int64_t cols,
                                 const int32_t *idx, int64_t rows)
{
    REAL *dst = dstv;
    const REAL *src = srcv;
    for (int64_t r = 0; r < rows; r++)
        memcpy(dst + r * cols, src + (int64_t)idx[r] * cols, (size_t)cols * sizeof(REAL));
    return RT_OK;
}

static rt_status FN(add)(rt_device *d, void *dstv, const void *av, const void *bv, int64_t count)
{
    REAL *dst = dstv;
    const REAL *a = av, *b = bv;
    for (int64_t i = 0; i < count; i++) dst[i] = a[i] + b[i];
    return RT_OK;
}

/* ---- activations -------------------------------------------------------------------- */

static rt_status FN(bias_act)(rt_device *d, void *zv, const void *biasv, int64_t rows, int64_t cols,
                              nn_activation act)
{
    REAL *z = zv;
    const REAL *b = biasv;
    for (int64_t r = 0; r < rows; r++) {
        REAL *row = z + r * cols;
        if (b) for (int64_t c = 0; c < cols; c++) row[c] += b[c];
        switch (act) {
        case NN_ACT_RELU:    for (int64_t c = 0; c < cols; c++) row[c] = row[c] > 0 ? row[c] : 0; break;
        case NN_ACT_SIGMOID: for (int64_t c = 0; c < cols; c++) row[c] = (REAL)1 / ((REAL)1 + EXP(-row[c])); break;
        case NN_ACT_TANH:    for (int64_t c = 0; c < cols; c++) row[c] = TANH(row[c]); break;
        case NN_ACT_SOFTMAX: {
            REAL mx = row[0], s = 0;
            for (int64_t c = 1; c < cols; c++) if (row[c] > mx) mx = row[c];
            for (int64_t c = 0; c < cols; c++) { row[c] = EXP(row[c] - mx); s += row[c]; }
            for (int64_t c = 0; c < cols; c++) row[c] /= s;
            break;
        }
        default: break;
        }
    }
    return RT_OK;
}

static rt_status FN(act_backward)(rt_device *d, void *dzv, const void *dav, const void *av,
                                  int64_t rows, int64_t cols, nn_activation act)
{
    REAL *dz = dzv;
    const REAL *da = dav, *a = av;
    int64_t n = rows * cols;
    switch (act) {
    case NN_ACT_LINEAR:  if (dz != da) memmove(dz, da, (size_t)n * sizeof(REAL)); break;
    case NN_ACT_RELU:    for (int64_t i = 0; i < n; i++) dz[i] = a[i] > 0 ? da[i] : 0; break;
    case NN_ACT_SIGMOID: for (int64_t i = 0; i < n; i++) dz[i] = da[i] * a[i] * ((REAL)1 - a[i]); break;
    case NN_ACT_TANH:    for (int64_t i = 0; i < n; i++) dz[i] = da[i] * ((REAL)1 - a[i] * a[i]); break;
    case NN_ACT_SOFTMAX:
        for (int64_t r = 0; r < rows; r++) {
            const REAL *ar = a + r * cols, *gr = da + r * cols;
            REAL dot = 0;
            for (int64_t c = 0; c < cols; c++) dot += gr[c] * ar[c];
            REAL *o = dz + r * cols;
            for (int64_t c = 0; c < cols; c++) o[c] = ar[c] * (gr[c] - dot);
        }
        break;
    default: break;
    }
    return RT_OK;
}

static rt_status FN(col_sum)(rt_device *d, void *outv, const void *dzv, int64_t rows, int64_t cols)
{
    REAL *out = outv;
    const REAL *dz = dzv;
    for (int64_t c = 0; c < cols; c++) out[c] = 0;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) out[c] += dz[r * cols + c];
    return RT_OK;
}

static rt_status FN(dropout)(rt_device *d, void *outv, const void *inv, int64_t rows, int64_t cols,
                             int64_t row0, double rate, uint64_t seed, uint64_t salt)
{
    REAL *out = outv;
    const REAL *in = inv;
    REAL scale = (REAL)(1.0 / (1.0 - rate));
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) {
            int64_t i = r * cols + c;
            out[i] = nn_dropout_keep(seed, salt, row0 + r, c, rate) ? in[i] * scale : 0;
        }
    return RT_OK;
}

/* ---- loss and metrics ------------------------------------------------------------------ */

static int64_t FN(argmax)(const REAL *p, int64_t n)
{
    int64_t best = 0;
    for (int64_t j = 1; j < n; j++) if (p[j] > p[best]) best = j;
    return best;
}

#ifndef NN_TMPL_SECOND
/* Keras clips probabilities to [eps, 1 - eps]; the clip passes gradients
 * only inside that range (tf.clip_by_value's gradient). */
static double clipd(double v) { return v < NN_EPS ? NN_EPS : v > 1.0 - NN_EPS ? 1.0 - NN_EPS : v; }
static int in_clip(double v) { return v >= NN_EPS && v <= 1.0 - NN_EPS; }
#endif

static rt_status FN(loss)(rt_device *d, const nn_loss_args *a)
{
    const REAL *P = a->pred, *Y = a->y;
    REAL *G = a->grad;
    const int64_t C = a->cols;
    const double sc = a->grad_scale;
    double lsum = 0, msum[NN_MAX_METRICS] = {0};
    for (int64_t r = 0; r < a->rows; r++) {
        const REAL *p = P + r * C, *y = Y + r * a->ycols;
        REAL *g = G ? G + r * C : NULL;
        double l = 0;
        switch (a->loss) {
        case NN_LOSS_MSE:
            for (int64_t j = 0; j < C; j++) {
                double df = (double)p[j] - (double)y[j];
                l += df * df;
                if (g) g[j] = (REAL)(2.0 * df / (double)C * sc);
            }
            l /= (double)C;
            break;
        case NN_LOSS_MAE:
            for (int64_t j = 0; j < C; j++) {
                double df = (double)p[j] - (double)y[j];
                l += fabs(df);
                if (g) g[j] = (REAL)((df > 0 ? 1.0 : df < 0 ? -1.0 : 0.0) / (double)C * sc);
            }
            l /= (double)C;
            break;
        case NN_LOSS_BCE:
            for (int64_t j = 0; j < C; j++) {
                double pj = p[j], yj = y[j], pc = clipd(pj);
                l += -(yj * log(pc) + (1.0 - yj) * log(1.0 - pc));
                if (g) {
                    if (a->fused) g[j] = (REAL)((pj - yj) / (double)C * sc);
                    else g[j] = (REAL)(in_clip(pj) ? (-(yj / pj) + (1.0 - yj) / (1.0 - pj)) / (double)C * sc : 0.0);
                }
            }
            l /= (double)C;
            break;
        case NN_LOSS_CCE: {
            double S = 0, ysum = 0;
            for (int64_t j = 0; j < C; j++) { S += p[j]; ysum += y[j]; }
            double dot = 0;
            for (int64_t j = 0; j < C; j++) {
                double q = p[j] / S;
                l -= (double)y[j] * log(clipd(q));
                if (g && !a->fused) dot += (in_clip(q) ? -(double)y[j] / q : 0.0) * q;
            }
            if (g) for (int64_t j = 0; j < C; j++) {
                if (a->fused) g[j] = (REAL)(((double)p[j] * ysum - (double)y[j]) * sc);
                else {
                    double q = p[j] / S, dj = in_clip(q) ? -(double)y[j] / q : 0.0;
                    g[j] = (REAL)((dj - dot) / S * sc);
                }
            }
            break;
        }
        case NN_LOSS_SCCE: {
            int64_t c = (int64_t)y[0];
            if (c < 0) c = 0;
            if (c >= C) c = C - 1;
            double S = 0;
            for (int64_t j = 0; j < C; j++) S += p[j];
            double qc = p[c] / S;
            l = -log(clipd(qc));
            if (g) {
                double dc = in_clip(qc) ? -1.0 / qc : 0.0;
                for (int64_t j = 0; j < C; j++) {
                    if (a->fused) g[j] = (REAL)(((double)p[j] - (j == c ? 1.0 : 0.0)) * sc);
                    else g[j] = (REAL)(((j == c ? dc : 0.0) - dc * qc) / S * sc);
                }
            }
            break;
        }
        default: break;
        }
        lsum += l;
        for (int k = 0; k < a->nmetrics; k++) {
            double v = 0;
            switch (a->mk[k]) {
            case NN_MK_BINARY_ACC:
                for (int64_t j = 0; j < C; j++) v += ((p[j] > (REAL)0.5 ? 1.0 : 0.0) == (double)y[j]);
                v /= (double)C;
                break;
            case NN_MK_CAT_ACC:    v = FN(argmax)(p, C) == FN(argmax)(y, a->ycols); break;
            case NN_MK_SPARSE_ACC: v = (double)FN(argmax)(p, C) == (double)y[0]; break;
            case NN_MK_MAE:
                for (int64_t j = 0; j < C; j++) v += fabs((double)p[j] - (double)y[j]);
                v /= (double)C;
                break;
            case NN_MK_MSE:
                for (int64_t j = 0; j < C; j++) { double df = (double)p[j] - (double)y[j]; v += df * df; }
                v /= (double)C;
                break;
            }
            msum[k] += v;
        }
    }
    if (a->acc) {
        a->acc[0] += lsum;
        for (int k = 0; k < a->nmetrics; k++) a->acc[1 + k] += msum[k];
    }
    return RT_OK;
}

/* ---- optimizers (Keras 3's update rules) --------------------------------------------- */

static rt_status FN(optimizer)(rt_device *d, const nn_step_args *s, void *pv, const void *gv,
                               void *s1v, void *s2v, int64_t count)
{
    REAL *p = pv, *s1 = s1v, *s2 = s2v;
    const REAL *g = gv;
    const nn_optimizer *o = &s->opt;
    const REAL lr = (REAL)o->learning_rate;
    switch (o->kind) {
    case NN_OPT_ADAM: {
        REAL alpha = (REAL)nn_adam_step_size(o->learning_rate, o->beta_1, o->beta_2, s->t);
        REAL b1 = (REAL)(1.0 - o->beta_1), b2 = (REAL)(1.0 - o->beta_2), eps = (REAL)o->epsilon;
        for (int64_t i = 0; i < count; i++) {
            REAL gi = g[i];
            s1[i] += (gi - s1[i]) * b1;
            s2[i] += (gi * gi - s2[i]) * b2;
            p[i] -= s1[i] * alpha / (SQRT(s2[i]) + eps);
        }
        break;
    }
    case NN_OPT_SGD:
        if (o->momentum != 0.0) {
            REAL mom = (REAL)o->momentum;
            for (int64_t i = 0; i < count; i++) { s1[i] = s1[i] * mom - g[i] * lr; p[i] += s1[i]; }
        } else {
            for (int64_t i = 0; i < count; i++) p[i] -= g[i] * lr;
        }
        break;
    case NN_OPT_RMSPROP: {
        REAL rho = (REAL)o->rho, eps = (REAL)o->epsilon;
        for (int64_t i = 0; i < count; i++) {
            s1[i] = rho * s1[i] + ((REAL)1 - rho) * g[i] * g[i];
            p[i] -= lr * g[i] / SQRT(s1[i] + eps);
        }
        break;
    }
    default:
        return rt_set_error(RT_EVALUE, "unknown optimizer");
    }
    return RT_OK;
}

#include "conv_cpu_tmpl.h"

static const nn_ops FN(ops) = {
    .dtype = FN_DTYPE,
    .gemm = FN(gemm),
    .gather_rows = FN(gather_rows),
    .bias_act = FN(bias_act),
    .act_backward = FN(act_backward),
    .col_sum = FN(col_sum),
    .dropout = FN(dropout),
    .loss = FN(loss),
    .optimizer = FN(optimizer),
    .add = FN(add),
    .im2col = FN(im2col),
    .col2im = FN(col2im),
    .pool = FN(pool),
    .pool_backward = FN(pool_backward),
    .bn_forward = FN(bn_forward),
    .bn_backward = FN(bn_backward),
    .transpose = FN(transpose),
};
