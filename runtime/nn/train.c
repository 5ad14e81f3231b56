/* train.c — fit, evaluate, predict and the one-batch gradient, written once
 * above the kernel tables (nn_ops) of each replica's device.
 *
 * One training step over a global batch of b rows:
 *   every replica r takes its shard (b / R rows, the first b % R replicas one
 *   more; a shard may be empty), gathers the rows through the epoch's
 *   permutation, runs forward, the loss (its gradient scaled by 1/b, the
 *   GLOBAL batch) and backward into its flat gradient buffer; then the
 *   gradients are summed across replicas (one all-reduce over the flat
 *   buffer) and every replica applies the same optimizer step. With one
 *   replica this is exactly Keras's step; with R it computes the same sum
 *   in another order.
 * No host synchronisation per step: the loss and metric sums accumulate on
 * the device (per epoch, in a ring of slots) and are read once per epoch
 * when a progress callback wants them, else when the ring is full and at
 * the end of fit. Small models on a GPU run each step as one fused kernel.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn_internal.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- datasets ----------------------------------------------------------------------- */

/* x (and y) made available on every replica's device, converted to the
 * model's dtype. Owned by the function that prepared it (data_free). */
typedef struct {
    int64_t      n, xcols, ycols;
    const void **x, **y;      /* per replica: base of row 0 */
    void       **own;         /* per replica device allocations (x then y) to free: 2 per replica */
    void        *host;        /* host conversion buffers (x, y) */
    void        *host_y;
    int          nrep;
} nn_data;

static void data_free(nn_model *m, nn_data *d)
{
    if (d->own)
        for (int r = 0; r < d->nrep; r++)
            for (int k = 0; k < 2; k++)
                if (d->own[2 * r + k]) rt_device_free(m->rep[r].dev, d->own[2 * r + k]);
    free(d->own);
    free(d->x);
    free(d->y);
    free(d->host);
    free(d->host_y);
    memset(d, 0, sizeof *d);
}

static int same_memory(const rt_device *a, const rt_device *b)
{
    if (rt_device_kind_of(a) != rt_device_kind_of(b)) return 0;
    if (rt_device_kind_of(a) == RT_CPU) return 1;
    return rt_device_physical_index(a) == rt_device_physical_index(b);
}

/* Places `count` rows of host data (model dtype) on every replica. */
static rt_status place_host(nn_model *m, nn_data *d, int which, void *host, int64_t elems)
{
    size_t bytes = (size_t)elems * rt_dtype_size(m->dtype);
    for (int r = 0; r < m->nrep; r++) {
        rt_device *dev = m->rep[r].dev;
        const void **dst = which ? d->y : d->x;
        if (rt_device_kind_of(dev) == RT_CPU) { dst[r] = host; continue; }
        void *p = rt_device_alloc(dev, bytes ? bytes : 1);
        if (!p) return rt_error_code() ? rt_error_code() : RT_EOOM;
        d->own[2 * r + which] = p;
        rt_status st = dev->backend->copy_from_host(dev, p, host, bytes);
        if (st) return st;
        dst[r] = p;
    }
    return RT_OK;
}

static rt_status check_x_shape(nn_model *m, const rt_array *x, int64_t *fshape, int *fnd)
{
    if (x->ndim < 1) return rt_set_error(RT_EVALUE, "model inputs must have a batch axis; got a scalar");
    if (x->ndim == 1) { fshape[0] = 1; *fnd = 1; }
    else { *fnd = x->ndim - 1; memcpy(fshape, x->shape + 1, (size_t)*fnd * sizeof *fshape); }
    if (!m->built) return nn_model_build(m, fshape, *fnd);
    int ok = *fnd == m->in_ndim;
    for (int i = 0; ok && i < *fnd; i++) ok = fshape[i] == m->in_shape[i];
    if (!ok) {
        char want[96], got[96];
        int64_t ws[RT_MAX_DIMS];
        ws[0] = -1;
        memcpy(ws + 1, m->in_shape, (size_t)m->in_ndim * sizeof *ws);
        rt_format_shape(m->in_shape, m->in_ndim, want, sizeof want);
        rt_format_shape(x->shape, x->ndim, got, sizeof got);
        const nn_layer *l0 = m->nlayers ? m->layers[0] : NULL;
        if (l0 && l0->kind >= NN_LAYER_CONV2D && *fnd == m->in_ndim && fshape[*fnd - 1] != m->in_shape[*fnd - 1])
            /* Keras names the first layer when the channels differ */
            return rt_set_error(RT_EVALUE, "Input 0 of layer \"%s\" is incompatible with the layer: expected axis -1 "
                                "of input shape to have value %lld, but received input with shape (None, %s",
                                l0->name, (long long)m->in_shape[*fnd - 1], got + 1 + strcspn(got + 1, ",") + 2);
        return rt_set_error(RT_EVALUE, "Input of model '%s' is incompatible: expected inputs of shape (None, %s), "
                            "got an array of shape %s", m->name, want + 1, got);
    }
    return RT_OK;
}

/* Prepares x (and y when given) for the model: builds the model from x's
 * shape when needed, checks shapes, labels and cardinality. */
static rt_status data_prepare(nn_model *m, const rt_array *x, const rt_array *y, nn_data *d)
{
    memset(d, 0, sizeof *d);
    int64_t fshape[RT_MAX_DIMS];
    int fnd;
    rt_status st = check_x_shape(m, x, fshape, &fnd);
    if (st) return st;
    d->nrep = m->nrep;
    d->n = x->shape[0];
    d->xcols = m->in_features;
    d->x = calloc((size_t)m->nrep, sizeof *d->x);
    d->y = calloc((size_t)m->nrep, sizeof *d->y);
    d->own = calloc((size_t)(2 * m->nrep), sizeof *d->own);
    if (!d->x || !d->y || !d->own) { data_free(m, d); return rt_set_error(RT_EOOM, "out of host memory"); }

    if (y) {
        int64_t ny = y->ndim >= 1 ? y->shape[0] : 1;
        if (ny != d->n) {
            data_free(m, d);
            return rt_set_error(RT_EVALUE, "Data cardinality is ambiguous. Make sure all arrays contain the same "
                                "number of samples. 'x' sizes: %lld, 'y' sizes: %lld", (long long)d->n, (long long)ny);
        }
    }

    /* x: borrowed when it already is contiguous in the model's dtype on
     * memory the replica can read; converted through the host otherwise */
    int borrow = x->dtype == m->dtype && rt_array_is_contiguous(x);
    for (int r = 0; borrow && r < m->nrep; r++) borrow = same_memory(x->device, m->rep[r].dev);
    if (borrow) {
        rt_view v = rt_view_of(x);
        int other = 0;
        for (int r = 0; r < m->nrep; r++) { d->x[r] = v.data; other |= m->rep[r].dev != x->device; }
        /* the array was produced on its own device's stream */
        if (other && rt_device_kind_of(x->device) == RT_GPU && (st = rt_synchronize(x->device))) goto fail;
    } else {
        size_t bytes = (size_t)x->size * rt_dtype_size(m->dtype);
        if (!(d->host = malloc(bytes ? bytes : 1))) { st = rt_set_error(RT_EOOM, "out of host memory"); goto fail; }
        if ((st = rt_to_host(x, m->dtype, d->host))) goto fail;
        if ((st = place_host(m, d, 0, d->host, x->size))) goto fail;
    }

    if (y) {
        int64_t per = d->n ? y->size / d->n : 0;
        if (m->compiled && m->loss == NN_LOSS_SCCE) {
            if (d->n && per != 1) {
                char ys[96];
                rt_format_shape(y->shape, y->ndim, ys, sizeof ys);
                st = rt_set_error(RT_EVALUE, "sparse_categorical_crossentropy expects integer class indices of shape "
                                  "(n,) or (n, 1); got y of shape %s", ys);
                goto fail;
            }
            d->ycols = 1;
        } else {
            int ok = (y->ndim == 1 && m->out_features == 1) || (y->ndim >= 2 && per == m->out_features);
            if (!ok && d->n) {
                char ys[96], os[96];
                int64_t osh[2] = {-1, m->out_features};
                rt_format_shape(y->shape, y->ndim, ys, sizeof ys);
                rt_format_shape(osh, 2, os, sizeof os);
                st = rt_set_error(RT_EVALUE, "Arguments `target` and `output` must have the same shape. "
                                  "Received: target.shape=%s, output.shape=(None, %lld)", ys, (long long)m->out_features);
                goto fail;
            }
            d->ycols = m->out_features;
        }
        size_t bytes = (size_t)y->size * rt_dtype_size(m->dtype);
        if (!(d->host_y = malloc(bytes ? bytes : 1))) { st = rt_set_error(RT_EOOM, "out of host memory"); goto fail; }
        if ((st = rt_to_host(y, m->dtype, d->host_y))) goto fail;
        if (m->compiled && m->loss == NN_LOSS_SCCE) {
            for (int64_t i = 0; i < y->size; i++) {
                double v = m->dtype == RT_FLOAT64 ? ((double *)d->host_y)[i] : ((float *)d->host_y)[i];
                if (!(v >= 0 && v < (double)m->out_features) || v != floor(v)) {
                    st = rt_set_error(RT_EVALUE, "Received a label value of %g which is outside the valid range of "
                                      "[0, %lld). Label values must be integer class indices.", v,
                                      (long long)m->out_features);
                    goto fail;
                }
            }
        }
        if ((st = place_host(m, d, 1, d->host_y, y->size))) goto fail;
    }
    return RT_OK;
fail:
    data_free(m, d);
    return st;
}

