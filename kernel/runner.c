/* runner.c — `cgpu-kernel run` (execute a notebook without Jupyter) and
 * `cgpu-kernel exec` (run a plain cell file).
 *
 * Both drive the interpreter through lang.h exactly as the Jupyter kernel
 * does, so a notebook executed here holds the outputs a Jupyter client
 * would have recorded. The recording follows nbclient (what `jupyter
 * nbconvert --execute` uses) and nbconvert's coalesce_streams:
 *   - consecutive stream text of the same name is merged into one output,
 *     and "\r" progress lines keep only their final state;
 *   - display_data with a display_id also refreshes earlier outputs with
 *     that id; update_display_data only refreshes them (in any cell);
 *   - clear_output(wait=True) empties the cell's outputs when the next
 *     output arrives; clear_output() empties them at once;
 *   - execute_result carries the execution count; errors become error
 *     outputs; cells whose source is blank are skipped; execution counts
 *     number the executed cells from 1; metadata.execution gets nbclient's
 *     four timestamps; the notebook's language_info is replaced by the
 *     language's own (as nbclient does from kernel_info_reply).
 *
 * Interrupts and timeouts: SIGINT and SIGTERM are blocked in every thread
 * and taken by one supervisor thread with sigtimedwait, which also watches
 * the per-cell timeout. The first Ctrl-C (or the timeout) calls
 * lang_interrupt; the cell then stops at its next safe point with a
 * KeyboardInterrupt. A second Ctrl-C, SIGTERM, or a cell that ignores the
 * interrupt for GRACE_SECONDS, writes the notebook as it stands and exits.
 * All changes to the notebook happen under one mutex, so that emergency
 * write always sees a consistent tree.
 */
#include "cli.h"
#include "lang.h"
#ifdef CGPU_HAVE_JANSSON
#include "ipynb.h"
#endif

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define GRACE_SECONDS 10.0

enum { EXIT_OK = 0, EXIT_CELL_FAILED = 1, EXIT_USAGE = 2, EXIT_SIGINT = 130, EXIT_SIGTERM = 143 };

/* An output that carries a display_id: cell index and output index. */
typedef struct {
    char *id;   /* owned */
    int   cell, out;
} display_ref;

/* One run of `run` or `exec`. Owned by the *_main function that creates
 * it; the supervisor thread borrows it until it is joined. Fields marked
 * [lock] are read or written under `lock`. */
typedef struct runner {
    lang_state *L;
    const char *cmd;        /* "run" or "exec", for messages */
    FILE       *log;        /* where cell text goes (stderr when the notebook goes to stdout) */
    int         quiet;      /* -q: no cell text on the log */
    int         color;      /* stderr is a terminal: keep ANSI colours in tracebacks */
    int         log_color;  /* the log is a terminal: keep them in displayed text */
    double      timeout;    /* per cell, seconds; 0: none */

#ifdef CGPU_HAVE_JANSSON
    json_t     *nb;         /* [lock] the notebook being executed (run only) */
    json_t     *outs;       /* [lock] the running cell's outputs (borrowed from nb) */
#endif
    const char *out_path;   /* where the notebook is written (run only) */
    int         cell;       /* [lock] index of the running cell in nb's cells */
    int         clear_pending; /* [lock] clear_output(wait=True) seen, no output since */
    display_ref *refs;      /* [lock] outputs that carry a display_id */
    int         nrefs, caprefs;
    int         record_failed; /* [lock] an output could not be recorded (out of memory) */

    pthread_mutex_t lock;
    int         running;    /* [lock] a cell is executing */
    double      deadline;   /* [lock] monotonic time the running cell must end by */
    double      interrupted_at; /* [lock] when lang_interrupt was called for this cell */
    int         sigints;    /* [lock] Ctrl-Cs since the last cell started */
    int         timed_out;  /* [lock] the running cell passed its deadline */
    int         stop;       /* [lock] Ctrl-C outside a cell: run no further cell */
    int         quit;       /* [lock] the supervisor should return */
} runner;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- printing cell outputs to the log --------------------------------------- */

/* Writes text, dropping ANSI escape sequences unless `keep`. */
static void put_text(FILE *f, const char *s, size_t n, int keep)
{
    if (keep) { fwrite(s, 1, n, f); return; }
    size_t i = 0, run = 0;
    while (i < n) {
        if (s[i] == '\033' && i + 1 < n && s[i + 1] == '[') {
            fwrite(s + run, 1, i - run, f);
            i += 2;
            while (i < n && !((unsigned char)s[i] >= 0x40 && (unsigned char)s[i] <= 0x7e)) i++;
            if (i < n) i++;
            run = i;
        } else {
            i++;
        }
    }
    fwrite(s + run, 1, n - run, f);
}

