/* plot.c — the figure model: series, colors, format strings, histogram
 * bins, tick positions and tick labels (matplotlib's MaxNLocator and
 * ScalarFormatter). Drawing is in plot_svg.c. */
#include "plot.h"
#include "numfmt.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- colors ----------------------------------------------------------------- */

static const char *const tab10[10] = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
};

const char *plot_cycle_color(int i) {
    i %= 10;
    if (i < 0) i += 10;
    return tab10[i];
}

static const struct { const char *name, *hex; } named_colors[] = {
    /* matplotlib's single letters */
    {"b", "#0000ff"}, {"g", "#008000"}, {"r", "#ff0000"}, {"c", "#00bfbf"},
    {"m", "#bf00bf"}, {"y", "#bfbf00"}, {"k", "#000000"}, {"w", "#ffffff"},
    /* Tableau */
    {"tab:blue", "#1f77b4"}, {"tab:orange", "#ff7f0e"}, {"tab:green", "#2ca02c"},
    {"tab:red", "#d62728"}, {"tab:purple", "#9467bd"}, {"tab:brown", "#8c564b"},
    {"tab:pink", "#e377c2"}, {"tab:gray", "#7f7f7f"}, {"tab:grey", "#7f7f7f"},
    {"tab:olive", "#bcbd22"}, {"tab:cyan", "#17becf"},
    /* common CSS4 names */
    {"black", "#000000"}, {"white", "#ffffff"}, {"red", "#ff0000"}, {"green", "#008000"},
    {"blue", "#0000ff"}, {"orange", "#ffa500"}, {"purple", "#800080"}, {"gray", "#808080"},
    {"grey", "#808080"}, {"brown", "#a52a2a"}, {"pink", "#ffc0cb"}, {"olive", "#808000"},
    {"cyan", "#00ffff"}, {"magenta", "#ff00ff"}, {"yellow", "#ffff00"}, {"navy", "#000080"},
    {"teal", "#008080"}, {"gold", "#ffd700"}, {"lime", "#00ff00"}, {"maroon", "#800000"},
    {"silver", "#c0c0c0"}, {"darkblue", "#00008b"}, {"darkgreen", "#006400"},
    {"darkred", "#8b0000"}, {"darkorange", "#ff8c00"}, {"lightblue", "#add8e6"},
    {"lightgreen", "#90ee90"}, {"lightgray", "#d3d3d3"}, {"lightgrey", "#d3d3d3"},
    {"darkgray", "#a9a9a9"}, {"darkgrey", "#a9a9a9"}, {"skyblue", "#87ceeb"},
    {"steelblue", "#4682b4"}, {"salmon", "#fa8072"}, {"violet", "#ee82ee"},
    {"indigo", "#4b0082"}, {"crimson", "#dc143c"}, {"coral", "#ff7f50"}, {"orchid", "#da70d6"},
    {"tan", "#d2b48c"}, {"turquoise", "#40e0d0"}, {"tomato", "#ff6347"}, {"khaki", "#f0e68c"},
    {"seagreen", "#2e8b57"}, {"royalblue", "#4169e1"}, {"slategray", "#708090"},
    {"firebrick", "#b22222"}, {"chocolate", "#d2691e"}, {"deepskyblue", "#00bfff"},
    {"forestgreen", "#228b22"}, {"limegreen", "#32cd32"}, {"hotpink", "#ff69b4"},
};

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

