/* plot_svg.c — draws a plot_figure as SVG in matplotlib's default style.
 *
 * Geometry follows matplotlib's rcParams defaults (in points): subplot box
 * left .125 right .9 bottom .11 top .88, ticks out 3.5 long 0.8 wide, tick
 * labels 10 pt padded 3.5, axis labels 10 pt with labelpad 4, title 12 pt
 * with pad 6, spines 0.8, lines 1.5, markers 6, grid #b0b0b0 0.8, legend
 * 10 pt with borderpad .4, labelspacing .5, handlelength 2, handletextpad
 * .8, borderaxespad .5 em, frame #cccccc at 0.8 alpha, location "best".
 * Text is measured with DejaVu Sans advance widths (matplotlib's font).
 */
#include "plot.h"
#include "html.h"
#include "numfmt.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FONT_FAMILY "'DejaVu Sans', 'Bitstream Vera Sans', Arial, Helvetica, sans-serif"
#define ASCENT 0.76   /* digit/cap height in em, for placing baselines */
#define TEXT_H 1.164  /* ascent + descent in em (DejaVu Sans) */
#define DESCENT 0.236
#define TICK_LEN 3.5
#define TICK_PAD 3.5
#define LABEL_PAD 4.0
#define TITLE_PAD 6.0
#define FS 10.0       /* tick labels, axis labels, legend */
#define FS_TITLE 12.0
#define MAX_TICKS 64
#define COORD_LIMIT 1e6 /* screen coordinates are clamped (huge values break renderers) */

/* DejaVu Sans advance widths for ' '..'~', in 1/1000 em. */
static const short dejavu_widths[95] = {
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337,
    636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531,
    1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
    603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500,
    500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
};

/* Width of UTF-8 text in points at font size fs. */
static double text_width(const char *s, double fs) {
    double w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x80) {
            w += (*p >= 32 && *p < 127) ? dejavu_widths[*p - 32] : 600;
            p++;
        } else {
            int extra = *p >= 0xF0 ? 3 : *p >= 0xE0 ? 2 : 1;
            /* U+2212 minus is as wide as '+'; other non-ASCII: an average glyph */
            w += (p[0] == 0xE2 && p[1] == 0x88 && p[2] == 0x92) ? 838 : 650;
            for (int i = 0; i <= extra && *p; i++) p++;
        }
    }
    return w * fs / 1000.0;
}

/* ---- output helpers ---------------------------------------------------------- */

/* A coordinate with at most two decimals, trailing zeros dropped. */
static void num(fmtbuf *b, double v) {
    if (!isfinite(v)) v = 0;
    if (v > COORD_LIMIT) v = COORD_LIMIT;
    if (v < -COORD_LIMIT) v = -COORD_LIMIT;
    char t[48];
    int n = snprintf(t, sizeof t, "%.2f", v);
    while (n > 0 && t[n - 1] == '0') n--;
    if (n > 0 && t[n - 1] == '.') n--;
    t[n] = '\0';
    if (strcmp(t, "-0") == 0) strcpy(t, "0");
    fmtbuf_puts(b, t);
}

typedef struct { double x0, y0, x1, y1; int set; } bbox;

static void bb_add(bbox *bb, double x0, double y0, double x1, double y1) {
    if (x0 > x1) { double t = x0; x0 = x1; x1 = t; }
    if (y0 > y1) { double t = y0; y0 = y1; y1 = t; }
    if (!bb->set) { bb->x0 = x0; bb->y0 = y0; bb->x1 = x1; bb->y1 = y1; bb->set = 1; return; }
    if (x0 < bb->x0) bb->x0 = x0;
    if (y0 < bb->y0) bb->y0 = y0;
    if (x1 > bb->x1) bb->x1 = x1;
    if (y1 > bb->y1) bb->y1 = y1;
}

/* <text> at (x, baseline y); anchor "start" / "middle" / "end"; rotate -90
 * when vertical. Adds its box to bb. */
static void put_text(fmtbuf *b, bbox *bb, const char *s, double x, double y, double fs,
                     const char *anchor, int vertical, const char *cls) {
    double w = text_width(s, fs);
    double off = strcmp(anchor, "middle") == 0 ? w / 2 : strcmp(anchor, "end") == 0 ? w : 0;
    if (!vertical) bb_add(bb, x - off, y - fs * (TEXT_H - DESCENT), x - off + w, y + fs * DESCENT);
    else bb_add(bb, x - fs * (TEXT_H - DESCENT), y + off - w, x + fs * DESCENT, y + off);
    fmtbuf_puts(b, "<text");
    if (cls) fmtbuf_printf(b, " class=\"%s\"", cls);
    fmtbuf_puts(b, " x=\"");
    num(b, x);
    fmtbuf_puts(b, "\" y=\"");
    num(b, y);
    fmtbuf_puts(b, "\"");
    if (fs != FS) fmtbuf_printf(b, " font-size=\"%g\"", fs);
    if (strcmp(anchor, "start") != 0) fmtbuf_printf(b, " text-anchor=\"%s\"", anchor);
    if (vertical) {
        fmtbuf_puts(b, " transform=\"rotate(-90 ");
        num(b, x);
        fmtbuf_putc(b, ' ');
        num(b, y);
        fmtbuf_puts(b, ")\"");
    }
    fmtbuf_putc(b, '>');
    html_escape_to(b, s);
    fmtbuf_puts(b, "</text>\n");
}

