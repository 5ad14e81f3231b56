/* kernel_handlers.c — the protocol core through the mock transport with a
 * fake language: no ZeroMQ, no interpreter. Covers kernel_info, execute
 * (ok, value, error, silent, store_history, user_expressions, stop_on_error
 * aborts), busy/idle order and parent headers, stream batching, stdin,
 * interrupt and shutdown from the control channel while a cell runs,
 * complete/inspect/is_complete/history/comm, and garbage. */
#include "test.h"

#include <pthread.h>
#include <unistd.h>

#include "kernel_client.h"
#include "jupyter/handlers.h"
#include "ipynb.h"

/* ---- a fake language: one command per cell ----------------------------------
 *   print T | eprint T | value T | fail | input P | loop | many N | utf8 N |
 *   display | bundle | slowprint
 */
struct lang_state { volatile sig_atomic_t flag; int executed; };

static kn_transport *g_tr; /* for slowprint */
static int g_pending_before, g_pending_during;

static void set_error(lang_result *r, const char *ename, const char *evalue) {
    r->status = LANG_ERROR;
    r->ename = strdup(ename);
    r->evalue = strdup(evalue);
    r->ntraceback = 2;
    r->traceback = calloc(2, sizeof(char *));
    r->traceback[0] = strdup("Traceback (most recent call last):");
    r->traceback[1] = strdup(ename);
}

static void f_bundle_clear(lang_bundle *b) {
    for (int i = 0; i < b->n; i++) { free(b->mime[i]); free(b->data[i]); }
    b->n = 0;
}

static void bundle_add(lang_bundle *b, const char *mime, const char *data) {
    b->mime[b->n] = strdup(mime);
    b->data[b->n] = strdup(data);
    b->n++;
}

/* One representation of each kind a notebook records: text, JSON, and a
 * JSON type whose text does not parse (kept as a string). */
static void every_mime_bundle(lang_bundle *b) {
    bundle_add(b, "text/plain", "x = 1\nbad \xff byte");
    bundle_add(b, "text/html", "<b>x</b>\n<i>y</i>");
    bundle_add(b, "image/svg+xml", "<svg xmlns=\"http://www.w3.org/2000/svg\">\n</svg>\n");
    bundle_add(b, "image/png", "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk");
    bundle_add(b, "application/json", "{\"a\": [1, 2.5, null], \"b\": \"\\u00e9\"}");
    bundle_add(b, "application/vnd.vegalite.v5+json", "{\"mark\": \"point\"}");
}

static void f_result_clear(lang_result *r) {
    f_bundle_clear(&r->value);
    free(r->ename);
    free(r->evalue);
    for (int i = 0; i < r->ntraceback; i++) free(r->traceback[i]);
    free(r->traceback);
    memset(r, 0, sizeof *r);
}

static lang_status f_execute(lang_state *L, const char *code, const lang_output *out, int silent, lang_result *res) {
    memset(res, 0, sizeof *res);
    L->executed++;
    char line[8192];
    if (strncmp(code, "print ", 6) == 0 || strncmp(code, "eprint ", 7) == 0) {
        int err = code[0] == 'e';
        snprintf(line, sizeof line, "%s\n", code + (err ? 7 : 6));
        if (out->stream) out->stream(out->ctx, err ? "stderr" : "stdout", line, strlen(line));
    } else if (strncmp(code, "value ", 6) == 0) {
        if (!silent) bundle_add(&res->value, "text/plain", code + 6);
    } else if (strcmp(code, "fail") == 0) {
        set_error(res, "NameError", "name 'x' is not defined");
    } else if (strncmp(code, "input ", 6) == 0) {
        char *v = NULL;
        if (out->input(out->ctx, code + 6, 0, &v) == 0) {
            snprintf(line, sizeof line, "got: %s\n", v);
            out->stream(out->ctx, "stdout", line, strlen(line));
        } else {
            set_error(res, "StdinNotImplementedError", v ? v : "?");
        }
        free(v);
    } else if (strcmp(code, "loop") == 0) {
        double t0 = kn_now();
        while (!L->flag && kn_now() - t0 < 5.0) usleep(1000);
        if (L->flag) { L->flag = 0; set_error(res, "KeyboardInterrupt", ""); }
    } else if (strncmp(code, "many ", 5) == 0) {
        int n = atoi(code + 5);
        for (int i = 0; i < n; i++) {
            int len = snprintf(line, sizeof line, "line %d\n", i);
            out->stream(out->ctx, "stdout", line, (size_t)len);
        }
    } else if (strncmp(code, "utf8 ", 5) == 0) {
        int n = atoi(code + 5);
        for (int i = 0; i < n; i++) out->stream(out->ctx, "stdout", "a\xc3\xa9", 3);
    } else if (strcmp(code, "display") == 0) {
        lang_bundle b = {0};
        bundle_add(&b, "text/plain", "D1");
        bundle_add(&b, "application/json", "{\"k\": [1, 2]}");
        out->display(out->ctx, &b, "disp-1", 0);
        out->display(out->ctx, &b, "disp-1", 1);
        out->clear_output(out->ctx, 1);
        out->display(out->ctx, &b, NULL, 0);
        f_bundle_clear(&b);
    } else if (strcmp(code, "bundle") == 0) {
        lang_bundle b = {0};
        every_mime_bundle(&b);
        out->display(out->ctx, &b, NULL, 0);
        f_bundle_clear(&b);
    } else if (strcmp(code, "slowprint") == 0) {
        g_pending_before = kn_mock_pending(g_tr, KN_IOPUB);
        out->stream(out->ctx, "stdout", "early\n", 6);
        usleep(300 * 1000);
        g_pending_during = kn_mock_pending(g_tr, KN_IOPUB);
    } else {
        set_error(res, "SyntaxError", "unknown fake command");
    }
    return res->status;
}

