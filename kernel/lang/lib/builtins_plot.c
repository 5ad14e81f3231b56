/* builtins_plot.c — the `plt` object: matplotlib.pyplot's everyday subset.
 *
 *   plt.plot(y) / plot(x, y, "ro-", label=, color=, marker=, linestyle=, linewidth=, markersize=, alpha=)
 *   plt.scatter(x, y, s=, c=, marker=, label=, alpha=)   plt.bar(x, height, width=0.8, ...)
 *   plt.hist(x, bins=10, ...)   plt.imshow(X, cmap=, vmin=, vmax=)   plt.colorbar()
 *   plt.xlabel/ylabel/title/suptitle(text, fontsize=)   plt.legend([labels], loc=, fontsize=)
 *   plt.grid(on)   plt.xlim(lo, hi)   plt.ylim(lo, hi)   plt.axis("off")   plt.xticks/yticks(ticks, labels)
 *   plt.figure(figsize=(w, h))   plt.subplot(r, c, i)   plt.subplots(r, c)   plt.tight_layout()
 *   plt.show()   plt.gcf()   plt.clf()   plt.close()   plt.savefig("out.svg")
 *
 * Axes values (from subplot/subplots) carry the same functions as methods
 * (ax.plot, ax.set_title, ...): one C function serves both, drawing on the
 * receiver when there is one (target()), else on the current axes.
 *
 * Like the notebook inline backend: drawing goes to the current figure
 * (created on first use); plt.show() sends every open figure as
 * display_data (image/svg+xml + text/plain) and closes it; figures still
 * open at the end of a cell are sent the same way (lang_on_cell_end), also
 * when the cell failed. Lists, tuples, numbers and host or device arrays
 * are accepted as data (device arrays are copied to the host once).
 */
#include "builtins.h"
#include "interp.h"
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

/* Figure and Axes values (defined below). */
static const lang_class figure_class, axes_class;

/* An Axes value: an axes of a figure, by index (the figure owns it). */
typedef struct {
    figref *fig;
    int     index;
} axesref;

/* The axes a call draws on: the receiver of an Axes method, else the
 * current figure's current axes. NULL with the error raised. */
