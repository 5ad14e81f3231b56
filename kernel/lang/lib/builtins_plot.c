/* builtins_plot.c — the `plt` object: matplotlib.pyplot's everyday subset.
 *
 *   plt.plot(y) / plot(x, y, "ro-", label=, color=, marker=, linestyle=, linewidth=, markersize=, alpha=)
 *   plt.scatter(x, y, s=, c=, marker=, label=, alpha=)   plt.bar(x, height, width=0.8, ...)
 *   plt.hist(x, bins=10, ...)   plt.xlabel/ylabel/title(text)   plt.legend([labels])
 *   plt.grid(on)   plt.xlim(lo, hi)   plt.ylim(lo, hi)   plt.figure(figsize=(w, h))
 *   plt.show()   plt.gcf()   plt.clf()   plt.close()   plt.savefig("out.svg")
 *
 * Like the notebook inline backend: drawing goes to the current figure
 * (created on first use); plt.show() sends every open figure as
 * display_data (image/svg+xml + text/plain) and closes it; figures still
 * open at the end of a cell are sent the same way (lang_on_cell_end), also
 * when the cell failed. Lists, tuples, numbers and host or device arrays
 * are accepted as data (device arrays are copied to the host once).
 */
#include "builtins.h"
#include "numfmt.h"
#include "plot.h"
#include "libraries.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- state --------------------------------------------------------------------- */

/* A figure shared by the open-figure list and Figure values; freed with its
 * last reference. */
typedef struct {
    int          refs;
    int          open;   /* still in the open list (not shown or closed) */
    plot_figure *fig;
} figref;

/* Per-interpreter pyplot state, owned by the lang_state (lang_ext "plot"). */
typedef struct {
    figref **open;
    int      nopen, cap;
    figref  *cur;        /* current figure (one of open), or NULL */
} pltstate;

static void figref_drop(figref *r) {
    if (r && --r->refs == 0) {
        plot_figure_free(r->fig);
        free(r);
    }
}

static void pltstate_close_all(pltstate *st) {
    for (int i = 0; i < st->nopen; i++) {
        st->open[i]->open = 0;
        figref_drop(st->open[i]);
    }
    st->nopen = 0;
    st->cur = NULL;
}

static void pltstate_free(void *p) {
    pltstate *st = p;
    if (!st) return;
    pltstate_close_all(st);
    free(st->open);
    free(st);
}

static pltstate *state(lang_state *L) { return lang_ext_get(L, "plot"); }

/* Removes r from the open list (it was shown or closed). */
static void close_figure(pltstate *st, figref *r) {
    for (int i = 0; i < st->nopen; i++) {
        if (st->open[i] != r) continue;
        memmove(st->open + i, st->open + i + 1, (size_t)(st->nopen - i - 1) * sizeof *st->open);
        st->nopen--;
        if (st->cur == r) st->cur = st->nopen ? st->open[st->nopen - 1] : NULL;
        r->open = 0;
        figref_drop(r);
        return;
    }
}

/* A new open figure that becomes current; NULL with the error raised. */
static figref *new_figure(lang_state *L, double w, double h) {
    pltstate *st = state(L);
    if (!st) { lang_raise(L, LANG_E_VALUE, "plotting is not initialised"); return NULL; }
    if (st->nopen == st->cap) {
        int cap = st->cap ? st->cap * 2 : 4;
        figref **o = realloc(st->open, (size_t)cap * sizeof *o);
        if (!o) { lang_nomem(L); return NULL; }
        st->open = o;
        st->cap = cap;
    }
    figref *r = calloc(1, sizeof *r);
    if (!r || !(r->fig = plot_figure_new(w, h))) { free(r); lang_nomem(L); return NULL; }
    r->refs = 1;
    r->open = 1;
    st->open[st->nopen++] = r;
    st->cur = r;
    return r;
}

/* The current figure, created when there is none. */
static plot_figure *gcf(lang_state *L) {
    pltstate *st = state(L);
    if (st && st->cur) return st->cur->fig;
    figref *r = new_figure(L, 0, 0);
    return r ? r->fig : NULL;
}

/* ---- display ---------------------------------------------------------------------- */

/* text/plain, plus image/svg+xml when the figure has axes. 0, or -1 raised. */
static int figure_bundle(lang_state *L, const plot_figure *f, lang_bundle *b, int with_text) {
    if (with_text) {
        char *t = plot_render_text(f);
        int r = t ? lang_bundle_add(b, "text/plain", t) : -1;
        free(t);
        if (r < 0) { lang_nomem(L); return -1; }
    }
    if (plot_axes_count(f) > 0) {
        char *svg = plot_render_svg(f);
        int r = svg ? lang_bundle_add(b, "image/svg+xml", svg) : -1;
        free(svg);
        if (r < 0) { lang_nomem(L); return -1; }
    }
    return 0;
}

/* Sends every open figure (those with axes, or all when `empty_too`) and
 * closes them all. */
static void show_all(lang_state *L, int empty_too) {
    pltstate *st = state(L);
    if (!st) return;
    for (int i = 0; i < st->nopen; i++) {
        const plot_figure *f = st->open[i]->fig;
        if (!empty_too && plot_axes_count(f) == 0) continue;
        lang_bundle b = {0};
        if (figure_bundle(L, f, &b, 1) == 0) lang_display(L, &b, NULL, 0);
        lang_bundle_clear(&b);
    }
    pltstate_close_all(st);
}