static lang_status f_eval(lang_state *L, const char *expr, lang_result *res) {
    memset(res, 0, sizeof *res);
    if (strcmp(expr, "1+1") == 0) { bundle_add(&res->value, "text/plain", "2"); return LANG_OK; }
    set_error(res, "NameError", "bad expression");
    return LANG_ERROR;
}

static void f_interrupt(lang_state *L) { L->flag = 1; }
static volatile sig_atomic_t *f_flag(lang_state *L) { return &L->flag; }

static void f_complete(lang_state *L, const char *code, int pos, lang_completion *c) {
    c->n = 2;
    c->matches = calloc(2, sizeof(char *));
    c->matches[0] = strdup("print");
    c->matches[1] = strdup("printf");
    c->cursor_start = pos >= 3 ? pos - 3 : 0;
    c->cursor_end = pos;
}
static void f_completion_clear(lang_completion *c) {
    for (int i = 0; i < c->n; i++) free(c->matches[i]);
    free(c->matches);
    memset(c, 0, sizeof *c);
}
static int f_inspect(lang_state *L, const char *code, int pos, int detail, lang_bundle *doc) {
    if (!strstr(code, "print")) return 0;
    bundle_add(doc, "text/plain", "print(x): writes x");
    return 1;
}
static const char *f_is_complete(lang_state *L, const char *code, char *indent, size_t cap) {
    size_t n = strlen(code);
    if (strstr(code, "???")) return "invalid";
    if (n && code[n - 1] == ':') { snprintf(indent, cap, "    "); return "incomplete"; }
    return "complete";
}
static const lang_info_t fake_info = { "cgpu", "0.9", "text/x-cgpu", ".cg", "python", "python", "python", "fake banner" };
static const lang_info_t *f_info(void) { return &fake_info; }

/* ---- fixture ---------------------------------------------------------------- */

typedef struct {
    kn_transport *tr;
    kn_session   *sess;
    kn_signer    *client;
    struct lang_state L;
    kn_kernel     k;
} fixture;

/* Order of everything sent, across channels: "shell:execute_reply" ... */
static char g_log[256][64];
static int g_nlog;
static kn_signer *g_client;
static int g_answer_input = 1;

static void on_send(void *arg, kn_channel ch, const kn_frames *msg) {
    out_msg o;
    if (out_decode(g_client, msg, &o) == 0) {
        if (g_nlog < 256) {
            const char *st = jstr(o.content, "execution_state");
            snprintf(g_log[g_nlog++], 64, "%s:%s%s%s", kn_channel_name(ch), o.msg_type, st ? "/" : "", st ? st : "");
        }
        /* play the frontend: answer input_request on stdin */
        if (ch == KN_STDIN && strcmp(o.msg_type, "input_request") == 0 && g_answer_input) {
            char content[128], id[64];
            snprintf(content, sizeof content, "{\"value\":\"Ada (%s)\"}", jstr(o.content, "prompt"));
            snprintf(id, sizeof id, "in-%d", g_nlog);
            kn_frames f = make_request(g_client, "input_reply", id, content);
            kn_mock_push(g_tr, KN_STDIN, &f);
        }
    }
    out_clear(&o);
}

static void setup(fixture *f) {
    memset(f, 0, sizeof *f);
    f->tr = g_tr = kn_mock_new();
    f->client = g_client = client_signer();
    f->sess = kn_session_new(client_signer(), "tester");
    kn_lang lang = {
        .L = &f->L, .execute = f_execute, .eval_expression = f_eval, .interrupt = f_interrupt,
        .interrupt_flag = f_flag, .complete = f_complete, .inspect = f_inspect, .is_complete = f_is_complete,
        .info = f_info, .result_clear = f_result_clear, .bundle_clear = f_bundle_clear,
        .completion_clear = f_completion_clear,
    };
    kn_kernel_init(&f->k, f->sess, f->tr, &lang);
    f->k.stdin_poll_ms = 10;
    g_nlog = 0;
    g_answer_input = 1;
    kn_mock_on_send(f->tr, on_send, NULL);
}

static void teardown(fixture *f) {
    kn_kernel_destroy(&f->k);
    f->tr->destroy(f->tr);
    kn_session_free(f->sess);
    kn_signer_free(f->client);
    g_tr = NULL;
}

static void send_on(fixture *f, kn_channel ch, const char *type, const char *id, const char *content) {
    kn_frames fr = make_request(f->client, type, id, content);
    kn_mock_push(f->tr, ch, &fr);
}

static int serve_all(fixture *f) {
    int n = 0;
    while (kn_serve_shell(&f->k, 0) == 1) n++;
    return n;
}

/* Pops all iopub messages into msgs (max cap); returns the count. */
static int pop_iopub(fixture *f, out_msg *msgs, int cap) {
    int n = 0;
    out_msg o;
    while (pop_out(f->tr, f->client, KN_IOPUB, &o)) {
        if (n < cap) msgs[n++] = o;
        else out_clear(&o);
    }
    return n;
}

static void clear_all(out_msg *m, int n) { for (int i = 0; i < n; i++) out_clear(&m[i]); }

static int log_is(const char *const *want, int n) {
    if (g_nlog != n) goto diff;
    for (int i = 0; i < n; i++) if (strcmp(g_log[i], want[i]) != 0) goto diff;
    return 1;
diff:
    fprintf(stderr, "    sent:");
    for (int i = 0; i < g_nlog; i++) fprintf(stderr, " %s", g_log[i]);
    fprintf(stderr, "\n");
    return 0;
}

/* ---- tests ------------------------------------------------------------------ */