/* ---- per-replica buffers for one call -------------------------------------------------- */

static rt_status ensure_acc(nn_model *m, int64_t count)
{
    for (int r = 0; r < m->nrep; r++) {
        nn_replica *rp = &m->rep[r];
        if (rp->acc_count >= count) continue;
        if (rp->acc) rt_device_free(rp->dev, rp->acc);
        rp->acc = rt_device_alloc(rp->dev, (size_t)count * sizeof(double));
        rp->acc_count = rp->acc ? count : 0;
        if (!rp->acc) return rt_error_code() ? rt_error_code() : RT_EOOM;
    }
    return RT_OK;
}

static rt_status ensure_idx(nn_model *m, int64_t count)
{
    for (int r = 0; r < m->nrep; r++) {
        nn_replica *rp = &m->rep[r];
        if (rp->idx_count >= count) continue;
        if (rp->idx) rt_device_free(rp->dev, rp->idx);
        rp->idx = rt_device_alloc(rp->dev, (size_t)(count > 0 ? count : 1) * sizeof(int32_t));
        rp->idx_count = rp->idx ? count : 0;
        if (!rp->idx) return rt_error_code() ? rt_error_code() : RT_EOOM;
    }
    return RT_OK;
}

static rt_status upload_idx(nn_model *m, int64_t at, const int32_t *host, int64_t count)
{
    for (int r = 0; r < m->nrep; r++) {
        rt_device *d = m->rep[r].dev;
        rt_status st = d->backend->copy_from_host(d, m->rep[r].idx + at, host, (size_t)count * sizeof(int32_t));
        if (st) return st;
    }
    return RT_OK;
}

static rt_status upload_identity(nn_model *m, int64_t n)
{
    int32_t *h = malloc((size_t)(n > 0 ? n : 1) * sizeof *h);
    if (!h) return rt_set_error(RT_EOOM, "out of host memory");
    for (int64_t i = 0; i < n; i++) h[i] = (int32_t)i;
    rt_status st = upload_idx(m, 0, h, n);
    free(h);
    return st;
}

static rt_status zero_acc(nn_model *m, int64_t at, int64_t count)
{
    for (int r = 0; r < m->nrep; r++) {
        rt_status st = nn_dev_zero(m->rep[r].dev, m->rep[r].acc + at, RT_FLOAT64, count);
        if (st) return st;
    }
    return RT_OK;
}

/* Sums acc[at .. at+count) over replicas into out (synchronises). */
static rt_status read_acc(nn_model *m, int64_t at, int64_t count, double *out)
{
    double tmp[256];
    double *t = count <= 256 ? tmp : malloc((size_t)count * sizeof *t);
    if (!t) return rt_set_error(RT_EOOM, "out of host memory");
    for (int64_t i = 0; i < count; i++) out[i] = 0;
    rt_status st = RT_OK;
    for (int r = 0; r < m->nrep && st == RT_OK; r++) {
        rt_device *d = m->rep[r].dev;
        st = d->backend->copy_to_host(d, t, m->rep[r].acc + at, (size_t)count * sizeof(double));
        for (int64_t i = 0; st == RT_OK && i < count; i++) out[i] += t[i];
    }
    if (t != tmp) free(t);
    return st;
}

/* ---- logging (set_log_device_placement) ---------------------------------------------- */

static void log_op(const nn_model *m, int r, const char *scope, const char *op)
{
    char name[192];
    if (m->strategy) snprintf(name, sizeof name, "replica_%d/%s/%s", r, scope, op);
    else snprintf(name, sizeof name, "%s/%s", scope, op);
    rt_log_op(name, m->rep[r].dev);
}

static const char *act_op(nn_activation a)
{
    static const char *const n[NN_ACT_COUNT] = {"Identity", "Relu", "Sigmoid", "Tanh", "Softmax"};
    return (unsigned)a < NN_ACT_COUNT ? n[a] : "?";
}

static const char *loss_op(nn_loss l)
{
    static const char *const n[NN_LOSS_COUNT] = {
        "MeanSquaredError", "MeanAbsoluteError", "BinaryCrossentropy", "CategoricalCrossentropy",
        "SparseCategoricalCrossentropy"};
    return (unsigned)l < NN_LOSS_COUNT ? n[l] : "?";
}

static const char *opt_op(nn_optimizer_kind k)
{
    return k == NN_OPT_ADAM ? "ResourceApplyAdam" : k == NN_OPT_SGD ? "ResourceApplyGradientDescent"
                                                                    : "ResourceApplyRMSProp";
}

static void log_forward(const nn_model *m, int r, int training)
{
    for (int i = 0; i < m->nlayers; i++) {
        const nn_layer *l = m->layers[i];
        if (l->kind == NN_LAYER_DENSE) {
            log_op(m, r, l->name, "MatMul");
            if (l->use_bias) log_op(m, r, l->name, "BiasAdd");
            if (l->act != NN_ACT_LINEAR) log_op(m, r, l->name, act_op(l->act));
        } else if (l->kind == NN_LAYER_CONV2D) {
            log_op(m, r, l->name, "Conv2D");
            if (l->use_bias) log_op(m, r, l->name, "BiasAdd");
            if (l->act != NN_ACT_LINEAR) log_op(m, r, l->name, act_op(l->act));
        } else if (l->kind == NN_LAYER_MAXPOOL2D) log_op(m, r, l->name, "MaxPool");
        else if (l->kind == NN_LAYER_AVGPOOL2D) log_op(m, r, l->name, "AvgPool");
        else if (l->kind == NN_LAYER_GLOBAL_MAXPOOL2D) log_op(m, r, l->name, "Max");
        else if (l->kind == NN_LAYER_GLOBAL_AVGPOOL2D) log_op(m, r, l->name, "Mean");
        else if (l->kind == NN_LAYER_BATCHNORM) log_op(m, r, l->name, "FusedBatchNormV3");
        else if (l->kind == NN_LAYER_ACTIVATION) log_op(m, r, l->name, act_op(l->act));
        else if (l->kind == NN_LAYER_DROPOUT && training) log_op(m, r, l->name, "Dropout");
    }
}

static void log_step(const nn_model *m, int r, int fused)
{
    if (fused) { log_op(m, r, "train_step", "FusedTrainStep"); return; }
    log_forward(m, r, 1);
    log_op(m, r, "loss", loss_op(m->loss));
    for (int i = m->nlayers - 1; i >= 0; i--)
        if (m->layers[i]->kind == NN_LAYER_DENSE) log_op(m, r, m->layers[i]->name, "MatMulGrad");
        else if (m->layers[i]->kind == NN_LAYER_CONV2D) log_op(m, r, m->layers[i]->name, "Conv2DBackpropFilter");
}

