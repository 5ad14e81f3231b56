/* handlers.c — msg_type -> handler table, busy/idle bracketing, the requests. */
#include "handlers.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h" /* CGPU_VERSION */

#define NO_STDIN_MSG "input() is not available: the frontend does not support stdin"

/* ---- replies ------------------------------------------------------------------ */

/* Sends msg_type on ch to m's identities with m as parent. 0 or -1 (logged). */
static int send_reply(kn_kernel *k, kn_channel ch, const kn_msg *m, const char *msg_type,
                      json_t *metadata, json_t *content) {
    kn_frames out = {0};
    int r = kn_encode(k->sess, &out, &m->idents, msg_type, &m->header_raw, metadata, content);
    kn_log_msg("send", kn_channel_name(ch), &out);
    if (r == 0) r = k->tr->send(k->tr, ch, &out);
    if (r) kn_log("could not send %s on %s", msg_type, kn_channel_name(ch));
    kn_frames_free(&out);
    return r;
}

/* "<x>_request" -> "<x>_reply" into buf; NULL when msg_type is no request. */
static const char *reply_type(const char *msg_type, char *buf, size_t cap) {
    size_t n = strlen(msg_type);
    if (n <= 8 || strcmp(msg_type + n - 8, "_request") != 0 || n - 8 + 7 >= cap) return NULL;
    memcpy(buf, msg_type, n - 8);
    memcpy(buf + n - 8, "_reply", 7);
    return buf;
}

/* Answers a request with status "error" (no-op for non-requests). */
static void reply_error(kn_kernel *k, kn_channel ch, const kn_msg *m, const char *ename, const char *evalue) {
    char rt[160];
    if (!reply_type(m->msg_type, rt, sizeof rt)) return;
    json_t *c = json_pack("{s:s, s:s, s:o, s:[]}", "status", "error", "ename", ename,
                          "evalue", mime_json_text(evalue, strlen(evalue)), "traceback");
    send_reply(k, ch, m, rt, NULL, c);
    json_decref(c);
}

