/* model.c — Sequential models: layers, shape inference, the flat parameter
 * layout, replicas and their buffers, initialisation, compile, weights and
 * the summary table. The training loop is in train.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmtbuf.h"
#include "nn_internal.h"

/* ---- device memory helpers ------------------------------------------------------- */

static rt_view flat_view(void *p, rt_dtype t, int64_t count)
{
    rt_view v;
    memset(&v, 0, sizeof v);
    v.data = p;
    v.dtype = t;
    v.ndim = 1;
    v.shape[0] = count;
    v.strides[0] = 1;
    return v;
}

rt_status nn_dev_zero(rt_device *d, void *p, rt_dtype t, int64_t count)
{
    if (count <= 0) return RT_OK;
    rt_view v = flat_view(p, t, count);
    return d->backend->fill(d, &v, 0.0);
}

rt_status nn_dev_copy(rt_device *d, void *dst, const void *src, rt_dtype t, int64_t count)
{
    if (count <= 0) return RT_OK;
    rt_view a = flat_view(dst, t, count), b = flat_view((void *)src, t, count);
    return d->backend->copy(d, &a, &b);
}

static void *dev_alloc(rt_device *d, size_t bytes)
{
    return rt_device_alloc(d, bytes ? bytes : 1);
}

static void dev_free(rt_device *d, void *p)
{
    if (p) rt_device_free(d, p);
}

/* ---- history -------------------------------------------------------------------- */

void nn_history_free(nn_history *h)
{
    if (!h) return;
    for (int k = 0; k < h->nkeys; k++) {
        free(h->keys ? h->keys[k] : NULL);
        free(h->values ? h->values[k] : NULL);
    }
    free(h->keys);
    free(h->values);
    memset(h, 0, sizeof *h);
}

/* ---- creation ------------------------------------------------------------------- */

nn_model *nn_sequential(const char *name)
{
    nn_model *m = calloc(1, sizeof *m);
    if (!m) { rt_set_error(RT_EOOM, "out of host memory creating a model"); return NULL; }
    m->refcount = 1;
    m->dtype = RT_FLOAT32;
    if (name && name[0]) snprintf(m->name, sizeof m->name, "%s", name);
    else nn_unique_name("sequential", m->name, sizeof m->name);
    nn_strategy *s = nn_strategy_current();
    if (s) {
        m->strategy = nn_strategy_retain(s);
        m->home = s->dev[0];
        m->nrep = s->n;
    } else {
        m->home = rt_default_device();
        m->nrep = 1;
        if (!m->home) { free(m); rt_set_error(RT_EDEVICE, "no device available for the model"); return NULL; }
    }
    m->rep = calloc((size_t)m->nrep, sizeof *m->rep);
    if (!m->rep) {
        nn_strategy_release(m->strategy);
        free(m);
        rt_set_error(RT_EOOM, "out of host memory creating a model");
        return NULL;
    }
    for (int r = 0; r < m->nrep; r++) m->rep[r].dev = m->strategy ? m->strategy->dev[r] : m->home;
    m->nmetrics = 0;
    nn_optimizer_init(&m->opt, NN_OPT_ADAM);
    return m;
}

nn_model *nn_model_retain(nn_model *m) { if (m) m->refcount++; return m; }

static void free_buffers(nn_model *m)
{
    for (int r = 0; r < m->nrep; r++) {
        nn_replica *rp = &m->rep[r];
        dev_free(rp->dev, rp->params);
        dev_free(rp->dev, rp->grads);
        dev_free(rp->dev, rp->s1);
        dev_free(rp->dev, rp->s2);
        dev_free(rp->dev, rp->ws);
        dev_free(rp->dev, rp->cols);
        dev_free(rp->dev, rp->acc);
        dev_free(rp->dev, rp->idx);
        rt_device *d = rp->dev;
        memset(rp, 0, sizeof *rp);
        rp->dev = d;
    }
    free(m->ws_off);
    m->ws_off = NULL;
    m->ws_rows = 0;
    m->slots_ready = 0;
}

void nn_model_release(nn_model *m)
{
    if (!m || --m->refcount > 0) return;
    free_buffers(m);
    for (int i = 0; i < m->nlayers; i++) {
        if (m->layers[i]->model == m) m->layers[i]->model = NULL;
        nn_layer_release(m->layers[i]);
    }
    free(m->layers);
    free(m->rep);
    nn_history_free(&m->history);
    nn_strategy_release(m->strategy);
    free(m);
}

int         nn_model_num_layers(const nn_model *m) { return m->nlayers; }
nn_layer   *nn_model_layer(const nn_model *m, int i) { return (i >= 0 && i < m->nlayers) ? m->layers[i] : NULL; }
const char *nn_model_name(const nn_model *m) { return m->name; }
nn_strategy *nn_model_strategy(const nn_model *m) { return m->strategy; }
int         nn_model_num_replicas(const nn_model *m) { return m->nrep; }
rt_device  *nn_model_device(const nn_model *m, int r) { return (r >= 0 && r < m->nrep) ? m->rep[r].dev : NULL; }
int         nn_model_is_built(const nn_model *m) { return m->built; }
int         nn_model_is_compiled(const nn_model *m) { return m->compiled; }
const nn_history *nn_model_history(const nn_model *m) { return &m->history; }
int64_t     nn_model_iterations(const nn_model *m) { return m->t; }

rt_status nn_model_check_scope(const nn_model *m)
{
    nn_strategy *cur = nn_strategy_current();
    if (cur && cur != m->strategy) {
        if (m->strategy)
            return rt_set_error(RT_EVALUE,
                "Mixing different tf.distribute.Strategy objects: model '%s' was created in the scope of "
                "another MirroredStrategy (%d replicas) than the one whose scope is active (%d replicas)",
                m->name, m->strategy->n, cur->n);
        return rt_set_error(RT_EVALUE,
            "Mixing different tf.distribute.Strategy objects: model '%s' was created outside any strategy "
            "scope and is used inside a MirroredStrategy scope; create it inside the scope", m->name);
    }
    return RT_OK;
}

rt_status nn_model_set_dtype(nn_model *m, rt_dtype t)
{
    if (t != RT_FLOAT32 && t != RT_FLOAT64)
        return rt_set_error(RT_ETYPE, "model dtype must be float32 or float64, got %s", rt_dtype_name(t));
    if (m->built) return rt_set_error(RT_EVALUE, "the dtype of model '%s' cannot change after it is built", m->name);
    m->dtype = t;
    return RT_OK;
}