/* ---- forward / backward on one replica ------------------------------------------------- */

typedef struct {
    int      training;
    int64_t  row0;        /* position of the shard's first row in the epoch (dropout masks) */
    uint64_t seed, salt;  /* dropout */
    double   share;       /* this shard's fraction of the global batch (moving statistics) */
} pass_info;

static void *param_at(const nn_model *m, void *flat, int64_t off)
{
    return (char *)flat + (size_t)off * rt_dtype_size(m->dtype);
}

/* layer i's dropout salt: the step's salt mixed with the layer index */
static uint64_t layer_salt(uint64_t salt, int i) { return salt * 64 + (uint64_t)i; }

/* BatchNormalization's tensors in a flat buffer (NULL when absent) */
typedef struct { void *gamma, *beta, *mean, *var; } bn_tensors;
static bn_tensors bn_of(const nn_model *m, const nn_layer *l, void *flat)
{
    bn_tensors t = {NULL, NULL, NULL, NULL};
    int k = 0;
    if (l->scale) t.gamma = param_at(m, flat, l->w[k++].off);
    if (l->center) t.beta = param_at(m, flat, l->w[k++].off);
    t.mean = param_at(m, flat, l->w[k++].off);
    t.var = param_at(m, flat, l->w[k].off);
    return t;
}

static void *bn_stats(const nn_model *m, const nn_replica *rp, const nn_layer *l)
{
    return (char *)nn_ws_stats(m, rp) + (size_t)l->stats_off * rt_dtype_size(m->dtype);
}

static rt_status forward(nn_model *m, nn_replica *rp, int64_t rows, const pass_info *pi)
{
    const nn_ops *k = rp->ops;
    rt_device *d = rp->dev;
    const void *in = nn_ws_act(m, rp, -1);
    rt_status st = RT_OK;
    for (int i = 0; i < m->nlayers && st == RT_OK; i++) {
        const nn_layer *l = m->layers[i];
        void *out = nn_ws_act(m, rp, i);
        switch (l->kind) {
        case NN_LAYER_DENSE:
            st = k->gemm(d, 0, 0, rows, l->units, l->in_features, in, param_at(m, rp->params, l->w_off), out);
            if (st == RT_OK && (l->use_bias || l->act != NN_ACT_LINEAR))
                st = k->bias_act(d, out, l->use_bias ? param_at(m, rp->params, l->b_off) : NULL, rows, l->units, l->act);
            break;
        case NN_LAYER_ACTIVATION:
            st = nn_dev_copy(d, out, in, m->dtype, rows * l->out_features);
            if (st == RT_OK) st = k->bias_act(d, out, NULL, rows, l->out_features, l->act);
            break;
        case NN_LAYER_DROPOUT:
            if (pi->training && l->rate > 0)
                st = k->dropout(d, out, in, rows, l->out_features, pi->row0, l->rate, pi->seed, layer_salt(pi->salt, i));
            else
                st = nn_dev_copy(d, out, in, m->dtype, rows * l->out_features);
            break;
        case NN_LAYER_CONV2D: {
            /* im2col, then (rows * oh * ow, kh * kw * c) @ (kh * kw * c, filters):
             * the product is the channels-last output itself */
            const nn_conv_geom *g = &l->geom;
            void *cols = NULL;
            int64_t pix = rows * g->oh * g->ow;
            int done = k->conv_forward ? k->conv_forward(d, g, rows, in, param_at(m, rp->params, l->w_off), out,
                                                         nn_ws_kernel_t(m, rp)) : 0;
            if (done < 0) st = rt_error_code();
            else if (!done) st = (cols = nn_ws_scratch(m, rp)) ? k->im2col(d, g, rows, in, cols) : rt_error_code();
            if (st == RT_OK && !done)
                st = k->gemm(d, 0, 0, pix, g->oc, g->kh * g->kw * g->c, cols, param_at(m, rp->params, l->w_off), out);
            if (st == RT_OK && (l->use_bias || l->act != NN_ACT_LINEAR))
                st = k->bias_act(d, out, l->use_bias ? param_at(m, rp->params, l->b_off) : NULL, pix, g->oc, l->act);
            break;
        }
        case NN_LAYER_MAXPOOL2D: case NN_LAYER_AVGPOOL2D:
        case NN_LAYER_GLOBAL_MAXPOOL2D: case NN_LAYER_GLOBAL_AVGPOOL2D:
            st = k->pool(d, &l->geom, rows, l->kind == NN_LAYER_MAXPOOL2D || l->kind == NN_LAYER_GLOBAL_MAXPOOL2D, in, out);
            break;
        case NN_LAYER_BATCHNORM: {
            bn_tensors t = bn_of(m, l, rp->params);
            bn_tensors dt = bn_of(m, l, rp->grads);
            int64_t c = l->out_shape[l->out_ndim - 1];
            st = k->bn_forward(d, rows * l->out_features / c, c, in, out, t.gamma, t.beta, t.mean, t.var, l->epsilon,
                               pi->training, bn_stats(m, rp, l), dt.mean, dt.var, pi->share * (1.0 - l->momentum));
            break;
        }
        default:   /* Flatten, Reshape: same memory */
            break;
        }
        in = out;
    }
    return st;
}

/* dL/d(last output) (or d/d logits for a fused tail) is in gradient buffer
 * 0; writes the flat gradients. */
