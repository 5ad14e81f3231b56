/* builtins_nn.c — Keras-style training in the language, over runtime/nn:
 *
 *   Sequential([...], name=)  .add .compile .fit .predict .evaluate .summary
 *                             .get_weights .set_weights .count_params .save
 *                             .layers .history .name ...
 *   Input(shape=)  Dense(units, activation=, use_bias=, kernel_initializer=,
 *   bias_initializer=)  Flatten()  Dropout(rate)  Activation(name)
 *   Conv2D(filters, kernel_size, strides=, padding=, dilation_rate=, ...)
 *   MaxPooling2D(pool_size=, strides=, padding=)  AveragePooling2D(...)
 *   GlobalAveragePooling2D()  GlobalMaxPooling2D()  Reshape(target_shape)
 *   BatchNormalization(axis=, momentum=, epsilon=, center=, scale=)
 *   Adam(learning_rate=0.001, ...)  SGD(...)  RMSprop(...)
 *   load_model(path)  clear_session()
 *   MirroredStrategy(devices=None, cross_device_ops=None)  .scope() .run
 *   .reduce .num_replicas_in_sync  NcclAllReduce() ReductionToOneDevice()
 *   HierarchicalCopyAllReduce()  get_replica_context()
 *
 * fit's progress follows Keras's Progbar: verbose=1 shows one line per
 * epoch ("Epoch 3/10" above "12/469 ━━━━━━━━━━━━━━━━━━━━ 2s 4ms/step -
 * loss: 0.1234"), drawn once with display_data and updated in place with
 * update_display_data (at most 10 updates a second, the final state
 * stays); verbose=2 prints one line per epoch; verbose=0/False nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builtins.h"
#include "html.h"
#include "nn/nn.h"
#include "fit_callbacks.h"
#include "libraries.h"

/* ---- small helpers ------------------------------------------------------------------- */

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Converts the runtime's last error into a language error; -1. */
static int fail_rt(lang_state *L) { lang_raise_rt(L); return -1; }

static int opt_str(lang_state *L, lang_value v, const char *what, const char **out)
{
    if (lv_is_missing(v) || lv_is_none(v)) { *out = NULL; return 0; }
    return lang_get_str(L, v, what, out);
}

static int get_activation(lang_state *L, lang_value v, const char *what, nn_activation *out)
{
    const char *s;
    if (opt_str(L, v, what, &s) < 0) return -1;
    if (nn_activation_parse(s, out)) return fail_rt(L);
    return 0;
}

static int get_initializer(lang_state *L, lang_value v, const char *what, nn_initializer dflt, nn_initializer *out)
{
    const char *s;
    *out = dflt;
    if (opt_str(L, v, what, &s) < 0) return -1;
    if (s && nn_initializer_parse(s, out)) return fail_rt(L);
    return 0;
}

/* verbose: 0/1/2, True/False, "auto" (1) */
static int get_verbose(lang_state *L, lang_value v, int *out)
{
    *out = 1;
    if (lv_is_missing(v) || lv_is_none(v)) return 0;
    if (v.type == LV_STR) {
        if (strcmp(lv_str_cstr(v), "auto") == 0) return 0;
        return lang_fail(L, LANG_E_VALUE, "verbose must be 0, 1, 2 or \"auto\", got '%s'", lv_str_cstr(v));
    }
    int64_t i;
    if (v.type == LV_BOOL) { *out = v.u.b; return 0; }
    if (lang_get_int(L, v, "verbose", &i) < 0) return -1;
    if (i < 0 || i > 2) return lang_fail(L, LANG_E_VALUE, "verbose must be 0, 1 or 2, got %lld", (long long)i);
    *out = (int)i;
    return 0;
}

static lang_value shape_tuple(lang_state *L, const int64_t *shape, int ndim)
{
    lang_value t = lv_tuple_new((size_t)ndim + 1);
    if (lv_is_err(t)) return lang_nomem(L);
    lv_tuple_set_take(t, 0, lv_none());
    for (int i = 0; i < ndim; i++) lv_tuple_set_take(t, (size_t)i + 1, lv_int(shape[i]));
    return t;
}

/* ---- layers ----------------------------------------------------------------------------- */

static void layer_free(void *p) { nn_layer_release(p); }

static char *layer_repr(lang_state *L, lang_value self)
{
    nn_layer_info i;
    nn_layer_get_info(lv_object_data(self), &i);
    return lang_strdupf("<%s name=%s, built=%s>", i.class_name, i.name, i.built ? "True" : "False");
}

static lang_value weights_list(lang_state *L, rt_array **w, int n)
{
    lang_value list = lv_list_new((size_t)n);
    if (lv_is_err(list)) { for (int i = 0; i < n; i++) rt_array_release(w[i]); return lang_nomem(L); }
    for (int i = 0; i < n; i++) {
        lang_value a = lv_array_take(w[i]);
        if (lv_is_err(a) || lv_list_append_take(list, a) < 0) {
            for (int j = i + 1; j < n; j++) rt_array_release(w[j]);
            lv_release(list);
            return lang_nomem(L);
        }
    }
    return list;
}

/* A list/tuple of array-likes as new arrays; *n gets the count. */
static rt_array **arrays_of(lang_state *L, lang_value v, const char *what, int *n)
{
    int64_t cnt;
    lang_value *items = lv_seq_items(v, &cnt);
    if (!items) { lang_fail(L, LANG_E_TYPE, "%s must be a list of arrays, not %s", what, lv_type_name(v)); return NULL; }
    rt_array **a = calloc((size_t)(cnt ? cnt : 1), sizeof *a);
    if (!a) { lang_nomem(L); return NULL; }
    for (int64_t i = 0; i < cnt; i++) {
        if (!(a[i] = lang_to_array(L, items[i], -1, what))) {
            for (int64_t j = 0; j < i; j++) rt_array_release(a[j]);
            free(a);
            return NULL;
        }
    }
    *n = (int)cnt;
    return a;
}

static lang_value layer_get_weights(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    rt_array *w[NN_MAX_LAYER_WEIGHTS];
    int n;
    if (nn_layer_get_weights(lv_object_data(a->self), w, &n)) return lang_raise_rt(L);
    return weights_list(L, w, n);
}

static lang_value layer_set_weights(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "weights", v) < 0) return lv_err();
    int n;
    rt_array **w = arrays_of(L, v[0], "weights", &n);
    if (!w) return lv_err();
    rt_status st = nn_layer_set_weights(lv_object_data(a->self), w, n);
    for (int i = 0; i < n; i++) rt_array_release(w[i]);
    free(w);
    return st ? lang_raise_rt(L) : lv_none();
}

static lang_value pair_tuple(lang_state *L, const int64_t *v)
{
    lang_value t = lv_tuple_new(2);
    if (lv_is_err(t)) return lang_nomem(L);
    lv_tuple_set_take(t, 0, lv_int(v[0]));
    lv_tuple_set_take(t, 1, lv_int(v[1]));
    return t;
}

static lang_value layer_getattr(lang_state *L, lang_value self, const char *name)
{
    nn_layer *l = lv_object_data(self);
    nn_layer_info i;
    nn_layer_get_info(l, &i);
    if (!strcmp(name, "name")) return lv_str(i.name);
    if (!strcmp(name, "built")) return lv_bool(i.built);
    if (!strcmp(name, "trainable")) return lv_bool(1);
    int conv = i.kind == NN_LAYER_CONV2D, pool = i.kind == NN_LAYER_MAXPOOL2D || i.kind == NN_LAYER_AVGPOOL2D;
    int bn = i.kind == NN_LAYER_BATCHNORM;
    if (!strcmp(name, "units") && i.kind == NN_LAYER_DENSE) return lv_int(i.units);
    if (!strcmp(name, "activation") && (i.kind == NN_LAYER_DENSE || i.kind == NN_LAYER_ACTIVATION || conv))
        return lv_str(nn_activation_name(i.activation));
    if (!strcmp(name, "use_bias") && (i.kind == NN_LAYER_DENSE || conv)) return lv_bool(i.use_bias);
    if (!strcmp(name, "filters") && conv) return lv_int(i.filters);
    if ((!strcmp(name, "kernel_size") && conv) || (!strcmp(name, "pool_size") && pool)) return pair_tuple(L, i.kernel);
    if (!strcmp(name, "strides") && (conv || pool)) return pair_tuple(L, i.strides);
    if (!strcmp(name, "dilation_rate") && conv) return pair_tuple(L, i.dilation);
    if (!strcmp(name, "padding") && (conv || pool)) return lv_str(nn_padding_name(i.padding));
    if (!strcmp(name, "momentum") && bn) return lv_float(i.momentum);
    if (!strcmp(name, "epsilon") && bn) return lv_float(i.epsilon);
    if (!strcmp(name, "center") && bn) return lv_bool(i.center);
    if (!strcmp(name, "scale") && bn) return lv_bool(i.scale);
    if (!strcmp(name, "rate") && i.kind == NN_LAYER_DROPOUT) return lv_float(i.rate);
    if (!strcmp(name, "shape") && i.kind == NN_LAYER_INPUT) return shape_tuple(L, i.shape, i.ndim);
    if (!strcmp(name, "output_shape")) {
        if (!i.built) return lang_raise(L, LANG_E_ATTRIBUTE, "The layer %s has never been called and thus has no defined output shape.", i.name);
        return shape_tuple(L, i.shape, i.ndim);
    }
    if (!strcmp(name, "weights")) {
        rt_array *w[NN_MAX_LAYER_WEIGHTS];
        int n;
        if (nn_layer_get_weights(l, w, &n)) return lang_raise_rt(L);
        return weights_list(L, w, n);
    }
    return lv_missing();
}

static const lang_method layer_methods[] = {
    {"get_weights", layer_get_weights, "get_weights()\nThe layer's weights as a list of arrays (Dense: kernel (in, units), bias (units,)).\n>>> model.layers[0].get_weights()"},
    {"set_weights", layer_set_weights, "set_weights(weights)\nSets the layer's weights from a list of arrays of the same shapes.\n>>> l0.set_weights([[[1.8]], [32.0]])"},
    {NULL, NULL, NULL}};
