/* failalloc_run.c — allocation-failure test of the language and runtime.
 *
 * For each cell below and for N = 1, 2, ...: a forked child (so that one
 * crash neither hides the others nor poisons the next N) arms the failing
 * allocator to refuse allocation N (and with -p every later one), runs the
 * cell on a lang_state prepared by the parent, disarms, and checks:
 *   - no crash (no signal; under ASan, no memory error on the error path);
 *   - lang_execute returned LANG_OK or LANG_ERROR with a well-formed result;
 *   - the state keeps serving: `1+1` gives 2 and a variable bound before
 *     the cell (`keep = 41`) still reads 41, as a kernel needs for its next
 *     request;
 *   - nothing leaked once the state is freed (LeakSanitizer, when the build
 *     has AddressSanitizer).
 * The loop for a cell ends at the first N that the cell's run never
 * reaches (the cell completed with no failure injected).
 *
 * usage: failalloc_run [-p] [-v] [-m MAXN] [CELLNAME...]
 * Prints one line per cell and ends with "N passed, N failed".
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "failalloc.h"
#include "lang.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define HAVE_LSAN 1
#endif
#ifdef HAVE_LSAN
#include <sanitizer/lsan_interface.h>
/* Leaks are checked explicitly in each child, not again at its exit. */
const char *__asan_default_options(void) { return "detect_leaks=1:leak_check_at_exit=0:abort_on_error=0"; }
#endif

/* A cell under test: `setup` runs unarmed first (its bindings must survive). */
typedef struct {
    const char *name;
    const char *setup;
    const char *code;
} cell;

static const cell CELLS[] = {
    {"arith", NULL,
     "x = 1 + 2 * 3.5\ny = x ** 2 - 7 // 2\nz = -x % 3\nprint(x, y, z, 10 / 4, 2 ** 40)"},
    {"strings", NULL,
     "s = 'Hello, ' + 'world'\nt = s.upper().replace('WORLD', 'C-GPU')\n"
     "u = f'{t!r} has {len(t)} chars, pi={3.14159:.3f}'\nparts = u.split(' ')\nprint(u, '-'.join(parts[:3]))"},
    {"collections", NULL,
     "xs = [i * i for i in range(30)]\nd = {str(i): i for i in xs if i % 2 == 0}\n"
     "t = (1, 'a', None, 2.5)\nkeys = sorted(d.keys())\nxs.append(t)\nd['t'] = list(t)\n"
     "print(len(xs), keys[:5], d['t'], xs[-1])\nd"},
    {"arrays", NULL,
     "a = arange(0, 12).reshape((3, 4))\nb = a * 2.0 + 1\nc = b @ b.T\n"
     "print(b.sum(), c.shape, b[1], b[:, 2], b.mean(axis=0))\nc"},
    {"function", NULL,
     "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n"
     "def apply(f, *args, **kw):\n    return f(*args, **kw)\nprint(apply(fib, 12), [apply(lambda v: v * 3, i) for i in range(4)])"},
    {"error", NULL,
     "def g(depth):\n    if depth == 0:\n        return undefined_name + 1\n    return g(depth - 1)\ng(5)"},
    {"display", NULL,
     "import_ok = 1\nprint(repr(zeros((2, 3))), str([1.5, 'x', None]))\n{'array': ones((2, 2)), 'list': [1, 2]}"},
    {"plot", NULL,
     "plt.xlabel('epoch')\nplt.ylabel('loss')\nplt.plot([3.0, 2.0, 1.5, 1.2, 1.1])\nplt.show()"},
    {"subplots", NULL,
     "fig, axes = plt.subplots(2, 2, figsize=(4, 3))\nfor i, ax in enumerate(axes.flat):\n"
     "    ax.imshow(arange(12).reshape(3, 4) * i, cmap='gray')\n    ax.set_title(str(i), fontsize=9)\n    ax.axis('off')\n"
     "axes[0, 0].plot(range(3), [1, 2, 1], 'o-', label='a')\naxes[0, 0].legend(loc='upper left')\n"
     "plt.colorbar()\nplt.xticks([0, 1], ['a', 'b'], rotation=45)\nplt.suptitle('s')\nplt.tight_layout()\nplt.show()"},
    {"control", NULL,
     "total = 0\nfor i, (c, f) in enumerate({t: t * 1.8 + 32 for t in [-40, 0, 37]}.items()):\n"
     "    if i == 1:\n        continue\n    total += f\nwhile total > 100:\n    total -= 50\n"
     "with device('CPU:0'):\n    z = ones(4) * 3\n%time s = sum(range(1000))\nprint(total, z, s)"},
    {"magic-help", NULL, "help(linspace)\n%who"},
    {"classes", NULL,
     "class Base:\n    def __init__(self, n):\n        self.n = n\n    def __repr__(self):\n        return 'B(%d)' % self.n\n"
     "class Child(Base):\n    def __init__(self, n):\n        super().__init__(n * 2)\n        self.me = self\n"
     "    @property\n    def twice(self):\n        return self.n * 2\n"
     "c = Child(3)\nprint(c, c.twice, isinstance(c, Base), '%s=%.1f' % ('x', 2.5))\n[c, Child(1)]"},
    {"exceptions", NULL,
     "class MyError(ValueError):\n    pass\nlog = []\nfor i in range(3):\n    try:\n        if i == 0:\n            raise MyError('m', i)\n"
     "        {}[i]\n    except KeyError as e:\n        log.append(repr(e))\n    except ValueError as e:\n        log.append(str(e))\n"
     "    finally:\n        log.append(i)\ntry:\n    try:\n        1 / 0\n    except ZeroDivisionError:\n        raise\nexcept Exception as e:\n"
     "    log.append(e.args)\nlog"},
    {"device-stats", NULL, "s = device_stats()\nprint(s.gpus, s.cpu_utilization >= 0, s.reason)\ns"},
    {"fit", "seed(0)\nc = array([-40, -10, 0, 8, 15, 22, 38], dtype=float)\n"
            "f = array([-40, 14, 32, 46, 59, 72, 100], dtype=float)",
     "model = Sequential([Input(shape=[1]), Dense(units=1)])\n"
     "model.compile(loss='mean_squared_error', optimizer=Adam(0.1))\n"
     "h = model.fit(c, f, epochs=3, verbose=False)\nmodel.predict(array([100.0]), verbose=0)"},
};
#define NCELLS ((int)(sizeof CELLS / sizeof CELLS[0]))