/* ---- limits ---------------------------------------------------------------------- */

typedef struct { double lo, hi; int set; int sticky0; } span;

static void span_add(span *s, double v) {
    if (!isfinite(v)) return;
    if (!s->set) { s->lo = s->hi = v; s->set = 1; return; }
    if (v < s->lo) s->lo = v;
    if (v > s->hi) s->hi = v;
}

/* matplotlib's autoscale: nonsingular (expander .05), then 5% margins that
 * stop at a sticky 0 (bar baselines). */
static void autoscale(span *s, int has_series, double *lo, double *hi) {
    /* axes with no data: (0, 1); series without finite data: matplotlib's
     * nonsingular (-0.05, 0.05) plus margins */
    if (!s->set && !has_series) { *lo = 0; *hi = 1; return; }
    if (!s->set) { s->lo = s->hi = 0; s->set = 1; }
    double a = s->lo, b = s->hi;
    double maxabs = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    if (maxabs < 1e-300 || b - a <= maxabs * 1e-15 * 2) {
        if (maxabs < 1e-300) { a = -0.05; b = 0.05; }
        else { a -= 0.05 * fabs(a); b += 0.05 * fabs(b); }
    }
    double d = (b - a) * 0.05;
    if (!isfinite(d)) d = b * 0.05 - a * 0.05;
    double nlo = a - d, nhi = b + d;
    if (!isfinite(nlo)) nlo = -DBL_MAX;
    if (!isfinite(nhi)) nhi = DBL_MAX;
    if (s->sticky0) {
        if (nlo < 0 && 0 <= s->lo) nlo = 0;
        if (nhi > 0 && s->hi <= 0) nhi = 0;
    }
    *lo = nlo;
    *hi = nhi;
}

/* ---- series geometry ---------------------------------------------------------------- */

/* Screen vertices of a series, NaN x marking a break between runs. */
typedef struct { double *x, *y; int64_t n; } verts;

typedef struct {
    double ax0, ax1, ay0, ay1;   /* axes box: left, right, top, bottom */
    double xlo, xhi, ylo, yhi;   /* view limits */
} xform;

static double sx(const xform *t, double x) {
    double v = t->ax0 + (x - t->xlo) / (t->xhi - t->xlo) * (t->ax1 - t->ax0);
    return v > COORD_LIMIT ? COORD_LIMIT : v < -COORD_LIMIT ? -COORD_LIMIT : v;
}
static double sy(const xform *t, double y) {
    double v = t->ay1 - (y - t->ylo) / (t->yhi - t->ylo) * (t->ay1 - t->ay0);
    return v > COORD_LIMIT ? COORD_LIMIT : v < -COORD_LIMIT ? -COORD_LIMIT : v;
}

/* Screen points of a line/scatter series, decimated when long. 0 / -1. */
static int series_verts(const plot_series *s, const xform *t, verts *out) {
    out->n = 0;
    out->x = malloc((size_t)(s->n + 1) * sizeof(double));
    out->y = malloc((size_t)(s->n + 1) * sizeof(double));
    if (!out->x || !out->y) return -1;
    int64_t nfinite = 0;
    int monotonic = 1;
    double lastx = -INFINITY;
    for (int64_t i = 0; i < s->n; i++) {
        if (isfinite(s->x[i]) && isfinite(s->y[i])) {
            nfinite++;
            if (s->x[i] < lastx) monotonic = 0;
            lastx = s->x[i];
        }
    }
    int decimate = nfinite > PLOT_DECIMATE_MIN;
    int in_run = 0;
    /* column state for min/max decimation */
    long col = 0;
    int64_t first = -1, imin = -1, imax = -1, ilast = -1;
    double kx = 0, ky = 0; /* last kept point (distance decimation) */
#define EMIT(px, py) (out->x[out->n] = (px), out->y[out->n] = (py), out->n++)
#define FLUSH_COL() do { \
        int64_t k_[4] = { first, imin, imax, ilast }; \
        for (int a_ = 0; a_ < 4; a_++) for (int b_ = a_ + 1; b_ < 4; b_++) \
            if (k_[b_] < k_[a_]) { int64_t t_ = k_[a_]; k_[a_] = k_[b_]; k_[b_] = t_; } \
        int64_t prev_ = -1; \
        for (int a_ = 0; a_ < 4; a_++) if (k_[a_] >= 0 && k_[a_] != prev_) { \
            EMIT(sx(t, s->x[k_[a_]]), sy(t, s->y[k_[a_]])); prev_ = k_[a_]; } \
        first = imin = imax = ilast = -1; } while (0)
    for (int64_t i = 0; i < s->n; i++) {
        if (!(isfinite(s->x[i]) && isfinite(s->y[i]))) {
            if (decimate && monotonic && first >= 0) FLUSH_COL();
            if (in_run) EMIT(NAN, NAN);
            in_run = 0;
            continue;
        }
        double px = sx(t, s->x[i]), py = sy(t, s->y[i]);
        if (!decimate) {
            EMIT(px, py);
        } else if (monotonic) {
            long c = (long)floor(px * 2);
            if (first >= 0 && c != col) FLUSH_COL();
            if (first < 0) { first = imin = imax = i; col = c; }
            if (s->y[i] < s->y[imin]) imin = i;
            if (s->y[i] > s->y[imax]) imax = i;
            ilast = i;
        } else {
            int last_of_run = i + 1 >= s->n || !(isfinite(s->x[i + 1]) && isfinite(s->y[i + 1]));
            if (!in_run || last_of_run || hypot(px - kx, py - ky) >= 0.5) {
                EMIT(px, py);
                kx = px;
                ky = py;
            }
        }
        in_run = 1;
    }
    if (decimate && monotonic && first >= 0) FLUSH_COL();