/* Content field helpers: the value when it has the right type, else dflt. */
static const char *str_field(json_t *c, const char *key) {
    json_t *v = json_object_get(c, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}
static int bool_field(json_t *c, const char *key, int dflt) {
    json_t *v = json_object_get(c, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* Number of Unicode code points in s (cursor positions count those). */
static json_t *bundle_json(const lang_bundle *b) { return mime_json_bundle(b->n, b->mime, b->data); }

static json_t *traceback_json(const lang_result *r) {
    json_t *tb = json_array();
    for (int i = 0; i < r->ntraceback; i++)
        if (r->traceback && r->traceback[i]) json_array_append_new(tb, mime_json_text(r->traceback[i], strlen(r->traceback[i])));
    return tb;
}

/* Adds status "error", ename, evalue, traceback from r to obj. */
static void set_error_fields(json_t *obj, const lang_result *r) {
    const char *ename = r->ename ? r->ename : "Error", *evalue = r->evalue ? r->evalue : "";
    json_object_set_new(obj, "status", json_string("error"));
    json_object_set_new(obj, "ename", mime_json_text(ename, strlen(ename)));
    json_object_set_new(obj, "evalue", mime_json_text(evalue, strlen(evalue)));
    json_object_set_new(obj, "traceback", traceback_json(r));
}

/* The interpreter, made on first use (kernel_info needs none, so start-up
 * does not wait for it). 0, or -1 with an error reply sent. */
static int ensure_lang(kn_kernel *k, kn_channel ch, const kn_msg *m) {
    if (k->lang.L || !k->lang.create) return 0;
    k->lang.L = k->lang.create();
    if (k->lang.L) return 0;
    reply_error(k, ch, m, "MemoryError", "could not create the interpreter (out of memory)");
    return -1;
}

/* ---- the running cell's side effects (lang_output callbacks) -------------------- */

static void out_stream(void *ctx, const char *name, const char *text, size_t len) {
    kn_kernel *k = ctx;
    if (k->cur_silent || !k->cur) return;
    kn_iopub_stream(&k->iopub, &k->cur->header_raw, name, text, len);
}

static void out_display(void *ctx, const lang_bundle *bundle, const char *display_id, int update) {
    kn_kernel *k = ctx;
    if (k->cur_silent || !k->cur || !bundle) return;
    if (update && !display_id) { kn_log("update_display_data without a display_id: dropped"); return; }
    json_t *c = json_pack("{s:o, s:{}}", "data", bundle_json(bundle), "metadata");
    if (display_id) json_object_set_new(c, "transient", json_pack("{s:s}", "display_id", display_id));
    kn_iopub_send(&k->iopub, update ? "update_display_data" : "display_data", &k->cur->header_raw, c);
    json_decref(c);
}

static void out_clear(void *ctx, int wait) {
    kn_kernel *k = ctx;
    if (k->cur_silent || !k->cur) return;
    json_t *c = json_pack("{s:b}", "wait", wait != 0);
    kn_iopub_send(&k->iopub, "clear_output", &k->cur->header_raw, c);
    json_decref(c);
}

static int interrupted(kn_kernel *k) {
    volatile sig_atomic_t *f = k->lang.interrupt_flag ? k->lang.interrupt_flag(k->lang.L) : NULL;
    return (f && *f) || atomic_load(&k->stop);
}

/* input(): input_request on stdin to the executing request's identities,
 * then wait for its input_reply, checking for an interrupt meanwhile. */
static int out_input(void *ctx, const char *prompt, int password, char **value) {
    kn_kernel *k = ctx;
    *value = NULL;
    if (!k->cur || !k->cur_allow_stdin) { *value = strdup(NO_STDIN_MSG); return -1; }
    kn_iopub_flush(&k->iopub); /* what the cell printed comes before the prompt */

    kn_frames stale = {0};
    while (k->tr->recv(k->tr, KN_STDIN, &stale, 0) == 1) kn_frames_free(&stale); /* old replies */

    json_t *c = json_pack("{s:s, s:b}", "prompt", "", "password", password != 0);
    if (prompt) json_object_set_new(c, "prompt", mime_json_text(prompt, strlen(prompt)));
    int r = send_reply(k, KN_STDIN, k->cur, "input_request", NULL, c);
    json_decref(c);
    if (r) { *value = strdup("input(): could not send the input request"); return -1; }

    for (;;) {
        kn_frames f = {0};
        r = k->tr->recv(k->tr, KN_STDIN, &f, k->stdin_poll_ms);
        if (r < 0) { *value = strdup("input(): the stdin channel is closed"); return -1; }
        if (r == 0) {
            if (interrupted(k)) { *value = strdup("KeyboardInterrupt"); return -1; }
            continue;
        }
        kn_msg m;
        char why[256];
        kn_log_msg("recv", "stdin", &f);
        kn_decode_status st = kn_decode(k->sess, &f, &m, why, sizeof why);
        if (st == KN_DECODE_DROP) { atomic_fetch_add(&k->ndropped, 1); kn_log("dropped a message on stdin: %s", why); continue; }
        if (st == KN_DECODE_OK && strcmp(m.msg_type, "input_reply") == 0) {
            const char *v = str_field(m.content, "value");
            *value = strdup(v ? v : "");
            kn_msg_clear(&m);
            return *value ? 0 : -1;
        }
        kn_log("ignored %s on stdin while waiting for input_reply", m.msg_type);
        kn_msg_clear(&m);
    }
}

/* ---- handlers ----------------------------------------------------------------- */

typedef void (*handler_fn)(kn_kernel *k, kn_channel ch, kn_msg *m);

/* Moves the shell messages queued behind a failed cell into the pending
 * ring, marked "abort": what ipykernel does after an error with
 * stop_on_error, so a notebook's later cells do not run on a broken state.
 * Only what is already queued is aborted (abort_window_ms = 0, ipykernel's
 * stop_on_error_timeout default): a client that waits for the reply before
 * sending its next cell (nbclient with allow_errors) must not lose it. */
static void abort_queued(kn_kernel *k) {
    kn_frames f = {0};
    double until = kn_now() + k->abort_window_ms / 1000.0;
    for (;;) {
        int wait = (int)((until - kn_now()) * 1000.0);
        if (k->tr->recv(k->tr, KN_SHELL, &f, wait > 0 ? wait : 0) != 1) break;
        if (k->pend_n == k->pend_cap) {
            int cap = k->pend_cap ? 2 * k->pend_cap : 16;
            kn_pending *v = malloc((size_t)cap * sizeof *v);
            if (!v) { kn_frames_free(&f); kn_log("out of memory queueing requests"); return; }
            for (int i = 0; i < k->pend_n; i++) v[i] = k->pend[(k->pend_head + i) % k->pend_cap];
            free(k->pend);
            k->pend = v;
            k->pend_cap = cap;
            k->pend_head = 0;
        }
        kn_pending *p = &k->pend[(k->pend_head + k->pend_n) % k->pend_cap];
        p->frames = f;
        p->abort = 1;
        k->pend_n++;
        memset(&f, 0, sizeof f);
    }
}

/* The user_expressions of a reply: each evaluated after the cell, as a
 * bundle or an error. */
static json_t *user_expressions_json(kn_kernel *k, json_t *uexprs) {
    json_t *ue = json_object();
    const char *name;
    json_t *ev;
    json_object_foreach(json_is_object(uexprs) ? uexprs : NULL, name, ev) {
        json_t *one = json_object();
        lang_result r;
        memset(&r, 0, sizeof r);
        if (!json_is_string(ev)) {
            lang_result bad = { .status = LANG_ERROR, .ename = "TypeError", .evalue = "expression is not a string" };
            set_error_fields(one, &bad);
        } else if (!k->lang.eval_expression) {
            lang_result bad = { .status = LANG_ERROR, .ename = "NotImplementedError", .evalue = "no evaluator" };
            set_error_fields(one, &bad);
        } else if (k->lang.eval_expression(k->lang.L, json_string_value(ev), &r) == LANG_OK) {
            json_object_set_new(one, "status", json_string("ok"));
            json_object_set_new(one, "data", bundle_json(&r.value));
            json_object_set_new(one, "metadata", json_object());
        } else {
            set_error_fields(one, &r);
        }
        if (k->lang.result_clear) k->lang.result_clear(&r);
        json_object_set_new(ue, name, one);
    }
    return ue;
}

/* Announces the cell: clears a stale interrupt BEFORE execute_input goes
 * out (one aimed at an earlier cell must not hit this one, and one sent by
 * a client that has seen execute_input must never be lost); from here an
 * interrupt reaches the cell. */
static void announce_cell(kn_kernel *k, kn_msg *m, const char *code, int count, int silent) {
    if (k->lang.clear_interrupt) k->lang.clear_interrupt(k->lang.L);
    else if (k->lang.interrupt_flag) *k->lang.interrupt_flag(k->lang.L) = 0;
    atomic_store(&k->cell_running, 1);
    if (!silent) {
        json_t *in = json_pack("{s:o, s:i}", "code", mime_json_text(code, strlen(code)), "execution_count", count);
        kn_iopub_send(&k->iopub, "execute_input", &m->header_raw, in);
        json_decref(in);
    }
}

/* Runs the cell with its side effects routed to iopub (out_*), then flushes
 * the streams. */
static lang_status run_cell(kn_kernel *k, kn_msg *m, const char *code, int silent, int allow_stdin, lang_result *res) {
    k->cur = m;
    k->cur_silent = silent;
    k->cur_allow_stdin = allow_stdin;
    lang_output out = { .ctx = k, .stream = out_stream, .display = out_display,
                        .clear_output = out_clear, .input = out_input };
    memset(res, 0, sizeof *res);
    lang_status st = k->lang.execute(k->lang.L, code, &out, silent, res);
    atomic_store(&k->cell_running, 0);
    kn_iopub_flush(&k->iopub);
    k->cur = NULL;
    return st;
}

/* The outcome on iopub (execute_result or error, none when silent) and the
 * reply's fields; returns the result's text/plain (borrowed from res) for
 * the history. */
static const char *publish_outcome(kn_kernel *k, kn_msg *m, lang_status st, lang_result *res, int count, int silent,
                                   json_t *uexprs, json_t *reply) {
    const char *result_text = NULL;
    if (st == LANG_OK) {
        if (!silent && res->value.n > 0) {
            json_t *er = json_pack("{s:i, s:o, s:{}}", "execution_count", count, "data", bundle_json(&res->value),
                                   "metadata");
            kn_iopub_send(&k->iopub, "execute_result", &m->header_raw, er);
            json_decref(er);
        }
        for (int i = 0; i < res->value.n; i++)
            if (res->value.mime[i] && strcmp(res->value.mime[i], "text/plain") == 0) result_text = res->value.data[i];
        json_object_set_new(reply, "status", json_string("ok"));
        json_object_set_new(reply, "user_expressions", user_expressions_json(k, uexprs));
    } else {
        set_error_fields(reply, res);
        if (!silent) {
            json_t *e = json_object();
            set_error_fields(e, res);
            json_object_del(e, "status");
            kn_iopub_send(&k->iopub, "error", &m->header_raw, e);
            json_decref(e);
        }
        json_object_set_new(reply, "user_expressions", json_object());
    }
    return result_text;
}

static void h_execute(kn_kernel *k, kn_channel ch, kn_msg *m) {
    json_t *c = m->content;
    const char *code = str_field(c, "code");
    if (!code) { reply_error(k, ch, m, "BadRequest", "execute_request without a \"code\" string"); return; }
    if (!k->lang.execute) { reply_error(k, ch, m, "NotImplementedError", "this kernel has no interpreter"); return; }
    if (ensure_lang(k, ch, m)) return;
    int silent = bool_field(c, "silent", 0);
    int store_history = silent ? 0 : bool_field(c, "store_history", 1);
    int allow_stdin = bool_field(c, "allow_stdin", 0);
    int stop_on_error = bool_field(c, "stop_on_error", 1);
    char started[64];
    kn_iso_now(started);

    if (!silent && store_history) k->execution_count++;
    int count = k->execution_count;
    announce_cell(k, m, code, count, silent);
    lang_result res;
    lang_status st = run_cell(k, m, code, silent, allow_stdin, &res);

    json_t *reply = json_object();
    const char *result_text = publish_outcome(k, m, st, &res, count, silent,
                                              json_object_get(c, "user_expressions"), reply);
    json_object_set_new(reply, "execution_count", json_integer(count));
    json_object_set_new(reply, "payload", json_array());
    if (store_history) kn_history_add(&k->hist, count, code, result_text);

    /* Abort what is queued now, before the reply and the idle go out: a
     * client that waits for either before sending its next request cannot
     * have that request caught here. ipykernel aborts only after a failing
     * execute that was not silent. */
    if (st != LANG_OK && stop_on_error && !silent) abort_queued(k);

    json_t *md = json_pack("{s:s, s:s, s:b}", "started", started, "status", st == LANG_OK ? "ok" : "error",
                           "dependencies_met", 1);
    send_reply(k, ch, m, "execute_reply", md, reply);
    json_decref(md);
    json_decref(reply);
    if (k->lang.result_clear) k->lang.result_clear(&res);
}

static void h_aborted(kn_kernel *k, kn_channel ch, kn_msg *m) {
    char rt[160];
    if (!reply_type(m->msg_type, rt, sizeof rt)) return;
    kn_log("aborting %s %s (an earlier cell failed)", m->msg_type, m->msg_id);
    json_t *c = json_pack("{s:s}", "status", "aborted");
    send_reply(k, ch, m, rt, c, c); /* ipykernel puts the status in metadata too */
    json_decref(c);
}

static json_t *build_info(kn_kernel *k) {
    const lang_info_t *li = k->lang.info ? k->lang.info() : NULL;
    static const lang_info_t none = { "cgpu", "", "text/x-cgpu", ".cg", "python", "python", "python", "C-GPU" };
    if (!li) li = &none;
#define S(x) ((x) ? (x) : "")
    json_t *lang = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                             "name", S(li->name), "version", S(li->version), "mimetype", S(li->mimetype),
                             "file_extension", S(li->file_extension), "pygments_lexer", S(li->pygments_lexer),
                             "codemirror_mode", S(li->codemirror_mode), "nbconvert_exporter", S(li->nbconvert_exporter));
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:[], s:b}",
                     "status", "ok", "protocol_version", KN_PROTOCOL_VERSION, "implementation", "cgpu",
                     "implementation_version", CGPU_VERSION, "language_info", lang, "banner", S(li->banner),
                     "help_links", "debugger", 0);
#undef S
}

