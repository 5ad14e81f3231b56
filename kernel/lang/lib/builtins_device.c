/* builtins_device.c — devices as TensorFlow's tf.config shows them:
 * list_physical_devices, list_logical_devices, `with device("GPU:1"):`,
 * set_log_device_placement, set_virtual_devices, synchronize,
 * memory_info, set_matmul_precision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "html.h"
#include "interp.h"
#include "libraries.h"

/* A device as a value. Physical and logical devices share the layout;
 * the class says which. Owned by its object. */
typedef struct {
    rt_device_kind kind;
    int            index;     /* physical or logical index */
    rt_device_props props;    /* physical devices only */
} device_obj;

static const char *kind_name(rt_device_kind k) { return k == RT_GPU ? "GPU" : "CPU"; }

static char *phys_repr(lang_state *L, lang_value self)
{
    device_obj *d = lv_object_data(self);
    return lang_strdupf("PhysicalDevice(name='/physical_device:%s:%d', device_type='%s')", kind_name(d->kind), d->index,
                        kind_name(d->kind));
}

static char *logical_repr(lang_state *L, lang_value self)
{
    device_obj *d = lv_object_data(self);
    return lang_strdupf("LogicalDevice(name='/device:%s:%d', device_type='%s')", kind_name(d->kind), d->index, kind_name(d->kind));
}

static lang_value dev_getattr_common(lang_state *L, device_obj *d, const char *name, int physical)
{
    if (strcmp(name, "name") == 0)
        return lv_str_printf(physical ? "/physical_device:%s:%d" : "/device:%s:%d", kind_name(d->kind), d->index);
    if (strcmp(name, "device_type") == 0 || strcmp(name, "kind") == 0) return lv_str(kind_name(d->kind));
    if (strcmp(name, "index") == 0) return lv_int(d->index);
    if (!physical) return lv_missing();
    if (strcmp(name, "model") == 0 || strcmp(name, "device_name") == 0) return lv_str(d->props.name);
    if (strcmp(name, "memory") == 0) return lv_int((int64_t)d->props.total_memory);
    if (strcmp(name, "compute_capability") == 0) {
        if (d->kind != RT_GPU) return lv_none();
        lang_value t = lv_tuple_new(2);
        if (lv_is_err(t)) return lang_nomem(L);
        lv_tuple_set_take(t, 0, lv_int(d->props.cc_major));
        lv_tuple_set_take(t, 1, lv_int(d->props.cc_minor));
        return t;
    }
    if (strcmp(name, "multiprocessors") == 0) return lv_int(d->props.multiprocessors);
    return lv_missing();
}

static lang_value phys_getattr(lang_state *L, lang_value self, const char *name)
{
    return dev_getattr_common(L, lv_object_data(self), name, 1);
}

static lang_value logical_getattr(lang_state *L, lang_value self, const char *name)
{
    return dev_getattr_common(L, lv_object_data(self), name, 0);
}

static const char *const phys_attrs[] = { "name", "device_type", "kind", "index", "model", "memory",
                                          "compute_capability", "multiprocessors", NULL };
static const char *const logical_attrs[] = { "name", "device_type", "kind", "index", NULL };

static const lang_class phys_class = {
    .name = "PhysicalDevice",
    .doc = "A physical device (GPU or CPU) as list_physical_devices() returns it: attributes name, device_type, "
           "index, model, memory (bytes), compute_capability, multiprocessors.",
    .free = free, .repr = phys_repr, .attrs = phys_attrs, .getattr = phys_getattr,
};

static const lang_class logical_class = {
    .name = "LogicalDevice",
    .doc = "A logical device (one physical device may be split in several): attributes name, device_type, index. "
           "Usable with `with device(d):`.",
    .free = free, .repr = logical_repr, .attrs = logical_attrs, .getattr = logical_getattr,
};

static rt_device *device_of_value(lang_value v)
{
    device_obj *d = lv_object_check(v, &logical_class);
    if (!d) d = lv_object_check(v, &phys_class);
    if (!d) return NULL;
    return rt_device_get(d->kind, d->index);
}

static int parse_kind(lang_state *L, lang_value v, int *kind /* -1: all */)
{
    if (lv_is_missing(v) || lv_is_none(v)) { *kind = -1; return 0; }
    const char *s;
    if (lang_get_str(L, v, "device_type", &s) < 0) return -1;
    if (strcasecmp(s, "GPU") == 0) *kind = RT_GPU;
    else if (strcasecmp(s, "CPU") == 0) *kind = RT_CPU;
    else return lang_fail(L, LANG_E_VALUE, "device_type must be \"GPU\" or \"CPU\", not '%s'", s);
    return 0;
}

