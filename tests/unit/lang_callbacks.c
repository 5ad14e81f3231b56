/* lang_callbacks.c — DeviceMonitor against the stub NVML
 * (tests/unit/stubs/nvml_stub.c, in stub/ beside this binary): fit's logs,
 * history and CSVLogger's columns carry the GPU figures (two GPUs: 42 % and
 * 0 % busy, 3 GiB and 0 used, 123.456 W and no power reading), and without
 * NVML (a child process: NVML is loaded once) the same columns hold nan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "lang.h"

static lang_state *L;

typedef struct { char buf[8192]; size_t n; } captured;

static void on_stream(void *ctx, const char *name, const char *text, size_t len)
{
    captured *c = ctx;
    (void)name;
    if (c->n + len >= sizeof c->buf) len = sizeof c->buf - 1 - c->n;
    memcpy(c->buf + c->n, text, len);
    c->n += len;
    c->buf[c->n] = 0;
}

/* Runs one cell; its printed output (malloc'd) in *out. */
static int run(const char *code, char **out)
{
    lang_result r;
    memset(&r, 0, sizeof r);
    captured c = {"", 0};
    lang_output o = {&c, on_stream, NULL, NULL, NULL};
    lang_status st = lang_execute(L, code, &o, 0, &r);
    if (st != LANG_OK && r.evalue) fprintf(stderr, "  error: %s\n", r.evalue);
    lang_result_clear(&r);
    if (out) *out = strdup(c.buf);
    return st == LANG_OK ? 0 : -1;
}

static const char *fit_cell =
    "x = array([[-40.0], [-10.0], [0.0], [8.0], [15.0], [22.0], [38.0]])\n"
    "y = x * 1.8 + 32\n"
    "model = Sequential([Dense(1, input_shape=[1])])\n"
    "model.compile(loss='mean_squared_error', optimizer=Adam(0.1))\n"
    "h = model.fit(x, y, epochs=3, verbose=0, callbacks=[DeviceMonitor(interval=0.01), CSVLogger('%s')])\n"
    "g = h.history\n"
    "print(sorted(g.keys()))\n"
    "print(g['gpu_utilization'], g['gpu_memory'], g['gpu_power'])\n"
    "print(all(t > 0 for t in g['epoch_time']), all(m > 1 for m in g['host_memory']), "
    "all(c >= 0 for c in g['cpu_utilization']))\n";

static char *fit_with_monitor(const char *csv)
{
    char code[2048];
    snprintf(code, sizeof code, fit_cell, csv);
    char *out = NULL;
    if (run(code, &out) < 0) { free(out); return NULL; }
    return out;
}

static int csv_header_is(const char *csv, const char *want)
{
    FILE *f = fopen(csv, "r");
    char line[512] = "";
    if (!f) return 0;
    if (!fgets(line, sizeof line, f)) line[0] = 0;
    fclose(f);
    int ok = !strcmp(line, want);
    if (!ok) fprintf(stderr, "  header: %s", line);
    return ok;
}

static const char *header =
    "epoch,cpu_utilization,epoch_time,gpu_memory,gpu_power,gpu_utilization,host_memory,loss\r\n";

