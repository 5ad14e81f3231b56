/* builtins_callbacks.c — keras.callbacks: Callback (a class users subclass),
 * LambdaCallback, EarlyStopping, ModelCheckpoint, CSVLogger, TerminateOnNaN
 * and DeviceMonitor, and fit's side of the runtime's nn_fit_hooks
 * (fit_callbacks.h).
 *
 * The classes are language classes defined from C: their state lives in
 * instance attributes, under Keras's names where Keras has them (es.wait,
 * es.best, es.stopped_epoch), and they reach the model through its methods
 * (get_weights, set_weights, save), as Keras's do. Call order, arguments
 * and logs follow Keras 3's CallbackList: one logs dict per call point,
 * shared by the callbacks in list order, so what DeviceMonitor adds at an
 * epoch's end reaches a CSVLogger after it and the history.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fit_callbacks.h"
#include "gpu_stats.h"
#include "libraries.h"

/* This interpreter's Callback and DeviceMonitor classes (lang_ext data;
 * the values are borrowed from its registry, which keeps them). */
typedef struct {
    lang_value callback, monitor;
} callback_classes;
#define CLASSES_KEY "keras.callbacks"

static const callback_classes *classes_of(lang_state *L)
{
    static const callback_classes none = {{LV_NONE, {0}}, {LV_NONE, {0}}};
    const callback_classes *c = lang_ext_get(L, CLASSES_KEY);
    return c ? c : &none;
}

/* ---- instance attributes ---------------------------------------------------------------- */

static int set_attr(lang_state *L, lang_value self, const char *name, lang_value v)   /* consumes v */
{
    if (lv_is_err(v)) return -1;
    int rc = lang_setattr(L, self, name, v);
    lv_release(v);
    return rc;
}

static double attr_float(lang_state *L, lang_value self, const char *name)
{
    lang_value v = lang_getattr(L, self, name);
    double d = lv_is_number(v) ? lv_as_double(v) : NAN;
    if (lv_is_err(v)) lang_error_clear(L);
    lv_release(v);
    return d;
}

static int attr_true(lang_state *L, lang_value self, const char *name)
{
    lang_value v = lang_getattr(L, self, name);
    int b = 0;
    if (lv_is_err(v)) lang_error_clear(L);
    else if (lang_get_bool(L, v, name, &b) < 0) { lang_error_clear(L); b = 0; }
    lv_release(v);
    return b;
}

/* logs[key] as a number; 0 when absent or not a number */
static int logs_number(lang_value logs, const char *key, double *out)
{
    if (logs.type != LV_DICT) return 0;
    lang_value v = lv_dict_get_str(logs, key);
    if (!lv_is_number(v)) return 0;
    *out = lv_as_double(v);
    return 1;
}

static lang_value call_model(lang_state *L, lang_value self, const char *method, int n, const lang_value *args)
{
    lang_value model = lang_getattr(L, self, "model");
    if (lv_is_err(model)) return model;
    lang_value r = lang_call_method(L, model, method, n, args, 0, NULL, NULL);
    lv_release(model);
    if (lv_is_missing(r)) return lang_raise(L, LANG_E_ATTRIBUTE, "the callback's model has no method %s()", method);
    return r;
}

/* ---- Callback --------------------------------------------------------------------------- */

static lang_value cb_noop(lang_state *L, const lang_args *a)
{
    (void)L; (void)a;
    return lv_none();
}

static lang_value cb_init(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    if (set_attr(L, a->self, "model", lv_none()) < 0 || set_attr(L, a->self, "params", lv_dict_new()) < 0)
        return lv_err();
    return lv_none();
}

static lang_value cb_set_model(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "model", v) < 0) return lv_err();
    return lang_setattr(L, a->self, "model", v[0]) < 0 ? lv_err() : lv_none();
}

static lang_value cb_set_params(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "params", v) < 0) return lv_err();
    return lang_setattr(L, a->self, "params", v[0]) < 0 ? lv_err() : lv_none();
}

/* Keras: on_train_batch_* call the older on_batch_* names */
static lang_value forward_batch(lang_state *L, const lang_args *a, const char *to)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "batch, logs=", v) < 0) return lv_err();
    lang_value args[2] = {v[0], lv_is_missing(v[1]) ? lv_none() : v[1]};
    lang_value r = lang_call_method(L, a->self, to, 2, args, 0, NULL, NULL);
    return lv_is_missing(r) ? lv_none() : r;
}
static lang_value cb_train_batch_begin(lang_state *L, const lang_args *a) { return forward_batch(L, a, "on_batch_begin"); }
static lang_value cb_train_batch_end(lang_state *L, const lang_args *a) { return forward_batch(L, a, "on_batch_end"); }

#define HOOK_DOC(sig, what) sig "\nCalled by fit " what "; does nothing unless overridden.\n>>> class C(keras.callbacks.Callback):\n...     def " sig ": print(logs)"
static const lang_method callback_methods[] = {
    {"__init__", cb_init, "Callback()\nA callback: subclass it and override the on_* methods fit calls.\n>>> class TimeHistory(keras.callbacks.Callback): pass"},
    {"set_model", cb_set_model, "set_model(model)\nfit calls it first: sets self.model.\n>>> cb.set_model(model)"},
    {"set_params", cb_set_params, "set_params(params)\nfit calls it first: sets self.params (verbose, epochs, steps).\n>>> cb.set_params({'epochs': 1})"},
    {"on_train_begin", cb_noop, HOOK_DOC("on_train_begin(logs=None)", "before the first epoch")},
    {"on_train_end", cb_noop, HOOK_DOC("on_train_end(logs=None)", "after the last epoch with its logs")},
    {"on_epoch_begin", cb_noop, HOOK_DOC("on_epoch_begin(epoch, logs=None)", "at each epoch's start (epoch counts from 0)")},
    {"on_epoch_end", cb_noop, HOOK_DOC("on_epoch_end(epoch, logs=None)", "at each epoch's end; logs has loss, metrics, val_*")},
    {"on_train_batch_begin", cb_train_batch_begin, HOOK_DOC("on_train_batch_begin(batch, logs=None)", "before each step (calls on_batch_begin)")},
    {"on_train_batch_end", cb_train_batch_end, HOOK_DOC("on_train_batch_end(batch, logs=None)", "after each step with the running means (calls on_batch_end)")},
    {"on_batch_begin", cb_noop, HOOK_DOC("on_batch_begin(batch, logs=None)", "before each step")},
    {"on_batch_end", cb_noop, HOOK_DOC("on_batch_end(batch, logs=None)", "after each step with the running means")},
    {NULL, NULL, NULL}};