static lang_value device_list(lang_state *L, const lang_args *a, int physical)
{
    lang_value v[1];
    int kind;
    if (lang_args_bind(L, a, "device_type=", v) < 0 || parse_kind(L, v[0], &kind) < 0) return lv_err();
    lang_value out = lv_list_new(0);
    if (lv_is_err(out)) return lang_nomem(L);
    static const rt_device_kind order[2] = { RT_CPU, RT_GPU };
    for (int k = 0; k < 2; k++) {
        rt_device_kind dk = order[k];
        if (kind >= 0 && (int)dk != kind) continue;
        int n = physical ? rt_physical_device_count(dk) : rt_logical_device_count(dk);
        for (int i = 0; i < n; i++) {
            device_obj *d = calloc(1, sizeof *d);
            if (!d) { lv_release(out); return lang_nomem(L); }
            d->kind = dk;
            d->index = i;
            if (physical && rt_device_properties(dk, i, &d->props) != 0) rt_clear_error();
            lang_value o = lang_object_new(L, physical ? &phys_class : &logical_class, d);
            if (lv_is_err(o)) { lv_release(out); return o; }
            if (lv_list_append_take(out, o) < 0) { lv_release(out); return lang_nomem(L); }
        }
    }
    return out;
}

static lang_value bi_list_physical(lang_state *L, const lang_args *a) { return device_list(L, a, 1); }
static lang_value bi_list_logical(lang_state *L, const lang_args *a) { return device_list(L, a, 0); }

/* text/html table for a list of physical devices (execute_result) */
static int device_list_display(lang_state *L, lang_value v, lang_bundle *b)
{
    size_t n = lv_list_len(v);
    if (n == 0) return 0;
    lang_value *items = lv_list_items(v);
    for (size_t i = 0; i < n; i++) if (!lv_object_check(items[i], &phys_class)) return 0;
    html_device_row *rows = calloc(n, sizeof *rows);
    if (!rows) return 0;
    for (size_t i = 0; i < n; i++) {
        device_obj *d = lv_object_data(items[i]);
        rows[i].name = d->props.name;
        rows[i].kind = kind_name(d->kind);
        rows[i].index = d->index;
        rows[i].memory = d->props.total_memory;
        rows[i].cc_major = d->props.cc_major;
        rows[i].cc_minor = d->props.cc_minor;
        rows[i].multiprocessors = d->props.multiprocessors;
    }
    const char *reason = rt_gpu_unavailable_reason();
    char note[512];
    if (reason) snprintf(note, sizeof note, "No GPU: %s", reason);
    char *h = html_device_table(rows, (int)n, reason ? note : NULL, 1);
    free(rows);
    if (h) { lang_bundle_add(b, "text/html", h); free(h); }
    return 0;
}

/* ---- placement scope: with device("GPU:1"): ------------------------------------------- */

typedef struct { rt_device *dev; int pushed; } scope_obj;

static char *scope_repr(lang_state *L, lang_value self)
{
    scope_obj *s = lv_object_data(self);
    return lang_strdupf("device('%s')", rt_device_name(s->dev));
}

static lang_value scope_enter(lang_state *L, lang_value self)
{
    scope_obj *s = lv_object_data(self);
    rt_push_device(s->dev);
    s->pushed++;
    return lv_none();
}

static int scope_exit(lang_state *L, lang_value self, int failing)
{
    scope_obj *s = lv_object_data(self);
    if (s->pushed > 0) { rt_pop_device(); s->pushed--; }
    return 0;
}

static lang_value scope_getattr(lang_state *L, lang_value self, const char *name)
{
    scope_obj *s = lv_object_data(self);
    if (strcmp(name, "name") == 0) return lv_str(rt_device_name(s->dev));
    return lv_missing();
}

static const char *const scope_attrs[] = { "name", NULL };

static const lang_class scope_class = {
    .name = "device",
    .doc = "device(name)\nA placement scope: arrays created inside `with device(\"GPU:1\"):` live on that device.",
    .free = free, .repr = scope_repr, .attrs = scope_attrs, .getattr = scope_getattr,
    .enter = scope_enter, .exit = scope_exit,
};

static lang_value bi_device(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    rt_device *d;
    if (lang_args_bind(L, a, "name", v) < 0 || lang_get_device(L, v[0], "name", &d) < 0) return lv_err();
    if (!d) d = rt_default_device();
    scope_obj *s = calloc(1, sizeof *s);
    if (!s) return lang_nomem(L);
    s->dev = d;
    return lang_object_new(L, &scope_class, s);
}

/* ---- configuration -------------------------------------------------------------------- */

static lang_value bi_set_log(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    int on;
    if (lang_args_bind(L, a, "enabled", v) < 0 || lang_get_bool(L, v[0], "enabled", &on) < 0) return lv_err();
    rt_set_log_sink(lang_device_log_sink, L);
    rt_set_log_device_placement(on);
    L->log_placement = on;
    return lv_none();
}

