/* builtins_textio.c — loadtxt and savetxt: arrays from and to text files
 * (CSV and whitespace-separated), with numpy's arguments, shapes and
 * defaults (loadtxt gives float64 unless dtype= says otherwise; savetxt
 * writes '%.18e' separated by ' ', one row per line, the header after '# ').
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "builtins.h"
#include "builtins_files.h"
#include "libraries.h"

/* A file named by a path (opened here, closed by close_source) or a file
 * object from open() (borrowed). */
typedef struct {
    FILE       *f;
    const char *name;
    int         owned;
} source;

static int open_source(lang_state *L, lang_value v, int writing, source *s)
{
    memset(s, 0, sizeof *s);
    if (lang_is_file(v)) {
        s->f = lang_file_stream(L, v, writing, &s->name);
        return s->f ? 0 : -1;
    }
    if (v.type != LV_STR)
        return lang_fail(L, LANG_E_TYPE, "fname must be a str path or a file from open(), not %s", lv_type_name(v));
    s->name = lv_str_cstr(v);
    struct stat st;
    if (stat(s->name, &st) == 0 && S_ISDIR(st.st_mode)) { lang_raise_os(L, EISDIR, s->name); return -1; }
    s->f = fopen(s->name, writing ? "w" : "r");
    if (!s->f) { lang_raise_os(L, errno, s->name); return -1; }
    s->owned = 1;
    return 0;
}

static int close_source(lang_state *L, source *s, int failed)
{
    if (!s->owned || !s->f) return 0;
    int rc = fclose(s->f);
    s->f = NULL;
    if (rc != 0 && !failed) { lang_raise_os(L, errno, s->name); return -1; }
    return 0;
}

/* ---- loadtxt ------------------------------------------------------------------------------ */

typedef struct {
    double *v;
    size_t  n, cap;
} values;

static int push(values *vs, double x)
{
    if (vs->n == vs->cap) {
        size_t nc = vs->cap ? vs->cap * 2 : 1024;
        double *nv = realloc(vs->v, nc * sizeof *nv);
        if (!nv) return -1;
        vs->v = nv;
        vs->cap = nc;
    }
    vs->v[vs->n++] = x;
    return 0;
}

/* The fields of one line: pointers into `line` (modified in place). */
static int split_fields(char *line, const char *delim, char **fields, int max)
{
    int n = 0;
    if (!delim) {
        char *p = line;
        for (;;) {
            while (isspace((unsigned char)*p)) p++;
            if (!*p) break;
            if (n == max) return -1;
            fields[n++] = p;
            while (*p && !isspace((unsigned char)*p)) p++;
            if (*p) *p++ = 0;
        }
        return n;
    }
    size_t dl = strlen(delim);
    char *p = line;
    for (;;) {
        if (n == max) return -1;
        char *e = strstr(p, delim);
        fields[n++] = p;
        if (!e) break;
        *e = 0;
        p = e + dl;
    }
    for (int i = 0; i < n; i++) { /* fields keep no surrounding blanks */
        char *f = fields[i];
        while (isspace((unsigned char)*f)) f++;
        char *e = f + strlen(f);
        while (e > f && isspace((unsigned char)e[-1])) *--e = 0;
        fields[i] = f;
    }
    return n;
}

static int parse_number(const char *s, int integer, double *out)
{
    char *end;
    errno = 0;
    if (integer) {
        long long v = strtoll(s, &end, 10);
        if (end == s || *end || errno) return -1;
        *out = (double)v;
        return 0;
    }
    double v = strtod(s, &end);
    if (end == s || *end) return -1;
    *out = v;
    return 0;
}

#define MAX_FIELDS 4096