static const char *const layer_attrs[] = {"name", "built", "trainable", "units", "activation", "use_bias", "rate",
                                          "shape", "output_shape", "weights", "filters", "kernel_size", "pool_size",
                                          "strides", "dilation_rate", "padding", "momentum", "epsilon", "center",
                                          "scale", NULL};

#define LAYER_CLASS(var, cname, cdoc) \
    static const lang_class var = {.name = cname, .doc = cdoc, .free = layer_free, .repr = layer_repr, \
                                   .methods = layer_methods, .attrs = layer_attrs, .getattr = layer_getattr}
LAYER_CLASS(input_class, "InputLayer", "The input of a Sequential model: Input(shape=[...]).");
LAYER_CLASS(dense_class, "Dense", "A densely connected layer: y = activation(x @ kernel + bias).");
LAYER_CLASS(flatten_class, "Flatten", "Flattens each sample's features into one axis.");
LAYER_CLASS(dropout_class, "Dropout", "Sets a fraction `rate` of its inputs to 0 during fit (scaling the rest by 1/(1-rate)).");
LAYER_CLASS(activation_class, "Activation", "Applies an activation function.");
LAYER_CLASS(conv2d_class, "Conv2D", "A 2-D convolution over channels-last images (N, H, W, C).");
LAYER_CLASS(maxpool_class, "MaxPooling2D", "The maximum over each pool_size window.");
LAYER_CLASS(avgpool_class, "AveragePooling2D", "The mean over each pool_size window.");
LAYER_CLASS(gavgpool_class, "GlobalAveragePooling2D", "The mean over height and width: (N, H, W, C) -> (N, C).");
LAYER_CLASS(gmaxpool_class, "GlobalMaxPooling2D", "The maximum over height and width: (N, H, W, C) -> (N, C).");
LAYER_CLASS(batchnorm_class, "BatchNormalization", "Normalises the last axis: batch statistics in fit, moving ones otherwise.");
LAYER_CLASS(reshape_class, "Reshape", "Gives each sample a new shape with the same number of elements.");

/* ORDER nn_layer_kind */
static const lang_class *const layer_classes[] = {
    &input_class, &dense_class, &flatten_class, &dropout_class, &activation_class, &conv2d_class, &maxpool_class,
    &avgpool_class, &gavgpool_class, &gmaxpool_class, &batchnorm_class, &reshape_class};

static const lang_class *layer_class_of(nn_layer_kind k)
{
    return (unsigned)k < sizeof layer_classes / sizeof layer_classes[0] ? layer_classes[k] : &activation_class;
}

static nn_layer *layer_of(lang_value v)
{
    const lang_class *c = lv_object_class(v);
    for (size_t i = 0; i < sizeof layer_classes / sizeof layer_classes[0]; i++)
        if (c == layer_classes[i]) return lv_object_data(v);
    return NULL;
}

/* a new language value for layer l (retained) */
static lang_value layer_value(lang_state *L, nn_layer *l)
{
    nn_layer_info i;
    nn_layer_get_info(l, &i);
    return lang_object_new(L, layer_class_of(i.kind), nn_layer_retain(l));
}

static lang_value layer_result(lang_state *L, nn_layer *l)
{
    if (!l) return lang_raise_rt(L);
    nn_layer_info i;
    nn_layer_get_info(l, &i);
    return lang_object_new(L, layer_class_of(i.kind), l);   /* takes the reference */
}

static lang_value bi_input(lang_state *L, const lang_args *a)
{
    lang_value v[4];
    if (lang_args_bind(L, a, "shape=, batch_size=, dtype=, name=", v) < 0) return lv_err();
    if (lv_is_missing(v[0]) || lv_is_none(v[0]))
        return lang_raise(L, LANG_E_VALUE, "Input() needs a shape, e.g. Input(shape=[1])");
    int64_t shape[RT_MAX_DIMS];
    int nd;
    if (lang_get_shape(L, v[0], "shape", shape, &nd) < 0) return lv_err();
    return layer_result(L, nn_input(shape, nd));
}

/* Keras's input_shape= on a first layer (takes the layer; NULL on error) */
static nn_layer *with_input_shape(lang_state *L, nn_layer *l, lang_value v)
{
    if (!l || lv_is_missing(v) || lv_is_none(v)) return l;
    int64_t shape[RT_MAX_DIMS];
    int nd;
    if (lang_get_shape(L, v, "input_shape", shape, &nd) < 0) { nn_layer_release(l); return NULL; }
    if (nn_layer_set_input_shape(l, shape, nd)) { nn_layer_release(l); fail_rt(L); return NULL; }
    return l;
}

/* an int n (meaning (n, n)) or a pair of ints; `dflt` when missing/None */
static int get_pair(lang_state *L, lang_value v, const char *what, const int64_t *dflt, int64_t *out)
{
    if (lv_is_missing(v) || lv_is_none(v)) {
        if (!dflt) return lang_fail(L, LANG_E_VALUE, "`%s` is required", what);
        out[0] = dflt[0];
        out[1] = dflt[1];
        return 0;
    }
    if (v.type == LV_INT) {
        if (lang_get_int(L, v, what, out) < 0) return -1;
        out[1] = out[0];
        return 0;
    }
    int nd;
    int64_t s[RT_MAX_DIMS];
    if (lang_get_shape(L, v, what, s, &nd) < 0) return -1;
    if (nd != 2) return lang_fail(L, LANG_E_VALUE, "The `%s` argument must be a tuple of 2 integers. Received: %d values", what, nd);
    out[0] = s[0];
    out[1] = s[1];
    return 0;
}

static int get_padding(lang_state *L, lang_value v, nn_padding *out)
{
    const char *s;
    *out = NN_PAD_VALID;
    if (opt_str(L, v, "padding", &s) < 0) return -1;
    return s && nn_padding_parse(s, out) ? fail_rt(L) : 0;
}

/* only channels-last images exist here */
static int check_data_format(lang_state *L, lang_value v)
{
    const char *s;
    if (opt_str(L, v, "data_format", &s) < 0) return -1;
    if (s && strcmp(s, "channels_last") != 0)
        return lang_fail(L, LANG_E_VALUE, "data_format='%s' is not supported: images are channels_last (N, H, W, C)", s);
    return 0;
}

static lang_value bi_conv2d(lang_state *L, const lang_args *a)
{
    lang_value v[13];
    if (lang_args_bind(L, a, "filters, kernel_size, strides=, padding=, data_format=, dilation_rate=, groups=, "
                       "activation=, use_bias=, kernel_initializer=, bias_initializer=, input_shape=, name=", v) < 0)
        return lv_err();
    static const int64_t one[2] = {1, 1};
    int64_t filters, k[2], s[2], dil[2], groups = 1;
    nn_padding pad;
    nn_activation act;
    nn_initializer ki, bi;
    int bias = 1;
    if (lang_get_int(L, v[0], "filters", &filters) < 0 || get_pair(L, v[1], "kernel_size", NULL, k) < 0 ||
        get_pair(L, v[2], "strides", one, s) < 0 || get_padding(L, v[3], &pad) < 0 || check_data_format(L, v[4]) < 0 ||
        get_pair(L, v[5], "dilation_rate", one, dil) < 0 ||
        (!lv_is_missing(v[6]) && lang_get_int(L, v[6], "groups", &groups) < 0) ||
        get_activation(L, v[7], "activation", &act) < 0 ||
        (!lv_is_missing(v[8]) && lang_get_bool(L, v[8], "use_bias", &bias) < 0) ||
        get_initializer(L, v[9], "kernel_initializer", NN_INIT_GLOROT_UNIFORM, &ki) < 0 ||
        get_initializer(L, v[10], "bias_initializer", NN_INIT_ZEROS, &bi) < 0)
        return lv_err();
    if (groups != 1) return lang_raise(L, LANG_E_VALUE, "Conv2D supports groups=1 only, got groups=%lld", (long long)groups);
    nn_layer *l = with_input_shape(L, nn_conv2d(filters, k, s, pad, act, bias, ki, bi, dil), v[11]);
    return l ? layer_result(L, l) : (lang_error_pending(L) ? lv_err() : lang_raise_rt(L));
}

static lang_value pool_layer(lang_state *L, const lang_args *a, nn_layer_kind kind)
{
    lang_value v[6];
    if (lang_args_bind(L, a, "pool_size=, strides=, padding=, data_format=, input_shape=, name=", v) < 0) return lv_err();
    static const int64_t two[2] = {2, 2};
    int64_t p[2], s[2];
    nn_padding pad;
    if (get_pair(L, v[0], "pool_size", two, p) < 0 || get_pair(L, v[1], "strides", p, s) < 0 ||
        get_padding(L, v[2], &pad) < 0 || check_data_format(L, v[3]) < 0)
        return lv_err();
    nn_layer *l = with_input_shape(L, nn_pool2d(kind, p, s, pad), v[4]);
    return l ? layer_result(L, l) : (lang_error_pending(L) ? lv_err() : lang_raise_rt(L));
}
static lang_value bi_maxpool(lang_state *L, const lang_args *a) { return pool_layer(L, a, NN_LAYER_MAXPOOL2D); }
static lang_value bi_avgpool(lang_state *L, const lang_args *a) { return pool_layer(L, a, NN_LAYER_AVGPOOL2D); }

static lang_value global_pool_layer(lang_state *L, const lang_args *a, nn_layer_kind kind)
{
    lang_value v[4];
    int keep = 0;
    if (lang_args_bind(L, a, "data_format=, keepdims=, input_shape=, name=", v) < 0 || check_data_format(L, v[0]) < 0 ||
        (!lv_is_missing(v[1]) && lang_get_bool(L, v[1], "keepdims", &keep) < 0))
        return lv_err();
    if (keep) return lang_raise(L, LANG_E_VALUE, "keepdims=True is not supported: the output is (N, C)");
    nn_layer *l = with_input_shape(L, nn_global_pool2d(kind), v[2]);
    return l ? layer_result(L, l) : (lang_error_pending(L) ? lv_err() : lang_raise_rt(L));
}
static lang_value bi_gavgpool(lang_state *L, const lang_args *a) { return global_pool_layer(L, a, NN_LAYER_GLOBAL_AVGPOOL2D); }
static lang_value bi_gmaxpool(lang_state *L, const lang_args *a) { return global_pool_layer(L, a, NN_LAYER_GLOBAL_MAXPOOL2D); }

