/* plot_bench.c — a 5 x 8 grid of CIFAR-shaped 32x32x3 images (random
 * data) with titles, as a class notebook shows samples: the time of the
 * plotting cell (imshow x 40, titles, axis off, tight_layout, show: the
 * SVG with its PNGs is rendered and sent) and the size of what it sends.
 * Prints one line per data kind: "plot_grid <kind> <ms median> <bytes>".
 *   build/bench/plot_bench [rounds]
 */
#include "lang.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t sent_bytes;
static int sent_displays;

static void on_display(void *ctx, const lang_bundle *b, const char *id, int update) {
    (void)ctx; (void)id; (void)update;
    sent_displays++;
    for (int i = 0; i < b->n; i++) sent_bytes += strlen(b->data[i]);
}

static void on_stream(void *ctx, const char *name, const char *text, size_t len) {
    (void)ctx;
    if (!strcmp(name, "stderr")) fwrite(text, 1, len, stderr);
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int run(lang_state *L, const char *code) {
    lang_output out = { NULL, on_stream, on_display, NULL, NULL };
    lang_result r;
    lang_status st = lang_execute(L, code, &out, 0, &r);
    int ok = st == LANG_OK;
    if (!ok) fprintf(stderr, "cell failed:\n%s\n", code);
    lang_result_clear(&r);
    return ok;
}

static const char grid_cell[] =
    "fig, axes = plt.subplots(5, 8, figsize=(12, 8))\n"
    "for i, ax in enumerate(axes.flat):\n"
    "    ax.imshow(x[i])\n"
    "    ax.set_title(names[i % 10], fontsize=9)\n"
    "    ax.axis('off')\n"
    "plt.tight_layout()\n"
    "plt.show()\n";

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 21;
    if (rounds < 1) rounds = 1;
    lang_state *L = lang_new();
    if (!L) return 1;
    static const char *const kinds[2][2] = {
        {"float", "x = rand(40, 32, 32, 3)\n"},
        {"int", "x = (rand(40, 32, 32, 3) * 255).astype('int32')\n"},
    };
    if (!run(L, "names = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']\n"))
        return 1;
    for (int k = 0; k < 2; k++) {
        if (!run(L, kinds[k][1])) return 1;
        double *ms = malloc((size_t)rounds * sizeof *ms);
        size_t bytes = 0;
        for (int r = 0; r < rounds; r++) {
            sent_bytes = 0;
            sent_displays = 0;
            double t0 = now_ms();
            if (!run(L, grid_cell)) return 1;
            ms[r] = now_ms() - t0;
            bytes = sent_bytes;
            if (sent_displays != 1) { fprintf(stderr, "expected one display, got %d\n", sent_displays); return 1; }
        }
        qsort(ms, (size_t)rounds, sizeof *ms, cmp_double);
        printf("plot_grid %s %.2f %zu\n", kinds[k][0], ms[rounds / 2], bytes);
        free(ms);
    }
    lang_free(L);
    return 0;
}
