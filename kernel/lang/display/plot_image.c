/* plot_image.c — imshow: scalar data through a colormap with matplotlib's
 * Normalize, RGB(A) pixels as matplotlib clips them, and the PNG (libpng)
 * in base64 that the SVG embeds. The colormap tables are in
 * plot_colormaps.c. */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef CGPU_HAVE_PNG
#include <png.h>
#endif

/* ---- colormaps -------------------------------------------------------------- */


const char *const plot_cmap_names[] = {
    "viridis", "plasma", "inferno", "magma", "cividis", "gray", "Greys", "binary", "hot", "jet",
    "coolwarm", "Blues", "Reds", "Greens", "Oranges", "Purples", "bone", "RdBu", "seismic",
    "turbo", "cool", "spring", "summer", "autumn", "winter", "copper", "pink", "YlGn", "PuBu", NULL,
};

static const plot_cmap_table *find_cmap(const char *name, int *reversed) {
    size_t n = strlen(name);
    *reversed = n > 2 && strcmp(name + n - 2, "_r") == 0;
    if (*reversed) n -= 2;
    for (int i = 0; i < plot_cmap_ntables; i++)
        if (strlen(plot_cmap_tables[i].name) == n && strncmp(plot_cmap_tables[i].name, name, n) == 0)
            return &plot_cmap_tables[i];
    return NULL;
}

int plot_cmap_known(const char *name) {
    int rev;
    return name && find_cmap(name, &rev) != NULL;
}

static int hexdigit(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

int plot_cmap_lut(const char *name, uint8_t lut[256][3]) {
    int rev;
    const plot_cmap_table *t = name ? find_cmap(name, &rev) : NULL;
    if (!t) return -1;
    for (int i = 0; i < 256; i++) {
        const char *p = t->hex + 6 * (rev ? 255 - i : i);
        for (int c = 0; c < 3; c++) lut[i][c] = (uint8_t)(hexdigit(p[2 * c]) * 16 + hexdigit(p[2 * c + 1]));
    }
    return 0;
}

/* ---- imshow ------------------------------------------------------------------- */

static plot_image *image_new(int64_t h, int64_t w) {
    if (h < 1 || w < 1 || h > (1 << 20) || w > (1 << 20) || h * w > ((int64_t)1 << 28)) return NULL;
    plot_image *im = calloc(1, sizeof *im);
    if (!im) return NULL;
    im->h = h;
    im->w = w;
    if (!(im->rgba = malloc((size_t)(h * w * 4)))) { free(im); return NULL; }
    return im;
}

static void set_image(plot_axes *ax, plot_image *im) {
    if (ax->image) { free(ax->image->rgba); free(ax->image); }
    ax->image = im;
}

int plot_imshow_scalar(plot_axes *ax, const double *data, int64_t h, int64_t w, const char *cmap,
                       double vmin, double vmax) {
    uint8_t lut[256][3];
    if (plot_cmap_lut(cmap, lut)) return -1;
    plot_image *im = image_new(h, w);
    if (!im) return -1;
    /* Normalize.autoscale_None: the finite data's range */
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < h * w; i++)
        if (isfinite(data[i])) {
            if (data[i] < lo) lo = data[i];
            if (data[i] > hi) hi = data[i];
        }
    if (lo > hi) lo = hi = 0;
    if (isnan(vmin)) vmin = lo;
    if (isnan(vmax)) vmax = hi;
    im->colormapped = 1;
    snprintf(im->cmap, sizeof im->cmap, "%s", cmap);
    im->vmin = vmin;
    im->vmax = vmax;
    for (int64_t i = 0; i < h * w; i++) {
        uint8_t *px = im->rgba + 4 * i;
        double v = data[i];
        if (isnan(v)) { /* the "bad" colour: transparent */
            px[0] = px[1] = px[2] = px[3] = 0;
            im->has_alpha = 1;
            continue;
        }
        /* Normalize, then Colormap.__call__: floor(x * N), under -> 0, over -> N-1 */
        double x = vmax == vmin ? 0 : (v - vmin) / (vmax - vmin);
        double k = x * 256;
        int idx = !(k >= 0) ? 0 : k >= 256 ? 255 : (int)k;
        px[0] = lut[idx][0];
        px[1] = lut[idx][1];
        px[2] = lut[idx][2];
        px[3] = 255;
    }
    set_image(ax, im);
    return 0;
}

int plot_imshow_rgb(plot_axes *ax, const double *data, int64_t h, int64_t w, int channels, int bytes) {
    if (channels != 3 && channels != 4) return -1;
    plot_image *im = image_new(h, w);
    if (!im) return -1;
    for (int64_t i = 0; i < h * w; i++) {
        uint8_t *px = im->rgba + 4 * i;
        px[3] = 255;
        for (int c = 0; c < channels; c++) {
            double v = data[i * channels + c];
            int b;
            if (bytes) b = !(v >= 0) ? 0 : v > 255 ? 255 : (int)v;
            else b = !(v >= 0) ? 0 : v >= 1 ? 255 : (int)(v * 255); /* to_rgba(bytes=True) truncates */
            px[c] = (uint8_t)b;
        }
        if (px[3] != 255) im->has_alpha = 1;
    }
    set_image(ax, im);
    return 0;
}

/* ---- PNG ------------------------------------------------------------------------- */

static char *base64(const unsigned char *p, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    if (!out) return NULL;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        *o++ = tab[v >> 18]; *o++ = tab[(v >> 12) & 63]; *o++ = tab[(v >> 6) & 63]; *o++ = tab[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
        *o++ = tab[v >> 18];
        *o++ = tab[(v >> 12) & 63];
        *o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    *o = '\0';
    return out;
}

#ifdef CGPU_HAVE_PNG
/* The growing memory buffer libpng writes into. */
typedef struct { unsigned char *p; size_t n, cap; int failed; } png_sink;

static void sink_write(png_structp png, png_bytep data, size_t len) {
    png_sink *s = png_get_io_ptr(png);
    if (s->failed) return;
    if (s->n + len > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        while (cap < s->n + len) cap *= 2;
        unsigned char *np = realloc(s->p, cap);
        if (!np) { s->failed = 1; return; }
        s->p = np;
        s->cap = cap;
    }
    memcpy(s->p + s->n, data, len);
    s->n += len;
}

static void sink_flush(png_structp png) { (void)png; }

int plot_png_available(void) { return 1; }

char *plot_png_base64(const uint8_t *rgba, int64_t h, int64_t w, int keep_alpha) {
    png_sink sink = {0};
    int ch = keep_alpha ? 4 : 3;
    unsigned char *row = malloc((size_t)w * 4);
    png_structp png = row ? png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL) : NULL;
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        if (png) png_destroy_write_struct(&png, NULL);
        free(row);
        return NULL;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(row);
        free(sink.p);
        return NULL;
    }
    png_set_write_fn(png, &sink, sink_write, sink_flush);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, keep_alpha ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int64_t y = 0; y < h; y++) {
        const uint8_t *src = rgba + (size_t)y * (size_t)w * 4;
        for (int64_t x = 0; x < w; x++)
            for (int c = 0; c < ch; c++) row[x * ch + c] = src[x * 4 + c];
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    char *out = sink.failed ? NULL : base64(sink.p, sink.n);
    free(sink.p);
    return out;
}
#else
int plot_png_available(void) { return 0; }

char *plot_png_base64(const uint8_t *rgba, int64_t h, int64_t w, int keep_alpha) {
    (void)rgba; (void)h; (void)w; (void)keep_alpha; (void)base64;
    return NULL;
}
#endif