static lang_value bi_batchnorm(lang_state *L, const lang_args *a)
{
    lang_value v[7];
    if (lang_args_bind(L, a, "axis=, momentum=, epsilon=, center=, scale=, input_shape=, name=", v) < 0) return lv_err();
    int64_t axis = -1;
    double mom = 0.99, eps = 1e-3;
    int center = 1, scale = 1;
    if ((!lv_is_missing(v[0]) && lang_get_int(L, v[0], "axis", &axis) < 0) ||
        (!lv_is_missing(v[1]) && lang_get_float(L, v[1], "momentum", &mom) < 0) ||
        (!lv_is_missing(v[2]) && lang_get_float(L, v[2], "epsilon", &eps) < 0) ||
        (!lv_is_missing(v[3]) && lang_get_bool(L, v[3], "center", &center) < 0) ||
        (!lv_is_missing(v[4]) && lang_get_bool(L, v[4], "scale", &scale) < 0))
        return lv_err();
    nn_layer *l = with_input_shape(L, nn_batch_norm((int)axis, mom, eps, center, scale), v[5]);
    return l ? layer_result(L, l) : (lang_error_pending(L) ? lv_err() : lang_raise_rt(L));
}

static lang_value bi_reshape(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    if (lang_args_bind(L, a, "target_shape, input_shape=, name=", v) < 0) return lv_err();
    int64_t shape[RT_MAX_DIMS], n = 0;
    int nd = 0;
    lang_value *items = v[0].type == LV_INT ? &v[0] : lv_seq_items(v[0], &n);   /* -1 allowed: no lang_get_shape */
    if (v[0].type == LV_INT) n = 1;
    if (!items || n > RT_MAX_DIMS - 1)
        return lang_raise(L, LANG_E_TYPE, "target_shape must be a tuple of at most %d integers", RT_MAX_DIMS - 1);
    for (; nd < n; nd++)
        if (lang_get_int(L, items[nd], "target_shape", &shape[nd]) < 0) return lv_err();
    nn_layer *l = with_input_shape(L, nn_reshape(shape, nd), v[1]);
    return l ? layer_result(L, l) : (lang_error_pending(L) ? lv_err() : lang_raise_rt(L));
}

static lang_value bi_dense(lang_state *L, const lang_args *a)
{
    lang_value v[8];
    if (lang_args_bind(L, a, "units, activation=, use_bias=, kernel_initializer=, bias_initializer=, name=, input_shape=, input_dim=",
                       v) < 0)
        return lv_err();
    int64_t units;
    nn_activation act;
    nn_initializer ki, bi;
    int bias = 1;
    if (lang_get_int(L, v[0], "units", &units) < 0 || get_activation(L, v[1], "activation", &act) < 0 ||
        (!lv_is_missing(v[2]) && lang_get_bool(L, v[2], "use_bias", &bias) < 0) ||
        get_initializer(L, v[3], "kernel_initializer", NN_INIT_GLOROT_UNIFORM, &ki) < 0 ||
        get_initializer(L, v[4], "bias_initializer", NN_INIT_ZEROS, &bi) < 0)
        return lv_err();
    /* Keras 2's input_dim=N is input_shape=(N,) */
    lang_value dim = v[7];
    if (!lv_is_missing(dim) && !lv_is_missing(v[6]))
        return lang_raise(L, LANG_E_VALUE, "Dense: give input_shape= or input_dim=, not both");
    lang_value shape = lv_is_missing(dim) ? lv_retain(v[6]) : lv_tuple_of(1, &dim);
    if (lv_is_err(shape)) return lang_nomem(L);
    nn_layer *l = with_input_shape(L, nn_dense(units, act, bias, ki, bi), shape);
    lv_release(shape);
    return l ? layer_result(L, l) : (lang_error_pending(L) ? lv_err() : lang_raise_rt(L));
}

static lang_value bi_flatten(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "name=", v) < 0) return lv_err();
    return layer_result(L, nn_flatten());
}

static lang_value bi_dropout(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    double rate;
    if (lang_args_bind(L, a, "rate, name=", v) < 0 || lang_get_float(L, v[0], "rate", &rate) < 0) return lv_err();
    return layer_result(L, nn_dropout(rate));
}

static lang_value bi_activation(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    nn_activation act;
    if (lang_args_bind(L, a, "activation, name=", v) < 0 || get_activation(L, v[0], "activation", &act) < 0) return lv_err();
    return layer_result(L, nn_activation_layer(act));
}

/* ---- optimizers ------------------------------------------------------------------------- */

static char *opt_repr(lang_state *L, lang_value self)
{
    const nn_optimizer *o = lv_object_data(self);
    switch (o->kind) {
    case NN_OPT_ADAM:
        return lang_strdupf("Adam(learning_rate=%g, beta_1=%g, beta_2=%g, epsilon=%g)", o->learning_rate, o->beta_1,
                            o->beta_2, o->epsilon);
    case NN_OPT_SGD: return lang_strdupf("SGD(learning_rate=%g, momentum=%g)", o->learning_rate, o->momentum);
    default: return lang_strdupf("RMSprop(learning_rate=%g, rho=%g, epsilon=%g)", o->learning_rate, o->rho, o->epsilon);
    }
}

static lang_value opt_getattr(lang_state *L, lang_value self, const char *name)
{
    const nn_optimizer *o = lv_object_data(self);
    if (!strcmp(name, "learning_rate") || !strcmp(name, "lr")) return lv_float(o->learning_rate);
    if (!strcmp(name, "name")) return lv_str(o->kind == NN_OPT_ADAM ? "adam" : o->kind == NN_OPT_SGD ? "SGD" : "rmsprop");
    if (o->kind == NN_OPT_ADAM && !strcmp(name, "beta_1")) return lv_float(o->beta_1);
    if (o->kind == NN_OPT_ADAM && !strcmp(name, "beta_2")) return lv_float(o->beta_2);
    if (o->kind != NN_OPT_SGD && !strcmp(name, "epsilon")) return lv_float(o->epsilon);
    if (o->kind == NN_OPT_SGD && !strcmp(name, "momentum")) return lv_float(o->momentum);
    if (o->kind == NN_OPT_RMSPROP && !strcmp(name, "rho")) return lv_float(o->rho);
    return lv_missing();
}

static const char *const opt_attrs[] = {"learning_rate", "name", "beta_1", "beta_2", "epsilon", "momentum", "rho", NULL};
static const lang_class adam_class = {.name = "Adam", .doc = "The Adam optimizer (Keras's update rule).",
                                      .free = free, .repr = opt_repr, .attrs = opt_attrs, .getattr = opt_getattr};
static const lang_class sgd_class = {.name = "SGD", .doc = "Gradient descent, with optional momentum.",
                                     .free = free, .repr = opt_repr, .attrs = opt_attrs, .getattr = opt_getattr};
static const lang_class rmsprop_class = {.name = "RMSprop", .doc = "The RMSprop optimizer.",
                                         .free = free, .repr = opt_repr, .attrs = opt_attrs, .getattr = opt_getattr};

static lang_value make_opt(lang_state *L, const lang_args *a, nn_optimizer_kind kind)
{
    nn_optimizer o;
    nn_optimizer_init(&o, kind);
    lang_value v[4];
    const char *spec = kind == NN_OPT_ADAM ? "learning_rate=, beta_1=, beta_2=, epsilon="
                     : kind == NN_OPT_SGD ? "learning_rate=, momentum=, nesterov=, name="
                                          : "learning_rate=, rho=, momentum=, epsilon=";
    if (lang_args_bind(L, a, spec, v) < 0) return lv_err();
    double *slots[4] = {&o.learning_rate, kind == NN_OPT_ADAM ? &o.beta_1 : kind == NN_OPT_SGD ? &o.momentum : &o.rho,
                        kind == NN_OPT_ADAM ? &o.beta_2 : NULL, &o.epsilon};
    const char *names[4] = {"learning_rate", kind == NN_OPT_ADAM ? "beta_1" : kind == NN_OPT_SGD ? "momentum" : "rho",
                            kind == NN_OPT_ADAM ? "beta_2" : "momentum", "epsilon"};
    for (int i = 0; i < 4; i++) {
        if (lv_is_missing(v[i])) continue;
        if (kind == NN_OPT_SGD && i >= 2) {
            int b = 0;
            if (i == 2 && (lang_get_bool(L, v[i], "nesterov", &b) < 0)) return lv_err();
            if (b) return lang_raise(L, LANG_E_VALUE, "SGD(nesterov=True) is not supported");
            continue;
        }
        if (kind == NN_OPT_RMSPROP && i == 2) {
            double mom;
            if (lang_get_float(L, v[i], "momentum", &mom) < 0) return lv_err();
            if (mom != 0) return lang_raise(L, LANG_E_VALUE, "RMSprop(momentum=...) is not supported");
            continue;
        }
        if (lang_get_float(L, v[i], names[i], slots[i]) < 0) return lv_err();
    }
    if (!(o.learning_rate >= 0)) return lang_raise(L, LANG_E_VALUE, "learning_rate must be >= 0, got %g", o.learning_rate);
    nn_optimizer *p = malloc(sizeof *p);
    if (!p) return lang_nomem(L);
    *p = o;
    return lang_object_new(L, kind == NN_OPT_ADAM ? &adam_class : kind == NN_OPT_SGD ? &sgd_class : &rmsprop_class, p);
}

static lang_value bi_adam(lang_state *L, const lang_args *a) { return make_opt(L, a, NN_OPT_ADAM); }
static lang_value bi_sgd(lang_state *L, const lang_args *a) { return make_opt(L, a, NN_OPT_SGD); }
static lang_value bi_rmsprop(lang_state *L, const lang_args *a) { return make_opt(L, a, NN_OPT_RMSPROP); }

