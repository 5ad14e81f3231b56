/* layers.c — layer objects, the name tables (activations, initialisers,
 * losses, metrics, optimizers) and Keras-style unique names. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nn_internal.h"

/* ---- name tables ---------------------------------------------------------------- */

/* ORDER nn_activation */
static const char *const act_names[NN_ACT_COUNT] = {"linear", "relu", "sigmoid", "tanh", "softmax"};
/* ORDER nn_initializer */
static const char *const init_names[NN_INIT_COUNT] = {"glorot_uniform", "zeros", "ones", "he_normal"};
/* ORDER nn_loss */
static const char *const loss_names[NN_LOSS_COUNT] = {
    "mean_squared_error", "mean_absolute_error", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy"};
/* ORDER nn_metric */
static const char *const metric_names[NN_METRIC_COUNT] = {"accuracy", "mae", "mse"};

const char *nn_activation_name(nn_activation a)   { return (unsigned)a < NN_ACT_COUNT ? act_names[a] : "?"; }
const char *nn_initializer_name(nn_initializer i) { return (unsigned)i < NN_INIT_COUNT ? init_names[i] : "?"; }
const char *nn_loss_name(nn_loss l)               { return (unsigned)l < NN_LOSS_COUNT ? loss_names[l] : "?"; }
const char *nn_metric_name(nn_metric m)           { return (unsigned)m < NN_METRIC_COUNT ? metric_names[m] : "?"; }

int nn_activation_parse(const char *name, nn_activation *out)
{
    if (!name || strcmp(name, "None") == 0 || strcmp(name, "linear") == 0) { *out = NN_ACT_LINEAR; return 0; }
    for (int i = 0; i < NN_ACT_COUNT; i++)
        if (strcmp(name, act_names[i]) == 0) { *out = (nn_activation)i; return 0; }
    rt_set_error(RT_EVALUE, "Unknown activation: '%s'. Please use one of: linear, relu, sigmoid, tanh, softmax", name);
    return -1;
}

int nn_initializer_parse(const char *name, nn_initializer *out)
{
    if (name) {
        for (int i = 0; i < NN_INIT_COUNT; i++)
            if (strcmp(name, init_names[i]) == 0) { *out = (nn_initializer)i; return 0; }
        if (strcmp(name, "GlorotUniform") == 0) { *out = NN_INIT_GLOROT_UNIFORM; return 0; }
        if (strcmp(name, "Zeros") == 0)         { *out = NN_INIT_ZEROS; return 0; }
        if (strcmp(name, "Ones") == 0)          { *out = NN_INIT_ONES; return 0; }
        if (strcmp(name, "HeNormal") == 0)      { *out = NN_INIT_HE_NORMAL; return 0; }
    }
    rt_set_error(RT_EVALUE, "Unknown initializer: '%s'. Please use one of: glorot_uniform, zeros, ones, he_normal",
                 name ? name : "None");
    return -1;
}

int nn_loss_parse(const char *name, nn_loss *out)
{
    static const struct { const char *alias; nn_loss l; } alias[] = {
        {"mse", NN_LOSS_MSE}, {"MSE", NN_LOSS_MSE}, {"MeanSquaredError", NN_LOSS_MSE},
        {"mae", NN_LOSS_MAE}, {"MAE", NN_LOSS_MAE}, {"MeanAbsoluteError", NN_LOSS_MAE},
        {"BinaryCrossentropy", NN_LOSS_BCE}, {"CategoricalCrossentropy", NN_LOSS_CCE},
        {"SparseCategoricalCrossentropy", NN_LOSS_SCCE},
    };
    if (name) {
        for (int i = 0; i < NN_LOSS_COUNT; i++)
            if (strcmp(name, loss_names[i]) == 0) { *out = (nn_loss)i; return 0; }
        for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
            if (strcmp(name, alias[i].alias) == 0) { *out = alias[i].l; return 0; }
    }
    rt_set_error(RT_EVALUE, "Unknown loss function: '%s'. Please use one of: mean_squared_error (mse), "
                 "mean_absolute_error (mae), binary_crossentropy, categorical_crossentropy, "
                 "sparse_categorical_crossentropy", name ? name : "None");
    return -1;
}

int nn_metric_parse(const char *name, nn_metric *out)
{
    if (name) {
        if (!strcmp(name, "accuracy") || !strcmp(name, "acc")) { *out = NN_METRIC_ACCURACY; return 0; }
        if (!strcmp(name, "mae") || !strcmp(name, "mean_absolute_error")) { *out = NN_METRIC_MAE; return 0; }
        if (!strcmp(name, "mse") || !strcmp(name, "mean_squared_error")) { *out = NN_METRIC_MSE; return 0; }
    }
    rt_set_error(RT_EVALUE, "Unknown metric: '%s'. Please use one of: accuracy, mae, mse", name ? name : "None");
    return -1;
}

/* ---- optimizers ---------------------------------------------------------------- */

void nn_optimizer_init(nn_optimizer *o, nn_optimizer_kind kind)
{
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->beta_1 = 0.9;
    o->beta_2 = 0.999;
    o->epsilon = 1e-7;
    o->rho = 0.9;
    o->momentum = 0.0;
    o->learning_rate = kind == NN_OPT_SGD ? 0.01 : 0.001;
}

int nn_optimizer_parse(const char *name, nn_optimizer *o)
{
    static const char *const names[NN_OPT_COUNT] = {"adam", "sgd", "rmsprop"};
    for (int k = 0; name && k < NN_OPT_COUNT; k++)
        if (strcasecmp(name, names[k]) == 0) { nn_optimizer_init(o, (nn_optimizer_kind)k); return 0; }
    rt_set_error(RT_EVALUE, "Could not interpret optimizer identifier: '%s'. Please use one of: adam, sgd, rmsprop",
                 name ? name : "None");
    return -1;
}

const char *nn_optimizer_class(nn_optimizer_kind k)
{
    switch (k) {
    case NN_OPT_ADAM: return "Adam";
    case NN_OPT_SGD: return "SGD";
    case NN_OPT_RMSPROP: return "RMSprop";
    default: return "?";
    }
}

/* ---- unique names --------------------------------------------------------------- */

/* Keras keeps one counter per base name for the whole session: the first
 * Dense is "dense", the next "dense_1". */
#define NN_MAX_BASES 16
static struct { char base[32]; int count; } name_counters[NN_MAX_BASES];

void nn_reset_names(void) { memset(name_counters, 0, sizeof name_counters); }

void nn_unique_name(const char *base, char *out, size_t cap)
{
    int i;
    for (i = 0; i < NN_MAX_BASES && name_counters[i].base[0]; i++)
        if (strcmp(name_counters[i].base, base) == 0) break;
    if (i == NN_MAX_BASES) { snprintf(out, cap, "%s", base); return; }
    if (!name_counters[i].base[0]) snprintf(name_counters[i].base, sizeof name_counters[i].base, "%s", base);
    int k = name_counters[i].count++;
    if (k == 0) snprintf(out, cap, "%s", base);
    else snprintf(out, cap, "%s_%d", base, k);
}

/* ---- layers ---------------------------------------------------------------------- */

int nn_layer_is_view(const nn_layer *l) { return l->kind == NN_LAYER_FLATTEN || l->kind == NN_LAYER_RESHAPE; }

static nn_layer *layer_new(nn_layer_kind kind, const char *base)
{
    nn_layer *l = calloc(1, sizeof *l);
    if (!l) { rt_set_error(RT_EOOM, "out of host memory creating a layer"); return NULL; }
    l->refcount = 1;
    l->kind = kind;
    l->w_off = l->b_off = -1;
    nn_unique_name(base, l->name, sizeof l->name);
    return l;
}

nn_layer *nn_input(const int64_t *shape, int ndim)
{
    if (ndim < 1 || ndim > RT_MAX_DIMS - 1) {
        rt_set_error(RT_EVALUE, "Input shape must have between 1 and %d dimensions, got %d", RT_MAX_DIMS - 1, ndim);
        return NULL;
    }
    for (int i = 0; i < ndim; i++)
        if (shape[i] <= 0) {
            rt_set_error(RT_EVALUE, "Input shape dimensions must be positive integers, got %lld", (long long)shape[i]);
            return NULL;
        }
    nn_layer *l = layer_new(NN_LAYER_INPUT, "input_layer");
    if (!l) return NULL;
    l->in_ndim = ndim;
    memcpy(l->in_shape, shape, (size_t)ndim * sizeof *shape);
    return l;
}

nn_layer *nn_dense(int64_t units, nn_activation act, int use_bias, nn_initializer kinit, nn_initializer binit)
{
    if (units <= 0) {
        rt_set_error(RT_EVALUE, "Received an invalid value for `units`, expected a positive integer. Received: units=%lld",
                     (long long)units);
        return NULL;
    }
    if ((unsigned)act >= NN_ACT_COUNT || (unsigned)kinit >= NN_INIT_COUNT || (unsigned)binit >= NN_INIT_COUNT) {
        rt_set_error(RT_EVALUE, "invalid activation or initializer for Dense");
        return NULL;
    }
    nn_layer *l = layer_new(NN_LAYER_DENSE, "dense");
    if (!l) return NULL;
    l->units = units;
    l->act = act;
    l->use_bias = use_bias != 0;
    l->kinit = kinit;
    l->binit = binit;
    return l;
}

nn_layer *nn_flatten(void) { return layer_new(NN_LAYER_FLATTEN, "flatten"); }

nn_layer *nn_dropout(double rate)
{
    if (!(rate >= 0.0 && rate < 1.0)) {
        rt_set_error(RT_EVALUE, "Invalid value received for argument `rate`. Expected a float value between 0 and 1. Received: rate=%g", rate);
        return NULL;
    }
    nn_layer *l = layer_new(NN_LAYER_DROPOUT, "dropout");
    if (l) l->rate = rate;
    return l;
}

nn_layer *nn_activation_layer(nn_activation act)
{
    if ((unsigned)act >= NN_ACT_COUNT) { rt_set_error(RT_EVALUE, "invalid activation"); return NULL; }
    nn_layer *l = layer_new(NN_LAYER_ACTIVATION, "activation");
    if (l) l->act = act;
    return l;
}

int nn_padding_parse(const char *name, nn_padding *out)
{
    if (name && strcasecmp(name, "valid") == 0) { *out = NN_PAD_VALID; return 0; }
    if (name && strcasecmp(name, "same") == 0) { *out = NN_PAD_SAME; return 0; }
    rt_set_error(RT_EVALUE, "The `padding` argument must be a string among \"valid\" and \"same\". Received: padding=%s",
                 name ? name : "None");
    return -1;
}

const char *nn_padding_name(nn_padding p) { return p == NN_PAD_SAME ? "same" : "valid"; }

/* Keras's message for a tuple argument that is not made of positive integers */
static int check_pair(const char *what, const int64_t v[2])
{
    if (v[0] > 0 && v[1] > 0) return 0;
    rt_set_error(RT_EVALUE, "The `%s` argument must be a tuple of 2 positive integers. Received: %s=(%lld, %lld)",
                 what, what, (long long)v[0], (long long)v[1]);
    return -1;
}

nn_layer *nn_conv2d(int64_t filters, const int64_t kernel[2], const int64_t strides[2], nn_padding padding,
                    nn_activation act, int use_bias, nn_initializer kinit, nn_initializer binit,
                    const int64_t dilation[2])
{
    static const int64_t one[2] = {1, 1};
    if (!strides) strides = one;
    if (!dilation) dilation = one;
    if (filters <= 0) {
        rt_set_error(RT_EVALUE, "Invalid value for argument `filters`. Expected a strictly positive value. Received filters=%lld.",
                     (long long)filters);
        return NULL;
    }
    if (check_pair("kernel_size", kernel) || check_pair("strides", strides) || check_pair("dilation_rate", dilation))
        return NULL;
    if ((strides[0] > 1 || strides[1] > 1) && (dilation[0] > 1 || dilation[1] > 1)) {
        rt_set_error(RT_EVALUE, "`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                     "Received: strides=(%lld, %lld) and dilation_rate=(%lld, %lld)", (long long)strides[0],
                     (long long)strides[1], (long long)dilation[0], (long long)dilation[1]);
        return NULL;
    }
    if ((unsigned)act >= NN_ACT_COUNT || (unsigned)kinit >= NN_INIT_COUNT || (unsigned)binit >= NN_INIT_COUNT ||
        (unsigned)padding > NN_PAD_SAME) {
        rt_set_error(RT_EVALUE, "invalid activation, initializer or padding for Conv2D");
        return NULL;
    }
    nn_layer *l = layer_new(NN_LAYER_CONV2D, "conv2d");
    if (!l) return NULL;
    l->filters = filters;
    memcpy(l->ksize, kernel, sizeof l->ksize);
    memcpy(l->strides, strides, sizeof l->strides);
    memcpy(l->dilation, dilation, sizeof l->dilation);
    l->padding = padding;
    l->act = act;
    l->use_bias = use_bias != 0;
    l->kinit = kinit;
    l->binit = binit;
    return l;
}

nn_layer *nn_pool2d(nn_layer_kind kind, const int64_t pool[2], const int64_t strides[2], nn_padding padding)
{
    if (kind != NN_LAYER_MAXPOOL2D && kind != NN_LAYER_AVGPOOL2D) {
        rt_set_error(RT_EVALUE, "nn_pool2d: kind must be max or average pooling");
        return NULL;
    }
    if (!strides) strides = pool;
    if (check_pair("pool_size", pool) || check_pair("strides", strides)) return NULL;
    if ((unsigned)padding > NN_PAD_SAME) { rt_set_error(RT_EVALUE, "invalid padding"); return NULL; }
    nn_layer *l = layer_new(kind, kind == NN_LAYER_MAXPOOL2D ? "max_pooling2d" : "average_pooling2d");
    if (!l) return NULL;
    memcpy(l->ksize, pool, sizeof l->ksize);
    memcpy(l->strides, strides, sizeof l->strides);
    l->dilation[0] = l->dilation[1] = 1;
    l->padding = padding;
    return l;
}

nn_layer *nn_global_pool2d(nn_layer_kind kind)
{
    if (kind != NN_LAYER_GLOBAL_AVGPOOL2D && kind != NN_LAYER_GLOBAL_MAXPOOL2D) {
        rt_set_error(RT_EVALUE, "nn_global_pool2d: kind must be global max or average pooling");
        return NULL;
    }
    return layer_new(kind, kind == NN_LAYER_GLOBAL_AVGPOOL2D ? "global_average_pooling2d" : "global_max_pooling2d");
}

nn_layer *nn_batch_norm(int axis, double momentum, double epsilon, int center, int scale)
{
    if (!(momentum >= 0.0 && momentum <= 1.0) || !(epsilon > 0.0)) {
        rt_set_error(RT_EVALUE, "BatchNormalization needs 0 <= momentum <= 1 and epsilon > 0; got momentum=%g, epsilon=%g",
                     momentum, epsilon);
        return NULL;
    }
    nn_layer *l = layer_new(NN_LAYER_BATCHNORM, "batch_normalization");
    if (!l) return NULL;
    l->bn_axis = axis;
    l->momentum = momentum;
    l->epsilon = epsilon;
    l->center = center != 0;
    l->scale = scale != 0;
    return l;
}

nn_layer *nn_reshape(const int64_t *shape, int ndim)
{
    int unknown = 0;
    if (ndim < 1 || ndim > RT_MAX_DIMS - 1) {
        rt_set_error(RT_EVALUE, "Reshape's target_shape must have between 1 and %d dimensions, got %d", RT_MAX_DIMS - 1, ndim);
        return NULL;
    }
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == -1 && !unknown++) continue;
        if (shape[i] <= 0) {
            rt_set_error(RT_EVALUE, "Reshape's target_shape must be positive integers with at most one -1, got %lld",
                         (long long)shape[i]);
            return NULL;
        }
    }
    nn_layer *l = layer_new(NN_LAYER_RESHAPE, "reshape");
    if (!l) return NULL;
    l->target_ndim = ndim;
    memcpy(l->target, shape, (size_t)ndim * sizeof *shape);
    return l;
}