static void on_stream(void *ctx, const char *name, const char *text, size_t len) {}
static void on_display(void *ctx, const lang_bundle *b, const char *id, int update) {}
static const lang_output OUT = {NULL, on_stream, on_display, NULL, NULL};

static int verbose;

/* Runs code unarmed; 1 when it succeeded and (want != NULL) its text/plain is want. */
static int expect(lang_state *L, const char *code, const char *want, char *got, size_t cap) {
    lang_result r;
    lang_status st = lang_execute(L, code, &OUT, 0, &r);
    int ok = st == LANG_OK && (!want || (r.value.n > 0 && strcmp(r.value.data[0], want) == 0));
    if (got)
        snprintf(got, cap, "%s%s%s", st == LANG_OK ? "" : (r.ename ? r.ename : "error"), st == LANG_OK ? "" : ": ",
                 st == LANG_OK ? (r.value.n ? r.value.data[0] : "(no value)") : (r.evalue ? r.evalue : ""));
    lang_result_clear(&r);
    return ok;
}

/* Child exit codes. */
enum { C_OK_ERR = 0x10, C_OK_FINE = 0x11, C_UNREACHED = 0x12, C_BAD_RESULT = 0x20,
       C_NOT_SERVING = 0x21, C_STATE_LOST = 0x22, C_LEAK = 0x23 };

static int child(lang_state *L, const cell *c, long n, int persistent) {
    lang_result r;
    failalloc_arm(n, persistent);
    lang_status st = lang_execute(L, c->code, &OUT, 0, &r);
    failalloc_disarm();
    int reached = failalloc_failed() > 0;
    if (st != LANG_OK && st != LANG_ERROR) return C_BAD_RESULT;
    if (st != r.status) return C_BAD_RESULT;
    if (st == LANG_OK) {
        for (int i = 0; i < r.value.n; i++) if (!r.value.mime[i] || !r.value.data[i]) return C_BAD_RESULT;
    } else {
        for (int i = 0; i < r.ntraceback; i++) if (!r.traceback[i]) return C_BAD_RESULT;
        if (verbose > 1) fprintf(stderr, "  N=%ld: %s: %s\n", n, r.ename ? r.ename : "(no name)", r.evalue ? r.evalue : "");
    }
    lang_result_clear(&r);
    char got[256];
    if (!expect(L, "1+1", "2", got, sizeof got)) {
        fprintf(stderr, "  %s N=%ld: `1+1` after the failure gave %s\n", c->name, n, got);
        return C_NOT_SERVING;
    }
    if (!expect(L, "keep", "41", got, sizeof got)) {
        fprintf(stderr, "  %s N=%ld: `keep` after the failure gave %s\n", c->name, n, got);
        return C_STATE_LOST;
    }
    lang_free(L);
#ifdef HAVE_LSAN
    if (__lsan_do_recoverable_leak_check()) {
        fprintf(stderr, "  %s N=%ld: leak (report above)\n", c->name, n);
        return C_LEAK;
    }
#endif
    if (!reached) return C_UNREACHED;
    return st == LANG_ERROR ? C_OK_ERR : C_OK_FINE;
}