static const char *bundle_get(const lang_bundle *b, const char *mime)
{
    for (int i = 0; i < b->n; i++)
        if (b->mime[i] && strcmp(b->mime[i], mime) == 0) return b->data[i];
    return NULL;
}

/* Copies src without ANSI escape sequences and trailing white space. */
static void plain_line(char *dst, size_t cap, const char *src)
{
    size_t o = 0;
    for (size_t i = 0; src[i] && o + 1 < cap;) {
        if (src[i] == '\033' && src[i + 1] == '[') {
            i += 2;
            while (src[i] && !((unsigned char)src[i] >= 0x40 && (unsigned char)src[i] <= 0x7e)) i++;
            if (src[i]) i++;
            continue;
        }
        dst[o++] = src[i++];
    }
    while (o && isspace((unsigned char)dst[o - 1])) o--;
    dst[o] = 0;
}

static int is_blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return 0;
    return 1;
}

/* A display or result on the log: its text/plain (without colours unless
 * the log is a terminal), or the list of its MIME types when it has none (a
 * figure as image/svg+xml only). Each update_display_data prints again: a
 * log keeps every state of a progress bar. */
static void print_bundle(runner *R, const lang_bundle *b)
{
    if (R->quiet || b->n == 0) return;
    const char *text = bundle_get(b, "text/plain");
    if (text) {
        size_t n = strlen(text);
        put_text(R->log, text, n, R->log_color);
        if (n == 0 || text[n - 1] != '\n') fputc('\n', R->log);
    } else {
        fputs("[display:", R->log);
        for (int i = 0; i < b->n; i++) fprintf(R->log, " %s", b->mime[i]);
        fputs("]\n", R->log);
    }
    fflush(R->log);
}

/* The error of a failed cell on stderr: a header naming the cell, the
 * traceback, and "ename: evalue" when the traceback does not end with it. */
static void print_error(runner *R, const char *where, const char *source, const lang_result *res)
{
    fflush(R->log);
    fprintf(stderr, "%s: error in %s:\n", R->cmd, where);
    if (source) {
        fputs("------------------\n", stderr);
        fputs(source, stderr);
        if (*source && source[strlen(source) - 1] != '\n') fputc('\n', stderr);
        fputs("------------------\n", stderr);
    }
    char last[1024];
    last[0] = 0;
    for (int i = 0; i < res->ntraceback; i++) {
        const char *line = res->traceback[i] ? res->traceback[i] : "";
        size_t n = strlen(line);
        put_text(stderr, line, n, R->color);
        if (n == 0 || line[n - 1] != '\n') fputc('\n', stderr);
        snprintf(last, sizeof last, "%s", line);
    }
    /* Compare the last line without colours and trailing space. */
    char plain[1024];
    plain_line(plain, sizeof plain, last);
    char want[1024];
    snprintf(want, sizeof want, "%s: %s", res->ename ? res->ename : "Error", res->evalue ? res->evalue : "");
    size_t wn = strlen(want);
    while (wn && isspace((unsigned char)want[wn - 1])) want[--wn] = 0;
    if (strcmp(plain, want) != 0) fprintf(stderr, "%s\n", want);
    fflush(stderr);
}

/* ---- recording outputs into the notebook (run) ---------------------------------- */

#ifdef CGPU_HAVE_JANSSON
static void refs_forget_cell(runner *R, int cell)
{
    int k = 0;
    for (int i = 0; i < R->nrefs; i++) {
        if (R->refs[i].cell == cell) free(R->refs[i].id);
        else R->refs[k++] = R->refs[i];
    }
    R->nrefs = k;
}

static void refs_add(runner *R, const char *id, int cell, int out)
{
    if (R->nrefs == R->caprefs) {
        int cap = R->caprefs ? 2 * R->caprefs : 16;
        display_ref *r = realloc(R->refs, cap * sizeof *r);
        if (!r) { R->record_failed = 1; return; }
        R->refs = r;
        R->caprefs = cap;
    }
    char *copy = strdup(id);
    if (!copy) { R->record_failed = 1; return; }
    R->refs[R->nrefs++] = (display_ref){copy, cell, out};
}

/* Refreshes every output recorded with display_id `id` (nbclient's
 * _update_display_id: data and metadata replaced, position kept). */
static void refs_update(runner *R, const char *id, const lang_bundle *b)
{
    json_t *cells = json_object_get(R->nb, "cells");
    for (int i = 0; i < R->nrefs; i++) {
        if (strcmp(R->refs[i].id, id) != 0) continue;
        json_t *outs = json_object_get(json_array_get(cells, R->refs[i].cell), "outputs");
        json_t *o = json_array_get(outs, R->refs[i].out);
        if (o && ipynb_display_update(o, b)) R->record_failed = 1;
    }
}

