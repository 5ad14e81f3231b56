/* fuzz_frames.c — libFuzzer harness for the wire side of the protocol:
 * frame decoding (kn_decode), signature checks (kn_sign / kn_verify), the
 * replay set, and a whole request through the handler table (kn_dispatch
 * over the mock transport, with a small fake language).
 *
 * Input layout: byte 0 picks the mode, the rest is split into frames at
 * every 0xFF byte (never present in UTF-8 JSON or in hex signatures, so
 * real messages keep their shape):
 *
 *   mode % 6 == 0  unsigned session: decode as is (everything past the
 *                  frame count reaches the JSON parser)
 *   mode % 6 == 1  signed session, frames as is: arbitrary signatures
 *                  must never be accepted (asserted)
 *   mode % 6 == 2  signed session, the harness writes the right signature
 *                  in the frame after <IDS|MSG>: the parser behind the
 *                  signature check is reached with a signing key
 *   mode % 6 == 3  as 2, decoded twice: the second copy must be dropped
 *                  as a replay (asserted)
 *   mode % 6 == 4  kn_verify property: for each hash scheme, a correct
 *                  signature verifies and one changed byte does not
 *   mode % 6 == 5  unsigned kernel: the frames go through kn_dispatch on
 *                  shell or control (bit 3 of mode); replies are drained
 *                  from the mock transport
 *
 * Everything here is deterministic: each run has its own replay set.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jupyter/codec.h"
#include "jupyter/handlers.h"
#include "jupyter/hmac.h"
#include "jupyter/transport_mock.h"

#define SEP 0xFF
static const char KEY[] = "fuzz-key-0123456789abcdef";

static kn_session *g_signed, *g_unsigned;

/* ---- a fake language for kn_dispatch: echoes code, never blocks ------------ */

static int g_lang_dummy;
static lang_status f_execute(lang_state *L, const char *code, const lang_output *out, int silent,
                             lang_result *res) {
    memset(res, 0, sizeof *res);
    size_t n = strlen(code);
    if (out && out->stream) out->stream(out->ctx, "stdout", code, n);
    if (n && code[0] == '!') { /* an error with a traceback */
        res->status = LANG_ERROR;
        res->ename = strdup("ValueError");
        res->evalue = strdup(code);
        res->traceback = calloc(1, sizeof *res->traceback);
        if (res->traceback) { res->traceback[0] = strdup(code); res->ntraceback = 1; }
        return LANG_ERROR;
    }
    if (!silent) lang_bundle_add(&res->value, "text/plain", code);
    return res->status = LANG_OK;
}
static lang_status f_eval(lang_state *L, const char *expr, lang_result *res) {
    memset(res, 0, sizeof *res);
    lang_bundle_add(&res->value, "text/plain", expr);
    return res->status = LANG_OK;
}
static volatile sig_atomic_t g_flag;
static void f_interrupt(lang_state *L) { g_flag = 1; }
static volatile sig_atomic_t *f_flag(lang_state *L) { return &g_flag; }
static void f_complete(lang_state *L, const char *code, int pos, lang_completion *c) {
    memset(c, 0, sizeof *c);
    c->matches = calloc(1, sizeof *c->matches);
    if (c->matches) { c->matches[0] = strdup("print"); c->n = c->matches[0] ? 1 : 0; }
    c->cursor_start = pos < 0 ? 0 : pos;
    c->cursor_end = pos < 0 ? 0 : pos;
}
static int f_inspect(lang_state *L, const char *code, int pos, int detail, lang_bundle *doc) {
    memset(doc, 0, sizeof *doc);
    if (!code[0]) return 0;
    lang_bundle_add(doc, "text/plain", code);
    return 1;
}
static const char *f_is_complete(lang_state *L, const char *code, char *indent, size_t cap) {
    size_t n = strlen(code);
    if (n && code[n - 1] == ':') { snprintf(indent, cap, "    "); return "incomplete"; }
    return "complete";
}
static const lang_info_t *f_info(void) {
    static const lang_info_t info = {"cgpu", "0", "text/x-cgpu", ".cg", "python", "python", "python", "fuzz"};
    return &info;
}
static void f_result_clear(lang_result *r) { lang_result_clear(r); }
static void f_bundle_clear(lang_bundle *b) { lang_bundle_clear(b); }
static void f_completion_clear(lang_completion *c) { lang_completion_clear(c); }