int plot_parse_color(const char *spec, char out[8]) {
    if (!spec || !*spec) return -1;
    if (spec[0] == '#') {
        size_t n = strlen(spec) - 1;
        for (size_t i = 1; i <= n; i++)
            if (hexval((unsigned char)spec[i]) < 0) return -1;
        if (n == 6 || n == 8) { /* alpha of #rrggbbaa is dropped */
            snprintf(out, 8, "#%c%c%c%c%c%c", tolower(spec[1]), tolower(spec[2]), tolower(spec[3]),
                     tolower(spec[4]), tolower(spec[5]), tolower(spec[6]));
            return 0;
        }
        if (n == 3 || n == 4) {
            snprintf(out, 8, "#%c%c%c%c%c%c", tolower(spec[1]), tolower(spec[1]), tolower(spec[2]),
                     tolower(spec[2]), tolower(spec[3]), tolower(spec[3]));
            return 0;
        }
        return -1;
    }
    if (spec[0] == 'C' && isdigit((unsigned char)spec[1])) {
        char *end;
        long i = strtol(spec + 1, &end, 10);
        if (*end) return -1;
        strcpy(out, plot_cycle_color((int)i));
        return 0;
    }
    /* a gray level "0.0" (black) .. "1.0" (white) */
    if (isdigit((unsigned char)spec[0]) || spec[0] == '.') {
        char *end;
        double g = strtod(spec, &end);
        if (*end || !(g >= 0 && g <= 1)) return -1;
        int v = (int)lround(g * 255);
        snprintf(out, 8, "#%02x%02x%02x", v, v, v);
        return 0;
    }
    char low[32];
    size_t n = strlen(spec);
    if (n >= sizeof low) return -1;
    for (size_t i = 0; i <= n; i++) low[i] = (char)tolower((unsigned char)spec[i]);
    for (size_t i = 0; i < sizeof named_colors / sizeof named_colors[0]; i++) {
        /* single letters are case-sensitive in matplotlib */
        const char *cmp = named_colors[i].name[1] ? low : spec;
        if (strcmp(cmp, named_colors[i].name) == 0) {
            strcpy(out, named_colors[i].hex);
            return 0;
        }
    }
    return -1;
}

/* Marker characters accepted, mapped to the shapes the renderer draws. */
static char marker_of(char c) {
    switch (c) {
    case 'o': case 's': case '^': case 'v': case '<': case '>': case 'x': case '+':
    case '.': case 'D': case 'd': case '*': case 'p': case 'h':
        return c;
    case ',': return '.';
    case 'X': return 'x';
    case 'P': return '+';
    case 'H': case '8': return 'h';
    default: return 0;
    }
}

int plot_parse_fmt(const char *fmt, char color[8], char *marker, char linestyle[3]) {
    color[0] = '\0';
    *marker = 0;
    linestyle[0] = '\0';
    if (!fmt) return -1;
    /* a whole color name ("red", "#ff0000", "0.5") is just a color */
    if (strlen(fmt) > 1 && plot_parse_color(fmt, color) == 0) {
        strcpy(linestyle, "-");
        return 0;
    }
    int have_ls = 0;
    for (const char *p = fmt; *p;) {
        if (p[0] == '-' && (p[1] == '-' || p[1] == '.')) {
            if (have_ls) return -1;
            linestyle[0] = '-'; linestyle[1] = p[1]; linestyle[2] = '\0';
            have_ls = 1;
            p += 2;
        } else if (p[0] == '-' || p[0] == ':') {
            if (have_ls) return -1;
            linestyle[0] = p[0]; linestyle[1] = '\0';
            have_ls = 1;
            p++;
        } else if (p[0] == 'C' && isdigit((unsigned char)p[1])) {
            if (color[0]) return -1;
            strcpy(color, plot_cycle_color(p[1] - '0'));
            p += 2;
        } else if (strchr("bgrcmykw", p[0])) {
            char one[2] = { p[0], 0 };
            if (color[0]) return -1;
            plot_parse_color(one, color);
            p++;
        } else if (marker_of(p[0])) {
            if (*marker) return -1;
            *marker = marker_of(p[0]);
            p++;
        } else {
            return -1;
        }
    }
    if (!have_ls && !*marker) strcpy(linestyle, "-");
    return 0;
}

/* ---- figure and axes ------------------------------------------------------ */

plot_figure *plot_figure_new(double width_in, double height_in) {
    plot_figure *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    int ok = width_in > 0 && height_in > 0 && isfinite(width_in) && isfinite(height_in);
    f->width_in = ok ? width_in : 6.4;
    f->height_in = ok ? height_in : 4.8;
    f->cur = -1;
    return f;
}

static void series_free(plot_series *s) {
    free(s->x);
    free(s->y);
    free(s->w);
    free(s->bottom);
    free(s->label);
}

static void fixed_ticks_free(plot_fixed_ticks *t) {
    for (int i = 0; t->labels && i < t->n; i++) free(t->labels[i]);
    free(t->labels);
    free(t->pos);
    memset(t, 0, sizeof *t);
}

static void image_free(plot_image *im) {
    if (!im) return;
    free(im->rgba);
    free(im);
}

