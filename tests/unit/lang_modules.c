/* lang_modules.c — the module tree (kernel/lang/lib/module_tree.c):
 * REFERENCE.md's "Modules" section lists exactly the table's paths; every
 * name resolves in this build or its C-GPU global is absent from it; every
 * name C-GPU lacks (the table's hints, and common TensorFlow/NumPy names
 * without a hint) gives an AttributeError that names the module and says
 * what C-GPU has; os.environ's CUDA_VISIBLE_DEVICES set in a cell hides
 * the GPUs; time.sleep stops on an interrupt.
 *
 *   lang_modules --print-reference   prints the section to paste into REFERENCE.md
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "test.h"
#include "lang.h"
#include "modules.h"

/* The section text: one line per module with its names. */
static char *reference_section(void)
{
    size_t cap = 1 << 16, len = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    s[0] = '\0';
#define PUT(...) do { int n_ = snprintf(s + len, cap - len, __VA_ARGS__); if (n_ > 0) len += (size_t)n_; if (len >= cap) len = cap - 1; } while (0)
    for (const module_info *m = lang_modules; m->path; m++) {
        PUT("- **`%s`** (`%s`) — %s:", m->shown, m->path, m->doc);
        int k = 0, nmissing = 0;
        for (const module_attr *a = lang_module_attrs; a->module; a++) {
            if (strcmp(a->module, m->path) != 0) continue;
            if (a->kind == MA_MISSING) { nmissing++; continue; }
            PUT("%s `%s`", k++ ? "," : "", a->name);
            if (a->kind == MA_MODULE) PUT(" (module)");
            else if (a->kind == MA_GLOBAL && strcmp(a->name, a->target) != 0) PUT(" = `%s`", a->target);
            else if (a->kind == MA_STR) PUT(" = `'%s'`", a->target);
        }
        if (nmissing) {
            PUT(". Not in C-GPU (the error says what to use):");
            k = 0;
            for (const module_attr *a = lang_module_attrs; a->module; a++)
                if (a->kind == MA_MISSING && strcmp(a->module, m->path) == 0) PUT("%s `%s`", k++ ? "," : "", a->name);
        }
        PUT("\n");
    }
    return s;
#undef PUT
}

static const char *const begin_marker = "<!-- module tree: begin (tests/unit/lang_modules.c checks it; --print-reference prints it) -->\n";
static const char *const end_marker = "<!-- module tree: end -->";

static char *read_reference(void)
{
    /* from the repository root (where the suites run), or from this
     * source file's folder */
    char beside[4096];
    const char *slash = strrchr(__FILE__, '/');
    snprintf(beside, sizeof beside, "%.*s/../../kernel/lang/REFERENCE.md", slash ? (int)(slash - __FILE__) : 1,
             slash ? __FILE__ : ".");
    const char *paths[] = {"kernel/lang/REFERENCE.md", beside};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        FILE *f = fopen(paths[i], "rb");
        if (!f) continue;
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *s = malloc((size_t)n + 1);
        if (s && fread(s, 1, (size_t)n, f) == (size_t)n) s[n] = '\0';
        else { free(s); s = NULL; }
        fclose(f);
        return s;
    }
    return NULL;
}

TEST(reference_lists_the_tree) {
    char *ref = read_reference(), *want = reference_section();
    if (!ref) { free(want); SKIP("kernel/lang/REFERENCE.md not found (run from the repository root)"); }
    CHECK(want != NULL);
    if (!want) { free(ref); return; }
    char *b = strstr(ref, begin_marker), *e = b ? strstr(b, end_marker) : NULL;
    CHECK(b != NULL && e != NULL);
    if (b && e) {
        b += strlen(begin_marker);
        *e = '\0';
        int same = strcmp(b, want) == 0;
        CHECK(same);
        if (!same) printf("  REFERENCE.md's module tree differs from module_tree.c: run lang_modules --print-reference\n");
    }
    free(ref);
    free(want);
}