static lang_value bi_set_virtual(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    int kind;
    int64_t n;
    if (lang_args_bind(L, a, "device_type, n", v) < 0 || parse_kind(L, v[0], &kind) < 0 || lang_get_int(L, v[1], "n", &n) < 0)
        return lv_err();
    if (kind < 0) return lang_raise(L, LANG_E_VALUE, "device_type must be \"GPU\" or \"CPU\"");
    if (n < 1 || n > 64) return lang_raise(L, LANG_E_VALUE, "n must be between 1 and 64, not %lld", (long long)n);
    if (rt_set_virtual_devices((rt_device_kind)kind, (int)n) != RT_OK) return lang_raise_rt(L);
    return lv_none();
}

static lang_value bi_synchronize(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    rt_device *d = NULL;
    if (lang_args_bind(L, a, "device=", v) < 0 || (!lv_is_missing(v[0]) && lang_get_device(L, v[0], "device", &d) < 0))
        return lv_err();
    if (rt_synchronize(d) != RT_OK) return lang_raise_rt(L);
    return lv_none();
}

static lang_value bi_memory_info(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    rt_device *d = NULL;
    if (lang_args_bind(L, a, "device=", v) < 0 || (!lv_is_missing(v[0]) && lang_get_device(L, v[0], "device", &d) < 0))
        return lv_err();
    if (!d) d = rt_default_device();
    rt_memory_info mi;
    if (rt_get_memory_info(d, &mi) != RT_OK) return lang_raise_rt(L);
    lang_value r = lv_dict_new();
    if (lv_is_err(r)) return lang_nomem(L);
    if (lv_dict_set_str(r, "used", lv_int((int64_t)mi.used)) < 0 || lv_dict_set_str(r, "cached", lv_int((int64_t)mi.cached)) < 0 ||
        lv_dict_set_str(r, "total", lv_int((int64_t)mi.total)) < 0 ||
        lv_dict_set_str(r, "limit", mi.limit ? lv_int((int64_t)mi.limit) : lv_none()) < 0) {
        lv_release(r);
        return lang_nomem(L);
    }
    return r;
}

static lang_value bi_set_precision(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *p;
    if (lang_args_bind(L, a, "precision", v) < 0 || lang_get_str(L, v[0], "precision", &p) < 0) return lv_err();
    if (rt_set_matmul_precision(p) != RT_OK) return lang_raise_rt(L);
    return lv_none();
}

static lang_value bi_gpu_reason(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    const char *r = rt_gpu_unavailable_reason();
    return r ? lv_str(r) : lv_none();
}

void lang_init_device(lang_state *L)
{
    lang_register_device_of(L, device_of_value);
    lang_register_list_display(L, device_list_display);
    lang_register_builtin(L, "list_physical_devices", bi_list_physical,
        "list_physical_devices(device_type=None)\nThe physical devices (\"GPU\", \"CPU\" or all), as TensorFlow's tf.config lists them; [] when there is no GPU.\n"
        ">>> len(list_physical_devices(\"GPU\"))\n1");
    lang_register_builtin(L, "list_logical_devices", bi_list_logical,
        "list_logical_devices(device_type=None)\nThe logical devices (after set_virtual_devices).\n>>> list_logical_devices(\"CPU\")\n[LogicalDevice(name='/device:CPU:0', device_type='CPU')]");
    lang_register_class(L, &scope_class, bi_device,
        "device(name)\nA placement scope: arrays created inside `with device(\"GPU:1\"):` live on that device.\n>>> with device(\"CPU:0\"):\n...     a = ones(3)");
    lang_register_builtin(L, "set_log_device_placement", bi_set_log,
        "set_log_device_placement(enabled)\nWhen on, every array operation prints the op and the device it ran on.\n>>> set_log_device_placement(True)");
    lang_register_builtin(L, "set_virtual_devices", bi_set_virtual,
        "set_virtual_devices(device_type, n)\nSplits physical device 0 of the kind into n logical devices (before any array uses it).\n>>> set_virtual_devices(\"CPU\", 2)");
    lang_register_builtin(L, "synchronize", bi_synchronize,
        "synchronize(device=None)\nWaits until queued work on the device (all devices by default) has finished.\n>>> synchronize()");
    lang_register_builtin(L, "memory_info", bi_memory_info,
        "memory_info(device=None)\nBytes used, cached (held by the allocator) and total on a device, and this kernel's limit there (CGPU_MEMORY_LIMIT / CGPU_GPU_MEMORY_LIMIT, the cgroup, or the machine), as a dict.\n>>> memory_info(\"CPU:0\")[\"limit\"]");
    lang_register_builtin(L, "set_matmul_precision", bi_set_precision,
        "set_matmul_precision(precision)\n\"highest\" (full float32, the default) or \"tf32\" (faster matmul on GPUs with Tensor Cores).\n>>> set_matmul_precision(\"tf32\")");
    lang_register_builtin(L, "gpu_unavailable_reason", bi_gpu_reason,
        "gpu_unavailable_reason()\nWhy no GPU is available (a string), or None when GPUs exist.\n>>> gpu_unavailable_reason()");
}