TEST(kernel_info_reply_and_status) {
    fixture f;
    setup(&f);
    kn_kernel_starting(&f.k);
    send_on(&f, KN_SHELL, "kernel_info_request", "ki-1", "{}");
    CHECK(serve_all(&f) == 1);
    out_msg r;
    CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 1);
    CHECK(r.sig_ok);
    CHECK_STR(r.prefix, "client-1"); /* routed back to the requester */
    CHECK_STR(r.msg_type, "kernel_info_reply");
    CHECK_STR(parent_id(&r), "ki-1");
    CHECK_STR(jstr(r.content, "status"), "ok");
    CHECK_STR(jstr(r.content, "protocol_version"), "5.3");
    CHECK_STR(jstr(r.content, "implementation"), "cgpu");
    CHECK_STR(jstr(r.content, "banner"), "fake banner");
    CHECK(json_is_false(json_object_get(r.content, "debugger")));
    CHECK(json_is_array(json_object_get(r.content, "help_links")));
    json_t *li = json_object_get(r.content, "language_info");
    CHECK_STR(jstr(li, "name"), "cgpu");
    CHECK_STR(jstr(li, "nbconvert_exporter"), "python");
    CHECK_STR(jstr(li, "file_extension"), ".cg");
    CHECK_STR(jstr(r.header, "session"), f.sess->id);
    out_clear(&r);
    out_msg io[8];
    int n = pop_iopub(&f, io, 8);
    CHECK(n == 3);
    CHECK_STR(jstr(io[0].content, "execution_state"), "starting");
    CHECK(json_object_size(io[0].parent) == 0);
    CHECK_STR(jstr(io[1].content, "execution_state"), "busy");
    CHECK_STR(parent_id(&io[1]), "ki-1");
    CHECK_STR(jstr(io[2].content, "execution_state"), "idle");
    CHECK_STR(parent_id(&io[2]), "ki-1");
    CHECK(strncmp(io[1].prefix, "kernel.", 7) == 0); /* iopub topic */
    CHECK(io[1].sig_ok && io[2].sig_ok);
    clear_all(io, n);
    teardown(&f);
}

TEST(execute_ok_order_and_parents) {
    fixture f;
    setup(&f);
    send_on(&f, KN_SHELL, "execute_request", "ex-1", "{\"code\":\"print hello\",\"silent\":false}");
    serve_all(&f);
    static const char *const want[] = { "iopub:status/busy", "iopub:execute_input", "iopub:stream",
                                        "shell:execute_reply", "iopub:status/idle" };
    CHECK(log_is(want, 5));
    out_msg io[8], r;
    int n = pop_iopub(&f, io, 8);
    CHECK(n == 4);
    for (int i = 0; i < n; i++) CHECK_STR(parent_id(&io[i]), "ex-1");
    CHECK_STR(jstr(io[1].content, "code"), "print hello");
    CHECK(json_integer_value(json_object_get(io[1].content, "execution_count")) == 1);
    CHECK_STR(jstr(io[2].content, "name"), "stdout");
    CHECK_STR(jstr(io[2].content, "text"), "hello\n");
    clear_all(io, n);
    CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 1);
    CHECK_STR(jstr(r.content, "status"), "ok");
    CHECK(json_integer_value(json_object_get(r.content, "execution_count")) == 1);
    CHECK(json_is_array(json_object_get(r.content, "payload")));
    CHECK(json_is_object(json_object_get(r.content, "user_expressions")));
    CHECK_STR(parent_id(&r), "ex-1");
    CHECK(jstr(r.metadata, "started") != NULL);
    out_clear(&r);
    teardown(&f);
}

TEST(execute_result_and_counts) {
    fixture f;
    setup(&f);
    send_on(&f, KN_SHELL, "execute_request", "a", "{\"code\":\"value 42\"}");
    send_on(&f, KN_SHELL, "execute_request", "b", "{\"code\":\"value 43\",\"store_history\":false}");
    send_on(&f, KN_SHELL, "execute_request", "c", "{\"code\":\"print quiet\",\"silent\":true}");
    send_on(&f, KN_SHELL, "execute_request", "d", "{\"code\":\"value 44\"}");
    serve_all(&f);
    static const char *const want[] = {
        "iopub:status/busy", "iopub:execute_input", "iopub:execute_result", "shell:execute_reply", "iopub:status/idle",
        "iopub:status/busy", "iopub:execute_input", "iopub:execute_result", "shell:execute_reply", "iopub:status/idle",
        /* silent: no execute_input, no stream */
        "iopub:status/busy", "shell:execute_reply", "iopub:status/idle",
        "iopub:status/busy", "iopub:execute_input", "iopub:execute_result", "shell:execute_reply", "iopub:status/idle",
    };
    CHECK(log_is(want, 18));
    int counts[4] = {0};
    out_msg r;
    for (int i = 0; i < 4 && pop_out(f.tr, f.client, KN_SHELL, &r); i++) {
        counts[i] = (int)json_integer_value(json_object_get(r.content, "execution_count"));
        out_clear(&r);
    }
    /* store_history false and silent do not advance the counter */
    CHECK(counts[0] == 1 && counts[1] == 1 && counts[2] == 1 && counts[3] == 2);
    out_msg io[32];
    int n = pop_iopub(&f, io, 32);
    CHECK(n == 14);
    CHECK_STR(io[2].msg_type, "execute_result");
    CHECK_STR(jstr(json_object_get(io[2].content, "data"), "text/plain"), "42");
    CHECK(json_integer_value(json_object_get(io[2].content, "execution_count")) == 1);
    CHECK(json_is_object(json_object_get(io[2].content, "metadata")));
    clear_all(io, n);
    CHECK(f.L.executed == 4);
    teardown(&f);
}