static int get_optimizer(lang_state *L, lang_value v, nn_optimizer *out)
{
    if (lv_is_missing(v) || lv_is_none(v)) { nn_optimizer_init(out, NN_OPT_RMSPROP); return 0; }   /* Keras's default */
    const lang_class *c = lv_object_class(v);
    if (c == &adam_class || c == &sgd_class || c == &rmsprop_class) { *out = *(nn_optimizer *)lv_object_data(v); return 0; }
    if (v.type == LV_STR) return nn_optimizer_parse(lv_str_cstr(v), out) ? fail_rt(L) : 0;
    return lang_fail(L, LANG_E_TYPE, "optimizer must be a name ('adam') or an optimizer (Adam(0.1)), not %s", lv_type_name(v));
}

/* ---- History ------------------------------------------------------------------------------ */

typedef struct {
    lang_value history;   /* dict: key -> list of floats */
    lang_value epoch;     /* list of ints */
    lang_value params;    /* dict */
} history_obj;

static void history_free(void *p)
{
    history_obj *h = p;
    if (!h) return;
    lv_release(h->history);
    lv_release(h->epoch);
    lv_release(h->params);
    free(h);
}

static char *history_repr(lang_state *L, lang_value self)
{
    history_obj *h = lv_object_data(self);
    return lang_strdupf("<History epochs=%zu>", lv_list_len(h->epoch));
}

static lang_value history_getattr(lang_state *L, lang_value self, const char *name)
{
    history_obj *h = lv_object_data(self);
    if (!strcmp(name, "history")) return lv_retain(h->history);
    if (!strcmp(name, "epoch")) return lv_retain(h->epoch);
    if (!strcmp(name, "params")) return lv_retain(h->params);
    return lv_missing();
}

static const char *const history_attrs[] = {"history", "epoch", "params", NULL};
static const lang_class history_class = {
    .name = "History", .doc = "What fit returns: history (a dict of per-epoch lists: 'loss', metrics, 'val_...'), epoch, params.",
    .free = history_free, .repr = history_repr, .attrs = history_attrs, .getattr = history_getattr};

/* order of keys as Keras 3 shows them: sorted by name */
static void sorted_order(const char *const *names, int n, int *order)
{
    for (int i = 0; i < n; i++) order[i] = i;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[order[j - 1]], names[order[j]]) > 0; j--) {
            int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
        }
}

static lang_value history_value(lang_state *L, const nn_history *h, int verbose, int epochs, int64_t steps)
{
    history_obj *o = calloc(1, sizeof *o);
    if (!o) return lang_nomem(L);
    o->history = lv_dict_new();
    o->epoch = lv_list_new((size_t)h->epochs);
    o->params = lv_dict_new();
    if (lv_is_err(o->history) || lv_is_err(o->epoch) || lv_is_err(o->params)) { history_free(o); return lang_nomem(L); }
    int order[16];
    sorted_order((const char *const *)h->keys, h->nkeys < 16 ? h->nkeys : 16, order);
    for (int q = 0; q < h->nkeys && q < 16; q++) {
        int k = order[q];
        lang_value list = lv_list_new((size_t)h->epochs);
        for (int e = 0; !lv_is_err(list) && e < h->epochs; e++) lv_list_append(list, lv_float(h->values[k][e]));
        if (lv_is_err(list) || lv_dict_set_str(o->history, h->keys[k], list) < 0) {
            lv_release(list);
            history_free(o);
            return lang_nomem(L);
        }
        lv_release(list);
    }
    for (int e = 0; e < h->epochs; e++) lv_list_append(o->epoch, lv_int(e));
    lv_dict_set_str(o->params, "verbose", lv_int(verbose));
    lv_dict_set_str(o->params, "epochs", lv_int(epochs));
    lv_dict_set_str(o->params, "steps", lv_int(steps));
    return lang_object_new(L, &history_class, o);
}

/* ---- progress lines (Keras's Progbar) ------------------------------------------------------ */

static void fmt_time_per_step(char *buf, size_t cap, double t)
{
    if (t >= 1 || t == 0) snprintf(buf, cap, "%.0fs/step", t);
    else if (t >= 1e-3) snprintf(buf, cap, "%.0fms/step", t * 1e3);
    else snprintf(buf, cap, "%.0fus/step", t * 1e6);
}

static void fmt_eta(char *buf, size_t cap, double eta)
{
    if (eta > 3600) snprintf(buf, cap, "%d:%02d:%02d", (int)(eta / 3600), (int)fmod(eta, 3600) / 60, (int)fmod(eta, 60));
    else if (eta > 60) snprintf(buf, cap, "%d:%02d", (int)(eta / 60), (int)fmod(eta, 60));
    else snprintf(buf, cap, "%ds", (int)eta);
}

static size_t fmt_logs(char *buf, size_t cap, int nlogs, const char *const *names, const double *values)
{
    int order[16];
    int n = nlogs < 16 ? nlogs : 16;
    sorted_order(names, n, order);
    size_t o = 0;
    for (int q = 0; q < n && o < cap; q++) {
        double v = values[order[q]];
        o += (size_t)snprintf(buf + o, cap - o, fabs(v) > 1e-3 ? " - %s: %.4f" : " - %s: %.4e", names[order[q]], v);
    }
    return o;
}

/* "  12/469 ━━━━━━━━━━━━━━━━━━━━ 2s 4ms/step - loss: 0.1234" (verbose 1) */
static void progbar_line(char *buf, size_t cap, int64_t cur, int64_t target, int final, double seconds,
                         int nlogs, const char *const *names, const double *values)
{
    int digits = 1;
    for (int64_t t = target; t >= 10; t /= 10) digits++;
    int width = 20, filled = target > 0 ? (int)(width * (double)cur / (double)target) : width;
    if (filled > width) filled = width;
    double per = cur > 0 ? seconds / (double)cur : 0;
    char t[32], when[32];
    fmt_time_per_step(t, sizeof t, per);
    if (final) snprintf(when, sizeof when, "%.0fs", seconds);
    else fmt_eta(when, sizeof when, per * (double)(target - cur));
    size_t o = (size_t)snprintf(buf, cap, "\x1b[1m%*lld/%lld\x1b[0m ", digits, (long long)cur, (long long)target);
    if (filled > 0 && o < cap) {
        o += (size_t)snprintf(buf + o, cap - o, "\x1b[32m");
        for (int i = 0; i < filled && o + 4 < cap; i++) o += (size_t)snprintf(buf + o, cap - o, "━");
        o += (size_t)snprintf(buf + o, cap - o, "\x1b[0m");
    }
    if (o < cap) o += (size_t)snprintf(buf + o, cap - o, "\x1b[37m");
    for (int i = filled; i < width && o + 4 < cap; i++) o += (size_t)snprintf(buf + o, cap - o, "━");
    if (o < cap) o += (size_t)snprintf(buf + o, cap - o, "\x1b[0m \x1b[1m%s\x1b[0m %s", when, t);
    if (o < cap) fmt_logs(buf + o, cap - o, nlogs, names, values);
}

/* one text/plain display, drawn or updated under display_id */
static void show_text(lang_state *L, const char *text, const char *id, int update)
{
    lang_bundle b = {0};
    if (lang_bundle_add(&b, "text/plain", text) == 0) lang_display(L, &b, id, update);
    lang_bundle_clear(&b);
}

typedef struct {
    lang_state *L;
    int         verbose;
    char       *id;        /* the current epoch's display id */
    int         epoch;     /* epoch the id belongs to, -1 none */
} progress_ctx;

static int fit_progress(void *vctx, const nn_progress *p)
{
    progress_ctx *c = vctx;
    char line[2048], head[64];
    snprintf(head, sizeof head, "Epoch %d/%d", p->epoch + 1, p->epochs);
    if (c->verbose == 2) {
        if (!p->epoch_end) return 0;
        char t[32];
        fmt_time_per_step(t, sizeof t, p->steps ? p->seconds / (double)p->steps : 0);
        int digits = 1;
        for (int64_t s = p->steps; s >= 10; s /= 10) digits++;
        size_t o = (size_t)snprintf(line, sizeof line, "%s\n%*lld/%lld - %.0fs - %s", head, digits, (long long)p->steps,
                                    (long long)p->steps, p->seconds, t);
        o += fmt_logs(line + o, sizeof line - o, p->nlogs, p->names, p->values);
        lang_printf(c->L, "%s\n", line);
        return 0;
    }
    char bar[1800];
    progbar_line(bar, sizeof bar, p->step, p->steps, p->epoch_end, p->seconds, p->nlogs, p->names, p->values);
    snprintf(line, sizeof line, "%s\n%s", head, bar);
    int update = c->epoch == p->epoch && c->id;
    if (!update) {
        free(c->id);
        c->id = lang_new_display_id(c->L);
        c->epoch = p->epoch;
    }
    show_text(c->L, line, c->id, update);
    return 0;
}

/* ---- Sequential --------------------------------------------------------------------------------- */

typedef struct {
    nn_model  *m;
    lang_value history;     /* History of the last fit, or None */
    int        stop_training;  /* set by callbacks; fit resets it */
} model_obj;

static void model_free(void *p)
{
    model_obj *o = p;
    if (!o) return;
    lv_release(o->history);
    nn_model_release(o->m);
    free(o);
}

static char *model_repr(lang_state *L, lang_value self)
{
    model_obj *o = lv_object_data(self);
    return lang_strdupf("<Sequential name=%s, built=%s>", nn_model_name(o->m), nn_model_is_built(o->m) ? "True" : "False");
}

static const lang_class model_class;
static const lang_class strategy_class;

static lang_value model_value(lang_state *L, nn_model *m)   /* takes m */
{
    model_obj *o = calloc(1, sizeof *o);
    if (!o) { nn_model_release(m); return lang_nomem(L); }
    o->m = m;
    o->history = lv_none();
    return lang_object_new(L, &model_class, o);
}

static int add_layer(lang_state *L, nn_model *m, lang_value v)
{
    nn_layer *l = layer_of(v);
    if (!l) return lang_fail(L, LANG_E_TYPE, "Only instances of Layer can be added to a Sequential model. Received: %s",
                             lv_type_name(v));
    return nn_model_add(m, l) ? fail_rt(L) : 0;
}