rt_status nn_model_add(nn_model *m, nn_layer *l)
{
    rt_status st = nn_model_check_scope(m);
    if (st) return st;
    if (l->model || (l->kind == NN_LAYER_INPUT && l->built))
        return rt_set_error(RT_EVALUE, "layer '%s' already belongs to a model; create a new layer", l->name);
    if (l->kind == NN_LAYER_INPUT) {
        if (m->nlayers > 0 || m->has_input)
            return rt_set_error(RT_EVALUE, "an Input layer can only be the first layer of a Sequential model");
        m->has_input = 1;
        m->in_ndim = l->in_ndim;
        memcpy(m->in_shape, l->in_shape, sizeof m->in_shape);
        l->built = 1;   /* marks it used */
        return RT_OK;
    }
    int implicit_input = l->in_ndim > 0 && m->nlayers == 0 && !m->has_input;
    if (implicit_input) {
        /* Keras's input_shape= on the first layer: an implicit Input */
        m->has_input = 1;
        m->in_ndim = l->in_ndim;
        memcpy(m->in_shape, l->in_shape, sizeof m->in_shape);
    }
    if (m->nlayers == m->cap) {
        int cap = m->cap ? 2 * m->cap : 4;
        nn_layer **nl = realloc(m->layers, (size_t)cap * sizeof *nl);
        if (!nl) return rt_set_error(RT_EOOM, "out of host memory adding a layer");
        m->layers = nl;
        m->cap = cap;
    }
    m->layers[m->nlayers++] = nn_layer_retain(l);
    l->model = m;
    if (m->built || m->has_input) {
        /* Keras rebuilds a Sequential model whose input shape is known */
        int ndim = m->in_ndim;
        int64_t shape[RT_MAX_DIMS];
        memcpy(shape, m->in_shape, sizeof shape);
        m->built = 0;
        st = nn_model_build(m, shape, ndim);
        if (st) {
            /* keep the model consistent: take the layer back out */
            m->nlayers--;
            l->model = NULL;
            if (implicit_input) m->has_input = 0;
            nn_layer_release(l);
            return st;
        }
    }
    return RT_OK;
}

/* ---- host random initialisation ----------------------------------------------- */

static double u01(uint32_t u) { return (double)(u >> 8) * (1.0 / 16777216.0); }

static rt_status init_tensor(double *out, int64_t n, nn_initializer init, int64_t fan_in, int64_t fan_out)
{
    switch (init) {
    case NN_INIT_ZEROS: for (int64_t i = 0; i < n; i++) out[i] = 0.0; return RT_OK;
    case NN_INIT_ONES:  for (int64_t i = 0; i < n; i++) out[i] = 1.0; return RT_OK;
    case NN_INIT_GLOROT_UNIFORM: {
        double lim = sqrt(6.0 / (double)(fan_in + fan_out));
        uint32_t *u = malloc((size_t)(n > 0 ? n : 1) * sizeof *u);
        if (!u) return rt_set_error(RT_EOOM, "out of host memory initialising weights");
        rt_rand_host_u32(u, (size_t)n);
        for (int64_t i = 0; i < n; i++) out[i] = (2.0 * u01(u[i]) - 1.0) * lim;
        free(u);
        return RT_OK;
    }
    case NN_INIT_HE_NORMAL: {
        /* truncated at 2 standard deviations; the stddev is scaled up by
         * 1/0.8796... so the truncated samples have stddev sqrt(2/fan_in),
         * as Keras's VarianceScaling does */
        double sd = sqrt(2.0 / (double)fan_in) / 0.87962566103423978;
        for (int64_t i = 0; i < n;) {
            uint32_t u[2];
            rt_rand_host_u32(u, 2);
            double r = sqrt(-2.0 * log(((double)(u[0] >> 8) + 1.0) / 16777216.0));
            double th = 2.0 * M_PI * u01(u[1]);
            double z[2] = {r * cos(th), r * sin(th)};
            for (int k = 0; k < 2 && i < n; k++)
                if (fabs(z[k]) <= 2.0) out[i++] = z[k] * sd;
        }
        return RT_OK;
    }
    default: return rt_set_error(RT_EVALUE, "unknown initializer");
    }
}

/* ---- flat layout <-> get_params order ------------------------------------------- */

/* host flat (model dtype, flat elements) -> doubles in get_params order
 * (layers in order, each layer's tensors in Keras order) */
static void flat_pack(const nn_model *m, const void *flat, double *out)
{
    int64_t o = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const nn_layer *l = m->layers[i];
        for (int k = 0; k < l->nw; k++) {
            int64_t off = l->w[k].off, n = l->w[k].n;
            if (m->dtype == RT_FLOAT64) memcpy(out + o, (const double *)flat + off, (size_t)n * sizeof(double));
            else for (int64_t j = 0; j < n; j++) out[o + j] = ((const float *)flat)[off + j];
            o += n;
        }
    }
}

/* doubles in get_params order -> host flat (zeros in the padding) */
static void flat_unpack(const nn_model *m, const double *in, void *flat)
{
    memset(flat, 0, (size_t)m->flat * rt_dtype_size(m->dtype));
    int64_t o = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const nn_layer *l = m->layers[i];
        for (int k = 0; k < l->nw; k++) {
            int64_t off = l->w[k].off, n = l->w[k].n;
            if (m->dtype == RT_FLOAT64) memcpy((double *)flat + off, in + o, (size_t)n * sizeof(double));
            else for (int64_t j = 0; j < n; j++) ((float *)flat)[off + j] = (float)in[o + j];
            o += n;
        }
    }
}

rt_status nn_flat_to_host(const nn_model *m, const void *flat_dev, rt_device *d, double *out)
{
    size_t bytes = (size_t)m->flat * rt_dtype_size(m->dtype);
    void *h = malloc(bytes ? bytes : 1);
    if (!h) return rt_set_error(RT_EOOM, "out of host memory reading weights");
    rt_status st = d->backend->copy_to_host(d, h, flat_dev, bytes);
    if (st == RT_OK) flat_pack(m, h, out);
    free(h);
    return st;
}

/* writes doubles (get_params order) into buffer `which` (0 params, 1 and 2
 * the optimizer slots) of every replica */