TEST(execute_error_and_abort_queued) {
    fixture f;
    setup(&f);
    send_on(&f, KN_SHELL, "execute_request", "e1", "{\"code\":\"fail\"}");
    send_on(&f, KN_SHELL, "execute_request", "e2", "{\"code\":\"print not-run\"}");
    send_on(&f, KN_SHELL, "kernel_info_request", "e3", "{}");
    send_on(&f, KN_SHELL, "execute_request", "e4", "{\"code\":\"print not-run\"}");
    CHECK(kn_serve_shell(&f.k, 0) == 1); /* runs e1 only: the rest is drained as aborted */
    send_on(&f, KN_SHELL, "execute_request", "e5", "{\"code\":\"print runs\"}");
    send_on(&f, KN_SHELL, "execute_request", "e6", "{\"code\":\"fail\",\"stop_on_error\":false}");
    send_on(&f, KN_SHELL, "execute_request", "e7", "{\"code\":\"print also-runs\"}");
    serve_all(&f);
    static const char *const want_status[] = { "error", "aborted", "ok", "aborted", "ok", "error", "ok" };
    static const char *const want_type[] = { "execute_reply", "execute_reply", "kernel_info_reply", "execute_reply",
                                             "execute_reply", "execute_reply", "execute_reply" };
    out_msg r;
    int i = 0;
    while (pop_out(f.tr, f.client, KN_SHELL, &r)) {
        if (i < 7) {
            CHECK_STR(r.msg_type, want_type[i]);
            CHECK_STR(jstr(r.content, "status"), want_status[i]);
        }
        if (i == 0) {
            CHECK_STR(jstr(r.content, "ename"), "NameError");
            CHECK_STR(jstr(r.content, "evalue"), "name 'x' is not defined");
            CHECK(json_array_size(json_object_get(r.content, "traceback")) == 2);
        }
        if (i == 1) CHECK_STR(jstr(r.metadata, "status"), "aborted");
        i++;
        out_clear(&r);
    }
    CHECK(i == 7);
    CHECK(f.L.executed == 4); /* e1, e5, e6, e7 */
    out_msg io[64];
    int n = pop_iopub(&f, io, 64), errors = 0;
    for (int j = 0; j < n; j++)
        if (strcmp(io[j].msg_type, "error") == 0) {
            errors++;
            CHECK_STR(jstr(io[j].content, "ename"), "NameError");
            CHECK(json_object_get(io[j].content, "traceback") != NULL);
        }
    CHECK(errors == 2);
    clear_all(io, n);
    teardown(&f);
}

TEST(user_expressions) {
    fixture f;
    setup(&f);
    send_on(&f, KN_SHELL, "execute_request", "u1",
            "{\"code\":\"print x\",\"user_expressions\":{\"two\":\"1+1\",\"bad\":\"zz\",\"num\":5}}");
    serve_all(&f);
    out_msg r;
    CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 1);
    json_t *ue = json_object_get(r.content, "user_expressions");
    CHECK(json_object_size(ue) == 3);
    CHECK_STR(jstr(json_object_get(ue, "two"), "status"), "ok");
    CHECK_STR(jstr(json_object_get(json_object_get(ue, "two"), "data"), "text/plain"), "2");
    CHECK_STR(jstr(json_object_get(ue, "bad"), "status"), "error");
    CHECK_STR(jstr(json_object_get(ue, "bad"), "ename"), "NameError");
    CHECK_STR(jstr(json_object_get(ue, "num"), "status"), "error");
    out_clear(&r);
    teardown(&f);
}

TEST(stream_batching_and_utf8_cuts) {
    fixture f;
    setup(&f);
    send_on(&f, KN_SHELL, "execute_request", "s1", "{\"code\":\"many 5000\"}");
    send_on(&f, KN_SHELL, "execute_request", "s2", "{\"code\":\"utf8 5000\"}");
    serve_all(&f);
    out_msg io[256];
    int n = pop_iopub(&f, io, 256);
    size_t cap = 1 << 20, len1 = 0, len2 = 0;
    char *all1 = calloc(1, cap), *all2 = calloc(1, cap);
    int streams1 = 0, streams2 = 0, ok_utf8 = 1;
    for (int i = 0; i < n; i++) {
        if (strcmp(io[i].msg_type, "stream") != 0) continue;
        const char *t = jstr(io[i].content, "text");
        size_t tl = strlen(t);
        if (strcmp(parent_id(&io[i]), "s1") == 0) { memcpy(all1 + len1, t, tl); len1 += tl; streams1++; }
        else { memcpy(all2 + len2, t, tl); len2 += tl; streams2++; if (strstr(t, "\xef\xbf\xbd")) ok_utf8 = 0; }
    }
    /* 5000 lines in a handful of messages, none lost */
    CHECK(streams1 >= 5 && streams1 <= 20);
    size_t want1 = 0;
    for (int i = 0; i < 5000; i++) { char l[32]; want1 += (size_t)snprintf(l, sizeof l, "line %d\n", i); }
    CHECK(len1 == want1);
    CHECK(strncmp(all1, "line 0\nline 1\n", 14) == 0);
    CHECK(strcmp(all1 + len1 - 10, "line 4999\n") == 0);
    /* 15000 bytes of "aé": batches cut on character boundaries only */
    CHECK(len2 == 15000 && streams2 >= 3);
    CHECK(ok_utf8);
    clear_all(io, n);
    free(all1);
    free(all2);
    teardown(&f);
}

TEST(stream_flushed_while_cell_runs) {
    fixture f;
    setup(&f);
    CHECK(kn_iopub_start_flusher(&f.k.iopub) == 0);
    send_on(&f, KN_SHELL, "execute_request", "sp", "{\"code\":\"slowprint\"}");
    serve_all(&f);
    /* the line went out during the 300 ms the cell kept running */
    CHECK(g_pending_during == g_pending_before + 1);
    out_msg io[8];
    int n = pop_iopub(&f, io, 8), streams = 0;
    for (int i = 0; i < n; i++) streams += strcmp(io[i].msg_type, "stream") == 0;
    CHECK(streams == 1);
    clear_all(io, n);
    teardown(&f);
}