/* End of every cell: matplotlib-inline's flush_figures. An error raised
 * while rendering (out of memory) must not replace the cell's own result. */
static void flush_figures(lang_state *L, void *ctx) {
    (void)ctx;
    int had_error = lang_error_pending(L);
    show_all(L, 0);
    if (!had_error && lang_error_pending(L)) lang_error_clear(L);
}

/* ---- Figure and artist values ----------------------------------------------------------- */

static void figure_free(void *p) { figref_drop(p); }

static char *figure_repr(lang_state *L, lang_value self) {
    figref *r = lv_object_data(self);
    char *t = plot_render_text(r->fig);
    if (!t) lang_nomem(L);
    return t;
}

/* Displaying a Figure value (the cell's result) shows it once: it leaves
 * the open list so the end-of-cell flush does not send it again. */
static int figure_display(lang_state *L, lang_value self, lang_bundle *out) {
    figref *r = lv_object_data(self);
    if (figure_bundle(L, r->fig, out, 0) < 0) return -1;
    pltstate *st = state(L);
    if (st && r->open && plot_axes_count(r->fig) > 0) close_figure(st, r);
    return 0;
}

static lang_value savefig_to(lang_state *L, const plot_figure *f, lang_value path);

static lang_value figure_savefig(lang_state *L, const lang_args *a) {
    figref *r = lv_object_data(a->self);
    lang_value v[1];
    if (lang_args_bind(L, a, "fname", v) < 0) return lv_err();
    return savefig_to(L, r->fig, v[0]);
}

static const lang_method figure_methods[] = {
    {"savefig", figure_savefig, "fig.savefig(fname)\nWrites the figure as SVG to fname (a .svg path).\n>>> fig.savefig('loss.svg')"},
    {NULL, NULL, NULL},
};

static const lang_class figure_class = {
    .name = "Figure",
    .doc = "A figure with one axes; shown as SVG. plt.figure() makes one, plt.gcf() returns the current one.",
    .free = figure_free,
    .repr = figure_repr,
    .methods = figure_methods,
    .display = figure_display,
};

static lang_value figure_value(lang_state *L, figref *r) {
    r->refs++;
    return lang_object_new(L, &figure_class, r);
}

/* Artists returned by plot/scatter/bar: only a repr (data: malloc'd text). */
static char *artist_repr(lang_state *L, lang_value self) {
    char *t = strdup((const char *)lv_object_data(self));
    if (!t) lang_nomem(L);
    return t;
}

static const lang_class line_class = {
    .name = "Line2D", .doc = "A line drawn by plt.plot.", .free = free, .repr = artist_repr,
};
static const lang_class collection_class = {
    .name = "PathCollection", .doc = "The markers drawn by plt.scatter.", .free = free, .repr = artist_repr,
};
static const lang_class bars_class = {
    .name = "BarContainer", .doc = "The bars drawn by plt.bar or plt.hist.", .free = free, .repr = artist_repr,
};

static lang_value artist_value(lang_state *L, const lang_class *cls, char *text) {
    if (!text) return lang_nomem(L);
    return lang_object_new(L, cls, text);
}

/* ---- argument helpers ------------------------------------------------------------------------ */

/* Numbers of one data argument, on the host. Owned by the caller (free v). */
typedef struct {
    double *v;
    int64_t n;     /* rows */
    int64_t cols;  /* 1, or the columns of a 2-D array (v is row-major) */
} numvec;

static void shape_text(const numvec *d, char *buf, size_t cap) {
    if (d->cols == 1) snprintf(buf, cap, "(%lld,)", (long long)d->n);
    else snprintf(buf, cap, "(%lld, %lld)", (long long)d->n, (long long)d->cols);
}

static int array_numbers(lang_state *L, const rt_array *a, const char *what, numvec *out) {
    if (a->ndim > 2) {
        char shp[64];
        rt_format_shape(a->shape, a->ndim, shp, sizeof shp);
        return lang_fail(L, LANG_E_VALUE, "%s can be no greater than 2-D, but has shape %s", what, shp);
    }
    out->n = a->ndim == 0 ? 1 : a->shape[0];
    out->cols = a->ndim == 2 ? a->shape[1] : 1;
    out->v = malloc((size_t)(a->size > 0 ? a->size : 1) * sizeof(double));
    if (!out->v) return lang_nomem(L), -1;
    if (a->size > 0 && rt_to_host(a, RT_FLOAT64, out->v) != RT_OK) {
        free(out->v);
        out->v = NULL;
        lang_raise_rt(L);
        return -1;
    }
    if (a->ndim == 2 && a->shape[1] == 0) out->cols = 0;
    return 0;
}

/* A number, a list/tuple of numbers (None is NaN), or an array (1-D or
 * 2-D); anything else goes through lang_to_array. 0, or -1 raised. */
