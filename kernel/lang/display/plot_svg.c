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

/* <text> at (x, baseline y); anchor "start" / "middle" / "end"; rotated
 * counter-clockwise by `rotation` degrees about (x, y) (90: vertical). Adds
 * its box to bb. */
static void put_text(fmtbuf *b, bbox *bb, const char *s, double x, double y, double fs,
                     const char *anchor, double rotation, const char *cls) {
    double w = text_width(s, fs);
    double off = strcmp(anchor, "middle") == 0 ? w / 2 : strcmp(anchor, "end") == 0 ? w : 0;
    if (rotation == 0) {
        bb_add(bb, x - off, y - fs * (TEXT_H - DESCENT), x - off + w, y + fs * DESCENT);
    } else {
        /* the corners of the rotated text box */
        double r = rotation * M_PI / 180, c = cos(r), sn = sin(r);
        double cx[2] = { -off, w - off }, cy[2] = { -fs * (TEXT_H - DESCENT), fs * DESCENT };
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                double px = x + cx[i] * c + cy[j] * sn, py = y - cx[i] * sn + cy[j] * c;
                bb_add(bb, px, py, px, py);
            }
    }
    fmtbuf_puts(b, "<text");
    if (cls) fmtbuf_printf(b, " class=\"%s\"", cls);
    fmtbuf_puts(b, " x=\"");
    num(b, x);
    fmtbuf_puts(b, "\" y=\"");
    num(b, y);
    fmtbuf_puts(b, "\"");
    if (fs != FS) fmtbuf_printf(b, " font-size=\"%g\"", fs);
    if (strcmp(anchor, "start") != 0) fmtbuf_printf(b, " text-anchor=\"%s\"", anchor);
    if (rotation != 0) {
        fmtbuf_printf(b, " transform=\"rotate(%g ", -rotation);
        num(b, x);
        fmtbuf_putc(b, ' ');
        num(b, y);
        fmtbuf_puts(b, ")\"");
    }
    fmtbuf_putc(b, '>');
    html_escape_to(b, s);
    fmtbuf_puts(b, "</text>\n");
}