typedef struct { char text[8192]; } sink;
static void on_stream(void *ctx, const char *name, const char *text, size_t len)
{
    sink *s = ctx;
    size_t have = strlen(s->text);
    if (have + len >= sizeof s->text) len = sizeof s->text - have - 1;
    memcpy(s->text + have, text, len);
    s->text[have + len] = '\0';
}

static lang_status run(lang_state *L, const char *code, lang_result *r, sink *s)
{
    lang_result_clear(r);
    s->text[0] = '\0';
    lang_output out = { s, on_stream, NULL, NULL, NULL };
    return lang_execute(L, code, &out, 1, r);
}

/* Code naming a module path: "import tensorflow.config as m_\n" binds it. */
static void import_line(char *buf, size_t cap, const char *path, const char *name)
{
    snprintf(buf, cap, "import %s as m_\nm_.%s", path, name);
}

TEST(every_name_resolves_or_its_global_is_absent) {
    lang_state *L = lang_new();
    lang_result r = {0};
    sink s;
    int absent = 0, checked = 0;
    for (const module_attr *a = lang_module_attrs; a->module; a++) {
        if (a->kind == MA_MISSING || strcmp(a->module, "matplotlib") == 0) continue;
        char code[512];
        import_line(code, sizeof code, a->module, a->name);
        lang_status st = run(L, code, &r, &s);
        if (st != LANG_OK && a->kind == MA_GLOBAL) {
            /* a global this build does not have (another library's name) */
            char probe[256];
            snprintf(probe, sizeof probe, "%s", a->target);
            lang_status g = run(L, probe, &r, &s);
            CHECK(g != LANG_OK);
            if (g == LANG_OK) printf("  %s.%s failed though `%s` exists\n", a->module, a->name, a->target);
            absent++;
            continue;
        }
        CHECK(st == LANG_OK);
        if (st != LANG_OK) printf("  %s.%s: %s: %s\n", a->module, a->name, r.ename, r.evalue);
        checked++;
    }
    printf("  %d names resolve; %d name globals this build lacks\n", checked, absent);
    lang_result_clear(&r);
    lang_free(L);
}

TEST(missing_names_say_what_cgpu_has) {
    /* the table's hints, then common names with no hint (the message lists
     * what the module implements) */
    static const char *const common[][2] = {
        {"tensorflow", "signal"}, {"tensorflow", "sparse"}, {"tensorflow", "strings"}, {"tensorflow", "feature_column"},
        {"tensorflow", "summary"}, {"tensorflow", "train"}, {"tensorflow", "io"}, {"tensorflow", "py_function"},
        {"keras", "ops"}, {"keras", "mixed_precision"}, {"keras.layers", "Conv3D"}, {"keras.layers", "Attention"},
        {"keras.layers", "MultiHeadAttention"}, {"keras.layers", "LayerNormalization"}, {"keras.optimizers", "Nadam"},
        {"keras.losses", "Huber"}, {"keras.metrics", "AUC"}, {"keras.callbacks", "LearningRateScheduler"},
        {"numpy", "polyfit"}, {"numpy", "genfromtxt"}, {"numpy", "isnan"}, {"numpy", "percentile"},
        {"numpy.random", "default_rng"}, {"numpy.random", "beta"}, {"os", "walk"}, {"math", "comb"},
        {"time", "strftime"}, {"random", "sample"}, {"sys", "getsizeof"},
    };
    lang_state *L = lang_new();
    lang_result r = {0};
    sink s;
    int n = 0;
    for (const module_attr *a = lang_module_attrs; a->module; a++) {
        if (a->kind != MA_MISSING) continue;
        char code[512], want[512];
        import_line(code, sizeof code, a->module, a->name);
        CHECK(run(L, code, &r, &s) == LANG_ERROR);
        snprintf(want, sizeof want, "module '%s' has no attribute '%s' (", a->module, a->name);
        int ok = r.ename && strcmp(r.ename, "AttributeError") == 0 && r.evalue && strstr(r.evalue, want) &&
                 strstr(r.evalue, a->target);
        CHECK(ok);
        if (!ok) printf("  %s.%s: %s: %s\n", a->module, a->name, r.ename ? r.ename : "-", r.evalue ? r.evalue : "-");
        n++;
    }
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++) {
        char code[512], want[512];
        import_line(code, sizeof code, common[i][0], common[i][1]);
        CHECK(run(L, code, &r, &s) == LANG_ERROR);
        snprintf(want, sizeof want, "module '%s' has no attribute '%s' (C-GPU implements ", common[i][0], common[i][1]);
        int ok = r.ename && strcmp(r.ename, "AttributeError") == 0 && r.evalue && strstr(r.evalue, want);
        CHECK(ok);
        if (!ok) printf("  %s.%s: %s: %s\n", common[i][0], common[i][1], r.ename ? r.ename : "-", r.evalue ? r.evalue : "-");
        n++;
    }
    printf("  %d missing names checked\n", n);
    lang_result_clear(&r);
    lang_free(L);
}