rt_status nn_model_upload(nn_model *m, int which, const double *in)
{
    size_t bytes = (size_t)m->flat * rt_dtype_size(m->dtype);
    void *h = malloc(bytes ? bytes : 1);
    if (!h) return rt_set_error(RT_EOOM, "out of host memory writing weights");
    flat_unpack(m, in, h);
    rt_status st = RT_OK;
    for (int r = 0; r < m->nrep && st == RT_OK; r++) {
        rt_device *d = m->rep[r].dev;
        void *dst = which == 0 ? m->rep[r].params : which == 1 ? m->rep[r].s1 : m->rep[r].s2;
        if (!dst) { st = rt_set_error(RT_EVALUE, "internal: optimizer slot %d is not allocated", which); break; }
        st = d->backend->copy_from_host(d, dst, h, bytes);
    }
    free(h);
    return st;
}

/* ---- build ------------------------------------------------------------------------ */

static const nn_ops *ops_for(rt_device *d, rt_dtype t)
{
    if (rt_device_kind_of(d) == RT_CPU) return nn_cpu_ops(t);
    if (t != RT_FLOAT32) {
        rt_set_error(RT_ETYPE, "float64 models run on the CPU only; %s supports float32 models", rt_device_name(d));
        return NULL;
    }
    const nn_ops *o = nn_gpu_ops();
    if (!o) rt_set_error(RT_EDEVICE, "this build has no CUDA support for training on %s", rt_device_name(d));
    return o;
}

static int64_t align_up(int64_t v) { return (v + NN_ALIGN - 1) / NN_ALIGN * NN_ALIGN; }

/* ---- shape inference ------------------------------------------------------------- */

static void add_weight(nn_layer *l, const char *name, const int64_t *shape, int ndim, int trainable,
                       nn_initializer init)
{
    nn_weight *w = &l->w[l->nw++];
    memset(w, 0, sizeof *w);
    w->name = name;
    w->ndim = ndim;
    w->n = 1;
    for (int i = 0; i < ndim; i++) { w->shape[i] = shape[i]; w->n *= shape[i]; }
    w->trainable = trainable;
    w->init = init;
    w->off = -1;
}

/* Keras's output length of one spatial axis and the padding before it */
static int64_t window_out(int64_t in, int64_t k, int64_t s, int64_t dil, nn_padding p, int64_t *pad_before)
{
    int64_t span = (k - 1) * dil + 1;
    if (p == NN_PAD_SAME) {
        int64_t out = (in + s - 1) / s;
        int64_t total = (out - 1) * s + span - in;
        *pad_before = total > 0 ? total / 2 : 0;
        return out;
    }
    *pad_before = 0;
    return in >= span ? (in - span) / s + 1 : 0;
}

static rt_status shape_error_ndim(const nn_layer *l, const int64_t *cur, int nd, int want)
{
    char s[96];
    int64_t full[RT_MAX_DIMS + 1];
    full[0] = -1;
    memcpy(full + 1, cur, (size_t)nd * sizeof *cur);
    rt_format_shape(cur, nd, s, sizeof s);
    return rt_set_error(RT_EVALUE, "Input 0 of layer \"%s\" is incompatible with the layer: expected ndim=%d, found "
                        "ndim=%d. Full shape received: (None, %s", l->name, want, nd + 1, s + 1);
}

/* Infers layer l's output shape from its input feature shape cur[0..*nd)
 * (updated in place) and lists its weight tensors. */
static rt_status infer_layer(nn_layer *l, int64_t *cur, int *nd)
{
    int64_t feat = 1;
    for (int i = 0; i < *nd; i++) feat *= cur[i];
    l->nw = 0;
    l->scratch = 0;
    switch (l->kind) {
    case NN_LAYER_DENSE: {
        if (*nd != 1) {
            char s[96];
            rt_format_shape(cur, *nd, s, sizeof s);
            return rt_set_error(RT_EVALUE,
                "Dense layer '%s' needs 1-D features per sample, got feature shape %s: add Flatten() before it",
                l->name, s);
        }
        int64_t ks[2] = {feat, l->units};
        add_weight(l, "kernel", ks, 2, 1, l->kinit);
        if (l->use_bias) add_weight(l, "bias", ks + 1, 1, 1, l->binit);
        cur[0] = l->units;
        break;
    }
    case NN_LAYER_CONV2D: case NN_LAYER_MAXPOOL2D: case NN_LAYER_AVGPOOL2D: {
        if (*nd != 3) return shape_error_ndim(l, cur, *nd, 4);
        nn_conv_geom *g = &l->geom;
        g->h = cur[0]; g->w = cur[1]; g->c = cur[2];
        g->kh = l->ksize[0]; g->kw = l->ksize[1];
        g->sh = l->strides[0]; g->sw = l->strides[1];
        g->dh = l->dilation[0]; g->dw = l->dilation[1];
        g->oh = window_out(g->h, g->kh, g->sh, g->dh, l->padding, &g->pt);
        g->ow = window_out(g->w, g->kw, g->sw, g->dw, l->padding, &g->pl);
        g->oc = l->kind == NN_LAYER_CONV2D ? l->filters : g->c;
        if (g->oh <= 0 || g->ow <= 0) {
            char s[96];
            rt_format_shape(cur, *nd, s, sizeof s);
            return rt_set_error(RT_EVALUE, "Layer \"%s\" (%s): computed output size would be negative. Received inputs "
                                "shape=(None, %s, %s=(%lld, %lld), dilation_rate=(%lld, %lld), padding=\"valid\"",
                                l->name, l->kind == NN_LAYER_CONV2D ? "Conv2D" : "pooling", s + 1,
                                l->kind == NN_LAYER_CONV2D ? "kernel_size" : "pool_size", (long long)g->kh,
                                (long long)g->kw, (long long)g->dh, (long long)g->dw);
        }
        if (l->kind == NN_LAYER_CONV2D) {
            int64_t ks[4] = {g->kh, g->kw, g->c, g->oc};
            add_weight(l, "kernel", ks, 4, 1, l->kinit);
            if (l->use_bias) add_weight(l, "bias", ks + 3, 1, 1, l->binit);
            l->scratch = g->oh * g->ow * g->kh * g->kw * g->c;
        }
        cur[0] = g->oh; cur[1] = g->ow; cur[2] = g->oc;
        break;
    }
    case NN_LAYER_GLOBAL_AVGPOOL2D: case NN_LAYER_GLOBAL_MAXPOOL2D: {
        if (*nd != 3) return shape_error_ndim(l, cur, *nd, 4);
        nn_conv_geom *g = &l->geom;
        memset(g, 0, sizeof *g);
        g->h = g->kh = g->sh = cur[0];
        g->w = g->kw = g->sw = cur[1];
        g->c = g->oc = cur[2];
        g->oh = g->ow = g->dh = g->dw = 1;
        *nd = 1;
        cur[0] = g->c;
        break;
    }
    case NN_LAYER_BATCHNORM: {
        if (l->bn_axis != -1 && l->bn_axis != *nd)
            return rt_set_error(RT_EVALUE, "BatchNormalization layer '%s' normalises the last axis only (axis=-1 or "
                                "axis=%d for this input); got axis=%d", l->name, *nd, l->bn_axis);
        int64_t c = cur[*nd - 1];
        if (l->scale) add_weight(l, "gamma", &c, 1, 1, NN_INIT_ONES);
        if (l->center) add_weight(l, "beta", &c, 1, 1, NN_INIT_ZEROS);
        add_weight(l, "moving_mean", &c, 1, 0, NN_INIT_ZEROS);
        add_weight(l, "moving_variance", &c, 1, 0, NN_INIT_ONES);
        break;
    }
    case NN_LAYER_RESHAPE: {
        int64_t known = 1, unknown = -1;
        for (int i = 0; i < l->target_ndim; i++) {
            if (l->target[i] == -1) unknown = i;
            else known *= l->target[i];
        }
        int ok = unknown >= 0 ? feat % known == 0 : feat == known;
        if (!ok) {
            char a[96], b[96];
            rt_format_shape(cur, *nd, a, sizeof a);
            rt_format_shape(l->target, l->target_ndim, b, sizeof b);
            return rt_set_error(RT_EVALUE, "Layer \"%s\" (Reshape): the input shape %s (%lld elements) cannot be "
                                "reshaped into the target shape %s", l->name, a, (long long)feat, b);
        }
        *nd = l->target_ndim;
        memcpy(cur, l->target, (size_t)*nd * sizeof *cur);
        if (unknown >= 0) cur[unknown] = feat / known;
        break;
    }
    case NN_LAYER_FLATTEN:
        *nd = 1;
        cur[0] = feat;
        break;
    default:
        break;
    }
    return RT_OK;
}