/* Before any new output: a pending clear_output(wait=True) takes effect. */
static void apply_pending_clear(runner *R)
{
    if (!R->clear_pending) return;
    json_array_clear(R->outs);
    refs_forget_cell(R, R->cell);
    R->clear_pending = 0;
}

static void append_output(runner *R, json_t *o)
{
    if (!o || json_array_append_new(R->outs, o)) R->record_failed = 1;
}
#endif

/* ---- lang_output callbacks --------------------------------------------------- */

static void on_stream(void *ctx, const char *name, const char *text, size_t len)
{
    runner *R = ctx;
    if (!R->quiet) {
        FILE *f = strcmp(name, "stderr") == 0 ? stderr : R->log;
        fwrite(text, 1, len, f);
        fflush(f);
    }
#ifdef CGPU_HAVE_JANSSON
    if (!R->nb) return;
    pthread_mutex_lock(&R->lock);
    apply_pending_clear(R);
    size_t n = json_array_size(R->outs);
    json_t *last = n ? json_array_get(R->outs, n - 1) : NULL;
    const char *lt = json_string_value(json_object_get(last, "output_type"));
    const char *ln = json_string_value(json_object_get(last, "name"));
    if (lt && ln && strcmp(lt, "stream") == 0 && strcmp(ln, name) == 0) {
        if (ipynb_stream_append(last, text, len)) R->record_failed = 1;
    } else {
        append_output(R, ipynb_stream(name, text, len));
    }
    pthread_mutex_unlock(&R->lock);
#endif
}

static void on_display(void *ctx, const lang_bundle *b, const char *display_id, int update)
{
    runner *R = ctx;
    print_bundle(R, b);
#ifdef CGPU_HAVE_JANSSON
    if (!R->nb) return;
    pthread_mutex_lock(&R->lock);
    if (display_id) refs_update(R, display_id, b);
    if (!update) {
        apply_pending_clear(R);
        if (display_id) refs_add(R, display_id, R->cell, (int)json_array_size(R->outs));
        append_output(R, ipynb_display(b, -1));
    }
    pthread_mutex_unlock(&R->lock);
#endif
}

static void on_clear_output(void *ctx, int wait)
{
#ifdef CGPU_HAVE_JANSSON
    runner *R = ctx;
    if (!R->nb) return;
    pthread_mutex_lock(&R->lock);
    if (wait) {
        R->clear_pending = 1;
    } else {
        json_array_clear(R->outs);
        refs_forget_cell(R, R->cell);
        R->clear_pending = 0;
    }
    pthread_mutex_unlock(&R->lock);
#else
    (void)ctx; (void)wait;
#endif
}

/* input(): a line from the process's stdin. Reads byte by byte after a
 * poll so that the rest of stdin stays for the next input() and a Ctrl-C
 * (which only sets the interrupt flag) is noticed within 100 ms. */
static int on_input(void *ctx, const char *prompt, int password, char **value)
{
    runner *R = ctx;
    FILE *pf = R->log;
    fputs(prompt ? prompt : "", pf);
    fflush(pf);
    struct termios saved;
    int restore = 0;
    if (password && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
        struct termios quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
    volatile sig_atomic_t *flag = lang_interrupt_flag(R->L);
    char *line = NULL;
    size_t n = 0, cap = 0;
    int rc = 0, got_any = 0;
    const char *why = NULL;
    for (;;) {
        if (flag && *flag) { why = "interrupted while waiting for input"; break; }
        struct pollfd p = {STDIN_FILENO, POLLIN, 0};
        int r = poll(&p, 1, 100);
        if (r < 0 && errno != EINTR) { why = strerror(errno); break; }
        if (r <= 0) continue;
        char c;
        ssize_t k = read(STDIN_FILENO, &c, 1);
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            why = strerror(errno);
            break;
        }
        if (k == 0) {
            if (!got_any) why = "EOF when reading a line";
            break;
        }
        got_any = 1;
        if (c == '\n') break;
        if (n + 2 > cap) {
            size_t nc = cap ? 2 * cap : 128;
            char *p2 = realloc(line, nc);
            if (!p2) { why = "out of memory"; break; }
            line = p2;
            cap = nc;
        }
        line[n++] = c;
    }
    if (restore) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        fputc('\n', pf);
        fflush(pf);
    }
    if (why) {
        free(line);
        *value = strdup(why);
        rc = -1;
    } else {
        if (n && line[n - 1] == '\r') n--;
        if (!line) line = malloc(1);
        if (!line) { *value = strdup("out of memory"); return -1; }
        line[n] = 0;
        *value = line;
    }
    return rc;
}