static void h_kernel_info(kn_kernel *k, kn_channel ch, kn_msg *m) {
    /* serialized once at start: shell and control may answer at the same time */
    kn_frames out = {0};
    int r = kn_encode_raw(k->sess, &out, &m->idents, "kernel_info_reply", &m->header_raw, "{}", 2, k->info,
                          strlen(k->info));
    kn_log_msg("send", kn_channel_name(ch), &out);
    if (r == 0) r = k->tr->send(k->tr, ch, &out);
    if (r) kn_log("could not send kernel_info_reply on %s", kn_channel_name(ch));
    kn_frames_free(&out);
}

static void h_complete(kn_kernel *k, kn_channel ch, kn_msg *m) {
    const char *code = str_field(m->content, "code");
    if (!code) { reply_error(k, ch, m, "BadRequest", "complete_request without a \"code\" string"); return; }
    if (ensure_lang(k, ch, m)) return;
    json_t *cp = json_object_get(m->content, "cursor_pos");
    int len = (int)utf8_length(code, strlen(code));
    int pos = json_is_integer(cp) ? (int)json_integer_value(cp) : len;
    if (pos < 0 || pos > len) pos = len;
    lang_completion comp;
    memset(&comp, 0, sizeof comp);
    comp.cursor_start = comp.cursor_end = pos;
    if (k->lang.complete) k->lang.complete(k->lang.L, code, pos, &comp);
    json_t *matches = json_array();
    for (int i = 0; i < comp.n; i++)
        if (comp.matches[i]) json_array_append_new(matches, mime_json_text(comp.matches[i], strlen(comp.matches[i])));
    json_t *c = json_pack("{s:o, s:i, s:i, s:{}, s:s}", "matches", matches, "cursor_start", comp.cursor_start,
                          "cursor_end", comp.cursor_end, "metadata", "status", "ok");
    send_reply(k, ch, m, "complete_reply", NULL, c);
    json_decref(c);
    if (k->lang.completion_clear) k->lang.completion_clear(&comp);
}