/* <rect x y width height followed by `rest` (attributes and the closing "/>"). */
static void put_rect(fmtbuf *b, const char *cls, double x, double y, double w, double h, const char *rest) {
    fmtbuf_puts(b, "<rect");
    if (cls) fmtbuf_printf(b, " class=\"%s\"", cls);
    fmtbuf_puts(b, " x=\"");
    num(b, x);
    fmtbuf_puts(b, "\" y=\"");
    num(b, y);
    fmtbuf_puts(b, "\" width=\"");
    num(b, w);
    fmtbuf_puts(b, "\" height=\"");
    num(b, h);
    fmtbuf_puts(b, "\"");
    fmtbuf_puts(b, rest);
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

static double badness(const plot_axes *f, const verts *vs, const xform *t, const bbox *box) {
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

/* ---- ticks ------------------------------------------------------------------------------------ */

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
    double fs;         /* label font size */
    double rotation;   /* label rotation, degrees */
} axis_ticks;

static void axis_ticks_free(axis_ticks *a) {
    for (int i = 0; i < a->n; i++) free(a->labels[i]);
    free(a->extra);
    a->n = 0;
    a->extra = NULL;
}

static int add_tick(axis_ticks *a, double pos, char *label) {
    if (!label) return -1;
    if (a->n == MAX_TICKS) { free(label); return 0; }
    a->ticks[a->n] = pos;
    a->labels[a->n++] = label;
    double w = text_width(label, a->fs);
    if (a->rotation != 0) w = w * fabs(sin(a->rotation * M_PI / 180)) + a->fs * fabs(cos(a->rotation * M_PI / 180));
    if (w > a->maxw) a->maxw = w;
    return 0;
}

/* Ticks for one axis: fixed (xticks(...)), categorical or automatic. 0 / -1. */
static int make_ticks(axis_ticks *a, double lo, double hi, int nbins, char **cats, int ncats,
                      const plot_fixed_ticks *fixed, double fs) {
    memset(a, 0, sizeof *a);
    a->fs = fs;
    a->rotation = fixed->rotation;
    double eps = (hi - lo) * 1e-10;
    if (fixed->fixed) {
        char *lab[MAX_TICKS];
        int n = fixed->n < MAX_TICKS ? fixed->n : MAX_TICKS;
        if (!fixed->labels && n > 0 && plot_tick_labels(fixed->pos, n, lo, hi, lab, &a->extra)) return -1;
        for (int i = 0; i < n; i++) {
            char *l = fixed->labels ? strdup(fixed->labels[i]) : lab[i];
            if (fixed->pos[i] < lo - eps || fixed->pos[i] > hi + eps) { free(l); continue; }
            if (add_tick(a, fixed->pos[i], l)) {
                for (int k = i + 1; !fixed->labels && k < n; k++) free(lab[k]);
                return -1;
            }
        }
        return 0;
    }
    if (ncats > 0) {
        for (int i = 0; i < ncats; i++)
            if (i >= lo && i <= hi && add_tick(a, i, strdup(cats[i]))) return -1;
        return 0;
    }
    double all[MAX_TICKS];
    char *lab[MAX_TICKS];
    int n = plot_nice_ticks(lo, hi, nbins, all, MAX_TICKS);
    if (plot_tick_labels(all, n, lo, hi, lab, &a->extra)) return -1;
    for (int i = 0; i < n; i++) {
        if (all[i] < lo - eps || all[i] > hi + eps) { free(lab[i]); continue; }
        if (add_tick(a, all[i], lab[i])) {
            for (int k = i + 1; k < n; k++) free(lab[k]);
            return -1;
        }
    }
    return 0;
}

static double fs_or(double fs, double def) { return fs > 0 ? fs : def; }

/* ---- one axes: limits, layout and ticks ------------------------------------------------------- */

/* Everything computed for drawing one axes. */
typedef struct {
    const plot_axes *ax;
    xform   t;
    axis_ticks xt, yt;
    verts  *vs;        /* screen points per series (NULL for bars) */
    char    idp[48];   /* id prefix of its clip path and markers */
    double  cbar_x0, cbar_x1; /* colour bar box (x), when drawn */
} axes_draw;

/* matplotlib's autoscaled view limits of an axes; an image fixes them to
 * its pixel edges with the y axis downward (origin 'upper'). */
static void axes_limits(const plot_axes *f, xform *t) {
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
    autoscale(&xs, f->nseries > 0, &t->xlo, &t->xhi);
    autoscale(&ys, f->nseries > 0, &t->ylo, &t->yhi);
    if (f->image) {
        t->xlo = -0.5;
        t->xhi = (double)f->image->w - 0.5;
        t->ylo = (double)f->image->h - 0.5;
        t->yhi = -0.5;
    }
    if (f->has_xlim && isfinite(f->xlim[0]) && isfinite(f->xlim[1]) && f->xlim[0] != f->xlim[1]) {
        t->xlo = f->xlim[0];
        t->xhi = f->xlim[1];
    }
    if (f->has_ylim && isfinite(f->ylim[0]) && isfinite(f->ylim[1]) && f->ylim[0] != f->ylim[1]) {
        t->ylo = f->ylim[0];
        t->yhi = f->ylim[1];
    }
}

/* aspect='equal' of an image: the box shrinks about its centre so one data
 * unit is as long on both axes (matplotlib's adjustable 'box', anchor 'C'). */
static void apply_aspect(const plot_axes *ax, xform *t) {
    if (!ax->image || ax->aspect_auto) return;
    double bw = t->ax1 - t->ax0, bh = t->ay1 - t->ay0;
    double dw = fabs(t->xhi - t->xlo), dh = fabs(t->yhi - t->ylo);
    if (!(bw > 0 && bh > 0 && dw > 0 && dh > 0)) return;
    if (dh / dw > bh / bw) {
        double nw = bh * dw / dh, cx = (t->ax0 + t->ax1) / 2;
        t->ax0 = cx - nw / 2;
        t->ax1 = cx + nw / 2;
    } else {
        double nh = bw * dh / dw, cy = (t->ay0 + t->ay1) / 2;
        t->ay0 = cy - nh / 2;
        t->ay1 = cy + nh / 2;
    }
}

/* Colour bar geometry (matplotlib's make_axes: fraction .15, pad .05,
 * aspect 20): the parent gives up the right part of its box. */
#define CBAR_FRACTION 0.15
#define CBAR_PAD 0.05
static void reserve_colorbar(const plot_axes *ax, xform *t, double *cb0, double *cb1) {
    *cb0 = *cb1 = 0;
    if (!ax->colorbar || !ax->image) return;
    double w = t->ax1 - t->ax0;
    double right = t->ax1;
    t->ax1 = t->ax0 + w * (1 - CBAR_FRACTION - CBAR_PAD);
    *cb0 = right - w * CBAR_FRACTION;
    *cb1 = *cb0 + w * CBAR_FRACTION;
}

/* Ticks of both axes for the box in t. 0 / -1. */
static int axes_ticks(const plot_axes *ax, const xform *t, axis_ticks *xt, axis_ticks *yt) {
    memset(xt, 0, sizeof *xt);
    memset(yt, 0, sizeof *yt);
    if (ax->axis_off) return 0;
    /* MaxNLocator("auto") gets axis length / (3 x font) bins for x,
     * / (2 x font) for y, between 1 and 9 */
    int nbx = (int)floor((t->ax1 - t->ax0) / (FS * 3)), nby = (int)floor((t->ay1 - t->ay0) / (FS * 2));
    nbx = nbx < 1 ? 1 : nbx > 9 ? 9 : nbx;
    nby = nby < 1 ? 1 : nby > 9 ? 9 : nby;
    double xa = fmin(t->xlo, t->xhi), xb = fmax(t->xlo, t->xhi);
    double ya = fmin(t->ylo, t->yhi), yb = fmax(t->ylo, t->yhi);
    if (make_ticks(xt, xa, xb, nbx, ax->xcats, ax->nxcats, &ax->xticks, fs_or(ax->xtick_fs, FS)) ||
        make_ticks(yt, ya, yb, nby, NULL, 0, &ax->yticks, fs_or(ax->ytick_fs, FS))) {
        axis_ticks_free(xt);
        axis_ticks_free(yt);
        return -1;
    }
    return 0;
}

/* Room the labels of an axes take outside its box, in points. */
typedef struct { double left, right, top, bottom; } margins;

static margins axes_margins(const plot_axes *ax, const axis_ticks *xt, const axis_ticks *yt, double cbar_w) {
    margins m = { 0, 0, 0, 0 };
    if (!ax->axis_off) {
        double xfs = xt->fs, yfs = yt->fs;
        double xh = xt->n ? (xt->rotation != 0 ? xt->maxw : xfs * TEXT_H) : 0;
        m.bottom = xt->n ? TICK_LEN + TICK_PAD + xh : 0;
        m.left = yt->n ? TICK_LEN + TICK_PAD + yt->maxw : 0;
        (void)yfs;
        if (ax->xlabel && *ax->xlabel) m.bottom += LABEL_PAD + fs_or(ax->xlabel_fs, FS) * TEXT_H;
        if (ax->ylabel && *ax->ylabel) m.left += LABEL_PAD + fs_or(ax->ylabel_fs, FS) * TEXT_H;
        if (yt->extra) m.top += FS * TEXT_H;
    }
    if (ax->title && *ax->title) m.top += TITLE_PAD + fs_or(ax->title_fs, FS_TITLE) * TEXT_H;
    if (cbar_w > 0) m.right += TICK_LEN + TICK_PAD + 4 * FS * 0.636; /* tick labels of ~4 digits */
    return m;
}

/* The subplot box of an axes on its grid: matplotlib's subplot parameters
 * (left .125, right .9, bottom .11, top .88, wspace = hspace = .2), or,
 * after tight_layout(), margins and gaps that fit every axes' labels
 * (pad 1.08 x font size). Boxes are (left, right, top, bottom) in points. */
static void grid_cell(const plot_figure *f, const plot_axes *ax, const margins *tight, xform *t) {
    double W = f->width_in * 72, H = f->height_in * 72;
    double left = 0.125 * W, right = 0.9 * W, top = 0.12 * H, bottom = 0.89 * H;
    double wgap = -1, hgap = -1;
    if (tight) {
        double pad = 1.08 * FS;
        left = tight[0].left + pad;
        right = W - tight[0].right - pad;
        top = tight[0].top + pad;
        bottom = H - tight[0].bottom - pad;
        wgap = tight[1].left + pad;   /* between columns: right + left labels */
        hgap = tight[1].top + pad;    /* between rows: bottom + top labels */
        if (right - left < W * 0.2) { left = 0.125 * W; right = 0.9 * W; wgap = -1; }
        if (bottom - top < H * 0.2) { top = 0.12 * H; bottom = 0.89 * H; hgap = -1; }
    }
    int r = (ax->index - 1) / ax->cols, c = (ax->index - 1) % ax->cols;
    double cw, ch;
    if (wgap < 0) { cw = (right - left) / (ax->cols + 0.2 * (ax->cols - 1)); wgap = 0.2 * cw; }
    else cw = (right - left - wgap * (ax->cols - 1)) / ax->cols;
    if (hgap < 0) { ch = (bottom - top) / (ax->rows + 0.2 * (ax->rows - 1)); hgap = 0.2 * ch; }
    else ch = (bottom - top - hgap * (ax->rows - 1)) / ax->rows;
    if (cw < 1) cw = 1;
    if (ch < 1) ch = 1;
    t->ax0 = left + c * (cw + wgap);
    t->ax1 = t->ax0 + cw;
    t->ay0 = top + r * (ch + hgap);
    t->ay1 = t->ay0 + ch;
}

/* Limits, box, ticks and screen points of one axes. 0 / -1 (OOM). */
static int axes_prepare(const plot_figure *f, const plot_axes *ax, const margins *tight, axes_draw *d) {
    memset(d, 0, sizeof *d);
    d->ax = ax;
    axes_limits(ax, &d->t);
    grid_cell(f, ax, tight, &d->t);
    reserve_colorbar(ax, &d->t, &d->cbar_x0, &d->cbar_x1);
    apply_aspect(ax, &d->t);
    if (d->cbar_x1 > d->cbar_x0) {
        /* the bar follows the shrunk parent: its height, aspect 20 */
        double h = d->t.ay1 - d->t.ay0, w = fmin(h / 20, d->cbar_x1 - d->cbar_x0);
        d->cbar_x0 = d->t.ax1 + (d->cbar_x1 - d->cbar_x0) * CBAR_PAD / CBAR_FRACTION * 0.5;
        d->cbar_x1 = d->cbar_x0 + w;
    }
    if (axes_ticks(ax, &d->t, &d->xt, &d->yt)) return -1;
    d->vs = calloc((size_t)(ax->nseries ? ax->nseries : 1), sizeof *d->vs);
    if (!d->vs) return -1;
    for (int i = 0; i < ax->nseries; i++)
        if (ax->series[i].kind != PLOT_BAR && series_verts(&ax->series[i], &d->t, &d->vs[i])) return -1;
    return 0;
}

static void axes_draw_free(axes_draw *d) {
    for (int i = 0; d->vs && i < d->ax->nseries; i++) verts_free(&d->vs[i]);
    free(d->vs);
    d->vs = NULL;
    axis_ticks_free(&d->xt);
    axis_ticks_free(&d->yt);
}

/* ---- one axes: drawing -------------------------------------------------------------------------- */

static void draw_defs(fmtbuf *b, const axes_draw *d) {
    const plot_axes *ax = d->ax;
    fmtbuf_puts(b, "<defs>\n");
    fmtbuf_printf(b, "<clipPath id=\"%s-clip\">", d->idp);
    put_rect(b, NULL, d->t.ax0, d->t.ay0, d->t.ax1 - d->t.ax0, d->t.ay1 - d->t.ay0, "/></clipPath>\n");
    for (int i = 0; i < ax->nseries; i++) {
        if (!ax->series[i].marker) continue;
        char mid[80];
        snprintf(mid, sizeof mid, "%s-m%d", d->idp, i);
        marker_def(b, ax->series[i].marker, ax->series[i].markersize, mid);
    }
    fmtbuf_puts(b, "</defs>\n");
}

/* An RGBA image stretched over a box, one PNG pixel per data cell, drawn
 * with nearest-neighbour scaling as matplotlib shows small images. */
static int put_png(fmtbuf *b, const uint8_t *rgba, int64_t h, int64_t w, int alpha, double x, double y,
                   double bw, double bh, const char *cls, const char *clip) {
    char *png = plot_png_base64(rgba, h, w, alpha);
    if (!png) return -1;
    fmtbuf_printf(b, "<image class=\"%s\"", cls);
    if (clip) fmtbuf_printf(b, " clip-path=\"url(#%s-clip)\"", clip);
    fmtbuf_puts(b, " x=\"");
    num(b, x);
    fmtbuf_puts(b, "\" y=\"");
    num(b, y);
    fmtbuf_puts(b, "\" width=\"");
    num(b, bw);
    fmtbuf_puts(b, "\" height=\"");
    num(b, bh);
    fmtbuf_puts(b, "\" preserveAspectRatio=\"none\" image-rendering=\"optimizeSpeed\" style=\"image-rendering:pixelated\""
                   " xlink:href=\"data:image/png;base64,");
    fmtbuf_puts(b, png);
    fmtbuf_puts(b, "\"/>\n");
    free(png);
    return 0;
}

static int draw_image(fmtbuf *b, const axes_draw *d) {
    const plot_image *im = d->ax->image;
    if (!im) return 0;
    const xform *t = &d->t;
    double x0 = sx(t, -0.5), x1 = sx(t, (double)im->w - 0.5);
    double y0 = sy(t, -0.5), y1 = sy(t, (double)im->h - 0.5);
    return put_png(b, im->rgba, im->h, im->w, im->has_alpha, fmin(x0, x1), fmin(y0, y1), fabs(x1 - x0), fabs(y1 - y0),
                   "image", d->idp);
}

static void draw_grid(fmtbuf *b, const axes_draw *d) {
    const xform *t = &d->t;
    fmtbuf_puts(b, "<g class=\"grid\" stroke=\"#b0b0b0\" stroke-width=\"0.8\" stroke-linecap=\"square\">\n");
    for (int i = 0; i < d->xt.n; i++) {
        fmtbuf_puts(b, "<path d=\"M");
        num(b, sx(t, d->xt.ticks[i])); fmtbuf_putc(b, ' '); num(b, t->ay1);
        fmtbuf_puts(b, "V");
        num(b, t->ay0);
        fmtbuf_puts(b, "\"/>\n");
    }
    for (int i = 0; i < d->yt.n; i++) {
        fmtbuf_puts(b, "<path d=\"M");
        num(b, t->ax0); fmtbuf_putc(b, ' '); num(b, sy(t, d->yt.ticks[i]));
        fmtbuf_puts(b, "H");
        num(b, t->ax1);
        fmtbuf_puts(b, "\"/>\n");
    }
    fmtbuf_puts(b, "</g>\n");
}

static void draw_bars(fmtbuf *b, const axes_draw *d, const plot_series *s) {
    const xform *t = &d->t;
    /* a hairline of the fill colour closes the anti-aliasing seams
     * between adjacent histogram bars */
    fmtbuf_printf(b, "<g class=\"bar\" clip-path=\"url(#%s-clip)\" fill=\"%s\" stroke=\"%s\" stroke-width=\"0.3\"",
                  d->idp, s->color, s->color);
    if (s->alpha < 1) fmtbuf_printf(b, " opacity=\"%g\"", s->alpha);
    fmtbuf_puts(b, ">\n");
    for (int64_t k = 0; k < s->n; k++) {
        if (!isfinite(s->x[k]) || !isfinite(s->y[k])) continue;
        double x0 = sx(t, s->x[k] - s->w[k] / 2), x1 = sx(t, s->x[k] + s->w[k] / 2);
        double y0 = sy(t, s->y[k]), y1 = sy(t, 0);
        put_rect(b, NULL, fmin(x0, x1), fmin(y0, y1), fabs(x1 - x0), fabs(y1 - y0), "/>\n");
    }
    fmtbuf_puts(b, "</g>\n");
}

static void draw_line(fmtbuf *b, const axes_draw *d, const plot_series *s, const verts *v) {
    fmtbuf_printf(b, "<path class=\"line\" clip-path=\"url(#%s-clip)\" fill=\"none\" stroke=\"%s\" stroke-width=\"%g\""
                  " stroke-linejoin=\"round\" stroke-linecap=\"%s\"",
                  d->idp, s->color, s->linewidth, strcmp(s->linestyle, "-") ? "butt" : "square");
    dash_attr(b, s->linestyle, s->linewidth);
    if (s->alpha < 1) fmtbuf_printf(b, " stroke-opacity=\"%g\"", s->alpha);
    fmtbuf_puts(b, " d=\"");
    int pen = 0;
    for (int64_t k = 0; k < v->n; k++) {
        if (isnan(v->x[k])) { pen = 0; continue; }
        if (pen == 0) fmtbuf_putc(b, 'M');
        else if (pen == 1) fmtbuf_putc(b, 'L');
        else fmtbuf_putc(b, ' ');
        num(b, v->x[k]);
        fmtbuf_putc(b, ' ');
        num(b, v->y[k]);
        pen = pen == 0 ? 1 : 2;
    }
    fmtbuf_puts(b, "\"/>\n");
}

static void draw_markers(fmtbuf *b, const axes_draw *d, const plot_series *s, const verts *v, const char *mid) {
    fmtbuf_printf(b, "<g class=\"%s\" clip-path=\"url(#%s-clip)\"", s->kind == PLOT_LINE ? "markers" : "scatter", d->idp);
    marker_style(b, s);
    fmtbuf_puts(b, ">\n");
    for (int64_t k = 0; k < v->n; k++)
        if (!isnan(v->x[k])) put_use(b, mid, v->x[k], v->y[k]);
    fmtbuf_puts(b, "</g>\n");
}

/* zorder 1: bars and scatter, 1.5: grid, 2: lines */
static void draw_series(fmtbuf *b, const axes_draw *d) {
    const plot_axes *ax = d->ax;
    for (int pass = 0; pass < 3; pass++) {
        if (pass == 1) {
            if (ax->grid && !ax->axis_off) draw_grid(b, d);
            continue;
        }
        for (int i = 0; i < ax->nseries; i++) {
            const plot_series *s = &ax->series[i];
            int is_line = s->kind == PLOT_LINE;
            if ((pass == 0) == is_line) continue;
            if (s->kind == PLOT_BAR) { draw_bars(b, d, s); continue; }
            char mid[80];
            snprintf(mid, sizeof mid, "%s-m%d", d->idp, i);
            const verts *v = &d->vs[i];
            if (is_line && s->linestyle[0] && v->n > 0) draw_line(b, d, s, v);
            if (s->marker && v->n > 0) draw_markers(b, d, s, v, mid);
        }
    }
}

static void draw_spines(fmtbuf *b, double x0, double y0, double x1, double y1) {
    fmtbuf_puts(b, "<g class=\"spines\" stroke=\"#000000\" stroke-width=\"0.8\" stroke-linecap=\"square\" fill=\"none\">\n<path d=\"M");
    num(b, x0); fmtbuf_putc(b, ' '); num(b, y0);
    fmtbuf_puts(b, "H"); num(b, x1);
    fmtbuf_puts(b, "V"); num(b, y1);
    fmtbuf_puts(b, "H"); num(b, x0);
    fmtbuf_puts(b, "Z\"/>\n</g>\n");
}

/* x ticks below the box; returns the y below the labels. */
static double draw_xticks(fmtbuf *b, bbox *bb, const axes_draw *d) {
    const xform *t = &d->t;
    const axis_ticks *xt = &d->xt;
    fmtbuf_puts(b, "<g class=\"xticks\">\n<path stroke=\"#000000\" stroke-width=\"0.8\" d=\"");
    for (int i = 0; i < xt->n; i++) {
        fmtbuf_putc(b, 'M');
        num(b, sx(t, xt->ticks[i])); fmtbuf_putc(b, ' '); num(b, t->ay1);
        fmtbuf_puts(b, "v3.5");
    }
    fmtbuf_puts(b, "\"/>\n");
    double below;
    if (xt->rotation != 0) {
        /* rotated labels end at the tick (matplotlib's ha='right' look) */
        double top = t->ay1 + TICK_LEN + TICK_PAD;
        for (int i = 0; i < xt->n; i++)
            put_text(b, bb, xt->labels[i], sx(t, xt->ticks[i]) + xt->fs * 0.36, top, xt->fs, "end", xt->rotation, NULL);
        below = xt->n ? top + xt->maxw : t->ay1;
    } else {
        double base = t->ay1 + TICK_LEN + TICK_PAD + xt->fs * (TEXT_H - DESCENT);
        for (int i = 0; i < xt->n; i++)
            put_text(b, bb, xt->labels[i], sx(t, xt->ticks[i]), base, xt->fs, "middle", 0, NULL);
        below = xt->n ? base + xt->fs * DESCENT : t->ay1; /* no ticks: from the spine */
    }
    if (xt->extra) put_text(b, bb, xt->extra, t->ax1, below + FS * (TEXT_H - DESCENT), FS, "end", 0, "offset");
    fmtbuf_puts(b, "</g>\n");
    return below;
}

/* y ticks left of the box (or right of a colour bar, side 1). */
static void draw_yticks(fmtbuf *b, bbox *bb, const axis_ticks *yt, const xform *t, double x, int side) {
    fmtbuf_printf(b, "<g class=\"%s\">\n<path stroke=\"#000000\" stroke-width=\"0.8\" d=\"", side ? "cbar-ticks" : "yticks");
    for (int i = 0; i < yt->n; i++) {
        fmtbuf_putc(b, 'M');
        num(b, x); fmtbuf_putc(b, ' '); num(b, sy(t, yt->ticks[i]));
        fmtbuf_puts(b, side ? "h3.5" : "h-3.5");
    }
    fmtbuf_puts(b, "\"/>\n");
    double lx = side ? x + TICK_LEN + TICK_PAD : x - TICK_LEN - TICK_PAD;
    for (int i = 0; i < yt->n; i++)
        put_text(b, bb, yt->labels[i], lx, sy(t, yt->ticks[i]) + yt->fs * 0.36, yt->fs, side ? "start" : "end",
                 yt->rotation, NULL);
    if (yt->extra) put_text(b, bb, yt->extra, x, t->ay0 - 4, FS, "start", 0, "offset");
    fmtbuf_puts(b, "</g>\n");
}

static void draw_labels(fmtbuf *b, bbox *bb, const axes_draw *d, double below) {
    const plot_axes *ax = d->ax;
    const xform *t = &d->t;
    if (!ax->axis_off && ax->xlabel && *ax->xlabel) {
        double fs = fs_or(ax->xlabel_fs, FS);
        put_text(b, bb, ax->xlabel, (t->ax0 + t->ax1) / 2, below + LABEL_PAD + fs * (TEXT_H - DESCENT), fs, "middle", 0, "xlabel");
    }
    if (!ax->axis_off && ax->ylabel && *ax->ylabel) {
        double fs = fs_or(ax->ylabel_fs, FS);
        double left = t->ax0 - (d->yt.n ? TICK_LEN + TICK_PAD + d->yt.maxw : 0) - LABEL_PAD;
        put_text(b, bb, ax->ylabel, left - fs * DESCENT, (t->ay0 + t->ay1) / 2, fs, "middle", 90, "ylabel");
    }
    if (ax->title && *ax->title) {
        double fs = fs_or(ax->title_fs, FS_TITLE);
        double base = t->ay0 - TITLE_PAD - fs * DESCENT;
        if (d->yt.extra) base -= FS * TEXT_H; /* stay above the offset text */
        put_text(b, bb, ax->title, (t->ax0 + t->ax1) / 2, base, fs, "middle", 0, "title");
    }
}

/* matplotlib's legend locations: code -> (x, y) of the box in the axes,
 * 0 .. 1 from left and from top. */
static const double legend_anchor[11][2] = {
    { 0, 0 }, { 1, 0 }, { 0, 0 }, { 0, 1 }, { 1, 1 }, { 1, 0.5 }, { 0, 0.5 }, { 1, 0.5 }, { 0.5, 1 }, { 0.5, 0 }, { 0.5, 0.5 },
};

static void draw_legend(fmtbuf *b, bbox *bb, const axes_draw *d) {
    const plot_axes *f = d->ax;
    const xform *t = &d->t;
    const double FSL = fs_or(f->legend_fs, FS);
    int nleg = 0;
    double maxlw = 0;
    for (int i = 0; i < f->nseries; i++)
        if (f->series[i].label) {
            nleg++;
            double w = text_width(f->series[i].label, FSL);
            if (w > maxlw) maxlw = w;
        }
    if (!f->legend || nleg == 0) return;
    const double pad = 0.4 * FSL, rowh = FSL * TEXT_H, gap = 0.5 * FSL, hl = 2.0 * FSL, htp = 0.8 * FSL, bap = 0.5 * FSL;
    double lw = pad + hl + htp + maxlw + pad, lh = pad * 2 + nleg * rowh + (nleg - 1) * gap;
    /* matplotlib's "best": first of these with the least overlap */
    static const int best_order[9] = { 1, 2, 3, 4, 6, 7, 8, 9, 10 };
    double best = INFINITY;
    bbox box = { 0 }, cand;
    for (int k = 0; k < 9; k++) {
        int code = f->legend_loc > 0 ? f->legend_loc : best_order[k];
        double x0 = t->ax0 + bap + legend_anchor[code][0] * (t->ax1 - t->ax0 - 2 * bap - lw);
        double y0 = t->ay0 + bap + legend_anchor[code][1] * (t->ay1 - t->ay0 - 2 * bap - lh);
        cand.x0 = x0; cand.y0 = y0; cand.x1 = x0 + lw; cand.y1 = y0 + lh; cand.set = 1;
        if (f->legend_loc > 0) { box = cand; break; }
        double bad = badness(f, d->vs, t, &cand);
        if (bad < best) { best = bad; box = cand; }
        if (bad == 0) break;
    }
    fmtbuf_puts(b, "<g class=\"legend\">\n");
    put_rect(b, NULL, box.x0, box.y0, lw, lh,
             " rx=\"2\" fill=\"#ffffff\" fill-opacity=\"0.8\" stroke=\"#cccccc\" stroke-opacity=\"0.8\" stroke-width=\"1\"/>\n");
    double y = box.y0 + pad;
    for (int i = 0; i < f->nseries; i++) {
        const plot_series *s = &f->series[i];
        if (!s->label) continue;
        double cy = y + rowh / 2, hx0 = box.x0 + pad, hx1 = hx0 + hl;
        char mid[80];
        snprintf(mid, sizeof mid, "%s-m%d", d->idp, i);
        if (s->kind == PLOT_BAR) {
            char rest[64];
            snprintf(rest, sizeof rest, " fill=\"%s\"/>\n", s->color);
            put_rect(b, NULL, hx0, cy - 0.35 * FSL, hl, 0.7 * FSL, rest);
        } else {
            if (s->kind == PLOT_LINE && s->linestyle[0]) {
                fmtbuf_printf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%g\" stroke-linecap=\"%s\"", s->color,
                              s->linewidth, strcmp(s->linestyle, "-") ? "butt" : "square");
                dash_attr(b, s->linestyle, s->linewidth);
                fmtbuf_puts(b, " d=\"M");
                num(b, hx0); fmtbuf_putc(b, ' '); num(b, cy);
                fmtbuf_puts(b, "H"); num(b, hx1);
                fmtbuf_puts(b, "\"/>\n");
            }
            if (s->marker) {
                fmtbuf_puts(b, "<g");
                marker_style(b, s);
                fmtbuf_puts(b, ">");
                put_use(b, mid, (hx0 + hx1) / 2, cy);
                fmtbuf_puts(b, "</g>\n");
            }
        }
        put_text(b, bb, s->label, hx1 + htp, cy + FSL * 0.36, FSL, "start", 0, "legend-label");
        y += rowh + gap;
    }
    fmtbuf_puts(b, "</g>\n");
    bb_add(bb, box.x0, box.y0, box.x0 + lw, box.y0 + lh);
}

