/* builtins.c — the binding API of builtins.h: registration, argument
 * binding and conversion, objects and modules, the running cell's outputs,
 * interrupts.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "interp.h"
#include "format_array.h"
#include "numfmt.h"

/* ---- registration ------------------------------------------------------------------- */

static lv_builtinobj *new_builtin(const char *name, lang_builtin_fn fn, const char *doc)
{
    lv_builtinobj *b = lv_alloc_obj(LV_BUILTIN, sizeof *b);
    if (!b) return NULL;
    b->name = name;
    b->fn = fn;
    b->doc = doc;
    b->self = lv_none();
    b->type_tag = -1;
    return b;
}

static void set_builtin(lang_state *L, const char *name, lang_value v, const char *doc)
{
    int s = lang_global_slot(L, name);
    if (s < 0) { lv_release(v); return; }
    lang_value old = L->g[s].builtin;
    L->g[s].builtin = v;
    L->g[s].doc = doc;
    lv_release(old);
}

void lang_register_builtin(lang_state *L, const char *name, lang_builtin_fn fn, const char *doc)
{
    lv_builtinobj *b = new_builtin(name, fn, doc);
    if (b) set_builtin(L, name, lv_from_obj(b), doc);
}

/* A builtin that names a type (int, str, list ...): repr "<class 'int'>",
 * usable with isinstance. */
void lang_register_type(lang_state *L, const char *name, lang_builtin_fn fn, const char *doc, int tag)
{
    lv_builtinobj *b = new_builtin(name, fn, doc);
    if (!b) return;
    b->type_tag = tag;
    set_builtin(L, name, lv_from_obj(b), doc);
}

void lang_register_value(lang_state *L, const char *name, lang_value v, const char *doc)
{
    set_builtin(L, name, lv_retain(v), doc);
}

void lang_register_class(lang_state *L, const lang_class *cls, lang_builtin_fn ctor, const char *doc)
{
    lv_builtinobj *b = new_builtin(cls->name, ctor, doc);
    if (!b) return;
    b->cls = cls;
    set_builtin(L, cls->name, lv_from_obj(b), doc);
    if (L->nclasses == L->capclasses) {
        int nc = L->capclasses ? L->capclasses * 2 : 16;
        const lang_class **p = realloc(L->classes, (size_t)nc * sizeof *p);
        if (!p) return;
        L->classes = p;
        L->capclasses = nc;
    }
    L->classes[L->nclasses++] = cls;
}

lang_value lang_builtin_value(lang_state *L, const char *name, lang_builtin_fn fn, const char *doc)
{
    lv_builtinobj *b = new_builtin(name, fn, doc);
    return b ? lv_from_obj(b) : lang_nomem(L);
}

const char *lang_builtin_doc(lang_value v)
{
    if (v.type == LV_BUILTIN) return LV_OBJ(v, lv_builtinobj)->doc;
    return NULL;
}

/* Modules: an object whose class is built at run time around the function
 * table (owned by the object). */
typedef struct {
    lang_class cls;
    char      *name;
    char      *doc;
} module_data;

static void module_free(void *p)
{
    module_data *m = p;
    free(m->name);
    free(m->doc);
    free(m);
}

static char *module_repr(lang_state *L, lang_value self)
{
    module_data *m = lv_object_data(self);
    return lang_strdupf("<module '%s'>", m->name);
}

lang_value lang_module_new(lang_state *L, const char *name, const lang_method *functions, const char *doc)
{
    module_data *m = calloc(1, sizeof *m);
    if (!m) return lang_nomem(L);
    m->name = strdup(name);
    m->doc = doc ? strdup(doc) : NULL;
    if (!m->name || (doc && !m->doc)) { module_free(m); return lang_nomem(L); }
    m->cls.name = "module";
    m->cls.doc = m->doc;
    m->cls.free = module_free;
    m->cls.repr = module_repr;
    m->cls.methods = functions;
    return lang_object_new(L, &m->cls, m);
}

lang_value lang_object_new(lang_state *L, const lang_class *cls, void *data)
{
    lang_value v = lv_object_new(cls, data);
    return lv_is_err(v) ? lang_nomem(L) : v;
}

/* ---- extension data and hooks ------------------------------------------------------------ */