static void axes_free(plot_axes *ax) {
    if (!ax) return;
    for (int i = 0; i < ax->nseries; i++) series_free(&ax->series[i]);
    free(ax->series);
    free(ax->title);
    free(ax->xlabel);
    free(ax->ylabel);
    for (int i = 0; i < ax->nxcats; i++) free(ax->xcats[i]);
    free(ax->xcats);
    fixed_ticks_free(&ax->xticks);
    fixed_ticks_free(&ax->yticks);
    image_free(ax->image);
    free(ax);
}

void plot_figure_free(plot_figure *f) {
    if (!f) return;
    for (int i = 0; i < f->naxes; i++) axes_free(f->axes[i]);
    free(f->axes);
    free(f->suptitle);
    free(f);
}

int plot_axes_count(const plot_figure *f) {
    int n = f->naxes;
    for (int i = 0; i < f->naxes; i++)
        if (f->axes[i]->colorbar && f->axes[i]->image) n++;
    return n;
}

plot_axes *plot_subplot(plot_figure *f, int rows, int cols, int index) {
    if (rows < 1 || cols < 1 || rows > PLOT_MAX_GRID || cols > PLOT_MAX_GRID || index < 1 || index > rows * cols)
        return NULL;
    for (int i = 0; i < f->naxes; i++) {
        plot_axes *ax = f->axes[i];
        if (ax->rows == rows && ax->cols == cols && ax->index == index) { f->cur = i; return ax; }
    }
    if (f->naxes == f->cap) {
        int cap = f->cap ? f->cap * 2 : 4;
        plot_axes **na = realloc(f->axes, (size_t)cap * sizeof *na);
        if (!na) return NULL;
        f->axes = na;
        f->cap = cap;
    }
    plot_axes *ax = calloc(1, sizeof *ax);
    if (!ax) return NULL;
    ax->rows = rows;
    ax->cols = cols;
    ax->index = index;
    f->axes[f->naxes] = ax;
    f->cur = f->naxes++;
    return ax;
}

plot_axes *plot_gca(plot_figure *f) {
    if (f->cur >= 0 && f->cur < f->naxes) return f->axes[f->cur];
    return plot_subplot(f, 1, 1, 1);
}

static double *dup_doubles(const double *v, int64_t n) {
    double *d = malloc((size_t)(n > 0 ? n : 1) * sizeof *d);
    if (d && n > 0) memcpy(d, v, (size_t)n * sizeof *d);
    return d;
}

/* Appends a series with resolved style; takes x, y (and w) even on failure. */
static int add_series(plot_axes *f, plot_kind kind, double *x, double *y, double *w, int64_t n,
                      const plot_style *st) {
    plot_style def;
    if (!st) { memset(&def, 0, sizeof def); st = &def; }
    plot_series s;
    memset(&s, 0, sizeof s);
    s.kind = kind;
    s.x = x;
    s.y = y;
    s.w = w;
    s.n = n;
    if (!x || !y || (kind == PLOT_BAR && !w)) goto fail;
    if (st->color) {
        if (plot_parse_color(st->color, s.color)) goto fail;
    } else {
        strcpy(s.color, plot_cycle_color(f->cycle++));
    }
    s.marker = marker_of(st->marker);
    if (st->marker && !s.marker) goto fail;
    if (st->linestyle) {
        const char *ls = st->linestyle;
        if (!strcmp(ls, "") || !strcmp(ls, "None") || !strcmp(ls, "none") || !strcmp(ls, " ")) s.linestyle[0] = '\0';
        else if (!strcmp(ls, "-") || !strcmp(ls, "solid")) strcpy(s.linestyle, "-");
        else if (!strcmp(ls, "--") || !strcmp(ls, "dashed")) strcpy(s.linestyle, "--");
        else if (!strcmp(ls, ":") || !strcmp(ls, "dotted")) strcpy(s.linestyle, ":");
        else if (!strcmp(ls, "-.") || !strcmp(ls, "dashdot")) strcpy(s.linestyle, "-.");
        else goto fail;
    } else {
        strcpy(s.linestyle, kind == PLOT_LINE ? "-" : "");
    }
    if (kind == PLOT_SCATTER && !s.marker) s.marker = 'o';
    s.linewidth = st->linewidth > 0 ? st->linewidth : 1.5;
    s.markersize = st->markersize > 0 ? st->markersize : 6;
    s.alpha = (st->alpha > 0 && st->alpha <= 1) ? st->alpha : 1;
    if (st->label && st->label[0] != '_') {
        s.label = strdup(st->label);
        if (!s.label) goto fail;
    }
    if (f->nseries == f->cap) {
        int cap = f->cap ? f->cap * 2 : 4;
        plot_series *ns = realloc(f->series, (size_t)cap * sizeof *ns);
        if (!ns) goto fail;
        f->series = ns;
        f->cap = cap;
    }
    f->series[f->nseries++] = s;
    return 0;
fail:
    series_free(&s);
    return -1;
}