static void h_inspect(kn_kernel *k, kn_channel ch, kn_msg *m) {
    const char *code = str_field(m->content, "code");
    if (!code) { reply_error(k, ch, m, "BadRequest", "inspect_request without a \"code\" string"); return; }
    if (ensure_lang(k, ch, m)) return;
    json_t *cp = json_object_get(m->content, "cursor_pos");
    json_t *dl = json_object_get(m->content, "detail_level");
    int len = (int)utf8_length(code, strlen(code));
    int pos = json_is_integer(cp) ? (int)json_integer_value(cp) : len;
    if (pos < 0 || pos > len) pos = len;
    lang_bundle doc;
    memset(&doc, 0, sizeof doc);
    int found = k->lang.inspect ? k->lang.inspect(k->lang.L, code, pos, json_is_integer(dl) ? (int)json_integer_value(dl) : 0, &doc) : 0;
    json_t *c = json_pack("{s:s, s:b, s:o, s:{}}", "status", "ok", "found", found != 0,
                          "data", found ? bundle_json(&doc) : json_object(), "metadata");
    send_reply(k, ch, m, "inspect_reply", NULL, c);
    json_decref(c);
    if (k->lang.bundle_clear) k->lang.bundle_clear(&doc);
}

static void h_is_complete(kn_kernel *k, kn_channel ch, kn_msg *m) {
    const char *code = str_field(m->content, "code");
    if (!code) { reply_error(k, ch, m, "BadRequest", "is_complete_request without a \"code\" string"); return; }
    if (ensure_lang(k, ch, m)) return;
    char indent[64] = "";
    const char *st = k->lang.is_complete ? k->lang.is_complete(k->lang.L, code, indent, sizeof indent) : NULL;
    if (!st) st = "unknown";
    json_t *c = json_pack("{s:s}", "status", st);
    if (strcmp(st, "incomplete") == 0) json_object_set_new(c, "indent", json_string(indent));
    send_reply(k, ch, m, "is_complete_reply", NULL, c);
    json_decref(c);
}