rt_status nn_model_build(nn_model *m, const int64_t *fshape, int ndim)
{
    rt_status st = nn_model_check_scope(m);
    if (st) return st;
    if (m->nlayers == 0)
        return rt_set_error(RT_EVALUE, "Sequential model '%s' has no layers: add layers before building it", m->name);
    if (m->has_input) {
        int same = ndim == m->in_ndim;
        for (int i = 0; same && i < ndim; i++) same = fshape[i] == m->in_shape[i];
        /* a 1-D x for an input of shape (1,) arrives as feature shape () or (1,) */
        if (!same) {
            char a[96], b[96];
            rt_format_shape(m->in_shape, m->in_ndim, a, sizeof a);
            rt_format_shape(fshape, ndim, b, sizeof b);
            return rt_set_error(RT_EVALUE, "Input shape mismatch for model '%s': expected feature shape %s, got %s",
                                m->name, a, b);
        }
    }
    if (ndim < 1 || ndim > RT_MAX_DIMS - 1)
        return rt_set_error(RT_EVALUE, "model inputs need at least 2 dimensions (batch, features)");
    if (m->built) {
        /* Keras: building a built model is a no-op (weights are kept) */
        int same = ndim == m->in_ndim;
        for (int i = 0; same && i < ndim; i++) same = fshape[i] == m->in_shape[i];
        if (same) return RT_OK;
    }

    /* shape inference */
    int cur_nd = ndim;
    int64_t cur[RT_MAX_DIMS];
    memcpy(cur, fshape, (size_t)ndim * sizeof *cur);
    int64_t feat = 1;
    for (int i = 0; i < ndim; i++) feat *= cur[i];
    int64_t in_features = feat, count = 0, trainable = 0, maxf = feat, scratch = 0, stats = 0, maxk = 0;
    int plain = 1;
    for (int i = 0; i < m->nlayers; i++) {
        nn_layer *l = m->layers[i];
        l->in_features = feat;
        l->in_nd = cur_nd;
        memcpy(l->in_dims, cur, sizeof cur);
        l->w_off = l->b_off = -1;
        l->nparams = 0;
        if ((st = infer_layer(l, cur, &cur_nd))) goto fail_shapes;
        feat = 1;
        for (int d = 0; d < cur_nd; d++) feat *= cur[d];
        for (int k = 0; k < l->nw; k++) {
            l->nparams += l->w[k].n;
            if (l->w[k].trainable) trainable += l->w[k].n;
        }
        count += l->nparams;
        if (l->scratch > scratch) scratch = l->scratch;
        if (l->kind == NN_LAYER_CONV2D && l->w[0].n > maxk) maxk = l->w[0].n;
        if (l->kind == NN_LAYER_BATCHNORM) { l->stats_off = stats; stats += 2 * cur[cur_nd - 1]; }
        plain &= l->kind <= NN_LAYER_ACTIVATION;
        l->out_features = feat;
        l->out_ndim = cur_nd;
        memcpy(l->out_shape, cur, sizeof cur);
        l->built = 1;
        if (feat > maxf) maxf = feat;
    }
    /* the flat layout: every trainable tensor, then the moving statistics
     * (the optimizer runs over the first part only) */
    int64_t flat = 0;
    for (int pass = 1; pass >= 0; pass--) {
        for (int i = 0; i < m->nlayers; i++)
            for (int k = 0; k < m->layers[i]->nw; k++) {
                nn_weight *w = &m->layers[i]->w[k];
                if (w->trainable != pass) continue;
                w->off = flat = align_up(flat);
                flat += w->n;
            }
        if (pass == 1) m->flat_trainable = flat = align_up(flat);
    }
    for (int i = 0; i < m->nlayers; i++) {
        nn_layer *l = m->layers[i];
        if (l->kind == NN_LAYER_DENSE || l->kind == NN_LAYER_CONV2D) {
            l->w_off = l->w[0].off;
            if (l->use_bias) l->b_off = l->w[1].off;
        }
    }

    free_buffers(m);
    m->in_features = in_features;
    m->out_features = feat;
    m->max_features = maxf;
    m->flat = align_up(flat);
    m->count = count;
    m->trainable_count = trainable;
    m->max_scratch = scratch;
    m->stats_count = stats;
    m->max_kernel = maxk;
    m->plain = plain;
    if (!m->has_input) {
        m->in_ndim = ndim;
        memcpy(m->in_shape, fshape, (size_t)ndim * sizeof *fshape);
    }

    size_t bytes = (size_t)m->flat * rt_dtype_size(m->dtype);
    for (int r = 0; r < m->nrep; r++) {
        nn_replica *rp = &m->rep[r];
        if ((st = rt_device_begin(rp->dev))) goto fail;
        if (!(rp->ops = ops_for(rp->dev, m->dtype))) { st = rt_error_code(); goto fail; }
        rp->params = dev_alloc(rp->dev, bytes);
        rp->grads = dev_alloc(rp->dev, bytes);
        if (!rp->params || !rp->grads) { st = rt_error_code() ? rt_error_code() : RT_EOOM; goto fail; }
        /* the padding between tensors must hold zeros in the gradient
         * buffer: the optimizer and the all-reduce run over all of it */
        if ((st = nn_dev_zero(rp->dev, rp->grads, m->dtype, m->flat))) goto fail;
    }

    /* initial values: drawn once on the host, identical on every replica */
    double *init = malloc((size_t)(count > 0 ? count : 1) * sizeof *init);
    if (!init) { st = rt_set_error(RT_EOOM, "out of host memory initialising weights"); goto fail; }
    int64_t o = 0;
    for (int i = 0; i < m->nlayers && st == RT_OK; i++) {
        nn_layer *l = m->layers[i];
        /* Keras's fans: a kernel (..., in, out) has fan_in = receptive field * in */
        int64_t fan_in = 1, fan_out = 1;
        if (l->nw) {
            const nn_weight *k0 = &l->w[0];
            int64_t rf = 1;
            for (int d = 0; d + 2 < k0->ndim; d++) rf *= k0->shape[d];
            fan_in = k0->ndim >= 2 ? rf * k0->shape[k0->ndim - 2] : k0->n;
            fan_out = k0->ndim >= 2 ? rf * k0->shape[k0->ndim - 1] : k0->n;
        }
        for (int k = 0; k < l->nw && st == RT_OK; k++) {
            st = init_tensor(init + o, l->w[k].n, l->w[k].init, fan_in, fan_out);
            o += l->w[k].n;
        }
    }
    if (st == RT_OK) st = nn_model_upload(m, 0, init);
    free(init);
    if (st) goto fail;
    m->built = 1;
    m->t = 0;
    return RT_OK;
fail:
    free_buffers(m);
    for (int i = 0; i < m->nlayers; i++) m->layers[i]->built = 0;
    m->built = 0;
fail_shapes:
    return st;
}

