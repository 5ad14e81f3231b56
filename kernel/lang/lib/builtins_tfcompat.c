/* builtins_tfcompat.c — TensorFlow, Keras and NumPy spellings that need
 * more than a name in module_tree.c: tf.config's logical device
 * configuration (C-GPU's set_virtual_devices), set_memory_growth, the
 * version string, np.random's numpy-style draws (on the runtime's
 * generator) and Keras's loss classes.
 */
#include <math.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "interp.h"
#include "modules.h"

lang_value tf_version(lang_state *L, const lang_args *a)
{
    (void)a;
    lang_value v = lv_str("C-GPU " CGPU_VERSION);
    return lv_is_err(v) ? lang_nomem(L) : v;
}

/* ---- tf.config ------------------------------------------------------------------------------ */

/* tf.config.list_physical_devices: C-GPU's list_physical_devices, plus the
 * one warning line TensorFlow logs on stderr when GPUs are asked for and
 * there are none (hidden, as TensorFlow's warnings are, when
 * TF_CPP_MIN_LOG_LEVEL is 2 or more). */
lang_value tf_list_physical_devices(lang_state *L, const lang_args *a)
{
    int s = lang_global_find(L, "list_physical_devices");
    if (s < 0 || lv_is_missing(L->g[s].builtin)) return lang_raise(L, LANG_E_DEVICE, "devices are not available");
    lang_value r = lang_call(L, L->g[s].builtin, a->n, a->v, a->nkw, a->kwname, a->kw);
    if (lv_is_err(r)) return r;
    lang_value kind = a->n ? a->v[0] : a->nkw ? a->kw[0] : lv_none();
    int gpu_asked = kind.type != LV_STR || strcasecmp(lv_str_cstr(kind), "GPU") == 0;
    const char *level = module_getenv(L, "TF_CPP_MIN_LOG_LEVEL");
    const char *reason = rt_physical_device_count(RT_GPU) == 0 ? rt_gpu_unavailable_reason() : NULL;
    if (gpu_asked && reason && !(level && atoi(level) >= 2)) {
        char line[640];
        int n = snprintf(line, sizeof line, "W C-GPU: skipping GPU devices: %s\n", reason);
        lang_write(L, "stderr", line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
    }
    return r;
}

lang_value tf_test_is_gpu_available(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "cuda_only=, min_cuda_compute_capability=", v) < 0) return lv_err();
    return lv_bool(rt_physical_device_count(RT_GPU) > 0);
}

lang_value tf_test_gpu_device_name(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    return lv_str(rt_logical_device_count(RT_GPU) > 0 ? "/device:GPU:0" : "");
}

lang_value tf_test_is_built_with_cuda(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
#ifdef CGPU_HAVE_CUDA
    return lv_bool(1);
#else
    return lv_bool(0);
#endif
}

typedef struct { double memory_limit; int has_limit; } logical_config;

static char *config_repr(lang_state *L, lang_value self)
{
    (void)L;
    logical_config *c = lv_object_data(self);
    if (!c->has_limit) return lang_strdupf("LogicalDeviceConfiguration(memory_limit=None)");
    return lang_strdupf("LogicalDeviceConfiguration(memory_limit=%.0f)", c->memory_limit);
}

static lang_value config_getattr(lang_state *L, lang_value self, const char *name)
{
    (void)L;
    logical_config *c = lv_object_data(self);
    if (strcmp(name, "memory_limit") == 0) return c->has_limit ? lv_float(c->memory_limit) : lv_none();
    return lv_missing();
}

static const char *const config_attrs[] = {"memory_limit", NULL};
static const lang_class config_class = {
    .name = "LogicalDeviceConfiguration",
    .doc = "One logical device of tf.config.set_logical_device_configuration (memory_limit is accepted, not enforced).",
    .free = free, .repr = config_repr, .attrs = config_attrs, .getattr = config_getattr,
};

lang_value tf_logical_device_configuration(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    if (lang_args_bind(L, a, "memory_limit=, experimental_priority=, experimental_device_ordinal=", v) < 0) return lv_err();
    logical_config *c = calloc(1, sizeof *c);
    if (!c) return lang_nomem(L);
    if (!lv_is_missing(v[0]) && !lv_is_none(v[0])) {
        if (lang_get_float(L, v[0], "memory_limit", &c->memory_limit) < 0) { free(c); return lv_err(); }
        c->has_limit = 1;
    }
    return lang_object_new(L, &config_class, c);
}