static double *iota(int64_t n) {
    double *x = malloc((size_t)(n > 0 ? n : 1) * sizeof *x);
    if (x)
        for (int64_t i = 0; i < n; i++) x[i] = (double)i;
    return x;
}

int plot_line(plot_axes *f, const double *x, const double *y, int64_t n, const plot_style *st) {
    if (n < 0 || (n > 0 && !y)) return -1;
    return add_series(f, PLOT_LINE, x ? dup_doubles(x, n) : iota(n), dup_doubles(y, n), NULL, n, st);
}

int plot_scatter(plot_axes *f, const double *x, const double *y, int64_t n, const plot_style *st) {
    if (n < 0 || (n > 0 && (!x || !y))) return -1;
    return add_series(f, PLOT_SCATTER, dup_doubles(x, n), dup_doubles(y, n), NULL, n, st);
}

/* Position of a category on the x axis, adding it when new; -1 on OOM. */
static int category_index(plot_axes *f, const char *name) {
    for (int i = 0; i < f->nxcats; i++)
        if (strcmp(f->xcats[i], name) == 0) return i;
    char **c = realloc(f->xcats, (size_t)(f->nxcats + 1) * sizeof *c);
    if (!c) return -1;
    f->xcats = c;
    if (!(c[f->nxcats] = strdup(name))) return -1;
    return f->nxcats++;
}

int plot_bar(plot_axes *f, const double *x, const char *const *categories,
             const double *height, int64_t n, double width, const plot_style *st) {
    if (n < 0 || (n > 0 && !height)) return -1;
    if (!(width > 0) || !isfinite(width)) width = 0.8;
    double *xs = x ? dup_doubles(x, n) : iota(n);
    double *w = malloc((size_t)(n > 0 ? n : 1) * sizeof *w);
    if (xs && categories && !x) {
        for (int64_t i = 0; i < n; i++) {
            int k = category_index(f, categories[i] ? categories[i] : "");
            if (k < 0) { free(xs); free(w); return -1; }
            xs[i] = k;
        }
    }
    if (w)
        for (int64_t i = 0; i < n; i++) w[i] = width;
    return add_series(f, PLOT_BAR, xs, dup_doubles(height, n), w, n, st);
}

int plot_histogram(const double *data, int64_t n, int bins, double *counts, double *edges) {
    if (bins < 1 || n < 0) return -1;
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(data[i])) {
            if (data[i] < lo) lo = data[i];
            if (data[i] > hi) hi = data[i];
        }
    if (lo > hi) { lo = 0; hi = 1; }         /* no finite data: numpy's default range */
    if (lo == hi) { lo -= 0.5; hi += 0.5; }
    /* numpy.linspace(lo, hi, bins + 1); a span beyond DBL_MAX is split */
    double step = isfinite(hi - lo) ? (hi - lo) / bins : hi / bins - lo / bins;
    for (int i = 0; i <= bins; i++) edges[i] = lo + i * step;
    edges[bins] = hi;
    for (int i = 0; i < bins; i++) counts[i] = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = data[i];
        if (!isfinite(v)) continue;
        /* numpy's path: scale to a bin, then fix the off-by-one of rounding */
        double pos = (v - lo) / step;
        if (!(pos >= 0)) pos = 0;
        if (pos > bins) pos = bins;
        long k = (long)pos;
        if (k >= bins) k = bins - 1;
        if (k < 0) k = 0;
        if (v < edges[k]) k--;
        else if (k != bins - 1 && v >= edges[k + 1]) k++;
        if (k >= 0 && k < bins) counts[k] += 1;
    }
    return 0;
}