#undef FLUSH_COL
#undef EMIT
    return 0;
}

static void verts_free(verts *v) { free(v->x); free(v->y); v->x = v->y = NULL; }

/* ---- legend placement ----------------------------------------------------------------- */

/* Liang-Barsky: does segment (x0,y0)-(x1,y1) touch the box? */
static int seg_hits_box(double x0, double y0, double x1, double y1, const bbox *b) {
    double t0 = 0, t1 = 1, dx = x1 - x0, dy = y1 - y0;
    double p[4] = { -dx, dx, -dy, dy }, q[4] = { x0 - b->x0, b->x1 - x0, y0 - b->y0, b->y1 - y0 };
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0) return 0;
        } else {
            double r = q[i] / p[i];
            if (p[i] < 0) { if (r > t1) return 0; if (r > t0) t0 = r; }
            else { if (r < t0) return 0; if (r < t1) t1 = r; }
        }
    }
    return 1;
}

static double badness(const plot_figure *f, const verts *vs, const xform *t, const bbox *box) {
    double bad = 0;
    for (int i = 0; i < f->nseries; i++) {
        const plot_series *s = &f->series[i];
        if (s->kind == PLOT_BAR) {
            for (int64_t k = 0; k < s->n; k++) {
                double x0 = sx(t, s->x[k] - s->w[k] / 2), x1 = sx(t, s->x[k] + s->w[k] / 2);
                double y0 = sy(t, 0), y1 = sy(t, s->y[k]);
                if (y0 > y1) { double tt = y0; y0 = y1; y1 = tt; }
                if (x1 > box->x0 && x0 < box->x1 && y1 > box->y0 && y0 < box->y1) bad++;
            }
            continue;
        }
        const verts *v = &vs[i];
        for (int64_t k = 0; k < v->n; k++) {
            if (isnan(v->x[k])) continue;
            if (v->x[k] >= box->x0 && v->x[k] <= box->x1 && v->y[k] >= box->y0 && v->y[k] <= box->y1) bad++;
            if (s->linestyle[0] && k + 1 < v->n && !isnan(v->x[k + 1]) &&
                seg_hits_box(v->x[k], v->y[k], v->x[k + 1], v->y[k + 1], box))
                bad++;
        }
    }
    return bad;
}

/* ---- markers --------------------------------------------------------------------------- */

static int marker_filled(char m) { return m != 'x' && m != '+'; }

/* The marker's outline centred on (0, 0), size ms. */
static void marker_def(fmtbuf *b, char m, double ms, const char *id) {
    double r = ms / 2;
    switch (m) {
    case 'o': case '.':
        fmtbuf_printf(b, "<circle id=\"%s\" r=\"", id);
        num(b, m == '.' ? r / 2 : r);
        fmtbuf_puts(b, "\"/>\n");
        return;
    default: break;
    }
    fmtbuf_printf(b, "<path id=\"%s\" d=\"", id);
    double pts[12][2];
    int np = 0;
    switch (m) {
    case 's':
        fmtbuf_printf(b, "M%g %gH%gV%gH%gZ", -r, -r, r, r, -r);
        break;
    case '^': case 'v': case '<': case '>': {
        double tri[3][2] = { { 0, -r }, { -r, r }, { r, r } };
        for (int i = 0; i < 3; i++) {
            double x = tri[i][0], y = tri[i][1];
            if (m == 'v') y = -y;
            if (m == '<') { double t = x; x = y; y = t; }
            if (m == '>') { double t = x; x = -y; y = t; }
            pts[np][0] = x; pts[np][1] = y; np++;
        }
        break;
    }
    case 'D': case 'd': {
        double h = r * 1.4142135623730951, w = m == 'd' ? h * 0.6 : h;
        pts[0][0] = 0; pts[0][1] = -h; pts[1][0] = w; pts[1][1] = 0;
        pts[2][0] = 0; pts[2][1] = h; pts[3][0] = -w; pts[3][1] = 0;
        np = 4;
        break;
    }
    case '*':
        for (int i = 0; i < 10; i++) {
            double a = -M_PI / 2 + i * M_PI / 5, rr = (i % 2) ? r * 0.381966 : r;
            pts[np][0] = rr * cos(a); pts[np][1] = rr * sin(a); np++;
        }
        break;
    case 'p': case 'h': {
        int k = m == 'p' ? 5 : 6;
        for (int i = 0; i < k; i++) {
            double a = -M_PI / 2 + i * 2 * M_PI / k;
            pts[np][0] = r * cos(a); pts[np][1] = r * sin(a); np++;
        }
        break;
    }
    case 'x':
        fmtbuf_printf(b, "M%g %gL%g %gM%g %gL%g %g", -r, -r, r, r, -r, r, r, -r);
        break;
    case '+':
        fmtbuf_printf(b, "M%g 0L%g 0M0 %gL0 %g", -r, r, -r, r);
        break;
    default: break;
    }
    for (int i = 0; i < np; i++) {
        fmtbuf_putc(b, i ? 'L' : 'M');
        num(b, pts[i][0]);
        fmtbuf_putc(b, ' ');
        num(b, pts[i][1]);
    }
    if (np) fmtbuf_putc(b, 'Z');
    fmtbuf_puts(b, "\"/>\n");
}

