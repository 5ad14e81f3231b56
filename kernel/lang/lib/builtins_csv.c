/* builtins_csv.c — csv.writer and csv.reader over any file object (its
 * write and read methods, called through the language) or a list of lines,
 * in the "excel" dialect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp.h"
#include "modules.h"

/* ---- csv: rows through any file object with write() / read() (or a list of lines) ----------- */

typedef struct {
    lang_value file;      /* owned */
    char       delim;
    char       eol[8];    /* lineterminator */
} csv_writer_data;

static void csv_writer_free(void *p)
{
    csv_writer_data *w = p;
    lv_release(w->file);
    free(w);
}

/* One row as CSV text ("excel" dialect: quote fields holding the delimiter,
 * a quote or a line break; lines end with \r\n). */
static char *csv_format_row(lang_state *L, lang_value row, char delim, const char *eol)
{
    lang_value items = iter_to_list(L, row);
    if (lv_is_err(items)) return NULL;
    fmtbuf b;
    fmtbuf_init(&b);
    for (size_t i = 0; i < lv_list_len(items); i++) {
        lang_value x = lv_list_items(items)[i];
        char *s = lv_is_none(x) ? strdup("") : lang_str(L, x);
        if (!s) { lv_release(items); fmtbuf_free(&b); return NULL; }
        if (i) fmtbuf_putc(&b, delim);
        if (strchr(s, delim) || strchr(s, '"') || strchr(s, '\n') || strchr(s, '\r')) {
            fmtbuf_putc(&b, '"');
            for (const char *p = s; *p; p++) {
                if (*p == '"') fmtbuf_putc(&b, '"');
                fmtbuf_putc(&b, *p);
            }
            fmtbuf_putc(&b, '"');
        } else {
            fmtbuf_puts(&b, s);
        }
        free(s);
    }
    lv_release(items);
    fmtbuf_puts(&b, eol);
    char *r = fmtbuf_take(&b);
    if (!r) lang_nomem(L);
    return r;
}

static lang_value call_method(lang_state *L, lang_value obj, const char *name, int n, const lang_value *args)
{
    lang_value m = op_getattr(L, obj, name);
    if (lv_is_err(m)) return m;
    lang_value r = lang_call(L, m, n, args, 0, NULL, NULL);
    lv_release(m);
    return r;
}

static lang_value csv_writerow(lang_state *L, const lang_args *a)
{
    csv_writer_data *w = lv_object_data(a->self);
    lang_value v[1];
    if (lang_args_bind(L, a, "row", v) < 0) return lv_err();
    char *line = csv_format_row(L, v[0], w->delim, w->eol);
    if (!line) return lv_err();
    lang_value s = lv_str_take(line);
    lang_value r = call_method(L, w->file, "write", 1, &s);
    lv_release(s);
    return r;
}

static lang_value csv_writerows(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "rows", v) < 0) return lv_err();
    lang_value rows = iter_to_list(L, v[0]);
    if (lv_is_err(rows)) return rows;
    for (size_t i = 0; i < lv_list_len(rows); i++) {
        lang_args one = { 1, &lv_list_items(rows)[i], 0, NULL, NULL, a->self, "writerow" };
        lang_value r = csv_writerow(L, &one);
        if (lv_is_err(r)) { lv_release(rows); return r; }
        lv_release(r);
    }
    lv_release(rows);
    return lv_none();
}

static const lang_method csv_writer_methods[] = {
    {"writerow", csv_writerow, "writerow(row)\nWrites one row (any iterable of values).\n>>> w.writerow([epoch, loss])"},
    {"writerows", csv_writerows, "writerows(rows)\nWrites several rows.\n>>> w.writerows([[1, 2], [3, 4]])"},
    {NULL, NULL, NULL},
};

static const lang_class csv_writer_class = {
    .name = "writer", .doc = "A CSV writer: writerow(row), writerows(rows).",
    .free = csv_writer_free, .methods = csv_writer_methods,
};

static int csv_delimiter(lang_state *L, lang_value v, char *out)
{
    *out = ',';
    if (lv_is_missing(v)) return 0;
    const char *s;
    if (lang_get_str(L, v, "delimiter", &s) < 0) return -1;
    if (strlen(s) != 1) return lang_fail(L, LANG_E_TYPE, "\"delimiter\" must be a 1-character string");
    *out = s[0];
    return 0;
}