static void h_history(kn_kernel *k, kn_channel ch, kn_msg *m) {
    json_t *c = kn_history_reply(&k->hist, m->content);
    if (!c) { reply_error(k, ch, m, "MemoryError", "out of memory"); return; }
    send_reply(k, ch, m, "history_reply", NULL, c);
    json_decref(c);
}

static void h_comm_info(kn_kernel *k, kn_channel ch, kn_msg *m) {
    json_t *c = json_pack("{s:s, s:{}}", "status", "ok", "comms");
    send_reply(k, ch, m, "comm_info_reply", NULL, c);
    json_decref(c);
}

/* No comm targets exist: close every comm a frontend opens, as ipykernel
 * does for an unknown target, so the frontend does not wait on it. */
static void h_comm_open(kn_kernel *k, kn_channel ch, kn_msg *m) {
    const char *target = str_field(m->content, "target_name");
    const char *id = str_field(m->content, "comm_id");
    kn_log("no such comm target registered: %s", target ? target : "(none)");
    if (!id) return;
    json_t *c = json_pack("{s:s, s:{}}", "comm_id", id, "data");
    kn_iopub_send(&k->iopub, "comm_close", &m->header_raw, c);
    json_decref(c);
}

static void h_comm_other(kn_kernel *k, kn_channel ch, kn_msg *m) {
    const char *id = str_field(m->content, "comm_id");
    kn_log("%s for unknown comm %s: ignored", m->msg_type, id ? id : "(none)");
}