rt_status nn_layer_set_input_shape(nn_layer *l, const int64_t *shape, int ndim)
{
    if (l->kind == NN_LAYER_INPUT) return rt_set_error(RT_EVALUE, "an Input layer takes shape=, not input_shape=");
    nn_layer *probe = nn_input(shape, ndim);   /* same checks and messages as Input(shape=) */
    if (!probe) return rt_error_code();
    nn_layer_release(probe);
    l->in_ndim = ndim;
    memcpy(l->in_shape, shape, (size_t)ndim * sizeof *shape);
    return RT_OK;
}

nn_layer *nn_layer_retain(nn_layer *l) { if (l) l->refcount++; return l; }

void nn_layer_release(nn_layer *l)
{
    if (!l || --l->refcount > 0) return;
    free(l);
}

static const char *layer_class(nn_layer_kind k)
{
    switch (k) {
    case NN_LAYER_INPUT: return "InputLayer";
    case NN_LAYER_DENSE: return "Dense";
    case NN_LAYER_FLATTEN: return "Flatten";
    case NN_LAYER_DROPOUT: return "Dropout";
    case NN_LAYER_ACTIVATION: return "Activation";
    case NN_LAYER_CONV2D: return "Conv2D";
    case NN_LAYER_MAXPOOL2D: return "MaxPooling2D";
    case NN_LAYER_AVGPOOL2D: return "AveragePooling2D";
    case NN_LAYER_GLOBAL_AVGPOOL2D: return "GlobalAveragePooling2D";
    case NN_LAYER_GLOBAL_MAXPOOL2D: return "GlobalMaxPooling2D";
    case NN_LAYER_BATCHNORM: return "BatchNormalization";
    case NN_LAYER_RESHAPE: return "Reshape";
    }
    return "?";
}

void nn_layer_get_info(const nn_layer *l, nn_layer_info *out)
{
    memset(out, 0, sizeof *out);
    out->kind = l->kind;
    out->name = l->name;
    out->class_name = layer_class(l->kind);
    out->units = l->units;
    out->activation = l->act;
    out->use_bias = l->use_bias;
    out->kernel_initializer = l->kinit;
    out->bias_initializer = l->binit;
    out->rate = l->rate;
    out->filters = l->filters;
    memcpy(out->kernel, l->ksize, sizeof out->kernel);
    memcpy(out->strides, l->strides, sizeof out->strides);
    memcpy(out->dilation, l->dilation, sizeof out->dilation);
    out->padding = l->padding;
    out->momentum = l->momentum;
    out->epsilon = l->epsilon;
    out->center = l->center;
    out->scale = l->scale;
    out->nweights = l->built ? l->nw : 0;
    if (l->kind == NN_LAYER_INPUT) {
        out->built = 1;
        out->ndim = l->in_ndim;
        memcpy(out->shape, l->in_shape, sizeof out->shape);
    } else if (l->built) {
        out->built = 1;
        out->ndim = l->out_ndim;
        memcpy(out->shape, l->out_shape, sizeof out->shape);
        out->params = l->nparams;
    }
}