rt_status nn_model_output_shape(const nn_model *m, int64_t *shape, int *ndim)
{
    if (!m->built) return rt_set_error(RT_EVALUE, "model '%s' has not been built yet", m->name);
    const nn_layer *l = m->layers[m->nlayers - 1];
    *ndim = l->out_ndim;
    memcpy(shape, l->out_shape, (size_t)l->out_ndim * sizeof *shape);
    return RT_OK;
}

rt_status nn_model_count_params(const nn_model *m, int64_t *out)
{
    if (!m->built)
        return rt_set_error(RT_EVALUE,
            "You tried to call `count_params` on model '%s', but the model has not been built. "
            "You can build it manually via: `model.build(batch_input_shape)`", m->name);
    *out = m->count;
    return RT_OK;
}

/* ---- workspace and optimizer slots ---------------------------------------------- */

static size_t align_bytes(size_t v) { return (v + 255) & ~(size_t)255; }

rt_status nn_model_reserve(nn_model *m, int64_t rows)
{
    if (rows < 1) rows = 1;
    if (rows <= m->ws_rows && m->ws_off) return RT_OK;
    size_t es = rt_dtype_size(m->dtype);
    int nl = m->nlayers;
    size_t *off = malloc((size_t)(nl + 8) * sizeof *off);
    if (!off) return rt_set_error(RT_EOOM, "out of host memory");
    size_t o = 0;
    off[0] = o; o = align_bytes(o + (size_t)rows * (size_t)m->in_features * es);
    for (int i = 0; i < nl; i++) {
        off[1 + i] = o;
        const nn_layer *l = m->layers[i];
        if (!nn_layer_is_view(l)) o = align_bytes(o + (size_t)rows * (size_t)l->out_features * es);
    }
    off[nl + 1] = o; o = align_bytes(o + (size_t)rows * (size_t)m->out_features * es);
    off[nl + 2] = o; o = align_bytes(o + (size_t)rows * (size_t)m->max_features * es);
    off[nl + 3] = o; o = align_bytes(o + (size_t)rows * (size_t)m->max_features * es);
    off[nl + 4] = o;
    off[nl + 5] = o; o = align_bytes(o + (size_t)m->stats_count * es);
    off[nl + 6] = o; o = align_bytes(o + (size_t)m->max_kernel * es);
    off[nl + 7] = o;
    for (int r = 0; r < m->nrep; r++) {
        nn_replica *rp = &m->rep[r];
        dev_free(rp->dev, rp->ws);
        dev_free(rp->dev, rp->cols);   /* sized for the old row count: remade on use */
        rp->cols = NULL;
        rp->ws = dev_alloc(rp->dev, o);
        if (!rp->ws) {
            free(off);
            free(m->ws_off);
            m->ws_off = NULL;
            m->ws_rows = 0;
            for (int k = 0; k < m->nrep; k++) { dev_free(m->rep[k].dev, m->rep[k].ws); m->rep[k].ws = NULL; }
            return rt_error_code() ? rt_error_code() : RT_EOOM;
        }
    }
    free(m->ws_off);
    m->ws_off = off;
    m->ws_rows = rows;
    return RT_OK;
}

