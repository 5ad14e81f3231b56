/* lang_heap.c — two interpreters in one process are independent: each owns
 * its heap (containers, the cycle collector's list, the release queue, the
 * depth counters). Runs two states alternately, frees one and keeps using
 * the other, and runs two states on two threads at once. */
#include <pthread.h>
#include <string.h>
#include "test.h"
#include "lang.h"
#include "interp.h"

typedef struct { char out[4096]; } sink;

static void on_stream(void *ctx, const char *name, const char *text, size_t len)
{
    sink *s = ctx;
    size_t have = strlen(s->out);
    if (have + len >= sizeof s->out) len = sizeof s->out - have - 1;
    memcpy(s->out + have, text, len);
    s->out[have + len] = 0;
}

/* Runs code in L; returns its stdout (static per call site via s). */
static int run(lang_state *L, const char *code, sink *s)
{
    memset(s, 0, sizeof *s);
    lang_output out = { s, on_stream, NULL, NULL, NULL };
    lang_result r;
    lang_status st = lang_execute(L, code, &out, 1, &r);
    if (st != LANG_OK) printf("  %s: %s\n", r.ename ? r.ename : "?", r.evalue ? r.evalue : "?");
    lang_result_clear(&r);
    return st == LANG_OK ? 0 : -1;
}

TEST(two_states_alternate_then_one_freed)
{
    lang_state *A = lang_new(), *B = lang_new();
    CHECK(A && B && A->heap != B->heap);
    if (!A || !B) { lang_free(A); lang_free(B); return; }
    sink s;
    CHECK(run(A, "x = 1\nloop = [1]\nloop.append(loop)\nd = {'k': loop}", &s) == 0);
    CHECK(run(B, "x = 2\nb = {'k': [2, [3]]}\ndef f(n):\n    return n + x", &s) == 0);
    size_t a_count = A->heap->count, b_count = B->heap->count;
    /* A's cycle is in A's heap: dropping it frees it there, B's heap stays */
    CHECK(run(A, "del loop\ndel d", &s) == 0);
    CHECK(A->heap->count < a_count);
    CHECK(B->heap->count == b_count);
    CHECK(run(A, "print(x)", &s) == 0);
    CHECK_STR(s.out, "1\n");
    CHECK(run(B, "print(x, f(40))", &s) == 0);
    CHECK_STR(s.out, "2 42\n");
    /* B's deep nesting goes through B's release queue, A's heap untouched */
    a_count = A->heap->count;
    CHECK(run(B, "y = []\nfor i in range(20000):\n    y = [y]\ndel y\nprint('ok')", &s) == 0);
    CHECK_STR(s.out, "ok\n");
    CHECK(A->heap->count == a_count);
    CHECK(B->heap->release_n == 0 && B->heap->release_depth == 0);
    /* a cycle printed in A while B holds one of its own */
    CHECK(run(B, "c = [0]\nc.append(c)", &s) == 0);
    CHECK(run(A, "z = [1]\nz.append(z)\nprint(z)", &s) == 0);
    CHECK_STR(s.out, "[1, [...]]\n");
    CHECK(A->heap->repr_nactive == 0);
    lang_free(A);
    /* B runs on as if A had never existed */
    CHECK(run(B, "print(b['k'][1][0] + x, c[1][1][0], f(1))", &s) == 0);
    CHECK_STR(s.out, "5 0 3\n");
    CHECK(run(B, "del c\nprint(len(b))", &s) == 0);
    CHECK_STR(s.out, "1\n");
    lang_free(B);
}

/* Two interpreters on two threads at once: each thread's heap is its own
 * interpreter's (a shared list would be corrupted here). */
typedef struct { int id; int ok; char out[4096]; } worker;

static void *work(void *arg)
{
    worker *w = arg;
    lang_state *L = lang_new();
    if (!L) return NULL;
    sink s;
    char code[256];
    snprintf(code, sizeof code,
             "t = 0\nfor i in range(3000):\n    a = [i, {'k': [i]}]\n    a.append(a)\n    t = t + a[1]['k'][0]\n"
             "print(%d, t)", w->id);
    w->ok = 1;
    for (int k = 0; k < 4; k++) w->ok &= run(L, code, &s) == 0;
    snprintf(w->out, sizeof w->out, "%s", s.out);
    lang_free(L);
    return NULL;
}

TEST(two_states_on_two_threads)
{
    worker w[2] = { { .id = 1 }, { .id = 2 } };
    pthread_t th[2];
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&th[i], NULL, work, &w[i]) == 0);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    CHECK(w[0].ok && w[1].ok);
    CHECK_STR(w[0].out, "1 4498500\n");
    CHECK_STR(w[1].out, "2 4498500\n");
}

int main(void)
{
    RUN(two_states_alternate_then_one_freed);
    RUN(two_states_on_two_threads);
    return test_summary();
}