int plot_hist(plot_axes *f, const double *data, int64_t n, int bins, const plot_style *st,
              double *counts_out, double *edges_out) {
    if (bins < 1 || n < 0 || (n > 0 && !data)) return -1;
    double *counts = malloc((size_t)bins * sizeof *counts);
    double *edges = malloc((size_t)(bins + 1) * sizeof *edges);
    double *xs = malloc((size_t)bins * sizeof *xs);
    double *w = malloc((size_t)bins * sizeof *w);
    if (!counts || !edges || !xs || !w || plot_histogram(data, n, bins, counts, edges)) {
        free(counts); free(edges); free(xs); free(w);
        return -1;
    }
    for (int i = 0; i < bins; i++) {
        xs[i] = (edges[i] + edges[i + 1]) / 2;
        w[i] = edges[i + 1] - edges[i];
    }
    if (counts_out) memcpy(counts_out, counts, (size_t)bins * sizeof *counts);
    if (edges_out) memcpy(edges_out, edges, (size_t)(bins + 1) * sizeof *edges);
    free(edges);
    return add_series(f, PLOT_BAR, xs, counts, w, bins, st);
}

static int set_text(char **slot, const char *s) {
    char *c = NULL;
    if (s && !(c = strdup(s))) return -1;
    free(*slot);
    *slot = c;
    return 0;
}

int  plot_set_title(plot_axes *ax, const char *s) { return set_text(&ax->title, s); }
int  plot_set_xlabel(plot_axes *ax, const char *s) { return set_text(&ax->xlabel, s); }
int  plot_set_ylabel(plot_axes *ax, const char *s) { return set_text(&ax->ylabel, s); }
void plot_set_legend(plot_axes *ax, int on) { ax->legend = on; }
void plot_set_grid(plot_axes *ax, int on) { ax->grid = on; }
void plot_set_xlim(plot_axes *ax, double lo, double hi) { ax->has_xlim = 1; ax->xlim[0] = lo; ax->xlim[1] = hi; }
void plot_set_ylim(plot_axes *ax, double lo, double hi) { ax->has_ylim = 1; ax->ylim[0] = lo; ax->ylim[1] = hi; }

int plot_suptitle(plot_figure *f, const char *s, double fontsize) {
    f->suptitle_fs = fontsize;
    return set_text(&f->suptitle, s);
}

int plot_set_ticks(plot_fixed_ticks *t, const double *pos, const char *const *labels, int n) {
    plot_fixed_ticks nt = { .fixed = 1, .n = n, .rotation = t->rotation };
    if (n < 0) return -1;
    if (n > 0) {
        if (!(nt.pos = dup_doubles(pos, n))) return -1;
        if (labels) {
            if (!(nt.labels = calloc((size_t)n, sizeof *nt.labels))) { fixed_ticks_free(&nt); return -1; }
            for (int i = 0; i < n; i++)
                if (!(nt.labels[i] = strdup(labels[i] ? labels[i] : ""))) { fixed_ticks_free(&nt); return -1; }
        }
    }
    fixed_ticks_free(t);
    *t = nt;
    return 0;
}

/* ---- ticks: matplotlib's MaxNLocator(steps=[1, 2, 2.5, 5, 10]) -------------- */

/* Python's float divmod (x // y and x % y), which matplotlib's tick code
 * relies on; plain floor(x / y) differs when x / y rounds to an integer. */
static double py_divmod(double x, double y, double *modp) {
    double mod = fmod(x, y);
    double div = (x - mod) / y;
    if (mod != 0) {
        if ((y < 0) != (mod < 0)) { mod += y; div -= 1.0; }
    } else {
        mod = copysign(0.0, y);
    }
    double fd;
    if (div != 0) {
        fd = floor(div);
        if (div - fd > 0.5) fd += 1.0;
    } else {
        fd = copysign(0.0, x / y);
    }
    if (modp) *modp = mod;
    return fd;
}

static double py_floordiv(double x, double y) { return py_divmod(x, y, NULL); }

/* _Edge_integer.le / .ge with matplotlib's tolerance. */
static double edge_tol(double step, double offset) {
    if (offset != 0) {
        double digits = log10(fabs(offset) / step);
        double tol = pow(10, digits - 12);
        if (tol < 1e-10) tol = 1e-10;
        return tol < 0.4999 ? tol : 0.4999;
    }
    return 1e-10;
}