static lang_value bi_sequential(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    const char *name = NULL;
    if (lang_args_bind(L, a, "layers=, name=", v) < 0 || opt_str(L, v[1], "name", &name) < 0) return lv_err();
    nn_model *m = nn_sequential(name);
    if (!m) return lang_raise_rt(L);
    if (!lv_is_missing(v[0]) && !lv_is_none(v[0])) {
        int64_t n;
        lang_value *items = lv_seq_items(v[0], &n);
        if (!items) {
            nn_model_release(m);
            return lang_raise(L, LANG_E_TYPE, "Sequential() takes a list of layers, not %s", lv_type_name(v[0]));
        }
        for (int64_t i = 0; i < n; i++)
            if (add_layer(L, m, items[i]) < 0) { nn_model_release(m); return lv_err(); }
    }
    return model_value(L, m);
}

static nn_model *self_model(const lang_args *a) { return ((model_obj *)lv_object_data(a->self))->m; }

static lang_value model_add(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "layer", v) < 0 || add_layer(L, self_model(a), v[0]) < 0) return lv_err();
    return lv_none();
}

static lang_value model_compile(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    if (lang_args_bind(L, a, "optimizer=, loss=, metrics=", v) < 0) return lv_err();
    nn_optimizer opt;
    if (get_optimizer(L, v[0], &opt) < 0) return lv_err();
    const char *ls;
    if (opt_str(L, v[1], "loss", &ls) < 0) return lv_err();
    if (!ls) return lang_raise(L, LANG_E_VALUE, "compile() needs a loss, e.g. loss='mean_squared_error'");
    nn_loss loss;
    if (nn_loss_parse(ls, &loss)) return lang_raise_rt(L);
    nn_metric mt[4];
    int nm = 0;
    if (!lv_is_missing(v[2]) && !lv_is_none(v[2])) {
        int64_t n;
        lang_value *items = lv_seq_items(v[2], &n);
        lang_value one = v[2];
        if (!items) { items = &one; n = 1; }
        for (int64_t i = 0; i < n; i++) {
            const char *s;
            if (lang_get_str(L, items[i], "metrics", &s) < 0) return lv_err();
            if (nm == 4) return lang_raise(L, LANG_E_VALUE, "at most 4 metrics are supported");
            if (nn_metric_parse(s, &mt[nm++])) return lang_raise_rt(L);
        }
    }
    if (nn_model_compile(self_model(a), loss, &opt, mt, nm)) return lang_raise_rt(L);
    return lv_none();
}

static rt_array *data_arg(lang_state *L, lang_value v, const char *what)
{
    if (lv_is_missing(v) || lv_is_none(v)) { lang_fail(L, LANG_E_VALUE, "%s is required", what); return NULL; }
    return lang_to_array(L, v, -1, what);
}

/* Keras's callback params: verbose, epochs, steps */
static lang_value fit_params(int verbose, int epochs, int64_t steps)
{
    lang_value d = lv_dict_new();
    if (lv_is_err(d)) return d;
    if (lv_dict_set_str(d, "verbose", lv_int(verbose)) < 0 || lv_dict_set_str(d, "epochs", lv_int(epochs)) < 0 ||
        lv_dict_set_str(d, "steps", lv_int(steps)) < 0) { lv_release(d); return lv_err(); }
    return d;
}

static lang_value model_fit(lang_state *L, const lang_args *a)
{
    lang_value v[9];
    if (lang_args_bind(L, a, "x, y, batch_size=, epochs=, verbose=, callbacks=, validation_split=, validation_data=, shuffle=", v) < 0)
        return lv_err();
    model_obj *mo = lv_object_data(a->self);
    nn_fit_options o;
    nn_fit_options_init(&o);
    int64_t i64;
    int verbose;
    if (!lv_is_missing(v[2]) && !lv_is_none(v[2])) {
        if (lang_get_int(L, v[2], "batch_size", &i64) < 0) return lv_err();
        if (i64 < 1) return lang_raise(L, LANG_E_VALUE, "batch_size must be a positive integer, got %lld", (long long)i64);
        o.batch_size = i64;
    }
    if (!lv_is_missing(v[3])) {
        if (lang_get_int(L, v[3], "epochs", &i64) < 0) return lv_err();
        if (i64 < 0 || i64 > 100000000) return lang_raise(L, LANG_E_VALUE, "epochs must be >= 0, got %lld", (long long)i64);
        o.epochs = (int)i64;
    }
    if (get_verbose(L, v[4], &verbose) < 0) return lv_err();
    if (!lv_is_missing(v[6]) && lang_get_float(L, v[6], "validation_split", &o.validation_split) < 0) return lv_err();
    if (!lv_is_missing(v[8]) && lang_get_bool(L, v[8], "shuffle", &o.shuffle) < 0) return lv_err();
    rt_array *x = data_arg(L, v[0], "x"), *y = x ? data_arg(L, v[1], "y") : NULL, *vx = NULL, *vy = NULL;
    if (!x || !y) { rt_array_release(x); return lv_err(); }
    if (!lv_is_missing(v[7]) && !lv_is_none(v[7])) {
        int64_t n;
        lang_value *it = lv_seq_items(v[7], &n);
        if (!it || n != 2) {
            rt_array_release(x); rt_array_release(y);
            return lang_raise(L, LANG_E_VALUE, "validation_data must be a tuple (x_val, y_val)");
        }
        vx = lang_to_array(L, it[0], -1, "validation_data x");
        vy = vx ? lang_to_array(L, it[1], -1, "validation_data y") : NULL;
        if (!vx || !vy) { rt_array_release(x); rt_array_release(y); rt_array_release(vx); return lv_err(); }
        o.val_x = vx;
        o.val_y = vy;
    }
    progress_ctx pc = {L, verbose, NULL, -1};
    if (verbose) {
        o.progress = fit_progress;
        o.progress_ctx = &pc;
        o.progress_interval = verbose == 1 ? 0.1 : -1;   /* <= 10 updates a second */
        /* CGPU_PROGRESS_INTERVAL (seconds) overrides the throttle (tests) */
        const char *iv = getenv("CGPU_PROGRESS_INTERVAL");
        if (iv && verbose == 1) o.progress_interval = atof(iv);
    }
    int64_t n_train = x->ndim ? x->shape[0] : 0;
    if (o.validation_split > 0 && !vx) n_train = (int64_t)floor((double)n_train * (1.0 - o.validation_split));
    int64_t steps = (n_train + o.batch_size - 1) / o.batch_size;
    fit_callbacks *cbs = NULL;
    nn_fit_hooks hooks;
    lang_value params = fit_params(verbose, o.epochs, steps);
    mo->stop_training = 0;
    int cb_rc = lv_is_err(params) ? lang_fail(L, LANG_E_MEMORY, "out of memory")
                                  : fit_callbacks_open(L, v[5], a->self, params, &cbs, &hooks);
    lv_release(params);
    if (cb_rc < 0) { rt_array_release(x); rt_array_release(y); rt_array_release(vx); rt_array_release(vy); return lv_err(); }
    if (cbs) o.hooks = &hooks;
    nn_history h;
    rt_status st = nn_model_fit(mo->m, x, y, &o, &h);
    free(pc.id);
    rt_array_release(x); rt_array_release(y); rt_array_release(vx); rt_array_release(vy);
    lang_value hv = lv_none();
    int failed = fit_callbacks_failed(cbs);
    if (h.keys) {
        hv = history_value(L, &h, verbose, o.epochs, steps);
        nn_history_free(&h);
    }
    /* the history keeps what the callbacks added, also when one failed */
    fit_callbacks_close(L, cbs, hv.type == LV_OBJECT ? ((history_obj *)lv_object_data(hv))->history : lv_none());
    if (lv_is_err(hv)) return hv;
    if (!lv_is_none(hv)) {
        lv_release(mo->history);
        mo->history = lv_retain(hv);
    }
    if (failed) { lv_release(hv); return lv_err(); }   /* the callback's own error */
    if (st) { lv_release(hv); return lang_raise_rt(L); }
    return hv;
}

/* the final progress line of predict / evaluate (verbose 1) */
static void final_line(lang_state *L, int64_t n, int64_t batch, double seconds, int nlogs, const char *const *names,
                       const double *values)
{
    int64_t steps = (n + batch - 1) / batch;
    char bar[1800];
    progbar_line(bar, sizeof bar, steps, steps, 1, seconds, nlogs, names, values);
    char *id = lang_new_display_id(L);
    show_text(L, bar, id, 0);
    free(id);
}

static int batch_arg(lang_state *L, lang_value v, int64_t *out)
{
    *out = 32;
    if (lv_is_missing(v) || lv_is_none(v)) return 0;
    if (lang_get_int(L, v, "batch_size", out) < 0) return -1;
    if (*out < 1) return lang_fail(L, LANG_E_VALUE, "batch_size must be a positive integer, got %lld", (long long)*out);
    return 0;
}

static lang_value model_predict(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    int64_t batch;
    int verbose;
    if (lang_args_bind(L, a, "x, batch_size=, verbose=", v) < 0 || batch_arg(L, v[1], &batch) < 0 ||
        get_verbose(L, v[2], &verbose) < 0)
        return lv_err();
    rt_array *x = data_arg(L, v[0], "x");
    if (!x) return lv_err();
    double t0 = wall();
    rt_array *r = nn_model_predict(self_model(a), x, batch);
    int64_t n = x->ndim ? x->shape[0] : 1;
    rt_array_release(x);
    if (r && verbose) final_line(L, n, batch, wall() - t0, 0, NULL, NULL);
    return lang_array_result(L, r);
}

static lang_value model_evaluate(lang_state *L, const lang_args *a)
{
    lang_value v[4];
    int64_t batch;
    int verbose;
    if (lang_args_bind(L, a, "x, y, batch_size=, verbose=", v) < 0 || batch_arg(L, v[2], &batch) < 0 ||
        get_verbose(L, v[3], &verbose) < 0)
        return lv_err();
    rt_array *x = data_arg(L, v[0], "x"), *y = x ? data_arg(L, v[1], "y") : NULL;
    if (!x || !y) { rt_array_release(x); return lv_err(); }
    nn_model *m = self_model(a);
    double vals[8], t0 = wall();
    int n;
    rt_status st = nn_model_evaluate(m, x, y, batch, vals, &n);
    int64_t rows = x->ndim ? x->shape[0] : 1;
    rt_array_release(x);
    rt_array_release(y);
    if (st) return lang_raise_rt(L);
    const char *names[8];
    nn_model_log_names(m, names, 8);
    if (verbose) final_line(L, rows, batch, wall() - t0, n, names, vals);
    if (n == 1) return lv_float(vals[0]);
    lang_value list = lv_list_new((size_t)n);
    for (int i = 0; !lv_is_err(list) && i < n; i++) lv_list_append(list, lv_float(vals[i]));
    return lv_is_err(list) ? lang_nomem(L) : list;
}

