/* fuzz_lang.c — libFuzzer harness for the language: lexer -> parser ->
 * resolver -> evaluator -> builtins -> CPU runtime -> display.
 *
 * An input is a notebook in miniature: cells separated by NUL bytes (at
 * most 16), run in order on one fresh lang_state, as a kernel would run
 * them. Each cell is also given to is_complete, complete and inspect with
 * a cursor taken from the input (sometimes past the end: the API must
 * clamp). Results must be well formed (an error has a name and a message,
 * bundles have non-NULL entries), and after the last cell `1+1` must still
 * give 2: whatever a cell did, the state keeps serving.
 *
 * Limits (so that "slow" or "big" is not reported as a crash):
 *   - memory: memcap.c fails allocations past 4 MiB each / 96 MiB live
 *     (the language must raise MemoryError or OutOfMemoryError);
 *   - time: a watchdog thread calls lang_interrupt when a cell has run
 *     for FUZZ_CELL_MS (default 300) ms; a cell that ignores interrupts
 *     shows up as a libFuzzer timeout (run.sh passes -timeout);
 *   - files: memcap.c sends every fopen to one scratch file; load_data sees
 *     a scratch HOME and a closed local port as its download mirror.
 * CPU only: the build has NO_CUDA, and the runtime finds no GPU.
 */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lang.h"
#include "memcap.h"
#include "rt_internal.h"

#define MAX_CELLS 16

static _Atomic(lang_state *) g_running;  /* the state whose cell is running, or NULL */
static atomic_llong g_started_ns;
static long long g_cell_ns = 300LL * 1000000;
static unsigned long g_interrupts;

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *watchdog(void *arg) {
    (void)arg;
    for (;;) {
        usleep(20000);
        lang_state *L = atomic_load(&g_running);
        if (L && now_ns() - atomic_load(&g_started_ns) > g_cell_ns) {
            lang_interrupt(L);
            g_interrupts++;
            atomic_store(&g_started_ns, now_ns()); /* again later if it did not stop */
        }
    }
    return NULL;
}

/* ---- output callbacks: consume everything, check shapes ---------------------- */

static size_t g_sink;

static void on_stream(void *ctx, const char *name, const char *text, size_t len) {
    assert(strcmp(name, "stdout") == 0 || strcmp(name, "stderr") == 0);
    for (size_t i = 0; i < len; i++) g_sink += (unsigned char)text[i];
}

static void check_bundle(const lang_bundle *b) {
    assert(b->n >= 0 && b->n <= LANG_BUNDLE_MAX);
    for (int i = 0; i < b->n; i++) {
        assert(b->mime[i] && b->data[i]);
        g_sink += strlen(b->mime[i]) + strlen(b->data[i]);
    }
}

static void on_display(void *ctx, const lang_bundle *b, const char *id, int update) {
    check_bundle(b);
    if (id) g_sink += strlen(id);
}

static void on_clear(void *ctx, int wait) { g_sink += (unsigned)wait; }

static int on_input(void *ctx, const char *prompt, int password, char **value) {
    static unsigned n;
    if (prompt) g_sink += strlen(prompt);
    if (++n % 3 == 0) { *value = strdup("input is not allowed here"); return -1; }
    *value = strdup(n % 2 ? "42" : "hello");
    return *value ? 0 : -1;
}

static const lang_output OUT = {NULL, on_stream, on_display, on_clear, on_input};

static void check_result(lang_status st, const lang_result *r) {
    assert(st == r->status);
    if (st == LANG_ERROR) {
        assert(r->ename && r->ename[0]);
        assert(r->evalue);
        assert(r->ntraceback >= 0);
        for (int i = 0; i < r->ntraceback; i++) assert(r->traceback[i]);
    } else {
        assert(st == LANG_OK);
        check_bundle(&r->value);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    const char *ms = getenv("FUZZ_CELL_MS");
    if (ms && atoi(ms) > 0) g_cell_ns = (long long)atoi(ms) * 1000000;
    pthread_t t;
    pthread_create(&t, NULL, watchdog, NULL);
    pthread_detach(t);
    atexit(memcap_cleanup);
    /* load_data must not reach the network or the user's ~/.keras: a
     * closed local port as the mirror, a scratch HOME */
    static char home[] = "/tmp/cgpu-fuzz-home-XXXXXX";
    if (mkdtemp(home)) setenv("HOME", home, 1);
    setenv("CGPU_DATASETS_URL", "http://127.0.0.1:9/", 1);
    unsetenv("CGPU_DATASETS");
    return 0;
}

static void run_cell(lang_state *L, const char *code, unsigned knob) {
    lang_result r;
    atomic_store(&g_started_ns, now_ns());
    atomic_store(&g_running, L);
    lang_status st = lang_execute(L, code, &OUT, (int)(knob & 1), &r);
    atomic_store(&g_running, NULL);
    check_result(st, &r);
    lang_result_clear(&r);

    /* the other entry points the frontend calls while typing */
    size_t len = strlen(code);
    int pos = (int)(len ? (knob * 2654435761u) % (len + 3) : 0);
    char indent[64];
    const char *c = lang_is_complete(L, code, indent, sizeof indent);
    assert(c && (!strcmp(c, "complete") || !strcmp(c, "incomplete") || !strcmp(c, "invalid")));
    lang_completion comp;
    memset(&comp, 0, sizeof comp);
    lang_complete(L, code, pos, &comp);
    assert(comp.n >= 0);
    for (int i = 0; i < comp.n; i++) assert(comp.matches[i]);
    assert(comp.cursor_start <= comp.cursor_end);
    lang_completion_clear(&comp);
    lang_bundle doc;
    memset(&doc, 0, sizeof doc);
    if (lang_inspect(L, code, pos, (int)(knob >> 1) & 1, &doc)) check_bundle(&doc);
    lang_bundle_clear(&doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 64 * 1024) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    lang_state *L = lang_new();
    if (!L) { free(text); return 0; }
    const char *p = text, *end = text + size;
    unsigned knob = 0;
    for (int i = 0; i < MAX_CELLS && p <= end; i++) {
        knob = knob * 31 + (unsigned)i + (unsigned)(p < end ? (unsigned char)*p : 0);
        run_cell(L, p, knob);
        p += strlen(p) + 1;
    }

    /* the state keeps serving: a plain cell still works */
    lang_result r;
    lang_status st = lang_execute(L, "1+1", &OUT, 0, &r);
    if (st != LANG_OK || r.value.n < 1 || strcmp(r.value.data[0], "2") != 0) {
        fprintf(stderr, "fuzz_lang: `1+1` failed after the input's cells: %s: %s\n",
                r.ename ? r.ename : "?", r.evalue ? r.evalue : (r.value.n ? r.value.data[0] : "no value"));
        /* a cell may legitimately rebind builtins or names; only an error
         * other than those counts */
        if (st == LANG_ERROR && r.ename && strcmp(r.ename, "OutOfMemoryError") != 0 &&
            strcmp(r.ename, "MemoryError") != 0 && strcmp(r.ename, "KeyboardInterrupt") != 0)
            abort();
    }
    lang_result_clear(&r);
    lang_free(L);
    free(text);
    rt_device *cpu = rt_device_get(RT_CPU, 0);
    if (cpu) rt_allocator_flush(cpu);
    return 0;
}