static void h_connect(kn_kernel *k, kn_channel ch, kn_msg *m) {
    json_t *c = json_pack("{s:s}", "status", "ok");
    static const char *const names[KN_NPORTS] = { "shell_port", "control_port", "stdin_port", "iopub_port", "hb_port" };
    for (int i = 0; i < KN_NPORTS; i++)
        if (k->ports[i]) json_object_set_new(c, names[i], json_integer(k->ports[i]));
    send_reply(k, ch, m, "connect_reply", NULL, c);
    json_decref(c);
}

static void h_shutdown(kn_kernel *k, kn_channel ch, kn_msg *m) {
    int restart = bool_field(m->content, "restart", 0);
    json_t *c = json_pack("{s:s, s:b}", "status", "ok", "restart", restart);
    send_reply(k, ch, m, "shutdown_reply", NULL, c);
    /* also on IOPub, as ipykernel does: every client learns of it */
    kn_iopub_send(&k->iopub, "shutdown_reply", &m->header_raw, c);
    json_decref(c);
    kn_kernel_request_stop(k, restart);
}

static void h_interrupt(kn_kernel *k, kn_channel ch, kn_msg *m) {
    kn_kernel_interrupt(k);
    json_t *c = json_pack("{s:s}", "status", "ok");
    send_reply(k, ch, m, "interrupt_reply", NULL, c);
    json_decref(c);
}

#define SH (1u << KN_SHELL)
#define CT (1u << KN_CONTROL)
/* Control serves what is safe while a cell runs on the shell thread. */
static const struct { const char *type; handler_fn fn; unsigned channels; } handlers[] = {
    { "execute_request",     h_execute,     SH },
    { "kernel_info_request", h_kernel_info, SH | CT },
    { "complete_request",    h_complete,    SH },
    { "inspect_request",     h_inspect,     SH },
    { "is_complete_request", h_is_complete, SH },
    { "history_request",     h_history,     SH },
    { "comm_info_request",   h_comm_info,   SH | CT },
    { "comm_open",           h_comm_open,   SH },
    { "comm_msg",            h_comm_other,  SH },
    { "comm_close",          h_comm_other,  SH },
    { "connect_request",     h_connect,     SH | CT },
    { "shutdown_request",    h_shutdown,    SH | CT },
    { "interrupt_request",   h_interrupt,   SH | CT },
};

/* ---- dispatch ------------------------------------------------------------------- */