static lang_value model_summary(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    nn_summary s;
    if (nn_model_summary(self_model(a), &s)) return lang_raise_rt(L);
    char *text = nn_summary_text(&s), *html = NULL;
    html_table *t = html_table_new(3);
    if (t) {
        char cap[160], p[48];
        snprintf(cap, sizeof cap, "Model: \"%s\"", s.model_name);
        const char *hdr[3] = {"Layer (type)", "Output Shape", "Param #"};
        html_table_caption(t, cap);
        html_table_header(t, hdr);
        html_table_align(t, 2, 'r');
        for (int i = 0; i < s.nrows; i++) {
            snprintf(p, sizeof p, "%lld", (long long)s.rows[i].params);
            const char *row[3] = {s.rows[i].name, s.rows[i].shape, strcmp(s.rows[i].shape, "?") ? p : "0 (unbuilt)"};
            html_table_row(t, row);
        }
        char note[128];
        snprintf(note, sizeof note, "Total params: %s", s.total_str); html_table_note(t, note);
        snprintf(note, sizeof note, "Trainable params: %s", s.trainable_str); html_table_note(t, note);
        snprintf(note, sizeof note, "Non-trainable params: %s", s.non_trainable_str); html_table_note(t, note);
        html = html_table_render_html(t);
        html_table_free(t);
    }
    nn_summary_free(&s);
    if (!text) { free(html); return lang_nomem(L); }
    lang_bundle b = {0};
    size_t tl = strlen(text);
    if (tl && text[tl - 1] == '\n') text[tl - 1] = 0;
    lang_bundle_add(&b, "text/plain", text);
    if (html) lang_bundle_add(&b, "text/html", html);
    lang_display(L, &b, NULL, 0);
    lang_bundle_clear(&b);
    free(text);
    free(html);
    return lv_none();
}

static lang_value model_get_weights(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    rt_array **w;
    int n;
    if (nn_model_get_weights(self_model(a), &w, &n)) return lang_raise_rt(L);
    lang_value r = weights_list(L, w, n);
    free(w);
    return r;
}

static lang_value model_set_weights(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "weights", v) < 0) return lv_err();
    int n;
    rt_array **w = arrays_of(L, v[0], "weights", &n);
    if (!w) return lv_err();
    rt_status st = nn_model_set_weights(self_model(a), w, n);
    for (int i = 0; i < n; i++) rt_array_release(w[i]);
    free(w);
    return st ? lang_raise_rt(L) : lv_none();
}

static lang_value model_count_params(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    int64_t n;
    if (nn_model_count_params(self_model(a), &n)) return lang_raise_rt(L);
    return lv_int(n);
}

/* C-GPU keeps models in its own format (runtime/nn/FORMAT.md); a Keras
 * file name (.h5, .hdf5, .keras) is refused rather than given a file that
 * Keras could not read. */
static int refuse_keras_file(lang_state *L, const char *path, const char *op)
{
    const char *dot = strrchr(path, '.');
    if (!dot || (strcmp(dot, ".h5") && strcmp(dot, ".hdf5") && strcmp(dot, ".keras"))) return 0;
    return lang_fail(L, LANG_E_VALUE, "C-GPU does not %s Keras %s files: its models are saved in C-GPU's own format, "
                     "e.g. model.save('%.*s.cgnn'), and loaded with load_model('%.*s.cgnn')",
                     strcmp(op, "save") == 0 ? "write" : "read", dot, (int)(dot - path), path, (int)(dot - path), path);
}

static lang_value model_save(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *path;
    if (lang_args_bind(L, a, "filepath", v) < 0 || lang_get_str(L, v[0], "filepath", &path) < 0 ||
        refuse_keras_file(L, path, "save") < 0) return lv_err();
    if (nn_model_save(self_model(a), path)) return lang_raise_rt(L);
    return lv_none();
}

static lang_value model_build(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    int64_t shape[RT_MAX_DIMS];
    int nd;
    if (lang_args_bind(L, a, "input_shape", v) < 0 || lang_get_shape(L, v[0], "input_shape", shape, &nd) < 0) return lv_err();
    if (nd < 2) return lang_raise(L, LANG_E_VALUE, "build() takes the batch input shape, e.g. (None, 1)");
    if (nn_model_build(self_model(a), shape + 1, nd - 1)) return lang_raise_rt(L);
    return lv_none();
}

static lang_value strategy_wrap(lang_state *L, nn_strategy *s);

static lang_value model_getattr(lang_state *L, lang_value self, const char *name)
{
    model_obj *o = lv_object_data(self);
    nn_model *m = o->m;
    if (!strcmp(name, "name")) return lv_str(nn_model_name(m));
    if (!strcmp(name, "built")) return lv_bool(nn_model_is_built(m));
    if (!strcmp(name, "history")) return lv_retain(o->history);
    if (!strcmp(name, "layers")) {
        int n = nn_model_num_layers(m);
        lang_value list = lv_list_new((size_t)n);
        for (int i = 0; !lv_is_err(list) && i < n; i++) {
            lang_value l = layer_value(L, nn_model_layer(m, i));
            if (lv_is_err(l)) { lv_release(list); return l; }
            lv_list_append_take(list, l);
        }
        return lv_is_err(list) ? lang_nomem(L) : list;
    }
    if (!strcmp(name, "metrics_names")) {
        const char *names[8];
        int n = nn_model_is_compiled(m) ? nn_model_log_names(m, names, 8) : 0;
        lang_value list = lv_list_new((size_t)n);
        for (int i = 0; !lv_is_err(list) && i < n; i++) lv_list_append_take(list, lv_str(names[i]));
        return lv_is_err(list) ? lang_nomem(L) : list;
    }
    if (!strcmp(name, "output_shape")) {
        int64_t s[RT_MAX_DIMS];
        int nd;
        if (nn_model_output_shape(m, s, &nd)) return lang_raise_rt(L);
        return shape_tuple(L, s, nd);
    }
    if (!strcmp(name, "distribute_strategy")) {
        nn_strategy *s = nn_model_strategy(m);
        return s ? strategy_wrap(L, nn_strategy_retain(s)) : lv_none();
    }
    if (!strcmp(name, "device")) return lv_str(rt_device_name(nn_model_device(m, 0)));
    if (!strcmp(name, "stop_training")) return lv_bool(o->stop_training);
    return lv_missing();
}

/* model.stop_training = True (a callback asks fit to stop after this step) */
static int model_setattr(lang_state *L, lang_value self, const char *name, lang_value v)
{
    model_obj *o = lv_object_data(self);
    if (strcmp(name, "stop_training"))
        return lang_fail(L, LANG_E_ATTRIBUTE, "attribute '%s' of 'Sequential' objects is not writable", name);
    return lang_get_bool(L, v, "stop_training", &o->stop_training);
}

static const lang_method model_methods[] = {
    {"add", model_add, "add(layer)\nAppends a layer.\n>>> model.add(Dense(10, activation='softmax'))"},
    {"compile", model_compile, "compile(optimizer='rmsprop', loss=None, metrics=None)\nChooses the loss, the optimizer and the metrics.\n>>> model.compile(loss='mean_squared_error', optimizer=Adam(0.1))"},
    {"fit", model_fit, "fit(x, y, batch_size=32, epochs=1, verbose=1, validation_split=0.0, validation_data=None, shuffle=True, callbacks=None)\nTrains the model; returns a History.\n>>> history = model.fit(x, y, epochs=500, verbose=False)"},
    {"predict", model_predict, "predict(x, batch_size=32, verbose=1)\nThe model's outputs for x, shape (n, units).\n>>> model.predict(array([100.0]))"},
    {"evaluate", model_evaluate, "evaluate(x, y, batch_size=32, verbose=1)\nThe loss (and metrics) on x, y.\n>>> model.evaluate(x_test, y_test)"},
    {"summary", model_summary, "summary()\nShows the layers, their output shapes and parameter counts.\n>>> model.summary()"},
    {"get_weights", model_get_weights, "get_weights()\nAll weights as a list of arrays (per layer: kernel, bias).\n>>> model.get_weights()"},
    {"set_weights", model_set_weights, "set_weights(weights)\nSets all weights from a list of arrays.\n>>> model.set_weights(other.get_weights())"},
    {"count_params", model_count_params, "count_params()\nThe number of parameters.\n>>> model.count_params()"},
    {"save", model_save, "save(filepath)\nSaves the model (layers, weights, compile settings, optimizer state).\n>>> model.save('celsius.cgnn')"},
    {"build", model_build, "build(input_shape)\nBuilds the model for inputs of this batch shape.\n>>> model.build((None, 1))"},
    {NULL, NULL, NULL}};
static const char *const model_attrs[] = {"name", "built", "history", "layers", "metrics_names", "output_shape",
                                          "distribute_strategy", "device", "stop_training", NULL};

static const lang_class model_class = {
    .name = "Sequential", .doc = "A linear stack of layers (Keras's Sequential model).", .free = model_free,
    .repr = model_repr, .methods = model_methods, .attrs = model_attrs, .getattr = model_getattr,
    .setattr = model_setattr};

static lang_value bi_load_model(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    const char *path;
    if (lang_args_bind(L, a, "filepath, compile=", v) < 0 || lang_get_str(L, v[0], "filepath", &path) < 0 ||
        refuse_keras_file(L, path, "load") < 0) return lv_err();
    nn_model *m = nn_model_load(path);
    return m ? model_value(L, m) : lang_raise_rt(L);
}

static lang_value bi_clear_session(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    nn_reset_names();
    return lv_none();
}

/* ---- MirroredStrategy ----------------------------------------------------------------------- */