void *nn_ws_act(const nn_model *m, const nn_replica *r, int layer)
{
    /* Flatten and Reshape keep their input's memory (row-major samples) */
    while (layer >= 0 && nn_layer_is_view(m->layers[layer])) layer--;
    return (char *)r->ws + m->ws_off[1 + layer];
}
void *nn_ws_scratch(const nn_model *m, nn_replica *r)
{
    if (!r->cols)
        r->cols = dev_alloc(r->dev, (size_t)m->ws_rows * (size_t)m->max_scratch * rt_dtype_size(m->dtype));
    if (!r->cols && !rt_error_code()) rt_set_error(RT_EOOM, "out of memory for the convolution windows on %s",
                                                   rt_device_name(r->dev));
    return r->cols;
}
void *nn_ws_stats(const nn_model *m, const nn_replica *r) { return (char *)r->ws + m->ws_off[m->nlayers + 5]; }
void *nn_ws_kernel_t(const nn_model *m, const nn_replica *r) { return (char *)r->ws + m->ws_off[m->nlayers + 6]; }
void *nn_ws_y(const nn_model *m, const nn_replica *r) { return (char *)r->ws + m->ws_off[m->nlayers + 1]; }
void *nn_ws_grad(const nn_model *m, const nn_replica *r, int which)
{
    return (char *)r->ws + m->ws_off[m->nlayers + 2 + (which & 1)];
}

rt_status nn_model_prepare_slots(nn_model *m)
{
    if (m->slots_ready) return RT_OK;
    int need1 = m->opt.kind == NN_OPT_ADAM || m->opt.kind == NN_OPT_RMSPROP ||
                (m->opt.kind == NN_OPT_SGD && m->opt.momentum != 0.0);
    int need2 = m->opt.kind == NN_OPT_ADAM;
    size_t bytes = (size_t)m->flat * rt_dtype_size(m->dtype);
    for (int r = 0; r < m->nrep; r++) {
        nn_replica *rp = &m->rep[r];
        rt_status st;
        if (need1 && !rp->s1 && !(rp->s1 = dev_alloc(rp->dev, bytes))) return rt_error_code() ? rt_error_code() : RT_EOOM;
        if (need2 && !rp->s2 && !(rp->s2 = dev_alloc(rp->dev, bytes))) return rt_error_code() ? rt_error_code() : RT_EOOM;
        if (rp->s1 && (st = nn_dev_zero(rp->dev, rp->s1, m->dtype, m->flat))) return st;
        if (rp->s2 && (st = nn_dev_zero(rp->dev, rp->s2, m->dtype, m->flat))) return st;
    }
    m->slots_ready = 1;
    m->t = 0;
    return RT_OK;
}

/* ---- compile ---------------------------------------------------------------------- */

rt_status nn_model_compile(nn_model *m, nn_loss loss, const nn_optimizer *opt,
                           const nn_metric *metrics, int nmetrics)
{
    rt_status st = nn_model_check_scope(m);
    if (st) return st;
    if ((unsigned)loss >= NN_LOSS_COUNT) return rt_set_error(RT_EVALUE, "unknown loss");
    if (nmetrics < 0 || nmetrics > NN_MAX_METRICS)
        return rt_set_error(RT_EVALUE, "at most %d metrics are supported, got %d", NN_MAX_METRICS, nmetrics);
    if (!(opt->learning_rate >= 0)) return rt_set_error(RT_EVALUE, "learning_rate must be >= 0, got %g", opt->learning_rate);
    if (opt->kind == NN_OPT_ADAM && !(opt->beta_1 >= 0 && opt->beta_1 < 1 && opt->beta_2 >= 0 && opt->beta_2 < 1))
        return rt_set_error(RT_EVALUE, "Adam's beta_1 and beta_2 must be in [0, 1)");
    if (opt->kind == NN_OPT_SGD && !(opt->momentum >= 0 && opt->momentum <= 1))
        return rt_set_error(RT_EVALUE, "`momentum` must be a float between [0, 1], got %g", opt->momentum);
    for (int i = 0; i < nmetrics; i++)
        if ((unsigned)metrics[i] >= NN_METRIC_COUNT) return rt_set_error(RT_EVALUE, "unknown metric");
    m->loss = loss;
    m->opt = *opt;
    m->nmetrics = nmetrics;
    if (nmetrics) memcpy(m->metrics, metrics, (size_t)nmetrics * sizeof *metrics);
    m->compiled = 1;
    /* a new optimizer: fresh slots and iteration count */
    for (int r = 0; r < m->nrep; r++) {
        nn_replica *rp = &m->rep[r];
        dev_free(rp->dev, rp->s1);
        dev_free(rp->dev, rp->s2);
        rp->s1 = rp->s2 = NULL;
    }
    m->slots_ready = 0;
    m->t = 0;
    return RT_OK;
}

int nn_model_log_names(const nn_model *m, const char **names, int cap)
{
    int n = 0;
    if (n < cap) names[n] = "loss";
    n++;
    for (int i = 0; i < m->nmetrics; i++, n++)
        if (n < cap) names[n] = nn_metric_name(m->metrics[i]);
    return n;
}

int nn_model_fused_tail(const nn_model *m)
{
    if (!m->nlayers) return 0;
    const nn_layer *l = m->layers[m->nlayers - 1];
    if (l->kind != NN_LAYER_DENSE && l->kind != NN_LAYER_ACTIVATION) return 0;
    if (l->act == NN_ACT_SIGMOID && m->loss == NN_LOSS_BCE) return 1;
    if (l->act == NN_ACT_SOFTMAX && (m->loss == NN_LOSS_CCE || m->loss == NN_LOSS_SCCE)) return 1;
    return 0;
}

void nn_model_metric_kinds(const nn_model *m, nn_metric_kind *mk)
{
    for (int i = 0; i < m->nmetrics; i++) {
        switch (m->metrics[i]) {
        case NN_METRIC_MAE: mk[i] = NN_MK_MAE; break;
        case NN_METRIC_MSE: mk[i] = NN_MK_MSE; break;
        default:
            /* Keras: the accuracy that matches the loss; for regression
             * losses, binary on one output, categorical otherwise */
            if (m->loss == NN_LOSS_SCCE) mk[i] = NN_MK_SPARSE_ACC;
            else if (m->loss == NN_LOSS_CCE) mk[i] = NN_MK_CAT_ACC;
            else if (m->loss == NN_LOSS_BCE || m->out_features == 1) mk[i] = NN_MK_BINARY_ACC;
            else mk[i] = NN_MK_CAT_ACC;
            break;
        }
    }
}

/* ---- weights ------------------------------------------------------------------------ */

static rt_array *host_array(const double *data, const int64_t *shape, int ndim, rt_dtype t)
{
    return rt_from_host(data, RT_FLOAT64, shape, ndim, t, rt_device_get(RT_CPU, 0));
}