static rt_status backward(nn_model *m, nn_replica *rp, int64_t rows, const pass_info *pi, int fused_tail)
{
    const nn_ops *k = rp->ops;
    rt_device *d = rp->dev;
    int cur = 0;
    int first_param = m->nlayers;   /* the first layer with weights: no dX below it */
    for (int i = 0; i < m->nlayers; i++) if (m->layers[i]->nw) { first_param = i; break; }
    rt_status st = RT_OK;
    for (int i = m->nlayers - 1; i >= first_param && st == RT_OK; i--) {
        const nn_layer *l = m->layers[i];
        int tail = fused_tail && i == m->nlayers - 1;
        void *g = nn_ws_grad(m, rp, cur);
        switch (l->kind) {
        case NN_LAYER_DENSE:
            if (!tail && l->act != NN_ACT_LINEAR)
                st = k->act_backward(d, g, g, nn_ws_act(m, rp, i), rows, l->units, l->act);
            if (st == RT_OK)
                st = k->gemm(d, 1, 0, l->in_features, l->units, rows, nn_ws_act(m, rp, i - 1), g,
                             param_at(m, rp->grads, l->w_off));
            if (st == RT_OK && l->use_bias) st = k->col_sum(d, param_at(m, rp->grads, l->b_off), g, rows, l->units);
            if (st == RT_OK && i > first_param) {
                st = k->gemm(d, 0, 1, rows, l->in_features, l->units, g, param_at(m, rp->params, l->w_off),
                             nn_ws_grad(m, rp, cur ^ 1));
                cur ^= 1;
            }
            break;
        case NN_LAYER_CONV2D: {
            const nn_conv_geom *g2 = &l->geom;
            int64_t pix = rows * g2->oh * g2->ow, K = g2->kh * g2->kw * g2->c;
            void *cols = NULL;
            if (!tail && l->act != NN_ACT_LINEAR)
                st = k->act_backward(d, g, g, nn_ws_act(m, rp, i), pix, g2->oc, l->act);
            if (st == RT_OK && l->use_bias) st = k->col_sum(d, param_at(m, rp->grads, l->b_off), g, pix, g2->oc);
            int done = st == RT_OK && k->conv_backward
                ? k->conv_backward(d, g2, rows, nn_ws_act(m, rp, i - 1), g, param_at(m, rp->params, l->w_off),
                                   param_at(m, rp->grads, l->w_off), i > first_param ? nn_ws_grad(m, rp, cur ^ 1) : NULL,
                                   nn_ws_kernel_t(m, rp))
                : 0;
            if (done < 0) { st = rt_error_code(); break; }
            if (done) {
                if (i > first_param) cur ^= 1;
                break;
            }
            /* the scratch held later layers' windows: rebuild this one's */
            if (st == RT_OK && !(cols = nn_ws_scratch(m, rp))) st = rt_error_code();
            if (st == RT_OK) st = k->im2col(d, g2, rows, nn_ws_act(m, rp, i - 1), cols);
            /* dW = windowsᵀ·dY, computed as (dYᵀ·windows)ᵀ: the product
             * transposes the narrow dY rather than every window */
            if (st == RT_OK) st = k->gemm(d, 1, 0, g2->oc, K, pix, g, cols, nn_ws_kernel_t(m, rp));
            if (st == RT_OK) st = k->transpose(d, param_at(m, rp->grads, l->w_off), nn_ws_kernel_t(m, rp), g2->oc, K);
            if (st == RT_OK && i > first_param) {
                st = k->gemm(d, 0, 1, pix, K, g2->oc, g, param_at(m, rp->params, l->w_off), cols);
                if (st == RT_OK) st = k->col2im(d, g2, rows, cols, nn_ws_grad(m, rp, cur ^ 1));
                cur ^= 1;
            }
            break;
        }
        case NN_LAYER_MAXPOOL2D: case NN_LAYER_AVGPOOL2D:
        case NN_LAYER_GLOBAL_MAXPOOL2D: case NN_LAYER_GLOBAL_AVGPOOL2D:
            st = k->pool_backward(d, &l->geom, rows, l->kind == NN_LAYER_MAXPOOL2D || l->kind == NN_LAYER_GLOBAL_MAXPOOL2D,
                                  nn_ws_act(m, rp, i - 1), nn_ws_act(m, rp, i), g, nn_ws_grad(m, rp, cur ^ 1));
            cur ^= 1;
            break;
        case NN_LAYER_BATCHNORM: {
            bn_tensors t = bn_of(m, l, rp->params), dt = bn_of(m, l, rp->grads);
            int64_t c = l->out_shape[l->out_ndim - 1];
            st = k->bn_backward(d, rows * l->out_features / c, c, nn_ws_act(m, rp, i - 1), g,
                                i > first_param ? nn_ws_grad(m, rp, cur ^ 1) : NULL, t.gamma, bn_stats(m, rp, l),
                                dt.gamma, dt.beta, pi->training);
            if (i > first_param) cur ^= 1;
            if (st == RT_OK && !pi->training) {   /* no moving-statistic update outside training */
                st = nn_dev_zero(d, dt.mean, m->dtype, c);
                if (st == RT_OK) st = nn_dev_zero(d, dt.var, m->dtype, c);
            }
            break;
        }
        case NN_LAYER_ACTIVATION:
            if (!tail) st = k->act_backward(d, g, g, nn_ws_act(m, rp, i), rows, l->out_features, l->act);
            break;
        case NN_LAYER_DROPOUT:
            if (pi->training && l->rate > 0)
                st = k->dropout(d, g, g, rows, l->out_features, pi->row0, l->rate, pi->seed, layer_salt(pi->salt, i));
            break;
        default:
            break;
        }
    }
    return st;
}

/* ---- the step ------------------------------------------------------------------------- */

/* Everything one fit (or one gradient computation) needs per step. */
typedef struct {
    nn_data       *data;
    int64_t        perm_at;     /* index (in rp->idx) of the epoch's first row */
    int64_t        batch;       /* the nominal global batch size */
    int            fused_tail;
    nn_metric_kind mk[NN_MAX_METRICS];
    int            use_fused;   /* GPU fused step possible for full shards */
    nn_fused_desc  fdesc;
    uint64_t       seed;
    int            dropout;     /* Dropout layers active (training) */
    int            log;
} step_ctx;

static void shard(int64_t b, int nrep, int r, int64_t *rows, int64_t *off)
{
    int64_t base = b / nrep, rem = b % nrep;
    *rows = base + (r < rem ? 1 : 0);
    *off = r * base + (r < rem ? r : rem);
}

/* One training step over global batch [pos, pos + b) of the epoch, the
 * loss sums going to acc slot acc_at. With `update`, the optimizer step
 * follows (iteration m->t + 1). `salt` selects the dropout masks. */
static rt_status train_step(nn_model *m, step_ctx *c, int64_t pos, int64_t b, int64_t acc_at, int update,
                            uint64_t salt)
{
    rt_status st = RT_OK;
    int64_t iter = m->t + 1;
    int did_fused_update = 0;
    for (int r = 0; r < m->nrep && st == RT_OK; r++) {
        nn_replica *rp = &m->rep[r];
        int64_t rows, off;
        shard(b, m->nrep, r, &rows, &off);
        if (rows == 0) {   /* an empty shard contributes zero gradients */
            st = nn_dev_zero(rp->dev, rp->grads, m->dtype, m->flat);
            continue;
        }
        const int32_t *idx = rp->idx + c->perm_at + pos + off;
        if (c->use_fused && rt_device_kind_of(rp->dev) == RT_GPU && nn_gpu_fused_smem(&c->fdesc, rows) > 0) {
            nn_fused_args fa;
            memset(&fa, 0, sizeof fa);
            fa.params = rp->params; fa.grads = rp->grads; fa.s1 = rp->s1; fa.s2 = rp->s2;
            fa.x = c->data->x[r]; fa.y = c->data->y[r]; fa.idx = idx;
            fa.rows = rows; fa.row0 = pos + off;
            fa.grad_scale = 1.0 / (double)b;
            fa.acc = rp->acc + acc_at;
            fa.update = update && m->nrep == 1;
            fa.step.opt = m->opt; fa.step.t = iter;
            fa.seed = c->seed; fa.salt = salt;
            if (c->log) log_step(m, r, 1);
            st = nn_gpu_fused_step(rp->dev, &c->fdesc, &fa);
            did_fused_update = fa.update;
            continue;
        }
        const nn_ops *k = rp->ops;
        if ((st = k->gather_rows(rp->dev, nn_ws_act(m, rp, -1), c->data->x[r], m->in_features, idx, rows))) break;
        if ((st = k->gather_rows(rp->dev, nn_ws_y(m, rp), c->data->y[r], c->data->ycols, idx, rows))) break;
        pass_info pi = {c->dropout, pos + off, c->seed, salt, (double)rows / (double)b};
        if (c->log) log_step(m, r, 0);
        if ((st = forward(m, rp, rows, &pi))) break;
        nn_loss_args la;
        memset(&la, 0, sizeof la);
        la.loss = m->loss;
        la.fused = c->fused_tail;
        la.pred = nn_ws_act(m, rp, m->nlayers - 1);
        la.y = nn_ws_y(m, rp);
        la.rows = rows; la.cols = m->out_features; la.ycols = c->data->ycols;
        la.grad_scale = 1.0 / (double)b;
        la.grad = nn_ws_grad(m, rp, 0);
        la.acc = rp->acc + acc_at;
        la.nmetrics = m->nmetrics;
        memcpy(la.mk, c->mk, sizeof la.mk);
        if ((st = k->loss(rp->dev, &la))) break;
        st = backward(m, rp, rows, &pi, c->fused_tail);
    }
    if (st) return st;
    if (m->nrep > 1) {
        void *bufs[64];
        void **bp = m->nrep <= 64 ? bufs : malloc((size_t)m->nrep * sizeof *bp);
        if (!bp) return rt_set_error(RT_EOOM, "out of host memory");
        for (int r = 0; r < m->nrep; r++) bp[r] = m->rep[r].grads;
        if (c->log)
            for (int r = 0; r < m->nrep; r++)
                log_op(m, r, "gradients", m->strategy->kind == NN_COLL_NCCL ? "NcclAllReduce" : "CollectiveReduceV2");
        st = nn_collective_sum(m->strategy, bp, m->flat, m->dtype);
        if (bp != bufs) free(bp);
        if (st) return st;
    }
    if (update) {
        if (!did_fused_update) {
            nn_step_args sa = {m->opt, iter};
            for (int r = 0; r < m->nrep && st == RT_OK; r++) {
                nn_replica *rp = &m->rep[r];
                if (c->log) log_op(m, r, m->opt.kind == NN_OPT_ADAM ? "Adam" : m->opt.kind == NN_OPT_SGD ? "SGD" : "RMSprop",
                                   opt_op(m->opt.kind));
                st = rp->ops->optimizer(rp->dev, &sa, rp->params, rp->grads, rp->s1, rp->s2, m->flat_trainable);
            }
        } else if (c->log) {
            log_op(m, 0, "train_step", opt_op(m->opt.kind));
        }
        /* the moving statistics: their (all-reduced) updates are added, not
         * passed to the optimizer */
        for (int r = 0; r < m->nrep && st == RT_OK && m->flat > m->flat_trainable; r++) {
            nn_replica *rp = &m->rep[r];
            void *p = param_at(m, rp->params, m->flat_trainable);
            if (c->log) log_op(m, r, "batch_normalization", "AssignMovingAvg");
            st = rp->ops->add(rp->dev, p, p, param_at(m, rp->grads, m->flat_trainable), m->flat - m->flat_trainable);
        }
        if (st == RT_OK) m->t = iter;
    }
    return st;
}