static void strategy_free(void *p) { nn_strategy_release(p); }

static char *strategy_repr(lang_state *L, lang_value self)
{
    nn_strategy *s = lv_object_data(self);
    char devs[512];
    size_t o = 0;
    for (int i = 0; i < nn_strategy_num_replicas(s) && o < sizeof devs; i++)
        o += (size_t)snprintf(devs + o, sizeof devs - o, "%s'%s'", i ? ", " : "", rt_device_name(nn_strategy_device(s, i)));
    return lang_strdupf("<MirroredStrategy num_replicas_in_sync=%d devices=(%s%s)>", nn_strategy_num_replicas(s), devs,
                        nn_strategy_num_replicas(s) == 1 ? "," : "");
}

/* the scope object: `with strategy.scope():` */
static void scope_free(void *p) { nn_strategy_release(p); }
static lang_value scope_enter(lang_state *L, lang_value self)
{
    if (nn_strategy_enter(lv_object_data(self))) return lang_raise_rt(L);
    return lv_none();
}
static int scope_exit(lang_state *L, lang_value self, int failing)
{
    if (nn_strategy_exit(lv_object_data(self))) return fail_rt(L);
    return 0;
}
static const lang_class scope_class = {.name = "StrategyScope", .doc = "Use with `with`: models made inside are mirrored.",
                                       .free = scope_free, .enter = scope_enter, .exit = scope_exit};

static lang_value strategy_scope(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    return lang_object_new(L, &scope_class, nn_strategy_retain(lv_object_data(a->self)));
}

/* PerReplica: one value per replica (what run() returns) */
typedef struct {
    int         n;
    lang_value *v;
} per_replica;

static void per_replica_free(void *p)
{
    per_replica *r = p;
    if (!r) return;
    for (int i = 0; i < r->n; i++) lv_release(r->v[i]);
    free(r->v);
    free(r);
}

static char *per_replica_repr(lang_state *L, lang_value self)
{
    per_replica *r = lv_object_data(self);
    size_t cap = 256, o = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    o += (size_t)snprintf(out, cap, "PerReplica:{\n");
    for (int i = 0; i < r->n; i++) {
        char *s = lang_repr(L, r->v[i]);
        if (!s) { free(out); return NULL; }
        size_t need = o + strlen(s) + 32;
        if (need > cap) {
            while (cap < need) cap *= 2;
            char *p = realloc(out, cap);
            if (!p) { free(s); free(out); return NULL; }
            out = p;
        }
        o += (size_t)snprintf(out + o, cap - o, "  %d: %s%s\n", i, s, i + 1 < r->n ? "," : "");
        free(s);
    }
    snprintf(out + o, cap - o, "}");
    return out;
}

static lang_value per_replica_getattr(lang_state *L, lang_value self, const char *name)
{
    per_replica *r = lv_object_data(self);
    if (!strcmp(name, "values")) return lv_tuple_of((size_t)r->n, r->v);
    return lv_missing();
}
static const char *const per_replica_attrs[] = {"values", NULL};
static const lang_class per_replica_class = {
    .name = "PerReplica", .doc = "One value per replica, as strategy.run returns; combine with strategy.reduce.",
    .free = per_replica_free, .repr = per_replica_repr, .attrs = per_replica_attrs, .getattr = per_replica_getattr};

/* get_replica_context(): the replica run() is calling fn for */
typedef struct { int id, n; } replica_ctx;
static _Thread_local int cur_replica = -1, cur_nrep = 1;  /* the calling thread's run() */

static lang_value rctx_getattr(lang_state *L, lang_value self, const char *name)
{
    replica_ctx *c = lv_object_data(self);
    if (!strcmp(name, "replica_id_in_sync_group")) return lv_int(c->id);
    if (!strcmp(name, "num_replicas_in_sync")) return lv_int(c->n);
    return lv_missing();
}
static char *rctx_repr(lang_state *L, lang_value self)
{
    replica_ctx *c = lv_object_data(self);
    return lang_strdupf("<ReplicaContext replica_id_in_sync_group=%d num_replicas_in_sync=%d>", c->id, c->n);
}
static const char *const rctx_attrs[] = {"replica_id_in_sync_group", "num_replicas_in_sync", NULL};
static const lang_class rctx_class = {.name = "ReplicaContext", .doc = "Which replica is running (inside strategy.run).",
                                      .free = free, .repr = rctx_repr, .attrs = rctx_attrs, .getattr = rctx_getattr};

static lang_value bi_get_replica_context(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    replica_ctx *c = malloc(sizeof *c);
    if (!c) return lang_nomem(L);
    c->id = cur_replica < 0 ? 0 : cur_replica;
    c->n = cur_replica < 0 ? 1 : cur_nrep;
    return lang_object_new(L, &rctx_class, c);
}

typedef struct {
    lang_state *L;
    lang_value  fn;
    int         nargs;
    const lang_value *args;
    lang_value *out;        /* per replica */
    int         nrep;
} run_ctx;

static rt_status run_one(void *vctx, int r, rt_device *d)
{
    run_ctx *c = vctx;
    lang_value args[16];
    for (int i = 0; i < c->nargs; i++) {
        per_replica *pr = lv_object_check(c->args[i], &per_replica_class);
        args[i] = pr ? pr->v[r < pr->n ? r : pr->n - 1] : c->args[i];
    }
    int saved = cur_replica, saved_n = cur_nrep;
    cur_replica = r;
    cur_nrep = c->nrep;
    c->out[r] = lang_call(c->L, c->fn, c->nargs, args, 0, NULL, NULL);
    cur_replica = saved;
    cur_nrep = saved_n;
    if (lv_is_err(c->out[r])) {
        c->out[r] = lv_none();
        return rt_set_error(RT_EVALUE, "replica %d (%s) failed", r, rt_device_name(d));
    }
    return RT_OK;
}

static lang_value strategy_run(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    if (lang_args_bind(L, a, "fn, args=, kwargs=", v) < 0) return lv_err();
    nn_strategy *s = lv_object_data(a->self);
    int64_t nargs = 0;
    lang_value *items = NULL;
    if (!lv_is_missing(v[1]) && !lv_is_none(v[1])) {
        items = lv_seq_items(v[1], &nargs);
        if (!items) return lang_raise(L, LANG_E_TYPE, "run(): args must be a tuple, not %s", lv_type_name(v[1]));
        if (nargs > 16) return lang_raise(L, LANG_E_VALUE, "run(): at most 16 arguments");
    }
    if (!lv_is_missing(v[2]) && !lv_is_none(v[2])) return lang_raise(L, LANG_E_VALUE, "run(): kwargs are not supported");
    int n = nn_strategy_num_replicas(s);
    per_replica *pr = calloc(1, sizeof *pr);
    if (pr) pr->v = calloc((size_t)n, sizeof *pr->v);
    if (!pr || !pr->v) { free(pr); return lang_nomem(L); }
    pr->n = n;
    for (int i = 0; i < n; i++) pr->v[i] = lv_none();
    run_ctx c = {L, v[0], (int)nargs, items, pr->v, n};
    rt_status st = nn_strategy_run(s, run_one, &c);
    if (st) {
        /* keep the replica's own error, naming the replica */
        per_replica_free(pr);
        if (lang_error_pending(L)) {
            lang_error_kind k = lang_error_kind_of(L);
            char *msg = lang_strdupf("%s", lang_error_message(L));
            lang_error_clear(L);
            lang_value e = lang_raise(L, k, "%s: %s", rt_error_message(), msg ? msg : "");
            free(msg);
            rt_clear_error();
            return e;
        }
        return lang_raise_rt(L);
    }
    if (n == 1) {   /* TensorFlow returns the plain value for one replica */
        lang_value r = lv_retain(pr->v[0]);
        per_replica_free(pr);
        return r;
    }
    return lang_object_new(L, &per_replica_class, pr);
}

static lang_value strategy_reduce(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    if (lang_args_bind(L, a, "reduce_op, value, axis=", v) < 0) return lv_err();
    nn_strategy *s = lv_object_data(a->self);
    const char *ops;
    nn_reduce_op op;
    if (lang_get_str(L, v[0], "reduce_op", &ops) < 0) return lv_err();
    if (nn_reduce_op_parse(ops, &op)) return lang_raise_rt(L);
    int has_axis = !lv_is_missing(v[2]) && !lv_is_none(v[2]);
    int64_t axis = 0;
    if (has_axis && lang_get_int(L, v[2], "axis", &axis) < 0) return lv_err();
    int n = nn_strategy_num_replicas(s);
    per_replica *pr = lv_object_check(v[1], &per_replica_class);
    if (!pr && n > 1 && op == NN_REDUCE_SUM)
        return lang_raise(L, LANG_E_VALUE, "A non-PerReplica value cannot be reduced with SUM across %d replicas: "
                          "it is the same on every replica (use MEAN, or return it from strategy.run)", n);
    rt_array **arr = calloc((size_t)n, sizeof *arr);
    if (!arr) return lang_nomem(L);
    for (int i = 0; i < n; i++) {
        lang_value item = pr ? pr->v[i < pr->n ? i : pr->n - 1] : v[1];
        if (!(arr[i] = lang_to_array(L, item, -1, "value"))) {
            for (int j = 0; j < i; j++) rt_array_release(arr[j]);
            free(arr);
            return lv_err();
        }
    }
    rt_array *r;
    if (!pr && n > 1) {
        /* MEAN of a value that is the same everywhere: itself (over axis, if given) */
        nn_strategy *one = nn_strategy_new(&arr[0]->device, 1, NN_XDEV_REDUCE);
        r = one ? nn_strategy_reduce(one, op, arr, 1, has_axis, (int)axis) : NULL;
        nn_strategy_release(one);
    } else {
        r = nn_strategy_reduce(s, op, arr, n, has_axis, (int)axis);
    }
    for (int i = 0; i < n; i++) rt_array_release(arr[i]);
    free(arr);
    return lang_array_result(L, r);
}