void lang_ext_set(lang_state *L, const char *key, void *ptr, void (*free_fn)(void *))
{
    for (ext_entry *e = L->ext; e; e = e->next) {
        if (strcmp(e->key, key) != 0) continue;
        if (e->free_fn && e->ptr && e->ptr != ptr) e->free_fn(e->ptr);
        e->ptr = ptr;
        e->free_fn = free_fn;
        return;
    }
    ext_entry *e = calloc(1, sizeof *e);
    if (!e || !(e->key = strdup(key))) {
        free(e);
        if (free_fn && ptr) free_fn(ptr);
        return;
    }
    e->ptr = ptr;
    e->free_fn = free_fn;
    e->next = L->ext;
    L->ext = e;
}

void *lang_ext_get(lang_state *L, const char *key)
{
    for (ext_entry *e = L->ext; e; e = e->next) if (strcmp(e->key, key) == 0) return e->ptr;
    return NULL;
}

void lang_on_cell_end(lang_state *L, void (*fn)(lang_state *L, void *ctx), void *ctx)
{
    cell_hook *h = calloc(1, sizeof *h);
    if (!h) return;
    h->fn = fn;
    h->ctx = ctx;
    /* keep registration order */
    cell_hook **p = &L->hooks;
    while (*p) p = &(*p)->next;
    *p = h;
}

/* ---- arguments ------------------------------------------------------------------------------- */

#define SPEC_MAX 24

int lang_args_bind(lang_state *L, const lang_args *a, const char *spec, lang_value *out)
{
    char names[SPEC_MAX][48];
    int optional[SPEC_MAX], star = -1, n = 0;
    const char *fname = a->fname ? a->fname : "function";
    for (const char *p = spec; *p;) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        const char *s = p;
        while (*p && *p != ',') p++;
        const char *e = p;
        while (e > s && e[-1] == ' ') e--;
        if (n == SPEC_MAX) break;
        optional[n] = e > s && e[-1] == '=';
        if (optional[n]) e--;
        if (*s == '*') { star = n; s++; }
        size_t l = (size_t)(e - s) < sizeof names[0] - 1 ? (size_t)(e - s) : sizeof names[0] - 1;
        memcpy(names[n], s, l);
        names[n][l] = 0;
        n++;
    }
    int npos = star >= 0 ? star : n;   /* names that take positionals */
    for (int i = 0; i < n; i++) out[i] = lv_missing();
    if (a->n > npos && star < 0) {
        int req = 0;
        for (int i = 0; i < npos; i++) req += !optional[i];
        if (npos == 0) return lang_fail(L, LANG_E_TYPE, "%s() takes no arguments (%d given)", fname, a->n);
        if (req == npos)
            return lang_fail(L, LANG_E_TYPE, "%s() takes %d positional argument%s but %d %s given", fname, npos,
                             npos == 1 ? "" : "s", a->n, a->n == 1 ? "was" : "were");
        return lang_fail(L, LANG_E_TYPE, "%s() takes from %d to %d positional arguments but %d %s given", fname, req, npos,
                         a->n, a->n == 1 ? "was" : "were");
    }
    for (int i = 0; i < a->n && i < npos; i++) out[i] = a->v[i];
    for (int k = 0; k < a->nkw; k++) {
        int j = -1;
        for (int i = 0; i < n; i++) if (i != star && strcmp(names[i], a->kwname[k]) == 0) { j = i; break; }
        if (j < 0) return lang_fail(L, LANG_E_TYPE, "%s() got an unexpected keyword argument '%s'", fname, a->kwname[k]);
        if (!lv_is_missing(out[j])) return lang_fail(L, LANG_E_TYPE, "%s() got multiple values for argument '%s'", fname, names[j]);
        out[j] = a->kw[k];
    }
    for (int i = 0; i < n; i++) {
        if (i == star || optional[i] || !lv_is_missing(out[i])) continue;
        return lang_fail(L, LANG_E_TYPE, "%s() missing required argument '%s'", fname, names[i]);
    }
    if (star >= 0) {
        int extra = a->n > star ? a->n - star : 0;
        out[star] = lv_tuple_of((size_t)extra, a->v + star);
        if (lv_is_err(out[star])) { out[star] = lv_missing(); lang_nomem(L); return -1; }
    }
    return 0;
}

/* ---- conversions ----------------------------------------------------------------------------------- */

static int single_item(lang_state *L, lang_value v, lang_value *out)
{
    if (v.type != LV_ARRAY || v.u.a->size != 1) return 0;
    *out = lang_array_item(L, v.u.a, 0);
    return lv_is_err(*out) ? -1 : 1;
}