/* ---- the supervisor thread ----------------------------------------------------- */

#ifdef CGPU_HAVE_JANSSON
static void save_partial(runner *R)
{
    if (!R->nb || !R->out_path) return;
    if (R->outs) ipynb_fold_carriage_returns(R->outs);
    char err[512];
    if (ipynb_save(R->nb, R->out_path, err, sizeof err) == 0)
        fprintf(stderr, "%s: wrote the notebook as it stands to %s\n", R->cmd, R->out_path);
    else
        fprintf(stderr, "%s: %s\n", R->cmd, err);
}
#endif

/* Called with R->lock held; never returns. The main thread may be inside
 * the interpreter, so the process ends with _exit. */
static void emergency_exit(runner *R, int code, const char *why)
{
    fflush(R->log);
    fprintf(stderr, "\n%s: %s\n", R->cmd, why);
#ifdef CGPU_HAVE_JANSSON
    save_partial(R);
#endif
    fflush(stdout);
    fflush(stderr);
    _exit(code);
}

static void *supervise(void *arg)
{
    runner *R = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    const struct timespec tick = {0, 100 * 1000 * 1000};
    for (;;) {
        int sig = sigtimedwait(&set, NULL, &tick);
        pthread_mutex_lock(&R->lock);
        if (R->quit) { pthread_mutex_unlock(&R->lock); return NULL; }
        double now = now_seconds();
        if (sig == SIGTERM) emergency_exit(R, EXIT_SIGTERM, "terminated");
        if (sig == SIGINT) {
            if (++R->sigints >= 2) emergency_exit(R, EXIT_SIGINT, "interrupted twice: stopping now");
            if (R->running) {
                lang_interrupt(R->L);
                R->interrupted_at = now;
                fprintf(stderr, "\n%s: interrupting the running cell (Ctrl-C again to quit at once)\n", R->cmd);
            } else {
                R->stop = 1;
            }
        }
        if (R->running && R->timeout > 0 && !R->timed_out && now >= R->deadline) {
            R->timed_out = 1;
            lang_interrupt(R->L);
            R->interrupted_at = now;
            fprintf(stderr, "\n%s: the cell has run for %g seconds (--timeout): interrupting it\n",
                    R->cmd, R->timeout);
        }
        if (R->running && R->interrupted_at > 0 && now - R->interrupted_at > GRACE_SECONDS)
            emergency_exit(R, R->timed_out ? EXIT_CELL_FAILED : EXIT_SIGINT,
                           "the cell did not stop after the interrupt");
        pthread_mutex_unlock(&R->lock);
    }
}

/* Blocks SIGINT/SIGTERM in this thread (threads created later, including
 * the runtime's, inherit the mask) and starts the supervisor. */
static int start_supervisor(runner *R, pthread_t *th)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (pthread_create(th, NULL, supervise, R) != 0) {
        fprintf(stderr, "%s: cannot start the supervisor thread\n", R->cmd);
        return -1;
    }
    return 0;
}

static void stop_supervisor(runner *R, pthread_t th)
{
    pthread_mutex_lock(&R->lock);
    R->quit = 1;
    pthread_mutex_unlock(&R->lock);
    pthread_join(th, NULL);
    /* SIGINT/SIGTERM stay blocked: one that arrived at the very end is
     * dropped instead of replacing the exit status. */
}

static void cell_begin(runner *R)
{
    pthread_mutex_lock(&R->lock);
    R->running = 1;
    R->sigints = 0;
    R->timed_out = 0;
    R->interrupted_at = 0;
    R->deadline = R->timeout > 0 ? now_seconds() + R->timeout : 0;
    /* As the kernel does: an interrupt aimed at an earlier cell must not
     * hit this one. */
    lang_clear_interrupt(R->L);
    pthread_mutex_unlock(&R->lock);
}

/* ---- command line ----------------------------------------------------------------- */

typedef struct {
    const char *input;
    const char *output;
    double      timeout;
    int         allow_errors, quiet, help;
} options;

/* Parses argv after the subcommand. Accepts "--opt value" and "--opt=value".
 * 0, or -1 with a message printed. */