/* Forward-only pass of global batch [pos, pos + b) through identity rows
 * starting at `first` (evaluate / validation / predict). Loss and metrics
 * accumulate at acc_at when `with_loss`; predictions are copied into
 * out[r] at *out_at[r] when out is given. */
static rt_status eval_batch(nn_model *m, step_ctx *c, int64_t first, int64_t pos, int64_t b, int with_loss,
                            int64_t acc_at, void **out, int64_t *out_at)
{
    rt_status st = RT_OK;
    for (int r = 0; r < m->nrep && st == RT_OK; r++) {
        nn_replica *rp = &m->rep[r];
        int64_t rows, off;
        shard(b, m->nrep, r, &rows, &off);
        if (rows == 0) continue;
        const int32_t *idx = rp->idx + first + pos + off;
        const nn_ops *k = rp->ops;
        if ((st = k->gather_rows(rp->dev, nn_ws_act(m, rp, -1), c->data->x[r], m->in_features, idx, rows))) break;
        pass_info pi = {0, 0, 0, 0, 0.0};
        if (c->log) log_forward(m, r, 0);
        if ((st = forward(m, rp, rows, &pi))) break;
        if (with_loss) {
            if ((st = k->gather_rows(rp->dev, nn_ws_y(m, rp), c->data->y[r], c->data->ycols, idx, rows))) break;
            nn_loss_args la;
            memset(&la, 0, sizeof la);
            la.loss = m->loss;
            la.fused = c->fused_tail;
            la.pred = nn_ws_act(m, rp, m->nlayers - 1);
            la.y = nn_ws_y(m, rp);
            la.rows = rows; la.cols = m->out_features; la.ycols = c->data->ycols;
            la.acc = rp->acc + acc_at;
            la.nmetrics = m->nmetrics;
            memcpy(la.mk, c->mk, sizeof la.mk);
            st = k->loss(rp->dev, &la);
        }
        if (st == RT_OK && out) {
            int64_t cnt = rows * m->out_features;
            st = nn_dev_copy(rp->dev, (char *)out[r] + (size_t)out_at[r] * rt_dtype_size(m->dtype),
                             nn_ws_act(m, rp, m->nlayers - 1), m->dtype, cnt);
            out_at[r] += cnt;
        }
    }
    return st;
}

static rt_status step_ctx_init(nn_model *m, step_ctx *c, nn_data *data, int64_t batch, int training)
{
    memset(c, 0, sizeof *c);
    c->data = data;
    c->batch = batch;
    c->log = rt_log_device_placement();
    if (m->compiled) {
        c->fused_tail = nn_model_fused_tail(m);
        nn_model_metric_kinds(m, c->mk);
    }
    if (!training || !m->compiled) return RT_OK;
    /* the fused GPU step: only when some replica is a GPU and the model fits */
    int any_gpu = 0;
    for (int r = 0; r < m->nrep; r++) any_gpu |= rt_device_kind_of(m->rep[r].dev) == RT_GPU;
    if (!any_gpu || !m->plain || m->nlayers > NN_FUSED_MAX_LAYERS || getenv("CGPU_NN_NO_FUSED")) return RT_OK;
    nn_fused_desc *f = &c->fdesc;
    f->nlayers = m->nlayers;
    for (int i = 0; i < m->nlayers; i++) {
        const nn_layer *l = m->layers[i];
        f->l[i].kind = l->kind;
        f->l[i].act = l->act;
        f->l[i].in = l->in_features;
        f->l[i].out = l->out_features;
        f->l[i].w_off = l->w_off;
        f->l[i].b_off = l->b_off;
        f->l[i].rate = l->rate;
    }
    f->in_features = m->in_features;
    f->out_features = m->out_features;
    f->ycols = data->ycols;
    f->flat = m->flat;
    f->loss = m->loss;
    f->fused_tail = c->fused_tail;
    f->nmetrics = m->nmetrics;
    memcpy(f->mk, c->mk, sizeof f->mk);
    c->use_fused = 1;
    return RT_OK;
}

/* ---- fit --------------------------------------------------------------------------------- */

void nn_fit_options_init(nn_fit_options *o)
{
    memset(o, 0, sizeof *o);
    o->epochs = 1;
    o->batch_size = 32;
    o->shuffle = 1;
    o->progress_interval = 0.1;
}