/* ---- LambdaCallback ---------------------------------------------------------------------- */

/* Keras: each given function becomes the instance's method of that name
 * (called without self). */
static lang_value lambda_init(lang_state *L, const lang_args *a)
{
    static const char *const names[] = {"on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end",
                                        "on_batch_begin", "on_batch_end", "on_train_batch_begin",
                                        "on_train_batch_end"};
    lang_value v[8];
    if (lang_args_bind(L, a, "on_epoch_begin=, on_epoch_end=, on_train_begin=, on_train_end=, on_batch_begin=, "
                             "on_batch_end=, on_train_batch_begin=, on_train_batch_end=", v) < 0 ||
        cb_init(L, &(lang_args){0, NULL, 0, NULL, NULL, a->self, a->fname}).type == LV_ERR)
        return lv_err();
    for (int i = 0; i < 8; i++)
        if (!lv_is_missing(v[i]) && !lv_is_none(v[i]) && lang_setattr(L, a->self, names[i], v[i]) < 0) return lv_err();
    return lv_none();
}

static const lang_method lambda_methods[] = {
    {"__init__", lambda_init, "LambdaCallback(on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None, on_batch_begin=None, on_batch_end=None)\nA callback made of functions: epoch functions take (epoch, logs), batch ones (batch, logs), train ones (logs).\n>>> LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs['loss']))"},
    {NULL, NULL, NULL}};

/* ---- monitored quantity: mode and improvement (EarlyStopping, ModelCheckpoint) ------------ */

/* Keras's mode "auto": maximise accuracies, minimise everything else. */
static int mode_setup(lang_state *L, lang_value self, lang_value mode_v, const char *monitor, double min_delta)
{
    const char *mode = "auto";
    if (!lv_is_missing(mode_v) && lang_get_str(L, mode_v, "mode", &mode) < 0) return -1;
    if (strcmp(mode, "auto") && strcmp(mode, "min") && strcmp(mode, "max"))
        return lang_fail(L, LANG_E_VALUE, "mode must be 'auto', 'min' or 'max', got '%s'", mode);
    int maximise = !strcmp(mode, "max") || (!strcmp(mode, "auto") && (strstr(monitor, "acc") || strstr(monitor, "auc")));
    if (set_attr(L, self, "monitor", lv_str(monitor)) < 0 || set_attr(L, self, "mode", lv_str(mode)) < 0 ||
        set_attr(L, self, "_maximise", lv_bool(maximise)) < 0 ||
        set_attr(L, self, "min_delta", lv_float(maximise ? fabs(min_delta) : -fabs(min_delta))) < 0)
        return -1;
    return 0;
}

/* Keras's _is_improvement: monitor_op(current - min_delta, reference);
 * min_delta is stored with its sign (negative when minimising). */
static int is_improvement(lang_state *L, lang_value self, double current, double reference)
{
    if (isnan(reference)) return 1;   /* no reference yet */
    double d = current - attr_float(L, self, "min_delta");
    return attr_true(L, self, "_maximise") ? d > reference : d < reference;
}

static const char *monitor_name(lang_state *L, lang_value self, char *buf, size_t cap)
{
    lang_value v = lang_getattr(L, self, "monitor");
    snprintf(buf, cap, "%s", v.type == LV_STR ? lv_str_cstr(v) : "val_loss");
    if (lv_is_err(v)) lang_error_clear(L);
    lv_release(v);
    return buf;
}

static void warn_missing_monitor(lang_state *L, const char *who, const char *monitor, lang_value logs)
{
    char avail[512] = "";
    size_t i = 0, at = 0;
    lang_value k, v;
    while (logs.type == LV_DICT && lv_dict_next(logs, &i, &k, &v) && at + 2 < sizeof avail)
        at += (size_t)snprintf(avail + at, sizeof avail - at, "%s%s", at ? "," : "", k.type == LV_STR ? lv_str_cstr(k) : "?");
    lang_printf(L, "UserWarning: %s conditioned on metric `%s` which is not available. Available metrics are: %s\n",
                who, monitor, avail);
}

/* ---- EarlyStopping ------------------------------------------------------------------------ */

static lang_value es_init(lang_state *L, const lang_args *a)
{
    lang_value v[8];
    const char *monitor = "val_loss";
    double min_delta = 0, baseline = NAN;
    int64_t patience = 0, verbose = 0, start = 0;
    int restore = 0;
    if (lang_args_bind(L, a, "monitor=, min_delta=, patience=, verbose=, mode=, baseline=, restore_best_weights=, "
                             "start_from_epoch=", v) < 0 ||
        (!lv_is_missing(v[0]) && lang_get_str(L, v[0], "monitor", &monitor) < 0) ||
        (!lv_is_missing(v[1]) && lang_get_float(L, v[1], "min_delta", &min_delta) < 0) ||
        (!lv_is_missing(v[2]) && lang_get_int(L, v[2], "patience", &patience) < 0) ||
        (!lv_is_missing(v[3]) && lang_get_int(L, v[3], "verbose", &verbose) < 0) ||
        (!lv_is_missing(v[5]) && !lv_is_none(v[5]) && lang_get_float(L, v[5], "baseline", &baseline) < 0) ||
        (!lv_is_missing(v[6]) && lang_get_bool(L, v[6], "restore_best_weights", &restore) < 0) ||
        (!lv_is_missing(v[7]) && lang_get_int(L, v[7], "start_from_epoch", &start) < 0))
        return lv_err();
    if (patience < 0) return lang_raise(L, LANG_E_VALUE, "patience must be >= 0, got %lld", (long long)patience);
    if (cb_init(L, &(lang_args){0, NULL, 0, NULL, NULL, a->self, a->fname}).type == LV_ERR ||
        mode_setup(L, a->self, v[4], monitor, min_delta) < 0 ||
        set_attr(L, a->self, "patience", lv_int(patience)) < 0 || set_attr(L, a->self, "verbose", lv_int(verbose)) < 0 ||
        set_attr(L, a->self, "baseline", isnan(baseline) ? lv_none() : lv_float(baseline)) < 0 ||
        set_attr(L, a->self, "restore_best_weights", lv_bool(restore)) < 0 ||
        set_attr(L, a->self, "start_from_epoch", lv_int(start)) < 0 || set_attr(L, a->self, "wait", lv_int(0)) < 0 ||
        set_attr(L, a->self, "stopped_epoch", lv_int(0)) < 0 || set_attr(L, a->self, "best", lv_none()) < 0 ||
        set_attr(L, a->self, "best_epoch", lv_int(0)) < 0 || set_attr(L, a->self, "best_weights", lv_none()) < 0)
        return lv_err();
    return lv_none();
}

