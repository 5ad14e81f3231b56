/* builtins_datasets.c — Keras's data sets and utilities: the module
 * `datasets` with mnist, fashion_mnist and cifar10, each with load_data();
 * to_categorical(); get_file(). The files are found or downloaded by the
 * runtime (runtime/data/); this file turns its results and errors into
 * values and Python's errors, and shows a download's progress.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "builtins.h"
#include "data_arrays.h"
#include "libraries.h"

/* The runtime data module's error as the language's. */
static lang_value raise_data(lang_state *L)
{
    const char *m = data_error_message();
    switch (data_error_code()) {
    case DATA_EOS: return lang_raise(L, lang_error_kind_of_errno(data_error_errno()), "%s", m);
    case DATA_ENOTFOUND: return lang_raise(L, LANG_E_FILE_NOT_FOUND, "%s", m);
    case DATA_ENETWORK: return lang_raise(L, LANG_E_OS, "%s", m);
    case DATA_ENOMEM: return lang_raise(L, LANG_E_MEMORY, "%s", m);
    case DATA_EINTERRUPT:
        if (lang_check_interrupt(L) < 0) return lv_err();
        return lang_raise(L, LANG_E_INTERRUPT, "%s", m);
    default: return lang_raise(L, LANG_E_VALUE, "%s", m);
    }
}

/* ---- download progress: "Downloading data from URL", then one line
 *      rewritten in place ("\r"), at most five times a second ---------------- */

typedef struct {
    lang_state *L;
    double      last;     /* monotonic seconds of the last line */
    int         started;
} progress;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void show_progress(void *ctx, const char *url, int64_t done, int64_t total, int finished)
{
    progress *p = ctx;
    if (!p->started) {
        lang_printf(p->L, "Downloading data from %s\n", url);
        p->started = 1;
        p->last = now_s();
    }
    double t = now_s();
    if (!finished && t - p->last < 0.2) return;
    p->last = t;
    char line[128];
    if (total > 0)
        snprintf(line, sizeof line, "\r%.1f MB / %.1f MB (%3.0f%%)%s", (double)done / 1e6, (double)total / 1e6,
                 100.0 * (double)done / (double)total, finished ? "\n" : "");
    else
        snprintf(line, sizeof line, "\r%.1f MB%s", (double)done / 1e6, finished ? "\n" : "");
    lang_write(p->L, "stdout", line, strlen(line));
    if (finished) p->started = 0;
}

/* ---- load_data ------------------------------------------------------------------------- */

static lang_value load(lang_state *L, const lang_args *a, data_set which)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "path=", v) < 0) return lv_err();
    const char *path = NULL;
    if (!lv_is_missing(v[0]) && !lv_is_none(v[0]) && lang_get_str(L, v[0], "path", &path) < 0) return lv_err();
    progress p = {L, 0, 0};
    rt_array *arr[4];
    if (data_load_arrays(which, path, show_progress, &p, arr) < 0) return raise_data(L);
    lang_value pair[2];
    for (int k = 0; k < 2; k++) {
        pair[k] = lv_tuple_new(2);
        if (lv_is_err(pair[k])) {
            for (int i = 2 * k; i < 4; i++) rt_array_release(arr[i]);
            if (k) lv_release(pair[0]);
            return lang_nomem(L);
        }
        lv_tuple_set_take(pair[k], 0, lv_array_take(arr[2 * k]));
        lv_tuple_set_take(pair[k], 1, lv_array_take(arr[2 * k + 1]));
    }
    lang_value r = lv_tuple_new(2);
    if (lv_is_err(r)) { lv_release(pair[0]); lv_release(pair[1]); return lang_nomem(L); }
    lv_tuple_set_take(r, 0, pair[0]);
    lv_tuple_set_take(r, 1, pair[1]);
    return r;
}

static lang_value bi_mnist_load(lang_state *L, const lang_args *a) { return load(L, a, DATA_MNIST); }
static lang_value bi_fashion_load(lang_state *L, const lang_args *a) { return load(L, a, DATA_FASHION_MNIST); }
static lang_value bi_cifar10_load(lang_state *L, const lang_args *a) { return load(L, a, DATA_CIFAR10); }

#define WHERE "Looks in path=, $CGPU_DATASETS, Debian's /usr/share/datasets, ~/.keras/datasets, then downloads."

