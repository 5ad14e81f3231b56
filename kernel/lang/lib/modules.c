/* modules.c — module objects and the import statement.
 *
 * The tree itself is data (module_tree.c, described in modules.h). Here:
 * the `module` objects a session makes on first import (one per path,
 * shared by every import of it, owned by the session's module registry),
 * attribute lookup through a per-module hash table with per-attribute
 * caches (np.sqrt costs a hash probe and a global-slot read), and the
 * builtin __import__ that the import statement calls (core/eval.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp.h"
#include "libraries.h"
#include "modules.h"

typedef struct {
    lang_class   cls;      /* per module: name "module", attrs for completion */
    int          index;    /* in lang_modules */
    int          nattr;
    const module_attr **attr;   /* the rows of this module */
    lang_value  *cache;    /* per row: the value once made (MA_MODULE/FN/VALUE/STR), else LV_MISSING */
    int         *slot;     /* per row: MA_GLOBAL's global slot, -1 until found */
    int32_t     *hash;     /* open addressing: row index, -1 empty */
    uint32_t     mask;
    const char **names;    /* cls.attrs: the rows' names, NULL-terminated */
    lang_state  *L;
} module_obj;

/* The session's module objects, by index in lang_modules (owned). */
typedef struct {
    int         n;
    lang_value *objs;      /* LV_MISSING until imported */
} module_registry;

static const char *const registry_key = "modules";

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static void module_obj_free(void *p)
{
    module_obj *m = p;
    if (!m) return;
    for (int i = 0; i < m->nattr; i++) if (m->cache) lv_release(m->cache[i]);
    free(m->attr);
    free(m->cache);
    free(m->slot);
    free(m->hash);
    free(m->names);
    free(m);
}

static void registry_free(void *p)
{
    module_registry *r = p;
    for (int i = 0; i < r->n; i++) lv_release(r->objs[i]);
    free(r->objs);
    free(r);
}

static int module_index(const char *path)
{
    for (int i = 0; lang_modules[i].path; i++)
        if (strcmp(lang_modules[i].path, path) == 0) return i;
    return -1;
}

static int find_row(const module_obj *m, const char *name)
{
    for (uint32_t h = name_hash(name) & m->mask;; h = (h + 1) & m->mask) {
        int32_t r = m->hash[h];
        if (r < 0) return -1;
        if (strcmp(m->attr[r]->name, name) == 0) return r;
    }
}

static char *module_repr(lang_state *L, lang_value self)
{
    (void)L;
    module_obj *m = lv_object_data(self);
    return lang_strdupf("<module '%s' (C-GPU)>", lang_modules[m->index].path);
}

static lang_value module_getattr(lang_state *L, lang_value self, const char *name);

static lang_value module_make(lang_state *L, int index)
{
    module_obj *m = calloc(1, sizeof *m);
    if (!m) return lang_nomem(L);
    const char *path = lang_modules[index].path;
    int n = 0;
    for (const module_attr *a = lang_module_attrs; a->module; a++) if (strcmp(a->module, path) == 0) n++;
    uint32_t size = 8;
    while (size < 2u * (uint32_t)n + 2) size *= 2;
    m->index = index;
    m->L = L;
    m->attr = calloc((size_t)n + 1, sizeof *m->attr);
    m->cache = calloc((size_t)n + 1, sizeof *m->cache);
    m->slot = calloc((size_t)n + 1, sizeof *m->slot);
    m->hash = malloc(size * sizeof *m->hash);
    m->names = calloc((size_t)n + 1, sizeof *m->names);
    if (!m->attr || !m->cache || !m->slot || !m->hash || !m->names) { module_obj_free(m); return lang_nomem(L); }
    m->mask = size - 1;
    memset(m->hash, 0xff, size * sizeof *m->hash);
    for (const module_attr *a = lang_module_attrs; a->module; a++) {
        if (strcmp(a->module, path) != 0) continue;
        int r = m->nattr++;
        m->attr[r] = a;
        m->cache[r] = lv_missing();
        m->slot[r] = -1;
        uint32_t h = name_hash(a->name) & m->mask;
        while (m->hash[h] >= 0) h = (h + 1) & m->mask;
        m->hash[h] = r;
    }
    /* completion lists what this build has (not the MA_MISSING rows) */
    int k = 0;
    for (int r = 0; r < m->nattr; r++) if (m->attr[r]->kind != MA_MISSING) m->names[k++] = m->attr[r]->name;
    m->cls.name = "module";
    m->cls.doc = lang_modules[index].doc;
    m->cls.free = module_obj_free;
    m->cls.repr = module_repr;
    m->cls.attrs = m->names;
    m->cls.getattr = module_getattr;
    return lang_object_new(L, &m->cls, m);
}

/* The session's module object for lang_modules[index] (new reference). */
static lang_value module_get(lang_state *L, int index)
{
    module_registry *r = lang_ext_get(L, registry_key);
    if (!r) return lang_raise(L, LANG_E_IMPORT, "modules are not available");
    if (lv_is_missing(r->objs[index])) {
        lang_value v = module_make(L, index);
        if (lv_is_err(v)) return v;
        r->objs[index] = v;
    }
    return lv_retain(r->objs[index]);
}