static lang_value es_train_begin(lang_state *L, const lang_args *a)
{
    (void)a;
    if (set_attr(L, a->self, "wait", lv_int(0)) < 0 || set_attr(L, a->self, "stopped_epoch", lv_int(0)) < 0 ||
        set_attr(L, a->self, "best", lv_none()) < 0 || set_attr(L, a->self, "best_epoch", lv_int(0)) < 0 ||
        set_attr(L, a->self, "best_weights", lv_none()) < 0)
        return lv_err();
    return lv_none();
}

static lang_value es_epoch_end(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    int64_t epoch;
    if (lang_args_bind(L, a, "epoch, logs=", v) < 0 || lang_get_int(L, v[0], "epoch", &epoch) < 0) return lv_err();
    lang_value self = a->self, logs = lv_is_missing(v[1]) ? lv_none() : v[1];
    char monitor[128];
    double current;
    if (!logs_number(logs, monitor_name(L, self, monitor, sizeof monitor), &current)) {
        warn_missing_monitor(L, "Early stopping", monitor, logs);
        return lv_none();
    }
    if (epoch < (int64_t)attr_float(L, self, "start_from_epoch")) return lv_none();
    int restore = attr_true(L, self, "restore_best_weights");
    lang_value bw = lang_getattr(L, self, "best_weights");
    int no_weights = lv_is_none(bw);
    lv_release(bw);
    if (restore && no_weights && set_attr(L, self, "best_weights", call_model(L, self, "get_weights", 0, NULL)) < 0)
        return lv_err();
    int64_t wait = (int64_t)attr_float(L, self, "wait") + 1;
    if (set_attr(L, self, "wait", lv_int(wait)) < 0) return lv_err();
    if (is_improvement(L, self, current, attr_float(L, self, "best"))) {
        if (set_attr(L, self, "best", lv_float(current)) < 0 || set_attr(L, self, "best_epoch", lv_int(epoch)) < 0)
            return lv_err();
        if (restore && set_attr(L, self, "best_weights", call_model(L, self, "get_weights", 0, NULL)) < 0)
            return lv_err();
        double baseline = attr_float(L, self, "baseline");
        if (isnan(baseline) || is_improvement(L, self, current, baseline))
            if (set_attr(L, self, "wait", lv_int(0)) < 0) return lv_err();
        return lv_none();
    }
    if (wait >= (int64_t)attr_float(L, self, "patience") && epoch > 0) {
        lang_value model = lang_getattr(L, self, "model");
        int rc = lv_is_err(model) ? -1 : lang_setattr(L, model, "stop_training", lv_bool(1));
        lv_release(model);
        if (rc < 0 || set_attr(L, self, "stopped_epoch", lv_int(epoch)) < 0) return lv_err();
    }
    return lv_none();
}

static lang_value es_train_end(lang_state *L, const lang_args *a)
{
    lang_value self = a->self;
    int verbose = attr_float(L, self, "verbose") > 0;
    int64_t stopped = (int64_t)attr_float(L, self, "stopped_epoch");
    if (stopped > 0 && verbose) lang_printf(L, "Epoch %lld: early stopping\n", (long long)stopped + 1);
    if (!attr_true(L, self, "restore_best_weights")) return lv_none();
    lang_value bw = lang_getattr(L, self, "best_weights");
    if (lv_is_err(bw)) return bw;
    if (lv_is_none(bw)) return lv_none();
    if (verbose)
        lang_printf(L, "Restoring model weights from the end of the best epoch: %lld.\n",
                    (long long)attr_float(L, self, "best_epoch") + 1);
    lang_value r = call_model(L, self, "set_weights", 1, &bw);
    lv_release(bw);
    return r;
}

static const lang_method es_methods[] = {
    {"__init__", es_init, "EarlyStopping(monitor='val_loss', min_delta=0, patience=0, verbose=0, mode='auto', baseline=None, restore_best_weights=False, start_from_epoch=0)\nStops fit when `monitor` has not improved by more than min_delta for `patience` epochs.\n>>> EarlyStopping(monitor='val_loss', patience=3, restore_best_weights=True)"},
    {"on_train_begin", es_train_begin, "on_train_begin(logs=None)\nResets wait, best and stopped_epoch.\n>>> es.on_train_begin()"},
    {"on_epoch_end", es_epoch_end, "on_epoch_end(epoch, logs=None)\nCompares logs[monitor] with the best so far; sets model.stop_training after `patience` epochs without improvement.\n>>> es.on_epoch_end(0, {'val_loss': 0.5})"},
    {"on_train_end", es_train_end, "on_train_end(logs=None)\nRestores the best epoch's weights when restore_best_weights.\n>>> es.on_train_end()"},
    {NULL, NULL, NULL}};

/* ---- ModelCheckpoint ----------------------------------------------------------------------- */