/* ---- helpers ------------------------------------------------------------------ */

static void split(const uint8_t *data, size_t size, kn_frames *out) {
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == SEP) {
            if (kn_frames_push(out, data + start, i - start) != 0) return;
            start = i + 1;
        }
    }
}

static int find_delim(const kn_frames *f) {
    for (int i = 0; i < f->n; i++)
        if (f->v[i].len == sizeof KN_DELIM - 1 && memcmp(f->v[i].data, KN_DELIM, f->v[i].len) == 0) return i;
    return -1;
}

/* The signature the session's signer gives frames d+2..d+5; -1 when the
 * message is too short. */
static int sign_of(const kn_signer *s, const kn_frames *f, int d, char *hex) {
    if (d < 0 || f->n - d - 1 < 5) return -1;
    const void *parts[4];
    size_t lens[4];
    for (int i = 0; i < 4; i++) { parts[i] = f->v[d + 2 + i].data; lens[i] = f->v[d + 2 + i].len; }
    return kn_sign(s, parts, lens, 4, hex);
}

static void copy_frames(const kn_frames *src, kn_frames *dst) {
    for (int i = 0; i < src->n; i++)
        if (kn_frames_push(dst, src->v[i].data, src->v[i].len) != 0) return;
}

/* Decodes f (consumed); on OK builds a reply to it, as the handlers do. */
static kn_decode_status decode_and_answer(kn_session *s, kn_frames *f) {
    kn_msg m;
    char why[256];
    kn_decode_status st = kn_decode(s, f, &m, why, sizeof why);
    if (st == KN_DECODE_DROP) {
        assert(why[0] != '\0');
        assert(strstr(why, KEY) == NULL);
        return st;
    }
    assert(m.header && m.msg_type && m.msg_id);
    kn_frames out = {0};
    json_t *content = json_pack("{s:s}", "status", st == KN_DECODE_OK ? "ok" : "error");
    int r = kn_encode(s, &out, &m.idents, "fuzz_reply", &m.header_raw, m.metadata, content);
    if (r == 0) {
        /* what we send must decode again (unsigned: no replay set to trip) */
        if (!kn_signer_enabled(s->signer)) {
            kn_msg back;
            kn_decode_status st2 = kn_decode(s, &out, &back, why, sizeof why);
            assert(st2 == KN_DECODE_OK);
            kn_msg_clear(&back);
        }
    }
    json_decref(content);
    kn_frames_free(&out);
    kn_msg_clear(&m);
    return st;
}

static void with_fresh_replay_set(kn_session *s) {
    kn_digests_free(s->seen);
    s->seen = kn_digests_new(8);
}

static void verify_property(const uint8_t *data, size_t size) {
    static const char *const schemes[] = {"hmac-sha256", "hmac-sha512", "hmac-md5", "hmac-sha1",
                                          "hmac-sha3_256", "hmac-blake2b", "hmac-blake2s"};
    static kn_signer *signers[sizeof schemes / sizeof *schemes];
    size_t ns = sizeof schemes / sizeof *schemes;
    if (!signers[0]) {
        char err[256];
        for (size_t i = 0; i < ns; i++) signers[i] = kn_signer_new(schemes[i], KEY, strlen(KEY), err, sizeof err);
    }
    /* four parts: quarters of the input */
    const void *parts[4];
    size_t lens[4], q = size / 4;
    for (int i = 0; i < 4; i++) { parts[i] = data + i * q; lens[i] = i == 3 ? size - 3 * q : q; }
    for (size_t i = 0; i < ns; i++) {
        if (!signers[i]) continue;
        char hex[KN_SIG_HEX_MAX + 1];
        int n = kn_sign(signers[i], parts, lens, 4, hex);
        assert(n > 0 && (size_t)n == kn_signer_hexlen(signers[i]));
        assert(kn_verify(signers[i], hex, (size_t)n, parts, lens, 4) == 1);
        size_t at = size ? data[0] % (size_t)n : 0;
        hex[at] = hex[at] == '0' ? '1' : '0';
        assert(kn_verify(signers[i], hex, (size_t)n, parts, lens, 4) == 0);
        hex[at] = hex[at] == '0' ? '1' : '0';
        assert(kn_verify(signers[i], hex, (size_t)n - 1, parts, lens, 4) == 0); /* length first */
    }
}

