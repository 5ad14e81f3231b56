/* complete.c — kernel services around the interpreter: completion,
 * inspection (help texts), and is_complete.
 *
 * Completion and inspection never run user code: a dotted name (a.b.c) is
 * looked up through globals and attribute access of existing values only.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp.h"
#include "lex.h"

static const char *const keywords[] = {
    "False", "None", "True", "and", "as", "assert", "break", "continue", "def", "del", "elif", "else",
    "for", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "return",
    "while", "with", NULL,
};

/* ---- positions ------------------------------------------------------------------------ */

static size_t cp_to_byte(const char *s, int cp)
{
    size_t i = 0;
    int n = 0;
    while (s[i] && n < cp) {
        i++;
        while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
        n++;
    }
    return i;
}

static int byte_to_cp(const char *s, size_t b)
{
    int n = 0;
    for (size_t i = 0; i < b && s[i]; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static int is_ident(unsigned char c) { return isalnum(c) || c == '_' || c >= 0x80; }

/* ---- value lookup without side effects on the user's state ------------------------------- */

static lang_value lookup_global(lang_state *L, const char *name)
{
    int s = lang_global_find(L, name);
    if (s < 0) return lv_missing();
    if (L->g[s].value.type != LV_MISSING) return lv_retain(L->g[s].value);
    if (L->g[s].builtin.type != LV_MISSING) return lv_retain(L->g[s].builtin);
    return lv_missing();
}

/* Evaluates a dotted name "a.b.c" (or a string literal prefix); LV_MISSING
 * when it does not name anything. */
static lang_value lookup_dotted(lang_state *L, const char *s, size_t n)
{
    if (n == 0) return lv_missing();
    if (s[0] == '"' || s[0] == '\'') return lv_str("");
    char part[256];
    size_t i = 0, j = 0;
    while (j < n && s[j] != '.') j++;
    if (j >= sizeof part) return lv_missing();
    memcpy(part, s, j);
    part[j] = 0;
    lang_value v = lookup_global(L, part);
    while (!lv_is_missing(v) && j < n) {
        i = j + 1;
        j = i;
        while (j < n && s[j] != '.') j++;
        if (j - i >= sizeof part || j == i) { lv_release(v); return lv_missing(); }
        memcpy(part, s + i, j - i);
        part[j - i] = 0;
        lang_value w = op_getattr(L, v, part);
        lv_release(v);
        if (lv_is_err(w)) { lang_error_clear(L); return lv_missing(); }
        v = w;
    }
    return v;
}

/* ---- completion ------------------------------------------------------------------------------ */

typedef struct { char **v; int n, cap; } strvec;

static void sv_add(strvec *sv, const char *s)
{
    for (int i = 0; i < sv->n; i++) if (strcmp(sv->v[i], s) == 0) return;
    if (sv->n == sv->cap) {
        int nc = sv->cap ? sv->cap * 2 : 32;
        char **p = realloc(sv->v, (size_t)nc * sizeof *p);
        if (!p) return;
        sv->v = p;
        sv->cap = nc;
    }
    char *d = strdup(s);
    if (d) sv->v[sv->n++] = d;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void add_methods(strvec *sv, const lang_method *m, const char *prefix, size_t pl)
{
    for (; m && m->name; m++) if (strncmp(m->name, prefix, pl) == 0) sv_add(sv, m->name);
}

static void add_names(strvec *sv, const char *const *names, const char *prefix, size_t pl)
{
    for (; names && *names; names++) if (strncmp(*names, prefix, pl) == 0) sv_add(sv, *names);
}

typedef struct { strvec *sv; const char *prefix; size_t pl; } attr_prefix;

/* an attribute of a class or instance that starts with the prefix (__dunder__ names only when asked) */
static int add_attr_name(void *ctx, const char *n)
{
    attr_prefix *ap = ctx;
    if (strncmp(n, ap->prefix, ap->pl) == 0 && !(n[0] == '_' && n[1] == '_' && ap->pl < 2)) sv_add(ap->sv, n);
    return 0;
}

static void attr_matches(lang_state *L, lang_value v, const char *prefix, size_t pl, strvec *sv)
{
    switch (v.type) {
    case LV_STR: case LV_LIST: case LV_TUPLE: case LV_DICT: case LV_ARRAY:
        add_names(sv, op_attrs_of(L, v), prefix, pl);
        add_methods(sv, op_methods_of(L, v), prefix, pl);
        break;
    case LV_OBJECT: {
        const lang_class *c = lv_object_class(v);
        add_names(sv, c->attrs, prefix, pl);
        add_methods(sv, c->methods, prefix, pl);
        break;
    }
    case LV_INSTANCE: case LV_CLASS: {
        attr_prefix ap = { sv, prefix, pl };
        class_each_attr(v, add_attr_name, &ap);
        break;
    }
    default: break;
    }
}

static void complete_in_heap(lang_state *L, const char *code, int cursor_pos, lang_completion *c)
{
    memset(c, 0, sizeof *c);
    if (!code) code = "";
    size_t cur = cp_to_byte(code, cursor_pos);
    size_t start = cur;
    while (start > 0 && is_ident((unsigned char)code[start - 1])) start--;
    const char *prefix = code + start;
    size_t pl = cur - start;
    char pre[256];
    if (pl >= sizeof pre) pl = sizeof pre - 1;
    memcpy(pre, prefix, pl);
    pre[pl] = 0;
    strvec sv = {0};
    if (start > 0 && code[start - 1] == '.') {
        /* attribute completion: the dotted name before the dot */
        size_t e = start - 1, b = e;
        while (b > 0 && (is_ident((unsigned char)code[b - 1]) || code[b - 1] == '.')) b--;
        lang_value v;
        if (b == e && e > 0 && (code[e - 1] == '"' || code[e - 1] == '\'')) v = lv_str("");
        else v = lookup_dotted(L, code + b, e - b);
        if (!lv_is_missing(v) && !lv_is_err(v)) attr_matches(L, v, pre, pl, &sv);
        lv_release(v);
    } else if (start > 0 && code[start - 1] == '%') {
        static const char *const magics[] = { "time", "who", "reset", NULL };
        int cell = start > 1 && code[start - 2] == '%';
        for (int i = 0; magics[i]; i++)
            if ((!cell || i == 0) && strncmp(magics[i], pre, pl) == 0) sv_add(&sv, magics[i]);
    } else {
        for (int i = 0; keywords[i]; i++) if (pl && strncmp(keywords[i], pre, pl) == 0) sv_add(&sv, keywords[i]);
        for (int i = 0; i < L->ng; i++) {
            gslot *g = &L->g[i];
            if (g->value.type == LV_MISSING && g->builtin.type == LV_MISSING) continue;
            if (strncmp(g->name, pre, pl) == 0) sv_add(&sv, g->name);
        }
    }
    if (sv.n) qsort(sv.v, (size_t)sv.n, sizeof *sv.v, cmp_str);
    c->matches = sv.v;
    c->n = sv.n;
    c->cursor_start = byte_to_cp(code, start);
    c->cursor_end = cursor_pos;
    if (!sv.v) c->n = 0;
}

void lang_complete(lang_state *L, const char *code, int cursor_pos, lang_completion *c)
{
    lang_heap *previous = lang_heap_enter(L->heap);
    complete_in_heap(L, code, cursor_pos, c);
    lang_heap_leave(previous);
}

void lang_completion_clear(lang_completion *c)
{
    for (int i = 0; i < c->n; i++) free(c->matches[i]);
    free(c->matches);
    c->matches = NULL;
    c->n = 0;
}

/* ---- help texts ------------------------------------------------------------------------------ */

static void list_methods(fmtbuf *b, const char *title, const lang_method *m)
{
    if (!m || !m->name) return;
    fmtbuf_printf(b, "\n%s:", title);
    for (; m->name; m++) {
        const char *nl = m->doc ? strchr(m->doc, '\n') : NULL;
        const char *desc = nl ? nl + 1 : "";
        const char *nl2 = strchr(desc, '\n');
        fmtbuf_printf(b, "\n  %-12s %.*s", m->name, nl2 ? (int)(nl2 - desc) : (int)strlen(desc), desc);
    }
}

char *lang_help_text(lang_state *L, lang_value v, const char *name)
{
    fmtbuf b;
    fmtbuf_init(&b);
    switch (v.type) {
    case LV_BUILTIN: {
        lv_builtinobj *o = LV_OBJ(v, lv_builtinobj);
        if (o->doc) fmtbuf_puts(&b, o->doc);
        else fmtbuf_printf(&b, "%s(...)\n(no documentation)", o->name);
        if (o->cls) {
            if (o->cls->doc && (!o->doc || strcmp(o->cls->doc, o->doc) != 0)) fmtbuf_printf(&b, "\n\n%s", o->cls->doc);
            list_methods(&b, "Methods", o->cls->methods);
        }
        break;
    }
    case LV_CLASS: {
        lv_classobj *c = LV_OBJ(v, lv_classobj);
        fmtbuf_printf(&b, "class %s(%s)", c->name, c->base ? c->base->name : "");
        if (c->doc) fmtbuf_printf(&b, "\n%s", c->doc);
        else {
            lang_value d = lv_dict_get_str(c->dict, "__doc__");
            if (d.type == LV_STR) fmtbuf_printf(&b, "\nDocstring: %s", lv_str_cstr(d));
        }
        fmtbuf_puts(&b, "\nType: type");
        break;
    }
    case LV_FUNCTION: {
        ast_func *f = LV_OBJ(v, lv_funcobj)->def;
        fmtbuf_printf(&b, "Signature: %s\n", f->signature);
        if (f->doc) fmtbuf_printf(&b, "Docstring: %s\n", f->doc);
        fmtbuf_printf(&b, "Type: function (defined in a cell)");
        break;
    }
    case LV_OBJECT: {
        const lang_class *c = lv_object_class(v);
        char *r = lang_repr(L, v);
        if (!r) lang_error_clear(L);
        if (strcmp(c->name, "module") == 0) {
            if (c->doc) fmtbuf_printf(&b, "%s\n", c->doc);
            fmtbuf_printf(&b, "%s", r ? r : "module");
            list_methods(&b, "Functions", c->methods);
        } else {
            fmtbuf_printf(&b, "%s\nType: %s", r ? r : c->name, c->name);
            if (c->doc) fmtbuf_printf(&b, "\n%s", c->doc);
            if (c->attrs && c->attrs[0]) {
                fmtbuf_puts(&b, "\nAttributes:");
                for (const char *const *a = c->attrs; *a; a++) fmtbuf_printf(&b, " %s", *a);
            }
            list_methods(&b, "Methods", c->methods);
        }
        free(r);
        break;
    }
    case LV_ARRAY: {
        char shp[96];
        rt_array *a = v.u.a;
        rt_format_shape(a->shape, a->ndim, shp, sizeof shp);
        fmtbuf_printf(&b, "Type: array\nShape: %s\nDtype: %s\nDevice: %s\nSize: %lld", shp, rt_dtype_name(a->dtype),
                      rt_device_name(a->device), (long long)a->size);
        list_methods(&b, "Methods", op_methods_of(L, v));
        break;
    }
    default: {
        char *r = lang_repr(L, v);
        if (!r) { lang_error_clear(L); r = strdup("?"); }
        if (r && strlen(r) > 200) strcpy(r + 197, "...");
        fmtbuf_printf(&b, "Type: %s\nValue: %s", lv_type_name(v), r ? r : "");
        free(r);
        if (v.type == LV_STR || v.type == LV_LIST || v.type == LV_DICT)
            list_methods(&b, "Methods", op_methods_of(L, v));
        break;
    }
    }
    (void)name;
    return fmtbuf_take(&b);
}

static int inspect_in_heap(lang_state *L, const char *code, int cursor_pos, int detail_level, lang_bundle *doc)
{
    if (!code) return 0;
    size_t cur = cp_to_byte(code, cursor_pos), len = strlen(code);
    /* the dotted name under (or just before) the cursor; after "f(" the callee */
    size_t e = cur;
    while (e < len && is_ident((unsigned char)code[e])) e++;
    size_t b = e;
    while (b > 0 && (is_ident((unsigned char)code[b - 1]) || code[b - 1] == '.')) b--;
    if (b == e) {
        size_t p = cur;
        while (p > 0 && (code[p - 1] == ' ' || code[p - 1] == '(')) p--;
        e = p;
        b = e;
        while (b > 0 && (is_ident((unsigned char)code[b - 1]) || code[b - 1] == '.')) b--;
    }
    if (b == e) return 0;
    char name[256];
    size_t nl = e - b < sizeof name - 1 ? e - b : sizeof name - 1;
    memcpy(name, code + b, nl);
    name[nl] = 0;
    if (isdigit((unsigned char)name[0])) return 0;
    for (int i = 0; keywords[i]; i++) if (strcmp(keywords[i], name) == 0) return 0;
    lang_value v = lookup_dotted(L, code + b, e - b);
    if (lv_is_missing(v) || lv_is_err(v)) return 0;
    char *t = lang_help_text(L, v, name);
    lv_release(v);
    if (!t) { lang_error_clear(L); return 0; }
    (void)detail_level;
    lang_bundle_add(doc, "text/plain", t);
    free(t);
    return 1;
}

int lang_inspect(lang_state *L, const char *code, int cursor_pos, int detail_level, lang_bundle *doc)
{
    lang_heap *previous = lang_heap_enter(L->heap);
    int found = inspect_in_heap(L, code, cursor_pos, detail_level, doc);
    lang_heap_leave(previous);
    return found;
}

/* ---- is_complete ---------------------------------------------------------------------------- */

static void line_indent(const char *code, char *indent, size_t cap, int extra)
{
    /* indentation of the last non-blank line, plus `extra` spaces */
    const char *end = code + strlen(code);
    const char *ls = end;
    int n = 0;
    for (;;) {
        const char *p = ls;
        while (p > code && p[-1] != '\n') p--;
        const char *q = p;
        while (q < ls && (*q == ' ' || *q == '\t')) q++;
        if (q < ls && *q != '\n' && *q != '\r') {
            for (const char *r = p; r < q; r++) n += *r == '\t' ? 4 : 1;
            break;
        }
        if (p == code) break;
        ls = p - 1;
    }
    n += extra;
    if ((size_t)n >= cap) n = (int)cap - 1;
    if (n < 0) n = 0;
    memset(indent, ' ', (size_t)n);
    indent[n] = 0;
}

static const char *is_complete_in_heap(lang_state *L, const char *code, char *indent, size_t indent_cap)
{
    if (indent && indent_cap) indent[0] = 0;
    if (!code) return "complete";
    const char *p = code;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (!*p) return "complete";
    lang_arena *A = arena_new(code);
    if (!A) return "invalid";
    parse_result pr;
    const char *res;
    char tmp[64];
    if (parse_cell(A, code, &pr) < 0) {
        if (pr.incomplete) {
            /* block opener at the end: one level deeper */
            size_t n = strlen(code);
            while (n && (code[n - 1] == ' ' || code[n - 1] == '\n' || code[n - 1] == '\r' || code[n - 1] == '\t')) n--;
            int opener = n && code[n - 1] == ':';
            line_indent(code, tmp, sizeof tmp, opener ? 4 : 0);
            res = "incomplete";
        } else {
            res = "invalid";
        }
    } else {
        /* a block still open: the last line is indented and the code does
         * not end with an empty line */
        size_t n = strlen(code);
        int ends_blank = n >= 1 && code[n - 1] == '\n' && (n < 2 || code[n - 2] == '\n' ||
                         (n >= 3 && code[n - 2] == '\r' && code[n - 3] == '\n'));
        line_indent(code, tmp, sizeof tmp, 0);
        res = tmp[0] && !ends_blank ? "incomplete" : "complete";
    }
    if (strcmp(res, "incomplete") == 0 && indent && indent_cap) snprintf(indent, indent_cap, "%s", tmp);
    arena_release(A);
    (void)L;
    return res;
}

const char *lang_is_complete(lang_state *L, const char *code, char *indent, size_t indent_cap)
{
    lang_heap *previous = lang_heap_enter(L->heap);
    const char *status = is_complete_in_heap(L, code, indent, indent_cap);
    lang_heap_leave(previous);
    return status;
}