void kn_dispatch(kn_kernel *k, kn_channel ch, kn_frames *frames, int abort) {
    kn_msg m;
    char why[256];
    kn_log_msg("recv", kn_channel_name(ch), frames);
    kn_decode_status st = kn_decode(k->sess, frames, &m, why, sizeof why);
    if (st == KN_DECODE_DROP) {
        atomic_fetch_add(&k->ndropped, 1);
        kn_log("dropped a message on %s: %s", kn_channel_name(ch), why);
        return;
    }
    atomic_fetch_add(&k->nhandled, 1);
    kn_iopub_status(&k->iopub, "busy", &m.header_raw);
    if (st == KN_DECODE_BAD_CONTENT) {
        kn_log("bad %s on %s: %s", m.msg_type, kn_channel_name(ch), why);
        reply_error(k, ch, &m, "BadRequest", why);
    } else if (abort && strcmp(m.msg_type, "execute_request") == 0) {
        h_aborted(k, ch, &m);
    } else {
        size_t i = 0, n = sizeof handlers / sizeof handlers[0];
        while (i < n && strcmp(handlers[i].type, m.msg_type) != 0) i++;
        if (i == n) {
            kn_log("unknown message type %.128s on %s: ignored", m.msg_type, kn_channel_name(ch));
        } else if (!(handlers[i].channels & (1u << ch))) {
            kn_log("%s is not served on %s", m.msg_type, kn_channel_name(ch));
            char msg[200];
            snprintf(msg, sizeof msg, "%s is not served on the %s channel", m.msg_type, kn_channel_name(ch));
            reply_error(k, ch, &m, "UnsupportedChannel", msg);
        } else {
            handlers[i].fn(k, ch, &m);
        }
    }
    kn_iopub_status(&k->iopub, "idle", &m.header_raw);
    kn_msg_clear(&m);
}

int kn_serve_shell(kn_kernel *k, int timeout_ms) {
    if (k->pend_n > 0) {
        kn_pending p = k->pend[k->pend_head];
        k->pend_head = (k->pend_head + 1) % k->pend_cap;
        k->pend_n--;
        kn_dispatch(k, KN_SHELL, &p.frames, p.abort);
        return 1;
    }
    kn_frames f = {0};
    int r = k->tr->recv(k->tr, KN_SHELL, &f, timeout_ms);
    if (r <= 0) return r;
    kn_dispatch(k, KN_SHELL, &f, 0);
    return 1;
}

/* ---- life cycle --------------------------------------------------------------- */

int kn_kernel_init(kn_kernel *k, kn_session *sess, kn_transport *tr, const kn_lang *lang) {
    memset(k, 0, sizeof *k);
    k->sess = sess;
    k->tr = tr;
    k->lang = *lang;
    k->stdin_poll_ms = 100;
    k->abort_window_ms = 0;
    atomic_init(&k->cell_running, 0);
    atomic_init(&k->stop, 0);
    atomic_init(&k->restart, 0);
    if (kn_iopub_init(&k->iopub, sess, tr)) return -1;
    json_t *info = build_info(k);
    k->info = info ? json_dumps(info, JSON_COMPACT) : NULL;
    json_decref(info);
    if (!k->info) { kn_iopub_destroy(&k->iopub); return -1; }
    return 0;
}

void kn_kernel_destroy(kn_kernel *k) {
    kn_iopub_destroy(&k->iopub);
    for (int i = 0; i < k->pend_n; i++) kn_frames_free(&k->pend[(k->pend_head + i) % k->pend_cap].frames);
    free(k->pend);
    kn_history_clear(&k->hist);
    free(k->info);
    memset(k, 0, sizeof *k);
}

void kn_kernel_starting(kn_kernel *k) { kn_iopub_status(&k->iopub, "starting", NULL); }

void kn_kernel_request_stop(kn_kernel *k, int restart) {
    atomic_store(&k->restart, restart);
    atomic_store(&k->stop, 1);
    kn_kernel_interrupt(k);
    if (k->tr->wake) k->tr->wake(k->tr);
}

void kn_kernel_interrupt(kn_kernel *k) {
    /* cell_running is set after L exists, so L is valid whenever it is 1 */
    if (atomic_load(&k->cell_running) && k->lang.interrupt) k->lang.interrupt(k->lang.L);
}