static void dispatch(const uint8_t *data, size_t size, int control) {
    kn_transport *tr = kn_mock_new();
    if (!tr) return;
    kn_lang lang = {
        .L = (lang_state *)&g_lang_dummy, .execute = f_execute, .eval_expression = f_eval,
        .interrupt = f_interrupt, .interrupt_flag = f_flag, .complete = f_complete, .inspect = f_inspect,
        .is_complete = f_is_complete, .info = f_info, .result_clear = f_result_clear,
        .bundle_clear = f_bundle_clear, .completion_clear = f_completion_clear,
    };
    kn_kernel k;
    if (kn_kernel_init(&k, g_unsigned, tr, &lang) != 0) { tr->destroy(tr); return; }
    k.stdin_poll_ms = 1;
    k.abort_window_ms = 0;
    kn_frames f = {0};
    split(data, size, &f);
    kn_dispatch(&k, control ? KN_CONTROL : KN_SHELL, &f, 0);
    kn_frames_free(&f);
    while (!control && kn_serve_shell(&k, 0) == 1) {}
    for (int ch = 0; ch < KN_NCHANNELS; ch++) {
        kn_frames o = {0};
        while (kn_mock_pop(tr, (kn_channel)ch, &o)) {
            /* every message the kernel sends is well formed */
            int d = find_delim(&o);
            assert(d >= 0 && o.n - d - 1 >= 5);
            kn_frames_free(&o);
        }
    }
    kn_kernel_destroy(&k);
    tr->destroy(tr);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    char err[256];
    kn_log_quiet = 1;
    g_signed = kn_session_new(kn_signer_new("hmac-sha256", KEY, strlen(KEY), err, sizeof err), "fuzz");
    g_unsigned = kn_session_new(kn_signer_new("hmac-sha256", "", 0, err, sizeof err), "fuzz");
    if (!g_signed || !g_unsigned) { fprintf(stderr, "fuzz_frames: cannot make sessions\n"); abort(); }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > (1u << 20)) return 0;
    unsigned mode = data[0];
    data++, size--;
    kn_frames f = {0};
    switch (mode % 6) {
    case 0:
        split(data, size, &f);
        decode_and_answer(g_unsigned, &f);
        break;
    case 1: {
        with_fresh_replay_set(g_signed);
        split(data, size, &f);
        int d = find_delim(&f);
        char hex[KN_SIG_HEX_MAX + 1];
        int genuine = sign_of(g_signed->signer, &f, d, hex) > 0 && f.v[d + 1].len == strlen(hex) &&
                      memcmp(f.v[d + 1].data, hex, strlen(hex)) == 0;
        kn_decode_status st = decode_and_answer(g_signed, &f);
        if (!genuine) assert(st == KN_DECODE_DROP); /* a forged signature never gets through */
        break;
    }
    case 2:
    case 3: {
        with_fresh_replay_set(g_signed);
        split(data, size, &f);
        int d = find_delim(&f);
        char hex[KN_SIG_HEX_MAX + 1];
        if (sign_of(g_signed->signer, &f, d, hex) > 0) {
            free(f.v[d + 1].data);
            f.v[d + 1].data = NULL;
            f.v[d + 1].len = 0;
            size_t n = strlen(hex);
            f.v[d + 1].data = malloc(n);
            if (!f.v[d + 1].data) break;
            memcpy(f.v[d + 1].data, hex, n);
            f.v[d + 1].len = n;
        }
        kn_frames again = {0};
        if (mode % 6 == 3) copy_frames(&f, &again);
        kn_decode_status st = decode_and_answer(g_signed, &f);
        if (mode % 6 == 3 && d >= 0) {
            kn_decode_status st2 = decode_and_answer(g_signed, &again);
            if (st != KN_DECODE_DROP) assert(st2 == KN_DECODE_DROP); /* the replay */
        }
        kn_frames_free(&again);
        break;
    }
    case 4:
        verify_property(data, size);
        break;
    case 5:
        dispatch(data, size, (mode >> 3) & 1);
        break;
    }
    kn_frames_free(&f);
    return 0;
}