static lang_value bi_loadtxt(lang_state *L, const lang_args *a)
{
    lang_value v[8];
    if (lang_args_bind(L, a, "fname, dtype=, comments=, delimiter=, skiprows=, usecols=, unpack=, ndmin=", v) < 0)
        return lv_err();
    rt_dtype dt = RT_FLOAT64;
    const char *comments = "#", *delim = NULL;
    int64_t skiprows = 0, ndmin = 0;
    int unpack = 0;
    if (!lv_is_missing(v[1]) && lang_get_dtype(L, v[1], "dtype", &dt) < 0) return lv_err();
    if (!lv_is_missing(v[2])) {
        if (lv_is_none(v[2])) comments = NULL;
        else if (lang_get_str(L, v[2], "comments", &comments) < 0) return lv_err();
        if (comments && !*comments) comments = NULL;
    }
    if (!lv_is_missing(v[3]) && !lv_is_none(v[3])) {
        if (lang_get_str(L, v[3], "delimiter", &delim) < 0) return lv_err();
        if (!*delim) return lang_raise(L, LANG_E_VALUE, "delimiter must not be empty");
    }
    if (!lv_is_missing(v[4]) && lang_get_int(L, v[4], "skiprows", &skiprows) < 0) return lv_err();
    if (skiprows < 0) return lang_raise(L, LANG_E_VALUE, "skiprows must be non-negative, got %lld", (long long)skiprows);
    int64_t usecols[64];
    int nuse = 0;
    if (!lv_is_missing(v[5]) && !lv_is_none(v[5])) {
        int64_t n;
        lang_value *items = lv_seq_items(v[5], &n);
        if (n < 0) { items = &v[5]; n = 1; }
        if (n > 64) return lang_raise(L, LANG_E_VALUE, "usecols: at most 64 columns");
        for (int64_t i = 0; i < n; i++)
            if (lang_get_int(L, items[i], "usecols", &usecols[nuse++]) < 0) return lv_err();
    }
    if (!lv_is_missing(v[6]) && lang_get_bool(L, v[6], "unpack", &unpack) < 0) return lv_err();
    if (!lv_is_missing(v[7]) && lang_get_int(L, v[7], "ndmin", &ndmin) < 0) return lv_err();
    if (ndmin < 0 || ndmin > 2) return lang_raise(L, LANG_E_VALUE, "Illegal value of ndmin keyword: %lld", (long long)ndmin);
    int integer = dt == RT_INT32 || dt == RT_BOOL;
    if (dt == RT_BOOL) return lang_raise(L, LANG_E_TYPE, "loadtxt: dtype bool is not supported; load numbers and compare");

    source src;
    if (open_source(L, v[0], 0, &src) < 0) return lv_err();
    values vs = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int64_t lineno = 0, rows = 0, ncols = -1;
    char **fields = malloc(MAX_FIELDS * sizeof *fields);
    lang_value result = lv_err();
    if (!fields) { lang_nomem(L); goto out; }
    while ((len = getline(&line, &cap, src.f)) >= 0) {
        lineno++;
        if (lineno <= skiprows) continue;
        if (comments) {
            char *c = strstr(line, comments);
            if (c) *c = 0;
        }
        int nf = split_fields(line, delim, fields, MAX_FIELDS);
        if (nf < 0) { lang_raise(L, LANG_E_VALUE, "line %lld of %s has more than %d columns", (long long)lineno, src.name, MAX_FIELDS); goto out; }
        if (nf == 0 || (nf == 1 && !*fields[0])) continue; /* blank or comment line */
        int take = nuse ? nuse : nf;
        if (ncols < 0) ncols = take;
        else if (!nuse && nf != ncols) {
            lang_raise(L, LANG_E_VALUE, "the number of columns changed from %lld to %d at row %lld; use `usecols` to "
                       "select a subset and avoid this error", (long long)ncols, nf, (long long)lineno);
            goto out;
        }
        for (int i = 0; i < take; i++) {
            int64_t c = nuse ? usecols[i] : i;
            if (c < 0) c += nf;
            if (c < 0 || c >= nf) {
                lang_raise(L, LANG_E_VALUE, "invalid column index %lld at row %lld with %d columns",
                           (long long)(nuse ? usecols[i] : i), (long long)lineno, nf);
                goto out;
            }
            double x;
            if (parse_number(fields[c], integer, &x) < 0) {
                lang_raise(L, LANG_E_VALUE, "could not convert string '%s' to %s at row %lld, column %lld.", fields[c],
                           rt_dtype_name(dt), (long long)lineno, (long long)c + 1);
                goto out;
            }
            if (push(&vs, x) < 0) { lang_nomem(L); goto out; }
        }
        rows++;
        if ((rows & 1023) == 0 && lang_check_interrupt(L) < 0) goto out;
    }
    if (ferror(src.f)) { lang_raise_os(L, errno ? errno : EIO, src.name); goto out; }
    if (rows == 0) {
        char *w = lang_strdupf("UserWarning: loadtxt: input contained no data: \"%s\"\n", src.name);
        if (w) { lang_write(L, "stderr", w, strlen(w)); free(w); }
        ncols = 0;
    }
    /* numpy's shapes: one row or one column squeeze to 1-D, unless ndmin */
    int64_t shape[2] = {rows, ncols};
    int ndim = 2;
    if (rows == 0) { shape[0] = 0; ndim = 1; }
    else if (ncols == 1 && ndmin < 2) { shape[0] = rows; ndim = 1; }
    else if (rows == 1 && ndmin < 2) { shape[0] = ncols; ndim = 1; }
    rt_array *arr = rt_from_host(vs.v, RT_FLOAT64, shape, ndim, dt, NULL);
    if (arr && ndmin == 2 && ndim == 1) {
        /* a single column stays a column (n, 1); a single row a row (1, n) */
        int64_t s2[2] = {ncols == 1 ? rows : 1, ncols == 1 ? 1 : ncols};
        rt_array *r = rt_reshape(arr, s2, 2);
        rt_array_release(arr);
        arr = r;
    }
    if (arr && unpack && arr->ndim == 2) {
        rt_array *t = rt_transpose(arr, NULL);
        rt_array_release(arr);
        arr = t;
    }
    result = lang_array_result(L, arr);
out:
    free(fields);
    free(line);
    free(vs.v);
    close_source(L, &src, lv_is_err(result));
    return result;
}

