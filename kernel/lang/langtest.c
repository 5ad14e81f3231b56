/* langtest.c — `cgpu-kernel test FILE.cgt...`: runs language test files.
 *
 * A test file is a sequence of cases run in order in ONE interpreter (like
 * the cells of a notebook: later cases see earlier bindings). Format:
 *
 *     # comment lines before the first case are ignored
 *     ### name of the case            starts a case; "### name [gpu]" is
 *                                     skipped (and counted) without a GPU,
 *                                     "[libpng]" in a build without libpng
 *     x = [1, 2]                      the cell, any number of lines
 *     x                               (magics allowed)
 *     ---                             separates the cell from what it must give
 *     [1, 2]                          expected text: the cell's stdout, then
 *                                     the text/plain of displays it made, then
 *                                     the text/plain of its result (if any)
 *
 * When the cell must fail, the expected text ends with a line
 *     !NameError                      the error kind, or
 *     !NameError: name 'y' is not defined   kind and the start of the message
 * (stdout printed before the error is expected above it).
 *
 * Trailing blank lines are ignored on both sides. A line "\" alone in the
 * expected text stands for an empty line that would otherwise be trimmed.
 * In expected text, "{*}" matches any run of characters within one line
 * (for timings: "Wall time: {*}").
 * The runner prints one line per failing case with FILE:LINE and the
 * difference, and ends with "N passed, N failed[, N skipped]". Each file
 * runs in its own process (devices, virtual-device splits and the random
 * generator are process-wide), so files cannot disturb each other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli.h"
#include "interp.h"
#include "plot.h"

typedef struct {
    fmtbuf out;
} capture;

static void cap_stream(void *ctx, const char *name, const char *text, size_t len)
{
    capture *c = ctx;
    fmtbuf_putn(&c->out, text, len);
}

static void cap_display(void *ctx, const lang_bundle *b, const char *id, int update)
{
    capture *c = ctx;
    for (int i = 0; i < b->n; i++)
        if (strcmp(b->mime[i], "text/plain") == 0) {
            fmtbuf_puts(&c->out, b->data[i]);
            fmtbuf_putc(&c->out, '\n');
        }
}

static int cap_input(void *ctx, const char *prompt, int password, char **value)
{
    *value = strdup("input is not available in test files");
    return -1;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fmtbuf b;
    fmtbuf_init(&b);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) fmtbuf_putn(&b, buf, n);
    fclose(f);
    char *s = fmtbuf_take(&b);
    return s ? s : strdup("");
}

static void trim_end(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r')) s[--n] = 0;
}

/* strips ANSI colour sequences */
static void strip_ansi(char *s)
{
    char *o = s;
    for (char *p = s; *p;) {
        if (p[0] == '\x1b' && p[1] == '[') {
            p += 2;
            while (*p && *p != 'm') p++;
            if (*p) p++;
            continue;
        }
        *o++ = *p++;
    }
    *o = 0;
}

typedef struct { int passed, failed, skipped, gpus; } tally; /* gpus: found by the run */

/* got matches pattern, where "{*}" in the pattern matches any characters
 * except a newline */
static int glob_match(const char *pat, const char *got)
{
    const char *w = strstr(pat, "{*}");
    if (!w) return strcmp(pat, got) == 0;
    size_t lit = (size_t)(w - pat);
    if (strncmp(pat, got, lit) != 0) return 0;
    got += lit;
    pat = w + 3;
    for (;;) {
        if (glob_match(pat, got)) return 1;
        if (!*got || *got == '\n') return 0;
        got++;
    }
}

static void show_diff(const char *file, int line, const char *name, const char *expected, const char *got)
{
    printf("%s:%d: FAIL %s\n", file, line, name);
    printf("  expected: ");
    for (const char *p = expected; *p; p++) { putchar(*p); if (*p == '\n') printf("            "); }
    printf("\n  got:      ");
    for (const char *p = got; *p; p++) { putchar(*p); if (*p == '\n') printf("            "); }
    printf("\n");
}