/* Returns 1 when every N passed. */
static int run_cell(const cell *c, int persistent, long maxn, long *points) {
    lang_state *L = lang_new();
    if (!L) { fprintf(stderr, "%s: lang_new failed\n", c->name); return 0; }
    char got[256];
    /* unarmed baseline: the cell works, and runtime globals are initialised */
    if ((c->setup && !expect(L, c->setup, NULL, got, sizeof got)) || !expect(L, "keep = 41", NULL, NULL, 0)) {
        fprintf(stderr, "%s: setup failed without any injected failure: %s\n", c->name, got);
        lang_free(L);
        return 0;
    }
    {
        lang_result r;
        lang_status st = lang_execute(L, c->code, &OUT, 0, &r);
        int want_err = strcmp(c->name, "error") == 0;
        if ((st == LANG_ERROR) != want_err) {
            fprintf(stderr, "%s: the cell itself %s: %s: %s\n", c->name, want_err ? "did not fail" : "failed",
                    r.ename ? r.ename : "", r.evalue ? r.evalue : "");
            lang_result_clear(&r);
            lang_free(L);
            return 0;
        }
        lang_result_clear(&r);
    }
    fflush(NULL);
    long n, errors = 0, fine = 0, bad = 0;
    for (n = 1; n <= maxn; n++) {
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); bad++; break; }
        if (pid == 0) _exit(child(L, c, n, persistent));
        int ws;
        if (waitpid(pid, &ws, 0) < 0) { perror("waitpid"); bad++; break; }
        if (WIFSIGNALED(ws)) {
            fprintf(stderr, "  %s N=%ld%s: crashed with signal %d (%s)\n", c->name, n, persistent ? " (persistent)" : "",
                    WTERMSIG(ws), strsignal(WTERMSIG(ws)));
            bad++;
            continue;
        }
        int code = WEXITSTATUS(ws);
        if (code == C_UNREACHED) break;
        if (code == C_OK_ERR) errors++;
        else if (code == C_OK_FINE) fine++;
        else {
            const char *what = code == C_BAD_RESULT ? "malformed result" : code == C_NOT_SERVING ? "not serving after"
                             : code == C_STATE_LOST ? "state lost" : code == C_LEAK ? "leak" : code == 1 ? "sanitizer error (report above)" : "unexpected exit";
            fprintf(stderr, "  %s N=%ld%s: %s (exit %d)\n", c->name, n, persistent ? " (persistent)" : "", what, code);
            bad++;
        }
        if (bad >= 20) { fprintf(stderr, "  %s: stopping after 20 failures\n", c->name); break; }
    }
    lang_free(L);
    *points += n - 1;
    int pass = bad == 0 && n <= maxn;
    printf("%s %-12s %s%ld allocation points: %ld raised an error, %ld recovered silently, %ld failed%s\n",
           pass ? "ok  " : "FAIL", c->name, persistent ? "(persistent) " : "", n - 1, errors, fine, bad,
           n > maxn ? " (stopped at -m)" : "");
    fflush(stdout);
    return pass;
}

int main(int argc, char **argv) {
    int persistent = 0;
    long maxn = 200000;
    int opt;
    while ((opt = getopt(argc, argv, "pvm:")) != -1) {
        if (opt == 'p') persistent = 1;
        else if (opt == 'v') verbose++;
        else if (opt == 'm') maxn = atol(optarg);
        else { fprintf(stderr, "usage: %s [-p] [-v] [-m MAXN] [CELL...]\n", argv[0]); return 2; }
    }
    int passed = 0, failed = 0;
    long points = 0;
    for (int i = 0; i < NCELLS; i++) {
        int chosen = optind >= argc;
        for (int a = optind; a < argc; a++) if (strcmp(argv[a], CELLS[i].name) == 0) chosen = 1;
        if (!chosen) continue;
        if (run_cell(&CELLS[i], persistent, maxn, &points)) passed++;
        else failed++;
    }
    printf("failure points survived: %ld\n", points);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