static int parse_options(const char *cmd, int argc, char **argv, int with_output, options *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        char name[64];
        if (a[0] == '-' && a[1] == '-' && a[2]) {
            const char *eq = strchr(a, '=');
            size_t n = eq ? (size_t)(eq - a) : strlen(a);
            if (n >= sizeof name) n = sizeof name - 1;
            memcpy(name, a, n);
            name[n] = 0;
            if (eq) val = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", a);
        }
#define TAKE_VALUE() do { if (!val) { if (i + 1 >= argc) { \
        fprintf(stderr, "cgpu-kernel %s: %s needs a value\n", cmd, name); return -1; } \
        val = argv[++i]; } } while (0)
        if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
            o->help = 1;
        } else if (strcmp(name, "-q") == 0 || strcmp(name, "--quiet") == 0) {
            o->quiet = 1;
        } else if (strcmp(name, "--allow-errors") == 0) {
            o->allow_errors = 1;
        } else if (strcmp(name, "--timeout") == 0) {
            TAKE_VALUE();
            char *end;
            o->timeout = strtod(val, &end);
            if (end == val || *end || o->timeout < 0) {
                fprintf(stderr, "cgpu-kernel %s: --timeout wants a number of seconds, not '%s'\n", cmd, val);
                return -1;
            }
        } else if (with_output && (strcmp(name, "-o") == 0 || strcmp(name, "--output") == 0)) {
            TAKE_VALUE();
            o->output = val;
        } else if (a[0] == '-' && a[1] != 0) {
            fprintf(stderr, "cgpu-kernel %s: unknown option %s (see cgpu-kernel %s --help)\n", cmd, a, cmd);
            return -1;
        } else if (!o->input) {
            o->input = a;
        } else {
            fprintf(stderr, "cgpu-kernel %s: one file at a time (got %s and %s)\n", cmd, o->input, a);
            return -1;
        }
#undef TAKE_VALUE
    }
    if (!o->help && !o->input) {
        fprintf(stderr, "cgpu-kernel %s: which file? (see cgpu-kernel %s --help)\n", cmd, cmd);
        return -1;
    }
    return 0;
}

static const char run_help[] =
"usage: cgpu-kernel run NOTEBOOK.ipynb [-o OUT] [--timeout S] [--allow-errors] [-q]\n"
"\n"
"Executes the notebook's code cells in order in one C-GPU interpreter, without\n"
"Jupyter, and writes the executed notebook with the outputs a Jupyter client\n"
"would record (as `jupyter nbconvert --to notebook --execute` does).\n"
"\n"
"  -o, --output OUT   where to write it. Default: NOTEBOOK.executed.ipynb beside\n"
"                     the input; a directory: DIR/NOTEBOOK.executed.ipynb; '-':\n"
"                     stdout (cell text then goes to stderr). OUT may be the\n"
"                     input itself (it is read completely first).\n"
"  --timeout S        interrupt a cell that runs longer than S seconds and stop\n"
"                     (default: no limit)\n"
"  --allow-errors     record a failing cell's error and go on with the next cells\n"
"                     (cells tagged raises-exception may always fail; cells tagged\n"
"                     skip-execution are skipped)\n"
"  -q, --quiet        do not echo cell outputs while running\n"
"\n"
"Cell outputs are echoed as they come: stdout text to stdout, stderr text and\n"
"errors to stderr, displays as their text/plain. input() reads a line from\n"
"stdin. Ctrl-C interrupts the running cell (a second Ctrl-C quits at once);\n"
"the notebook is written in every case, up to the cell that stopped.\n"
"\n"
"Exit status: 0 all cells ran (failures allowed by --allow-errors included);\n"
"1 a cell failed or timed out; 2 bad arguments or an unreadable/unwritable\n"
"notebook; 130 interrupted.\n";

static const char exec_help[] =
"usage: cgpu-kernel exec FILE.cg [--timeout S] [--allow-errors] [-q]\n"
"\n"
"Runs a C-GPU source file as notebook cells in one interpreter: a line starting\n"
"with '# %%' starts a new cell ('# %% [markdown]' cells are skipped); without\n"
"such lines the whole file is one cell. Printed text goes to stdout, the\n"
"text/plain of results and displays too; errors go to stderr. FILE '-' reads\n"
"the program from stdin. input() reads a line from stdin.\n"
"\n"
"  --timeout S      interrupt a cell that runs longer than S seconds and stop\n"
"  --allow-errors   report a failing cell and go on with the next ones (the\n"
"                   exit status still says that one failed)\n"
"  -q, --quiet      no output except errors\n"
"\n"
"Exit status: 0 ok; 1 a cell failed or timed out; 2 bad arguments or an\n"
"unreadable file; 130 interrupted.\n";

/* ---- run ------------------------------------------------------------------------------ */

#ifdef CGPU_HAVE_JANSSON

/* Default output path: NAME.ipynb -> NAME.executed.ipynb, in `dir` when
 * given, else beside the input. malloc'd. */