/* Fisher-Yates over [0, n) with host random words (rt_seed repeatable). */
static void shuffle_perm(int32_t *p, int64_t n)
{
    for (int64_t i = 0; i < n; i++) p[i] = (int32_t)i;
    if (n < 2) return;
    uint32_t buf[512];
    int64_t have = 0, used = 0;
    for (int64_t i = n - 1; i > 0; i--) {
        if (used + 2 > have) {
            int64_t want = 2 * i < 512 ? 2 * i : 512;
            if (want < 2) want = 2;
            rt_rand_host_u32(buf, (size_t)want);
            have = want;
            used = 0;
        }
        uint64_t u = ((uint64_t)buf[used] << 32) | buf[used + 1];
        used += 2;
        /* multiply-shift: j uniform in [0, i] (bias below 2^-32) */
        uint64_t j = (uint64_t)(((unsigned __int128)u * (unsigned __int128)(uint64_t)(i + 1)) >> 64);
        int32_t t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
}

/* Reads epochs [from, to) from their ring slots into the history (whose
 * value arrays hold *cap epochs; grown by doubling). The epochs lie in one
 * cycle of the ring, so the whole ring (training then validation slots) is
 * read in ONE transfer per replica: a GPU fit synchronises once per ring,
 * not once per epoch. */
static rt_status read_epochs(nn_model *m, nn_history *h, int *cap, int from, int to, int ring, int nl,
                             int64_t val_base, int has_val, int64_t n_train, int64_t n_val)
{
    if (from >= to) return RT_OK;
    if (to > *cap) {
        int nc = *cap;
        while (nc < to) nc *= 2;
        for (int k = 0; k < h->nkeys; k++) {
            double *p = realloc(h->values[k], (size_t)nc * sizeof *p);
            if (!p) return rt_set_error(RT_EOOM, "out of host memory for the training history");
            h->values[k] = p;
        }
        *cap = nc;
    }
    int64_t count = has_val ? 2 * val_base : val_base;
    double *buf = malloc((size_t)count * sizeof *buf);
    if (!buf) return rt_set_error(RT_EOOM, "out of host memory");
    rt_status st = read_acc(m, 0, count, buf);
    for (int q = from; st == RT_OK && q < to; q++) {
        int64_t sl = (int64_t)(q % ring) * nl;
        for (int k = 0; k < nl; k++) {
            h->values[k][q] = buf[sl + k] / (double)n_train;
            if (has_val) h->values[nl + k][q] = n_val ? buf[val_base + sl + k] / (double)n_val : NAN;
        }
        h->epochs = q + 1;
    }
    free(buf);
    return st;
}

static int history_setup(nn_history *h, const nn_model *m, int with_val, int cap)
{
    const char *names[1 + NN_MAX_METRICS];
    int nl = nn_model_log_names(m, names, 1 + NN_MAX_METRICS);
    memset(h, 0, sizeof *h);
    h->nkeys = nl * (with_val ? 2 : 1);
    h->keys = calloc((size_t)h->nkeys, sizeof *h->keys);
    h->values = calloc((size_t)h->nkeys, sizeof *h->values);
    if (!h->keys || !h->values) goto fail;
    for (int k = 0; k < h->nkeys; k++) {
        char buf[64];
        if (k < nl) snprintf(buf, sizeof buf, "%s", names[k]);
        else snprintf(buf, sizeof buf, "val_%s", names[k - nl]);
        h->keys[k] = strdup(buf);
        h->values[k] = calloc((size_t)cap, sizeof(double));
        if (!h->keys[k] || !h->values[k]) goto fail;
    }
    return 0;
fail: /* leaves *h empty: fit's cleanup keeps the model's previous history */
    nn_history_free(h);
    return -1;
}

static rt_status history_copy(nn_history *dst, const nn_history *src)
{
    memset(dst, 0, sizeof *dst);
    dst->nkeys = src->nkeys;
    dst->epochs = src->epochs;
    dst->keys = calloc((size_t)(src->nkeys ? src->nkeys : 1), sizeof *dst->keys);
    dst->values = calloc((size_t)(src->nkeys ? src->nkeys : 1), sizeof *dst->values);
    if (!dst->keys || !dst->values) { nn_history_free(dst); return rt_set_error(RT_EOOM, "out of host memory"); }
    for (int k = 0; k < src->nkeys; k++) {
        dst->keys[k] = strdup(src->keys[k]);
        dst->values[k] = malloc((size_t)(src->epochs > 0 ? src->epochs : 1) * sizeof(double));
        if (!dst->keys[k] || !dst->values[k]) { nn_history_free(dst); return rt_set_error(RT_EOOM, "out of host memory"); }
        memcpy(dst->values[k], src->values[k], (size_t)src->epochs * sizeof(double));
    }
    return RT_OK;
}

/* Evaluation over rows [first, first + n) of `data` (identity order) into
 * acc slot acc_at (zeroed here). */
static rt_status eval_range(nn_model *m, step_ctx *c, int64_t first, int64_t n, int64_t batch, int64_t acc_at)
{
    rt_status st = zero_acc(m, acc_at, 1 + m->nmetrics);
    for (int64_t pos = 0; pos < n && st == RT_OK; pos += batch) {
        int64_t b = n - pos < batch ? n - pos : batch;
        st = eval_batch(m, c, first, pos, b, 1, acc_at, NULL, NULL);
    }
    return st;
}

/* Everything one fit holds between its steps. Owned by nn_model_fit
 * (fit_release frees it). */
typedef struct {
    const nn_fit_options *o;
    const nn_fit_hooks   *hk;         /* NULL: no callbacks */
    nn_data  data, vdata;
    int64_t  batch, n_train, n_val, val_first, steps, ident, chunk, val_base;
    int      has_val, epochs, nl, ring, hist_cap;
    int32_t *perm;
    double  *vals;
    nn_history h;
    step_ctx c, vc;
    const char *names[2 * (1 + NN_MAX_METRICS)];
    int      pending_from;   /* first epoch whose values are still on the device */
    int      completed;      /* epochs fully done (validation included) */
    int64_t  last_rows;      /* rows the last epoch trained on (a stop inside an epoch: fewer) */
} fit_run;

static rt_status fit_check(const nn_model *m, const rt_array *x, const rt_array *y, const nn_fit_options *o)
{
    if (!m->compiled) return rt_set_error(RT_EVALUE, "You must call `compile()` before using the model.");
    if (!x || !y) return rt_set_error(RT_EVALUE, "fit needs both x and y");
    if (o->epochs < 0) return rt_set_error(RT_EVALUE, "epochs must be >= 0, got %d", o->epochs);
    if (!(o->validation_split >= 0.0 && o->validation_split < 1.0))
        return rt_set_error(RT_EVALUE, "`validation_split` must be in [0, 1), got %g", o->validation_split);
    return RT_OK;
}

/* The training and validation data on every replica, and the split. */
static rt_status fit_data(nn_model *m, const rt_array *x, const rt_array *y, fit_run *f)
{
    const nn_fit_options *o = f->o;
    rt_status st = data_prepare(m, x, y, &f->data);
    if (st) return st;
    int64_t n = f->data.n;
    f->n_train = n;
    if (o->val_x && o->val_y) {
        if ((st = data_prepare(m, o->val_x, o->val_y, &f->vdata))) return st;
        f->n_val = f->vdata.n;
        f->has_val = 1;
    } else if (o->validation_split > 0.0) {
        /* Keras: the LAST fraction, taken before shuffling */
        f->n_train = (int64_t)floor((double)n * (1.0 - o->validation_split));
        f->n_val = n - f->n_train;
        f->val_first = f->n_train;
        f->has_val = f->n_val > 0;
    }
    if (f->n_train <= 0)
        return rt_set_error(RT_EVALUE, "Expected input data to be non-empty (after the validation split: %lld of "
                            "%lld samples left for training)", (long long)f->n_train, (long long)n);
    return RT_OK;
}

/* Device buffers, the history and the step contexts. */
static rt_status fit_setup(nn_model *m, fit_run *f)
{
    const nn_fit_options *o = f->o;
    int epochs = f->epochs = o->epochs;
    f->nl = 1 + m->nmetrics;
    f->steps = (f->n_train + f->batch - 1) / f->batch;
    /* anyone who reads each epoch's values gets them per epoch (a ring of 1) */
    int per_epoch = o->progress || (f->hk && (f->hk->epoch_end || f->hk->batch_end));
    f->ring = per_epoch ? 1 : (epochs < 1024 ? (epochs > 0 ? epochs : 1) : 1024);
    f->val_base = (int64_t)f->ring * f->nl;
    f->ident = f->data.n > f->n_val ? f->data.n : f->n_val;
    /* permutations are drawn and uploaded for up to 64K rows at a time
     * (the whole celsius fit in one upload; one epoch at a time for big data) */
    f->chunk = o->shuffle ? (((int64_t)1 << 16) / f->n_train) : 1;
    if (f->chunk < 1) f->chunk = 1;
    if (f->chunk > epochs) f->chunk = epochs > 0 ? epochs : 1;
    int64_t shard_rows = (f->batch + m->nrep - 1) / m->nrep;
    rt_status st;
    if ((st = nn_model_reserve(m, shard_rows))) return st;
    if ((st = nn_model_prepare_slots(m))) return st;
    if ((st = ensure_acc(m, 2 * f->val_base + f->nl))) return st;
    if ((st = ensure_idx(m, f->ident + f->chunk * f->n_train))) return st;
    if ((st = upload_identity(m, f->ident))) return st;
    if ((st = zero_acc(m, 0, 2 * f->val_base))) return st;
    f->hist_cap = epochs < 1024 ? (epochs > 0 ? epochs : 1) : 1024;
    if (history_setup(&f->h, m, f->has_val, f->hist_cap)) return rt_set_error(RT_EOOM, "out of host memory");
    for (int k = 0; k < f->h.nkeys; k++) f->names[k] = f->h.keys[k];
    f->perm = malloc((size_t)(f->chunk * f->n_train) * sizeof *f->perm);
    f->vals = calloc((size_t)(2 * f->val_base + 2 * f->nl), sizeof *f->vals);
    if (!f->perm || !f->vals) return rt_set_error(RT_EOOM, "out of host memory");
    if ((st = step_ctx_init(m, &f->c, &f->data, f->batch, 1))) return st;
    f->c.dropout = 1;
    if ((st = step_ctx_init(m, &f->vc, o->val_x && o->val_y ? &f->vdata : &f->data, f->batch, 0))) return st;
    int has_dropout = 0;
    for (int i = 0; i < m->nlayers; i++) has_dropout |= m->layers[i]->kind == NN_LAYER_DROPOUT;
    if (has_dropout) {
        uint32_t w[2];
        rt_rand_host_u32(w, 2);
        f->c.seed = ((uint64_t)w[0] << 32) | w[1];
    }
    if (!o->shuffle) {
        for (int64_t i = 0; i < f->n_train; i++) f->perm[i] = (int32_t)i;
        if ((st = upload_idx(m, f->ident, f->perm, f->n_train))) return st;
    }
    return RT_OK;
}

static rt_status fit_read_pending(nn_model *m, fit_run *f)
{
    if (f->pending_from >= f->completed) return RT_OK;
    rt_status st = read_epochs(m, &f->h, &f->hist_cap, f->pending_from, f->completed, f->ring, f->nl, f->val_base,
                               f->has_val, f->n_train, f->n_val);
    /* a stop inside the last epoch: its means are over the rows it saw */
    if (st == RT_OK && f->last_rows != f->n_train)
        for (int k = 0; k < f->nl; k++)
            f->h.values[k][f->completed - 1] *= (double)f->n_train / (double)f->last_rows;
    f->pending_from = f->completed;
    return st;
}

/* A hook's answer: stop is raised to 1 for NN_HOOK_STOP; FAIL is an error. */
static rt_status hook_result(int r, int *stop)
{
    if (r == NN_HOOK_FAIL) return rt_set_error(RT_EINTERRUPT, "training stopped by an error in a callback");
    if (r == NN_HOOK_STOP && !*stop) *stop = 1;
    return RT_OK;
}

/* The running means of epoch e over its first `seen` rows, for the
 * progress line and the batch hooks (one device read). */
static rt_status running_logs(nn_model *m, fit_run *f, int slot, int64_t seen)
{
    rt_status st = read_acc(m, (int64_t)slot * f->nl, f->nl, f->vals);
    for (int k = 0; st == RT_OK && k < f->nl; k++) f->vals[k] /= (double)seen;
    return st;
}

/* The steps of epoch e. *stop: 1 stop_training (the epoch ends normally),
 * 2 interrupted or the progress callback asked to stop (it ends here). */
static rt_status fit_steps(nn_model *m, fit_run *f, int e, double t0, int *stop)
{
    const nn_fit_options *o = f->o;
    const nn_fit_hooks *hk = f->hk;
    int slot = e % f->ring;
    double last = t0;
    rt_status st = RT_OK;
    f->last_rows = 0;
    for (int64_t s = 0; s < f->steps; s++) {
        if (rt_interrupted()) { *stop = 2; break; }
        int64_t pos = s * f->batch, b = f->n_train - pos < f->batch ? f->n_train - pos : f->batch;
        if (hk && hk->batch_begin && (st = hook_result(hk->batch_begin(hk->ctx, e, s), stop))) break;
        if ((st = train_step(m, &f->c, pos, b, (int64_t)slot * f->nl, 1, (uint64_t)(m->t + 1)))) break;
        f->last_rows = pos + b;
        if (hk && hk->batch_end) {
            if ((st = running_logs(m, f, slot, pos + b))) break;
            nn_logs lg = {f->nl, f->names, f->vals};
            if ((st = hook_result(hk->batch_end(hk->ctx, e, s, &lg), stop))) break;
        }
        if (*stop) break;
        if (o->progress && o->progress_interval >= 0 && s + 1 < f->steps) {
            double t = now_seconds();
            if (t - last >= o->progress_interval) {
                last = t;
                if ((st = running_logs(m, f, slot, pos + b))) break;
                nn_progress p = {e, f->epochs, s + 1, f->steps, 0, t - t0, f->nl, f->names, f->vals};
                if (o->progress(o->progress_ctx, &p)) { *stop = 2; break; }
            }
        }
    }
    return st;
}

/* One epoch: shuffle, steps, validation, then the epoch's values to the
 * history when someone reads them now (or the ring is full). */
static rt_status fit_epoch(nn_model *m, fit_run *f, int e, int *stop)
{
    const nn_fit_options *o = f->o;
    const nn_fit_hooks *hk = f->hk;
    int slot = e % f->ring;
    rt_status st;
    if (hk && hk->epoch_begin && (st = hook_result(hk->epoch_begin(hk->ctx, e), stop))) return st;
    if (o->shuffle && e % f->chunk == 0) {
        int64_t ne = f->epochs - e < f->chunk ? f->epochs - e : f->chunk;
        for (int64_t k = 0; k < ne; k++) shuffle_perm(f->perm + k * f->n_train, f->n_train);
        if ((st = upload_idx(m, f->ident, f->perm, ne * f->n_train))) return st;
    }
    f->c.perm_at = f->ident + (o->shuffle ? (e % f->chunk) * f->n_train : 0);
    double t0 = now_seconds();
    if ((st = fit_steps(m, f, e, t0, stop))) return st;
    if (*stop == 2) { f->last_rows = f->n_train; return RT_OK; }   /* the epoch does not count */
    if (f->last_rows == 0) return RT_OK;   /* stopped before its first step */
    if (f->has_val &&
        (st = eval_range(m, &f->vc, f->val_first, f->n_val, f->batch, f->val_base + (int64_t)slot * f->nl)))
        return st;
    f->completed = e + 1;
    int last_epoch = e + 1 == f->epochs || *stop;
    int per_epoch = o->progress || (hk && hk->epoch_end);
    if (!per_epoch && slot != f->ring - 1 && !last_epoch) return RT_OK;
    if ((st = fit_read_pending(m, f))) return st;
    if (!last_epoch && (st = zero_acc(m, 0, 2 * f->val_base))) return st;
    if (!per_epoch) return RT_OK;
    double ev[2 * (1 + NN_MAX_METRICS)];
    for (int k = 0; k < f->h.nkeys; k++) ev[k] = f->h.values[k][e];
    /* Keras runs the user's callbacks before its progress bar */
    if (hk && hk->epoch_end) {
        nn_logs lg = {f->h.nkeys, f->names, ev};
        if ((st = hook_result(hk->epoch_end(hk->ctx, e, &lg), stop))) return st;
    }
    if (o->progress) {
        nn_progress p = {e, f->epochs, f->steps, f->steps, 1, now_seconds() - t0, f->h.nkeys, f->names, ev};
        if (o->progress(o->progress_ctx, &p) && !*stop) *stop = 2;
    }
    return RT_OK;
}

static void fit_release(nn_model *m, fit_run *f)
{
    free(f->perm);
    free(f->vals);
    data_free(m, &f->data);
    data_free(m, &f->vdata);
}

rt_status nn_model_fit(nn_model *m, const rt_array *x, const rt_array *y, const nn_fit_options *opts,
                       nn_history *hist)
{
    nn_fit_options defaults;
    if (!opts) { nn_fit_options_init(&defaults); opts = &defaults; }
    if (hist) memset(hist, 0, sizeof *hist);
    rt_status st = nn_model_check_scope(m);
    if (st || (st = fit_check(m, x, y, opts))) return st;
    fit_run f;
    memset(&f, 0, sizeof f);
    f.o = opts;
    f.hk = opts->hooks;
    f.batch = opts->batch_size > 0 ? opts->batch_size : 32;
    if ((st = fit_data(m, x, y, &f)) || (st = fit_setup(m, &f))) goto done;

    const nn_fit_hooks *hk = f.hk;
    int stop = 0;
    if (hk && hk->train_begin) st = hook_result(hk->train_begin(hk->ctx), &stop);
    /* Keras checks stop_training after each step and epoch, so a stop asked
     * in train_begin still runs one step of the first epoch */
    for (int e = 0; e < f.epochs && st == RT_OK; e++)
        if ((st = fit_epoch(m, &f, e, &stop)) || stop) break;
    /* the weights keep every step taken; the history the completed epochs */
    if (st == RT_OK && stop) st = fit_read_pending(m, &f);
    if (st == RT_OK && stop == 2)
        st = rt_set_error(RT_EINTERRUPT, "training of model '%s' stopped after %d completed epoch(s) (interrupted)",
                          m->name, f.h.epochs);
    if (st == RT_OK && hk && hk->train_end) {
        double ev[2 * (1 + NN_MAX_METRICS)];
        int e = f.h.epochs - 1;
        for (int k = 0; e >= 0 && k < f.h.nkeys; k++) ev[k] = f.h.values[k][e];
        nn_logs lg = {e >= 0 ? f.h.nkeys : 0, f.names, ev};
        int ignored = 0;
        st = hook_result(hk->train_end(hk->ctx, &lg), &ignored);
    }
    if (st == RT_OK) {
        /* make sure the device is done before returning (errors surface here) */
        for (int r = 0; r < m->nrep && st == RT_OK; r++) st = m->rep[r].dev->backend->synchronize(m->rep[r].dev);
    }
done:
    fit_release(m, &f);
    if (f.h.keys) {
        nn_history_free(&m->history);
        m->history = f.h;
        if (hist) {
            rt_status hs = history_copy(hist, &m->history);
            if (st == RT_OK) st = hs;
        }
    }
    return st;
}

/* ---- evaluate / predict --------------------------------------------------------------- */

rt_status nn_model_evaluate(nn_model *m, const rt_array *x, const rt_array *y, int64_t batch,
                            double *values, int *nvalues)
{
    *nvalues = 0;
    rt_status st = nn_model_check_scope(m);
    if (st) return st;
    if (!m->compiled) return rt_set_error(RT_EVALUE, "You must call `compile()` before using the model.");
    if (batch <= 0) batch = 32;
    nn_data data;
    if ((st = data_prepare(m, x, y, &data))) return st;
    int nl = 1 + m->nmetrics;
    step_ctx c;
    if ((st = nn_model_reserve(m, (batch + m->nrep - 1) / m->nrep))) goto done;
    if ((st = ensure_acc(m, nl))) goto done;
    if ((st = ensure_idx(m, data.n))) goto done;
    if ((st = upload_identity(m, data.n))) goto done;
    if ((st = step_ctx_init(m, &c, &data, batch, 0))) goto done;
    if ((st = eval_range(m, &c, 0, data.n, batch, 0))) goto done;
    if ((st = read_acc(m, 0, nl, values))) goto done;
    for (int k = 0; k < nl; k++) values[k] = data.n ? values[k] / (double)data.n : NAN;
    *nvalues = nl;
done:
    data_free(m, &data);
    return st;
}

rt_array *nn_model_predict(nn_model *m, const rt_array *x, int64_t batch)
{
    if (nn_model_check_scope(m)) return NULL;
    if (batch <= 0) batch = 32;
    nn_data data;
    if (data_prepare(m, x, NULL, &data)) return NULL;
    rt_status st;
    int64_t n = data.n, U = m->out_features;
    size_t es = rt_dtype_size(m->dtype);
    void **out = calloc((size_t)m->nrep, sizeof *out);
    int64_t *at = calloc((size_t)m->nrep, sizeof *at), *cnt = calloc((size_t)m->nrep, sizeof *cnt);
    void *host = malloc((size_t)(n * U > 0 ? n * U : 1) * es), *tmp = NULL;
    rt_array *res = NULL;
    step_ctx c;
    if (!out || !at || !cnt || !host) { st = rt_set_error(RT_EOOM, "out of host memory"); goto done; }
    /* rows each replica will produce */
    for (int64_t pos = 0; pos < n; pos += batch) {
        int64_t b = n - pos < batch ? n - pos : batch;
        for (int r = 0; r < m->nrep; r++) { int64_t rows, off; shard(b, m->nrep, r, &rows, &off); cnt[r] += rows; }
    }
    for (int r = 0; r < m->nrep; r++) {
        out[r] = rt_device_alloc(m->rep[r].dev, (size_t)(cnt[r] * U > 0 ? cnt[r] * U : 1) * es);
        if (!out[r]) { st = rt_error_code() ? rt_error_code() : RT_EOOM; goto done; }
    }
    if ((st = nn_model_reserve(m, (batch + m->nrep - 1) / m->nrep))) goto done;
    if ((st = ensure_idx(m, n))) goto done;
    if ((st = upload_identity(m, n))) goto done;
    if ((st = step_ctx_init(m, &c, &data, batch, 0))) goto done;
    for (int64_t pos = 0; pos < n && st == RT_OK; pos += batch) {
        if (rt_interrupted()) { st = rt_set_error(RT_EINTERRUPT, "predict interrupted"); break; }
        int64_t b = n - pos < batch ? n - pos : batch;
        st = eval_batch(m, &c, 0, pos, b, 0, 0, out, at);
    }
    if (st) goto done;
    /* gather the shards back into row order */
    if (m->nrep == 1) {
        st = m->rep[0].dev->backend->copy_to_host(m->rep[0].dev, host, out[0], (size_t)(n * U) * es);
    } else {
        void **h = calloc((size_t)m->nrep, sizeof *h);
        if (!h) { st = rt_set_error(RT_EOOM, "out of host memory"); goto done; }
        for (int r = 0; r < m->nrep && st == RT_OK; r++) {
            h[r] = malloc((size_t)(cnt[r] * U > 0 ? cnt[r] * U : 1) * es);
            if (!h[r]) { st = rt_set_error(RT_EOOM, "out of host memory"); break; }
            st = m->rep[r].dev->backend->copy_to_host(m->rep[r].dev, h[r], out[r], (size_t)(cnt[r] * U) * es);
            at[r] = 0;
        }
        for (int64_t pos = 0; pos < n && st == RT_OK; pos += batch) {
            int64_t b = n - pos < batch ? n - pos : batch;
            for (int r = 0; r < m->nrep; r++) {
                int64_t rows, off;
                shard(b, m->nrep, r, &rows, &off);
                memcpy((char *)host + (size_t)((pos + off) * U) * es, (char *)h[r] + (size_t)at[r] * es,
                       (size_t)(rows * U) * es);
                at[r] += rows * U;
            }
        }
        for (int r = 0; r < m->nrep; r++) free(h[r]);
        free(h);
    }
    if (st) goto done;
    /* Keras's shape: (n, *output shape), e.g. (n, 30, 30, 32) for a Conv2D */
    const nn_layer *last = m->layers[m->nlayers - 1];
    int64_t shape[RT_MAX_DIMS] = {n, U};
    int nd = 2;
    if (last->out_ndim + 1 <= RT_MAX_DIMS) {
        nd = 1 + last->out_ndim;
        memcpy(shape + 1, last->out_shape, (size_t)last->out_ndim * sizeof *shape);
    }
    res = rt_from_host(host, m->dtype, shape, nd, m->dtype, rt_device_get(RT_CPU, 0));
done:
    if (out) for (int r = 0; r < m->nrep; r++) if (out[r]) rt_device_free(m->rep[r].dev, out[r]);
    free(out);
    free(at);
    free(cnt);
    free(host);
    free(tmp);
    data_free(m, &data);
    return res;
}

/* ---- one-batch gradient (tests) ---------------------------------------------------------- */

rt_status nn_model_gradients(nn_model *m, const rt_array *x, const rt_array *y, int training, uint64_t seed,
                             double *loss, double *grads)
{
    rt_status st = nn_model_check_scope(m);
    if (st) return st;
    if (!m->compiled) return rt_set_error(RT_EVALUE, "You must call `compile()` before using the model.");
    nn_data data;
    if ((st = data_prepare(m, x, y, &data))) return st;
    int nl = 1 + m->nmetrics;
    int64_t n = data.n;
    step_ctx c;
    if (n <= 0) { data_free(m, &data); return rt_set_error(RT_EVALUE, "Expected input data to be non-empty."); }
    if ((st = nn_model_reserve(m, (n + m->nrep - 1) / m->nrep))) goto done;
    if ((st = ensure_acc(m, nl))) goto done;
    if ((st = ensure_idx(m, n))) goto done;
    if ((st = upload_identity(m, n))) goto done;
    if ((st = zero_acc(m, 0, nl))) goto done;
    if ((st = step_ctx_init(m, &c, &data, n, 0))) goto done;
    c.seed = seed;
    c.dropout = training != 0;
    if ((st = train_step(m, &c, 0, n, 0, 0, 0))) goto done;
    {
        double v[1 + NN_MAX_METRICS];
        if ((st = read_acc(m, 0, nl, v))) goto done;
        if (loss) *loss = v[0] / (double)n;
        if (grads) st = nn_flat_to_host(m, m->rep[0].grads, m->rep[0].dev, grads);
    }
done:
    data_free(m, &data);
    return st;
}
