/* lang_nn_display.c — what fit/predict/evaluate/summary/MirroredStrategy
 * show in a notebook: Keras's progress line drawn once per epoch and
 * updated in place (display_id + update_display_data), verbose=2 lines,
 * silence with verbose=0, the summary's text/plain + text/html bundle, and
 * Ctrl-C during fit (KeyboardInterrupt, the epochs done kept). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "lang.h"

#define MAX_EV 4096
typedef struct {
    int   kind;        /* 0 stream, 1 display */
    int   update;
    char *id;
    char *text;        /* stream text or the bundle's text/plain */
    char *html;
} event;

static event ev[MAX_EV];
static int nev;

static void on_stream(void *ctx, const char *name, const char *text, size_t len)
{
    (void)ctx; (void)name;
    if (nev == MAX_EV) return;
    ev[nev].kind = 0;
    ev[nev].text = strndup(text, len);
    nev++;
}

static void on_display(void *ctx, const lang_bundle *b, const char *id, int update)
{
    (void)ctx;
    if (nev == MAX_EV) return;
    ev[nev].kind = 1;
    ev[nev].update = update;
    ev[nev].id = id ? strdup(id) : NULL;
    for (int i = 0; i < b->n; i++) {
        if (!strcmp(b->mime[i], "text/plain")) ev[nev].text = strdup(b->data[i]);
        if (!strcmp(b->mime[i], "text/html")) ev[nev].html = strdup(b->data[i]);
    }
    nev++;
}

static void reset(void)
{
    for (int i = 0; i < nev; i++) { free(ev[i].id); free(ev[i].text); free(ev[i].html); }
    memset(ev, 0, sizeof ev);
    nev = 0;
}

static const lang_output out = {NULL, on_stream, on_display, NULL, NULL};

static int run(lang_state *L, const char *code, lang_result *r)
{
    memset(r, 0, sizeof *r);
    lang_status st = lang_execute(L, code, &out, 0, r);
    if (st != LANG_OK) fprintf(stderr, "  cell failed: %s: %s\n", r->ename ? r->ename : "?", r->evalue ? r->evalue : "?");
    return st == LANG_OK ? 0 : -1;
}

static char *stdout_text(void)
{
    size_t n = 0;
    for (int i = 0; i < nev; i++) if (ev[i].kind == 0) n += strlen(ev[i].text);
    char *s = calloc(n + 1, 1);
    for (int i = 0; i < nev; i++) if (ev[i].kind == 0) strcat(s, ev[i].text);
    return s;
}

static lang_state *L;

static const char *setup =
    "clear_session()\n"
    "seed(0)\n"
    "x = array([-40, -10, 0, 8, 15, 22, 38, 45], dtype=float)\n"
    "y = x * 1.8 + 32\n"
    "model = Sequential([Input(shape=[1]), Dense(units=1)])\n"
    "model.compile(loss='mean_squared_error', optimizer=Adam(0.1), metrics=['mae'])\n";

TEST(test_verbose1_progress_line)
{
    lang_result r;
    reset();
    setenv("CGPU_PROGRESS_INTERVAL", "0", 1);   /* report every step */
    CHECK(run(L, "h = model.fit(x, y, epochs=3, batch_size=3)", &r) == 0);   /* 3 steps per epoch */
    lang_result_clear(&r);
    unsetenv("CGPU_PROGRESS_INTERVAL");
    /* per epoch: one display_data, then update_display_data under its id */
    int draws = 0, updates = 0;
    const char *ids[3] = {0};
    for (int i = 0; i < nev; i++) {
        if (ev[i].kind != 1) continue;
        if (!ev[i].update) { CHECK(draws < 3); if (draws < 3) ids[draws] = ev[i].id; draws++; }
        else { updates++; CHECK(draws > 0 && ev[i].id && !strcmp(ev[i].id, ids[draws - 1])); }
    }
    CHECK(draws == 3);
    CHECK(updates == 3 * 2);     /* steps 2 and 3 (the final state) update the line of step 1 */
    CHECK(ids[0] && ids[1] && strcmp(ids[0], ids[1]) != 0);
    /* the final line of epoch 2 */
    const char *last = NULL;
    for (int i = 0; i < nev; i++) if (ev[i].kind == 1 && ev[i].id && ids[1] && !strcmp(ev[i].id, ids[1])) last = ev[i].text;
    CHECK(last && !strncmp(last, "Epoch 2/3\n", 10));
    CHECK(last && strstr(last, "3/3\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m"));   /* a full bar */
    CHECK(last && strstr(last, "/step - loss: ") && strstr(last, " - mae: "));
    CHECK(last && strstr(last, "- loss:") < strstr(last, "- mae:"));   /* Keras 3: sorted by name */
    /* an in-progress line of epoch 1 shows 1/3, a partial bar and an ETA */
    int saw_partial = 0;
    for (int i = 0; i < nev; i++)
        if (ev[i].kind == 1 && ev[i].text && strstr(ev[i].text, "Epoch 1/3\n\x1b[1m1/3\x1b[0m \x1b[32m━━━━━━\x1b[0m\x1b[37m━")) saw_partial = 1;
    CHECK(saw_partial);
    char *so = stdout_text();
    CHECK(so[0] == 0);           /* everything went to the display */
    free(so);
}