/* ---- savetxt ------------------------------------------------------------------------------ */

/* One %-conversion of a fmt string: its text and what it takes. */
typedef struct {
    const char *start;   /* literal text before and the spec, up to the next spec */
    int         len;
    int         spec_at; /* offset of '%' in start */
    char        conv;    /* 'd' (integer) or 'e' (float) class */
} fmt_piece;

/* Splits fmt into pieces with one conversion each (the first keeps the text
 * before it, the last the text after). Returns the count or -1 raised. */
static int parse_fmt(lang_state *L, const char *fmt, fmt_piece *p, int max)
{
    int n = 0;
    const char *s = fmt, *piece = fmt;
    while ((s = strchr(s, '%'))) {
        if (s[1] == '%') { s += 2; continue; }
        const char *q = s + 1;
        while (*q && strchr("-+ #0", *q)) q++;
        while (isdigit((unsigned char)*q)) q++;
        if (*q == '.') { q++; while (isdigit((unsigned char)*q)) q++; }
        if (!*q || !strchr("diouxXeEfFgG", *q))
            return lang_fail(L, LANG_E_VALUE, "invalid fmt: %s (a %% conversion such as '%%.18e', '%%d' or '%%.3f')", fmt);
        if (n == max) return lang_fail(L, LANG_E_VALUE, "fmt has too many %% conversions: %s", fmt);
        if (n > 0) p[n - 1].len = (int)(s - p[n - 1].start);
        p[n].start = n ? s : piece;
        p[n].spec_at = (int)(s - p[n].start);
        p[n].conv = strchr("diouxX", *q) ? 'd' : 'e';
        n++;
        s = q + 1;
    }
    if (n == 0) return lang_fail(L, LANG_E_VALUE, "invalid fmt: %s (no %% conversion)", fmt);
    p[n - 1].len = (int)strlen(p[n - 1].start);
    return n;
}