TEST(without_nvml_the_gpu_columns_are_nan) {
    pid_t pid = fork();
    if (pid == 0) {
        setenv("CGPU_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
        L = lang_new();
        char *out = fit_with_monitor("/tmp/cgpu-cbtest-nogpu.csv");
        int ok = out && strstr(out, "[nan, nan, nan] [nan, nan, nan] [nan, nan, nan]") && strstr(out, "True True True") &&
                 csv_header_is("/tmp/cgpu-cbtest-nogpu.csv", header);
        if (!ok) fprintf(stderr, "  got: %s\n", out ? out : "(error)");
        unlink("/tmp/cgpu-cbtest-nogpu.csv");
        _exit(ok ? 0 : 1);
    }
    int st = -1;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TEST(stub_gpus_fill_the_logs_and_the_csv) {
    char path[4200];
    if (!test_file_beside_self("stub/libnvidia-ml.so.1", path, sizeof path))
        SKIP("the stub NVML library was not built (make unit-tests)");
    setenv("CGPU_NVML_LIB", path, 1);
    const char *csv = "/tmp/cgpu-cbtest-stub.csv";
    char *out = fit_with_monitor(csv);
    CHECK(out != NULL);
    if (out) {
        CHECK(strstr(out, "['cpu_utilization', 'epoch_time', 'gpu_memory', 'gpu_power', 'gpu_utilization', "
                          "'host_memory', 'loss']") != NULL);
        CHECK(strstr(out, "[21.0, 21.0, 21.0] [3072.0, 3072.0, 3072.0] [123.456, 123.456, 123.456]") != NULL);
        CHECK(strstr(out, "True True True") != NULL);
        if (!strstr(out, "[21.0")) fprintf(stderr, "  got: %s\n", out);
    }
    free(out);
    CHECK(csv_header_is(csv, header));
    /* a row: epoch, then the values in the header's order */
    FILE *f = fopen(csv, "r");
    char line[512] = "";
    int rows = 0, ok_row = 0;
    while (f && fgets(line, sizeof line, f)) {
        rows++;
        if (rows == 3) ok_row = !strncmp(line, "1,", 2) && strstr(line, ",3072.0,123.456,21.0,") != NULL;
    }
    if (f) fclose(f);
    CHECK(rows == 4);
    CHECK(ok_row);
    unlink(csv);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = calloc(1, 65536);
    if (buf) fread(buf, 1, 65535, f);
    fclose(f);
    return buf;
}

/* Keras's CSVLogger: "epoch" then the first epoch's keys sorted, rows
 * ending \r\n as Python's csv module writes them; append=True writes the
 * header only into an empty or missing file; a key missing later is NA. */
TEST(csv_logger_content_append_and_separator) {
    const char *csv = "/tmp/cgpu-cbtest-log.csv";
    unlink(csv);
    CHECK(run("class Logs(Callback):\n"
              "    def on_epoch_end(self, epoch, logs=None):\n"
              "        for k in list(logs.keys()): logs.pop(k)\n"
              "        logs['b'] = 0.5 * epoch\n"
              "        if epoch == 0: logs['a'] = 'x;y'\n"
              "m = Sequential([Dense(1, input_shape=[1])])\n"
              "m.compile(loss='mse', optimizer='sgd')\n"
              "xs = array([[1.0], [2.0]])\n", NULL) == 0);
    char code[512];
    snprintf(code, sizeof code, "m.fit(xs, xs, epochs=2, verbose=0, callbacks=[Logs(), CSVLogger('%s', separator=';', append=True)])", csv);
    CHECK(run(code, NULL) == 0);
    char *got = slurp(csv);
    CHECK_STR(got, "epoch;a;b\r\n0;\"x;y\";0.0\r\n1;NA;0.5\r\n");
    free(got);
    CHECK(run(code, NULL) == 0);   /* appends: no second header */
    got = slurp(csv);
    CHECK_STR(got, "epoch;a;b\r\n0;\"x;y\";0.0\r\n1;NA;0.5\r\n0;\"x;y\";0.0\r\n1;NA;0.5\r\n");
    free(got);
    snprintf(code, sizeof code, "m.fit(xs, xs, epochs=1, verbose=0, callbacks=[Logs(), CSVLogger('%s')])", csv);
    CHECK(run(code, NULL) == 0);   /* append=False truncates */
    got = slurp(csv);
    CHECK_STR(got, "epoch,a,b\r\n0,x;y,0.0\r\n");
    free(got);
    unlink(csv);
    /* a file that cannot be written: Python's error, the session goes on */
    CHECK(run("m.fit(xs, xs, epochs=1, verbose=0, callbacks=[CSVLogger('/nonexistent/dir/log.csv')])", NULL) != 0);
    char *out = NULL;
    CHECK(run("print(len(m.history.history['loss']))", &out) == 0);
    free(out);
}

/* Each interpreter has its own Callback class: a callback of one works in
 * its own fit while another interpreter lives beside it. */
TEST(two_interpreters_each_their_callbacks) {
    lang_state *first = L, *second = lang_new();
    CHECK(second != NULL);
    const char *cell = "class C(Callback):\n"
                       "    def on_epoch_end(self, epoch, logs=None): print('end', epoch)\n"
                       "m = Sequential([Dense(1, input_shape=[1])])\n"
                       "m.compile(loss='mse', optimizer='sgd')\n"
                       "m.fit(array([[1.0]]), array([[2.0]]), epochs=2, verbose=0, callbacks=[C()])\n";
    char *out = NULL;
    L = second;
    CHECK(run(cell, &out) == 0);
    CHECK_STR(out, "end 0\nend 1\n");
    free(out);
    L = first;
    CHECK(run(cell, &out) == 0);
    CHECK_STR(out, "end 0\nend 1\n");
    free(out);
    lang_free(second);
    CHECK(run(cell, &out) == 0);
    CHECK_STR(out, "end 0\nend 1\n");
    free(out);
}

int main(void) {
    RUN(without_nvml_the_gpu_columns_are_nan);
    L = lang_new();
    RUN(stub_gpus_fill_the_logs_and_the_csv);
    RUN(csv_logger_content_append_and_separator);
    RUN(two_interpreters_each_their_callbacks);
    lang_free(L);
    return test_summary();
}