/* Style attributes for a marker group of series s. */
static void marker_style(fmtbuf *b, const plot_series *s) {
    if (marker_filled(s->marker))
        fmtbuf_printf(b, " fill=\"%s\" stroke=\"%s\" stroke-width=\"1\"", s->color, s->color);
    else
        fmtbuf_printf(b, " fill=\"none\" stroke=\"%s\" stroke-width=\"%g\"", s->color,
                      s->kind == PLOT_SCATTER ? 1.5 : 1.0);
    if (s->alpha < 1) fmtbuf_printf(b, " opacity=\"%g\"", s->alpha);
}

static void put_use(fmtbuf *b, const char *id, double x, double y) {
    fmtbuf_printf(b, "<use xlink:href=\"#%s\" x=\"", id);
    num(b, x);
    fmtbuf_puts(b, "\" y=\"");
    num(b, y);
    fmtbuf_puts(b, "\"/>\n");
}

/* stroke-dasharray for a line style, scaled by the line width. */
static void dash_attr(fmtbuf *b, const char *ls, double lw) {
    if (!strcmp(ls, "--")) fmtbuf_printf(b, " stroke-dasharray=\"%.2f,%.2f\"", 3.7 * lw, 1.6 * lw);
    else if (!strcmp(ls, ":")) fmtbuf_printf(b, " stroke-dasharray=\"%.2f,%.2f\"", 1 * lw, 1.65 * lw);
    else if (!strcmp(ls, "-.")) fmtbuf_printf(b, " stroke-dasharray=\"%.2f,%.2f,%.2f,%.2f\"", 6.4 * lw, 1.6 * lw, 1 * lw, 1.6 * lw);
}

/* ---- the figure ---------------------------------------------------------------------------- */

static unsigned long long next_figure_id(void) {
    /* Unique across kernels shown in one page: clip-path and marker ids of
     * inline SVGs share the document's id space. */
    static unsigned long long salt, counter;
    if (!salt) salt = ((unsigned long long)time(NULL) << 20) ^ ((unsigned long long)getpid() << 4) ^ 0x9e37u;
    return salt * 31 + (++counter);
}

typedef struct {
    double ticks[MAX_TICKS];
    char  *labels[MAX_TICKS];
    int    n;          /* visible ticks */
    char  *extra;      /* offset / scale text */
    double maxw;       /* widest label */
} axis_ticks;

static void axis_ticks_free(axis_ticks *a) {
    for (int i = 0; i < a->n; i++) free(a->labels[i]);
    free(a->extra);
    a->n = 0;
    a->extra = NULL;
}

/* Ticks for one axis (numeric or categorical). 0 / -1. */
static int make_ticks(axis_ticks *a, double lo, double hi, int nbins, char **cats, int ncats) {
    memset(a, 0, sizeof *a);
    if (ncats > 0) {
        for (int i = 0; i < ncats && a->n < MAX_TICKS; i++) {
            if (i < lo || i > hi) continue;
            a->ticks[a->n] = i;
            if (!(a->labels[a->n] = strdup(cats[i]))) return -1;
            double w = text_width(cats[i], FS);
            if (w > a->maxw) a->maxw = w;
            a->n++;
        }
        return 0;
    }
    double all[MAX_TICKS];
    char *lab[MAX_TICKS];
    int n = plot_nice_ticks(lo, hi, nbins, all, MAX_TICKS);
    if (plot_tick_labels(all, n, lo, hi, lab, &a->extra)) return -1;
    double eps = (hi - lo) * 1e-10;
    for (int i = 0; i < n; i++) {
        if (all[i] < lo - eps || all[i] > hi + eps) { free(lab[i]); continue; }
        a->ticks[a->n] = all[i];
        a->labels[a->n] = lab[i];
        double w = text_width(lab[i], FS);
        if (w > a->maxw) a->maxw = w;
        a->n++;
    }
    return 0;
}