static double edge_le(double x, double step, double offset) {
    double m, d = py_divmod(x, step, &m);
    if (fabs(m / step - 1) < edge_tol(step, offset)) return d + 1;
    return d;
}

static double edge_ge(double x, double step, double offset) {
    double m, d = py_divmod(x, step, &m);
    if (fabs(m / step) < edge_tol(step, offset)) return d;
    return d + 1;
}

int plot_nice_ticks(double lo, double hi, int nbins, double *ticks, int cap) {
    if (cap <= 0 || !isfinite(lo) || !isfinite(hi)) return 0;
    if (lo > hi) { double t = lo; lo = hi; hi = t; }
    if (nbins < 1) nbins = 1;
    if (hi == lo) { ticks[0] = lo; return 1; }
    /* scale_range */
    double dv = hi - lo, meanv = (hi + lo) / 2, offset = 0;
    if (!(fabs(meanv) / dv < 100)) offset = copysign(pow(10, floor(log10(fabs(meanv)))), meanv);
    double scale = pow(10, floor(log10(dv / nbins)));
    double vmin = lo - offset, vmax = hi - offset;
    static const double base_steps[] = { 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20 };
    const int nsteps = 10;
    double raw = (vmax - vmin) / nbins;
    int istep = nsteps - 1;
    for (int i = 0; i < nsteps; i++)
        if (base_steps[i] * scale >= raw) { istep = i; break; }
    int count = 0;
    for (int i = istep; i >= 0; i--) {
        double step = base_steps[i] * scale;
        double best_vmin = py_floordiv(vmin, step) * step;
        double low = edge_le(vmin - best_vmin, step, offset);
        double high = edge_ge(vmax - best_vmin, step, offset);
        count = 0;
        int visible = 0;
        for (double k = low; k <= high && count < cap; k++) {
            double t = k * step + best_vmin;
            if (t <= vmax && t >= vmin) visible++;
            ticks[count++] = t + offset;
        }
        if (visible >= 2) break;
    }
    return count;
}

/* ---- tick labels: matplotlib's ScalarFormatter --------------------------------- */

/* The number with '-' replaced by U+2212, as matplotlib prints it. */
static void put_minus_fixed(fmtbuf *b, const char *s) {
    for (; *s; s++) {
        if (*s == '-') fmtbuf_puts(b, "\xe2\x88\x92");
        else fmtbuf_putc(b, *s);
    }
}

