/* plot.h — a small matplotlib.pyplot: figures of axes, rendered to SVG.
 *
 * The model: a figure (size in inches, an optional suptitle) holding axes
 * placed on subplot grids (rows x cols, 1-based index as plt.subplot). Each
 * axes has series (line, scatter, bar; hist is bars computed like
 * numpy.histogram), at most one image (imshow: pixels already coloured,
 * drawn as an embedded PNG with aspect 'equal' and origin 'upper'), a
 * title, axis labels, fixed or automatic ticks, a legend, a grid and an
 * optional colour bar. plot_render_svg draws it in matplotlib's default
 * style; plot_render_text gives matplotlib's text/plain stand-in.
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
 * Ownership: a figure is owned by its creator (plot_figure_free) and owns
 * its axes; every array and string passed in is copied. Returned strings are malloc'd and
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

/* One drawn series. Owned by its axes. */
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

/* An image drawn by imshow: pixels resolved to RGBA, row 0 at the top.
 * Owned by its axes. */
typedef struct {
    int64_t  h, w;
    uint8_t *rgba;        /* h * w * 4 bytes */
    int      has_alpha;   /* some alpha below 255 (PNG keeps the channel) */
    int      colormapped; /* 2-D data through cmap (a colour bar can show it) */
    char     cmap[24];
    double   vmin, vmax;
} plot_image;

/* Ticks fixed by xticks(ticks, labels) / set_xticks: n 0 hides them. */
typedef struct {
    int     fixed;
    int     n;
    double *pos;
    char  **labels;       /* NULL: formatted like automatic ticks */
    double  rotation;     /* degrees, counter-clockwise */
} plot_fixed_ticks;

/* One axes (a subplot). Owned by its figure. Font sizes <= 0 take the
 * defaults (title 12, everything else 10 points). */
typedef struct plot_axes {
    int          rows, cols, index;   /* subplot geometry; index is 1-based */
    char        *title, *xlabel, *ylabel;
    double       title_fs, xlabel_fs, ylabel_fs, legend_fs, xtick_fs, ytick_fs;
    int          legend;          /* legend() was called */
    int          legend_loc;      /* 0 "best", else matplotlib's location code 1..10 */
    int          grid;
    int          axis_off;        /* axis("off"): no frame, ticks or labels */
    int          has_xlim, has_ylim;
    double       xlim[2], ylim[2];
    plot_series *series;
    int          nseries, cap;
    int          cycle;           /* next color-cycle index */
    char       **xcats;           /* categorical x axis (bar with str labels) */
    int          nxcats;
    plot_fixed_ticks xticks, yticks;
    plot_image  *image;           /* the last imshow, or NULL */
    int          aspect_auto;     /* imshow(aspect='auto'): the image fills the box */
    int          colorbar;        /* a colour bar for image is drawn beside */
} plot_axes;

/* A figure of axes. Owned by its creator. */
typedef struct plot_figure {
    double       width_in, height_in;
    plot_axes  **axes;
    int          naxes, cap;
    int          cur;             /* current axes index, -1 none */
    char        *suptitle;
    double       suptitle_fs;
    int          tight;           /* tight_layout(): room for every label */
} plot_figure;

/* A new empty figure; width/height <= 0 (or not finite) take 6.4 x 4.8. */
plot_figure *plot_figure_new(double width_in, double height_in);
void         plot_figure_free(plot_figure *f);
/* Number of axes drawn, colour bars included (matplotlib's plt.figure()
 * has no axes until something is plotted). */
int          plot_axes_count(const plot_figure *f);
/* The current axes, a 1x1 subplot made when there is none. NULL: OOM. */
plot_axes   *plot_gca(plot_figure *f);
/* plt.subplot(rows, cols, index): the axes with that geometry, made when
 * new, becomes current. NULL: OOM or a bad geometry (index outside
 * 1..rows*cols, or rows/cols outside 1..PLOT_MAX_GRID). */
#define PLOT_MAX_GRID 64
plot_axes   *plot_subplot(plot_figure *f, int rows, int cols, int index);
int          plot_suptitle(plot_figure *f, const char *s, double fontsize);

/* plot(x, y): x NULL means 0..n-1. */
int plot_line(plot_axes *ax, const double *x, const double *y, int64_t n, const plot_style *st);
int plot_scatter(plot_axes *ax, const double *x, const double *y, int64_t n, const plot_style *st);
/* bar(x, height, width=0.8): x NULL with categories gives a categorical axis
 * (a category already on the axis reuses its position); both NULL: 0..n-1. */
int plot_bar(plot_axes *ax, const double *x, const char *const *categories,
             const double *height, int64_t n, double width, const plot_style *st);
/* hist(data, bins): numpy.histogram's equal-width bins over the finite
 * data's [min, max] (±0.5 when constant); counts (bins) and edges (bins+1)
 * are written when not NULL. bins must be >= 1. */
int plot_hist(plot_axes *ax, const double *data, int64_t n, int bins, const plot_style *st,
              double *counts, double *edges);
/* Same bins and counts without drawing (for tests and callers). */
int plot_histogram(const double *data, int64_t n, int bins, double *counts, double *edges);

int  plot_set_title(plot_axes *ax, const char *s);   /* NULL clears */
int  plot_set_xlabel(plot_axes *ax, const char *s);
int  plot_set_ylabel(plot_axes *ax, const char *s);
void plot_set_legend(plot_axes *ax, int on);
void plot_set_grid(plot_axes *ax, int on);
void plot_set_xlim(plot_axes *ax, double lo, double hi);
void plot_set_ylim(plot_axes *ax, double lo, double hi);
/* xticks(pos, labels): n 0 hides the ticks; labels may be NULL. */
int  plot_set_ticks(plot_fixed_ticks *t, const double *pos, const char *const *labels, int n);

/* ---- images (plot_image.c) ---- */

/* A colormap: 256 entries of "rrggbb" (plot_colormaps.c). */
typedef struct { const char *name; const char *hex; } plot_cmap_table;
extern const plot_cmap_table plot_cmap_tables[];
extern const int plot_cmap_ntables;
/* The colormap names imshow accepts (each also with "_r"), NULL-terminated. */
extern const char *const plot_cmap_names[];
/* 1 when name is a known colormap. */
int plot_cmap_known(const char *name);
/* The 256-entry RGB table of a colormap (reversed for "_r"): 0, -1 unknown. */
int plot_cmap_lut(const char *name, uint8_t lut[256][3]);
/* imshow of scalar data (h x w, row-major, NaN shown transparent) through
 * cmap with matplotlib's Normalize: vmin/vmax NaN take the finite data's
 * min/max. 0, or -1 (OOM, unknown cmap). */
int plot_imshow_scalar(plot_axes *ax, const double *data, int64_t h, int64_t w, const char *cmap,
                       double vmin, double vmax);
/* imshow of RGB(A) pixels (h x w x channels, channels 3 or 4): values are
 * 0..255 when bytes is set, else 0..1 (clipped as matplotlib does). */
int plot_imshow_rgb(plot_axes *ax, const double *data, int64_t h, int64_t w, int channels, int bytes);
/* PNG (libpng) of RGBA pixels, base64-encoded: malloc'd text, NULL on OOM
 * or when the build has no libpng (plot_png_available() is 0). */
char *plot_png_base64(const uint8_t *rgba, int64_t h, int64_t w, int keep_alpha);
int   plot_png_available(void);

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
