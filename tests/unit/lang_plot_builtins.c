/* lang_plot_builtins.c — `plt` in cells: figures are sent as display_data
 * (image/svg+xml + text/plain) by plt.show() or when the cell ends, values
 * returned look like matplotlib's, and bad arguments raise clear errors. */
#include "test.h"
#include "lang.h"
#include "plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What one cell sent. */
typedef struct {
    int  ndisplay;
    char text[8][128];     /* text/plain of each display_data */
    int  has_svg[8];
    char svg0[200000];     /* the first SVG (truncated) */
    char out[4096];        /* stdout */
    char err[4096];        /* stderr */
} sink;

static void on_stream(void *ctx, const char *name, const char *text, size_t len) {
    sink *s = ctx;
    char *dst = strcmp(name, "stdout") == 0 ? s->out : s->err;
    size_t have = strlen(dst);
    if (have + len >= 4096) len = 4095 - have;
    memcpy(dst + have, text, len);
    dst[have + len] = '\0';
}

static void on_display(void *ctx, const lang_bundle *b, const char *id, int update) {
    sink *s = ctx;
    if (s->ndisplay >= 8) return;
    int k = s->ndisplay++;
    for (int i = 0; i < b->n; i++) {
        if (strcmp(b->mime[i], "text/plain") == 0) snprintf(s->text[k], sizeof s->text[k], "%s", b->data[i]);
        if (strcmp(b->mime[i], "image/svg+xml") == 0) {
            s->has_svg[k] = 1;
            if (k == 0) snprintf(s->svg0, sizeof s->svg0, "%s", b->data[i]);
        }
    }
}

/* Runs a cell; returns its status and fills the sink and result. */
static lang_status run(lang_state *L, const char *code, sink *s, lang_result *r) {
    memset(s, 0, sizeof *s);
    lang_output out = { s, on_stream, on_display, NULL, NULL };
    return lang_execute(L, code, &out, 0, r);
}

static const char *result_text(const lang_result *r) {
    for (int i = 0; i < r->value.n; i++)
        if (strcmp(r->value.mime[i], "text/plain") == 0) return r->value.data[i];
    return NULL;
}

static sink S;

TEST(figure_at_end_of_cell) {
    lang_state *L = lang_new();
    lang_result r;
    lang_status st = run(L, "plt.xlabel('Epoch Number')\nplt.ylabel(\"Loss Magnitude\")\n"
                            "plt.plot([3900.0, 1200.5, 300.25, 80.0, 20.0])", &S, &r);
    CHECK(st == LANG_OK);
    if (st != LANG_OK) fprintf(stderr, "    %s: %s\n", r.ename, r.evalue);
    CHECK_STR(result_text(&r), "[Line2D(_child0)]");
    CHECK(S.ndisplay == 1);
    CHECK_STR(S.text[0], "<Figure size 640x480 with 1 Axes>");
    CHECK(S.has_svg[0]);
    CHECK(strstr(S.svg0, ">Epoch Number</text>") != NULL);
    CHECK(strstr(S.svg0, ">Loss Magnitude</text>") != NULL);
    CHECK(strstr(S.svg0, "<path class=\"line\"") != NULL);
    lang_result_clear(&r);
    /* the figure was closed: the next cell shows nothing */
    st = run(L, "x = 1", &S, &r);
    CHECK(st == LANG_OK && S.ndisplay == 0);
    lang_result_clear(&r);
    lang_free(L);
}

TEST(show_and_figure) {
    lang_state *L = lang_new();
    lang_result r;
    lang_status st = run(L,
        "plt.figure(figsize=(10, 3.5))\n"
        "plt.plot([1, 2, 3], [4, 5, 6], 'ro--', label='a')\n"
        "plt.legend()\n"
        "plt.show()\n"
        "plt.scatter([1, 2], [3, 4])\n", &S, &r);
    CHECK(st == LANG_OK);
    if (st != LANG_OK) fprintf(stderr, "    %s: %s\n", r.ename, r.evalue);
    CHECK(S.ndisplay == 2);
    CHECK_STR(S.text[0], "<Figure size 1000x350 with 1 Axes>");
    CHECK(strstr(S.svg0, "class=\"legend\"") != NULL);
    CHECK(strstr(S.svg0, "stroke=\"#ff0000\"") != NULL);
    CHECK_STR(S.text[1], "<Figure size 640x480 with 1 Axes>");
    CHECK_STR(result_text(&r), "<PathCollection of 2 points>");
    lang_result_clear(&r);

    /* a Figure as the cell's value is displayed once */
    st = run(L, "fig = plt.figure()\nplt.bar(['a', 'b'], [1, 2])\nfig", &S, &r);
    CHECK(st == LANG_OK);
    CHECK_STR(result_text(&r), "<Figure size 640x480 with 1 Axes>");
    int svg_in_result = 0;
    for (int i = 0; i < r.value.n; i++) svg_in_result |= strcmp(r.value.mime[i], "image/svg+xml") == 0;
    CHECK(svg_in_result);
    CHECK(S.ndisplay == 0);
    lang_result_clear(&r);
    lang_free(L);
}

