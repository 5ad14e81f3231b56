/* lang_device_stats.c — device_stats() as a cell's value: against the stub
 * NVML (tests/unit/stubs/nvml_stub.c, in stub/ beside this binary) the
 * text/plain and text/html tables show every GPU figure and the host row;
 * attributes give the same figures to programs; bad arguments are clear
 * errors that keep the session. Without NVML (a child process: NVML is
 * loaded once) the host part is shown with one line saying why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "lang.h"

static lang_state *L;

/* Runs one cell; the result's text/plain and text/html (malloc'd, or NULL). */
static int run(const char *code, char **text, char **html, char **err)
{
    lang_result r;
    memset(&r, 0, sizeof r);
    lang_status st = lang_execute(L, code, NULL, 0, &r);
    if (text) *text = NULL;
    if (html) *html = NULL;
    if (err) *err = r.evalue ? strdup(r.evalue) : NULL;
    for (int i = 0; i < r.value.n; i++) {
        if (text && !strcmp(r.value.mime[i], "text/plain")) *text = strdup(r.value.data[i]);
        if (html && !strcmp(r.value.mime[i], "text/html")) *html = strdup(r.value.data[i]);
    }
    lang_result_clear(&r);
    return st == LANG_OK ? 0 : -1;
}

static int stub_path(char *out, size_t cap)
{
    return test_file_beside_self("stub/libnvidia-ml.so.1", out, cap);
}

TEST(without_nvml_the_host_and_a_reason) {
    pid_t pid = fork();
    if (pid == 0) {
        setenv("CGPU_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
        L = lang_new();
        char *text = NULL, *html = NULL;
        int ok = run("device_stats()", &text, &html, NULL) == 0 && text && html &&
                 strstr(text, "CPU ") && strstr(text, "No GPU figures: cannot load /nonexistent/libnvidia-ml.so.1") &&
                 !strstr(text, "GPU:0") && strstr(html, "<table") && strstr(html, "No GPU figures");
        if (!ok) fprintf(stderr, "  got: %s\n", text ? text : "(null)");
        ok = ok && run("s = device_stats()\nprint(s.gpus, s.reason is not None, s.host_memory > 0)", NULL, NULL, NULL) == 0;
        _exit(ok ? 0 : 1);
    }
    int st = -1;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TEST(stub_gpus_in_the_table) {
    char path[4200];
    if (!stub_path(path, sizeof path)) SKIP("the stub NVML library was not built (make unit-tests)");
    setenv("CGPU_NVML_LIB", path, 1);
    char *text = NULL, *html = NULL, *err = NULL;
    CHECK(run("device_stats()", &text, &html, &err) == 0);
    CHECK(text && strstr(text, "GPU:0   Stub GPU 0  42 %  3072 MiB / 81920 MiB  55 C  123 W / 700 W  1980 MHz  4242 (512 MiB)"));
    CHECK(text && strstr(text, "GPU:1   Stub GPU 1"));
    CHECK(text && strstr(text, "\nCPU "));
    CHECK(text && !strstr(text, "No GPU figures"));
    CHECK(html && strstr(html, ">Stub GPU 0</td>") && strstr(html, "4242 (512 MiB)"));
    free(text); free(html); free(err);

    /* one GPU, no host row */
    CHECK(run("device_stats(\"GPU:1\")", &text, NULL, NULL) == 0);
    CHECK(text && strstr(text, "GPU:1") && !strstr(text, "GPU:0") && !strstr(text, "\nCPU "));
    free(text);

    /* the same figures for programs; None where the GPU does not say */
    CHECK(run("s = device_stats()\ng = s.gpus", NULL, NULL, NULL) == 0);
    CHECK(run("(g[0]['utilization'], g[0]['memory_used'], g[0]['power'], g[0]['processes'], g[1]['power'], s.reason)",
              &text, NULL, NULL) == 0);
    CHECK_STR(text, "(42, 3221225472, 123.456, [(4242, 536870912)], None, None)");
    free(text);
}

TEST(bad_arguments_keep_the_session) {
    char *err = NULL;
    CHECK(run("device_stats(\"TPU\")", NULL, NULL, &err) != 0);
    CHECK(err && strstr(err, "device must be None, \"CPU\", \"GPU\", \"GPU:n\" or a GPU number, not 'TPU'"));
    free(err);
    char path[4200];
    if (stub_path(path, sizeof path)) {
        CHECK(run("device_stats(5)", NULL, NULL, &err) != 0);
        CHECK(err && strstr(err, "GPU:5 does not exist (the driver reports 2 GPUs)"));
        free(err);
    }
    CHECK(run("device_stats(-1)", NULL, NULL, &err) != 0);
    free(err);
    char *text = NULL;
    CHECK(run("device_stats(\"CPU\").cpu_utilization >= 0", &text, NULL, NULL) == 0);
    CHECK_STR(text, "True");
    free(text);
}

int main(void) {
    RUN(without_nvml_the_host_and_a_reason);
    L = lang_new();
    RUN(stub_gpus_in_the_table);
    RUN(bad_arguments_keep_the_session);
    lang_free(L);
    return test_summary();
}