/* device_type and index of a PhysicalDevice (what list_physical_devices gives). */
static int physical_device(lang_state *L, lang_value d, const char *what, lang_value *type, int64_t *index)
{
    const lang_class *c = lv_object_class(d);
    if (!c || strcmp(c->name, "PhysicalDevice") != 0)
        return lang_fail(L, LANG_E_TYPE, "%s must be a PhysicalDevice from tf.config.list_physical_devices(), not %s",
                         what, lv_type_name(d));
    *type = op_getattr(L, d, "device_type");
    if (lv_is_err(*type)) return -1;
    lang_value i = op_getattr(L, d, "index");
    if (lv_is_err(i)) { lv_release(*type); return -1; }
    *index = i.type == LV_INT ? i.u.i : 0;
    lv_release(i);
    return 0;
}

lang_value tf_set_logical_device_configuration(lang_state *L, const lang_args *a)
{
    lang_value v[2], type;
    int64_t index, n;
    if (lang_args_bind(L, a, "device, logical_devices", v) < 0 ||
        physical_device(L, v[0], "device", &type, &index) < 0) return lv_err();
    lang_value *items = lv_seq_items(v[1], &n);
    if (!items) { lv_release(type); return lang_raise(L, LANG_E_TYPE, "logical_devices must be a list of LogicalDeviceConfiguration"); }
    for (int64_t i = 0; i < n; i++)
        if (!lv_object_check(items[i], &config_class)) {
            lv_release(type);
            return lang_raise(L, LANG_E_TYPE, "logical_devices must hold LogicalDeviceConfiguration objects, not %s",
                              lv_type_name(items[i]));
        }
    if (index != 0) {
        lv_release(type);
        return lang_raise(L, LANG_E_VALUE, "C-GPU splits the first device of a kind into logical devices; "
                          "device %lld is not the first (use list_physical_devices(...)[0])", (long long)index);
    }
    int s = lang_global_find(L, "set_virtual_devices");
    if (s < 0 || lv_is_missing(L->g[s].builtin)) { lv_release(type); return lang_raise(L, LANG_E_DEVICE, "virtual devices are not available"); }
    lang_value args[2] = { type, lv_int(n) };
    lang_value r = lang_call(L, L->g[s].builtin, 2, args, 0, NULL, NULL);
    lv_release(type);
    return r;
}

lang_value tf_set_memory_growth(lang_state *L, const lang_args *a)
{
    lang_value v[2], type;
    int64_t index;
    int enable;
    if (lang_args_bind(L, a, "device, enable", v) < 0 || physical_device(L, v[0], "device", &type, &index) < 0) return lv_err();
    lv_release(type);
    if (lang_get_bool(L, v[1], "enable", &enable) < 0) return lv_err();
    return lv_none();   /* C-GPU always allocates on demand (memory_info shows used and cached bytes) */
}

lang_value tf_get_memory_growth(lang_state *L, const lang_args *a)
{
    lang_value v[1], type;
    int64_t index;
    if (lang_args_bind(L, a, "device", v) < 0 || physical_device(L, v[0], "device", &type, &index) < 0) return lv_err();
    lv_release(type);
    return lv_bool(1);
}

/* ---- np.random and tf.random ------------------------------------------------------------------- */

/* size=None: one number; else the shape of the result. */
static int size_arg(lang_state *L, lang_value v, int64_t *shape, int *ndim)
{
    *ndim = -1;
    if (lv_is_missing(v) || lv_is_none(v)) return 0;
    return lang_get_shape(L, v, "size", shape, ndim);
}

static lang_value draw(lang_state *L, int normal, double p, double q, const int64_t *shape, int ndim)
{
    int64_t one = 1;
    int scalar = ndim < 0;
    rt_array *r = normal ? rt_rand_normal(scalar ? &one : shape, scalar ? 1 : ndim, p, q, RT_FLOAT32, NULL)
                         : rt_rand_uniform(scalar ? &one : shape, scalar ? 1 : ndim, p, q, RT_FLOAT32, NULL);
    if (!r) return lang_raise_rt(L);
    if (!scalar) return lang_array_result(L, r);
    lang_value x = lang_array_item(L, r, 0);
    rt_array_release(r);
    return x;
}