char *plot_render_svg(const plot_figure *f) {
    double W = f->width_in * 72, H = f->height_in * 72;
    xform t = { 0.125 * W, 0.9 * W, (1 - 0.88) * H, (1 - 0.11) * H, 0, 1, 0, 1 };
    unsigned long long fid = next_figure_id();
    char idp[40];
    snprintf(idp, sizeof idp, "cgpu%llx", fid);

    /* data limits */
    span xs = { 0 }, ys = { 0 };
    for (int i = 0; i < f->nseries; i++) {
        const plot_series *s = &f->series[i];
        for (int64_t k = 0; k < s->n; k++) {
            if (s->kind == PLOT_BAR) {
                if (!isfinite(s->x[k]) || !isfinite(s->y[k])) continue;
                span_add(&xs, s->x[k] - s->w[k] / 2);
                span_add(&xs, s->x[k] + s->w[k] / 2);
                span_add(&ys, 0);
                span_add(&ys, s->y[k]);
                ys.sticky0 = 1;
            } else if (isfinite(s->x[k]) && isfinite(s->y[k])) {
                span_add(&xs, s->x[k]);
                span_add(&ys, s->y[k]);
            }
        }
    }
    autoscale(&xs, f->nseries > 0, &t.xlo, &t.xhi);
    autoscale(&ys, f->nseries > 0, &t.ylo, &t.yhi);
    if (f->has_xlim && isfinite(f->xlim[0]) && isfinite(f->xlim[1]) && f->xlim[0] != f->xlim[1]) {
        t.xlo = f->xlim[0];
        t.xhi = f->xlim[1];
    }
    if (f->has_ylim && isfinite(f->ylim[0]) && isfinite(f->ylim[1]) && f->ylim[0] != f->ylim[1]) {
        t.ylo = f->ylim[0];
        t.yhi = f->ylim[1];
    }

    /* ticks: MaxNLocator("auto") gets axis length / (3 x font) bins for x,
     * / (2 x font) for y, between 1 and 9 */
    int nbx = (int)floor((t.ax1 - t.ax0) / (FS * 3)), nby = (int)floor((t.ay1 - t.ay0) / (FS * 2));
    nbx = nbx < 1 ? 1 : nbx > 9 ? 9 : nbx;
    nby = nby < 1 ? 1 : nby > 9 ? 9 : nby;
    axis_ticks xt, yt;
    memset(&yt, 0, sizeof yt);
    double xa = t.xlo < t.xhi ? t.xlo : t.xhi, xb = t.xlo < t.xhi ? t.xhi : t.xlo;
    double ya = t.ylo < t.yhi ? t.ylo : t.yhi, yb = t.ylo < t.yhi ? t.yhi : t.ylo;
    if (make_ticks(&xt, xa, xb, nbx, f->xcats, f->nxcats) || make_ticks(&yt, ya, yb, nby, NULL, 0)) {
        axis_ticks_free(&xt);
        axis_ticks_free(&yt);
        return NULL;
    }

    /* screen vertices of line and scatter series */
    verts *vs = calloc((size_t)(f->nseries ? f->nseries : 1), sizeof *vs);
    int failed = !vs;
    for (int i = 0; i < f->nseries && !failed; i++)
        if (f->series[i].kind != PLOT_BAR && series_verts(&f->series[i], &t, &vs[i])) failed = 1;
    if (failed) { /* out of memory: nothing half-drawn leaves here */
        for (int i = 0; i < f->nseries && vs; i++) verts_free(&vs[i]);
        free(vs);
        axis_ticks_free(&xt);
        axis_ticks_free(&yt);
        return NULL;
    }

    fmtbuf b;
    fmtbuf_init(&b);
    bbox bb = { 0 };
    bb_add(&bb, t.ax0, t.ay0, t.ax1, t.ay1);

    /* defs: clip path and markers */
    fmtbuf_puts(&b, "<defs>\n");
    fmtbuf_printf(&b, "<clipPath id=\"%s-clip\"><rect x=\"", idp);
    num(&b, t.ax0);
    fmtbuf_puts(&b, "\" y=\"");
    num(&b, t.ay0);
    fmtbuf_puts(&b, "\" width=\"");
    num(&b, t.ax1 - t.ax0);
    fmtbuf_puts(&b, "\" height=\"");
    num(&b, t.ay1 - t.ay0);
    fmtbuf_puts(&b, "\"/></clipPath>\n");
    for (int i = 0; i < f->nseries; i++) {
        if (!f->series[i].marker) continue;
        char mid[64];
        snprintf(mid, sizeof mid, "%s-m%d", idp, i);
        marker_def(&b, f->series[i].marker, f->series[i].markersize, mid);
    }
    fmtbuf_puts(&b, "</defs>\n");

    /* axes background */
    fmtbuf_puts(&b, "<rect class=\"axes-background\" x=\"");
    num(&b, t.ax0);
    fmtbuf_puts(&b, "\" y=\"");
    num(&b, t.ay0);
    fmtbuf_puts(&b, "\" width=\"");
    num(&b, t.ax1 - t.ax0);
    fmtbuf_puts(&b, "\" height=\"");
    num(&b, t.ay1 - t.ay0);
    fmtbuf_puts(&b, "\" fill=\"#ffffff\"/>\n");

    /* zorder 1: bars and scatter, 1.5: grid, 2: lines */
    for (int pass = 0; pass < 3; pass++) {
        if (pass == 1) {
            if (!f->grid) continue;
            fmtbuf_puts(&b, "<g class=\"grid\" stroke=\"#b0b0b0\" stroke-width=\"0.8\" stroke-linecap=\"square\">\n");
            for (int i = 0; i < xt.n; i++) {
                double x = sx(&t, xt.ticks[i]);
                fmtbuf_puts(&b, "<path d=\"M");
                num(&b, x); fmtbuf_putc(&b, ' '); num(&b, t.ay1);
                fmtbuf_puts(&b, "V");
                num(&b, t.ay0);
                fmtbuf_puts(&b, "\"/>\n");
            }
            for (int i = 0; i < yt.n; i++) {
                double y = sy(&t, yt.ticks[i]);
                fmtbuf_puts(&b, "<path d=\"M");
                num(&b, t.ax0); fmtbuf_putc(&b, ' '); num(&b, y);
                fmtbuf_puts(&b, "H");
                num(&b, t.ax1);
                fmtbuf_puts(&b, "\"/>\n");
            }
            fmtbuf_puts(&b, "</g>\n");
            continue;
        }
        for (int i = 0; i < f->nseries; i++) {
            const plot_series *s = &f->series[i];
            int is_line = s->kind == PLOT_LINE;
            if ((pass == 0) == is_line) continue;
            char mid[64];
            snprintf(mid, sizeof mid, "%s-m%d", idp, i);
            if (s->kind == PLOT_BAR) {
                /* a hairline of the fill colour closes the anti-aliasing seams
                 * between adjacent histogram bars */
                fmtbuf_printf(&b, "<g class=\"bar\" clip-path=\"url(#%s-clip)\" fill=\"%s\" stroke=\"%s\" stroke-width=\"0.3\"",
                              idp, s->color, s->color);
                if (s->alpha < 1) fmtbuf_printf(&b, " opacity=\"%g\"", s->alpha);
                fmtbuf_puts(&b, ">\n");
                for (int64_t k = 0; k < s->n; k++) {
                    if (!isfinite(s->x[k]) || !isfinite(s->y[k])) continue;
                    double x0 = sx(&t, s->x[k] - s->w[k] / 2), x1 = sx(&t, s->x[k] + s->w[k] / 2);
                    double y0 = sy(&t, s->y[k]), y1 = sy(&t, 0);
                    if (x0 > x1) { double tt = x0; x0 = x1; x1 = tt; }
                    if (y0 > y1) { double tt = y0; y0 = y1; y1 = tt; }
                    fmtbuf_puts(&b, "<rect x=\"");
                    num(&b, x0);
                    fmtbuf_puts(&b, "\" y=\"");
                    num(&b, y0);
                    fmtbuf_puts(&b, "\" width=\"");
                    num(&b, x1 - x0);
                    fmtbuf_puts(&b, "\" height=\"");
                    num(&b, y1 - y0);
                    fmtbuf_puts(&b, "\"/>\n");
                }
                fmtbuf_puts(&b, "</g>\n");
                continue;
            }
            const verts *v = &vs[i];
            if (is_line && s->linestyle[0] && v->n > 0) {
                fmtbuf_printf(&b, "<path class=\"line\" clip-path=\"url(#%s-clip)\" fill=\"none\" stroke=\"%s\" stroke-width=\"%g\""
                              " stroke-linejoin=\"round\" stroke-linecap=\"%s\"",
                              idp, s->color, s->linewidth, strcmp(s->linestyle, "-") ? "butt" : "square");
                dash_attr(&b, s->linestyle, s->linewidth);
                if (s->alpha < 1) fmtbuf_printf(&b, " stroke-opacity=\"%g\"", s->alpha);
                fmtbuf_puts(&b, " d=\"");
                int pen = 0;
                for (int64_t k = 0; k < v->n; k++) {
                    if (isnan(v->x[k])) { pen = 0; continue; }
                    if (pen == 0) fmtbuf_putc(&b, 'M');
                    else if (pen == 1) fmtbuf_putc(&b, 'L');
                    else fmtbuf_putc(&b, ' ');
                    num(&b, v->x[k]);
                    fmtbuf_putc(&b, ' ');
                    num(&b, v->y[k]);
                    pen = pen == 0 ? 1 : 2;
                }
                fmtbuf_puts(&b, "\"/>\n");
            }
            if (s->marker && v->n > 0) {
                fmtbuf_printf(&b, "<g class=\"%s\" clip-path=\"url(#%s-clip)\"", is_line ? "markers" : "scatter", idp);
                marker_style(&b, s);
                fmtbuf_puts(&b, ">\n");
                for (int64_t k = 0; k < v->n; k++)
                    if (!isnan(v->x[k])) put_use(&b, mid, v->x[k], v->y[k]);
                fmtbuf_puts(&b, "</g>\n");
            }
        }
    }

    /* spines */
    fmtbuf_puts(&b, "<g class=\"spines\" stroke=\"#000000\" stroke-width=\"0.8\" stroke-linecap=\"square\" fill=\"none\">\n<path d=\"M");
    num(&b, t.ax0); fmtbuf_putc(&b, ' '); num(&b, t.ay0);
    fmtbuf_puts(&b, "H"); num(&b, t.ax1);
    fmtbuf_puts(&b, "V"); num(&b, t.ay1);
    fmtbuf_puts(&b, "H"); num(&b, t.ax0);
    fmtbuf_puts(&b, "Z\"/>\n</g>\n");

    /* x ticks and labels */
    fmtbuf_puts(&b, "<g class=\"xticks\">\n<path stroke=\"#000000\" stroke-width=\"0.8\" d=\"");
    for (int i = 0; i < xt.n; i++) {
        fmtbuf_putc(&b, 'M');
        num(&b, sx(&t, xt.ticks[i])); fmtbuf_putc(&b, ' '); num(&b, t.ay1);
        fmtbuf_puts(&b, "v3.5");
    }
    fmtbuf_puts(&b, "\"/>\n");
    double xlab_base = t.ay1 + TICK_LEN + TICK_PAD + FS * (TEXT_H - DESCENT);
    for (int i = 0; i < xt.n; i++)
        put_text(&b, &bb, xt.labels[i], sx(&t, xt.ticks[i]), xlab_base, FS, "middle", 0, NULL);
    double below = xt.n ? xlab_base + FS * DESCENT : t.ay1 + TICK_LEN;
    if (xt.extra) put_text(&b, &bb, xt.extra, t.ax1, below + FS * (TEXT_H - DESCENT), FS, "end", 0, "offset");
    fmtbuf_puts(&b, "</g>\n");

    /* y ticks and labels */
    fmtbuf_puts(&b, "<g class=\"yticks\">\n<path stroke=\"#000000\" stroke-width=\"0.8\" d=\"");
    for (int i = 0; i < yt.n; i++) {
        fmtbuf_putc(&b, 'M');
        num(&b, t.ax0); fmtbuf_putc(&b, ' '); num(&b, sy(&t, yt.ticks[i]));
        fmtbuf_puts(&b, "h-3.5");
    }
    fmtbuf_puts(&b, "\"/>\n");
    for (int i = 0; i < yt.n; i++)
        put_text(&b, &bb, yt.labels[i], t.ax0 - TICK_LEN - TICK_PAD, sy(&t, yt.ticks[i]) + FS * 0.36, FS, "end", 0, NULL);
    if (yt.extra) put_text(&b, &bb, yt.extra, t.ax0, t.ay0 - 4, FS, "start", 0, "offset");
    fmtbuf_puts(&b, "</g>\n");

    /* axis labels and title */
    if (f->xlabel && *f->xlabel)
        put_text(&b, &bb, f->xlabel, (t.ax0 + t.ax1) / 2, below + LABEL_PAD + FS * (TEXT_H - DESCENT), FS, "middle", 0, "xlabel");
    if (f->ylabel && *f->ylabel) {
        double left = t.ax0 - TICK_LEN - (yt.n ? TICK_PAD + yt.maxw : 0) - LABEL_PAD;
        put_text(&b, &bb, f->ylabel, left - FS * DESCENT, (t.ay0 + t.ay1) / 2, FS, "middle", 1, "ylabel");
    }
    if (f->title && *f->title) {
        double base = t.ay0 - TITLE_PAD - FS_TITLE * DESCENT;
        if (yt.extra) base -= FS * TEXT_H; /* stay above the offset text */
        put_text(&b, &bb, f->title, (t.ax0 + t.ax1) / 2, base, FS_TITLE, "middle", 0, "title");
    }

    /* legend */
    int nleg = 0;
    double maxlw = 0;
    for (int i = 0; i < f->nseries; i++)
        if (f->series[i].label) {
            nleg++;
            double w = text_width(f->series[i].label, FS);
            if (w > maxlw) maxlw = w;
        }
    if (f->legend && nleg > 0 && !failed) {
        const double pad = 0.4 * FS, rowh = FS * TEXT_H, gap = 0.5 * FS, hl = 2.0 * FS, htp = 0.8 * FS, bap = 0.5 * FS;
        double lw = pad + hl + htp + maxlw + pad, lh = pad * 2 + nleg * rowh + (nleg - 1) * gap;
        /* matplotlib's "best": first of these with the least overlap */
        static const double loc[9][2] = {
            { 1, 0 }, { 0, 0 }, { 0, 1 }, { 1, 1 }, { 0, 0.5 }, { 1, 0.5 }, { 0.5, 1 }, { 0.5, 0 }, { 0.5, 0.5 },
        };
        double best = INFINITY;
        bbox box = { 0 }, cand;
        for (int k = 0; k < 9; k++) {
            double x0 = t.ax0 + bap + loc[k][0] * (t.ax1 - t.ax0 - 2 * bap - lw);
            double y0 = t.ay0 + bap + loc[k][1] * (t.ay1 - t.ay0 - 2 * bap - lh);
            cand.x0 = x0; cand.y0 = y0; cand.x1 = x0 + lw; cand.y1 = y0 + lh; cand.set = 1;
            double bad = badness(f, vs, &t, &cand);
            if (bad < best) { best = bad; box = cand; }
            if (bad == 0) break;
        }
        fmtbuf_puts(&b, "<g class=\"legend\">\n<rect x=\"");
        num(&b, box.x0);
        fmtbuf_puts(&b, "\" y=\"");
        num(&b, box.y0);
        fmtbuf_puts(&b, "\" width=\"");
        num(&b, lw);
        fmtbuf_puts(&b, "\" height=\"");
        num(&b, lh);
        fmtbuf_puts(&b, "\" rx=\"2\" fill=\"#ffffff\" fill-opacity=\"0.8\" stroke=\"#cccccc\" stroke-opacity=\"0.8\" stroke-width=\"1\"/>\n");
        double y = box.y0 + pad;
        for (int i = 0; i < f->nseries; i++) {
            const plot_series *s = &f->series[i];
            if (!s->label) continue;
            double cy = y + rowh / 2, hx0 = box.x0 + pad, hx1 = hx0 + hl;
            char mid[64];
            snprintf(mid, sizeof mid, "%s-m%d", idp, i);
            if (s->kind == PLOT_BAR) {
                fmtbuf_printf(&b, "<rect x=\"");
                num(&b, hx0);
                fmtbuf_puts(&b, "\" y=\"");
                num(&b, cy - 0.35 * FS);
                fmtbuf_printf(&b, "\" width=\"%g\" height=\"%g\" fill=\"%s\"/>\n", hl, 0.7 * FS, s->color);
            } else {
                if (s->kind == PLOT_LINE && s->linestyle[0]) {
                    fmtbuf_printf(&b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%g\" stroke-linecap=\"%s\"", s->color,
                                  s->linewidth, strcmp(s->linestyle, "-") ? "butt" : "square");
                    dash_attr(&b, s->linestyle, s->linewidth);
                    fmtbuf_puts(&b, " d=\"M");
                    num(&b, hx0); fmtbuf_putc(&b, ' '); num(&b, cy);
                    fmtbuf_puts(&b, "H"); num(&b, hx1);
                    fmtbuf_puts(&b, "\"/>\n");
                }
                if (s->marker) {
                    fmtbuf_puts(&b, "<g");
                    marker_style(&b, s);
                    fmtbuf_puts(&b, ">");
                    put_use(&b, mid, (hx0 + hx1) / 2, cy);
                    fmtbuf_puts(&b, "</g>\n");
                }
            }
            put_text(&b, &bb, s->label, hx1 + htp, cy + FS * 0.36, FS, "start", 0, "legend-label");
            y += rowh + gap;
        }
        fmtbuf_puts(&b, "</g>\n");
        bb_add(&bb, box.x0, box.y0, box.x0 + lw, box.y0 + lh);
    }

    for (int i = 0; i < f->nseries && vs; i++) verts_free(&vs[i]);
    free(vs);
    axis_ticks_free(&xt);
    axis_ticks_free(&yt);
    if (failed) { fmtbuf_free(&b); return NULL; }
    char *body = fmtbuf_take(&b);
    if (!body) return NULL;

    /* bbox_inches="tight", pad_inches=0.1 */
    double vx = bb.x0 - 7.2, vy = bb.y0 - 7.2, vw = bb.x1 - bb.x0 + 14.4, vh = bb.y1 - bb.y0 + 14.4;
    fmtbuf out;
    fmtbuf_init(&out);
    fmtbuf_puts(&out, "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"1.1\" width=\"");
    num(&out, vw);
    fmtbuf_puts(&out, "pt\" height=\"");
    num(&out, vh);
    fmtbuf_puts(&out, "pt\" viewBox=\"");
    num(&out, vx); fmtbuf_putc(&out, ' ');
    num(&out, vy); fmtbuf_putc(&out, ' ');
    num(&out, vw); fmtbuf_putc(&out, ' ');
    num(&out, vh);
    fmtbuf_printf(&out, "\" font-family=\"%s\" font-size=\"%g\">\n", FONT_FAMILY, FS);
    fmtbuf_puts(&out, "<rect class=\"background\" x=\"");
    num(&out, vx);
    fmtbuf_puts(&out, "\" y=\"");
    num(&out, vy);
    fmtbuf_puts(&out, "\" width=\"");
    num(&out, vw);
    fmtbuf_puts(&out, "\" height=\"");
    num(&out, vh);
    fmtbuf_puts(&out, "\" fill=\"#ffffff\"/>\n");
    fmtbuf_puts(&out, body);
    fmtbuf_puts(&out, "</svg>\n");
    free(body);
    return fmtbuf_take(&out);
}