static void run_case(lang_state *L, const char *file, int line, const char *name, const char *code, char *expected,
                     tally *t)
{
    capture c;
    fmtbuf_init(&c.out);
    lang_output out = { &c, cap_stream, cap_display, NULL, cap_input };
    lang_result res;
    lang_clear_interrupt(L);
    lang_status st = lang_execute_named(L, code, &out, 0, &res, file, line);
    if (st == LANG_OK) {
        for (int i = 0; i < res.value.n; i++)
            if (strcmp(res.value.mime[i], "text/plain") == 0) {
                fmtbuf_puts(&c.out, res.value.data[i]);
                fmtbuf_putc(&c.out, '\n');
            }
    }
    char *got = fmtbuf_take(&c.out);
    if (!got) got = strdup("");
    trim_end(got);
    trim_end(expected);
    /* "\" lines stand for empty lines */
    for (char *p = expected; (p = strstr(p, "\n\\\n")) != NULL;) memmove(p + 1, p + 2, strlen(p + 2) + 1);

    int ok;
    char *err_line = NULL;
    /* an expected error is a last line starting with '!' */
    char *bang = NULL, *exp_stdout = expected;
    char *last_nl = strrchr(expected, '\n');
    char *last = last_nl ? last_nl + 1 : expected;
    if (last[0] == '!') {
        bang = last;
        if (last_nl) *last_nl = 0;
        else exp_stdout = (char *)"";
    }
    if (bang) {
        const char *kind_msg = bang + 1;
        if (st == LANG_OK) {
            ok = 0;
        } else {
            size_t need = strlen(res.ename ? res.ename : "") + strlen(res.evalue ? res.evalue : "") + 3;
            err_line = malloc(need);
            if (err_line) snprintf(err_line, need, "%s: %s", res.ename ? res.ename : "", res.evalue ? res.evalue : "");
            ok = err_line && strncmp(err_line, kind_msg, strlen(kind_msg)) == 0 &&
                 (strchr(kind_msg, ':') || strcmp(res.ename ? res.ename : "", kind_msg) == 0);
            trim_end(exp_stdout);
            ok = ok && glob_match(exp_stdout, got);
        }
        if (!ok) {
            fmtbuf g;
            fmtbuf_init(&g);
            fmtbuf_puts(&g, got);
            if (st != LANG_OK) {
                if (*got) fmtbuf_putc(&g, '\n');
                fmtbuf_printf(&g, "!%s", err_line ? err_line : "?");
            } else {
                fmtbuf_puts(&g, *got ? "\n(no error)" : "(no error)");
            }
            char *gs = fmtbuf_take(&g);
            fmtbuf e;
            fmtbuf_init(&e);
            if (*exp_stdout) { fmtbuf_puts(&e, exp_stdout); fmtbuf_putc(&e, '\n'); }
            fmtbuf_printf(&e, "!%s", kind_msg);
            char *es = fmtbuf_take(&e);
            show_diff(file, line, name, es ? es : "", gs ? gs : "");
            free(gs);
            free(es);
        }
    } else {
        if (st != LANG_OK) {
            fmtbuf g;
            fmtbuf_init(&g);
            fmtbuf_puts(&g, got);
            if (*got) fmtbuf_putc(&g, '\n');
            for (int i = 0; i < res.ntraceback; i++) {
                char *tl = strdup(res.traceback[i]);
                if (tl) { strip_ansi(tl); fmtbuf_puts(&g, tl); fmtbuf_putc(&g, '\n'); free(tl); }
            }
            char *gs = fmtbuf_take(&g);
            show_diff(file, line, name, expected, gs ? gs : "");
            free(gs);
            ok = 0;
        } else {
            ok = glob_match(expected, got);
            if (!ok) show_diff(file, line, name, expected, got);
        }
    }
    if (ok) t->passed++;
    else t->failed++;
    free(err_line);
    free(got);
    lang_result_clear(&res);
}

/* CGPU_EXPECT_GPUS=N: a run on a GPU machine that must not pass without
 * its GPUs; [gpu] cases then fail instead of being skipped, and a run that
 * finds fewer than N GPUs fails once. 0 when unset. */
static int expected_gpus(void)
{
    const char *e = getenv("CGPU_EXPECT_GPUS");
    return e && *e ? atoi(e) : 0;
}