static rt_status layer_weights(const nn_model *m, const nn_layer *l, const double *all, int64_t base,
                               rt_array **out, int *n)
{
    *n = 0;
    for (int k = 0; k < l->nw; k++) {
        if (!(out[k] = host_array(all + base, l->w[k].shape, l->w[k].ndim, m->dtype))) {
            for (int j = 0; j < k; j++) rt_array_release(out[j]);
            return rt_error_code();
        }
        base += l->w[k].n;
    }
    *n = l->nw;
    return RT_OK;
}

/* offset of layer li's first parameter in get_params order */
static int64_t param_base(const nn_model *m, int li)
{
    int64_t o = 0;
    for (int i = 0; i < li; i++) o += m->layers[i]->nparams;
    return o;
}

rt_status nn_model_get_params(const nn_model *m, int replica, double *out)
{
    if (!m->built) return rt_set_error(RT_EVALUE, "model '%s' has not been built yet", m->name);
    if (replica < 0 || replica >= m->nrep) return rt_set_error(RT_EINDEX, "replica %d out of range", replica);
    return nn_flat_to_host(m, m->rep[replica].params, m->rep[replica].dev, out);
}

rt_status nn_model_set_params(nn_model *m, const double *in)
{
    if (!m->built) return rt_set_error(RT_EVALUE, "model '%s' has not been built yet", m->name);
    return nn_model_upload(m, 0, in);
}

rt_status nn_model_get_weights(const nn_model *m, rt_array ***out, int *n)
{
    *out = NULL;
    *n = 0;
    if (!m->built) return RT_OK;   /* Keras: an unbuilt model has no weights yet */
    double *all = malloc((size_t)(m->count > 0 ? m->count : 1) * sizeof *all);
    rt_array **arr = calloc((size_t)(NN_MAX_LAYER_WEIGHTS * m->nlayers + 1), sizeof *arr);
    if (!all || !arr) { free(all); free(arr); return rt_set_error(RT_EOOM, "out of host memory"); }
    rt_status st = nn_model_get_params(m, 0, all);
    int k = 0;
    for (int i = 0; i < m->nlayers && st == RT_OK; i++) {
        int c = 0;
        st = layer_weights(m, m->layers[i], all, param_base(m, i), arr + k, &c);
        k += c;
    }
    free(all);
    if (st) {
        for (int i = 0; i < k; i++) rt_array_release(arr[i]);
        free(arr);
        return st;
    }
    *out = arr;
    *n = k;
    return RT_OK;
}

/* Checks and reads weights `w` for layer l into dst (get_params order). */
static rt_status read_layer_weights(const nn_layer *l, rt_array *const *w, double *dst)
{
    for (int k = 0; k < l->nw; k++) {
        const rt_array *a = w[k];
        const nn_weight *want = &l->w[k];
        int ok = a->ndim == want->ndim;
        for (int d = 0; ok && d < want->ndim; d++) ok = a->shape[d] == want->shape[d];
        if (!ok) {
            char ws[64], got[64];
            rt_format_shape(want->shape, want->ndim, ws, sizeof ws);
            rt_format_shape(a->shape, a->ndim, got, sizeof got);
            return rt_set_error(RT_EVALUE, "Layer %s weight shape %s is not compatible with provided weight shape %s.",
                                l->name, ws, got);
        }
        rt_status st = rt_to_host(a, RT_FLOAT64, dst);
        if (st) return st;
        dst += a->size;
    }
    return RT_OK;
}

rt_status nn_model_set_weights(nn_model *m, rt_array *const *w, int n)
{
    if (!m->built)
        return rt_set_error(RT_EVALUE, "model '%s' has not been built yet: its weights do not exist", m->name);
    int expect = 0;
    for (int i = 0; i < m->nlayers; i++) expect += m->layers[i]->nw;
    if (n != expect)
        return rt_set_error(RT_EVALUE, "You called `set_weights(weights)` on layer '%s' with a weight list of length %d, "
                            "but the layer was expecting %d weights.", m->name, n, expect);
    double *all = malloc((size_t)(m->count > 0 ? m->count : 1) * sizeof *all);
    if (!all) return rt_set_error(RT_EOOM, "out of host memory");
    rt_status st = RT_OK;
    int k = 0;
    for (int i = 0; i < m->nlayers && st == RT_OK; i++) {
        const nn_layer *l = m->layers[i];
        st = read_layer_weights(l, w + k, all + param_base(m, i));
        k += l->nw;
    }
    if (st == RT_OK) st = nn_model_upload(m, 0, all);
    free(all);
    return st;
}

rt_status nn_layer_get_weights(const nn_layer *l, rt_array **out, int *n)
{
    *n = 0;
    const nn_model *m = l->model;
    if (!m || !m->built || !l->nw) return RT_OK;
    int li = 0;
    while (li < m->nlayers && m->layers[li] != l) li++;
    double *all = malloc((size_t)(m->count > 0 ? m->count : 1) * sizeof *all);
    if (!all) return rt_set_error(RT_EOOM, "out of host memory");
    rt_status st = nn_model_get_params(m, 0, all);
    if (st == RT_OK) st = layer_weights(m, l, all, param_base(m, li), out, n);
    free(all);
    return st;
}

rt_status nn_layer_set_weights(nn_layer *l, rt_array *const *w, int n)
{
    nn_model *m = l->model;
    int has = l->kind == NN_LAYER_DENSE || l->kind == NN_LAYER_CONV2D || l->kind == NN_LAYER_BATCHNORM;
    if (!m || !m->built) {
        if (!has && n == 0) return RT_OK;
        return rt_set_error(RT_EVALUE, "layer '%s' is not built yet: its weights do not exist", l->name);
    }
    int expect = l->nw;
    if (n != expect)
        return rt_set_error(RT_EVALUE, "You called `set_weights(weights)` on layer '%s' with a weight list of length %d, "
                            "but the layer was expecting %d weights.", l->name, n, expect);
    if (!expect) return RT_OK;
    int li = 0;
    while (li < m->nlayers && m->layers[li] != l) li++;
    double *all = malloc((size_t)(m->count > 0 ? m->count : 1) * sizeof *all);
    if (!all) return rt_set_error(RT_EOOM, "out of host memory");
    rt_status st = nn_model_get_params(m, 0, all);
    if (st == RT_OK) st = read_layer_weights(l, w, all + param_base(m, li));
    if (st == RT_OK) st = nn_model_upload(m, 0, all);
    free(all);
    return st;
}

/* ---- summary ---------------------------------------------------------------------- */