TEST(stdout_stderr_order_kept) {
    fixture f;
    setup(&f);
    send_on(&f, KN_SHELL, "execute_request", "o1", "{\"code\":\"print a\"}");
    serve_all(&f);
    out_msg io[8];
    int n = pop_iopub(&f, io, 8);
    clear_all(io, n);
    /* interleave through the iopub module directly: out, err, out */
    kn_frame p = { (unsigned char *)"{\"msg_id\":\"pp\"}", 15 };
    kn_iopub_stream(&f.k.iopub, &p, "stdout", "1", 1);
    kn_iopub_stream(&f.k.iopub, &p, "stdout", "2", 1);
    kn_iopub_stream(&f.k.iopub, &p, "stderr", "E", 1);
    kn_iopub_stream(&f.k.iopub, &p, "stdout", "3", 1);
    kn_iopub_flush(&f.k.iopub);
    n = pop_iopub(&f, io, 8);
    CHECK(n == 3);
    if (n == 3) {
        CHECK_STR(jstr(io[0].content, "text"), "12");
        CHECK_STR(jstr(io[1].content, "name"), "stderr");
        CHECK_STR(jstr(io[2].content, "text"), "3");
        CHECK_STR(parent_id(&io[0]), "pp");
    }
    clear_all(io, n);
    teardown(&f);
}

TEST(display_update_clear) {
    fixture f;
    setup(&f);
    send_on(&f, KN_SHELL, "execute_request", "d1", "{\"code\":\"display\"}");
    serve_all(&f);
    out_msg io[16];
    int n = pop_iopub(&f, io, 16);
    CHECK(n == 7);
    if (n == 7) {
        CHECK_STR(io[2].msg_type, "display_data");
        CHECK_STR(jstr(json_object_get(io[2].content, "data"), "text/plain"), "D1");
        CHECK(json_is_object(json_object_get(json_object_get(io[2].content, "data"), "application/json")));
        CHECK_STR(jstr(json_object_get(io[2].content, "transient"), "display_id"), "disp-1");
        CHECK_STR(io[3].msg_type, "update_display_data");
        CHECK_STR(io[4].msg_type, "clear_output");
        CHECK(json_is_true(json_object_get(io[4].content, "wait")));
        CHECK_STR(io[5].msg_type, "display_data");
        CHECK(json_object_get(io[5].content, "transient") == NULL);
    }
    clear_all(io, n);
    teardown(&f);
}

/* The protocol and the notebook writer record a bundle with the same JSON:
 * display_data's "data" equals what ipynb_display puts in the notebook. */
TEST(bundle_json_same_for_protocol_and_notebook) {
    fixture f;
    setup(&f);
    send_on(&f, KN_SHELL, "execute_request", "b1", "{\"code\":\"bundle\"}");
    serve_all(&f);
    out_msg io[8];
    int n = pop_iopub(&f, io, 8);
    CHECK(n == 4);
    if (n == 4) {
        CHECK_STR(io[2].msg_type, "display_data");
        lang_bundle b = {0};
        every_mime_bundle(&b);
        json_t *nb = ipynb_display(&b, -1);
        json_t *wire = json_object_get(io[2].content, "data"), *file = json_object_get(nb, "data");
        CHECK(json_object_size(wire) == 6);
        CHECK(json_equal(wire, file));
        CHECK(json_is_object(json_object_get(wire, "application/json")));
        CHECK(json_is_object(json_object_get(wire, "application/vnd.vegalite.v5+json")));
        CHECK(json_is_string(json_object_get(wire, "image/svg+xml")));
        CHECK_STR(jstr(wire, "text/plain"), "x = 1\nbad \xef\xbf\xbd byte");
        json_decref(nb);
        f_bundle_clear(&b);
    }
    clear_all(io, n);
    teardown(&f);
}

/* ipykernel aborts the queue only after a failing execute that was not
 * silent (kernelbase.py: "if not silent and ... status == 'error' and
 * stop_on_error"). */
TEST(silent_error_aborts_nothing) {
    fixture f;
    setup(&f);
    send_on(&f, KN_SHELL, "execute_request", "s1", "{\"code\":\"fail\",\"silent\":true}");
    send_on(&f, KN_SHELL, "execute_request", "s2", "{\"code\":\"print runs\"}");
    CHECK(kn_serve_shell(&f.k, 0) == 1);
    serve_all(&f);
    static const char *const want_status[] = { "error", "ok" };
    out_msg r;
    int i = 0;
    while (pop_out(f.tr, f.client, KN_SHELL, &r)) {
        if (i < 2) CHECK_STR(jstr(r.content, "status"), want_status[i]);
        i++;
        out_clear(&r);
    }
    CHECK(i == 2);
    CHECK(f.L.executed == 2);
    out_msg io[16];
    clear_all(io, pop_iopub(&f, io, 16));
    teardown(&f);
}

TEST(stdin_input_round_trip) {
    fixture f;
    setup(&f);
    send_on(&f, KN_SHELL, "execute_request", "in1", "{\"code\":\"input name? \",\"allow_stdin\":true}");
    serve_all(&f);
    out_msg r, s;
    CHECK(pop_out(f.tr, f.client, KN_STDIN, &s) == 1);
    CHECK_STR(s.msg_type, "input_request");
    CHECK_STR(jstr(s.content, "prompt"), "name? ");
    CHECK_STR(parent_id(&s), "in1");          /* the execute request is the parent */
    CHECK_STR(s.prefix, "client-1");          /* to the requester's identity */
    out_clear(&s);
    CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 1);
    CHECK_STR(jstr(r.content, "status"), "ok");
    out_clear(&r);
    out_msg io[8];
    int n = pop_iopub(&f, io, 8), seen = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(io[i].msg_type, "stream") == 0) { CHECK_STR(jstr(io[i].content, "text"), "got: Ada (name? )\n"); seen++; }
    CHECK(seen == 1);
    clear_all(io, n);

    /* allow_stdin false: a clear error, nothing sent on stdin */
    send_on(&f, KN_SHELL, "execute_request", "in2", "{\"code\":\"input x\",\"allow_stdin\":false}");
    serve_all(&f);
    CHECK(pop_out(f.tr, f.client, KN_STDIN, &s) == 0);
    CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 1);
    CHECK_STR(jstr(r.content, "status"), "error");
    CHECK_STR(jstr(r.content, "evalue"), "input() is not available: the frontend does not support stdin");
    out_clear(&r);
    teardown(&f);
}

