/* plot.h — a small matplotlib.pyplot: one figure, one axes, rendered to SVG.
 *
 * The model: a figure (size in inches) holding one axes with series (line,
 * scatter, bar; hist is bars computed like numpy.histogram), a title, axis
 * labels, a legend and a grid. plot_render_svg draws it in matplotlib's
 * default style; plot_render_text gives matplotlib's text/plain stand-in.
 *
 * Units and size: the SVG is in points (72 per inch), as matplotlib's SVG
 * backend writes it, so the default 6.4 x 4.8 in figure lays out its axes
 * in a 460.8 x 345.6 pt canvas (subplot box left .125, right .9, bottom
 * .11, top .88). Like the notebook inline backend (bbox_inches="tight"),
 * the written image is cropped to what was drawn plus 0.1 in. The text
 * form uses matplotlib's 100 dpi: "<Figure size 640x480 with 1 Axes>".
 *
 * Data: non-finite values are skipped (lines break at them); polylines of
 * more than PLOT_DECIMATE_MIN points are reduced to the first/min/max/last
 * point of each half-point column (monotonic x) or to points at least half
 * a point apart, so a long loss curve stays a few KB.
 *
 * Ownership: a figure is owned by its creator (plot_figure_free); every
 * array and string passed in is copied. Returned strings are malloc'd and
 * owned by the caller. Functions returning int give 0, or -1 when out of
 * memory or on a bad argument (never abort).
 */
#ifndef CGPU_PLOT_H
#define CGPU_PLOT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PLOT_DECIMATE_MIN 5000

typedef enum { PLOT_LINE, PLOT_SCATTER, PLOT_BAR } plot_kind;

/* How a series is drawn; zero-initialised fields take matplotlib's
 * defaults. Owned by the caller (copied on add). */
typedef struct {
    const char *color;     /* matplotlib color ("C1", "r", "tab:red", "#1f77b4", "0.5"); NULL: next of the cycle */
    char        marker;    /* 0 none; one of o s ^ v < > x + . D d * p h */
    const char *linestyle; /* "-", "--", ":", "-.", "" / "None" (no line); NULL: "-" (line), none (scatter) */
    double      linewidth; /* points; <= 0: 1.5 */
    double      markersize;/* points; <= 0: 6 (scatter: sqrt of s=36) */
    double      alpha;     /* 0 < alpha <= 1; <= 0: opaque */
    const char *label;     /* legend text; NULL or starting with '_': not in the legend */
} plot_style;

/* One drawn series. Owned by its figure. */
typedef struct {
    plot_kind kind;
    double   *x, *y;      /* (n,) data; bars: centres and heights */
    double   *w;          /* bars: (n,) widths */
    double   *bottom;     /* bars: (n,) baselines, or NULL (0) */
    int64_t   n;
    char     *label;      /* NULL: none */
    char      color[8];   /* "#rrggbb", resolved when added */
    char      marker;
    char      linestyle[3];
    double    linewidth, markersize, alpha;
} plot_series;

/* A figure with one axes. Owned by its creator. */
typedef struct plot_figure {
    double       width_in, height_in;
    char        *title, *xlabel, *ylabel;
    int          legend;          /* legend() was called */
    int          grid;
    int          has_xlim, has_ylim;
    double       xlim[2], ylim[2];
    plot_series *series;
    int          nseries, cap;
    int          cycle;           /* next color-cycle index */
    char       **xcats;           /* categorical x axis (bar with str labels) */
    int          nxcats;
} plot_figure;

/* A new empty figure; width/height <= 0 (or not finite) take 6.4 x 4.8. */
plot_figure *plot_figure_new(double width_in, double height_in);
void         plot_figure_free(plot_figure *f);
/* Number of axes drawn (1 once anything was set, else 0 — matplotlib's
 * plt.figure() has no axes until something is plotted). */
int          plot_axes_count(const plot_figure *f);

/* plot(x, y): x NULL means 0..n-1. */
int plot_line(plot_figure *f, const double *x, const double *y, int64_t n, const plot_style *st);
int plot_scatter(plot_figure *f, const double *x, const double *y, int64_t n, const plot_style *st);
/* bar(x, height, width=0.8): x NULL with categories gives a categorical axis
 * (a category already on the axis reuses its position); both NULL: 0..n-1. */
int plot_bar(plot_figure *f, const double *x, const char *const *categories,
             const double *height, int64_t n, double width, const plot_style *st);
/* hist(data, bins): numpy.histogram's equal-width bins over the finite
 * data's [min, max] (±0.5 when constant); counts (bins) and edges (bins+1)
 * are written when not NULL. bins must be >= 1. */
int plot_hist(plot_figure *f, const double *data, int64_t n, int bins, const plot_style *st,
              double *counts, double *edges);
/* Same bins and counts without drawing (for tests and callers). */
int plot_histogram(const double *data, int64_t n, int bins, double *counts, double *edges);

int  plot_set_title(plot_figure *f, const char *s);   /* NULL clears */
int  plot_set_xlabel(plot_figure *f, const char *s);
int  plot_set_ylabel(plot_figure *f, const char *s);
void plot_set_legend(plot_figure *f, int on);
void plot_set_grid(plot_figure *f, int on);
void plot_set_xlim(plot_figure *f, double lo, double hi);
void plot_set_ylim(plot_figure *f, double lo, double hi);

/* Colors: writes "#rrggbb" for a matplotlib color spec; 0 ok, -1 unknown. */
int plot_parse_color(const char *spec, char out[8]);
/* matplotlib's format string "ro-", "--", "s", "C2:": 0 ok, -1 invalid.
 * color gets "" when none was given. */
int plot_parse_fmt(const char *fmt, char color[8], char *marker, char linestyle[3]);
/* The default color cycle (tab10): index taken modulo 10. */
const char *plot_cycle_color(int i);

/* Nice tick positions for [lo, hi] (matplotlib's MaxNLocator with steps
 * 1, 2, 2.5, 5, 10 and at most nbins intervals): writes up to cap values,
 * returns how many (all ticks, some may lie just outside [lo, hi]). */
int plot_nice_ticks(double lo, double hi, int nbins, double *ticks, int cap);
/* Tick labels as matplotlib's ScalarFormatter writes them (common decimals,
 * scientific factor and offset for extreme ranges, U+2212 minus): labels[i]
 * receives a malloc'd string; *extra gets a malloc'd offset text such as
 * "1e6" or "+1e3", or NULL. lo/hi is the visible range. 0, or -1 out of
 * memory. */
int plot_tick_labels(const double *ticks, int n, double lo, double hi, char **labels, char **extra);

/* image/svg+xml of the figure. NULL: out of memory. */
char *plot_render_svg(const plot_figure *f);
/* text/plain: "<Figure size 640x480 with 1 Axes>". */
char *plot_render_text(const plot_figure *f);

#ifdef __cplusplus
}
#endif
#endif