/* The colour bar: the colormap from vmin (bottom) to vmax (top) with ticks
 * on its right. 0 / -1. */
static int draw_colorbar(fmtbuf *b, bbox *bb, const axes_draw *d) {
    const plot_image *im = d->ax->image;
    if (!d->ax->colorbar || !im || !(d->cbar_x1 > d->cbar_x0)) return 0;
    uint8_t lut[256][3], rgba[256 * 4];
    if (plot_cmap_lut(im->colormapped ? im->cmap : "viridis", lut)) return 0;
    for (int i = 0; i < 256; i++) {
        memcpy(rgba + 4 * i, lut[255 - i], 3);
        rgba[4 * i + 3] = 255;
    }
    xform ct = d->t;
    ct.ax0 = d->cbar_x0;
    ct.ax1 = d->cbar_x1;
    ct.ylo = im->vmin;
    ct.yhi = im->vmax > im->vmin ? im->vmax : im->vmin + 1;
    if (!im->colormapped) { ct.ylo = 0; ct.yhi = 1; }
    fmtbuf_puts(b, "<g class=\"colorbar\">\n");
    if (put_png(b, rgba, 256, 1, 0, ct.ax0, ct.ay0, ct.ax1 - ct.ax0, ct.ay1 - ct.ay0, "colorbar-image", NULL)) return -1;
    bb_add(bb, ct.ax0, ct.ay0, ct.ax1, ct.ay1);
    draw_spines(b, ct.ax0, ct.ay0, ct.ax1, ct.ay1);
    axis_ticks yt;
    plot_fixed_ticks none = { 0 };
    int nby = (int)floor((ct.ay1 - ct.ay0) / (FS * 2));
    nby = nby < 1 ? 1 : nby > 9 ? 9 : nby;
    if (make_ticks(&yt, ct.ylo, ct.yhi, nby, NULL, 0, &none, FS)) { axis_ticks_free(&yt); return -1; }
    draw_yticks(b, bb, &yt, &ct, ct.ax1, 1);
    axis_ticks_free(&yt);
    fmtbuf_puts(b, "</g>\n");
    return 0;
}