/* "datasets.mnist": the builtin `datasets`' attribute mnist (new
 * reference), LV_MISSING when this build lacks any part. */
static lang_value global_path(lang_state *L, const char *path)
{
    char part[64];
    size_t len = strcspn(path, ".");
    snprintf(part, sizeof part, "%.*s", (int)len, path);
    int s = lang_global_find(L, part);
    if (s < 0 || lv_is_missing(L->g[s].builtin)) return lv_missing();
    lang_value v = lv_retain(L->g[s].builtin);
    for (const char *p = path + len; *p == '.' && !lv_is_missing(v); p += len + 1) {
        len = strcspn(p + 1, ".");
        snprintf(part, sizeof part, "%.*s", (int)len, p + 1);
        lang_value x = op_getattr(L, v, part);
        if (lv_is_err(x)) { lang_error_clear(L); x = lv_missing(); }
        lv_release(v);
        v = x;
    }
    return v;
}

/* The value of row r of m: new reference, LV_MISSING when this build has
 * no such global, LV_ERR when raised. */
static lang_value row_value(lang_state *L, module_obj *m, int r)
{
    const module_attr *a = m->attr[r];
    if (a->kind == MA_GLOBAL && !strchr(a->target, '.')) {
        if (m->slot[r] < 0) m->slot[r] = lang_global_find(L, a->target);
        if (m->slot[r] < 0) return lv_missing();
        return lv_retain(L->g[m->slot[r]].builtin);   /* LV_MISSING stays missing */
    }
    if (!lv_is_missing(m->cache[r])) return lv_retain(m->cache[r]);
    lang_value v;
    switch (a->kind) {
    case MA_MODULE: {
        int i = module_index(a->target);
        v = i < 0 ? lang_raise(L, LANG_E_IMPORT, "module '%s' is not in the table", a->target) : module_get(L, i);
        break;
    }
    case MA_GLOBAL: v = global_path(L, a->target); break;
    case MA_FN: v = lang_builtin_value(L, a->name, a->fn, a->doc); break;
    case MA_VALUE: {
        lang_args none = { 0, NULL, 0, NULL, NULL, lv_none(), a->name };
        v = a->fn(L, &none);
        break;
    }
    case MA_STR: v = lv_str(a->target); if (lv_is_err(v)) v = lang_nomem(L); break;
    case MA_NUM: return a->target && strcmp(a->target, "int") == 0 ? lv_int((int64_t)a->num) : lv_float(a->num);
    case MA_NONE: return lv_none();
    default: return lv_missing();
    }
    if (lv_is_err(v)) return v;
    m->cache[r] = lv_retain(v);
    return v;
}

void module_missing_reason(lang_state *L, const char *path, const char *name, char *buf, size_t cap)
{
    int index = module_index(path);
    buf[0] = '\0';
    if (index < 0) return;
    const char *shown = lang_modules[index].shown;
    for (const module_attr *a = lang_module_attrs; a->module; a++)
        if (a->kind == MA_MISSING && strcmp(a->module, path) == 0 && strcmp(a->name, name) == 0) {
            snprintf(buf, cap, strncmp(a->target, "C-GPU", 5) == 0 ? " (%s)" : " (in C-GPU: %s)", a->target);
            return;
        }
    /* What the module has: its submodules, else its names. */
    fmtbuf b;
    fmtbuf_init(&b);
    int subs = 0, k = 0;
    for (const module_attr *a = lang_module_attrs; a->module; a++)
        if (a->kind == MA_MODULE && strcmp(a->module, path) == 0) subs++;
    for (const module_attr *a = lang_module_attrs; a->module; a++) {
        if (strcmp(a->module, path) != 0 || a->kind == MA_MISSING || a->name[0] == '_') continue;
        if (subs && a->kind != MA_MODULE) continue;
        if (a->kind == MA_GLOBAL) {
            lang_value v = global_path(L, a->target);
            int have = !lv_is_missing(v);
            lv_release(v);
            if (!have) continue;
        }
        fmtbuf_printf(&b, "%s%s.%s", k++ ? ", " : "", shown, a->name);
        if (b.len > cap / 2) { fmtbuf_puts(&b, ", ..."); break; }
    }
    if (k) snprintf(buf, cap, " (C-GPU implements %s)", b.s ? b.s : "");
    else snprintf(buf, cap, " (C-GPU implements nothing of %s in this build)", shown);
    fmtbuf_free(&b);
}

