/* lang_plot.c — the figure model, matplotlib's ticks and tick labels, numpy's
 * histogram bins, and the SVG (well-formed, labelled, one path per series).
 *
 * Expected tick labels and limits come from matplotlib 3.6 (the expression
 * in each comment, drawn with the default 6.4x4.8 figure) and expected bins
 * from numpy.histogram; they are written here as literals.
 */
#include "test.h"
#include "plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------------ */

/* Checks that `s` is well-formed XML: balanced tags, quoted attributes,
 * entities only of the form &name; / &#N;. Returns 1 when it is. */
static int xml_well_formed(const char *s) {
    const char *stack[256];
    size_t lens[256];
    int depth = 0, seen_root = 0;
    const char *p = s;
    while (*p) {
        if (*p == '&') {
            const char *q = p + 1;
            if (*q == '#') q++;
            while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')) q++;
            if (*q != ';' || q == p + 1) return 0;
            p = q + 1;
            continue;
        }
        if (*p != '<') { p++; continue; }
        if (strncmp(p, "<!--", 4) == 0) { p = strstr(p, "-->"); if (!p) return 0; p += 3; continue; }
        if (p[1] == '?') { p = strstr(p, "?>"); if (!p) return 0; p += 2; continue; }
        int closing = p[1] == '/';
        const char *name = p + 1 + closing, *q = name;
        while (*q && *q != ' ' && *q != '>' && *q != '/' && *q != '\n') q++;
        size_t nl = (size_t)(q - name);
        if (nl == 0) return 0;
        /* attributes: name="value" */
        int self_close = 0;
        while (*q && *q != '>') {
            if (*q == '"') { q = strchr(q + 1, '"'); if (!q) return 0; q++; continue; }
            if (*q == '<') return 0;
            if (*q == '/' && q[1] == '>') self_close = 1;
            q++;
        }
        if (*q != '>') return 0;
        if (closing) {
            if (depth == 0 || lens[depth - 1] != nl || strncmp(stack[depth - 1], name, nl) != 0) return 0;
            depth--;
        } else if (!self_close) {
            if (depth == 0 && seen_root) return 0;
            if (depth == 256) return 0;
            stack[depth] = name;
            lens[depth] = nl;
            depth++;
            seen_root = 1;
        }
        p = q + 1;
    }
    return depth == 0 && seen_root;
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* The tick labels of the group <g class="cls"> joined with '|', and its
 * offset text ("" when none). */
static void tick_labels(const char *svg, const char *cls, char *labels, size_t cap, char *offset, size_t ocap) {
    char open[64];
    snprintf(open, sizeof open, "<g class=\"%s\">", cls);
    labels[0] = offset[0] = '\0';
    const char *g = strstr(svg, open), *end = g ? strstr(g, "</g>") : NULL;
    if (!g || !end) return;
    size_t used = 0;
    for (const char *p = g; (p = strstr(p, "<text")) && p < end;) {
        int is_offset = strncmp(p, "<text class=\"offset\"", 20) == 0;
        const char *gt = strchr(p, '>'), *lt = gt ? strstr(gt, "</text>") : NULL;
        if (!gt || !lt) return;
        size_t n = (size_t)(lt - gt - 1);
        if (is_offset) {
            snprintf(offset, ocap, "%.*s", (int)n, gt + 1);
        } else if (used + n + 2 < cap) {
            if (used) labels[used++] = '|';
            memcpy(labels + used, gt + 1, n);
            used += n;
            labels[used] = '\0';
        }
        p = lt;
    }
}

#define MINUS "\xe2\x88\x92"

/* ---- model ------------------------------------------------------------------------ */

TEST(colors) {
    char c[8];
    CHECK(plot_parse_color("C1", c) == 0 && strcmp(c, "#ff7f0e") == 0);
    CHECK(plot_parse_color("C10", c) == 0 && strcmp(c, "#1f77b4") == 0);
    CHECK(plot_parse_color("r", c) == 0 && strcmp(c, "#ff0000") == 0);
    CHECK(plot_parse_color("tab:green", c) == 0 && strcmp(c, "#2ca02c") == 0);
    CHECK(plot_parse_color("#ABC", c) == 0 && strcmp(c, "#aabbcc") == 0);
    CHECK(plot_parse_color("#12345678", c) == 0 && strcmp(c, "#123456") == 0);
    CHECK(plot_parse_color("0.5", c) == 0 && strcmp(c, "#808080") == 0);
    CHECK(plot_parse_color("Orange", c) == 0 && strcmp(c, "#ffa500") == 0);
    CHECK(plot_parse_color("R", c) == -1);   /* single letters are case-sensitive */
    CHECK(plot_parse_color("nope", c) == -1);
    CHECK(plot_parse_color("#12", c) == -1);
    CHECK(plot_parse_color("1.5", c) == -1);
    CHECK(strcmp(plot_cycle_color(0), "#1f77b4") == 0 && strcmp(plot_cycle_color(9), "#17becf") == 0);
}

TEST(format_strings) {
    char c[8], m, ls[3];
    CHECK(plot_parse_fmt("ro-", c, &m, ls) == 0 && !strcmp(c, "#ff0000") && m == 'o' && !strcmp(ls, "-"));
    CHECK(plot_parse_fmt("--", c, &m, ls) == 0 && c[0] == 0 && m == 0 && !strcmp(ls, "--"));
    CHECK(plot_parse_fmt("s", c, &m, ls) == 0 && m == 's' && ls[0] == 0);   /* marker only: no line */
    CHECK(plot_parse_fmt("C2:", c, &m, ls) == 0 && !strcmp(c, "#2ca02c") && !strcmp(ls, ":"));
    CHECK(plot_parse_fmt("k-.^", c, &m, ls) == 0 && !strcmp(c, "#000000") && m == '^' && !strcmp(ls, "-."));
    CHECK(plot_parse_fmt("g", c, &m, ls) == 0 && !strcmp(c, "#008000") && !strcmp(ls, "-"));
    CHECK(plot_parse_fmt("red", c, &m, ls) == 0 && !strcmp(c, "#ff0000"));
    CHECK(plot_parse_fmt("rr", c, &m, ls) == -1);
    CHECK(plot_parse_fmt("o-s", c, &m, ls) == -1);
    CHECK(plot_parse_fmt("q", c, &m, ls) == -1);
}

TEST(figure_model) {
    plot_figure *f = plot_figure_new(0, 0);
    CHECK(f && f->width_in == 6.4 && f->height_in == 4.8);
    char *t = plot_render_text(f);
    CHECK_STR(t, "<Figure size 640x480 with 0 Axes>");
    free(t);
    double y[3] = {1, 2, 3};
    plot_style st = {0};
    st.label = "a";
    CHECK(plot_line(plot_gca(f), NULL, y, 3, &st) == 0);
    CHECK(plot_line(plot_gca(f), NULL, y, 3, NULL) == 0);
    st.color = "nope";
    CHECK(plot_line(plot_gca(f), NULL, y, 3, &st) == -1); /* bad color: nothing added */
    st.color = NULL;
    st.linestyle = "~~";
    CHECK(plot_line(plot_gca(f), NULL, y, 3, &st) == -1);
    CHECK(plot_gca(f)->nseries == 2);
    CHECK(strcmp(plot_gca(f)->series[0].color, "#1f77b4") == 0 && strcmp(plot_gca(f)->series[1].color, "#ff7f0e") == 0);
    CHECK(plot_gca(f)->series[0].x[2] == 2 && plot_gca(f)->series[1].label == NULL);
    t = plot_render_text(f);
    CHECK_STR(t, "<Figure size 640x480 with 1 Axes>");
    free(t);
    plot_figure_free(f);
    f = plot_figure_new(10, 3.5);
    t = plot_render_text(f);
    CHECK_STR(t, "<Figure size 1000x350 with 0 Axes>");
    free(t);
    plot_figure_free(f);
}

TEST(histogram_bins) {
    /* d = (np.arange(100) % 17) * 0.37 - 2; np.histogram(d, bins=7) */
    double d[100], c[7], e[8];
    for (int i = 0; i < 100; i++) d[i] = (i % 17) * 0.37 - 2;
    CHECK(plot_histogram(d, 100, 7, c, e) == 0);
    const double ec[7] = {18, 12, 12, 18, 12, 12, 16};
    const double ee[8] = {-2.0, -1.1542857142857144, -0.3085714285714285, 0.5371428571428574,
                          1.382857142857143, 2.2285714285714286, 3.0742857142857147, 3.92};
    for (int i = 0; i < 7; i++) CHECK(c[i] == ec[i]);
    for (int i = 0; i < 8; i++) CHECK_NEAR(e[i], ee[i], 1e-15, 1e-15);
    /* np.histogram([3, 3, 3], bins=4) */
    double k[3] = {3, 3, 3}, c4[4], e4[5];
    CHECK(plot_histogram(k, 3, 4, c4, e4) == 0);
    CHECK(c4[0] == 0 && c4[1] == 0 && c4[2] == 3 && c4[3] == 0);
    CHECK(e4[0] == 2.5 && e4[4] == 3.5);
    /* np.histogram(range(11), bins=5): the last bin holds its right edge */
    double r[11], c5[5], e5[6];
    for (int i = 0; i < 11; i++) r[i] = i;
    CHECK(plot_histogram(r, 11, 5, c5, e5) == 0);
    CHECK(c5[0] == 2 && c5[3] == 2 && c5[4] == 3);
    /* NaN and inf are left out, as matplotlib's hist does */
    double n[4] = {NAN, 1, INFINITY, 2}, c2[2], e2[3];
    CHECK(plot_histogram(n, 4, 2, c2, e2) == 0);
    CHECK(c2[0] == 1 && c2[1] == 1 && e2[0] == 1 && e2[2] == 2);
    CHECK(plot_histogram(n, 4, 0, c2, e2) == -1);
}

TEST(ticks_and_labels) {
    double t[64];
    char *lab[64], *extra;
    /* the 500-epoch loss curve's x axis: view (-24.95, 523.95) */
    int n = plot_nice_ticks(-24.95, 523.95, 9, t, 64);
    CHECK(n == 8 && t[0] == -100 && t[7] == 600);
    CHECK(plot_tick_labels(t, n, -24.95, 523.95, lab, &extra) == 0);
    CHECK_STR(lab[1], "0");
    CHECK_STR(lab[6], "500");
    CHECK_STR(lab[0], MINUS "100");
    CHECK(extra == NULL);
    for (int i = 0; i < n; i++) free(lab[i]);
    /* ax.plot([1, 2, 3], [1e7, 2e7, 3e7]): y labels 1.00 .. 3.00 with "1e7" */
    n = plot_nice_ticks(9e6, 3.1e7, 9, t, 64);
    CHECK(plot_tick_labels(t, n, 9e6, 3.1e7, lab, &extra) == 0);
    CHECK_STR(extra, "1e7");
    CHECK(n >= 10);
    if (n >= 10) { CHECK_STR(lab[1], "1.00"); CHECK_STR(lab[2], "1.25"); }
    for (int i = 0; i < n; i++) free(lab[i]);
    free(extra);
    /* ax.plot([1000.1, 1000.2, 1000.3]): offset "+1e3" */
    n = plot_nice_ticks(1000.09, 1000.31, 9, t, 64);
    CHECK(plot_tick_labels(t, n, 1000.09, 1000.31, lab, &extra) == 0);
    CHECK_STR(extra, "+1e3");
    for (int i = 0; i < n; i++) free(lab[i]);
    free(extra);
}

/* ---- SVG -------------------------------------------------------------------------- */

/* The celsius notebook's curve: 500 epochs of a decaying loss. */
static plot_figure *loss_figure(void) {
    double y[500];
    for (int i = 0; i < 500; i++) y[i] = 3900 * exp(-i / 55.0) + 0.3 * exp(-i / 200.0);
    plot_figure *f = plot_figure_new(0, 0);
    plot_set_xlabel(plot_gca(f), "Epoch Number");
    plot_set_ylabel(plot_gca(f), "Loss Magnitude");
    plot_line(plot_gca(f), NULL, y, 500, NULL);
    return f;
}

TEST(svg_loss_curve) {
    plot_figure *f = loss_figure();
    char *s = plot_render_svg(f);
    CHECK(s != NULL);
    if (!s) { plot_figure_free(f); return; }
    CHECK(strncmp(s, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0);
    CHECK(xml_well_formed(s));
    CHECK(strstr(s, ">Epoch Number</text>") != NULL);
    CHECK(strstr(s, ">Loss Magnitude</text>") != NULL);
    CHECK(strstr(s, "rotate(-90") != NULL);                 /* the y label is vertical */
    CHECK(count(s, "<path class=\"line\"") == 1);
    CHECK(strstr(s, "stroke=\"#1f77b4\" stroke-width=\"1.5\"") != NULL);
    char labels[512], off[64];
    tick_labels(s, "xticks", labels, sizeof labels, off, sizeof off);
    CHECK_STR(labels, "0|100|200|300|400|500");
    CHECK_STR(off, "");
    tick_labels(s, "yticks", labels, sizeof labels, off, sizeof off);
    CHECK_STR(labels, "0|500|1000|1500|2000|2500|3000|3500|4000"); /* matplotlib: the same */
    CHECK(strstr(s, "class=\"legend\"") == NULL);
    CHECK(strlen(s) < 20000);
    free(s);
    plot_figure_free(f);
}

TEST(svg_legend_grid_title) {
    plot_figure *f = plot_figure_new(0, 0);
    double x[20], a[20], b[20];
    for (int i = 0; i < 20; i++) { x[i] = i; a[i] = i * i; b[i] = 400 - i * i; }
    plot_style s1 = {0}, s2 = {0}, s3 = {0};
    s1.label = "up <fast>";
    s1.marker = 'o';
    s2.label = "down";
    s2.linestyle = "--";
    s2.color = "k";
    s3.label = "_hidden";
    plot_line(plot_gca(f), x, a, 20, &s1);
    plot_line(plot_gca(f), x, b, 20, &s2);
    plot_scatter(plot_gca(f), x, b, 10, &s3);
    plot_set_title(plot_gca(f), "Two & curves");
    plot_set_legend(plot_gca(f), 1);
    plot_set_grid(plot_gca(f), 1);
    char *s = plot_render_svg(f);
    CHECK(s && xml_well_formed(s));
    if (s) {
        CHECK(count(s, "<path class=\"line\"") == 2);
        CHECK(count(s, "<g class=\"scatter\"") == 1);
        CHECK(count(s, "<g class=\"markers\"") == 1);
        CHECK(strstr(s, "class=\"legend\"") != NULL);
        CHECK(strstr(s, ">up &lt;fast&gt;</text>") != NULL);
        CHECK(strstr(s, ">down</text>") != NULL);
        CHECK(strstr(s, "hidden") == NULL);                   /* labels starting with _ stay out */
        CHECK(strstr(s, "class=\"title\"") && strstr(s, ">Two &amp; curves</text>"));
        CHECK(strstr(s, "font-size=\"12\"") != NULL);
        CHECK(strstr(s, "class=\"grid\"") != NULL);
        CHECK(strstr(s, "stroke-dasharray=\"5.55,2.40\"") != NULL); /* dashed at lw 1.5 */
        CHECK(strstr(s, "stroke=\"#000000\" stroke-width=\"1.5\"") != NULL);
        /* 20 line markers + 1 legend marker; 10 scatter points */
        CHECK(count(s, "<use ") == 31);
    }
    free(s);
    plot_figure_free(f);
}

TEST(svg_bars_match_matplotlib) {
    /* ax.bar([0, 1, 2], [3, 7, 2]): x (-0.54, 2.54), y (0, 7.35) (sticky 0) */
    plot_figure *f = plot_figure_new(0, 0);
    double x[3] = {0, 1, 2}, h[3] = {3, 7, 2};
    plot_bar(plot_gca(f), x, NULL, h, 3, 0, NULL);
    char *s = plot_render_svg(f);
    char labels[512], off[64];
    CHECK(s && xml_well_formed(s));
    if (s) {
        tick_labels(s, "xticks", labels, sizeof labels, off, sizeof off);
        CHECK_STR(labels, MINUS "0.5|0.0|0.5|1.0|1.5|2.0|2.5");
        tick_labels(s, "yticks", labels, sizeof labels, off, sizeof off);
        CHECK_STR(labels, "0|1|2|3|4|5|6|7");
        CHECK(count(s, "<rect x=") == 3 + 1); /* 3 bars + the clip rectangle */
    }
    free(s);
    plot_figure_free(f);
    /* ax.bar(['a', 'b', 'c'], [3, 7, 2]) */
    f = plot_figure_new(0, 0);
    const char *cats[3] = {"a", "b", "c"};
    plot_bar(plot_gca(f), NULL, cats, h, 3, 0, NULL);
    s = plot_render_svg(f);
    if (s) {
        tick_labels(s, "xticks", labels, sizeof labels, off, sizeof off);
        CHECK_STR(labels, "a|b|c");
    }
    CHECK(s != NULL);
    free(s);
    plot_figure_free(f);
}

TEST(svg_hist) {
    plot_figure *f = plot_figure_new(0, 0);
    double d[100], c[7], e[8];
    for (int i = 0; i < 100; i++) d[i] = (i % 17) * 0.37 - 2;
    plot_style st = {0};
    st.label = "d";
    CHECK(plot_hist(plot_gca(f), d, 100, 7, &st, c, e) == 0);
    CHECK(c[0] == 18 && e[7] == 3.92);
    plot_set_legend(plot_gca(f), 1);
    char *s = plot_render_svg(f);
    CHECK(s && xml_well_formed(s));
    if (s) {
        CHECK(count(s, "<g class=\"bar\"") == 1);
        CHECK(count(s, "<rect x=") == 7 + 1 + 2); /* bars, clip, legend frame and patch */
        CHECK(strstr(s, ">d</text>") != NULL);
    }
    free(s);
    plot_figure_free(f);
}

TEST(svg_edge_cases) {
    char labels[512], off[64];
    /* empty axes (only a label): limits (0, 1) */
    plot_figure *f = plot_figure_new(0, 0);
    plot_set_xlabel(plot_gca(f), "x");
    char *s = plot_render_svg(f);
    CHECK(s && xml_well_formed(s));
    if (s) {
        tick_labels(s, "xticks", labels, sizeof labels, off, sizeof off);
        CHECK_STR(labels, "0.0|0.2|0.4|0.6|0.8|1.0");
    }
    free(s);
    /* ax.plot([]): (-0.055, 0.055) */
    CHECK(plot_line(plot_gca(f), NULL, NULL, 0, NULL) == 0);
    s = plot_render_svg(f);
    CHECK(s && xml_well_formed(s));
    if (s) {
        tick_labels(s, "yticks", labels, sizeof labels, off, sizeof off);
        CHECK_STR(labels, MINUS "0.04|" MINUS "0.02|0.00|0.02|0.04");
        CHECK(count(s, "<path class=\"line\"") == 0);
    }
    free(s);
    plot_figure_free(f);

    /* ax.plot([0.0] * 5): constant data */
    f = plot_figure_new(0, 0);
    double z[5] = {0, 0, 0, 0, 0};
    plot_line(plot_gca(f), NULL, z, 5, NULL);
    s = plot_render_svg(f);
    if (s) {
        tick_labels(s, "yticks", labels, sizeof labels, off, sizeof off);
        CHECK_STR(labels, MINUS "0.04|" MINUS "0.02|0.00|0.02|0.04");
        tick_labels(s, "xticks", labels, sizeof labels, off, sizeof off);
        CHECK_STR(labels, "0.0|0.5|1.0|1.5|2.0|2.5|3.0|3.5|4.0");
    }
    CHECK(s != NULL);
    free(s);
    plot_figure_free(f);

    /* NaN breaks the line in two; inf is skipped; 1e-7 scale text */
    f = plot_figure_new(0, 0);
    double y[6] = {1e-7, 2e-7, NAN, 3e-7, INFINITY, 5e-7};
    plot_line(plot_gca(f), NULL, y, 6, NULL);
    s = plot_render_svg(f);
    CHECK(s && xml_well_formed(s));
    if (s) {
        const char *d = strstr(s, "<path class=\"line\"");
        d = d ? strstr(d, " d=\"") : NULL;
        const char *e = d ? strchr(d + 4, '"') : NULL;
        int moves = 0;
        for (const char *p = d; p && p < e; p++) moves += *p == 'M';
        CHECK(moves == 3); /* [1e-7, 2e-7], [3e-7], [5e-7] */
        tick_labels(s, "yticks", labels, sizeof labels, off, sizeof off);
        CHECK_STR(off, "1e" MINUS "7");
        CHECK(strstr(s, "nan") == NULL && strstr(s, "inf") == NULL);
    }
    free(s);
    plot_figure_free(f);

    /* one point with a marker */
    f = plot_figure_new(0, 0);
    double one[1] = {5};
    plot_style st = {0};
    st.marker = 'o';
    plot_line(plot_gca(f), NULL, one, 1, &st);
    s = plot_render_svg(f);
    CHECK(s && xml_well_formed(s));
    if (s) {
        CHECK(count(s, "<use ") == 1);
        tick_labels(s, "yticks", labels, sizeof labels, off, sizeof off);
        CHECK_STR(labels, "4.8|4.9|5.0|5.1|5.2");
    }
    free(s);
    plot_figure_free(f);
}

/* Long series are decimated per half-point column: small output, same shape. */
TEST(svg_decimation) {
    int n = 200000;
    double *y = malloc((size_t)n * sizeof *y);
    CHECK(y != NULL);
    if (!y) return;
    for (int i = 0; i < n; i++) y[i] = sin(i / 5000.0) + ((i * 7919) % 1000) * 1e-4;
    plot_figure *f = plot_figure_new(0, 0);
    plot_line(plot_gca(f), NULL, y, n, NULL);
    char *s = plot_render_svg(f);
    CHECK(s && xml_well_formed(s));
    if (s) {
        CHECK(strlen(s) < 120000);
        const char *d = strstr(s, "<path class=\"line\"");
        int spaces = 0;
        if (d) for (const char *p = strstr(d, " d=\""); p && *p && *p != '/'; p++) spaces += *p == ' ';
        /* at most 4 points per half-point column of a ~357 pt wide axes */
        CHECK(spaces > 700 && spaces < 4 * 2 * 360 * 2);
        char labels[512], off[64];
        tick_labels(s, "yticks", labels, sizeof labels, off, sizeof off);
        CHECK(strstr(labels, "1.0") != NULL); /* the extremes survive decimation */
    }
    free(s);
    plot_figure_free(f);
    free(y);
}

int main(void) {
    RUN(colors);
    RUN(format_strings);
    RUN(figure_model);
    RUN(histogram_bins);
    RUN(ticks_and_labels);
    RUN(svg_loss_curve);
    RUN(svg_legend_grid_title);
    RUN(svg_bars_match_matplotlib);
    RUN(svg_hist);
    RUN(svg_edge_cases);
    RUN(svg_decimation);
    return test_summary();
}