struct runner { fixture *f; int r; };
static void *serve_thread(void *arg) {
    struct runner *run = arg;
    run->r = kn_serve_shell(&run->f->k, 0);
    return NULL;
}
static int wait_running(fixture *f) {
    for (int i = 0; i < 2000 && !atomic_load(&f->k.cell_running); i++) usleep(1000);
    return atomic_load(&f->k.cell_running);
}

TEST(interrupt_on_control_while_cell_runs) {
    fixture f;
    setup(&f);
    send_on(&f, KN_SHELL, "execute_request", "loop1", "{\"code\":\"loop\"}");
    struct runner run = { &f, 0 };
    pthread_t th;
    pthread_create(&th, NULL, serve_thread, &run);
    CHECK(wait_running(&f));
    double t0 = kn_now();
    kn_frames fr = make_request(f.client, "interrupt_request", "int1", "{}");
    kn_dispatch(&f.k, KN_CONTROL, &fr, 0);
    pthread_join(th, NULL);
    CHECK(kn_now() - t0 < 2.0);
    out_msg r;
    CHECK(pop_out(f.tr, f.client, KN_CONTROL, &r) == 1);
    CHECK_STR(r.msg_type, "interrupt_reply");
    CHECK_STR(jstr(r.content, "status"), "ok");
    CHECK_STR(parent_id(&r), "int1");
    out_clear(&r);
    CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 1);
    CHECK_STR(jstr(r.content, "status"), "error");
    CHECK_STR(jstr(r.content, "ename"), "KeyboardInterrupt");
    out_clear(&r);
    /* still serving; an interrupt while idle does not hit the next cell */
    fr = make_request(f.client, "interrupt_request", "int2", "{}");
    kn_dispatch(&f.k, KN_CONTROL, &fr, 0);
    send_on(&f, KN_SHELL, "execute_request", "after", "{\"code\":\"value 1\"}");
    serve_all(&f);
    CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 1);
    CHECK_STR(jstr(r.content, "status"), "ok");
    out_clear(&r);
    teardown(&f);
}

TEST(shutdown_on_control_mid_cell) {
    fixture f;
    setup(&f);
    send_on(&f, KN_SHELL, "execute_request", "loop2", "{\"code\":\"loop\"}");
    struct runner run = { &f, 0 };
    pthread_t th;
    pthread_create(&th, NULL, serve_thread, &run);
    CHECK(wait_running(&f));
    kn_frames fr = make_request(f.client, "shutdown_request", "sd1", "{\"restart\":true}");
    kn_dispatch(&f.k, KN_CONTROL, &fr, 0);
    pthread_join(th, NULL);
    CHECK(atomic_load(&f.k.stop) == 1);
    CHECK(atomic_load(&f.k.restart) == 1);
    CHECK(kn_mock_wakes(f.tr) >= 1);
    out_msg r;
    CHECK(pop_out(f.tr, f.client, KN_CONTROL, &r) == 1);
    CHECK_STR(r.msg_type, "shutdown_reply");
    CHECK(json_is_true(json_object_get(r.content, "restart")));
    out_clear(&r);
    out_msg io[16];
    int n = pop_iopub(&f, io, 16), iopub_shutdown = 0;
    for (int i = 0; i < n; i++) iopub_shutdown += strcmp(io[i].msg_type, "shutdown_reply") == 0;
    CHECK(iopub_shutdown == 1);
    clear_all(io, n);
    teardown(&f);
}

TEST(shutdown_on_shell) {
    fixture f;
    setup(&f);
    send_on(&f, KN_SHELL, "shutdown_request", "sd2", "{\"restart\":false}");
    serve_all(&f);
    CHECK(atomic_load(&f.k.stop) == 1 && atomic_load(&f.k.restart) == 0);
    static const char *const want[] = { "iopub:status/busy", "shell:shutdown_reply", "iopub:shutdown_reply",
                                        "iopub:status/idle" };
    CHECK(log_is(want, 4));
    teardown(&f);
}