static const lang_method mnist_functions[] = {
    {"load_data", bi_mnist_load,
     "load_data(path=None)\nMNIST digits as (x_train, y_train), (x_test, y_test): uint8 (60000, 28, 28) and (60000,), "
     "test 10 000. " WHERE "\n>>> (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data()"},
    {NULL, NULL, NULL},
};
static const lang_method fashion_functions[] = {
    {"load_data", bi_fashion_load,
     "load_data(path=None)\nFashion-MNIST as (x_train, y_train), (x_test, y_test): uint8 (60000, 28, 28) and (60000,), "
     "test 10 000. " WHERE "\n>>> (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist.load_data()"},
    {NULL, NULL, NULL},
};
static const lang_method cifar10_functions[] = {
    {"load_data", bi_cifar10_load,
     "load_data(path=None)\nCIFAR-10 (binary version) as (x_train, y_train), (x_test, y_test): uint8 (50000, 32, 32, 3) "
     "channels last and (50000, 1). " WHERE "\n>>> (x_train, y_train), (x_test, y_test) = datasets.cifar10.load_data()"},
    {NULL, NULL, NULL},
};

/* `datasets`: a module whose attributes are the three data-set modules. */
typedef struct {
    lang_value sub[DATA_SET_COUNT]; /* owned: mnist, fashion_mnist, cifar10 */
} datasets_module;

static void datasets_free(void *p)
{
    datasets_module *m = p;
    for (int i = 0; i < DATA_SET_COUNT; i++) lv_release(m->sub[i]);
    free(m);
}

static lang_value datasets_getattr(lang_state *L, lang_value self, const char *name)
{
    datasets_module *m = lv_object_data(self);
    for (int i = 0; i < DATA_SET_COUNT; i++)
        if (strcmp(name, data_set_name((data_set)i)) == 0) return lv_retain(m->sub[i]);
    return lv_missing();
}

static char *datasets_repr(lang_state *L, lang_value self) { return lang_strdupf("<module 'datasets'>"); }

static const char *const datasets_attrs[] = {"mnist", "fashion_mnist", "cifar10", NULL};
static const lang_class datasets_class = {
    .name = "module",
    .doc = "datasets: Keras's data sets (mnist, fashion_mnist, cifar10), each with load_data().",
    .free = datasets_free,
    .repr = datasets_repr,
    .attrs = datasets_attrs,
    .getattr = datasets_getattr,
};

/* ---- to_categorical -------------------------------------------------------------------------- */

static lang_value bi_to_categorical(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    if (lang_args_bind(L, a, "y, num_classes=, dtype=", v) < 0) return lv_err();
    rt_dtype dt = RT_FLOAT32;
    if (!lv_is_missing(v[2]) && lang_get_dtype(L, v[2], "dtype", &dt) < 0) return lv_err();
    rt_array *y = lang_to_array(L, v[0], -1, "y");
    if (!y) return lv_err();
    /* Keras's shapes: a trailing axis of 1 is dropped, the classes are appended */
    int64_t shape[RT_MAX_DIMS];
    int ndim = y->ndim;
    memcpy(shape, y->shape, sizeof shape);
    if (ndim > 1 && shape[ndim - 1] == 1) ndim--;
    int64_t n = y->size;
    double *lab = malloc((size_t)(n ? n : 1) * sizeof *lab);
    if (!lab) { rt_array_release(y); return lang_nomem(L); }
    rt_status st = rt_to_host(y, RT_FLOAT64, lab);
    rt_array_release(y);
    if (st != RT_OK) { free(lab); return lang_raise_rt(L); }
    int64_t classes = 0, maxl = -1;
    for (int64_t i = 0; i < n; i++) {
        double l = lab[i];
        if (!(l >= 0) || l != floor(l)) {
            free(lab);
            return lang_raise(L, LANG_E_VALUE, "to_categorical: labels must be integers from 0, got %g at index %lld",
                              l, (long long)i);
        }
        if ((int64_t)l > maxl) maxl = (int64_t)l;
    }
    if (!lv_is_missing(v[1]) && !lv_is_none(v[1])) {
        if (lang_get_int(L, v[1], "num_classes", &classes) < 0) { free(lab); return lv_err(); }
        if (classes < 1) { free(lab); return lang_raise(L, LANG_E_VALUE, "num_classes must be positive, got %lld", (long long)classes); }
        if (maxl >= classes) {
            free(lab);
            return lang_raise(L, LANG_E_INDEX, "index %lld is out of bounds for axis 1 with size %lld", (long long)maxl,
                              (long long)classes);
        }
    } else {
        classes = maxl + 1;
    }
    if (ndim >= RT_MAX_DIMS) { free(lab); return lang_raise(L, LANG_E_VALUE, "to_categorical: y has too many dimensions"); }
    if (n > 0 && classes > ((int64_t)1 << 34) / n) {
        free(lab);
        return lang_raise(L, LANG_E_VALUE, "to_categorical: %lld labels x %lld classes is too large", (long long)n, (long long)classes);
    }
    int64_t cells = n * classes;
    float *hot = calloc((size_t)(cells > 0 ? cells : 1), sizeof *hot);
    if (!hot) { free(lab); return lang_nomem(L); }
    for (int64_t i = 0; i < n; i++) hot[i * classes + (int64_t)lab[i]] = 1.0f;
    free(lab);
    shape[ndim++] = classes;
    rt_array *r = rt_from_host(hot, RT_FLOAT32, shape, ndim, dt, NULL);
    free(hot);
    return lang_array_result(L, r);
}