static char *default_output(const char *input, const char *dir)
{
    const char *base = strrchr(input, '/');
    base = base ? base + 1 : input;
    size_t blen = strlen(base);
    if (blen > 6 && strcmp(base + blen - 6, ".ipynb") == 0) blen -= 6;
    size_t dlen = dir ? strlen(dir) : (size_t)(base - input);
    char *out = malloc(dlen + blen + 32);
    if (!out) return NULL;
    if (dir) sprintf(out, "%s%s%.*s.executed.ipynb", dir, (dlen && dir[dlen - 1] != '/') ? "/" : "",
                     (int)blen, base);
    else sprintf(out, "%.*s%.*s.executed.ipynb", (int)dlen, input, (int)blen, base);
    return out;
}

static int is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int has_tag(const json_t *cell, const char *tag)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(json_object_get(cell, "metadata"), "tags"), i, t)
        if (json_is_string(t) && strcmp(json_string_value(t), tag) == 0) return 1;
    return 0;
}

static void set_timestamp(json_t *exec_meta, const char *key)
{
    char ts[40];
    ipynb_timestamp(ts, sizeof ts);
    json_object_set_new(exec_meta, key, json_string(ts));
}

/* nbclient copies kernel_info_reply's language_info into the notebook. */
static void set_language_info(json_t *nb)
{
    const lang_info_t *li = lang_info();
    json_t *m = json_object_get(nb, "metadata");
    json_t *info = json_object();
    if (!li || !m || !info) { json_decref(info); return; }
    const char *keys[] = {"name", "version", "mimetype", "file_extension", "pygments_lexer",
                          "codemirror_mode", "nbconvert_exporter"};
    const char *vals[] = {li->name, li->version, li->mimetype, li->file_extension, li->pygments_lexer,
                          li->codemirror_mode, li->nbconvert_exporter};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (vals[i]) json_object_set_new(info, keys[i], json_string(vals[i]));
    json_object_set_new(m, "language_info", info);
}

/* Executes every code cell; returns the exit status (notebook not yet written). */
static int run_cells(runner *R, int allow_errors)
{
    json_t *cells = json_object_get(R->nb, "cells");
    lang_output out = {R, on_stream, on_display, on_clear_output, on_input};
    int count = 0;
    for (size_t i = 0; i < json_array_size(cells); i++) {
        json_t *cell = json_array_get(cells, i);
        if (strcmp(json_string_value(json_object_get(cell, "cell_type")), "code") != 0) continue;
        const char *src = ipynb_cell_source(cell);
        if (is_blank(src) || has_tag(cell, "skip-execution")) continue;
        pthread_mutex_lock(&R->lock);
        int stop = R->stop;
        pthread_mutex_unlock(&R->lock);
        if (stop) return EXIT_SIGINT;

        count++;
        /* Set up the cell as nbclient does on execute_input. */
        pthread_mutex_lock(&R->lock);
        json_t *outs = json_array();
        json_t *exec_meta = json_object();
        if (!outs || !exec_meta || json_object_set_new(cell, "outputs", outs) ||
            json_object_set_new(cell, "execution_count", json_integer(count))) {
            json_decref(exec_meta);
            pthread_mutex_unlock(&R->lock);
            fprintf(stderr, "%s: out of memory\n", R->cmd);
            return EXIT_CELL_FAILED;
        }
        set_timestamp(exec_meta, "iopub.status.busy");
        set_timestamp(exec_meta, "iopub.execute_input");
        json_object_set(json_object_get(cell, "metadata"), "execution", exec_meta);
        R->outs = outs;
        R->cell = (int)i;
        R->clear_pending = 0;
        pthread_mutex_unlock(&R->lock);

        cell_begin(R);
        lang_result res;
        memset(&res, 0, sizeof res);
        lang_status st = lang_execute(R->L, src, &out, 0, &res);

        pthread_mutex_lock(&R->lock);
        R->running = 0;
        int timed_out = R->timed_out, interrupted = R->sigints > 0;
        if (st == LANG_OK && res.value.n > 0) {
            apply_pending_clear(R);
            append_output(R, ipynb_display(&res.value, count));
        } else if (st != LANG_OK) {
            apply_pending_clear(R);
            append_output(R, ipynb_error(res.ename, res.evalue, res.traceback, res.ntraceback));
        }
        ipynb_fold_carriage_returns(outs);
        set_timestamp(exec_meta, "shell.execute_reply");
        set_timestamp(exec_meta, "iopub.status.idle");
        json_decref(exec_meta);
        int record_failed = R->record_failed;
        R->record_failed = 0;
        pthread_mutex_unlock(&R->lock);

        if (st == LANG_OK && res.value.n > 0) print_bundle(R, &res.value);
        if (record_failed)
            fprintf(stderr, "%s: out of memory: some outputs of cell %zu are missing\n", R->cmd, i + 1);
        char where[96];
        snprintf(where, sizeof where, "cell %zu (In [%d])", i + 1, count);
        if (st != LANG_OK) print_error(R, where, src, &res);
        lang_result_clear(&res);

        if (timed_out) {
            fprintf(stderr, "%s: %s timed out after %g seconds\n", R->cmd, where, R->timeout);
            return EXIT_CELL_FAILED;
        }
        if (interrupted) return EXIT_SIGINT;
        if (st != LANG_OK && !allow_errors && !has_tag(cell, "raises-exception"))
            return EXIT_CELL_FAILED;
    }
    return EXIT_OK;
}