static int run_file(const char *path, tally *t, int have_gpu)
{
    char *text = read_file(path);
    if (!text) {
        printf("%s:0: FAIL cannot read the file\n", path);
        t->failed++;
        return -1;
    }
    lang_state *L = lang_new();
    if (!L) { free(text); t->failed++; return -1; }
    /* split into lines */
    char *p = text;
    int lineno = 0;
    fmtbuf code, exp;
    fmtbuf_init(&code);
    fmtbuf_init(&exp);
    int in_case = 0, in_expected = 0, case_line = 0, gpu = 0;
    char name[256] = "";
    for (;;) {
        char *nl = strchr(p, '\n');
        int at_end = !*p;
        char *line = p;
        if (nl) *nl = 0;
        lineno++;
        int header = !at_end && strncmp(line, "###", 3) == 0;
        if ((header || at_end) && in_case) {
            char *c = fmtbuf_take(&code);
            char *e = fmtbuf_take(&exp);
            if (!in_expected) {
                printf("%s:%d: FAIL %s: no '---' line after the cell\n", path, case_line, name);
                t->failed++;
            } else if (gpu && !have_gpu && expected_gpus() > 0) {
                printf("%s:%d: FAIL %s: no GPU, but CGPU_EXPECT_GPUS=%d\n", path, case_line, name,
                       expected_gpus());
                t->failed++;
            } else if (gpu && !have_gpu) {
                printf("%s:%d: %s: skipped: no GPU\n", path, case_line, name);
                t->skipped++;
            } else if (strstr(name, "[libpng]") && !plot_png_available()) {
                printf("%s:%d: %s: skipped: no libpng in this build\n", path, case_line, name);
                t->skipped++;
            } else {
                run_case(L, path, case_line, name, c ? c : "", e ? e : strdup(""), t);
            }
            free(c);
            free(e);
            fmtbuf_init(&code);
            fmtbuf_init(&exp);
            in_case = in_expected = 0;
        }
        if (at_end) break;
        if (header) {
            in_case = 1;
            in_expected = 0;
            case_line = lineno + 1;
            const char *n = line + 3;
            while (*n == ' ') n++;
            snprintf(name, sizeof name, "%s", *n ? n : "(unnamed)");
            trim_end(name);
            gpu = strstr(name, "[gpu]") != NULL;
        } else if (in_case && !in_expected && strcmp(line, "---") == 0) {
            in_expected = 1;
        } else if (in_case && !in_expected) {
            fmtbuf_puts(&code, line);
            fmtbuf_putc(&code, '\n');
        } else if (in_case) {
            fmtbuf_puts(&exp, line);
            fmtbuf_putc(&exp, '\n');
        }
        if (!nl) { p = line + strlen(line); continue; }
        p = nl + 1;
    }
    fmtbuf_free(&code);
    fmtbuf_free(&exp);
    lang_free(L);
    free(text);
    return 0;
}

int lang_test_main(int argc, char **argv)
{
    tally t = {0, 0, 0, 0};
    if (argc < 2) {
        fprintf(stderr, "usage: cgpu-kernel test FILE.cgt...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        int fd[2];
        fflush(stdout);
        pid_t pid = pipe(fd) == 0 ? fork() : -1;
        if (pid == 0) {
            /* the child: one file, its tally back through the pipe */
            close(fd[0]);
            tally ct = {0, 0, 0, 0};
            ct.gpus = rt_physical_device_count(RT_GPU);
            rt_clear_error();
            run_file(argv[i], &ct, ct.gpus > 0);
            fflush(stdout);
            if (write(fd[1], &ct, sizeof ct) != (ssize_t)sizeof ct) _exit(3);
            _exit(0);
        }
        if (pid < 0) {
            /* no fork: run it here */
            t.gpus = rt_physical_device_count(RT_GPU);
            rt_clear_error();
            run_file(argv[i], &t, t.gpus > 0);
            continue;
        }
        close(fd[1]);
        tally ct;
        ssize_t got = read(fd[0], &ct, sizeof ct);
        close(fd[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        if (got != (ssize_t)sizeof ct) {
            printf("%s:0: FAIL the test process died (status %d)\n", argv[i], status);
            t.failed++;
            continue;
        }
        t.passed += ct.passed;
        t.failed += ct.failed;
        t.skipped += ct.skipped;
        if (ct.gpus > t.gpus) t.gpus = ct.gpus;
    }
    /* Counted in the children: discovery here would initialise CUDA before
     * the next fork. */
    if (t.gpus < expected_gpus()) {
        printf("FAIL: CGPU_EXPECT_GPUS=%d, but %d GPU(s) found\n", expected_gpus(), t.gpus);
        t.failed++;
    }
    if (t.skipped) printf("%d passed, %d failed, %d skipped\n", t.passed, t.failed, t.skipped);
    else printf("%d passed, %d failed\n", t.passed, t.failed);
    return t.failed ? 1 : 0;
}