TEST(values_and_data_kinds) {
    lang_state *L = lang_new();
    lang_result r;
    lang_status st = run(L,
        "c, e, b = plt.hist([1, 2, 2, 3], bins=3)\n"
        "print(c)\nprint(b)\n"
        "print(plt.bar([0, 1, 2], 5))\n"
        "lines = plt.plot(arange(5), label='ramp')\n"
        "print(lines)\n"
        "print(plt.plot((1, None, 3)))\n"
        "plt.grid(True)\nplt.title('all <kinds>')\n", &S, &r);
    CHECK(st == LANG_OK);
    if (st != LANG_OK) fprintf(stderr, "    %s: %s\n", r.ename, r.evalue);
    CHECK_STR(S.out, "[1. 2. 1.]\n<BarContainer object of 3 artists>\n<BarContainer object of 3 artists>\n"
                     "[Line2D(ramp)]\n[Line2D(_child3)]\n");
    CHECK(S.ndisplay == 1);
    CHECK(strstr(S.svg0, ">all &lt;kinds&gt;</text>") != NULL);
    CHECK(strstr(S.svg0, "class=\"grid\"") != NULL);
    lang_result_clear(&r);
    lang_free(L);
}

TEST(errors) {
    lang_state *L = lang_new();
    lang_result r;
    struct { const char *code, *ename, *evalue; } cases[] = {
        {"plt.plot([1, 2], [1, 2, 3])", "ValueError",
         "x and y must have same first dimension, but have shapes (2,) and (3,)"},
        {"plt.plot([1, 2], color='nope')", "ValueError", "'nope' is not a valid color value."},
        {"plt.plot([1, 2], 'q')", "ValueError", "'q' is not a valid format string"},
        {"plt.plot([1, 2], colour='r')", "TypeError", "plot() got an unexpected keyword argument 'colour'"},
        {"plt.plot([1, 2], marker='@')", "ValueError",
         "Unrecognized marker style '@' (use one of o s ^ v < > x + . D d * p h)"},
        {"plt.hist([1, 2], bins=0)", "ValueError", "bins must be between 1 and 100000, not 0"},
        {"plt.figure(figsize=(0, 3))", "ValueError",
         "figure size must be positive finite (and below 1000 inches), not (0, 3)"},
        {"plt.savefig('out.png')", "ValueError",
         "savefig writes SVG only: give a file name ending in .svg, not 'out.png'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lang_status st = run(L, cases[i].code, &S, &r);
        CHECK(st == LANG_ERROR);
        CHECK_STR(r.ename, cases[i].ename);
        CHECK_STR(r.evalue, cases[i].evalue);
        lang_result_clear(&r);
    }
    /* a failing cell still shows what it drew */
    lang_status st = run(L, "plt.plot([1, 2, 3])\nundefined_name", &S, &r);
    CHECK(st == LANG_ERROR);
    CHECK_STR(r.ename, "NameError");
    CHECK(S.ndisplay == 1 && S.has_svg[0]);
    lang_result_clear(&r);
    /* legend without labels warns on stderr, as matplotlib does */
    st = run(L, "plt.plot([1, 2])\nplt.legend()", &S, &r);
    CHECK(st == LANG_OK);
    CHECK(strstr(S.err, "No artists with labels found to put in legend.") == S.err);
    lang_result_clear(&r);
    lang_free(L);
}

TEST(savefig_writes_svg) {
    lang_state *L = lang_new();
    lang_result r;
    char path[64], code[256];
    snprintf(path, sizeof path, "/tmp/cgpu_plot_test_%d.svg", (int)getpid());
    snprintf(code, sizeof code, "plt.plot([1, 4, 9])\nplt.savefig('%s')\nplt.close()", path);
    lang_status st = run(L, code, &S, &r);
    CHECK(st == LANG_OK);
    CHECK(S.ndisplay == 0); /* closed before the cell ended */
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (f) {
        char head[64] = {0};
        size_t n = fread(head, 1, sizeof head - 1, f);
        CHECK(n > 10 && strncmp(head, "<svg xmlns=", 11) == 0);
        fclose(f);
        unlink(path);
    }
    lang_result_clear(&r);
    lang_free(L);
}

/* imshow draws an embedded PNG, or, in a build without libpng, says so. */
TEST(imshow_needs_libpng) {
    lang_state *L = lang_new();
    lang_result r;
    lang_status st = run(L, "plt.imshow(zeros((2, 2)), cmap='gray')\nplt.show()", &S, &r);
    if (plot_png_available()) {
        CHECK(st == LANG_OK && S.ndisplay == 1 && strstr(S.svg0, "data:image/png;base64,") != NULL);
    } else {
        CHECK(st == LANG_ERROR && strstr(r.evalue ? r.evalue : "", "libpng") != NULL);
    }
    lang_result_clear(&r);
    lang_free(L);
}

int main(void) {
    RUN(figure_at_end_of_cell);
    RUN(show_and_figure);
    RUN(values_and_data_kinds);
    RUN(errors);
    RUN(savefig_writes_svg);
    RUN(imshow_needs_libpng);
    return test_summary();
}