int runner_run_main(int argc, char **argv)
{
    options o;
    if (parse_options("run", argc, argv, 1, &o) < 0) return EXIT_USAGE;
    if (o.help) { fputs(run_help, stdout); return EXIT_OK; }

    char err[512];
    json_t *nb = ipynb_load(o.input, err, sizeof err);
    if (!nb) { fprintf(stderr, "cgpu-kernel run: %s\n", err); return EXIT_USAGE; }

    char *out_path = NULL;
    if (!o.output) out_path = strcmp(o.input, "-") == 0 ? strdup("-") : default_output(o.input, NULL);
    else if (strcmp(o.output, "-") != 0 && is_directory(o.output)) out_path = default_output(o.input, o.output);
    else out_path = strdup(o.output);
    if (!out_path) { json_decref(nb); fprintf(stderr, "cgpu-kernel run: out of memory\n"); return EXIT_USAGE; }

    const char *kname = json_string_value(json_object_get(
        json_object_get(json_object_get(nb, "metadata"), "kernelspec"), "name"));
    if (kname && strcmp(kname, "cgpu") != 0)
        fprintf(stderr, "cgpu-kernel run: note: %s names the kernel '%s'; running it as C-GPU\n", o.input, kname);

    runner R;
    memset(&R, 0, sizeof R);
    R.cmd = "cgpu-kernel run";
    R.log = strcmp(out_path, "-") == 0 ? stderr : stdout;
    R.quiet = o.quiet;
    R.color = isatty(STDERR_FILENO);
    R.log_color = isatty(fileno(R.log));
    R.timeout = o.timeout;
    R.nb = nb;
    R.out_path = out_path;
    pthread_mutex_init(&R.lock, NULL);
    if (R.log == stdout) setvbuf(stdout, NULL, _IOLBF, 0);

    pthread_t th;
    if (start_supervisor(&R, &th) < 0) { json_decref(nb); free(out_path); return EXIT_USAGE; }
    R.L = lang_new();
    int status;
    if (!R.L) {
        fprintf(stderr, "cgpu-kernel run: out of memory starting the interpreter\n");
        status = EXIT_CELL_FAILED;
    } else {
        set_language_info(nb);
        status = run_cells(&R, o.allow_errors);
    }

    pthread_mutex_lock(&R.lock);
    int wrote = ipynb_save(nb, out_path, err, sizeof err);
    pthread_mutex_unlock(&R.lock);
    stop_supervisor(&R, th);
    if (wrote < 0) {
        fprintf(stderr, "cgpu-kernel run: %s\n", err);
        if (status == EXIT_OK) status = EXIT_USAGE;
    } else if (!o.quiet && strcmp(out_path, "-") != 0) {
        fprintf(stderr, "cgpu-kernel run: wrote %s\n", out_path);
    }
    if (R.L) lang_free(R.L);
    for (int i = 0; i < R.nrefs; i++) free(R.refs[i].id);
    free(R.refs);
    json_decref(nb);
    free(out_path);
    pthread_mutex_destroy(&R.lock);
    return status;
}

#else /* !CGPU_HAVE_JANSSON */

int runner_run_main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) fputs(run_help, stdout);
    fprintf(stderr, "cgpu-kernel run: this build has no notebook support (jansson missing); "
                    "`cgpu-kernel exec FILE.cg` runs cell files\n");
    return EXIT_USAGE;
}

#endif

/* ---- exec ------------------------------------------------------------------------------ */

