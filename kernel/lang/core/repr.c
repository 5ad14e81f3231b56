/* repr.c — repr(), str() and format() of values, as Python prints them
 * (arrays as numpy does, through format_array.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "format_array.h"
#include "interp.h"
#include "unicode.h"
#include "numfmt.h"

#define REPR_MAX_DEPTH LANG_REPR_MAX_DEPTH

int repr_to(lang_state *L, fmtbuf *b, lang_value v, int depth);

static int repr_container(lang_state *L, fmtbuf *b, lang_value v, int depth)
{
    if (v.type == LV_DICT) {
        fmtbuf_putc(b, '{');
        size_t it = 0;
        lang_value k, val;
        int first = 1;
        while (lv_dict_next(v, &it, &k, &val)) {
            if (!first) fmtbuf_puts(b, ", ");
            first = 0;
            if (repr_to(L, b, k, depth + 1) < 0) return -1;
            fmtbuf_puts(b, ": ");
            if (repr_to(L, b, val, depth + 1) < 0) return -1;
        }
        fmtbuf_putc(b, '}');
        return 0;
    }
    int64_t n;
    lang_value *items = lv_seq_items(v, &n);
    fmtbuf_putc(b, v.type == LV_LIST ? '[' : '(');
    for (int64_t i = 0; i < n; i++) {
        if (i) fmtbuf_puts(b, ", ");
        if (repr_to(L, b, items[i], depth + 1) < 0) return -1;
    }
    if (v.type == LV_TUPLE && n == 1) fmtbuf_putc(b, ',');
    fmtbuf_putc(b, v.type == LV_LIST ? ']' : ')');
    return 0;
}

void repr_str_quoted(fmtbuf *b, const char *s, size_t n)
{
    int has_sq = memchr(s, '\'', n) != NULL, has_dq = memchr(s, '"', n) != NULL;
    char q = has_sq && !has_dq ? '"' : '\'';
    fmtbuf_putc(b, q);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {   /* non-printable characters are escaped as Python does */
            uint32_t cp;
            size_t len = uc_utf8_get(s, n, i, &cp);
            if (len > 1 && !uc_isprintable(cp))
                fmtbuf_printf(b, cp <= 0xFF ? "\\x%02x" : cp <= 0xFFFF ? "\\u%04x" : "\\U%08x", (unsigned)cp);
            else
                fmtbuf_putn(b, s + i, len);
            i += len - 1;
            continue;
        }
        switch (c) {
        case '\\': fmtbuf_puts(b, "\\\\"); break;
        case '\n': fmtbuf_puts(b, "\\n"); break;
        case '\r': fmtbuf_puts(b, "\\r"); break;
        case '\t': fmtbuf_puts(b, "\\t"); break;
        default:
            if (c == (unsigned char)q) { fmtbuf_putc(b, '\\'); fmtbuf_putc(b, (char)c); }
            else if (c < 0x20 || c == 0x7f) fmtbuf_printf(b, "\\x%02x", c);
            else fmtbuf_putc(b, (char)c);
        }
    }
    fmtbuf_putc(b, q);
}

static int put_owned(lang_state *L, fmtbuf *b, char *s)
{
    if (!s) {
        if (!L->err_pending) {
            if (rt_error_code() != RT_OK) lang_raise_rt(L);
            else lang_nomem(L);
        }
        return -1;
    }
    fmtbuf_puts(b, s);
    free(s);
    return 0;
}

static void put_float(fmtbuf *b, double f)
{
    char *s = fmt_float_repr(f);
    if (s) { fmtbuf_puts(b, s); free(s); }
    else b->oom = 1;
}

static const char *builtin_type_name(int tag)
{
    switch (tag) {
    case LV_NONE: return "NoneType";
    case LV_BOOL: return "bool";
    case LV_INT: return "int";
    case LV_FLOAT: return "float";
    case LV_STR: return "str";
    case LV_LIST: return "list";
    case LV_TUPLE: return "tuple";
    case LV_DICT: return "dict";
    case LV_RANGE: return "range";
    case LV_ARRAY: return "array";
    case LV_FUNCTION: return "function";
    case LV_BUILTIN: return "builtin_function_or_method";
    default: return "object";
    }
}

/* containers being printed, in the heap (Python's Py_ReprEnter): a
 * container met again inside itself prints as [...], (...) or {...} */
static int repr_enter(lang_heap *h, lang_value v)
{
    for (int i = 0; i < h->repr_nactive; i++) if (h->repr_active[i] == v.u.o) return 0;
    h->repr_active[h->repr_nactive++] = v.u.o;
    return 1;
}