static lang_value strategy_getattr(lang_state *L, lang_value self, const char *name)
{
    nn_strategy *s = lv_object_data(self);
    if (!strcmp(name, "num_replicas_in_sync")) return lv_int(nn_strategy_num_replicas(s));
    if (!strcmp(name, "devices") || !strcmp(name, "extended")) {
        int n = nn_strategy_num_replicas(s);
        lang_value t = lv_tuple_new((size_t)n);
        if (lv_is_err(t)) return lang_nomem(L);
        for (int i = 0; i < n; i++) lv_tuple_set_take(t, (size_t)i, lv_str_printf("/device:%s", rt_device_name(nn_strategy_device(s, i))));
        return t;
    }
    if (!strcmp(name, "cross_device_ops")) return lv_str(nn_strategy_allreduce_name(s));
    return lv_missing();
}

static const lang_method strategy_methods[] = {
    {"scope", strategy_scope, "scope()\nA context manager: models created and compiled inside are mirrored on every replica.\n>>> with strategy.scope():\n...     model = Sequential([Input(shape=[1]), Dense(1)])"},
    {"run", strategy_run, "run(fn, args=())\nCalls fn(*args) once per replica (on the replica's device); returns the per-replica results.\n>>> per = strategy.run(lambda: ones(2))"},
    {"reduce", strategy_reduce, "reduce(reduce_op, value, axis=None)\nCombines per-replica values: \"SUM\" or \"MEAN\" (over `axis` too when given).\n>>> strategy.reduce(\"SUM\", per, axis=None)"},
    {NULL, NULL, NULL}};
static const char *const strategy_attrs[] = {"num_replicas_in_sync", "devices", "cross_device_ops", NULL};

static const lang_class strategy_class = {
    .name = "MirroredStrategy",
    .doc = "Synchronous data-parallel training on several devices (TensorFlow's MirroredStrategy).",
    .free = strategy_free, .repr = strategy_repr, .methods = strategy_methods, .attrs = strategy_attrs,
    .getattr = strategy_getattr};

static lang_value strategy_wrap(lang_state *L, nn_strategy *s) { return lang_object_new(L, &strategy_class, s); }

/* cross_device_ops markers */
static char *xdev_repr(lang_state *L, lang_value self);
static const lang_class nccl_class = {.name = "NcclAllReduce", .doc = "All-reduce with NCCL (one replica per physical GPU).",
                                      .repr = xdev_repr};
static const lang_class r1d_class = {.name = "ReductionToOneDevice", .doc = "Sum on the first replica's device, copy back.",
                                     .repr = xdev_repr};
static const lang_class hier_class = {.name = "HierarchicalCopyAllReduce",
                                      .doc = "Accepted for compatibility: the runtime's own reduction.", .repr = xdev_repr};
static char *xdev_repr(lang_state *L, lang_value self) { return lang_strdupf("%s()", lv_object_class(self)->name); }

static lang_value bi_nccl(lang_state *L, const lang_args *a)
{ return lang_args_bind(L, a, "", NULL) < 0 ? lv_err() : lang_object_new(L, &nccl_class, NULL); }
static lang_value bi_r1d(lang_state *L, const lang_args *a)
{ return lang_args_bind(L, a, "", NULL) < 0 ? lv_err() : lang_object_new(L, &r1d_class, NULL); }
static lang_value bi_hier(lang_state *L, const lang_args *a)
{ return lang_args_bind(L, a, "", NULL) < 0 ? lv_err() : lang_object_new(L, &hier_class, NULL); }

static lang_value bi_mirrored(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "devices=, cross_device_ops=", v) < 0) return lv_err();
    rt_device *devs[64];
    int n = 0;
    if (!lv_is_missing(v[0]) && !lv_is_none(v[0])) {
        int64_t cnt;
        lang_value *items = lv_seq_items(v[0], &cnt);
        if (!items) return lang_raise(L, LANG_E_TYPE, "devices must be a list of device names, not %s", lv_type_name(v[0]));
        if (cnt < 1 || cnt > 64) return lang_raise(L, LANG_E_VALUE, "devices must list 1 to 64 devices");
        for (int64_t i = 0; i < cnt; i++) {
            if (lang_get_device(L, items[i], "devices", &devs[n]) < 0) return lv_err();
            if (!devs[n]) return lang_raise(L, LANG_E_VALUE, "devices must not contain None");
            n++;
        }
    }
    nn_cross_device_ops xo = NN_XDEV_AUTO;
    if (!lv_is_missing(v[1]) && !lv_is_none(v[1])) {
        const lang_class *c = lv_object_class(v[1]);
        if (c == &nccl_class) xo = NN_XDEV_NCCL;
        else if (c == &r1d_class || c == &hier_class) xo = NN_XDEV_REDUCE;
        else return lang_raise(L, LANG_E_TYPE, "cross_device_ops must be NcclAllReduce(), ReductionToOneDevice() or "
                               "HierarchicalCopyAllReduce(), not %s", lv_type_name(v[1]));
    }
    nn_strategy *s = nn_strategy_new(n ? devs : NULL, n, xo);
    if (!s) return lang_raise_rt(L);
    lang_printf(L, "%s\n", nn_strategy_describe(s));
    return strategy_wrap(L, s);
}

/* ---- registration ------------------------------------------------------------------------------ */

void lang_init_nn(lang_state *L)
{
    lang_register_class(L, &model_class, bi_sequential,
        "Sequential(layers=None, name=None)\nA linear stack of layers.\n>>> model = Sequential([Input(shape=[1]), Dense(units=1)])");
    lang_register_class(L, &input_class, bi_input, "Input(shape)\nThe model's input: the shape of one sample.\n>>> Input(shape=[1])");
    lang_register_builtin(L, "Input", bi_input, "Input(shape)\nThe model's input: the shape of one sample (without the batch axis).\n>>> Input(shape=[1])");
    lang_register_class(L, &dense_class, bi_dense,
        "Dense(units, activation=None, use_bias=True, kernel_initializer='glorot_uniform', bias_initializer='zeros')\n"
        "A densely connected layer.\n>>> Dense(units=1)");
    lang_register_class(L, &flatten_class, bi_flatten, "Flatten()\nFlattens each sample into one axis.\n>>> Flatten()");
    lang_register_class(L, &dropout_class, bi_dropout, "Dropout(rate)\nDrops a fraction of the inputs during fit.\n>>> Dropout(0.2)");
    lang_register_class(L, &activation_class, bi_activation, "Activation(activation)\nApplies an activation.\n>>> Activation('relu')");
    lang_register_class(L, &conv2d_class, bi_conv2d,
        "Conv2D(filters, kernel_size, strides=(1, 1), padding='valid', dilation_rate=(1, 1), activation=None, use_bias=True, "
        "kernel_initializer='glorot_uniform', bias_initializer='zeros', input_shape=None)\n"
        "A 2-D convolution of channels-last images; the kernel is (kh, kw, in, filters) as Keras's.\n"
        ">>> Conv2D(32, (3, 3), activation='relu', input_shape=(32, 32, 3))");
    lang_register_class(L, &maxpool_class, bi_maxpool,
        "MaxPooling2D(pool_size=(2, 2), strides=None, padding='valid')\nThe maximum over each window (strides default to pool_size).\n"
        ">>> MaxPooling2D((2, 2))");
    lang_register_class(L, &avgpool_class, bi_avgpool,
        "AveragePooling2D(pool_size=(2, 2), strides=None, padding='valid')\nThe mean over each window (padding excluded).\n"
        ">>> AveragePooling2D((2, 2))");
    lang_register_class(L, &gavgpool_class, bi_gavgpool,
        "GlobalAveragePooling2D()\nThe mean over height and width: (N, H, W, C) -> (N, C).\n>>> GlobalAveragePooling2D()");
    lang_register_class(L, &gmaxpool_class, bi_gmaxpool,
        "GlobalMaxPooling2D()\nThe maximum over height and width: (N, H, W, C) -> (N, C).\n>>> GlobalMaxPooling2D()");
    lang_register_class(L, &batchnorm_class, bi_batchnorm,
        "BatchNormalization(axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True)\n"
        "Normalises the last axis with the batch's statistics in fit and the moving ones in predict/evaluate.\n"
        ">>> BatchNormalization()");
    lang_register_class(L, &reshape_class, bi_reshape,
        "Reshape(target_shape)\nGives each sample the shape target_shape (one entry may be -1).\n>>> Reshape((28, 28, 1))");
    lang_register_class(L, &adam_class, bi_adam,
        "Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07)\nThe Adam optimizer.\n>>> Adam(0.1)");
    lang_register_class(L, &sgd_class, bi_sgd, "SGD(learning_rate=0.01, momentum=0.0)\nGradient descent.\n>>> SGD(0.1, momentum=0.9)");
    lang_register_class(L, &rmsprop_class, bi_rmsprop,
        "RMSprop(learning_rate=0.001, rho=0.9, epsilon=1e-07)\nThe RMSprop optimizer.\n>>> RMSprop(0.01)");
    lang_register_builtin(L, "load_model", bi_load_model, "load_model(filepath)\nLoads a model saved with model.save().\n>>> model = load_model('celsius.cgnn')");
    lang_register_builtin(L, "clear_session", bi_clear_session, "clear_session()\nRestarts the automatic layer and model names (dense, dense_1, ...).\n>>> clear_session()");
    lang_register_class(L, &strategy_class, bi_mirrored,
        "MirroredStrategy(devices=None, cross_device_ops=None)\nData-parallel training over every GPU (or the listed devices).\n>>> strategy = MirroredStrategy()");
    lang_register_class(L, &nccl_class, bi_nccl, "NcclAllReduce()\nAll-reduce through NCCL.\n>>> MirroredStrategy(cross_device_ops=NcclAllReduce())");
    lang_register_class(L, &r1d_class, bi_r1d, "ReductionToOneDevice()\nAll-reduce by summing on one device.\n>>> MirroredStrategy(cross_device_ops=ReductionToOneDevice())");
    lang_register_class(L, &hier_class, bi_hier, "HierarchicalCopyAllReduce()\nAccepted; uses the runtime's reduction.\n>>> HierarchicalCopyAllReduce()");
    lang_register_builtin(L, "get_replica_context", bi_get_replica_context,
        "get_replica_context()\nThe replica strategy.run is calling for (replica_id_in_sync_group, num_replicas_in_sync).\n>>> get_replica_context().replica_id_in_sync_group");
}