TEST(complete_inspect_is_complete) {
    fixture f;
    setup(&f);
    send_on(&f, KN_SHELL, "complete_request", "c1", "{\"code\":\"x = pri\",\"cursor_pos\":7}");
    send_on(&f, KN_SHELL, "inspect_request", "c2", "{\"code\":\"print\",\"cursor_pos\":5,\"detail_level\":0}");
    send_on(&f, KN_SHELL, "inspect_request", "c3", "{\"code\":\"zzz\",\"cursor_pos\":1}");
    send_on(&f, KN_SHELL, "is_complete_request", "c4", "{\"code\":\"for i in x:\"}");
    send_on(&f, KN_SHELL, "is_complete_request", "c5", "{\"code\":\"x = 1\"}");
    send_on(&f, KN_SHELL, "is_complete_request", "c6", "{\"code\":\"???\"}");
    send_on(&f, KN_SHELL, "complete_request", "c7", "{\"code\":\"\xc3\xa9\xc3\xa9pri\"}"); /* no cursor: end, in code points */
    serve_all(&f);
    out_msg r;
    CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 1);
    CHECK_STR(r.msg_type, "complete_reply");
    CHECK(json_array_size(json_object_get(r.content, "matches")) == 2);
    CHECK(json_integer_value(json_object_get(r.content, "cursor_start")) == 4);
    CHECK(json_integer_value(json_object_get(r.content, "cursor_end")) == 7);
    CHECK_STR(jstr(r.content, "status"), "ok");
    CHECK(json_is_object(json_object_get(r.content, "metadata")));
    out_clear(&r);
    CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 1);
    CHECK(json_is_true(json_object_get(r.content, "found")));
    CHECK_STR(jstr(json_object_get(r.content, "data"), "text/plain"), "print(x): writes x");
    out_clear(&r);
    CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 1);
    CHECK(json_is_false(json_object_get(r.content, "found")));
    CHECK(json_object_size(json_object_get(r.content, "data")) == 0);
    out_clear(&r);
    CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 1);
    CHECK_STR(jstr(r.content, "status"), "incomplete");
    CHECK_STR(jstr(r.content, "indent"), "    ");
    out_clear(&r);
    CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 1);
    CHECK_STR(jstr(r.content, "status"), "complete");
    CHECK(json_object_get(r.content, "indent") == NULL);
    out_clear(&r);
    CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 1);
    CHECK_STR(jstr(r.content, "status"), "invalid");
    out_clear(&r);
    CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 1);
    CHECK(json_integer_value(json_object_get(r.content, "cursor_end")) == 5);
    out_clear(&r);
    teardown(&f);
}

static json_t *history(fixture *f, const char *id, const char *content) {
    send_on(f, KN_SHELL, "history_request", id, content);
    serve_all(f);
    out_msg r;
    if (!pop_out(f->tr, f->client, KN_SHELL, &r)) return NULL;
    json_t *h = json_incref(json_object_get(r.content, "history"));
    out_clear(&r);
    return h;
}

TEST(history_tail_range_search) {
    fixture f;
    setup(&f);
    send_on(&f, KN_SHELL, "execute_request", "h1", "{\"code\":\"value 10\"}");
    send_on(&f, KN_SHELL, "execute_request", "h2", "{\"code\":\"print a\"}");
    send_on(&f, KN_SHELL, "execute_request", "h3", "{\"code\":\"value 10\"}");
    send_on(&f, KN_SHELL, "execute_request", "h4", "{\"code\":\"print hidden\",\"store_history\":false}");
    send_on(&f, KN_SHELL, "execute_request", "h5", "{\"code\":\"print b\"}");
    serve_all(&f);
    out_msg r;
    while (pop_out(f.tr, f.client, KN_SHELL, &r)) out_clear(&r);

    json_t *h = history(&f, "q1", "{\"hist_access_type\":\"tail\",\"n\":2,\"output\":false,\"raw\":true}");
    CHECK(json_array_size(h) == 2);
    json_t *e = json_array_get(h, 1);
    CHECK(json_integer_value(json_array_get(e, 0)) == 1);   /* session */
    CHECK(json_integer_value(json_array_get(e, 1)) == 4);   /* line = execution_count */
    CHECK_STR(json_string_value(json_array_get(e, 2)), "print b");
    json_decref(h);

    h = history(&f, "q2", "{\"hist_access_type\":\"range\",\"session\":0,\"start\":2,\"stop\":4,\"output\":true,\"raw\":true}");
    CHECK(json_array_size(h) == 2);
    e = json_array_get(json_array_get(h, 1), 2);             /* [input, output] */
    CHECK_STR(json_string_value(json_array_get(e, 0)), "value 10");
    CHECK_STR(json_string_value(json_array_get(e, 1)), "10");
    e = json_array_get(json_array_get(h, 0), 2);
    CHECK(json_is_null(json_array_get(e, 1)));               /* print: no execute_result */
    json_decref(h);

    h = history(&f, "q3", "{\"hist_access_type\":\"search\",\"pattern\":\"value*\",\"unique\":true,\"output\":false,\"raw\":true}");
    CHECK(json_array_size(h) == 1);
    CHECK(json_integer_value(json_array_get(json_array_get(h, 0), 1)) == 3); /* the latest duplicate */
    json_decref(h);

    h = history(&f, "q4", "{\"hist_access_type\":\"search\",\"pattern\":\"print*\",\"n\":1,\"output\":false,\"raw\":true}");
    CHECK(json_array_size(h) == 1);
    CHECK_STR(json_string_value(json_array_get(json_array_get(h, 0), 2)), "print b");
    json_decref(h);

    h = history(&f, "q5", "{\"hist_access_type\":\"range\",\"session\":-3,\"start\":1,\"output\":false,\"raw\":true}");
    CHECK(json_array_size(h) == 0);                          /* no earlier sessions */
    json_decref(h);
    teardown(&f);
}

TEST(comms) {
    fixture f;
    setup(&f);
    send_on(&f, KN_SHELL, "comm_info_request", "ci", "{}");
    send_on(&f, KN_SHELL, "comm_open", "co", "{\"comm_id\":\"abc\",\"target_name\":\"jupyter.widget\",\"data\":{}}");
    send_on(&f, KN_SHELL, "comm_msg", "cm", "{\"comm_id\":\"abc\",\"data\":{}}");
    serve_all(&f);
    out_msg r;
    CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 1);
    CHECK_STR(r.msg_type, "comm_info_reply");
    CHECK(json_is_object(json_object_get(r.content, "comms")) && json_object_size(json_object_get(r.content, "comms")) == 0);
    out_clear(&r);
    CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 0); /* comm_open and comm_msg: no shell reply */
    out_msg io[16];
    int n = pop_iopub(&f, io, 16), closes = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(io[i].msg_type, "comm_close") == 0) { closes++; CHECK_STR(jstr(io[i].content, "comm_id"), "abc"); }
    CHECK(closes == 1);
    CHECK(n == 7); /* busy/idle x3 + comm_close */
    clear_all(io, n);
    teardown(&f);
}