/* Runs first, before anything in this process discovers devices. */
TEST(cuda_visible_devices_from_a_cell_hides_gpus) {
    lang_state *L = lang_new();
    lang_result r = {0};
    sink s;
    CHECK(run(L, "import os\nos.environ['CUDA_VISIBLE_DEVICES'] = '-1'\nimport tensorflow as tf\n"
                 "n = len(tf.config.list_physical_devices('GPU'))", &r, &s) == LANG_OK);
    CHECK(strstr(s.text, "W C-GPU: skipping GPU devices: ") != NULL);   /* the one warning line */
    CHECK(run(L, "print(n, gpu_unavailable_reason())", &r, &s) == LANG_OK);
#ifdef CGPU_HAVE_CUDA
    CHECK_STR(s.text, "0 CUDA_VISIBLE_DEVICES='-1' hides every GPU\n");
#else
    CHECK_STR(s.text, "0 this build has no CUDA support\n");
#endif
    const char *env = getenv("CUDA_VISIBLE_DEVICES");
    CHECK(env && strcmp(env, "-1") == 0);   /* copied into the process before discovery */
    /* TF_CPP_MIN_LOG_LEVEL=2 hides the warning, as it hides TensorFlow's */
    CHECK(run(L, "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'\ntf.config.list_physical_devices('GPU')", &r, &s) == LANG_OK);
    CHECK(strstr(s.text, "W C-GPU") == NULL);
    lang_result_clear(&r);
    lang_free(L);
}

static void *interrupt_later(void *p)
{
    struct timespec ts = { 0, 200 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    lang_interrupt(p);
    return NULL;
}

TEST(time_sleep_is_interruptible) {
    lang_state *L = lang_new();
    lang_result r = {0};
    sink s;
    CHECK(run(L, "import time", &r, &s) == LANG_OK);
    pthread_t th;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_create(&th, NULL, interrupt_later, L);
    lang_status st = run(L, "time.sleep(30)", &r, &s);
    pthread_join(th, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    CHECK(st == LANG_ERROR && r.ename && strcmp(r.ename, "KeyboardInterrupt") == 0);
    CHECK(took < 5.0);
    lang_clear_interrupt(L);
    CHECK(run(L, "time.sleep(0.01)", &r, &s) == LANG_OK);   /* the session goes on */
    lang_result_clear(&r);
    lang_free(L);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--print-reference") == 0) {
        char *s = reference_section();
        if (!s) return 1;
        fputs(s, stdout);
        free(s);
        return 0;
    }
    RUN(cuda_visible_devices_from_a_cell_hides_gpus);
    RUN(reference_lists_the_tree);
    RUN(every_name_resolves_or_its_global_is_absent);
    RUN(missing_names_say_what_cgpu_has);
    RUN(time_sleep_is_interruptible);
    return test_summary();
}