static int append(char **buf, size_t *n, size_t *cap, const char *s, size_t len)
{
    if (*n + len + 1 > *cap) {
        size_t nc = (*cap ? *cap : 256);
        while (nc < *n + len + 1) nc *= 2;
        char *nb = realloc(*buf, nc);
        if (!nb) return -1;
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *n, s, len);
    *n += len;
    (*buf)[*n] = 0;
    return 0;
}

/* comments + text + newline, with comments after each "\n" of text (numpy's header and footer). */
static int append_commented(char **buf, size_t *n, size_t *cap, const char *comments, const char *text, const char *newline)
{
    if (append(buf, n, cap, comments, strlen(comments)) < 0) return -1;
    for (const char *h = text; *h; h++) {
        if (append(buf, n, cap, h, 1) < 0) return -1;
        if (*h == '\n' && append(buf, n, cap, comments, strlen(comments)) < 0) return -1;
    }
    return append(buf, n, cap, newline, strlen(newline));
}

/* Formats x with one piece (its literal text and conversion). */
static int format_piece(const fmt_piece *p, double x, char **buf, size_t *n, size_t *cap)
{
    char spec[64], out[512];
    int sl = p->len < (int)sizeof spec - 1 ? p->len : (int)sizeof spec - 1;
    memcpy(spec, p->start, (size_t)sl);
    spec[sl] = 0;
    /* %% in the literal text prints one %: snprintf does the same */
    int w;
    if (p->conv == 'd') {
        /* "%d" -> "%lld" for the C call */
        char llspec[80];
        const char *conv = spec + p->spec_at + 1;
        while (*conv && !strchr("diouxX", *conv)) conv++;
        int pre = (int)(conv - spec);
        snprintf(llspec, sizeof llspec, "%.*sll%s", pre, spec, conv);
        long long iv = isfinite(x) ? (long long)x : 0;
        w = snprintf(out, sizeof out, llspec, iv);
    } else {
        w = snprintf(out, sizeof out, spec, isnan(x) ? fabs(x) : x);
    }
    if (w < 0) return -1;
    return append(buf, n, cap, out, (size_t)(w < (int)sizeof out ? w : (int)sizeof out - 1));
}