static lang_value np_draw(lang_state *L, const lang_args *a, int normal)
{
    lang_value v[3];
    double p = 0, q = 1;
    int64_t shape[RT_MAX_DIMS];
    int ndim;
    if (lang_args_bind(L, a, normal ? "loc=, scale=, size=" : "low=, high=, size=", v) < 0) return lv_err();
    if (!lv_is_missing(v[0]) && lang_get_float(L, v[0], normal ? "loc" : "low", &p) < 0) return lv_err();
    if (!lv_is_missing(v[1]) && lang_get_float(L, v[1], normal ? "scale" : "high", &q) < 0) return lv_err();
    if (normal && q < 0) return lang_raise(L, LANG_E_VALUE, "scale < 0");
    if (size_arg(L, v[2], shape, &ndim) < 0) return lv_err();
    return draw(L, normal, p, q, shape, ndim);
}

lang_value np_random_normal(lang_state *L, const lang_args *a) { return np_draw(L, a, 1); }
lang_value np_random_uniform(lang_state *L, const lang_args *a) { return np_draw(L, a, 0); }

static lang_value tf_draw(lang_state *L, const lang_args *a, int normal)
{
    lang_value v[5];
    double p = 0, q = 1;
    int64_t shape[RT_MAX_DIMS];
    int ndim;
    if (lang_args_bind(L, a, normal ? "shape, mean=, stddev=, dtype=, seed=" : "shape, minval=, maxval=, dtype=, seed=", v) < 0 ||
        lang_get_shape(L, v[0], "shape", shape, &ndim) < 0) return lv_err();
    if (!lv_is_missing(v[1]) && lang_get_float(L, v[1], normal ? "mean" : "minval", &p) < 0) return lv_err();
    if (!lv_is_missing(v[2]) && lang_get_float(L, v[2], normal ? "stddev" : "maxval", &q) < 0) return lv_err();
    return draw(L, normal, p, q, shape, ndim);
}

lang_value tf_random_normal(lang_state *L, const lang_args *a) { return tf_draw(L, a, 1); }
lang_value tf_random_uniform(lang_state *L, const lang_args *a) { return tf_draw(L, a, 0); }

lang_value np_random_randint(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    int64_t lo, hi, shape[RT_MAX_DIMS];
    int ndim;
    if (lang_args_bind(L, a, "low, high=, size=", v) < 0 || lang_get_int(L, v[0], "low", &lo) < 0) return lv_err();
    if (lv_is_missing(v[1]) || lv_is_none(v[1])) { hi = lo; lo = 0; }
    else if (lang_get_int(L, v[1], "high", &hi) < 0) return lv_err();
    if (hi <= lo) return lang_raise(L, LANG_E_VALUE, "low >= high");
    if (size_arg(L, v[2], shape, &ndim) < 0) return lv_err();
    if (ndim < 0) return lv_int(lo + module_random_below(hi - lo));
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    if (lo < INT32_MIN || hi - 1 > INT32_MAX) return lang_raise(L, LANG_E_VALUE, "randint bounds must fit int32");
    int32_t *buf = malloc((size_t)(n ? n : 1) * sizeof *buf);
    if (!buf) return lang_nomem(L);
    for (int64_t i = 0; i < n; i++) buf[i] = (int32_t)(lo + module_random_below(hi - lo));
    rt_array *r = rt_from_host(buf, RT_INT32, shape, ndim, RT_INT32, NULL);
    free(buf);
    return lang_array_result(L, r);
}

/* A random order of 0..n-1 as an int32 array. */
static rt_array *random_order(int64_t n)
{
    int32_t *buf = malloc((size_t)(n ? n : 1) * sizeof *buf);
    if (!buf) return NULL;
    for (int64_t i = 0; i < n; i++) buf[i] = (int32_t)i;
    for (int64_t i = n; i > 1; i--) {
        int64_t j = module_random_below(i);
        int32_t t = buf[i - 1];
        buf[i - 1] = buf[j];
        buf[j] = t;
    }
    rt_array *r = rt_from_host(buf, RT_INT32, &n, 1, RT_INT32, NULL);
    free(buf);
    return r;
}

/* np.random.shuffle(x): a list in place (as random.shuffle), or an array's
 * rows in place (x[:] = x[order]). */
lang_value np_random_shuffle(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "x", v) < 0) return lv_err();
    if (v[0].type != LV_ARRAY) return random_shuffle(L, a);
    rt_array *x = v[0].u.a;
    if (x->ndim == 0) return lang_raise(L, LANG_E_VALUE, "shuffle() needs an array of at least 1 dimension");
    rt_array *order = random_order(x->shape[0]);
    rt_array *g = order ? rt_gather(x, order, 0) : NULL;
    rt_array_release(order);
    if (!g) return lang_raise_rt(L);
    lang_value shuffled = lv_array_take(g);
    index_item all = { 1, lv_missing(), lv_missing(), lv_missing(), lv_missing() };
    int rc = op_setitem(L, v[0], &all, 1, 0, shuffled);
    lv_release(shuffled);
    return rc < 0 ? lv_err() : lv_none();
}