TEST(bad_signature_and_replay_are_dropped) {
    fixture f;
    setup(&f);
    char err[100];
    kn_signer *wrong = kn_signer_new("hmac-sha256", "wrong", 5, err, sizeof err);
    kn_frames fr = make_request(wrong, "execute_request", "bad1", "{\"code\":\"print x\"}");
    kn_mock_push(f.tr, KN_SHELL, &fr);
    serve_all(&f);
    CHECK(g_nlog == 0); /* no busy, no reply */
    CHECK(atomic_load(&f.k.ndropped) == 1);
    CHECK(f.L.executed == 0);

    kn_frames a = make_request(f.client, "execute_request", "rp1", "{\"code\":\"print once\"}");
    kn_frames b = {0};
    for (int i = 0; i < a.n; i++) kn_frames_push(&b, a.v[i].data, a.v[i].len);
    kn_mock_push(f.tr, KN_SHELL, &a);
    kn_mock_push(f.tr, KN_SHELL, &b);
    serve_all(&f);
    CHECK(f.L.executed == 1);
    CHECK(atomic_load(&f.k.ndropped) == 2);
    out_msg r;
    int replies = 0;
    while (pop_out(f.tr, f.client, KN_SHELL, &r)) { replies++; out_clear(&r); }
    CHECK(replies == 1);
    kn_signer_free(wrong);
    teardown(&f);
}

TEST(garbage_keeps_the_kernel_serving) {
    fixture f;
    setup(&f);
    kn_frames fr = {0};
    kn_frames_push(&fr, "junk", 4);
    kn_mock_push(f.tr, KN_SHELL, &fr);                                   /* no delimiter */
    kn_frames_push(&fr, "id", 2);
    kn_frames_push(&fr, KN_DELIM, 9);
    kn_mock_push(f.tr, KN_SHELL, &fr);                                   /* too few frames */
    fr = make_request_raw(f.client, "id", NULL, "g1", "{}", 2);          /* no msg_type */
    kn_mock_push(f.tr, KN_SHELL, &fr);
    fr = make_request_raw(f.client, "id", "execute_request", "g2", "{\"code\":", 8); /* invalid JSON */
    kn_mock_push(f.tr, KN_SHELL, &fr);
    size_t big = 16u << 20;                                              /* 16 MiB content */
    char *huge = malloc(big);
    memcpy(huge, "{\"code\":\"", 9);
    memset(huge + 9, 'x', big - 11);
    memcpy(huge + big - 2, "\"}", 2);
    fr = make_request_raw(f.client, "id", "execute_request", "g3", huge, big);
    free(huge);
    kn_mock_push(f.tr, KN_SHELL, &fr);
    send_on(&f, KN_SHELL, "no_such_request", "g4", "{}");                /* unknown type */
    send_on(&f, KN_SHELL, "execute_request", "g5", "{\"silent\":false}"); /* no code */
    serve_all(&f);
    /* execute_request on control (the control thread's dispatch): refused */
    kn_frames ctl = make_request(f.client, "execute_request", "g6", "{\"code\":\"print x\"}");
    kn_dispatch(&f.k, KN_CONTROL, &ctl, 0);
    send_on(&f, KN_SHELL, "kernel_info_request", "g7", "{}");
    serve_all(&f);
    CHECK(atomic_load(&f.k.ndropped) == 3);
    CHECK(f.L.executed == 0);
    out_msg r;
    static const char *const want[][2] = { { "g2", "error" }, { "g3", "error" }, { "g5", "error" }, { "g7", "ok" } };
    for (int i = 0; i < 4; i++) {
        CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 1);
        CHECK_STR(parent_id(&r), want[i][0]);
        CHECK_STR(jstr(r.content, "status"), want[i][1]);
        if (i == 1) CHECK(strstr(jstr(r.content, "evalue"), "content too large") != NULL);
        out_clear(&r);
    }
    CHECK(pop_out(f.tr, f.client, KN_SHELL, &r) == 0); /* nothing for the unknown type */
    CHECK(pop_out(f.tr, f.client, KN_CONTROL, &r) == 1);
    CHECK_STR(jstr(r.content, "ename"), "UnsupportedChannel");
    out_clear(&r);
    /* the unknown type is still bracketed by busy/idle, as ipykernel does */
    out_msg io[32];
    int n = pop_iopub(&f, io, 32), g4 = 0;
    for (int i = 0; i < n; i++) g4 += strcmp(parent_id(&io[i]) ? parent_id(&io[i]) : "", "g4") == 0;
    CHECK(g4 == 2);
    clear_all(io, n);
    teardown(&f);
}

int main(void) {
    kn_log_quiet = getenv("TEST_VERBOSE") == NULL;
    RUN(kernel_info_reply_and_status);
    RUN(execute_ok_order_and_parents);
    RUN(execute_result_and_counts);
    RUN(execute_error_and_abort_queued);
    RUN(user_expressions);
    RUN(stream_batching_and_utf8_cuts);
    RUN(stream_flushed_while_cell_runs);
    RUN(stdout_stderr_order_kept);
    RUN(display_update_clear);
    RUN(bundle_json_same_for_protocol_and_notebook);
    RUN(silent_error_aborts_nothing);
    RUN(stdin_input_round_trip);
    RUN(interrupt_on_control_while_cell_runs);
    RUN(shutdown_on_control_mid_cell);
    RUN(shutdown_on_shell);
    RUN(complete_inspect_is_complete);
    RUN(history_tail_range_search);
    RUN(comms);
    RUN(bad_signature_and_replay_are_dropped);
    RUN(garbage_keeps_the_kernel_serving);
    return test_summary();
}