int plot_tick_labels(const double *ticks, int n, double lo, double hi, char **labels, char **extra) {
    *extra = NULL;
    for (int i = 0; i < n; i++) labels[i] = NULL;
    if (lo > hi) { double t = lo; lo = hi; hi = t; }
    /* visible ticks */
    double lmin = INFINITY, lmax = -INFINITY, amax = 0;
    int nvis = 0;
    for (int i = 0; i < n; i++) {
        if (ticks[i] < lo || ticks[i] > hi) continue;
        nvis++;
        if (ticks[i] < lmin) lmin = ticks[i];
        if (ticks[i] > lmax) lmax = ticks[i];
        if (fabs(ticks[i]) > amax) amax = fabs(ticks[i]);
    }
    /* _compute_offset (offset threshold 4 digits) */
    double offset = 0;
    if (nvis >= 1 && lmin != lmax && !(lmin <= 0 && 0 <= lmax)) {
        double amin = fabs(lmin), ama = fabs(lmax);
        if (amin > ama) { double t = amin; amin = ama; ama = t; }
        double sign = lmin < 0 ? -1 : 1;
        double oom_max = ceil(log10(ama)), oom = oom_max;
        for (int guard = 0; guard < 400; guard++, oom--)
            if (py_floordiv(amin, pow(10, oom)) != py_floordiv(ama, pow(10, oom))) break;
        oom += 1;
        if ((ama - amin) / pow(10, oom) <= 1e-2) {
            oom = oom_max;
            for (int guard = 0; guard < 400; guard++, oom--)
                if (py_floordiv(ama, pow(10, oom)) - py_floordiv(amin, pow(10, oom)) > 1) break;
            oom += 1;
        }
        if (py_floordiv(ama, pow(10, oom)) >= 1000) offset = sign * py_floordiv(ama, pow(10, oom)) * pow(10, oom);
    }
    /* _set_order_of_magnitude, power limits (-5, 6) */
    int order = 0;
    if (nvis >= 1) {
        int oom;
        if (offset != 0 && hi - lo > 0 && isfinite(hi - lo)) oom = (int)floor(log10(hi - lo));
        else if (offset != 0) oom = 0;
        else oom = amax == 0 ? 0 : (int)floor(log10(amax));
        if (oom <= -5 || oom >= 6) order = oom;
    }
    /* _set_format: decimals shared by all labels */
    double scale = pow(10, order);
    double *locs = malloc((size_t)(n + 2) * sizeof *locs);
    if (!locs) return -1;
    int nl = 0;
    for (int i = 0; i < n; i++) locs[nl++] = (ticks[i] - offset) / scale;
    int nreal = nl;
    if (n < 2) { locs[nl++] = (lo - offset) / scale; locs[nl++] = (hi - offset) / scale; }
    double mn = INFINITY, mx = -INFINITY, mabs = 0;
    for (int i = 0; i < nl; i++) {
        if (locs[i] < mn) mn = locs[i];
        if (locs[i] > mx) mx = locs[i];
        if (fabs(locs[i]) > mabs) mabs = fabs(locs[i]);
    }
    double range = nl ? mx - mn : 0;
    if (range == 0) range = mabs;
    if (range == 0 || !isfinite(range)) range = 1;
    int range_oom = (int)floor(log10(range));
    int sigfigs = 3 - range_oom > 0 ? 3 - range_oom : 0;
    double thresh = 1e-3 * pow(10, range_oom);
    while (sigfigs >= 0) {
        double worst = 0, p = pow(10, sigfigs);
        for (int i = 0; i < nreal; i++) {
            /* numpy.round: half to even */
            double r = nearbyint(locs[i] * p) / p;
            if (fabs(locs[i] - r) > worst) worst = fabs(locs[i] - r);
        }
        if (worst < thresh) sigfigs--;
        else break;
    }
    sigfigs++;
    if (sigfigs > 20) sigfigs = 20;
    for (int i = 0; i < n; i++) {
        double xp = locs[i];
        if (fabs(xp) < 1e-8) xp = 0;
        char t[64];
        snprintf(t, sizeof t, "%1.*f", sigfigs, xp);
        fmtbuf b;
        fmtbuf_init(&b);
        put_minus_fixed(&b, t);
        labels[i] = fmtbuf_take(&b);
        if (!labels[i]) goto oom;
    }
    free(locs);
    if (order != 0 || offset != 0) {
        /* matplotlib's get_offset: the scale first, then the offset:
         * "1e6", "+1e3", "1e−6−5.45e−2" */
        fmtbuf b;
        fmtbuf_init(&b);
        if (order != 0) {
            char t[32];
            snprintf(t, sizeof t, "1e%d", order);
            put_minus_fixed(&b, t);
        }
        if (offset != 0) {
            /* format_data: significand to 10 decimals, "e<exp>" unless 0 */
            int e = (int)floor(log10(fabs(offset)));
            char t[64];
            snprintf(t, sizeof t, "%.10f", offset / pow(10, e)); /* Python's round(x, 10) */
            double sig = strtod(t, NULL);
            if (offset > 0) fmtbuf_putc(&b, '+');
            if (fmod(sig, 1) == 0) snprintf(t, sizeof t, "%d", (int)sig);
            else snprintf(t, sizeof t, "%1.10g", sig);
            put_minus_fixed(&b, t);
            if (e != 0) {
                snprintf(t, sizeof t, "e%d", e);
                put_minus_fixed(&b, t);
            }
        }
        *extra = fmtbuf_take(&b);
        if (!*extra) goto oom_labels;
    }
    return 0;
oom:
    free(locs);
oom_labels:
    for (int i = 0; i < n; i++) { free(labels[i]); labels[i] = NULL; }
    return -1;
}

/* ---- text form ------------------------------------------------------------------ */

char *plot_render_text(const plot_figure *f) {
    fmtbuf b;
    fmtbuf_init(&b);
    int axes = plot_axes_count(f);
    fmtbuf_printf(&b, "<Figure size %gx%g with %d Axes>", round(f->width_in * 100), round(f->height_in * 100), axes);
    return fmtbuf_take(&b);
}