int repr_to(lang_state *L, fmtbuf *b, lang_value v, int depth)
{
    if (depth > REPR_MAX_DEPTH) { fmtbuf_puts(b, "..."); return 0; }
    if (v.type == LV_LIST || v.type == LV_TUPLE || v.type == LV_DICT) {
        lang_heap *h = lang_heap_current();
        if (!repr_enter(h, v)) {
            fmtbuf_puts(b, v.type == LV_LIST ? "[...]" : v.type == LV_TUPLE ? "(...)" : "{...}");
            return 0;
        }
        int rc = repr_container(L, b, v, depth);
        h->repr_nactive--;
        return rc;
    }
    switch ((lv_type)v.type) {
    case LV_NONE: fmtbuf_puts(b, "None"); return 0;
    case LV_BOOL: fmtbuf_puts(b, v.u.b ? "True" : "False"); return 0;
    case LV_INT: fmtbuf_printf(b, "%lld", (long long)v.u.i); return 0;
    case LV_FLOAT: put_float(b, v.u.f); return 0;
    case LV_STR: repr_str_quoted(b, lv_str_cstr(v), lv_str_len(v)); return 0;
    case LV_FUNCTION: fmtbuf_printf(b, "<function %s>", LV_OBJ(v, lv_funcobj)->def->name); return 0;
    case LV_BUILTIN: {
        lv_builtinobj *o = LV_OBJ(v, lv_builtinobj);
        if (o->type_tag >= 0) fmtbuf_printf(b, "<class '%s'>", builtin_type_name(o->type_tag));
        else if (o->cls) fmtbuf_printf(b, "<class '%s'>", o->cls->name);
        else if (o->fn == method_bound_call) {
            lang_value *fs = lv_tuple_items(o->self);
            fmtbuf_printf(b, "<bound method %s.%s of ", lv_type_name(fs[1]), o->name);
            if (repr_to(L, b, fs[1], depth + 1) < 0) return -1;
            fmtbuf_putc(b, '>');
        }
        else if (o->self.type != LV_NONE) fmtbuf_printf(b, "<built-in method %s of %s object>", o->name, lv_type_name(o->self));
        else fmtbuf_printf(b, "<built-in function %s>", o->name);
        return 0;
    }
    case LV_RANGE: {
        lv_rangeobj *r = LV_OBJ(v, lv_rangeobj);
        if (r->step == 1) fmtbuf_printf(b, "range(%lld, %lld)", (long long)r->start, (long long)r->stop);
        else fmtbuf_printf(b, "range(%lld, %lld, %lld)", (long long)r->start, (long long)r->stop, (long long)r->step);
        return 0;
    }
    case LV_ITER: fmtbuf_printf(b, "<%s object>", lv_type_name(v)); return 0;
    case LV_CLASS: {
        lv_classobj *c = LV_OBJ(v, lv_classobj);
        fmtbuf_printf(b, "<class '%s%s'>", c->from_c ? "" : "__main__.", c->name);
        return 0;
    }
    case LV_INSTANCE: return instance_repr(L, b, v, 0);
    case LV_ARRAY: return put_owned(L, b, fmt_array_repr(v.u.a));
    case LV_OBJECT: {
        const lang_class *c = lv_object_class(v);
        if (c->repr) return put_owned(L, b, c->repr(L, v));
        fmtbuf_printf(b, "<%s object>", c->name);
        return 0;
    }
    default:
        fmtbuf_printf(b, "<%s>", lv_type_name(v));
        return 0;
    }
}

int str_to(lang_state *L, fmtbuf *b, lang_value v)
{
    switch (v.type) {
    case LV_STR: fmtbuf_putn(b, lv_str_cstr(v), lv_str_len(v)); return 0;
    case LV_ARRAY: return put_owned(L, b, fmt_array_str(v.u.a));
    case LV_INSTANCE: return instance_repr(L, b, v, 1);
    case LV_OBJECT: {
        const lang_class *c = lv_object_class(v);
        if (c->str) return put_owned(L, b, c->str(L, v));
        return repr_to(L, b, v, 0);
    }
    default: return repr_to(L, b, v, 0);
    }
}

static char *finish(lang_state *L, fmtbuf *b, int rc)
{
    if (rc < 0) { fmtbuf_free(b); return NULL; }
    char *s = fmtbuf_take(b);
    if (!s) lang_nomem(L);
    return s;
}

char *lang_repr(lang_state *L, lang_value v)
{
    fmtbuf b;
    fmtbuf_init(&b);
    return finish(L, &b, repr_to(L, &b, v, 0));
}

char *lang_str(lang_state *L, lang_value v)
{
    fmtbuf b;
    fmtbuf_init(&b);
    return finish(L, &b, str_to(L, &b, v));
}

lang_value format_value(lang_state *L, lang_value v, const char *spec)
{
    fmt_value fv;
    memset(&fv, 0, sizeof fv);
    lang_value hold = lv_none();
    if (v.type == LV_ARRAY && v.u.a->size == 1 && *spec) {
        hold = lang_array_item(L, v.u.a, 0);
        if (lv_is_err(hold)) return hold;
        v = hold;
    }
    switch (v.type) {
    case LV_INT: fv.kind = FMT_INT; fv.i = v.u.i; break;
    case LV_BOOL: fv.kind = FMT_BOOL; fv.i = v.u.b; break;
    case LV_FLOAT: fv.kind = FMT_FLOAT; fv.f = v.u.f; break;
    case LV_STR: fv.kind = FMT_STR; fv.s = lv_str_cstr(v); break;
    default: {
        if (*spec) {
            lv_release(hold);
            return lang_raise(L, LANG_E_TYPE, "unsupported format string passed to %s.__format__", lv_type_name(v));
        }
        char *s = lang_str(L, v);
        lv_release(hold);
        if (!s) return lv_err();
        lang_value r = lv_str_take(s);
        return lv_is_err(r) ? lang_nomem(L) : r;
    }
    }
    char err[256];
    const char *kind = NULL;
    err[0] = 0;
    char *s = fmt_format_spec_ex(&fv, spec, err, sizeof err, &kind);
    lv_release(hold);
    if (!s) {
        if (strcmp(err, "out of memory") == 0) return lang_nomem(L);
        return lang_raise(L, LANG_E_VALUE, "%s", err[0] ? err : "invalid format specifier");
    }
    lang_value r = lv_str_take(s);
    return lv_is_err(r) ? lang_nomem(L) : r;
}