/* Draws one prepared axes. 0 / -1 (OOM). */
static int draw_axes(fmtbuf *b, bbox *bb, const axes_draw *d) {
    const xform *t = &d->t;
    bb_add(bb, t->ax0, t->ay0, t->ax1, t->ay1);
    draw_defs(b, d);
    fmtbuf_printf(b, "<g class=\"axes\" id=\"%s\">\n", d->idp);
    if (!d->ax->axis_off) put_rect(b, "axes-background", t->ax0, t->ay0, t->ax1 - t->ax0, t->ay1 - t->ay0, " fill=\"#ffffff\"/>\n");
    if (draw_image(b, d)) return -1;
    draw_series(b, d);
    double below = t->ay1;
    if (!d->ax->axis_off) {
        draw_spines(b, t->ax0, t->ay0, t->ax1, t->ay1);
        below = draw_xticks(b, bb, d);
        draw_yticks(b, bb, &d->yt, t, t->ax0, 0);
    }
    draw_labels(b, bb, d, below);
    draw_legend(b, bb, d);
    if (draw_colorbar(b, bb, d)) return -1;
    fmtbuf_puts(b, "</g>\n");
    return 0;
}

/* ---- the figure ------------------------------------------------------------------------------------ */

/* tight_layout(): the widest labels outside the grid's outer edges ([0])
 * and between neighbouring cells ([1]: left = right + left labels, top =
 * bottom + top labels), measured on the default layout. Also the room of
 * a suptitle. 0 / -1. */