lang_value np_random_permutation(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "x", v) < 0) return lv_err();
    if (v[0].type == LV_INT) {
        if (v[0].u.i < 0) return lang_raise(L, LANG_E_VALUE, "negative dimensions are not allowed");
        return lang_array_result(L, random_order(v[0].u.i));
    }
    rt_array *x = lang_to_array(L, v[0], -1, "x");
    if (!x) return lv_err();
    if (x->ndim == 0) { rt_array_release(x); return lang_raise(L, LANG_E_VALUE, "x must be an integer or at least 1-dimensional"); }
    rt_array *order = random_order(x->shape[0]);
    rt_array *r = order ? rt_gather(x, order, 0) : NULL;
    rt_array_release(order);
    rt_array_release(x);
    return lang_array_result(L, r);
}

lang_value np_random_choice(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    int64_t shape[RT_MAX_DIMS];
    int ndim;
    if (lang_args_bind(L, a, "a, size=, replace=", v) < 0 || size_arg(L, v[1], shape, &ndim) < 0) return lv_err();
    if (!lv_is_missing(v[2]) && lv_truthy(v[2]) == 0)
        return lang_raise(L, LANG_E_VALUE, "C-GPU's choice draws with replacement (for a sample without: permutation(n)[:k])");
    int64_t n;
    rt_array *pool = NULL;
    if (v[0].type == LV_INT) n = v[0].u.i;
    else {
        if (!(pool = lang_to_array(L, v[0], -1, "a"))) return lv_err();
        n = pool->ndim ? pool->shape[0] : 0;
    }
    if (n <= 0) { rt_array_release(pool); return lang_raise(L, LANG_E_VALUE, "a cannot be empty unless no samples are taken"); }
    int64_t count = 1;
    for (int i = 0; i < ndim; i++) count *= shape[i];
    int32_t *buf = malloc((size_t)(count ? count : 1) * sizeof *buf);
    if (!buf) { rt_array_release(pool); return lang_nomem(L); }
    for (int64_t i = 0; i < count; i++) buf[i] = (int32_t)module_random_below(n);
    int64_t one = 1;
    rt_array *idx = rt_from_host(buf, RT_INT32, ndim < 0 ? &one : shape, ndim < 0 ? 1 : ndim, RT_INT32, NULL);
    free(buf);
    rt_array *r = idx && pool ? rt_gather(pool, idx, 0) : idx ? rt_array_retain(idx) : NULL;
    rt_array_release(idx);
    rt_array_release(pool);
    if (!r) return lang_raise_rt(L);
    if (ndim >= 0) return lang_array_result(L, r);
    lang_value x = r->ndim == 1 ? lang_array_item(L, r, 0) : lang_array_result(L, rt_array_retain(r));
    rt_array_release(r);
    return x;
}

/* ---- keras.losses classes ------------------------------------------------------------------------ */

/* MeanSquaredError() ... : the loss name compile(loss=) takes. */
lang_value keras_loss_class(lang_state *L, const lang_args *a)
{
    static const struct { const char *cls, *name; } losses[] = {
        {"MeanSquaredError", "mean_squared_error"}, {"MeanAbsoluteError", "mean_absolute_error"},
        {"BinaryCrossentropy", "binary_crossentropy"}, {"CategoricalCrossentropy", "categorical_crossentropy"},
        {"SparseCategoricalCrossentropy", "sparse_categorical_crossentropy"},
    };
    lang_value v[2];
    if (lang_args_bind(L, a, "from_logits=, name=", v) < 0) return lv_err();
    if (!lv_is_missing(v[0]) && lv_truthy(v[0]))
        return lang_raise(L, LANG_E_VALUE, "from_logits=True is not supported: end the model with Dense(..., activation='softmax') "
                          "(or 'sigmoid') and use the default from_logits=False");
    for (size_t i = 0; i < sizeof losses / sizeof losses[0]; i++)
        if (strcmp(losses[i].cls, a->fname) == 0) return lv_str(losses[i].name);
    return lang_raise(L, LANG_E_VALUE, "unknown loss class %s", a->fname);
}

/* ---- matplotlib ---------------------------------------------------------------------------- */

lang_value matplotlib_use(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    const char *backend;
    if (lang_args_bind(L, a, "backend, force=", v) < 0 || lang_get_str(L, v[0], "backend", &backend) < 0) return lv_err();
    return lv_none();
}