TEST(test_verbose2_and_0)
{
    lang_result r;
    reset();
    CHECK(run(L, "h = model.fit(x, y, epochs=2, batch_size=4, verbose=2)", &r) == 0);
    lang_result_clear(&r);
    char *so = stdout_text();
    CHECK(!strncmp(so, "Epoch 1/2\n2/2 - 0s - ", 21));
    CHECK(strstr(so, "/step - loss: ") && strstr(so, "\nEpoch 2/2\n2/2 - 0s - "));
    for (int i = 0; i < nev; i++) CHECK(ev[i].kind == 0);
    free(so);
    reset();
    CHECK(run(L, "h = model.fit(x, y, epochs=2, verbose=0)\nh = model.fit(x, y, epochs=2, verbose=False)", &r) == 0);
    lang_result_clear(&r);
    CHECK(nev == 0);
}

TEST(test_predict_evaluate_lines)
{
    lang_result r;
    reset();
    CHECK(run(L, "p = model.predict([100.0])\ne = model.evaluate(x, y)", &r) == 0);
    lang_result_clear(&r);
    CHECK(nev == 2);
    CHECK(ev[0].kind == 1 && ev[0].text && strstr(ev[0].text, "1/1\x1b[0m") && strstr(ev[0].text, "/step"));
    CHECK(ev[0].text && !strstr(ev[0].text, "loss"));
    CHECK(ev[1].kind == 1 && ev[1].text && strstr(ev[1].text, "/step - loss: ") && strstr(ev[1].text, " - mae: "));
}

TEST(test_summary_bundle)
{
    lang_result r;
    reset();
    CHECK(run(L, "model.summary()", &r) == 0);
    lang_result_clear(&r);
    CHECK(nev == 1 && ev[0].kind == 1);
    CHECK(ev[0].text && strstr(ev[0].text, "Model: \"sequential\"\n┏") && strstr(ev[0].text, "│ dense (Dense)"));
    CHECK(ev[0].html && strstr(ev[0].html, "<table") && strstr(ev[0].html, "dense (Dense)") &&
          strstr(ev[0].html, "Total params: 2 (8.00 B)"));
}

TEST(test_strategy_message)
{
    lang_result r;
    reset();
    CHECK(run(L, "s = MirroredStrategy()\nprint(s.num_replicas_in_sync)", &r) == 0);
    lang_result_clear(&r);
    char *so = stdout_text();
    CHECK(!strncmp(so, "MirroredStrategy: ", 18) && strstr(so, "(all-reduce: "));
    free(so);
}

static void *interrupter(void *arg)
{
    usleep(300 * 1000);
    lang_interrupt((lang_state *)arg);
    return NULL;
}

TEST(test_interrupt_during_fit)
{
    lang_result r;
    reset();
    pthread_t th;
    pthread_create(&th, NULL, interrupter, L);
    memset(&r, 0, sizeof r);
    lang_status st = lang_execute(L, "h = model.fit(x, y, epochs=100000000, batch_size=1, verbose=0)", &out, 0, &r);
    pthread_join(th, NULL);
    CHECK(st == LANG_ERROR);
    CHECK(r.ename && !strcmp(r.ename, "KeyboardInterrupt"));
    CHECK(r.evalue && strstr(r.evalue, "completed epoch"));
    lang_result_clear(&r);
    /* the epochs done are kept in model.history, and the next cell runs */
    reset();
    CHECK(run(L, "print(len(model.history.history['loss']) == len(model.history.epoch), len(model.history.epoch) > 0)", &r) == 0);
    lang_result_clear(&r);
    char *so = stdout_text();
    if (strcmp(so, "True True\n")) fprintf(stderr, "  got: %s\n", so);
    CHECK(!strcmp(so, "True True\n"));
    free(so);
}

int main(void)
{
    L = lang_new();
    lang_result r;
    if (!L || run(L, setup, &r)) { fprintf(stderr, "setup failed\n"); return 1; }
    lang_result_clear(&r);
    RUN(test_verbose1_progress_line);
    RUN(test_verbose2_and_0);
    RUN(test_predict_evaluate_lines);
    RUN(test_summary_bundle);
    RUN(test_strategy_message);
    RUN(test_interrupt_during_fit);
    reset();
    lang_free(L);
    return test_summary();
}