static lang_value mc_init(lang_state *L, const lang_args *a)
{
    lang_value v[7];
    const char *path, *monitor = "val_loss";
    int best_only = 0, weights_only = 0;
    int64_t verbose = 0;
    if (lang_args_bind(L, a, "filepath, monitor=, verbose=, save_best_only=, save_weights_only=, mode=, save_freq=", v) < 0 ||
        lang_get_str(L, v[0], "filepath", &path) < 0 ||
        (!lv_is_missing(v[1]) && lang_get_str(L, v[1], "monitor", &monitor) < 0) ||
        (!lv_is_missing(v[2]) && lang_get_int(L, v[2], "verbose", &verbose) < 0) ||
        (!lv_is_missing(v[3]) && lang_get_bool(L, v[3], "save_best_only", &best_only) < 0) ||
        (!lv_is_missing(v[4]) && lang_get_bool(L, v[4], "save_weights_only", &weights_only) < 0))
        return lv_err();
    if (weights_only)
        return lang_raise(L, LANG_E_VALUE, "ModelCheckpoint: save_weights_only=True is not supported; C-GPU saves the "
                          "whole model (weights included) to a .cgnn file");
    if (!lv_is_missing(v[6])) {
        const char *f;
        if (lang_get_str(L, v[6], "save_freq", &f) < 0) return lv_err();
        if (strcmp(f, "epoch")) return lang_raise(L, LANG_E_VALUE, "ModelCheckpoint: only save_freq='epoch' is supported");
    }
    const char *dot = strrchr(path, '.');
    if (!dot || strcmp(dot, ".cgnn"))
        return lang_raise(L, LANG_E_VALUE, "The filepath provided must end in `.cgnn` (C-GPU's model format). "
                          "Received: filepath=%s", path);
    if (cb_init(L, &(lang_args){0, NULL, 0, NULL, NULL, a->self, a->fname}).type == LV_ERR ||
        set_attr(L, a->self, "filepath", lv_retain(v[0])) < 0 || mode_setup(L, a->self, v[5], monitor, 0) < 0 ||
        set_attr(L, a->self, "save_best_only", lv_bool(best_only)) < 0 ||
        set_attr(L, a->self, "verbose", lv_int(verbose)) < 0 || set_attr(L, a->self, "best", lv_none()) < 0)
        return lv_err();
    return lv_none();
}

/* Keras: filepath.format(epoch=epoch + 1, **logs) */
static lang_value mc_file_path(lang_state *L, lang_value self, int64_t epoch, lang_value logs)
{
    lang_value fp = lang_getattr(L, self, "filepath");
    if (lv_is_err(fp)) return fp;
    size_t n = logs.type == LV_DICT ? lv_dict_len(logs) : 0, i = 0;
    const char **names = calloc(n + 1, sizeof *names);
    lang_value *vals = calloc(n + 1, sizeof *vals);
    if (!names || !vals) { free(names); free(vals); lv_release(fp); return lang_nomem(L); }
    names[0] = "epoch";
    vals[0] = lv_int(epoch + 1);
    int k = 1;
    lang_value key, val;
    while (n && lv_dict_next(logs, &i, &key, &val))
        if (key.type == LV_STR && strcmp(lv_str_cstr(key), "epoch")) { names[k] = lv_str_cstr(key); vals[k++] = val; }
    lang_value r = lang_call_method(L, fp, "format", 0, NULL, k, names, vals);
    free(names);
    free(vals);
    lv_release(fp);
    return r;
}

static lang_value mc_epoch_end(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    int64_t epoch;
    if (lang_args_bind(L, a, "epoch, logs=", v) < 0 || lang_get_int(L, v[0], "epoch", &epoch) < 0) return lv_err();
    lang_value self = a->self, logs = lv_is_missing(v[1]) ? lv_none() : v[1];
    lang_value path = mc_file_path(L, self, epoch, logs);
    if (lv_is_err(path)) return path;
    int verbose = attr_float(L, self, "verbose") > 0;
    if (attr_true(L, self, "save_best_only")) {
        char monitor[128];
        double current, best = attr_float(L, self, "best");
        monitor_name(L, self, monitor, sizeof monitor);
        if (!logs_number(logs, monitor, &current)) {
            lang_printf(L, "UserWarning: Can save best model only with %s available, skipping.\n", monitor);
            lv_release(path);
            return lv_none();
        }
        if (!is_improvement(L, self, current, best)) {
            if (verbose)
                lang_printf(L, "\nEpoch %lld: %s did not improve from %.5f\n", (long long)epoch + 1, monitor, best);
            lv_release(path);
            return lv_none();
        }
        if (verbose)
            lang_printf(L, "\nEpoch %lld: %s improved from %.5f to %.5f, saving model to %s\n", (long long)epoch + 1,
                        monitor, isnan(best) ? (attr_true(L, self, "_maximise") ? -INFINITY : INFINITY) : best,
                        current, lv_str_cstr(path));
        if (set_attr(L, self, "best", lv_float(current)) < 0) { lv_release(path); return lv_err(); }
    } else if (verbose) {
        lang_printf(L, "\nEpoch %lld: saving model to %s\n", (long long)epoch + 1, lv_str_cstr(path));
    }
    lang_value r = call_model(L, self, "save", 1, &path);
    lv_release(path);
    return r;
}

static const lang_method mc_methods[] = {
    {"__init__", mc_init, "ModelCheckpoint(filepath, monitor='val_loss', verbose=0, save_best_only=False, save_weights_only=False, mode='auto', save_freq='epoch')\nSaves the model (.cgnn) after each epoch, or only when `monitor` improved; filepath may hold {epoch:02d} and log keys.\n>>> ModelCheckpoint('model-{epoch:02d}-{val_loss:.2f}.cgnn', save_best_only=True)"},
    {"on_epoch_end", mc_epoch_end, "on_epoch_end(epoch, logs=None)\nSaves the model to filepath formatted with epoch + 1 and the logs.\n>>> mc.on_epoch_end(0, {'val_loss': 0.5})"},
    {NULL, NULL, NULL}};

/* ---- CSVLogger ------------------------------------------------------------------------------ */