/* ---- get_file ------------------------------------------------------------------------------- */

static lang_value bi_get_file(lang_state *L, const lang_args *a)
{
    lang_value v[4];
    if (lang_args_bind(L, a, "fname, origin, file_hash=, cache_subdir=", v) < 0) return lv_err();
    const char *fname, *origin, *hash = NULL, *sub = "datasets";
    if (lang_get_str(L, v[0], "fname", &fname) < 0 || lang_get_str(L, v[1], "origin", &origin) < 0) return lv_err();
    if (!lv_is_missing(v[2]) && !lv_is_none(v[2]) && lang_get_str(L, v[2], "file_hash", &hash) < 0) return lv_err();
    if (!lv_is_missing(v[3]) && lang_get_str(L, v[3], "cache_subdir", &sub) < 0) return lv_err();
    if (hash && strlen(hash) != 64) return lang_raise(L, LANG_E_VALUE, "file_hash must be a SHA-256 of 64 hex digits");
    if (!*fname || strstr(fname, "..")) return lang_raise(L, LANG_E_VALUE, "fname must be a file name, got '%s'", fname);
    const char *kh = getenv("KERAS_HOME"), *home = getenv("HOME");
    char *dir = sub[0] == '/' ? lang_strdupf("%s", sub)
              : kh && *kh ? lang_strdupf("%s/%s", kh, sub)
                          : lang_strdupf("%s/.keras/%s", home && *home ? home : "/tmp", sub);
    char *dest = dir ? lang_strdupf("%s/%s", dir, fname) : NULL;
    if (!dest) { free(dir); return lang_nomem(L); }
    struct stat st;
    int have = stat(dest, &st) == 0 && S_ISREG(st.st_mode);
    if (have && hash) {
        char got[65];
        have = data_sha256_file(dest, got) == 0 && strcasecmp(got, hash) == 0;
    }
    int rc = 0;
    if (!have) {
        progress p = {L, 0, 0};
        rc = data_mkdirs(dir) < 0 || data_download(origin, dest, hash, show_progress, &p) < 0 ? -1 : 0;
    }
    free(dir);
    if (rc < 0) { free(dest); return raise_data(L); }
    lang_value r = lv_str_take(dest);
    return lv_is_err(r) ? lang_nomem(L) : r;
}

void lang_init_datasets(lang_state *L)
{
    datasets_module *m = calloc(1, sizeof *m);
    if (!m) { lang_nomem(L); return; }
    static const lang_method *const fns[DATA_SET_COUNT] = {mnist_functions, fashion_functions, cifar10_functions};
    static const char *const docs[DATA_SET_COUNT] = {
        "MNIST digits (Keras's mnist.npz or the IDX files)",
        "Fashion-MNIST (IDX files; Debian's dataset-fashion-mnist)",
        "CIFAR-10, binary version (cifar-10-binary.tar.gz or cifar-10-batches-bin/)",
    };
    for (int i = 0; i < DATA_SET_COUNT; i++) {
        m->sub[i] = lang_module_new(L, data_set_name((data_set)i), fns[i], docs[i]);
        if (lv_is_err(m->sub[i])) { datasets_free(m); return; }
    }
    lang_value mod = lang_object_new(L, &datasets_class, m);
    if (lv_is_err(mod)) return;
    lang_register_value(L, "datasets", mod,
        "datasets: Keras's data sets: datasets.mnist, datasets.fashion_mnist, datasets.cifar10, each with load_data()");
    lv_release(mod);
    lang_register_builtin(L, "to_categorical", bi_to_categorical,
        "to_categorical(y, num_classes=None)\nOne-hot float32 rows for integer labels (Keras's keras.utils.to_categorical).\n"
        ">>> to_categorical([0, 2], 3)\narray([[1., 0., 0.],\n       [0., 0., 1.]], dtype=float32)");
    lang_register_builtin(L, "get_file", bi_get_file,
        "get_file(fname, origin, file_hash=None, cache_subdir=\"datasets\")\nDownloads origin into ~/.keras/cache_subdir/fname "
        "unless it is there, checks its SHA-256, and returns the path (Keras's get_file).\n"
        ">>> path = get_file(\"runs.csv\", \"http://mirror.example/runs.csv\")");
}