int lang_get_int(lang_state *L, lang_value v, const char *what, int64_t *out)
{
    if (v.type == LV_INT) { *out = v.u.i; return 0; }
    if (v.type == LV_BOOL) { *out = v.u.b; return 0; }
    if (v.type == LV_ARRAY && (rt_dtype_is_integer(v.u.a->dtype) || v.u.a->dtype == RT_BOOL)) {
        lang_value it;
        int r = single_item(L, v, &it);
        if (r < 0) return -1;
        if (r > 0) return lang_get_int(L, it, what, out);
    }
    return lang_fail(L, LANG_E_TYPE, "%s must be an integer, not %s", what, lv_type_name(v));
}

int lang_get_float(lang_state *L, lang_value v, const char *what, double *out)
{
    if (lv_is_number(v)) { *out = lv_as_double(v); return 0; }
    if (v.type == LV_ARRAY) {
        lang_value it;
        int r = single_item(L, v, &it);
        if (r < 0) return -1;
        if (r > 0) { *out = lv_as_double(it); return 0; }
        char shp[64];
        rt_format_shape(v.u.a->shape, v.u.a->ndim, shp, sizeof shp);
        return lang_fail(L, LANG_E_TYPE, "%s must be a number, not an array of shape %s", what, shp);
    }
    return lang_fail(L, LANG_E_TYPE, "%s must be a number, not %s", what, lv_type_name(v));
}

int lang_get_bool(lang_state *L, lang_value v, const char *what, int *out)
{
    int t = op_truthy(L, v);
    if (t < 0) return -1;
    *out = t;
    return 0;
}

int lang_get_str(lang_state *L, lang_value v, const char *what, const char **out)
{
    if (v.type == LV_STR) { *out = lv_str_cstr(v); return 0; }
    return lang_fail(L, LANG_E_TYPE, "%s must be a string, not %s", what, lv_type_name(v));
}

int lang_get_shape(lang_state *L, lang_value v, const char *what, int64_t *shape, int *ndim)
{
    if (v.type == LV_INT || v.type == LV_BOOL) {
        shape[0] = v.type == LV_INT ? v.u.i : v.u.b;
        *ndim = 1;
    } else {
        int64_t n;
        lang_value *items = lv_seq_items(v, &n);
        if (!items) return lang_fail(L, LANG_E_TYPE, "%s must be an int or a tuple of ints, not %s", what, lv_type_name(v));
        if (n > RT_MAX_DIMS) return lang_fail(L, LANG_E_VALUE, "%s has %lld dimensions; at most %d are supported", what, (long long)n, RT_MAX_DIMS);
        for (int64_t i = 0; i < n; i++) {
            if (items[i].type != LV_INT && items[i].type != LV_BOOL)
                return lang_fail(L, LANG_E_TYPE, "%s must contain integers, not %s", what, lv_type_name(items[i]));
            shape[i] = items[i].type == LV_INT ? items[i].u.i : items[i].u.b;
        }
        *ndim = (int)n;
    }
    for (int i = 0; i < *ndim; i++)
        if (shape[i] < -1) return lang_fail(L, LANG_E_VALUE, "negative dimensions are not allowed");
    return 0;
}

int lang_get_dtype(lang_state *L, lang_value v, const char *what, rt_dtype *out)
{
    if (v.type == LV_STR) {
        if (rt_dtype_parse(lv_str_cstr(v), out) == 0) return 0;
        return lang_fail(L, LANG_E_TYPE, "data type '%s' not understood (use \"float32\", \"float64\", \"int32\", \"int64\", \"uint8\" or \"bool\")",
                         lv_str_cstr(v));
    }
    if (v.type == LV_BUILTIN) {
        int tag = LV_OBJ(v, lv_builtinobj)->type_tag;
        if (tag == LV_FLOAT) { *out = RT_FLOAT64; return 0; }  /* numpy: dtype=float is float64 */
        if (tag == LV_INT) { *out = RT_INT32; return 0; }
        if (tag == LV_BOOL) { *out = RT_BOOL; return 0; }
    }
    return lang_fail(L, LANG_E_TYPE, "%s must be a dtype name such as \"float32\", not %s", what, lv_type_name(v));
}

void lang_register_type_methods(lang_state *L, lv_type type, const lang_type_methods *t)
{
    if ((int)type >= 0 && type < LV_TYPE_COUNT) L->types[type] = t;
}

void lang_register_device_of(lang_state *L, lang_device_of_fn fn) { L->device_of = fn; }

void lang_register_list_display(lang_state *L, lang_list_display_fn fn) { L->list_display = fn; }