static lang_value csv_init(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    const char *sep = ",", *filename;
    int append = 0;
    if (lang_args_bind(L, a, "filename, separator=, append=", v) < 0 || lang_get_str(L, v[0], "filename", &filename) < 0 ||
        (!lv_is_missing(v[1]) && lang_get_str(L, v[1], "separator", &sep) < 0) ||
        (!lv_is_missing(v[2]) && lang_get_bool(L, v[2], "append", &append) < 0))
        return lv_err();
    if (cb_init(L, &(lang_args){0, NULL, 0, NULL, NULL, a->self, a->fname}).type == LV_ERR ||
        set_attr(L, a->self, "filename", lv_retain(v[0])) < 0 || set_attr(L, a->self, "sep", lv_str(sep)) < 0 ||
        set_attr(L, a->self, "append", lv_bool(append)) < 0 || set_attr(L, a->self, "append_header", lv_bool(1)) < 0 ||
        set_attr(L, a->self, "keys", lv_none()) < 0)
        return lv_err();
    return lv_none();
}

static FILE *csv_open(lang_state *L, lang_value self, const char *mode)
{
    lang_value fn = lang_getattr(L, self, "filename");
    if (lv_is_err(fn)) return NULL;
    FILE *f = fopen(lv_str_cstr(fn), mode);
    if (!f) lang_raise_os(L, errno, lv_str_cstr(fn));
    lv_release(fn);
    return f;
}

/* Keras: append to a file whose first line is empty (or no file) writes
 * the header; "w" truncates now. */
static lang_value csv_train_begin(lang_state *L, const lang_args *a)
{
    lang_value self = a->self;
    int header = 1;
    if (attr_true(L, self, "append")) {
        lang_value fn = lang_getattr(L, self, "filename");
        if (lv_is_err(fn)) return fn;
        FILE *f = fopen(lv_str_cstr(fn), "r");
        lv_release(fn);
        if (f) {
            int c = fgetc(f);
            header = c == EOF || c == '\n' || c == '\r';
            fclose(f);
        }
    } else {
        FILE *f = csv_open(L, self, "w");
        if (!f) return lv_err();
        fclose(f);
    }
    if (set_attr(L, self, "append_header", lv_bool(header)) < 0 || set_attr(L, self, "keys", lv_none()) < 0)
        return lv_err();
    return lv_none();
}

/* one field as Python's csv module writes it (quoted when needed) */
static void csv_field(FILE *f, const char *s, const char *sep)
{
    int quote = strpbrk(s, "\"\r\n") || strstr(s, sep);
    if (!quote) { fputs(s, f); return; }
    fputc('"', f);
    for (; *s; s++) { if (*s == '"') fputc('"', f); fputc(*s, f); }
    fputc('"', f);
}

static lang_value csv_epoch_end(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "epoch, logs=", v) < 0) return lv_err();
    lang_value self = a->self, logs = v[1].type == LV_DICT ? v[1] : lv_none();
    lang_value keys = lang_getattr(L, self, "keys");
    if (lv_is_err(keys)) return keys;
    if (lv_is_none(keys)) {   /* Keras: the first epoch's keys, sorted */
        keys = lv_list_new(8);
        size_t i = 0;
        lang_value k, val;
        while (!lv_is_err(keys) && logs.type == LV_DICT && lv_dict_next(logs, &i, &k, &val)) lv_list_append(keys, k);
        if (lv_is_err(keys)) return lang_nomem(L);
        lang_value r = lang_call_method(L, keys, "sort", 0, NULL, 0, NULL, NULL);
        if (lv_is_err(r)) { lv_release(keys); return r; }
        lv_release(r);
        if (lang_setattr(L, self, "keys", keys) < 0) { lv_release(keys); return lv_err(); }
    }
    lang_value sepv = lang_getattr(L, self, "sep");
    const char *sep = sepv.type == LV_STR ? lv_str_cstr(sepv) : ",";
    FILE *f = csv_open(L, self, "a");
    if (!f) { lv_release(keys); lv_release(sepv); return lv_err(); }
    size_t nk = lv_list_len(keys);
    lang_value *ks = lv_list_items(keys);
    /* Python's csv module ends rows with \r\n (the excel dialect) */
    if (attr_true(L, self, "append_header")) {
        fputs("epoch", f);
        for (size_t i = 0; i < nk; i++) { fputs(sep, f); csv_field(f, lv_str_cstr(ks[i]), sep); }
        fputs("\r\n", f);
        set_attr(L, self, "append_header", lv_bool(0));
    }
    char *ep = lang_str(L, v[0]);
    fputs(ep ? ep : "?", f);
    free(ep);
    for (size_t i = 0; i < nk; i++) {
        fputs(sep, f);
        lang_value val = logs.type == LV_DICT ? lv_dict_get(logs, ks[i]) : lv_missing();
        char *s = lv_is_missing(val) ? NULL : lang_str(L, val);
        csv_field(f, s ? s : "NA", sep);
        free(s);
    }
    fputs("\r\n", f);
    int bad = ferror(f);
    fclose(f);
    lv_release(keys);
    lv_release(sepv);
    if (bad) return lang_raise(L, LANG_E_OS, "CSVLogger: could not write the log file");
    return lv_none();
}

static const lang_method csv_methods[] = {
    {"__init__", csv_init, "CSVLogger(filename, separator=',', append=False)\nWrites each epoch's logs as a CSV row: epoch, then the first epoch's log keys sorted.\n>>> CSVLogger('runs.csv', append=True)"},
    {"on_train_begin", csv_train_begin, "on_train_begin(logs=None)\nTruncates the file, or (append=True) decides whether it needs a header.\n>>> log.on_train_begin()"},
    {"on_epoch_end", csv_epoch_end, "on_epoch_end(epoch, logs=None)\nAppends one row.\n>>> log.on_epoch_end(0, {'loss': 0.5})"},
    {NULL, NULL, NULL}};

/* ---- TerminateOnNaN ------------------------------------------------------------------------- */

static lang_value nan_batch_end(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    double loss;
    if (lang_args_bind(L, a, "batch, logs=", v) < 0) return lv_err();
    if (!logs_number(lv_is_missing(v[1]) ? lv_none() : v[1], "loss", &loss) || isfinite(loss)) return lv_none();
    char *b = lang_str(L, v[0]);
    lang_printf(L, "Batch %s: Invalid loss, terminating training\n", b ? b : "?");
    free(b);
    lang_value model = lang_getattr(L, a->self, "model");
    int rc = lv_is_err(model) ? -1 : lang_setattr(L, model, "stop_training", lv_bool(1));
    lv_release(model);
    return rc < 0 ? lv_err() : lv_none();
}