static int tight_margins(const plot_figure *f, margins m[2]) {
    memset(m, 0, 2 * sizeof *m);
    margins inner_r = { 0 }, inner_l = { 0 };
    for (int i = 0; i < f->naxes; i++) {
        axes_draw d;
        const plot_axes *ax = f->axes[i];
        if (axes_prepare(f, ax, NULL, &d)) { axes_draw_free(&d); return -1; }
        margins a = axes_margins(ax, &d.xt, &d.yt, d.cbar_x1 - d.cbar_x0);
        axes_draw_free(&d);
        int r = (ax->index - 1) / ax->cols, c = (ax->index - 1) % ax->cols;
        if (c == 0) m[0].left = fmax(m[0].left, a.left);
        else inner_l.left = fmax(inner_l.left, a.left);
        if (c == ax->cols - 1) m[0].right = fmax(m[0].right, a.right);
        else inner_r.right = fmax(inner_r.right, a.right);
        if (r == 0) m[0].top = fmax(m[0].top, a.top);
        else inner_l.top = fmax(inner_l.top, a.top);
        if (r == ax->rows - 1) m[0].bottom = fmax(m[0].bottom, a.bottom);
        else inner_r.bottom = fmax(inner_r.bottom, a.bottom);
    }
    m[1].left = inner_r.right + inner_l.left;
    m[1].top = inner_r.bottom + inner_l.top;
    if (f->suptitle && *f->suptitle) m[0].top += fs_or(f->suptitle_fs, FS_TITLE) * TEXT_H + 0.02 * f->height_in * 72;
    return 0;
}