static plot_axes *target(lang_state *L, const lang_args *a) {
    axesref *r = lv_object_check(a->self, &axes_class);
    if (r) {
        if (r->index >= r->fig->fig->naxes) {
            lang_raise(L, LANG_E_VALUE, "this Axes was removed from its figure (clf)");
            return NULL;
        }
        return r->fig->fig->axes[r->index];
    }
    plot_figure *f = gcf(L);
    if (!f) return NULL;
    plot_axes *ax = plot_gca(f);
    if (!ax) lang_nomem(L);
    return ax;
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

static lang_value plt_suptitle(lang_state *L, const lang_args *a);
static lang_value plt_tight_layout(lang_state *L, const lang_args *a);
static lang_value figure_add_subplot(lang_state *L, const lang_args *a);
static lang_value plt_colorbar(lang_state *L, const lang_args *a);

static const lang_method figure_methods[] = {
    {"savefig", figure_savefig, "fig.savefig(fname)\nWrites the figure as SVG to fname (a .svg path).\n>>> fig.savefig('loss.svg')"},
    {"suptitle", plt_suptitle, "fig.suptitle(t, fontsize=None)\nSets a title centred above all subplots.\n>>> fig.suptitle('Samples')"},
    {"tight_layout", plt_tight_layout, "fig.tight_layout()\nSpaces the subplots so their labels do not overlap.\n>>> fig.tight_layout()"},
    {"add_subplot", figure_add_subplot, "fig.add_subplot(nrows, ncols, index)\nAdds (or returns) a subplot.\n>>> ax = fig.add_subplot(1, 2, 1)"},
    {"colorbar", plt_colorbar, "fig.colorbar(mappable)\nDraws a colour bar beside the image.\n>>> fig.colorbar(im)"},
    {NULL, NULL, NULL},
};

static const lang_class figure_class = {
    .name = "Figure",
    .doc = "A figure of Axes; shown as SVG. plt.figure() makes one, plt.gcf() returns the current one.",
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

/* The numbers of a range. 0, or -1 raised. */
static int range_numbers(lang_state *L, lang_value v, numvec *out) {
    lang_value it = iter_new(L, v), item;
    if (lv_is_err(it)) return -1;
    int64_t cap = 16;
    out->v = malloc((size_t)cap * sizeof(double));
    int r;
    while (out->v && (r = iter_next(L, it, &item)) == 1) {
        if (out->n == cap) {
            double *nv = realloc(out->v, (size_t)(cap *= 2) * sizeof(double));
            if (!nv) { free(out->v); out->v = NULL; lv_release(item); break; }
            out->v = nv;
        }
        out->v[out->n++] = lv_as_double(item);
        lv_release(item);
    }
    lv_release(it);
    if (!out->v) return lang_nomem(L), -1;
    if (r < 0) { free(out->v); out->v = NULL; return -1; }
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
    int64_t n = 0;
    lang_value *items = lv_seq_items(v, &n);
    if (!items && (v.type == LV_LIST || v.type == LV_TUPLE) && n == 0) { /* [] */
        out->v = malloc(sizeof(double));
        return out->v ? 0 : (lang_nomem(L), -1);
    }
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
    if (v.type == LV_RANGE) return range_numbers(L, v, out);
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
    plot_axes *f = target(L, a);
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
    plot_axes *f = target(L, a);
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
    plot_axes *f = target(L, a);
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
    plot_axes *f = target(L, a);
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

/* A fontsize= argument: points, or matplotlib's names ("small", "large"...). */
static int get_fontsize(lang_state *L, lang_value v, double *out) {
    if (lv_is_missing(v) || lv_is_none(v)) return 0;
    if (v.type == LV_STR) {
        static const struct { const char *name; double scale; } sizes[] = {
            {"xx-small", 0.579}, {"x-small", 0.694}, {"small", 0.833}, {"medium", 1.0},
            {"large", 1.2}, {"x-large", 1.44}, {"xx-large", 1.728}, {"larger", 1.2}, {"smaller", 0.833},
        };
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            if (!strcmp(lv_str_cstr(v), sizes[i].name)) { *out = 10 * sizes[i].scale; return 0; }
        return lang_fail(L, LANG_E_VALUE, "'%s' is not a valid font size; use points or one of 'xx-small', 'x-small', "
                         "'small', 'medium', 'large', 'x-large', 'xx-large'", lv_str_cstr(v));
    }
    if (lang_get_float(L, v, "fontsize", out) < 0) return -1;
    if (!(*out > 0 && *out < 1000)) return lang_fail(L, LANG_E_VALUE, "fontsize must be a positive number of points");
    return 0;
}

/* xlabel / ylabel / title (which 0, 1, 2), with fontsize= (size= too) and
 * matplotlib's other text keywords accepted. */
static lang_value set_label(lang_state *L, const lang_args *a, int which) {
    static const char *const allowed[] = {"fontsize|size", "loc", "pad", "labelpad", "fontweight|weight", "color", "y"};
    lang_value v[1], kw[7];
    lang_args pa = *a;
    pa.nkw = 0;
    if (lang_args_bind(L, &pa, "label", v) < 0) return lv_err();
    if (get_kwargs(L, a, allowed, 7, kw) < 0) return lv_err();
    double fs = 0;
    if (get_fontsize(L, kw[0], &fs) < 0) return lv_err();
    plot_axes *f = target(L, a);
    if (!f) return lv_err();
    char *s = get_text(L, v[0]);
    if (!s) return lv_err();
    int r = which == 0 ? plot_set_title(f, s) : which == 1 ? plot_set_xlabel(f, s) : plot_set_ylabel(f, s);
    free(s);
    if (fs > 0) *(which == 0 ? &f->title_fs : which == 1 ? &f->xlabel_fs : &f->ylabel_fs) = fs;
    return r < 0 ? lang_nomem(L) : lv_none();
}

static lang_value plt_xlabel(lang_state *L, const lang_args *a) { return set_label(L, a, 1); }
static lang_value plt_ylabel(lang_state *L, const lang_args *a) { return set_label(L, a, 2); }
static lang_value plt_title(lang_state *L, const lang_args *a) { return set_label(L, a, 0); }

/* matplotlib's legend location names, by code. */
static const char *const legend_locs[] = {
    "best", "upper right", "upper left", "lower left", "lower right", "right",
    "center left", "center right", "lower center", "upper center", "center",
};

static int get_legend_loc(lang_state *L, lang_value v, int *out) {
    if (lv_is_missing(v) || lv_is_none(v)) return 0;
    if (v.type == LV_STR) {
        for (int i = 0; i < 11; i++)
            if (!strcmp(lv_str_cstr(v), legend_locs[i])) { *out = i; return 0; }
    } else {
        int64_t k;
        if (lang_get_int(L, v, "loc", &k) < 0) return -1;
        if (k >= 0 && k <= 10) { *out = (int)k; return 0; }
    }
    return lang_fail(L, LANG_E_VALUE, "%s%s%s is not a valid value for loc; supported values are 'best', 'upper right', "
                     "'upper left', 'lower left', 'lower right', 'right', 'center left', 'center right', 'lower center', "
                     "'upper center', 'center' (or 0..10)", v.type == LV_STR ? "'" : "",
                     v.type == LV_STR ? lv_str_cstr(v) : "the number", v.type == LV_STR ? "'" : "");
}

/* legend() or legend(labels): labels name the series in order. */
static lang_value plt_legend(lang_state *L, const lang_args *a) {
    static const char *const allowed[] = {"loc", "fontsize", "frameon", "ncol|ncols", "title", "framealpha", "shadow",
                                          "bbox_to_anchor"};
    lang_value v[1], kw[8];
    lang_args pa = *a;
    pa.nkw = 0;
    if (lang_args_bind(L, &pa, "labels=", v) < 0) return lv_err();
    if (get_kwargs(L, a, allowed, 8, kw) < 0) return lv_err();
    double fs = 0;
    int loc = 0;
    if (get_fontsize(L, kw[1], &fs) < 0 || get_legend_loc(L, kw[0], &loc) < 0) return lv_err();
    plot_axes *f = target(L, a);
    if (!f) return lv_err();
    f->legend_loc = loc;
    if (fs > 0) f->legend_fs = fs;
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
    plot_axes *f = target(L, a);
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
    plot_axes *f = target(L, a);
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

/* figsize=(w, h) in inches; 0 x 0 when not given. 0, or -1 raised. */
static int get_figsize(lang_state *L, lang_value v, double *w, double *h) {
    if (lv_is_missing(v) || lv_is_none(v)) return 0;
    int64_t n;
    lang_value *items = lv_seq_items(v, &n);
    if (!items || n != 2) return lang_fail(L, LANG_E_VALUE, "figsize must be a (width, height) pair in inches");
    if (lang_get_float(L, items[0], "width", w) < 0 || lang_get_float(L, items[1], "height", h) < 0) return -1;
    if (!(*w > 0 && *h > 0 && *w < 1000 && *h < 1000))
        return lang_fail(L, LANG_E_VALUE, "figure size must be positive finite (and below 1000 inches), not (%g, %g)", *w, *h);
    return 0;
}

/* figure(figsize=(w, h), dpi=): a new current figure (dpi is accepted; SVG
 * has no pixels). */
static lang_value plt_figure(lang_state *L, const lang_args *a) {
    lang_value v[2];
    if (lang_args_bind(L, a, "figsize=, dpi=", v) < 0) return lv_err();
    double w = 0, h = 0;
    if (get_figsize(L, v[0], &w, &h) < 0) return lv_err();
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

/* ---- images ------------------------------------------------------------------------------------ */

/* The image artist imshow returns: the axes it was drawn on. */
static void axesref_free(void *p) {
    axesref *r = p;
    figref_drop(r->fig);
    free(r);
}

static char *image_repr(lang_state *L, lang_value self) {
    char *t = strdup("<matplotlib.image.AxesImage object>");
    if (!t) lang_nomem(L);
    return t;
}

static const lang_class image_class = {
    .name = "AxesImage", .doc = "The image drawn by imshow (pass it to plt.colorbar).", .free = axesref_free,
    .repr = image_repr,
};

/* A new reference to axes `index` of figure r (for Axes and AxesImage values). */
static lang_value axesref_value(lang_state *L, const lang_class *cls, figref *r, int index) {
    axesref *ar = malloc(sizeof *ar);
    if (!ar) return lang_nomem(L);
    ar->fig = r;
    ar->index = index;
    r->refs++;
    return lang_object_new(L, cls, ar);
}

/* The figref and index of the axes a call draws on (see target()). */
static int target_ref(lang_state *L, const lang_args *a, figref **fr, int *index) {
    axesref *r = lv_object_check(a->self, &axes_class);
    if (!target(L, a)) return -1; /* also checks that r's axes still exists */
    if (r) { *fr = r->fig; *index = r->index; return 0; }
    *fr = state(L)->cur;
    *index = (*fr)->fig->cur;
    return 0;
}

static int cmap_error(lang_state *L, const char *name) {
    fmtbuf b;
    fmtbuf_init(&b);
    for (int i = 0; plot_cmap_names[i]; i++) fmtbuf_printf(&b, "%s'%s'", i ? ", " : "", plot_cmap_names[i]);
    char *list = fmtbuf_take(&b);
    int r = lang_fail(L, LANG_E_VALUE, "'%s' is not a valid value for cmap; supported values are %s (and each with '_r')",
                      name, list ? list : "");
    free(list);
    return r;
}

/* imshow(X, cmap=, vmin=, vmax=, interpolation=, aspect=, origin=): X is
 * (M, N) data mapped through cmap, (M, N, 3) RGB or (M, N, 4) RGBA, with
 * 0..1 floats or 0..255 integers. */
static lang_value plt_imshow(lang_state *L, const lang_args *a) {
    lang_value v[9];
    if (lang_args_bind(L, a, "X, cmap=, norm=, aspect=, interpolation=, alpha=, vmin=, vmax=, origin=", v) < 0)
        return lv_err();
    /* cmap: a name, or a value whose str() is one (a colormap object) */
    char cmap[32] = "viridis";
    if (!lv_is_missing(v[1]) && !lv_is_none(v[1])) {
        char *name = get_text(L, v[1]);
        if (!name) return lv_err();
        int known = strlen(name) < sizeof cmap && plot_cmap_known(name);
        if (known) strcpy(cmap, name);
        else cmap_error(L, name);
        free(name);
        if (!known) return lv_err();
    }
    double lim[2] = { NAN, NAN };
    for (int i = 0; i < 2; i++)
        if (!lv_is_missing(v[6 + i]) && !lv_is_none(v[6 + i]) &&
            lang_get_float(L, v[6 + i], i ? "vmax" : "vmin", &lim[i]) < 0)
            return lv_err();
    if (!isnan(lim[0]) && !isnan(lim[1]) && lim[0] > lim[1]) return lang_raise(L, LANG_E_VALUE, "minvalue must be less than or equal to maxvalue");
    if (!lv_is_missing(v[4]) && !lv_is_none(v[4])) {
        const char *interp;
        if (lang_get_str(L, v[4], "interpolation", &interp) < 0) return lv_err();
        static const char *const ok[] = {"antialiased", "none", "nearest", "bilinear", "bicubic", "spline16", "spline36",
                                         "hanning", "hamming", "hermite", "kaiser", "quadric", "catrom", "gaussian",
                                         "bessel", "mitchell", "sinc", "lanczos", "blackman", "auto", NULL};
        int found = 0;
        for (int i = 0; ok[i]; i++) found |= !strcmp(interp, ok[i]);
        if (!found) return lang_raise(L, LANG_E_VALUE, "'%s' is not a valid value for interpolation; supported values are "
                                      "'antialiased', 'none', 'nearest', 'bilinear', 'bicubic', 'spline16', 'spline36', "
                                      "'hanning', 'hamming', 'hermite', 'kaiser', 'quadric', 'catrom', 'gaussian', 'bessel', "
                                      "'mitchell', 'sinc', 'lanczos', 'blackman'", interp);
    }
    if (!lv_is_missing(v[8]) && !lv_is_none(v[8])) {
        const char *origin;
        if (lang_get_str(L, v[8], "origin", &origin) < 0) return lv_err();
        if (strcmp(origin, "upper")) return lang_raise(L, LANG_E_VALUE, "origin='%s' is not supported; images are drawn with origin='upper'", origin);
    }
    int aspect_auto = 0;
    if (!lv_is_missing(v[3]) && !lv_is_none(v[3])) {
        double ratio;
        if (v[3].type == LV_STR && !strcmp(lv_str_cstr(v[3]), "auto")) aspect_auto = 1;
        else if (v[3].type == LV_STR && !strcmp(lv_str_cstr(v[3]), "equal")) aspect_auto = 0;
        else if (v[3].type == LV_STR || lang_get_float(L, v[3], "aspect", &ratio) < 0 || ratio != 1) {
            lang_error_clear(L);
            return lang_raise(L, LANG_E_VALUE, "aspect must be 'equal' or 'auto' (or 1)");
        }
    }
    rt_array *arr = v[0].type == LV_ARRAY ? v[0].u.a : NULL;
    if (arr) arr = rt_array_retain(arr);
    else if (!(arr = lang_to_array(L, v[0], -1, "X"))) return lv_err();
    int nd = arr->ndim;
    int ok = nd == 2 || (nd == 3 && (arr->shape[2] == 3 || arr->shape[2] == 4));
    if (!ok || arr->size == 0) {
        char shp[64];
        rt_format_shape(arr->shape, arr->ndim, shp, sizeof shp);
        rt_array_release(arr);
        return lang_raise(L, LANG_E_TYPE, "Invalid shape %s for image data", shp);
    }
    int is_int = arr->dtype != RT_FLOAT32 && arr->dtype != RT_FLOAT64;
    double *data = malloc((size_t)arr->size * sizeof(double));
    if (!data) { rt_array_release(arr); return lang_nomem(L); }
    if (rt_to_host(arr, RT_FLOAT64, data) != RT_OK) { free(data); rt_array_release(arr); return lang_raise_rt(L); }
    int64_t h = arr->shape[0], w = arr->shape[1], ch = nd == 3 ? arr->shape[2] : 1;
    rt_array_release(arr);
    figref *fr;
    int idx;
    if (target_ref(L, a, &fr, &idx) < 0) { free(data); return lv_err(); }
    if (!plot_png_available()) {
        free(data);
        return lang_raise(L, LANG_E_VALUE, "imshow needs libpng, and this build of C-GPU was made without it "
                          "(install libpng-dev and rebuild)");
    }
    plot_axes *ax = fr->fig->axes[idx];
    int r;
    if (nd == 2) {
        r = plot_imshow_scalar(ax, data, h, w, cmap, lim[0], lim[1]);
    } else {
        int clipped = 0;
        for (int64_t i = 0; i < h * w * ch; i++)
            if (!(data[i] >= 0 && data[i] <= (is_int ? 255 : 1))) clipped = 1;
        if (clipped) {
            static const char warn[] = "Clipping input data to the valid range for imshow with RGB data ([0..1] for floats or [0..255] for integers).\n";
            lang_write(L, "stderr", warn, sizeof warn - 1);
        }
        r = plot_imshow_rgb(ax, data, h, w, (int)ch, is_int);
    }
    free(data);
    if (r < 0) return lang_nomem(L);
    ax->aspect_auto = aspect_auto;
    return axesref_value(L, &image_class, fr, idx);
}

/* colorbar(mappable=None, ax=None): a colour bar beside an image. */
static lang_value plt_colorbar(lang_state *L, const lang_args *a) {
    static const char *const allowed[] = {"ax", "cax", "fraction", "pad", "shrink", "aspect", "orientation", "label"};
    lang_value v[1], kw[8];
    lang_args pa = *a;
    pa.nkw = 0;
    if (lang_args_bind(L, &pa, "mappable=", v) < 0) return lv_err();
    if (get_kwargs(L, a, allowed, 8, kw) < 0) return lv_err();
    axesref *r = lv_is_missing(v[0]) ? NULL : lv_object_check(v[0], &image_class);
    if (!r && !lv_is_missing(kw[0])) r = lv_object_check(kw[0], &axes_class);
    plot_axes *ax;
    if (r) {
        if (r->index >= r->fig->fig->naxes) return lang_raise(L, LANG_E_VALUE, "this image's Axes was cleared");
        ax = r->fig->fig->axes[r->index];
    } else if (!lv_is_missing(v[0]) && !lv_is_none(v[0])) {
        return lang_raise(L, LANG_E_TYPE, "colorbar() expects the image imshow returned, not %s", lv_type_name(v[0]));
    } else if (!(ax = target(L, a))) {
        return lv_err();
    }
    if (!ax->image)
        return lang_raise(L, LANG_E_VALUE, "No mappable was found to use for colorbar creation. First define a mappable "
                          "such as an image (with imshow)");
    ax->colorbar = 1;
    return lv_none();
}

/* ---- axes decorations: axis("off"), ticks ----------------------------------------------------------- */

static lang_value plt_axis(lang_state *L, const lang_args *a) {
    lang_value v[1];
    if (lang_args_bind(L, a, "arg=", v) < 0) return lv_err();
    plot_axes *ax = target(L, a);
    if (!ax) return lv_err();
    if (lv_is_missing(v[0]) || lv_is_none(v[0])) return lv_none();
    if (v[0].type == LV_BOOL) { ax->axis_off = !v[0].u.b; return lv_none(); }
    if (v[0].type != LV_STR) {
        int64_t n;
        lang_value *items = lv_seq_items(v[0], &n);
        double d[4];
        if (!items || n != 4) return lang_raise(L, LANG_E_TYPE, "axis() takes 'on', 'off', 'equal', ... or [xmin, xmax, ymin, ymax]");
        for (int i = 0; i < 4; i++)
            if (lang_get_float(L, items[i], "limit", &d[i]) < 0) return lv_err();
        plot_set_xlim(ax, d[0], d[1]);
        plot_set_ylim(ax, d[2], d[3]);
        return lv_none();
    }
    const char *s = lv_str_cstr(v[0]);
    static const char *const accepted[] = {"equal", "scaled", "tight", "auto", "image", "square", NULL};
    if (!strcmp(s, "off")) { ax->axis_off = 1; return lv_none(); }
    if (!strcmp(s, "on")) { ax->axis_off = 0; return lv_none(); }
    for (int i = 0; accepted[i]; i++)
        if (!strcmp(s, accepted[i])) return lv_none();
    return lang_raise(L, LANG_E_VALUE, "Unrecognized string '%s' to axis; try 'on' or 'off'", s);
}

/* xticks(ticks=None, labels=None, rotation=, fontsize=) and the Axes'
 * set_xticks(ticks, labels=) / set_xticklabels(labels): ticks [] hides them. */
static lang_value set_ticks(lang_state *L, const lang_args *a, int y, int labels_only) {
    const char *fname = a->fname ? a->fname : y ? "yticks" : "xticks";
    lang_value v[2] = { lv_missing(), lv_missing() }, kw[2] = { lv_missing(), lv_missing() };
    int maxpos = labels_only ? 1 : 2;
    if (a->n > maxpos) return lang_raise(L, LANG_E_TYPE, "%s() takes at most %d positional arguments (%d given)", fname, maxpos, a->n);
    for (int i = 0; i < a->n; i++) v[labels_only ? 1 : i] = a->v[i];
    for (int k = 0; k < a->nkw; k++) {
        const char *name = a->kwname[k];
        if (!strcmp(name, "ticks") && !labels_only) v[0] = a->kw[k];
        else if (!strcmp(name, "labels")) v[1] = a->kw[k];
        else if (!strcmp(name, "rotation")) kw[0] = a->kw[k];
        else if (!strcmp(name, "fontsize") || !strcmp(name, "size")) kw[1] = a->kw[k];
        else if (strcmp(name, "ha") && strcmp(name, "horizontalalignment") && strcmp(name, "minor"))
            return lang_raise(L, LANG_E_TYPE, "%s() got an unexpected keyword argument '%s'", fname, name);
    }
    plot_axes *ax = target(L, a);
    if (!ax) return lv_err();
    plot_fixed_ticks *t = y ? &ax->yticks : &ax->xticks;
    double fs = 0, rot = 0;
    if (get_fontsize(L, kw[1], &fs) < 0) return lv_err();
    if (!lv_is_missing(kw[0]) && !lv_is_none(kw[0])) {
        if (kw[0].type == LV_STR) {
            const char *r = lv_str_cstr(kw[0]);
            if (!strcmp(r, "vertical")) rot = 90;
            else if (strcmp(r, "horizontal")) return lang_raise(L, LANG_E_VALUE, "rotation must be a number of degrees, 'vertical' or 'horizontal'");
        } else if (lang_get_float(L, kw[0], "rotation", &rot) < 0) {
            return lv_err();
        }
        t->rotation = fmod(rot, 360);
    }
    if (fs > 0) *(y ? &ax->ytick_fs : &ax->xtick_fs) = fs;
    lang_value ticks = v[0], labels = v[1];
    int have_ticks = !lv_is_missing(ticks) && !lv_is_none(ticks);
    int have_labels = !lv_is_missing(labels) && !lv_is_none(labels);
    if (!have_ticks && !have_labels) return lv_none();
    numvec tv = {0};
    if (have_ticks && get_numbers(L, ticks, "ticks", &tv) < 0) return lv_err();
    int64_t nl = 0;
    lang_value *litems = NULL;
    if (have_labels && !(litems = lv_seq_items(labels, &nl))) {
        free(tv.v);
        return lang_raise(L, LANG_E_TYPE, "labels must be a list of strings, not %s", lv_type_name(labels));
    }
    if (!have_ticks) { /* labels for the ticks already fixed */
        if (!t->fixed) return lang_raise(L, LANG_E_VALUE, "set the tick positions first (xticks(ticks, labels)); "
                                         "automatic ticks cannot take fixed labels");
        tv.v = malloc((size_t)(t->n > 0 ? t->n : 1) * sizeof(double));
        if (!tv.v) return lang_nomem(L);
        memcpy(tv.v, t->pos, (size_t)t->n * sizeof(double));
        tv.n = t->n;
        tv.cols = 1;
    }
    int64_t n = tv.n * tv.cols;
    if (have_labels && nl != n) {
        free(tv.v);
        return lang_raise(L, LANG_E_VALUE, "The number of FixedLocator locations (%lld), usually from a call to set_ticks, "
                          "does not match the number of labels (%lld).", (long long)n, (long long)nl);
    }
    if (n > 1000) { free(tv.v); return lang_raise(L, LANG_E_VALUE, "too many ticks (%lld, at most 1000)", (long long)n); }
    char **labs = NULL;
    int failed = 0;
    if (have_labels) {
        labs = calloc((size_t)(n > 0 ? n : 1), sizeof *labs);
        failed = !labs;
        for (int64_t i = 0; i < n && !failed; i++) failed = !(labs[i] = get_text(L, litems[i]));
    }
    if (!failed && plot_set_ticks(t, tv.v, (const char *const *)labs, (int)n) < 0) { failed = 1; lang_nomem(L); }
    for (int64_t i = 0; labs && i < n; i++) free(labs[i]);
    free(labs);
    free(tv.v);
    if (failed) return lang_error_pending(L) ? lv_err() : lang_nomem(L);
    return lv_none();
}

static lang_value plt_xticks(lang_state *L, const lang_args *a) { return set_ticks(L, a, 0, 0); }
static lang_value plt_yticks(lang_state *L, const lang_args *a) { return set_ticks(L, a, 1, 0); }
static lang_value ax_set_xticklabels(lang_state *L, const lang_args *a) { return set_ticks(L, a, 0, 1); }
static lang_value ax_set_yticklabels(lang_state *L, const lang_args *a) { return set_ticks(L, a, 1, 1); }

/* ---- subplots ----------------------------------------------------------------------------------------- */

static char *axes_repr(lang_state *L, lang_value self) {
    axesref *r = lv_object_data(self);
    plot_axes *ax = r->index < r->fig->fig->naxes ? r->fig->fig->axes[r->index] : NULL;
    char *t = ax ? lang_strdupf("<Axes: subplot(%d, %d, %d)>", ax->rows, ax->cols, ax->index) : strdup("<Axes (cleared)>");
    if (!t) lang_nomem(L);
    return t;
}

/* The figure a figure-level call works on: the receiver of a Figure
 * method, else the current figure. */
static figref *target_figure(lang_state *L, const lang_args *a) {
    figref *r = lv_object_check(a->self, &figure_class);
    if (r) return r;
    if (!gcf(L)) return NULL;
    return state(L)->cur;
}

/* subplot(nrows, ncols, index) or subplot(231) on figure r: the Axes. */
static lang_value subplot_on(lang_state *L, figref *r, const lang_args *a) {
    lang_value v[3];
    if (lang_args_bind(L, a, "nrows=, ncols=, index=", v) < 0) return lv_err();
    int64_t g[3] = { 1, 1, 1 };
    int given = !lv_is_missing(v[0]) + !lv_is_missing(v[1]) + !lv_is_missing(v[2]);
    for (int i = 0; i < 3; i++)
        if (!lv_is_missing(v[i]) && lang_get_int(L, v[i], i == 0 ? "nrows" : i == 1 ? "ncols" : "index", &g[i]) < 0) return lv_err();
    if (given == 1) {
        int64_t code = g[0];
        if (code < 111 || code > 999)
            return lang_raise(L, LANG_E_VALUE, "Integer subplot specification must be a three-digit number, not %lld", (long long)code);
        g[0] = code / 100;
        g[1] = code / 10 % 10;
        g[2] = code % 10;
    } else if (given == 2) {
        return lang_raise(L, LANG_E_TYPE, "subplot() takes 1 or 3 positional arguments but 2 were given");
    }
    if (g[0] < 1 || g[1] < 1 || g[0] > PLOT_MAX_GRID || g[1] > PLOT_MAX_GRID)
        return lang_raise(L, LANG_E_VALUE, "Number of rows and columns must be between 1 and %d, not (%lld, %lld)", PLOT_MAX_GRID,
                          (long long)g[0], (long long)g[1]);
    if (g[2] < 1 || g[2] > g[0] * g[1])
        return lang_raise(L, LANG_E_VALUE, "num must be an integer with 1 <= num <= %lld, not %lld", (long long)(g[0] * g[1]),
                          (long long)g[2]);
    if (!plot_subplot(r->fig, (int)g[0], (int)g[1], (int)g[2])) return lang_nomem(L);
    return axesref_value(L, &axes_class, r, r->fig->cur);
}

static lang_value plt_subplot(lang_state *L, const lang_args *a) {
    figref *r = target_figure(L, a);
    return r ? subplot_on(L, r, a) : lv_err();
}

/* A grid of Axes as subplots returns it when it has several rows and
 * columns: axes[i, j], axes[i] (a row, as a tuple), axes.flat, ravel(),
 * shape. Owns a reference to its figure. */
typedef struct {
    figref *fig;
    int     rows, cols;
    int    *index;        /* rows * cols axes indices, row-major */
} axesgrid;

static void axesgrid_free(void *p) {
    axesgrid *g = p;
    figref_drop(g->fig);
    free(g->index);
    free(g);
}

static lang_value grid_cell(lang_state *L, axesgrid *g, int64_t i, int64_t j) {
    return axesref_value(L, &axes_class, g->fig, g->index[i * g->cols + j]);
}

/* A tuple of Axes: cells [from, from + n) step `step`. */
static lang_value grid_tuple(lang_state *L, axesgrid *g, int64_t from, int64_t n, int64_t step) {
    lang_value *items = calloc((size_t)(n > 0 ? n : 1), sizeof *items);
    if (!items) return lang_nomem(L);
    int64_t k = 0;
    for (; k < n; k++) {
        items[k] = axesref_value(L, &axes_class, g->fig, g->index[from + k * step]);
        if (lv_is_err(items[k])) break;
    }
    lang_value t = k == n ? lv_tuple_of((size_t)n, items) : lv_err();
    for (int64_t i = 0; i < k; i++) lv_release(items[i]);
    free(items);
    if (k == n && lv_is_err(t)) return lang_nomem(L);
    return t;
}

static int grid_index(lang_state *L, lang_value v, int64_t n, int64_t *out) {
    if (lang_get_int(L, v, "index", out) < 0) return -1;
    if (*out < 0) *out += n;
    if (*out < 0 || *out >= n) return lang_fail(L, LANG_E_INDEX, "index %lld is out of bounds for axis with size %lld", (long long)*out, (long long)n);
    return 0;
}

static lang_value axesgrid_getitem(lang_state *L, lang_value self, lang_value key) {
    axesgrid *g = lv_object_data(self);
    int64_t n;
    lang_value *items = key.type == LV_TUPLE ? lv_seq_items(key, &n) : NULL;
    int64_t i, j;
    if (items) {
        if (n != 2) return lang_raise(L, LANG_E_INDEX, "too many indices for array: array is 2-dimensional, but %lld were indexed", (long long)n);
        if (grid_index(L, items[0], g->rows, &i) < 0 || grid_index(L, items[1], g->cols, &j) < 0) return lv_err();
        return grid_cell(L, g, i, j);
    }
    if (grid_index(L, key, g->rows, &i) < 0) return lv_err();
    return grid_tuple(L, g, i * g->cols, g->cols, 1);
}

static int64_t axesgrid_len(lang_state *L, lang_value self) {
    return ((axesgrid *)lv_object_data(self))->rows;
}

static lang_value axesgrid_getattr(lang_state *L, lang_value self, const char *name) {
    axesgrid *g = lv_object_data(self);
    if (!strcmp(name, "flat")) return grid_tuple(L, g, 0, (int64_t)g->rows * g->cols, 1);
    if (!strcmp(name, "shape")) {
        lang_value t[2] = { lv_int(g->rows), lv_int(g->cols) };
        lang_value r = lv_tuple_of(2, t);
        return lv_is_err(r) ? lang_nomem(L) : r;
    }
    if (!strcmp(name, "T")) return lang_raise(L, LANG_E_ATTRIBUTE, "axes.T is not supported; index axes[i, j] instead");
    return lv_missing();
}

static lang_value axesgrid_ravel(lang_state *L, const lang_args *a) {
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    axesgrid *g = lv_object_data(a->self);
    return grid_tuple(L, g, 0, (int64_t)g->rows * g->cols, 1);
}

static char *axesgrid_repr(lang_state *L, lang_value self) {
    axesgrid *g = lv_object_data(self);
    char *t = lang_strdupf("array of Axes, shape=(%d, %d)", g->rows, g->cols);
    if (!t) lang_nomem(L);
    return t;
}

static const lang_method axesgrid_methods[] = {
    {"ravel", axesgrid_ravel, "axes.ravel()\nThe Axes in row-major order, as a tuple.\n>>> for ax in axes.ravel(): ax.axis('off')"},
    {"flatten", axesgrid_ravel, "axes.flatten()\nThe Axes in row-major order, as a tuple.\n>>> ax1, ax2, ax3, ax4 = axes.flatten()"},
    {NULL, NULL, NULL},
};

static const char *const axesgrid_attrs[] = {"flat", "shape", NULL};

static const lang_class axesgrid_class = {
    .name = "AxesArray",
    .doc = "The Axes of plt.subplots(rows, cols): axes[i, j], axes[i] (a row), axes.flat, axes.ravel(), axes.shape.",
    .free = axesgrid_free,
    .repr = axesgrid_repr,
    .methods = axesgrid_methods,
    .attrs = axesgrid_attrs,
    .getattr = axesgrid_getattr,
    .getitem = axesgrid_getitem,
    .len = axesgrid_len,
};

/* subplots(nrows=1, ncols=1, figsize=, squeeze=True, ...): (fig, axes). */
static lang_value plt_subplots(lang_state *L, const lang_args *a) {
    lang_value v[8];
    if (lang_args_bind(L, a, "nrows=, ncols=, sharex=, sharey=, squeeze=, figsize=, dpi=, constrained_layout=", v) < 0)
        return lv_err();
    int64_t rc[2] = { 1, 1 };
    for (int i = 0; i < 2; i++)
        if (!lv_is_missing(v[i]) && lang_get_int(L, v[i], i ? "ncols" : "nrows", &rc[i]) < 0) return lv_err();
    if (rc[0] < 1 || rc[1] < 1 || rc[0] > PLOT_MAX_GRID || rc[1] > PLOT_MAX_GRID)
        return lang_raise(L, LANG_E_VALUE, "Number of rows and columns must be between 1 and %d, not (%lld, %lld)", PLOT_MAX_GRID,
                          (long long)rc[0], (long long)rc[1]);
    int squeeze = 1;
    if (!lv_is_missing(v[4]) && lang_get_bool(L, v[4], "squeeze", &squeeze) < 0) return lv_err();
    double w = 0, h = 0;
    if (get_figsize(L, v[5], &w, &h) < 0) return lv_err();
    figref *r = new_figure(L, w, h);
    if (!r) return lv_err();
    if (!lv_is_missing(v[7]) && !lv_is_none(v[7]) && lang_get_bool(L, v[7], "constrained_layout", &r->fig->tight) < 0) return lv_err();
    axesgrid *g = calloc(1, sizeof *g);
    int n = (int)(rc[0] * rc[1]);
    if (g) g->index = malloc((size_t)n * sizeof *g->index);
    if (!g || !g->index) { if (g) free(g); return lang_nomem(L); }
    g->fig = r;
    r->refs++;
    g->rows = (int)rc[0];
    g->cols = (int)rc[1];
    for (int i = 0; i < n; i++) {
        if (!plot_subplot(r->fig, g->rows, g->cols, i + 1)) { axesgrid_free(g); return lang_nomem(L); }
        g->index[i] = r->fig->cur;
    }
    lang_value axes;
    if (squeeze && n == 1) axes = grid_cell(L, g, 0, 0);
    else if (squeeze && (g->rows == 1 || g->cols == 1)) axes = grid_tuple(L, g, 0, n, 1);
    else { axes = lang_object_new(L, &axesgrid_class, g); g = NULL; }
    if (g) axesgrid_free(g);
    if (lv_is_err(axes)) return lv_err();
    lang_value items[2] = { figure_value(L, r), axes };
    if (lv_is_err(items[0])) { lv_release(axes); return lv_err(); }
    lang_value t = lv_tuple_of(2, items);
    lv_release(items[0]);
    lv_release(items[1]);
    return lv_is_err(t) ? lang_nomem(L) : t;
}

static lang_value plt_suptitle(lang_state *L, const lang_args *a) {
    static const char *const allowed[] = {"fontsize|size", "fontweight|weight", "y", "x"};
    lang_value v[1], kw[4];
    lang_args pa = *a;
    pa.nkw = 0;
    if (lang_args_bind(L, &pa, "t", v) < 0) return lv_err();
    if (get_kwargs(L, a, allowed, 4, kw) < 0) return lv_err();
    double fs = 0;
    if (get_fontsize(L, kw[0], &fs) < 0) return lv_err();
    figref *r = target_figure(L, a);
    if (!r) return lv_err();
    char *s = get_text(L, v[0]);
    if (!s) return lv_err();
    int rc = plot_suptitle(r->fig, s, fs);
    free(s);
    return rc < 0 ? lang_nomem(L) : lv_none();
}

/* tight_layout(pad=, h_pad=, w_pad=, rect=): room for every label. */
static lang_value plt_tight_layout(lang_state *L, const lang_args *a) {
    lang_value v[4];
    if (lang_args_bind(L, a, "pad=, h_pad=, w_pad=, rect=", v) < 0) return lv_err();
    figref *r = target_figure(L, a);
    if (!r) return lv_err();
    r->fig->tight = 1;
    return lv_none();
}

static lang_value figure_add_subplot(lang_state *L, const lang_args *a) {
    return subplot_on(L, lv_object_data(a->self), a);
}

/* gca(): the current Axes (made when there is none). */
static lang_value plt_gca(lang_state *L, const lang_args *a) {
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    figref *r;
    int idx;
    if (target_ref(L, a, &r, &idx) < 0) return lv_err();
    return axesref_value(L, &axes_class, r, idx);
}

/* tick_params(axis='both', labelsize=, labelrotation=): tick label size
 * and rotation (the other matplotlib keywords are not drawn). */
static lang_value plt_tick_params(lang_state *L, const lang_args *a) {
    lang_value v[4];
    if (lang_args_bind(L, a, "axis=, which=, labelsize=, labelrotation=", v) < 0) return lv_err();
    const char *axis = "both";
    if (!lv_is_missing(v[0]) && lang_get_str(L, v[0], "axis", &axis) < 0) return lv_err();
    if (strcmp(axis, "x") && strcmp(axis, "y") && strcmp(axis, "both"))
        return lang_raise(L, LANG_E_VALUE, "axis must be 'x', 'y' or 'both', not '%s'", axis);
    double fs = 0, rot = NAN;
    if (get_fontsize(L, v[2], &fs) < 0) return lv_err();
    if (!lv_is_missing(v[3]) && lang_get_float(L, v[3], "labelrotation", &rot) < 0) return lv_err();
    plot_axes *ax = target(L, a);
    if (!ax) return lv_err();
    for (int y = 0; y < 2; y++) {
        if (strcmp(axis, "both") && axis[0] != (y ? 'y' : 'x')) continue;
        if (fs > 0) *(y ? &ax->ytick_fs : &ax->xtick_fs) = fs;
        if (!isnan(rot)) (y ? &ax->yticks : &ax->xticks)->rotation = fmod(rot, 360);
    }
    return lv_none();
}

static const lang_method axes_methods[] = {
    {"plot", plt_plot, "ax.plot([x], y, [fmt], label=, color=, ...)\nDraws a line on this Axes (as plt.plot).\n>>> ax.plot(loss, label='loss')"},
    {"scatter", plt_scatter, "ax.scatter(x, y, s=, c=, marker=, label=)\nDraws markers on this Axes.\n>>> ax.scatter(x, y)"},
    {"bar", plt_bar, "ax.bar(x, height, width=0.8)\nDraws bars on this Axes.\n>>> ax.bar(['a', 'b'], [1, 2])"},
    {"hist", plt_hist, "ax.hist(x, bins=10)\nDraws a histogram on this Axes.\n>>> ax.hist(randn(100))"},
    {"imshow", plt_imshow, "ax.imshow(X, cmap='viridis', vmin=, vmax=)\nShows an image on this Axes.\n>>> ax.imshow(img, cmap='gray')"},
    {"set_title", plt_title, "ax.set_title(label, fontsize=)\nSets the title above this Axes.\n>>> ax.set_title('digit 7')"},
    {"set_xlabel", plt_xlabel, "ax.set_xlabel(label, fontsize=)\nSets the x-axis label.\n>>> ax.set_xlabel('epoch')"},
    {"set_ylabel", plt_ylabel, "ax.set_ylabel(label, fontsize=)\nSets the y-axis label.\n>>> ax.set_ylabel('loss')"},
    {"set_xlim", plt_xlim, "ax.set_xlim(low, high)\nFixes the x-axis range.\n>>> ax.set_xlim(0, 10)"},
    {"set_ylim", plt_ylim, "ax.set_ylim(low, high)\nFixes the y-axis range.\n>>> ax.set_ylim(0, 1)"},
    {"legend", plt_legend, "ax.legend([labels], loc=, fontsize=)\nShows a legend of the labelled series.\n>>> ax.legend(loc='upper right')"},
    {"grid", plt_grid, "ax.grid([visible])\nShows grid lines at the ticks.\n>>> ax.grid(True)"},
    {"axis", plt_axis, "ax.axis('off' | 'on')\nHides (or shows) the frame, ticks and labels.\n>>> ax.axis('off')"},
    {"set_xticks", plt_xticks, "ax.set_xticks(ticks, labels=None)\nFixes the x ticks ([] hides them).\n>>> ax.set_xticks([])"},
    {"set_yticks", plt_yticks, "ax.set_yticks(ticks, labels=None)\nFixes the y ticks ([] hides them).\n>>> ax.set_yticks([])"},
    {"set_xticklabels", ax_set_xticklabels, "ax.set_xticklabels(labels, rotation=)\nLabels the fixed x ticks.\n>>> ax.set_xticklabels(['a', 'b'])"},
    {"tick_params", plt_tick_params, "ax.tick_params(axis='both', labelsize=None, labelrotation=None)\nSizes and turns the tick labels.\n>>> ax.tick_params(labelsize=8)"},
    {"set_yticklabels", ax_set_yticklabels, "ax.set_yticklabels(labels)\nLabels the fixed y ticks.\n>>> ax.set_yticklabels(['lo', 'hi'])"},
    {NULL, NULL, NULL},
};

static const lang_class axes_class = {
    .name = "Axes",
    .doc = "One subplot of a figure: ax.plot, ax.imshow, ax.set_title, ax.axis('off'), ... (as plt's functions).",
    .free = axesref_free,
    .repr = axes_repr,
    .methods = axes_methods,
};

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
    {"xlabel", plt_xlabel, "xlabel(label, fontsize=None)\nSets the x-axis label.\n>>> plt.xlabel('Epoch Number')"},
    {"ylabel", plt_ylabel, "ylabel(label, fontsize=None)\nSets the y-axis label.\n>>> plt.ylabel('Loss Magnitude')"},
    {"title", plt_title, "title(label, fontsize=None)\nSets the title above the axes.\n>>> plt.title('Training loss', fontsize=14)"},
    {"legend", plt_legend,
     "legend([labels], loc='best', fontsize=None)\nShows a legend of the labelled series ('best': where it hides the least data).\n"
     ">>> plt.legend(loc='upper right', fontsize=10)"},
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
    {"imshow", plt_imshow,
     "imshow(X, cmap='viridis', vmin=None, vmax=None, interpolation=None)\n"
     "Shows a 2-D array through a colormap, or an (M, N, 3) RGB / (M, N, 4) RGBA image (0..1 floats or 0..255 integers).\n"
     ">>> plt.imshow(x_train[0], cmap='gray')"},
    {"colorbar", plt_colorbar, "colorbar([mappable])\nDraws a colour bar with its scale beside the current image.\n>>> plt.colorbar()"},
    {"subplot", plt_subplot,
     "subplot(nrows, ncols, index)\nMakes the subplot at index (1-based, row by row) of an nrows x ncols grid current; subplot(231) too.\n"
     ">>> plt.subplot(2, 3, 1)"},
    {"subplots", plt_subplots,
     "subplots(nrows=1, ncols=1, figsize=None, squeeze=True)\n"
     "Starts a figure with a grid of Axes and returns (fig, axes): one Axes, a tuple for one row or column, else a 2-D grid.\n"
     ">>> fig, axes = plt.subplots(2, 5, figsize=(10, 4))"},
    {"suptitle", plt_suptitle, "suptitle(t, fontsize=None)\nSets a title centred above all subplots.\n>>> plt.suptitle('Samples', fontsize=16)"},
    {"tight_layout", plt_tight_layout,
     "tight_layout()\nSpaces the subplots so that titles, tick labels and axis labels do not overlap.\n>>> plt.tight_layout()"},
    {"axis", plt_axis, "axis('off' | 'on')\nHides (or shows) the current Axes' frame, ticks and labels.\n>>> plt.axis('off')"},
    {"xticks", plt_xticks,
     "xticks(ticks=None, labels=None, rotation=0, fontsize=None)\nFixes the x ticks and their labels ([] hides them).\n"
     ">>> plt.xticks([0, 1, 2], ['a', 'b', 'c'], rotation=45)"},
    {"gca", plt_gca, "gca()\nReturns the current Axes (a new one if there is none).\n>>> ax = plt.gca()"},
    {"tick_params", plt_tick_params,
     "tick_params(axis='both', labelsize=None, labelrotation=None)\nSizes and turns the tick labels of the current Axes.\n"
     ">>> plt.tick_params(axis='x', labelrotation=45)"},
    {"yticks", plt_yticks, "yticks(ticks=None, labels=None, fontsize=None)\nFixes the y ticks and their labels ([] hides them).\n>>> plt.yticks([])"},
    {NULL, NULL, NULL},
};

void lang_init_plot(lang_state *L) {
    pltstate *st = calloc(1, sizeof *st);
    if (!st) return;
    lang_ext_set(L, "plot", st, pltstate_free);
    lang_value m = lang_module_new(L, "plt", plt_functions,
                                   "plt: plotting in the style of matplotlib.pyplot (plot, scatter, bar, hist, imshow, "
                                   "subplots, labels, legend, grid, figure, show); figures display as SVG.");
    if (lv_is_err(m)) { lang_error_clear(L); return; }
    lang_register_value(L, "plt", m, "plotting (matplotlib.pyplot style): plt.plot(y), plt.xlabel(...), plt.show()");
    lv_release(m);
    lang_on_cell_end(L, flush_figures, NULL);
}