static char *read_all(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t k = fread(buf + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0) break;
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    if (!buf || bad) { free(buf); errno = bad ? EIO : ENOMEM; return NULL; }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* A cell of a cell file: [start, end) of the text, 1-based first line. */
typedef struct { size_t start, end; int line; int markdown; } cell_span;

/* Splits text at lines starting with "# %%". The marker line stays in its
 * cell (it is a comment), so line numbers in tracebacks count from it.
 * Stores a malloc'd array of spans in *out and returns their number, or
 * returns -1 when out of memory. */
static int split_cells(const char *text, size_t len, cell_span **out)
{
    int n = 0, cap = 8;
    cell_span *sp = malloc(cap * sizeof *sp);
    if (!sp) return -1;
    sp[0] = (cell_span){0, len, 1, 0};
    n = 1;
    int line = 1;
    for (size_t i = 0; i < len; line++) {
        size_t eol = i;
        while (eol < len && text[eol] != '\n') eol++;
        if (eol - i >= 4 && strncmp(text + i, "# %%", 4) == 0) {
            if (i == 0) {
                n = 0; /* nothing before the first marker */
            } else {
                sp[n - 1].end = i;
            }
            if (n == cap) {
                cap *= 2;
                cell_span *g = realloc(sp, cap * sizeof *g);
                if (!g) { free(sp); return -1; }
                sp = g;
            }
            char head[64];
            size_t hl = eol - i < sizeof head - 1 ? eol - i : sizeof head - 1;
            memcpy(head, text + i, hl);
            head[hl] = 0;
            int md = strstr(head, "[markdown]") || strstr(head, "[md]") || strstr(head, "[raw]");
            sp[n++] = (cell_span){i, len, line, md};
        }
        i = eol + 1;
    }
    *out = sp;
    return n;
}

int runner_exec_main(int argc, char **argv)
{
    options o;
    if (parse_options("exec", argc, argv, 0, &o) < 0) return EXIT_USAGE;
    if (o.help) { fputs(exec_help, stdout); return EXIT_OK; }
    size_t len = 0;
    char *text = read_all(o.input, &len);
    if (!text) {
        fprintf(stderr, "cgpu-kernel exec: cannot read %s: %s\n", o.input, strerror(errno));
        return EXIT_USAGE;
    }
    cell_span *spans = NULL;
    int ncells = split_cells(text, len, &spans);
    if (ncells < 0) { free(text); fprintf(stderr, "cgpu-kernel exec: out of memory\n"); return EXIT_USAGE; }

    runner R;
    memset(&R, 0, sizeof R);
    R.cmd = "cgpu-kernel exec";
    R.log = stdout;
    R.quiet = o.quiet;
    R.color = isatty(STDERR_FILENO);
    R.log_color = isatty(STDOUT_FILENO);
    R.timeout = o.timeout;
    pthread_mutex_init(&R.lock, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_t th;
    if (start_supervisor(&R, &th) < 0) { free(text); free(spans); return EXIT_USAGE; }
    R.L = lang_new();
    int status = EXIT_OK;
    if (!R.L) {
        fprintf(stderr, "cgpu-kernel exec: out of memory starting the interpreter\n");
        status = EXIT_CELL_FAILED;
    }
    lang_output out = {&R, on_stream, on_display, on_clear_output, on_input};
    for (int c = 0; R.L && c < ncells; c++) {
        if (spans[c].markdown) continue;
        size_t n = spans[c].end - spans[c].start;
        char *code = malloc(n + 1);
        if (!code) { status = EXIT_CELL_FAILED; fprintf(stderr, "cgpu-kernel exec: out of memory\n"); break; }
        memcpy(code, text + spans[c].start, n);
        code[n] = 0;
        if (is_blank(code)) { free(code); continue; }
        pthread_mutex_lock(&R.lock);
        int stop = R.stop;
        pthread_mutex_unlock(&R.lock);
        if (stop) { free(code); status = EXIT_SIGINT; break; }

        cell_begin(&R);
        lang_result res;
        memset(&res, 0, sizeof res);
        lang_status st = lang_execute(R.L, code, &out, 0, &res);
        pthread_mutex_lock(&R.lock);
        R.running = 0;
        int timed_out = R.timed_out, interrupted = R.sigints > 0;
        pthread_mutex_unlock(&R.lock);
        if (st == LANG_OK && res.value.n > 0) print_bundle(&R, &res.value);
        char where[512];
        if (ncells > 1) snprintf(where, sizeof where, "%s, cell %d (line %d)", o.input, c + 1, spans[c].line);
        else snprintf(where, sizeof where, "%s", o.input);
        if (st != LANG_OK) print_error(&R, where, NULL, &res);
        lang_result_clear(&res);
        free(code);
        if (timed_out) {
            fprintf(stderr, "cgpu-kernel exec: %s timed out after %g seconds\n", where, R.timeout);
            status = EXIT_CELL_FAILED;
            break;
        }
        if (interrupted) { status = EXIT_SIGINT; break; }
        if (st != LANG_OK) {
            status = EXIT_CELL_FAILED;
            if (!o.allow_errors) break;
        }
    }
    fflush(stdout);
    stop_supervisor(&R, th);
    if (R.L) lang_free(R.L);
    free(spans);
    free(text);
    pthread_mutex_destroy(&R.lock);
    return status;
}