/* suptitle: centred, its top at 98 % of the figure height. */
static void draw_suptitle(fmtbuf *b, bbox *bb, const plot_figure *f) {
    if (!f->suptitle || !*f->suptitle) return;
    double fs = fs_or(f->suptitle_fs, FS_TITLE);
    double y = 0.02 * f->height_in * 72 + fs * (TEXT_H - DESCENT);
    put_text(b, bb, f->suptitle, f->width_in * 72 / 2, y, fs, "middle", 0, "suptitle");
}

/* The <svg> around the drawn body, cropped to bb plus 0.1 in
 * (bbox_inches="tight", pad_inches=0.1). */
static char *svg_document(const char *body, const bbox *bb) {
    double vx = bb->x0 - 7.2, vy = bb->y0 - 7.2, vw = bb->x1 - bb->x0 + 14.4, vh = bb->y1 - bb->y0 + 14.4;
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
    put_rect(&out, "background", vx, vy, vw, vh, " fill=\"#ffffff\"/>\n");
    fmtbuf_puts(&out, body);
    fmtbuf_puts(&out, "</svg>\n");
    return fmtbuf_take(&out);
}

char *plot_render_svg(const plot_figure *f) {
    char idp[32];
    snprintf(idp, sizeof idp, "cgpu%llx", next_figure_id());
    margins tight[2];
    if (f->tight && tight_margins(f, tight)) return NULL;
    fmtbuf b;
    fmtbuf_init(&b);
    bbox bb = { 0 };
    int failed = 0;
    for (int i = 0; i < f->naxes && !failed; i++) {
        axes_draw d;
        failed = axes_prepare(f, f->axes[i], f->tight ? tight : NULL, &d) != 0;
        snprintf(d.idp, sizeof d.idp, "%s-%d", idp, i);
        if (!failed) failed = draw_axes(&b, &bb, &d) != 0;
        axes_draw_free(&d);
    }
    draw_suptitle(&b, &bb, f);
    if (!bb.set) bb_add(&bb, 0, 0, f->width_in * 72, f->height_in * 72);
    if (failed) { fmtbuf_free(&b); return NULL; }
    char *body = fmtbuf_take(&b);
    if (!body) return NULL;
    char *svg = svg_document(body, &bb);
    free(body);
    return svg;
}