static lang_value module_getattr(lang_state *L, lang_value self, const char *name)
{
    module_obj *m = lv_object_data(self);
    int r = find_row(m, name);
    if (r >= 0) {
        lang_value v = row_value(L, m, r);
        if (!lv_is_missing(v)) return v;
    }
    const char *path = lang_modules[m->index].path;
    if (strcmp(name, "__name__") == 0) return lv_str(path);
    if (strcmp(name, "__doc__") == 0) return lv_str(lang_modules[m->index].doc);
    char why[512];
    module_missing_reason(L, path, name, why, sizeof why);
    return lang_raise(L, LANG_E_ATTRIBUTE, "module '%s' has no attribute '%s'%s", path, name, why);
}

/* A module value: one of ours or plt (a module of core/builtins.c). */
static int is_module(lang_value v)
{
    const lang_class *c = lv_object_class(v);
    return c && strcmp(c->name, "module") == 0;
}

static lang_value no_module(lang_state *L, const char *name)
{
    const char *instead = NULL;
    size_t top = strcspn(name, ".");
    for (const module_missing *x = lang_missing_modules; x->module; x++)
        if (strlen(x->module) == top && strncmp(x->module, name, top) == 0) instead = x->instead;
    fmtbuf b;
    fmtbuf_init(&b);
    for (int i = 0, k = 0; lang_modules[i].path; i++)
        if (!strchr(lang_modules[i].path, '.')) fmtbuf_printf(&b, "%s%s", k++ ? ", " : "", lang_modules[i].path);
    if (instead)
        lang_raise(L, LANG_E_IMPORT, "No module named '%s'. In C-GPU, %s. (C-GPU provides the modules %s)", name, instead, b.s);
    else
        lang_raise(L, LANG_E_IMPORT, "No module named '%s' (C-GPU provides the modules %s)", name, b.s);
    fmtbuf_free(&b);
    return lv_err();
}

/* __import__(name, globals=None, locals=None, fromlist=None, level=0) */
static lang_value bi_import(lang_state *L, const lang_args *a)
{
    lang_value v[5];
    const char *name;
    if (lang_args_bind(L, a, "name, globals=, locals=, fromlist=, level=", v) < 0 ||
        lang_get_str(L, v[0], "name", &name) < 0) return lv_err();
    char part[128];
    size_t len = strcspn(name, ".");
    if (len == 0 || len >= sizeof part) return no_module(L, name);
    memcpy(part, name, len);
    part[len] = '\0';
    int top = module_index(part);
    if (top < 0) return no_module(L, name);
    lang_value topm = module_get(L, top);
    if (lv_is_err(topm)) return topm;
    lang_value m = lv_retain(topm);
    for (const char *p = name + len; *p == '.'; p += len + 1) {
        len = strcspn(p + 1, ".");
        snprintf(part, sizeof part, "%.*s", (int)len, p + 1);
        const lang_class *c = lv_object_class(m);
        lang_value sub = c && c->getattr == module_getattr ? module_getattr(L, m, part) : lv_err();
        lv_release(m);
        if (lv_is_err(sub) || !is_module(sub)) {
            if (lv_is_err(sub)) lang_error_clear(L);
            lv_release(sub);
            lv_release(topm);
            size_t upto = (size_t)(p + 1 + len - name);
            char path[256];
            snprintf(path, sizeof path, "%.*s", (int)upto, name);
            return no_module(L, path);
        }
        m = sub;
    }
    int64_t nfrom = 0;
    lang_value *from = lv_is_missing(v[3]) || lv_is_none(v[3]) ? NULL : lv_seq_items(v[3], &nfrom);
    for (int64_t i = 0; from && i < nfrom; i++) {
        const char *nm;
        if (lang_get_str(L, from[i], "fromlist item", &nm) < 0) { lv_release(m); lv_release(topm); return lv_err(); }
        lang_value x = op_getattr(L, m, nm);
        if (!lv_is_err(x)) { lv_release(x); continue; }
        lang_error_clear(L);
        char why[512] = "";
        const lang_class *c = lv_object_class(m);
        const char *mpath = c && c->getattr == module_getattr
            ? lang_modules[((module_obj *)lv_object_data(m))->index].path : name;
        module_missing_reason(L, mpath, nm, why, sizeof why);
        lv_release(m);
        lv_release(topm);
        return lang_raise(L, LANG_E_IMPORT, "cannot import name '%s' from '%s'%s", nm, mpath, why);
    }
    if (from && nfrom > 0) { lv_release(topm); return m; }
    lv_release(m);
    return topm;
}

void lang_init_modules(lang_state *L)
{
    module_registry *r = calloc(1, sizeof *r);
    int n = 0;
    while (lang_modules[n].path) n++;
    if (!r || !(r->objs = malloc((size_t)n * sizeof *r->objs))) { free(r); lang_nomem(L); return; }
    r->n = n;
    for (int i = 0; i < n; i++) r->objs[i] = lv_missing();
    lang_ext_set(L, registry_key, r, registry_free);
    lang_register_builtin(L, "__import__", bi_import,
        "__import__(name, globals=None, locals=None, fromlist=None, level=0)\n"
        "What the import statement calls: the top module of a dotted name, or the named module when fromlist is given.\n"
        ">>> np = __import__('numpy')");
}