static const lang_method nan_methods[] = {
    {"on_batch_end", nan_batch_end, "on_batch_end(batch, logs=None)\nStops training when the loss is NaN or infinite.\n>>> TerminateOnNaN()"},
    {NULL, NULL, NULL}};

/* ---- DeviceMonitor: a sampling thread ----------------------------------------------------- */

/* Sums of the samples since the epoch began. GPU figures add over the GPUs
 * of one sample (memory; power over the boards that report it) or average
 * them (utilisation). */
typedef struct {
    int    n, ngpu_samples;
    double gpu_util, gpu_mem, gpu_power, cpu, host_mem;
} monitor_sums;

/* Owned by the DeviceMonitor's `_sampler` attribute (its free joins the thread). */
typedef struct {
    pthread_t       thread;
    pthread_mutex_t lock;
    pthread_cond_t  wake;
    int             running, stop;
    double          interval;
    int             ngpus;
    rt_cpu_mark     mark;
    monitor_sums    sums;
} sampler;

static void sample_once(sampler *s)   /* s->lock held */
{
    rt_host_stats h;
    if (rt_host_stats_sample(&s->mark, &h) == RT_OK) {
        s->sums.cpu += h.cpu_utilization;
        s->sums.host_mem += (double)h.resident_bytes / (1024.0 * 1024.0);
        s->sums.n++;
    }
    double util = 0, mem = 0, power = 0;
    int got = 0, have_power = 0;
    for (int g = 0; g < s->ngpus; g++) {
        rt_gpu_stats st;
        if (rt_gpu_stats_sample(g, &st) != RT_OK) continue;
        got++;
        util += st.utilization < 0 ? 0 : st.utilization;
        mem += (double)st.memory_used_bytes / (1024.0 * 1024.0);
        if (st.power_watts >= 0) { power += st.power_watts; have_power = 1; }   /* the boards that report it */
    }
    if (got) {
        s->sums.gpu_util += util / got;
        s->sums.gpu_mem += mem;
        s->sums.gpu_power += have_power ? power : NAN;
        s->sums.ngpu_samples++;
    }
}

static void *sampler_main(void *p)
{
    sampler *s = p;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        double t = (double)until.tv_nsec * 1e-9 + s->interval;
        until.tv_sec += (time_t)t;
        until.tv_nsec = (long)((t - floor(t)) * 1e9);
        pthread_cond_timedwait(&s->wake, &s->lock, &until);
        if (!s->stop) sample_once(s);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void sampler_stop(sampler *s)
{
    if (!s || !s->running) return;
    pthread_mutex_lock(&s->lock);
    s->stop = 1;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    s->running = 0;
}

static void sampler_free(void *p)
{
    sampler *s = p;
    if (!s) return;
    sampler_stop(s);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    free(s);
}

static const lang_class sampler_class = {
    .name = "DeviceMonitorSampler", .doc = "DeviceMonitor's sampling thread.", .free = sampler_free};

static sampler *monitor_sampler(lang_state *L, lang_value self)
{
    lang_value v = lang_getattr(L, self, "_sampler");
    if (lv_is_err(v)) return NULL;
    sampler *s = lv_object_data(v);
    lv_release(v);   /* the instance keeps it */
    return s;
}

static lang_value dm_init(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    double interval = 0.5;
    if (lang_args_bind(L, a, "interval=", v) < 0 ||
        (!lv_is_missing(v[0]) && lang_get_float(L, v[0], "interval", &interval) < 0))
        return lv_err();
    if (!(interval >= 0.01 && interval <= 3600))
        return lang_raise(L, LANG_E_VALUE, "DeviceMonitor: interval must be between 0.01 and 3600 seconds, got %g", interval);
    sampler *s = calloc(1, sizeof *s);
    if (!s) return lang_nomem(L);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    s->interval = interval;
    if (cb_init(L, &(lang_args){0, NULL, 0, NULL, NULL, a->self, a->fname}).type == LV_ERR) { sampler_free(s); return lv_err(); }
    if (set_attr(L, a->self, "interval", lv_float(interval)) < 0 ||
        set_attr(L, a->self, "_sampler", lang_object_new(L, &sampler_class, s)) < 0)
        return lv_err();
    return lv_none();
}

static lang_value dm_train_begin(lang_state *L, const lang_args *a)
{
    sampler *s = monitor_sampler(L, a->self);
    if (!s) return lv_err();
    sampler_stop(s);
    s->ngpus = rt_gpu_stats_count(NULL, 0);
    rt_host_stats h;
    rt_host_stats_sample(&s->mark, &h);   /* the CPU's reference point */
    memset(&s->sums, 0, sizeof s->sums);
    s->stop = 0;
    if (pthread_create(&s->thread, NULL, sampler_main, s))
        return lang_raise(L, LANG_E_RUNTIME, "DeviceMonitor: could not start its sampling thread");
    s->running = 1;
    return lv_none();
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static lang_value dm_epoch_begin(lang_state *L, const lang_args *a)
{
    sampler *s = monitor_sampler(L, a->self);
    if (!s) return lv_err();
    pthread_mutex_lock(&s->lock);
    memset(&s->sums, 0, sizeof s->sums);
    pthread_mutex_unlock(&s->lock);
    return set_attr(L, a->self, "_epoch_start", lv_float(now_s())) < 0 ? lv_err() : lv_none();
}

/* Adds the epoch's means to logs; the gpu_* keys are NaN without a GPU so
 * that a CSV has the same columns on every machine. */
static lang_value dm_epoch_end(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "epoch, logs=", v) < 0) return lv_err();
    sampler *s = monitor_sampler(L, a->self);
    if (!s) return lv_err();
    double seconds = now_s() - attr_float(L, a->self, "_epoch_start");
    pthread_mutex_lock(&s->lock);
    sample_once(s);   /* an epoch shorter than the interval still has one sample */
    monitor_sums m = s->sums;
    pthread_mutex_unlock(&s->lock);
    if (v[1].type != LV_DICT) return lv_none();
    double ng = m.ngpu_samples ? (double)m.ngpu_samples : NAN, nh = m.n ? (double)m.n : NAN;
    struct { const char *key; double value; } out[] = {
        {"epoch_time", seconds},          {"gpu_utilization", m.gpu_util / ng}, {"gpu_memory", m.gpu_mem / ng},
        {"gpu_power", m.gpu_power / ng},  {"cpu_utilization", m.cpu / nh},     {"host_memory", m.host_mem / nh}};
    for (size_t i = 0; i < sizeof out / sizeof *out; i++)
        if (lv_dict_set_str(v[1], out[i].key, lv_float(out[i].value)) < 0) return lang_nomem(L);
    return lv_none();
}