void nn_format_bytes(double bytes, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    for (int i = 0; i < 6; i++) {
        if (bytes / 1024.0 < 1.0 || i == 5) { snprintf(buf, cap, "%.2f %s", bytes, units[i]); return; }
        bytes /= 1024.0;
    }
}

/* 50240 -> "50,240" */
static void with_commas(int64_t v, char *buf, size_t cap)
{
    char raw[32];
    snprintf(raw, sizeof raw, "%lld", (long long)(v < 0 ? -v : v));
    size_t n = strlen(raw), o = 0;
    if (v < 0 && o + 1 < cap) buf[o++] = '-';
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        buf[o++] = raw[i];
        if ((n - i - 1) % 3 == 0 && i + 1 < n && o + 1 < cap) buf[o++] = ',';
    }
    buf[o] = 0;
}

static void format_batch_shape(const int64_t *s, int nd, char *buf, size_t cap)
{
    size_t o = (size_t)snprintf(buf, cap, "(None");
    for (int i = 0; i < nd && o < cap; i++) o += (size_t)snprintf(buf + o, cap - o, ", %lld", (long long)s[i]);
    if (o < cap) snprintf(buf + o, cap - o, ")");
}

rt_status nn_model_summary(const nn_model *m, nn_summary *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->model_name, sizeof out->model_name, "%s", m->name);
    out->rows = calloc((size_t)(m->nlayers ? m->nlayers : 1), sizeof *out->rows);
    if (!out->rows) return rt_set_error(RT_EOOM, "out of host memory");
    out->nrows = m->nlayers;
    for (int i = 0; i < m->nlayers; i++) {
        const nn_layer *l = m->layers[i];
        nn_layer_info info;
        nn_layer_get_info(l, &info);
        snprintf(out->rows[i].name, sizeof out->rows[i].name, "%s (%s)", l->name, info.class_name);
        if (l->built) format_batch_shape(l->out_shape, l->out_ndim, out->rows[i].shape, sizeof out->rows[i].shape);
        else snprintf(out->rows[i].shape, sizeof out->rows[i].shape, "?");
        out->rows[i].params = l->built ? l->nparams : 0;
    }
    out->total = m->built ? m->count : 0;
    out->trainable = m->built ? m->trainable_count : 0;
    out->non_trainable = out->total - out->trainable;
    size_t es = rt_dtype_size(m->dtype);
    const int64_t v[3] = {out->total, out->trainable, out->non_trainable};
    char *dst[3] = {out->total_str, out->trainable_str, out->non_trainable_str};
    for (int k = 0; k < 3; k++) {
        char n[28], b[28];
        with_commas(v[k], n, sizeof n);
        nn_format_bytes((double)v[k] * (double)es, b, sizeof b);
        snprintf(dst[k], sizeof out->total_str, "%s (%s)", n, b);
    }
    return RT_OK;
}

void nn_summary_free(nn_summary *s)
{
    if (!s) return;
    free(s->rows);
    memset(s, 0, sizeof *s);
}

/* one table line: l, fill x w0, m, fill x w1, m, fill x w2, r */
static void sb_rule(fmtbuf *b, const char *l, const char *fill, const char *mid, const char *r, const int *w)
{
    fmtbuf_puts(b, l);
    for (int c = 0; c < 3; c++) { fmtbuf_repeat(b, fill, w[c]); fmtbuf_puts(b, c < 2 ? mid : r); }
    fmtbuf_puts(b, "\n");
}

/* a cell: one space, text padded to width-2 (left or right aligned), one space */
static void sb_cell(fmtbuf *b, const char *text, int width, int right)
{
    int inner = width - 2, len = 0;
    for (const char *p = text; *p; p++) len += ((unsigned char)*p & 0xC0) != 0x80; /* code points */
    fmtbuf_puts(b, " ");
    if (right) fmtbuf_repeat(b, " ", inner - len > 0 ? inner - len : 0);
    fmtbuf_puts(b, text);
    if (!right) fmtbuf_repeat(b, " ", inner - len > 0 ? inner - len : 0);
    fmtbuf_puts(b, " ");
}

char *nn_summary_text(const nn_summary *s)
{
    /* Keras 3's rich table at its notebook width (76 columns) */
    int w[3] = {33, 24, 15};
    for (int i = 0; i < s->nrows; i++) {   /* widen for long names */
        int ln = (int)strlen(s->rows[i].name) + 2, ls = (int)strlen(s->rows[i].shape) + 2;
        if (ln > w[0]) w[0] = ln;
        if (ls > w[1]) w[1] = ls;
    }
    fmtbuf b = FMTBUF_INIT;
    char line[256];
    snprintf(line, sizeof line, "Model: \"%s\"\n", s->model_name);
    fmtbuf_puts(&b, line);
    sb_rule(&b, "┏", "━", "┳", "┓", w);
    fmtbuf_puts(&b, "┃"); sb_cell(&b, "Layer (type)", w[0], 0);
    fmtbuf_puts(&b, "┃"); sb_cell(&b, "Output Shape", w[1], 0);
    fmtbuf_puts(&b, "┃"); sb_cell(&b, "Param #", w[2], 1);
    fmtbuf_puts(&b, "┃\n");
    sb_rule(&b, "┡", "━", "╇", "┩", w);
    for (int i = 0; i < s->nrows; i++) {
        char p[48];
        with_commas(s->rows[i].params, p, sizeof p);
        if (strcmp(s->rows[i].shape, "?") == 0) snprintf(p, sizeof p, "0 (unbuilt)");
        fmtbuf_puts(&b, "│"); sb_cell(&b, s->rows[i].name, w[0], 0);
        fmtbuf_puts(&b, "│"); sb_cell(&b, s->rows[i].shape, w[1], 0);
        fmtbuf_puts(&b, "│"); sb_cell(&b, p, w[2], 1);
        fmtbuf_puts(&b, "│\n");
        if (i + 1 < s->nrows) sb_rule(&b, "├", "─", "┼", "┤", w);
    }
    sb_rule(&b, "└", "─", "┴", "┘", w);
    snprintf(line, sizeof line, " Total params: %s\n", s->total_str); fmtbuf_puts(&b, line);
    snprintf(line, sizeof line, " Trainable params: %s\n", s->trainable_str); fmtbuf_puts(&b, line);
    snprintf(line, sizeof line, " Non-trainable params: %s\n", s->non_trainable_str); fmtbuf_puts(&b, line);
    return fmtbuf_take(&b);
}