static lang_value bi_savetxt(lang_state *L, const lang_args *a)
{
    lang_value v[8];
    if (lang_args_bind(L, a, "fname, X, fmt=, delimiter=, newline=, header=, footer=, comments=", v) < 0) return lv_err();
    const char *delim = " ", *newline = "\n", *header = "", *footer = "", *comments = "# ";
    if (!lv_is_missing(v[3]) && lang_get_str(L, v[3], "delimiter", &delim) < 0) return lv_err();
    if (!lv_is_missing(v[4]) && lang_get_str(L, v[4], "newline", &newline) < 0) return lv_err();
    if (!lv_is_missing(v[5]) && lang_get_str(L, v[5], "header", &header) < 0) return lv_err();
    if (!lv_is_missing(v[6]) && lang_get_str(L, v[6], "footer", &footer) < 0) return lv_err();
    if (!lv_is_missing(v[7]) && lang_get_str(L, v[7], "comments", &comments) < 0) return lv_err();
    rt_array *arr = lang_to_array(L, v[1], -1, "X");
    if (!arr) return lv_err();
    if (arr->ndim == 0 || arr->ndim > 2) {
        int nd = arr->ndim;
        rt_array_release(arr);
        return lang_raise(L, LANG_E_VALUE, "Expected 1D or 2D array, got %dD array instead", nd);
    }
    int64_t rows = arr->shape[0], cols = arr->ndim == 2 ? arr->shape[1] : 1;
    double *x = malloc((size_t)(arr->size ? arr->size : 1) * sizeof *x);
    if (!x) { rt_array_release(arr); return lang_nomem(L); }
    rt_status st = rt_to_host(arr, RT_FLOAT64, x);
    rt_array_release(arr);
    if (st != RT_OK) { free(x); return lang_raise_rt(L); }

    /* per-column pieces: fmt a str with one conversion (repeated), a str with
     * one per column (the whole row), or a list of one per column */
    fmt_piece *pieces = calloc((size_t)(cols ? cols : 1), sizeof *pieces);
    int row_fmt = 0;
    lang_value result = lv_err();
    char *buf = NULL;
    size_t n = 0, cap = 0;
    source dst = {0};
    if (!pieces) { lang_nomem(L); goto out; }
    if (lv_is_missing(v[2]) || v[2].type == LV_STR) {
        const char *fmt = lv_is_missing(v[2]) ? "%.18e" : lv_str_cstr(v[2]);
        int k = parse_fmt(L, fmt, pieces, (int)(cols ? cols : 1));
        if (k < 0) goto out;
        if (k == cols && cols > 1) row_fmt = 1;
        else if (k != 1) { lang_raise(L, LANG_E_VALUE, "fmt has wrong number of %% formats:  %s", fmt); goto out; }
        else for (int64_t c = 1; c < cols; c++) pieces[c] = pieces[0];
    } else {
        int64_t nf;
        lang_value *items = lv_seq_items(v[2], &nf);
        if (nf < 0) { lang_raise(L, LANG_E_TYPE, "invalid fmt: %s (a str or a list of str)", lv_type_name(v[2])); goto out; }
        if (nf != cols) { lang_raise(L, LANG_E_VALUE, "fmt has wrong number of %% formats: %lld for %lld columns", (long long)nf, (long long)cols); goto out; }
        for (int64_t c = 0; c < cols; c++) {
            const char *f;
            if (lang_get_str(L, items[c], "fmt", &f) < 0 || parse_fmt(L, f, &pieces[c], 1) != 1) {
                if (!lang_error_pending(L)) lang_raise(L, LANG_E_VALUE, "fmt has wrong number of %% formats:  %s", f);
                goto out;
            }
        }
    }
    if (*header && append_commented(&buf, &n, &cap, comments, header, newline) < 0) { lang_nomem(L); goto out; }
    if (open_source(L, v[0], 1, &dst) < 0) goto out;
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t c = 0; c < cols; c++) {
            if (c && !row_fmt && append(&buf, &n, &cap, delim, strlen(delim)) < 0) { lang_nomem(L); goto out; }
            if (format_piece(&pieces[c], x[r * cols + c], &buf, &n, &cap) < 0) { lang_nomem(L); goto out; }
        }
        if (append(&buf, &n, &cap, newline, strlen(newline)) < 0) { lang_nomem(L); goto out; }
        if (n > (1 << 20)) {
            if (fwrite(buf, 1, n, dst.f) != n) { lang_raise_os(L, errno ? errno : EIO, dst.name); goto out; }
            n = 0;
            if (lang_check_interrupt(L) < 0) goto out;
        }
    }
    if (*footer && append_commented(&buf, &n, &cap, comments, footer, newline) < 0) { lang_nomem(L); goto out; }
    if (n && fwrite(buf, 1, n, dst.f) != n) { lang_raise_os(L, errno ? errno : EIO, dst.name); goto out; }
    result = lv_none();
out:
    if (dst.f && close_source(L, &dst, lv_is_err(result)) < 0) result = lv_err();
    free(buf);
    free(pieces);
    free(x);
    return result;
}

void lang_init_textio(lang_state *L)
{
    lang_register_builtin(L, "loadtxt", bi_loadtxt,
        "loadtxt(fname, dtype=float, comments=\"#\", delimiter=None, skiprows=0, usecols=None, unpack=False, ndmin=0)\n"
        "An array from a text file of numbers, one row per line (numpy.loadtxt; float64 unless dtype= is given).\n"
        ">>> runs = loadtxt(\"runs.csv\", delimiter=\",\", skiprows=1)");
    lang_register_builtin(L, "savetxt", bi_savetxt,
        "savetxt(fname, X, fmt=\"%.18e\", delimiter=\" \", newline=\"\\n\", header=\"\", footer=\"\", comments=\"# \")\n"
        "Writes a 1-D or 2-D array to a text file, one row per line (numpy.savetxt).\n"
        ">>> savetxt(\"runs.csv\", runs, delimiter=\",\", header=\"batch,epochs,time\", fmt=\"%g\")");
}