static lang_value dm_train_end(lang_state *L, const lang_args *a)
{
    sampler *s = monitor_sampler(L, a->self);
    if (!s) return lv_err();
    sampler_stop(s);
    return lv_none();
}

static const lang_method dm_methods[] = {
    {"__init__", dm_init, "DeviceMonitor(interval=0.5)\nSamples the GPUs (NVML) and the host every `interval` seconds during fit and adds each epoch's means to its logs: epoch_time (s), gpu_utilization (%), gpu_memory (MiB), gpu_power (W), cpu_utilization (%), host_memory (MiB).\n>>> model.fit(x, y, epochs=10, callbacks=[DeviceMonitor(), CSVLogger('runs.csv', append=True)])"},
    {"on_train_begin", dm_train_begin, "on_train_begin(logs=None)\nStarts the sampling thread.\n>>> dm.on_train_begin()"},
    {"on_epoch_begin", dm_epoch_begin, "on_epoch_begin(epoch, logs=None)\nStarts the epoch's clock and sums.\n>>> dm.on_epoch_begin(0)"},
    {"on_epoch_end", dm_epoch_end, "on_epoch_end(epoch, logs=None)\nAdds the epoch's means to logs.\n>>> dm.on_epoch_end(0, {})"},
    {"on_train_end", dm_train_end, "on_train_end(logs=None)\nStops the sampling thread.\n>>> dm.on_train_end()"},
    {NULL, NULL, NULL}};

/* ---- fit's side: nn_fit_hooks -> the callbacks' methods ----------------------------------------- */

struct fit_callbacks {
    lang_state *L;
    lang_value  list;      /* the callbacks (a list) */
    lang_value  model;
    lang_value  epochs;    /* list of each epoch's logs dict (after the callbacks ran) */
    int         failed;
};

static lang_value logs_dict(const nn_logs *lg)
{
    lang_value d = lv_dict_new();
    for (int k = 0; lg && !lv_is_err(d) && k < lg->n; k++)
        if (lv_dict_set_str(d, lg->names[k], lv_float(lg->values[k])) < 0) { lv_release(d); return lv_err(); }
    return d;
}

/* Calls `method` on every callback with (first?, logs); then reads
 * model.stop_training. Consumes logs. */
static int dispatch(fit_callbacks *cb, const char *method, int with_index, int64_t index, lang_value logs)
{
    lang_state *L = cb->L;
    if (lv_is_err(logs)) { lang_nomem(L); cb->failed = 1; return NN_HOOK_FAIL; }
    size_t n = lv_list_len(cb->list);
    for (size_t i = 0; i < n; i++) {
        lang_value args[2] = {lv_int(index), logs};
        lang_value r = lang_call_method(L, lv_list_items(cb->list)[i], method, with_index ? 2 : 1,
                                        with_index ? args : args + 1, 0, NULL, NULL);
        if (lv_is_err(r)) { lv_release(logs); cb->failed = 1; return NN_HOOK_FAIL; }
        lv_release(r);
    }
    if (!strcmp(method, "on_epoch_end")) lv_list_append(cb->epochs, logs);
    lv_release(logs);
    lang_value st = lang_getattr(L, cb->model, "stop_training");
    int stop = 0;
    if (lv_is_err(st)) lang_error_clear(L);
    else if (lang_get_bool(L, st, "stop_training", &stop) < 0) { lang_error_clear(L); stop = 0; }
    lv_release(st);
    return stop ? NN_HOOK_STOP : NN_HOOK_CONTINUE;
}

static int hk_train_begin(void *c) { return dispatch(c, "on_train_begin", 0, 0, lv_dict_new()); }
static int hk_epoch_begin(void *c, int e) { return dispatch(c, "on_epoch_begin", 1, e, lv_dict_new()); }
static int hk_batch_begin(void *c, int e, int64_t s) { (void)e; return dispatch(c, "on_train_batch_begin", 1, s, lv_dict_new()); }
static int hk_batch_end(void *c, int e, int64_t s, const nn_logs *lg) { (void)e; return dispatch(c, "on_train_batch_end", 1, s, logs_dict(lg)); }
static int hk_epoch_end(void *c, int e, const nn_logs *lg) { return dispatch(c, "on_epoch_end", 1, e, logs_dict(lg)); }
static int hk_train_end(void *c, const nn_logs *lg)
{
    fit_callbacks *cb = c;
    /* Keras passes the last epoch's logs as the callbacks left them */
    size_t n = lv_list_len(cb->epochs);
    lang_value logs = n ? lv_retain(lv_list_items(cb->epochs)[n - 1]) : logs_dict(lg);
    return dispatch(c, "on_train_end", 0, 0, logs);
}

static int implements(lang_state *L, lang_value obj, const char *a, const char *b)
{
    lang_value base = classes_of(L)->callback;
    return lang_overrides(obj, base, a) || lang_overrides(obj, base, b);
}