static int get_numbers(lang_state *L, lang_value v, const char *what, numvec *out) {
    memset(out, 0, sizeof *out);
    out->cols = 1;
    if (v.type == LV_ARRAY) return array_numbers(L, v.u.a, what, out);
    if (lv_is_number(v)) {
        out->v = malloc(sizeof(double));
        if (!out->v) return lang_nomem(L), -1;
        out->v[0] = lv_as_double(v);
        out->n = 1;
        return 0;
    }
    int64_t n;
    lang_value *items = lv_seq_items(v, &n);
    if (items) {
        int flat = 1;
        for (int64_t i = 0; i < n && flat; i++)
            if (!(lv_is_number(items[i]) || lv_is_none(items[i]) ||
                  (items[i].type == LV_ARRAY && items[i].u.a->size == 1)))
                flat = 0;
        if (flat) {
            out->v = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
            if (!out->v) return lang_nomem(L), -1;
            for (int64_t i = 0; i < n; i++) {
                if (lv_is_none(items[i])) { out->v[i] = NAN; continue; }
                if (lang_get_float(L, items[i], what, &out->v[i]) < 0) { free(out->v); out->v = NULL; return -1; }
            }
            out->n = n;
            return 0;
        }
    }
    rt_array *a = lang_to_array(L, v, RT_FLOAT32, what);
    if (!a) return -1;
    int r = array_numbers(L, a, what, out);
    rt_array_release(a);
    return r;
}

/* Keyword arguments by name; each allowed entry may list aliases
 * ("color|c"). out[i] is the value (borrowed) or LV_MISSING. */
static int get_kwargs(lang_state *L, const lang_args *a, const char *const *allowed, int nallowed, lang_value *out) {
    for (int i = 0; i < nallowed; i++) out[i] = lv_missing();
    for (int k = 0; k < a->nkw; k++) {
        const char *name = a->kwname[k];
        int found = -1;
        for (int i = 0; i < nallowed && found < 0; i++) {
            const char *p = allowed[i];
            while (*p) {
                size_t l = strcspn(p, "|");
                if (strlen(name) == l && strncmp(p, name, l) == 0) { found = i; break; }
                p += l;
                if (*p == '|') p++;
            }
        }
        if (found < 0)
            return lang_fail(L, LANG_E_TYPE, "%s() got an unexpected keyword argument '%s'",
                             a->fname ? a->fname : "function", name);
        if (!lv_is_missing(out[found]))
            return lang_fail(L, LANG_E_TYPE, "%s() got multiple values for '%s'", a->fname ? a->fname : "function",
                             name);
        out[found] = a->kw[k];
    }
    return 0;
}

