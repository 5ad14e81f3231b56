/* lang_plot_image.c — imshow's pixels (the embedded PNG decoded with
 * libpng), its axes (aspect 'equal', ticks at pixel centres), colour bars,
 * subplot grids, axis('off'), fixed ticks and tight_layout.
 *
 * Expected pixels are matplotlib 3.6's: AxesImage.make_image(unsampled=True)
 * and Colormap(Normalize(vmin, vmax)(x), bytes=True), written as literals. */
#include "test.h"
#include "plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef CGPU_HAVE_PNG
#include <png.h>
#endif

/* ---- helpers ------------------------------------------------------------------ */

static int b64val(int c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decodes the nth embedded PNG of an SVG to RGBA; returns the pixels
 * (malloc'd) and their size, or NULL. */
static unsigned char *nth_png(const char *svg, int nth, int *w, int *h) {
#ifdef CGPU_HAVE_PNG
    const char *p = svg;
    for (int i = 0; i <= nth; i++) {
        p = strstr(p, "data:image/png;base64,");
        if (!p) return NULL;
        p += strlen("data:image/png;base64,");
    }
    size_t n = strcspn(p, "\"");
    unsigned char *bin = malloc(n);
    size_t len = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n && p[i] != '='; i++) {
        int v = b64val((unsigned char)p[i]);
        if (v < 0) { free(bin); return NULL; }
        acc = acc << 6 | (unsigned)v;
        bits += 6;
        if (bits >= 8) { bits -= 8; bin[len++] = (unsigned char)(acc >> bits); }
    }
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    unsigned char *px = NULL;
    if (png_image_begin_read_from_memory(&img, bin, len)) {
        img.format = PNG_FORMAT_RGBA;
        px = malloc(PNG_IMAGE_SIZE(img));
        if (!png_image_finish_read(&img, NULL, px, 0, NULL)) { free(px); px = NULL; }
        *w = (int)img.width;
        *h = (int)img.height;
    }
    free(bin);
    return px;
#else
    (void)svg; (void)nth; (void)w; (void)h; (void)b64val;
    return NULL;
#endif
}

/* The first value of attribute `attr` after `from` in s. */
static double attr_after(const char *s, const char *from, const char *attr) {
    const char *p = strstr(s, from);
    char key[32];
    snprintf(key, sizeof key, " %s=\"", attr);
    p = p ? strstr(p, key) : NULL;
    return p ? atof(p + strlen(key)) : NAN;
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* ---- pixels -------------------------------------------------------------------- */

TEST(gray_default_limits) {
    if (!plot_png_available()) SKIP("no libpng in this build");
    plot_figure *f = plot_figure_new(0, 0);
    double d[6] = {0, 1, 2, 3, 4, 5};
    CHECK(plot_imshow_scalar(plot_gca(f), d, 2, 3, "gray", NAN, NAN) == 0);
    char *svg = plot_render_svg(f);
    int w = 0, h = 0;
    unsigned char *px = nth_png(svg, 0, &w, &h);
    CHECK(px && w == 3 && h == 2);
    /* matplotlib: [[0, 51, 102], [153, 204, 255]] */
    static const int want[6] = {0, 51, 102, 153, 204, 255};
    for (int i = 0; px && i < 6; i++) {
        CHECK(px[4 * i] == want[i] && px[4 * i + 1] == want[i] && px[4 * i + 2] == want[i]);
        CHECK(px[4 * i + 3] == 255);
    }
    CHECK(strstr(svg, "image-rendering:pixelated") != NULL);
    free(px);
    free(svg);
    plot_figure_free(f);
}

TEST(viridis_vmin_vmax_clip) {
    if (!plot_png_available()) SKIP("no libpng in this build");
    plot_figure *f = plot_figure_new(0, 0);
    double d[5] = {0, 1, 2, 3, 4};
    CHECK(plot_imshow_scalar(plot_gca(f), d, 1, 5, "viridis", 1, 3) == 0);
    char *svg = plot_render_svg(f);
    int w = 0, h = 0;
    unsigned char *px = nth_png(svg, 0, &w, &h);
    CHECK(px && w == 5 && h == 1);
    /* matplotlib: under -> first, over -> last entry */
    static const int want[5][3] = {{68, 1, 84}, {68, 1, 84}, {32, 144, 140}, {253, 231, 36}, {253, 231, 36}};
    for (int i = 0; px && i < 5; i++)
        CHECK(px[4 * i] == want[i][0] && px[4 * i + 1] == want[i][1] && px[4 * i + 2] == want[i][2]);
    free(px);
    free(svg);
    plot_figure_free(f);
}

TEST(reversed_map_and_nan) {
    if (!plot_png_available()) SKIP("no libpng in this build");
    plot_figure *f = plot_figure_new(0, 0);
    double d[4] = {0, 0.5, 1, NAN};
    CHECK(plot_imshow_scalar(plot_gca(f), d, 1, 4, "gray_r", NAN, NAN) == 0);
    char *svg = plot_render_svg(f);
    int w = 0, h = 0;
    unsigned char *px = nth_png(svg, 0, &w, &h);
    CHECK(px && w == 4);
    /* matplotlib gray_r: 255, 127, 0; NaN is transparent */
    if (px) CHECK(px[0] == 255 && px[4] == 127 && px[8] == 0 && px[15] == 0);
    free(px);
    free(svg);
    plot_figure_free(f);
}

TEST(rgb_bytes_and_floats) {
    if (!plot_png_available()) SKIP("no libpng in this build");
    plot_figure *f = plot_figure_new(0, 0);
    double u8[2 * 2 * 3] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 300};
    CHECK(plot_imshow_rgb(plot_gca(f), u8, 2, 2, 3, 1) == 0);
    char *svg = plot_render_svg(f);
    int w = 0, h = 0;
    unsigned char *px = nth_png(svg, 0, &w, &h);
    CHECK(px && w == 2 && h == 2);
    if (px) {
        CHECK(px[0] == 255 && px[1] == 0 && px[2] == 0);
        CHECK(px[4] == 0 && px[5] == 255 && px[6] == 0);
        CHECK(px[8] == 0 && px[9] == 0 && px[10] == 255);
        CHECK(px[12] == 10 && px[13] == 20 && px[14] == 255); /* 300 clipped */
    }
    free(px);
    free(svg);
    /* floats 0..1: matplotlib's red channel [[0, 127], [255, 255]] (1.2 clipped) */
    double fl[4 * 3] = {0, 0, 0, 0.5, 0.5, 0.5, 1, 1, 1, 1.2, 1.2, 1.2};
    CHECK(plot_imshow_rgb(plot_gca(f), fl, 2, 2, 3, 0) == 0);
    svg = plot_render_svg(f);
    px = nth_png(svg, 0, &w, &h);
    if (px) CHECK(px[0] == 0 && px[4] == 127 && px[8] == 255 && px[12] == 255);
    CHECK(count(svg, "<image") == 1); /* imshow replaces the image */
    free(px);
    free(svg);
    /* RGBA keeps its alpha */
    double rgba[4] = {1, 0, 0, 0.5};
    CHECK(plot_imshow_rgb(plot_gca(f), rgba, 1, 1, 4, 0) == 0);
    svg = plot_render_svg(f);
    px = nth_png(svg, 0, &w, &h);
    if (px) CHECK(px[0] == 255 && px[3] == 127);
    free(px);
    free(svg);
    plot_figure_free(f);
}

TEST(colormaps) {
    uint8_t lut[256][3];
    CHECK(plot_cmap_lut("viridis", lut) == 0 && lut[0][0] == 68 && lut[255][0] == 253);
    CHECK(plot_cmap_lut("binary", lut) == 0 && lut[0][0] == 255 && lut[255][0] == 0);
    CHECK(plot_cmap_lut("binary_r", lut) == 0 && lut[0][0] == 0);
    CHECK(plot_cmap_lut("viridiss", lut) == -1);
    CHECK(plot_cmap_known("hot_r") && !plot_cmap_known("_r") && !plot_cmap_known(""));
    plot_figure *f = plot_figure_new(0, 0);
    double d[1] = {0};
    CHECK(plot_imshow_scalar(plot_gca(f), d, 1, 1, "nope", NAN, NAN) == -1);
    CHECK(plot_gca(f)->image == NULL);
    plot_figure_free(f);
}

/* ---- axes around an image ----------------------------------------------------------- */

TEST(aspect_equal_and_pixel_centre_ticks) {
    if (!plot_png_available()) SKIP("no libpng in this build");
    plot_figure *f = plot_figure_new(0, 0);
    double d[4] = {0, 1, 2, 3};
    plot_imshow_scalar(plot_gca(f), d, 2, 2, "viridis", NAN, NAN);
    char *svg = plot_render_svg(f);
    double w = attr_after(svg, "<image", "width"), h = attr_after(svg, "<image", "height");
    CHECK(fabs(w - h) < 0.02); /* square pixels */
    /* matplotlib: xticks -0.5 .. 1.5 step 0.25; y runs downward from -0.5 */
    const char *xt = strstr(svg, "<g class=\"xticks\">");
    CHECK(xt && strstr(xt, ">\xe2\x88\x92" "0.50</text>") && strstr(xt, ">1.50</text>"));
    const char *yt = strstr(svg, "<g class=\"yticks\">");
    double ytop = attr_after(yt, "<text", "y"); /* the first y label is -0.5, at the top */
    CHECK(yt && strstr(yt, ">\xe2\x88\x92" "0.50</text>") && ytop < attr_after(svg, "<image", "y") + 10);
    free(svg);
    plot_figure_free(f);
}

TEST(colorbar_adds_axes) {
    if (!plot_png_available()) SKIP("no libpng in this build");
    plot_figure *f = plot_figure_new(0, 0);
    double d[4] = {0, 1, 2, 10};
    plot_axes *ax = plot_gca(f);
    plot_imshow_scalar(ax, d, 2, 2, "hot", NAN, NAN);
    ax->colorbar = 1;
    char *t = plot_render_text(f);
    CHECK_STR(t, "<Figure size 640x480 with 2 Axes>");
    free(t);
    char *svg = plot_render_svg(f);
    int w = 0, h = 0;
    unsigned char *px = nth_png(svg, 1, &w, &h); /* the bar: 256 entries, vmax at the top */
    uint8_t lut[256][3];
    plot_cmap_lut("hot", lut);
    CHECK(px && w == 1 && h == 256);
    if (px) CHECK(px[0] == lut[255][0] && px[255 * 4 + 1] == lut[0][1]);
    const char *cb = strstr(svg, "<g class=\"cbar-ticks\">");
    CHECK(cb && strstr(cb, ">0</text>") && strstr(cb, ">10</text>"));
    CHECK(attr_after(svg, "<image class=\"colorbar-image\"", "x") > attr_after(svg, "<image class=\"image\"", "x"));
    free(px);
    free(svg);
    plot_figure_free(f);
}

/* ---- subplots, axis off, ticks, layout ------------------------------------------------ */

TEST(subplot_grid) {
    plot_figure *f = plot_figure_new(0, 0);
    plot_axes *a = plot_subplot(f, 2, 2, 1), *b = plot_subplot(f, 2, 2, 4);
    CHECK(a && b && a != b && f->naxes == 2);
    CHECK(plot_subplot(f, 2, 2, 1) == a && plot_gca(f) == a);
    CHECK(plot_subplot(f, 2, 2, 5) == NULL && plot_subplot(f, 0, 2, 1) == NULL);
    double y[3] = {1, 2, 3};
    plot_line(a, NULL, y, 3, NULL);
    plot_line(b, NULL, y, 3, NULL);
    char *svg = plot_render_svg(f);
    CHECK(count(svg, "<g class=\"axes\"") == 2 && count(svg, "class=\"line\"") == 2);
    /* 1 is above-left of 4 */
    const char *second = strstr(strstr(svg, "<clipPath") + 1, "<clipPath");
    double ax0 = attr_after(svg, "<clipPath", "x"), ay0 = attr_after(svg, "<clipPath", "y");
    double bx0 = attr_after(second, "<clipPath", "x"), by0 = attr_after(second, "<clipPath", "y");
    CHECK(ax0 < bx0 && ay0 < by0);
    char *t = plot_render_text(f);
    CHECK_STR(t, "<Figure size 640x480 with 2 Axes>");
    free(t);
    free(svg);
    plot_figure_free(f);
}

TEST(axis_off_and_fixed_ticks) {
    plot_figure *f = plot_figure_new(0, 0);
    double y[3] = {1, 2, 3};
    plot_axes *a = plot_subplot(f, 1, 2, 1), *b = plot_subplot(f, 1, 2, 2);
    plot_line(a, NULL, y, 3, NULL);
    plot_line(b, NULL, y, 3, NULL);
    plot_set_title(a, "hidden axis");
    a->axis_off = 1;
    const char *labels[2] = {"lo", "hi"};
    double pos[2] = {1, 3};
    CHECK(plot_set_ticks(&b->yticks, pos, labels, 2) == 0);
    CHECK(plot_set_ticks(&b->xticks, NULL, NULL, 0) == 0);
    char *svg = plot_render_svg(f);
    /* a: no spines, ticks or background, but its title; b: fixed ticks */
    CHECK(count(svg, "<g class=\"spines\"") == 1 && count(svg, "<g class=\"xticks\"") == 1);
    CHECK(strstr(svg, ">hidden axis</text>") != NULL);
    const char *xt = strstr(svg, "<g class=\"xticks\">"), *yt = strstr(svg, "<g class=\"yticks\">");
    const char *xend = xt ? strstr(xt, "</g>") : NULL, *xtext = xt ? strstr(xt, "<text") : NULL;
    CHECK(xt && (!xtext || xtext > xend)); /* xticks([]): no labels */
    CHECK(yt && strstr(yt, ">lo</text>") && strstr(yt, ">hi</text>"));
    free(svg);
    plot_figure_free(f);
}

TEST(tight_layout_clears_titles) {
    plot_figure *f = plot_figure_new(0, 0);
    double y[3] = {1, 2, 3};
    for (int i = 1; i <= 2; i++) {
        plot_axes *ax = plot_subplot(f, 2, 1, i);
        plot_line(ax, NULL, y, 3, NULL);
        plot_set_title(ax, "title");
        plot_set_xlabel(ax, "x");
    }
    plot_suptitle(f, "all", 16);
    for (int tight = 0; tight <= 1; tight++) {
        f->tight = tight;
        char *svg = plot_render_svg(f);
        /* row 1's x label bottom against row 2's title top */
        const char *xl = strstr(svg, "class=\"xlabel\"");
        const char *t2 = strstr(strstr(svg, "class=\"title\"") + 1, "class=\"title\"");
        double xl_bottom = attr_after(xl - 6, "<text", "y") + 10 * 0.236;
        double t2_top = attr_after(t2 - 6, "<text", "y") - 12 * 0.93;
        if (tight) CHECK(t2_top > xl_bottom);
        else CHECK(t2_top < xl_bottom); /* matplotlib's default spacing overlaps them too */
        CHECK(strstr(svg, "class=\"suptitle\"") != NULL);
        free(svg);
    }
    plot_figure_free(f);
}

int main(void) {
    RUN(gray_default_limits);
    RUN(viridis_vmin_vmax_clip);
    RUN(reversed_map_and_nan);
    RUN(rgb_bytes_and_floats);
    RUN(colormaps);
    RUN(aspect_equal_and_pixel_centre_ticks);
    RUN(colorbar_adds_axes);
    RUN(subplot_grid);
    RUN(axis_off_and_fixed_ticks);
    RUN(tight_layout_clears_titles);
    return test_summary();
}