int fit_callbacks_open(lang_state *L, lang_value callbacks, lang_value model, lang_value params,
                       fit_callbacks **out, nn_fit_hooks *hooks)
{
    *out = NULL;
    memset(hooks, 0, sizeof *hooks);
    if (lv_is_missing(callbacks) || lv_is_none(callbacks)) return 0;
    int64_t n;
    lang_value *items = lv_seq_items(callbacks, &n);
    if (!items) return lang_fail(L, LANG_E_TYPE, "callbacks must be a list of keras.callbacks.Callback objects, got %s",
                                 lv_type_name(callbacks));
    for (int64_t i = 0; i < n; i++)
        if (!lang_is_instance(items[i], classes_of(L)->callback))
            return lang_fail(L, LANG_E_TYPE, "callbacks[%lld] is a %s, not a keras.callbacks.Callback", (long long)i,
                             lv_type_name(items[i]));
    fit_callbacks *cb = calloc(1, sizeof *cb);
    if (!cb) return lang_fail(L, LANG_E_MEMORY, "out of memory");
    cb->L = L;
    cb->list = lv_list_new((size_t)n);
    cb->epochs = lv_list_new(8);
    cb->model = lv_retain(model);
    if (lv_is_err(cb->list) || lv_is_err(cb->epochs)) { fit_callbacks_close(L, cb, lv_none()); return lang_fail(L, LANG_E_MEMORY, "out of memory"); }
    int batch_begin = 0, batch_end = 0;
    for (int64_t i = 0; i < n; i++) {
        lv_list_append(cb->list, items[i]);
        lang_value r = lang_call_method(L, items[i], "set_model", 1, &model, 0, NULL, NULL);
        if (!lv_is_err(r)) { lv_release(r); r = lang_call_method(L, items[i], "set_params", 1, &params, 0, NULL, NULL); }
        if (lv_is_err(r)) { fit_callbacks_close(L, cb, lv_none()); return -1; }
        lv_release(r);
        batch_begin |= implements(L, items[i], "on_train_batch_begin", "on_batch_begin");
        batch_end |= implements(L, items[i], "on_train_batch_end", "on_batch_end");
    }
    hooks->ctx = cb;
    hooks->train_begin = hk_train_begin;
    hooks->epoch_begin = hk_epoch_begin;
    hooks->epoch_end = hk_epoch_end;
    hooks->train_end = hk_train_end;
    if (batch_begin) hooks->batch_begin = hk_batch_begin;
    if (batch_end) hooks->batch_end = hk_batch_end;
    *out = cb;
    return 0;
}

int fit_callbacks_failed(const fit_callbacks *cb) { return cb && cb->failed; }

/* Keras's History: logs.items() appended per epoch; keys the runtime
 * already recorded are left as they are. */
static void history_add_extra(fit_callbacks *cb, lang_value history)
{
    size_t ne = lv_list_len(cb->epochs);
    if (cb->failed) {
        /* Keras's History sees an epoch only after every callback's
         * on_epoch_end returned: drop the epoch a callback failed in */
        size_t i = 0;
        lang_value k, list;
        while (lv_dict_next(history, &i, &k, &list))
            if (list.type == LV_LIST && lv_list_len(list) > ne) {
                lang_value kept = lv_list_new(ne);
                for (size_t e = 0; !lv_is_err(kept) && e < ne; e++) lv_list_append(kept, lv_list_items(list)[e]);
                if (!lv_is_err(kept)) lv_dict_set(history, k, kept);   /* same key: no reordering */
                lv_release(kept);
            }
    }
    for (size_t e = 0; e < ne; e++) {
        lang_value logs = lv_list_items(cb->epochs)[e], k, v;
        size_t i = 0;
        while (lv_dict_next(logs, &i, &k, &v)) {
            lang_value list = lv_dict_get(history, k);
            if (lv_is_missing(list)) {
                if (e) continue;   /* a key that appeared later has no earlier values */
                list = lv_list_new(ne);
                if (lv_is_err(list) || lv_dict_set(history, k, list) < 0) { lv_release(list); return; }
                lv_release(list);
            } else if (lv_list_len(list) > e) {
                continue;          /* recorded by the runtime */
            }
            lv_list_append(list, v);
        }
    }
}

void fit_callbacks_close(lang_state *L, fit_callbacks *cb, lang_value history)
{
    (void)L;
    if (!cb) return;
    if (history.type == LV_DICT && !lv_is_err(cb->epochs)) history_add_extra(cb, history);
    /* a fit that failed never reached on_train_end: stop monitors now */
    size_t n = lv_is_err(cb->list) ? 0 : lv_list_len(cb->list);
    for (size_t i = 0; i < n; i++) {
        lang_value c = lv_list_items(cb->list)[i];
        if (!lang_is_instance(c, classes_of(L)->monitor)) continue;
        lang_value s = lang_getattr(L, c, "_sampler");
        if (lv_is_err(s)) lang_error_clear(L);
        else if (s.type == LV_OBJECT) sampler_stop(lv_object_data(s));
        lv_release(s);
    }
    lv_release(cb->list);
    lv_release(cb->epochs);
    lv_release(cb->model);
    free(cb);
}

/* ---- registration ------------------------------------------------------------------------------ */

static lang_value define(lang_state *L, const char *name, lang_value base, const lang_method *methods, const char *doc)
{
    lang_value cls = lang_define_class(L, name, base, methods, doc);
    if (lv_is_err(cls)) return cls;
    lang_register_value(L, name, cls, doc);
    lv_release(cls);   /* the registry keeps it */
    return cls;
}

void lang_init_callbacks(lang_state *L)
{
    callback_classes *c = calloc(1, sizeof *c);
    if (!c) return;
    c->callback = define(L, "Callback", lv_none(), callback_methods,
                         "Base class of fit's callbacks (keras.callbacks.Callback): override on_epoch_end etc.");
    if (lv_is_err(c->callback)) { free(c); return; }
    define(L, "LambdaCallback", c->callback, lambda_methods, "A callback made of functions (keras.callbacks.LambdaCallback).");
    define(L, "EarlyStopping", c->callback, es_methods, "Stops training when a monitored value stops improving.");
    define(L, "ModelCheckpoint", c->callback, mc_methods, "Saves the model after each epoch (C-GPU's .cgnn format).");
    define(L, "CSVLogger", c->callback, csv_methods, "Writes each epoch's logs to a CSV file.");
    define(L, "TerminateOnNaN", c->callback, nan_methods, "Stops training when the loss becomes NaN or infinite.");
    c->monitor = define(L, "DeviceMonitor", c->callback, dm_methods,
                        "Samples GPU and host utilisation, memory and power during fit; adds per-epoch means to the logs.");
    lang_ext_set(L, CLASSES_KEY, c, free);
}