int lang_get_device(lang_state *L, lang_value v, const char *what, rt_device **out)
{
    if (v.type == LV_NONE || v.type == LV_MISSING) { *out = NULL; return 0; }
    if (v.type == LV_STR) {
        rt_device *d = rt_device_parse(lv_str_cstr(v));
        if (!d) { lang_raise_rt(L); return -1; }
        *out = d;
        return 0;
    }
    rt_device *d = L->device_of ? L->device_of(v) : NULL;
    if (d) { *out = d; return 0; }
    return lang_fail(L, LANG_E_TYPE, "%s must be a device name such as \"GPU:0\", not %s", what, lv_type_name(v));
}

/* ---- arrays ------------------------------------------------------------------------------------------ */

lang_value lang_array_result(lang_state *L, rt_array *a)
{
    if (!a) return lang_raise_rt(L);
    return lv_array_take(a);
}

lang_value lang_array_item(lang_state *L, const rt_array *a, int64_t flat)
{
    if (a->dtype == RT_INT64) {
        int64_t i;
        if (rt_item_int64(a, flat, &i) != RT_OK) return lang_raise_rt(L);
        return lv_int(i);
    }
    double d;
    if (rt_item(a, flat, &d) != RT_OK) return lang_raise_rt(L);
    switch (a->dtype) {
    case RT_INT32: case RT_UINT8: return lv_int((int64_t)d);
    case RT_BOOL: return lv_bool(d != 0);
    case RT_FLOAT32: {
        /* the shortest decimal that reads back as this float32: 0.1f -> 0.1 */
        if (d != d || d == 0 || d - d != 0) return lv_float(d);
        char digits[32], buf[64];
        int decpt;
        fmt_shortest_digits(d, 1, digits, &decpt);
        snprintf(buf, sizeof buf, "%s0.%se%d", d < 0 ? "-" : "", digits, decpt);
        return lv_float(strtod(buf, NULL));
    }
    default: return lv_float(d);
    }
}

/* shape of nested host data; kind: 0 bool, 1 int, 2 float */
static int host_shape(lang_state *L, lang_value v, int depth, int64_t *shape, int *ndim, int *kind, const char *what)
{
    if (depth > RT_MAX_DIMS) return lang_fail(L, LANG_E_VALUE, "%s is nested too deeply (at most %d dimensions)", what, RT_MAX_DIMS);
    int64_t n = 0;
    lang_value *items = lv_seq_items(v, &n);
    if (items || v.type == LV_LIST || v.type == LV_TUPLE) { /* an empty list has no items */
        if (!items) n = 0;
        if (depth >= *ndim) { *ndim = depth + 1; shape[depth] = n; }
        else if (shape[depth] != n || *ndim == depth)
            return lang_fail(L, LANG_E_VALUE, "%s is not rectangular: a sequence of length %lld where %lld was expected",
                             what, (long long)n, (long long)shape[depth]);
        for (int64_t i = 0; i < n; i++)
            if (host_shape(L, items[i], depth + 1, shape, ndim, kind, what) < 0) return -1;
        if (n == 0 && *kind < 2) *kind = 2; /* [] is float */
        return 0;
    }
    if (v.type == LV_ARRAY) {
        rt_array *a = v.u.a;
        for (int i = 0; i < a->ndim; i++) {
            if (depth + i >= RT_MAX_DIMS) return lang_fail(L, LANG_E_VALUE, "%s has too many dimensions", what);
            if (depth + i >= *ndim) { shape[depth + i] = a->shape[i]; }
            else if (shape[depth + i] != a->shape[i]) return lang_fail(L, LANG_E_VALUE, "%s is not rectangular", what);
        }
        if (depth + a->ndim > *ndim) *ndim = depth + a->ndim;
        int k = a->dtype == RT_BOOL ? 0 : rt_dtype_is_integer(a->dtype) ? 1 : 2;
        if (k > *kind) *kind = k;
        return 0;
    }
    if (lv_is_number(v)) {
        if (depth != *ndim && !(depth == 0 && *ndim == 0))
            return lang_fail(L, LANG_E_VALUE, "%s is not rectangular: a number where a sequence was expected", what);
        *ndim = depth;
        int k = v.type == LV_BOOL ? 0 : v.type == LV_INT ? 1 : 2;
        if (k > *kind) *kind = k;
        return 0;
    }
    return lang_fail(L, LANG_E_TYPE, "%s must be numbers or (nested) lists of numbers, not %s", what, lv_type_name(v));
}