lang_value csv_writer(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    char delim;
    const char *eol = "\r\n";
    if (lang_args_bind(L, a, "f, delimiter=, lineterminator=", v) < 0 || csv_delimiter(L, v[1], &delim) < 0 ||
        (!lv_is_missing(v[2]) && lang_get_str(L, v[2], "lineterminator", &eol) < 0)) return lv_err();
    if (strlen(eol) >= sizeof ((csv_writer_data *)0)->eol) return lang_raise(L, LANG_E_VALUE, "lineterminator is too long");
    lang_value w = op_getattr(L, v[0], "write");
    if (lv_is_err(w)) {
        lang_error_clear(L);
        return lang_raise(L, LANG_E_TYPE, "argument 1 must have a \"write\" method (a file opened with open(path, 'w'))");
    }
    lv_release(w);
    csv_writer_data *d = calloc(1, sizeof *d);
    if (!d) return lang_nomem(L);
    d->file = lv_retain(v[0]);
    d->delim = delim;
    snprintf(d->eol, sizeof d->eol, "%s", eol);
    return lang_object_new(L, &csv_writer_class, d);
}

/* Splits CSV text into rows of strings (quoted fields may hold delimiters,
 * doubled quotes and line breaks; an empty line is an empty row, as
 * Python's csv.reader gives it). */
static lang_value csv_parse(lang_state *L, const char *s, char delim)
{
    lang_value rows = lv_list_new(0), row = lv_list_new(0);
    fmtbuf f;
    fmtbuf_init(&f);
    int quoted = 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (quoted) {
            if (c == '"' && p[1] == '"') { fmtbuf_putc(&f, '"'); p++; }
            else if (c == '"') quoted = 0;
            else fmtbuf_putc(&f, c);
        } else if (c == '"' && f.len == 0) {
            quoted = 1;
        } else if (c == delim) {
            lv_list_append_take(row, lv_str_n(f.s ? f.s : "", f.len));
            f.len = 0;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && p[1] == '\n') p++;
            if (f.len || lv_list_len(row)) lv_list_append_take(row, lv_str_n(f.s ? f.s : "", f.len));
            f.len = 0;
            lv_list_append_take(rows, row);
            row = lv_list_new(0);
        } else {
            fmtbuf_putc(&f, c);
        }
    }
    if (f.len || lv_list_len(row)) {
        lv_list_append_take(row, lv_str_n(f.s ? f.s : "", f.len));
        lv_list_append_take(rows, row);
    } else {
        lv_release(row);
    }
    int oom = f.oom;
    fmtbuf_free(&f);
    if (oom) { lv_release(rows); return lang_nomem(L); }
    return rows;
}

lang_value csv_reader(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    char delim;
    if (lang_args_bind(L, a, "f, delimiter=", v) < 0 || csv_delimiter(L, v[1], &delim) < 0) return lv_err();
    fmtbuf text;
    fmtbuf_init(&text);
    lang_value rd = v[0].type == LV_OBJECT ? op_getattr(L, v[0], "read") : lv_missing();
    if (lv_is_err(rd)) { lang_error_clear(L); rd = lv_missing(); }
    if (!lv_is_missing(rd)) {   /* a file object: its whole text */
        lang_value s = lang_call(L, rd, 0, NULL, 0, NULL, NULL);
        lv_release(rd);
        if (lv_is_err(s)) return s;
        if (s.type != LV_STR) { lv_release(s); return lang_raise(L, LANG_E_TYPE, "read() did not return a str"); }
        fmtbuf_putn(&text, lv_str_cstr(s), lv_str_len(s));
        lv_release(s);
    } else {                    /* an iterable of lines */
        lang_value lines = iter_to_list(L, v[0]);
        if (lv_is_err(lines)) return lines;
        for (size_t i = 0; i < lv_list_len(lines); i++) {
            lang_value x = lv_list_items(lines)[i];
            if (x.type != LV_STR) {
                lv_release(lines);
                fmtbuf_free(&text);
                return lang_raise(L, LANG_E_TYPE, "iterator should return strings, not %s", lv_type_name(x));
            }
            fmtbuf_putn(&text, lv_str_cstr(x), lv_str_len(x));
            if (!lv_str_len(x) || lv_str_cstr(x)[lv_str_len(x) - 1] != '\n') fmtbuf_putc(&text, '\n');
        }
        lv_release(lines);
    }
    char *s = fmtbuf_take(&text);
    lang_value rows = csv_parse(L, s ? s : "", delim);
    free(s);
    if (lv_is_err(rows)) return rows;
    lang_value it = iter_new(L, rows);   /* an iterator, as Python's reader (next(r) skips a header) */
    lv_release(rows);
    return it;
}