/* A matplotlib color: a string spec or an (r, g, b[, a]) tuple of 0..1. */
static int get_color(lang_state *L, lang_value v, char out[8]) {
    if (v.type == LV_STR) {
        if (plot_parse_color(lv_str_cstr(v), out) == 0) return 0;
        return lang_fail(L, LANG_E_VALUE, "'%s' is not a valid color value.", lv_str_cstr(v));
    }
    int64_t n;
    lang_value *items = lv_seq_items(v, &n);
    if (items && (n == 3 || n == 4)) {
        int c[3];
        for (int i = 0; i < 3; i++) {
            double d;
            if (lang_get_float(L, items[i], "color", &d) < 0) return -1;
            if (!(d >= 0 && d <= 1)) return lang_fail(L, LANG_E_VALUE, "RGBA values should be within 0-1 range");
            c[i] = (int)lround(d * 255);
        }
        snprintf(out, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
        return 0;
    }
    return lang_fail(L, LANG_E_VALUE, "invalid color: expected a name such as 'red' or 'C1', '#rrggbb' or an (r, g, b) tuple, not %s",
                     lv_type_name(v));
}

static int get_marker(lang_state *L, lang_value v, char *out) {
    const char *s;
    if (lang_get_str(L, v, "marker", &s) < 0) return -1;
    if (!*s || !strcmp(s, "None") || !strcmp(s, "none") || !strcmp(s, " ")) { *out = 0; return 0; }
    char c[8], m = 0, ls[3];
    if (strlen(s) == 1 && plot_parse_fmt(s, c, &m, ls) == 0 && m) { *out = m; return 0; }
    return lang_fail(L, LANG_E_VALUE, "Unrecognized marker style '%s' (use one of o s ^ v < > x + . D d * p h)", s);
}

static int get_linestyle(lang_state *L, lang_value v, const char **out) {
    const char *s;
    if (lang_get_str(L, v, "linestyle", &s) < 0) return -1;
    static const char *const ok[] = {"-", "--", ":", "-.", "", " ", "None", "none", "solid", "dashed", "dotted", "dashdot"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!strcmp(s, ok[i])) { *out = s; return 0; }
    return lang_fail(L, LANG_E_VALUE, "'%s' is not a valid value for linestyle; supported values are '-', '--', '-.', ':', 'None'", s);
}

static int get_positive(lang_state *L, lang_value v, const char *what, double *out) {
    if (lang_get_float(L, v, what, out) < 0) return -1;
    if (!(*out >= 0) || !isfinite(*out)) return lang_fail(L, LANG_E_VALUE, "%s must be a non-negative number", what);
    return 0;
}

/* Text of a label-like argument (str() of anything). malloc'd, or NULL raised. */
static char *get_text(lang_state *L, lang_value v) {
    if (v.type == LV_STR) {
        char *s = strdup(lv_str_cstr(v));
        if (!s) lang_nomem(L);
        return s;
    }
    return lang_str(L, v);
}

/* Style keywords shared by plot/scatter/bar/hist, resolved into st. The
 * strings st points to live in `hold` (and the borrowed argument values). */
typedef struct {
    char  color[8];
    char *label;
} style_hold;

enum { K_COLOR, K_LABEL, K_ALPHA, K_MARKER, K_LINESTYLE, K_LINEWIDTH, K_MARKERSIZE, K_S, K_WIDTH, K_BINS, K_NKW };

static int apply_style(lang_state *L, const lang_value *kw, plot_style *st, style_hold *h) {
    if (!lv_is_missing(kw[K_COLOR]) && !lv_is_none(kw[K_COLOR])) {
        if (get_color(L, kw[K_COLOR], h->color) < 0) return -1;
        st->color = h->color;
    }
    if (!lv_is_missing(kw[K_LABEL]) && !lv_is_none(kw[K_LABEL])) {
        if (!(h->label = get_text(L, kw[K_LABEL]))) return -1;
        st->label = h->label;
    }
    if (!lv_is_missing(kw[K_ALPHA]) && !lv_is_none(kw[K_ALPHA])) {
        double a;
        if (lang_get_float(L, kw[K_ALPHA], "alpha", &a) < 0) return -1;
        if (!(a >= 0 && a <= 1)) return lang_fail(L, LANG_E_VALUE, "alpha (%g) is outside 0-1 range", a);
        st->alpha = a > 0 ? a : 1e-9;
    }
    if (!lv_is_missing(kw[K_MARKER]) && !lv_is_none(kw[K_MARKER]) && get_marker(L, kw[K_MARKER], &st->marker) < 0) return -1;
    if (!lv_is_missing(kw[K_LINESTYLE]) && !lv_is_none(kw[K_LINESTYLE]) &&
        get_linestyle(L, kw[K_LINESTYLE], &st->linestyle) < 0)
        return -1;
    if (!lv_is_missing(kw[K_LINEWIDTH]) && get_positive(L, kw[K_LINEWIDTH], "linewidth", &st->linewidth) < 0) return -1;
    if (!lv_is_missing(kw[K_MARKERSIZE]) && get_positive(L, kw[K_MARKERSIZE], "markersize", &st->markersize) < 0) return -1;
    return 0;
}

/* ---- plotting functions --------------------------------------------------------------------- */

static const char *const kw_line[K_NKW] = {
    "color|c", "label", "alpha", "marker", "linestyle|ls", "linewidth|lw", "markersize|ms", "", "", "",
};

/* plot(y), plot(x, y), plot(y, fmt), plot(x, y, fmt), repeated groups */
static lang_value plt_plot(lang_state *L, const lang_args *a) {
    lang_value kw[K_NKW];
    if (get_kwargs(L, a, kw_line, 7, kw) < 0) return lv_err();
    plot_figure *f = gcf(L);
    if (!f) return lv_err();
    lang_value lines = lv_list_new(1);
    if (lv_is_err(lines)) return lang_nomem(L);
    int i = 0;
    while (i < a->n) {
        lang_value xv = lv_missing(), yv, fmtv = lv_missing();
        if (a->v[i].type == LV_STR) { lv_release(lines); return lang_raise(L, LANG_E_VALUE, "plot() expects data before the format string '%s'", lv_str_cstr(a->v[i])); }
        if (i + 1 < a->n && a->v[i + 1].type == LV_STR) {
            yv = a->v[i];
            fmtv = a->v[i + 1];
            i += 2;
        } else if (i + 1 < a->n) {
            xv = a->v[i];
            yv = a->v[i + 1];
            i += 2;
            if (i < a->n && a->v[i].type == LV_STR) fmtv = a->v[i++];
        } else {
            yv = a->v[i++];
        }
        plot_style st = {0};
        style_hold hold = {{0}, NULL};
        char fcolor[8], fmarker = 0, fls[3];
        if (!lv_is_missing(fmtv)) {
            const char *fs = lv_str_cstr(fmtv);
            if (plot_parse_fmt(fs, fcolor, &fmarker, fls) < 0) {
                lv_release(lines);
                return lang_raise(L, LANG_E_VALUE, "'%s' is not a valid format string", fs);
            }
            if (fcolor[0]) st.color = fcolor;
            st.marker = fmarker;
            st.linestyle = fls;
        }
        if (apply_style(L, kw, &st, &hold) < 0) { free(hold.label); lv_release(lines); return lv_err(); }
        numvec x = {0}, y = {0};
        if (get_numbers(L, yv, "y", &y) < 0 || (!lv_is_missing(xv) && get_numbers(L, xv, "x", &x) < 0)) {
            free(y.v);
            free(hold.label);
            lv_release(lines);
            return lv_err();
        }
        if (x.v && (x.n != y.n || (x.cols != 1 && x.cols != y.cols))) {
            char sx[64], sy[64];
            shape_text(&x, sx, sizeof sx);
            shape_text(&y, sy, sizeof sy);
            free(x.v); free(y.v); free(hold.label); lv_release(lines);
            return lang_raise(L, LANG_E_VALUE, "x and y must have same first dimension, but have shapes %s and %s", sx, sy);
        }
        /* one line per column of a 2-D y, as matplotlib */
        double *colx = malloc((size_t)(y.n > 0 ? y.n : 1) * sizeof(double));
        double *coly = malloc((size_t)(y.n > 0 ? y.n : 1) * sizeof(double));
        int failed = !colx || !coly;
        for (int64_t c = 0; c < y.cols && !failed; c++) {
            for (int64_t k = 0; k < y.n; k++) {
                coly[k] = y.v[k * y.cols + c];
                if (x.v) colx[k] = x.v[k * x.cols + (x.cols == 1 ? 0 : c)];
            }
            int idx = f->nseries;
            if (plot_line(f, x.v ? colx : NULL, coly, y.n, &st) < 0) { failed = 1; break; }
            char *text = lang_strdupf("Line2D(%s)", st.label ? st.label : "");
            if (!st.label && text) { free(text); text = lang_strdupf("Line2D(_child%d)", idx); }
            lang_value line = artist_value(L, &line_class, text);
            if (lv_is_err(line) || lv_list_append_take(lines, line) < 0) { failed = 2; break; }
        }
        free(colx); free(coly); free(x.v); free(y.v); free(hold.label);
        if (failed) {
            lv_release(lines);
            return failed == 2 && lang_error_pending(L) ? lv_err() : lang_nomem(L);
        }
    }
    return lines;
}

static const char *const kw_scatter[K_NKW] = {
    "color|c", "label", "alpha", "marker", "", "linewidths", "", "s", "", "",
};

static lang_value plt_scatter(lang_state *L, const lang_args *a) {
    lang_value kw[K_NKW], pos[2];
    lang_args pa = *a;
    pa.nkw = 0;
    if (lang_args_bind(L, &pa, "x, y", pos) < 0) return lv_err();
    if (get_kwargs(L, a, kw_scatter, 8, kw) < 0) return lv_err();
    plot_figure *f = gcf(L);
    if (!f) return lv_err();
    plot_style st = {0};
    style_hold hold = {{0}, NULL};
    kw[K_LINEWIDTH] = lv_missing(); /* marker edge widths: accepted, drawn at the default */
    if (apply_style(L, kw, &st, &hold) < 0) { free(hold.label); return lv_err(); }
    if (!st.marker) st.marker = 'o';
    if (!lv_is_missing(kw[K_S]) && !lv_is_none(kw[K_S])) {
        double s;
        if (get_positive(L, kw[K_S], "s", &s) < 0) { free(hold.label); return lv_err(); }
        st.markersize = sqrt(s); /* s is the marker area in points^2 */
    }
    numvec x = {0}, y = {0};
    if (get_numbers(L, pos[0], "x", &x) < 0 || get_numbers(L, pos[1], "y", &y) < 0) {
        free(x.v); free(hold.label);
        return lv_err();
    }
    int64_t nx = x.n * x.cols, ny = y.n * y.cols;
    if (nx != ny) {
        free(x.v); free(y.v); free(hold.label);
        return lang_raise(L, LANG_E_VALUE, "x and y must be the same size");
    }
    int r = plot_scatter(f, x.v, y.v, nx, &st);
    free(x.v); free(y.v); free(hold.label);
    if (r < 0) return lang_nomem(L);
    return artist_value(L, &collection_class, lang_strdupf("<PathCollection of %lld points>", (long long)nx));
}

static const char *const kw_bar[K_NKW] = {
    "color", "label", "alpha", "", "", "", "", "", "width", "",
};

static lang_value plt_bar(lang_state *L, const lang_args *a) {
    lang_value kw[K_NKW], pos[3];
    lang_args pa = *a;
    pa.nkw = 0;
    if (lang_args_bind(L, &pa, "x, height, width=", pos) < 0) return lv_err();
    if (get_kwargs(L, a, kw_bar, 9, kw) < 0) return lv_err();
    if (!lv_is_missing(pos[2])) {
        if (!lv_is_missing(kw[K_WIDTH])) return lang_raise(L, LANG_E_TYPE, "bar() got multiple values for 'width'");
        kw[K_WIDTH] = pos[2];
    }
    plot_figure *f = gcf(L);
    if (!f) return lv_err();
    plot_style st = {0};
    style_hold hold = {{0}, NULL};
    if (apply_style(L, kw, &st, &hold) < 0) { free(hold.label); return lv_err(); }
    double width = 0.8;
    if (!lv_is_missing(kw[K_WIDTH]) && get_positive(L, kw[K_WIDTH], "width", &width) < 0) { free(hold.label); return lv_err(); }
    /* x: numbers, or strings naming categories */
    int64_t nx;
    lang_value *items = lv_seq_items(pos[0], &nx);
    const char **cats = NULL;
    numvec x = {0}, h = {0};
    if (items && nx > 0 && items[0].type == LV_STR) {
        cats = malloc((size_t)nx * sizeof *cats);
        if (!cats) { free(hold.label); return lang_nomem(L); }
        for (int64_t i = 0; i < nx; i++) {
            if (items[i].type != LV_STR) { free(cats); free(hold.label); return lang_raise(L, LANG_E_TYPE, "bar() x mixes strings and %s", lv_type_name(items[i])); }
            cats[i] = lv_str_cstr(items[i]);
        }
        x.n = nx;
        x.cols = 1;
    } else if (get_numbers(L, pos[0], "x", &x) < 0) {
        free(hold.label);
        return lv_err();
    }
    if (get_numbers(L, pos[1], "height", &h) < 0) { free(cats); free(x.v); free(hold.label); return lv_err(); }
    int64_t n = x.n * x.cols;
    double *hv = h.v;
    if (h.n * h.cols == 1 && n != 1) { /* a scalar height for every bar */
        hv = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
        if (!hv) { free(cats); free(x.v); free(h.v); free(hold.label); return lang_nomem(L); }
        for (int64_t i = 0; i < n; i++) hv[i] = h.v[0];
    } else if (h.n * h.cols != n) {
        free(cats); free(x.v); free(h.v); free(hold.label);
        return lang_raise(L, LANG_E_VALUE, "shape mismatch: x has %lld values and height %lld", (long long)n,
                          (long long)(h.n * h.cols));
    }
    int r = plot_bar(f, cats ? NULL : x.v, cats, hv, n, width, &st);
    if (hv != h.v) free(hv);
    free(cats); free(x.v); free(h.v); free(hold.label);
    if (r < 0) return lang_nomem(L);
    return artist_value(L, &bars_class, lang_strdupf("<BarContainer object of %lld artists>", (long long)n));
}

static const char *const kw_hist[K_NKW] = {
    "color", "label", "alpha", "", "", "", "", "", "", "bins",
};

static lang_value plt_hist(lang_state *L, const lang_args *a) {
    lang_value kw[K_NKW], pos[2];
    lang_args pa = *a;
    pa.nkw = 0;
    if (lang_args_bind(L, &pa, "x, bins=", pos) < 0) return lv_err();
    if (get_kwargs(L, a, kw_hist, 10, kw) < 0) return lv_err();
    if (!lv_is_missing(pos[1])) {
        if (!lv_is_missing(kw[K_BINS])) return lang_raise(L, LANG_E_TYPE, "hist() got multiple values for 'bins'");
        kw[K_BINS] = pos[1];
    }
    int64_t bins = 10;
    if (!lv_is_missing(kw[K_BINS]) && lang_get_int(L, kw[K_BINS], "bins", &bins) < 0) return lv_err();
    if (bins < 1 || bins > 100000) return lang_raise(L, LANG_E_VALUE, "bins must be between 1 and 100000, not %lld", (long long)bins);
    plot_figure *f = gcf(L);
    if (!f) return lv_err();
    plot_style st = {0};
    style_hold hold = {{0}, NULL};
    if (apply_style(L, kw, &st, &hold) < 0) { free(hold.label); return lv_err(); }
    numvec x = {0};
    if (get_numbers(L, pos[0], "x", &x) < 0) { free(hold.label); return lv_err(); }
    double *counts = malloc((size_t)bins * sizeof(double)), *edges = malloc((size_t)(bins + 1) * sizeof(double));
    int r = (counts && edges) ? plot_hist(f, x.v, x.n * x.cols, (int)bins, &st, counts, edges) : -1;
    free(x.v);
    free(hold.label);
    if (r < 0) { free(counts); free(edges); return lang_nomem(L); }
    int64_t sc = bins, se = bins + 1;
    lang_value items[3];
    items[0] = lang_array_result(L, rt_from_host(counts, RT_FLOAT64, &sc, 1, RT_FLOAT32, NULL));
    items[1] = lv_is_err(items[0]) ? lv_err() : lang_array_result(L, rt_from_host(edges, RT_FLOAT64, &se, 1, RT_FLOAT32, NULL));
    free(counts);
    free(edges);
    if (lv_is_err(items[1])) { lv_release(items[0]); return lv_err(); }
    items[2] = artist_value(L, &bars_class, lang_strdupf("<BarContainer object of %lld artists>", (long long)bins));
    if (lv_is_err(items[2])) { lv_release(items[0]); lv_release(items[1]); return lv_err(); }
    lang_value t = lv_tuple_of(3, items);
    for (int i = 0; i < 3; i++) lv_release(items[i]);
    return lv_is_err(t) ? lang_nomem(L) : t;
}

/* xlabel / ylabel / title */
static lang_value set_label(lang_state *L, const lang_args *a, int (*set)(plot_figure *, const char *)) {
    lang_value v[2];
    if (lang_args_bind(L, a, "label, fontsize=", v) < 0) return lv_err();
    plot_figure *f = gcf(L);
    if (!f) return lv_err();
    char *s = get_text(L, v[0]);
    if (!s) return lv_err();
    int r = set(f, s);
    free(s);
    return r < 0 ? lang_nomem(L) : lv_none();
}

static lang_value plt_xlabel(lang_state *L, const lang_args *a) { return set_label(L, a, plot_set_xlabel); }
static lang_value plt_ylabel(lang_state *L, const lang_args *a) { return set_label(L, a, plot_set_ylabel); }
static lang_value plt_title(lang_state *L, const lang_args *a) { return set_label(L, a, plot_set_title); }

/* legend() or legend(labels): labels name the series in order. */
static lang_value plt_legend(lang_state *L, const lang_args *a) {
    lang_value v[2];
    if (lang_args_bind(L, a, "labels=, loc=", v) < 0) return lv_err();
    plot_figure *f = gcf(L);
    if (!f) return lv_err();
    if (!lv_is_missing(v[0]) && !lv_is_none(v[0])) {
        int64_t n;
        lang_value *items = lv_seq_items(v[0], &n);
        if (!items) return lang_raise(L, LANG_E_TYPE, "legend() labels must be a list of strings, not %s", lv_type_name(v[0]));
        for (int64_t i = 0; i < n && i < f->nseries; i++) {
            char *s = get_text(L, items[i]);
            if (!s) return lv_err();
            free(f->series[i].label);
            f->series[i].label = s;
        }
    }
    int labelled = 0;
    for (int i = 0; i < f->nseries; i++) labelled += f->series[i].label != NULL;
    if (!labelled) {
        static const char warn[] = "No artists with labels found to put in legend.  Note that artists whose label "
                                   "start with an underscore are ignored when legend() is called with no argument.\n";
        lang_write(L, "stderr", warn, sizeof warn - 1);
    }
    plot_set_legend(f, 1);
    return lv_none();
}

/* grid() toggles; grid(True/False) sets. */
static lang_value plt_grid(lang_state *L, const lang_args *a) {
    lang_value v[1];
    if (lang_args_bind(L, a, "visible=", v) < 0) return lv_err();
    plot_figure *f = gcf(L);
    if (!f) return lv_err();
    int on = !f->grid;
    if (!lv_is_missing(v[0]) && !lv_is_none(v[0]) && lang_get_bool(L, v[0], "visible", &on) < 0) return lv_err();
    plot_set_grid(f, on);
    return lv_none();
}

/* xlim(lo, hi) or xlim((lo, hi)); without arguments returns the current
 * explicit limits or None. */
static lang_value set_lim(lang_state *L, const lang_args *a, int y) {
    lang_value v[2];
    if (lang_args_bind(L, a, "left=, right=", v) < 0) return lv_err();
    plot_figure *f = gcf(L);
    if (!f) return lv_err();
    lang_value lo = v[0], hi = v[1];
    int64_t n;
    lang_value *items = lv_is_missing(lo) ? NULL : lv_seq_items(lo, &n);
    if (items) {
        if (n != 2 || !lv_is_missing(hi)) return lang_raise(L, LANG_E_VALUE, "%slim() takes (low, high)", y ? "y" : "x");
        lo = items[0];
        hi = items[1];
    }
    if (lv_is_missing(lo) && lv_is_missing(hi)) {
        int has = y ? f->has_ylim : f->has_xlim;
        if (!has) return lv_none();
        lang_value t[2] = { lv_float(y ? f->ylim[0] : f->xlim[0]), lv_float(y ? f->ylim[1] : f->xlim[1]) };
        lang_value r = lv_tuple_of(2, t);
        return lv_is_err(r) ? lang_nomem(L) : r;
    }
    double d[2];
    if (lv_is_missing(lo) || lv_is_missing(hi)) return lang_raise(L, LANG_E_VALUE, "%slim() needs both limits", y ? "y" : "x");
    if (lang_get_float(L, lo, "low", &d[0]) < 0 || lang_get_float(L, hi, "high", &d[1]) < 0) return lv_err();
    if (!isfinite(d[0]) || !isfinite(d[1])) return lang_raise(L, LANG_E_VALUE, "Axis limits cannot be NaN or Inf");
    if (y) plot_set_ylim(f, d[0], d[1]);
    else plot_set_xlim(f, d[0], d[1]);
    return lv_none();
}

static lang_value plt_xlim(lang_state *L, const lang_args *a) { return set_lim(L, a, 0); }
static lang_value plt_ylim(lang_state *L, const lang_args *a) { return set_lim(L, a, 1); }

/* figure(figsize=(w, h), dpi=): a new current figure (dpi is accepted; SVG
 * has no pixels). */
static lang_value plt_figure(lang_state *L, const lang_args *a) {
    lang_value v[2];
    if (lang_args_bind(L, a, "figsize=, dpi=", v) < 0) return lv_err();
    double w = 0, h = 0;
    if (!lv_is_missing(v[0]) && !lv_is_none(v[0])) {
        int64_t n;
        lang_value *items = lv_seq_items(v[0], &n);
        if (!items || n != 2) return lang_raise(L, LANG_E_VALUE, "figsize must be a (width, height) pair in inches");
        if (lang_get_float(L, items[0], "width", &w) < 0 || lang_get_float(L, items[1], "height", &h) < 0) return lv_err();
        if (!(w > 0 && h > 0 && w < 1000 && h < 1000))
            return lang_raise(L, LANG_E_VALUE, "figure size must be positive finite (and below 1000 inches), not (%g, %g)", w, h);
    }
    if (!lv_is_missing(v[1]) && !lv_is_none(v[1])) {
        double dpi;
        if (lang_get_float(L, v[1], "dpi", &dpi) < 0) return lv_err();
    }
    figref *r = new_figure(L, w, h);
    return r ? figure_value(L, r) : lv_err();
}

static lang_value plt_gcf(lang_state *L, const lang_args *a) {
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    if (!gcf(L)) return lv_err();
    return figure_value(L, state(L)->cur);
}

static lang_value plt_show(lang_state *L, const lang_args *a) {
    lang_value v[1];
    if (lang_args_bind(L, a, "block=", v) < 0) return lv_err();
    show_all(L, 1);
    return lang_error_pending(L) ? lv_err() : lv_none();
}

/* clf(): empties the current figure, keeping its size. */
static lang_value plt_clf(lang_state *L, const lang_args *a) {
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    pltstate *st = state(L);
    if (!st || !st->cur) return lv_none();
    plot_figure *old = st->cur->fig, *f = plot_figure_new(old->width_in, old->height_in);
    if (!f) return lang_nomem(L);
    st->cur->fig = f;
    plot_figure_free(old);
    return lv_none();
}

/* close() the current figure, close("all") every figure, close(fig). */
static lang_value plt_close(lang_state *L, const lang_args *a) {
    lang_value v[1];
    if (lang_args_bind(L, a, "fig=", v) < 0) return lv_err();
    pltstate *st = state(L);
    if (!st) return lv_none();
    if (!lv_is_missing(v[0]) && v[0].type == LV_STR) {
        if (strcmp(lv_str_cstr(v[0]), "all") != 0) return lang_raise(L, LANG_E_VALUE, "close() accepts 'all', a Figure or nothing");
        pltstate_close_all(st);
        return lv_none();
    }
    if (!lv_is_missing(v[0]) && !lv_is_none(v[0])) {
        figref *r = lv_object_check(v[0], &figure_class);
        if (!r) return lang_raise(L, LANG_E_TYPE, "close() expects a Figure, not %s", lv_type_name(v[0]));
        close_figure(st, r);
        return lv_none();
    }
    if (st->cur) close_figure(st, st->cur);
    return lv_none();
}

static lang_value savefig_to(lang_state *L, const plot_figure *f, lang_value path) {
    const char *p;
    if (lang_get_str(L, path, "fname", &p) < 0) return lv_err();
    size_t n = strlen(p);
    if (n < 4 || strcmp(p + n - 4, ".svg") != 0)
        return lang_raise(L, LANG_E_VALUE, "savefig writes SVG only: give a file name ending in .svg, not '%s'", p);
    char *svg = plot_render_svg(f);
    if (!svg) return lang_nomem(L);
    FILE *fp = fopen(p, "w");
    if (!fp) { free(svg); return lang_raise(L, LANG_E_VALUE, "cannot write '%s'", p); }
    size_t len = strlen(svg);
    int ok = fwrite(svg, 1, len, fp) == len;
    ok = (fclose(fp) == 0) && ok;
    free(svg);
    return ok ? lv_none() : lang_raise(L, LANG_E_VALUE, "writing '%s' failed", p);
}

static lang_value plt_savefig(lang_state *L, const lang_args *a) {
    lang_value v[1];
    if (lang_args_bind(L, a, "fname", v) < 0) return lv_err();
    plot_figure *f = gcf(L);
    if (!f) return lv_err();
    return savefig_to(L, f, v[0]);
}

static const lang_method plt_functions[] = {
    {"plot", plt_plot,
     "plot([x], y, [fmt], label=, color=, marker=, linestyle=, linewidth=, markersize=, alpha=)\n"
     "Draws y against x (default 0..n-1) as a line; a 2-D y draws one line per column.\n"
     ">>> plt.plot(history.history['loss'], 'r--', label='loss')"},
    {"scatter", plt_scatter,
     "scatter(x, y, s=36, c=, marker='o', label=, alpha=)\nDraws one marker per (x, y) point; s is the marker area in points^2.\n"
     ">>> plt.scatter([1, 2, 3], [4, 1, 3])"},
    {"bar", plt_bar,
     "bar(x, height, width=0.8, color=, label=, alpha=)\nDraws bars centred on x (numbers or category names).\n"
     ">>> plt.bar(['cpu', 'gpu'], [12.5, 0.8])"},
    {"hist", plt_hist,
     "hist(x, bins=10, color=, label=, alpha=)\nDraws a histogram and returns (counts, edges, bars), binned like numpy.histogram.\n"
     ">>> counts, edges, bars = plt.hist(randn(1000), bins=20)"},
    {"xlabel", plt_xlabel, "xlabel(label)\nSets the x-axis label.\n>>> plt.xlabel('Epoch Number')"},
    {"ylabel", plt_ylabel, "ylabel(label)\nSets the y-axis label.\n>>> plt.ylabel('Loss Magnitude')"},
    {"title", plt_title, "title(label)\nSets the title above the axes.\n>>> plt.title('Training loss')"},
    {"legend", plt_legend,
     "legend([labels])\nShows a legend of the labelled series (placed where it hides the least data).\n>>> plt.legend()"},
    {"grid", plt_grid, "grid([visible])\nShows (or hides, or toggles) grid lines at the ticks.\n>>> plt.grid(True)"},
    {"xlim", plt_xlim, "xlim(low, high)\nFixes the x-axis range.\n>>> plt.xlim(0, 100)"},
    {"ylim", plt_ylim, "ylim(low, high)\nFixes the y-axis range.\n>>> plt.ylim(0, 1)"},
    {"figure", plt_figure,
     "figure(figsize=(6.4, 4.8))\nStarts a new figure (size in inches) and makes it current.\n>>> fig = plt.figure(figsize=(10, 4))"},
    {"gcf", plt_gcf, "gcf()\nReturns the current figure (a new one if there is none).\n>>> fig = plt.gcf()"},
    {"show", plt_show,
     "show()\nDisplays every open figure now and closes them (figures left open are shown when the cell ends).\n>>> plt.show()"},
    {"clf", plt_clf, "clf()\nClears the current figure.\n>>> plt.clf()"},
    {"close", plt_close, "close([fig | 'all'])\nCloses figures without showing them.\n>>> plt.close('all')"},
    {"savefig", plt_savefig, "savefig(fname)\nWrites the current figure as SVG (fname ends in .svg).\n>>> plt.savefig('loss.svg')"},
    {NULL, NULL, NULL},
};

void lang_init_plot(lang_state *L) {
    pltstate *st = calloc(1, sizeof *st);
    if (!st) return;
    lang_ext_set(L, "plot", st, pltstate_free);
    lang_value m = lang_module_new(L, "plt", plt_functions,
                                   "plt: plotting in the style of matplotlib.pyplot (plot, scatter, bar, hist, "
                                   "labels, legend, grid, figure, show); figures display as SVG.");
    if (lv_is_err(m)) { lang_error_clear(L); return; }
    lang_register_value(L, "plt", m, "plotting (matplotlib.pyplot style): plt.plot(y), plt.xlabel(...), plt.show()");
    lv_release(m);
    lang_on_cell_end(L, flush_figures, NULL);
}