static int host_fill(lang_state *L, lang_value v, double **p)
{
    int64_t n = 0;
    lang_value *items = lv_seq_items(v, &n);
    if (items || v.type == LV_LIST || v.type == LV_TUPLE) {
        if (!items) return 0;
        for (int64_t i = 0; i < n; i++) if (host_fill(L, items[i], p) < 0) return -1;
        return 0;
    }
    if (v.type == LV_ARRAY) {
        if (rt_to_host(v.u.a, RT_FLOAT64, *p) != RT_OK) { lang_raise_rt(L); return -1; }
        *p += v.u.a->size;
        return 0;
    }
    *(*p)++ = lv_as_double(v);
    return 0;
}

rt_array *lang_to_array(lang_state *L, lang_value v, int dtype, const char *what)
{
    if (v.type == LV_ARRAY) {
        if (dtype < 0 || (rt_dtype)dtype == v.u.a->dtype) return rt_array_retain(v.u.a);
        rt_array *r = rt_cast(v.u.a, (rt_dtype)dtype);
        if (!r) lang_raise_rt(L);
        return r;
    }
    int64_t shape[RT_MAX_DIMS + 1];
    int ndim = 0, kind = 0;
    if (!lv_is_number(v) && v.type != LV_LIST && v.type != LV_TUPLE && !lv_seq_items(v, &(int64_t){0})) {
        lang_fail(L, LANG_E_TYPE, "%s must be an array, a number or a (nested) list of numbers, not %s", what, lv_type_name(v));
        return NULL;
    }
    if (host_shape(L, v, 0, shape, &ndim, &kind, what) < 0) return NULL;
    int64_t size = 1;
    for (int i = 0; i < ndim; i++) size *= shape[i];
    double *buf = malloc(((size_t)size + 1) * sizeof *buf), *p = buf;
    if (!buf) { lang_nomem(L); return NULL; }
    if (host_fill(L, v, &p) < 0) { free(buf); return NULL; }
    rt_dtype t = dtype >= 0 ? (rt_dtype)dtype : kind == 0 ? RT_BOOL : kind == 1 ? RT_INT32 : RT_FLOAT32;
    rt_array *r = rt_from_host(buf, RT_FLOAT64, shape, ndim, t, NULL);
    free(buf);
    if (!r) lang_raise_rt(L);
    return r;
}

/* ---- text ---------------------------------------------------------------------------------------------- */

char *lang_strdupf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    return s;
}

/* ---- outputs ------------------------------------------------------------------------------------------- */

void lang_write(lang_state *L, const char *stream, const char *text, size_t len)
{
    if (L->out && L->out->stream && len) L->out->stream(L->out->ctx, stream, text, len);
}

void lang_printf(lang_state *L, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    lang_write(L, "stdout", s, (size_t)n);
    free(s);
}

void lang_display(lang_state *L, const lang_bundle *b, const char *display_id, int update)
{
    if (L->out && L->out->display) L->out->display(L->out->ctx, b, display_id, update);
}

void lang_clear_output(lang_state *L, int wait)
{
    if (L->out && L->out->clear_output) L->out->clear_output(L->out->ctx, wait);
}

int lang_display_bundle(lang_state *L, lang_value v, lang_bundle *b)
{
    char *text = lang_repr(L, v);
    if (!text) return -1;
    int r = lang_bundle_add(b, "text/plain", text);
    free(text);
    if (r < 0) { lang_nomem(L); return -1; }
    if (v.type == LV_ARRAY) {
        char *h = fmt_array_html(v.u.a);
        if (h) { lang_bundle_add(b, "text/html", h); free(h); }
    } else if (v.type == LV_OBJECT) {
        const lang_class *c = lv_object_class(v);
        if (c->display && c->display(L, v, b) < 0) {
            if (!L->err_pending) lang_raise(L, LANG_E_VALUE, "displaying %s failed", c->name);
            return -1;
        }
    } else if (v.type == LV_LIST && L->list_display) {
        if (L->list_display(L, v, b) < 0) return -1;
    }
    return 0;
}

char *lang_new_display_id(lang_state *L)
{
    return lang_strdupf("cgpu-%d-%d", (int)getpid(), ++L->display_counter);
}

/* ---- interrupts ---------------------------------------------------------------------------------------------- */

int lang_interrupted(lang_state *L) { return L->interrupt != 0; }

int lang_check_interrupt(lang_state *L)
{
    if (!L->interrupt) return 0;
    L->interrupt = 0;
    return lang_fail(L, LANG_E_INTERRUPT, "interrupted by the user");
}
