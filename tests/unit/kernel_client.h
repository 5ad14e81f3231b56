/* kernel_client.h — a tiny Jupyter client for the kernel_* unit tests:
 * builds signed requests as jupyter_client would and reads back what the
 * kernel sent through the mock transport. Header-only (static functions). */
#ifndef CGPU_TEST_KERNEL_CLIENT_H
#define CGPU_TEST_KERNEL_CLIENT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jupyter/codec.h"
#include "jupyter/hmac.h"
#include "jupyter/transport.h"
#include "jupyter/transport_mock.h"

#define TEST_KEY "0f6c8e1c-3b44-4b1e-9f0e-7d2c5a6b8e90"

static __attribute__((unused)) kn_signer *client_signer(void) {
    char err[200];
    return kn_signer_new("hmac-sha256", TEST_KEY, strlen(TEST_KEY), err, sizeof err);
}

/* Frames of a request: [ident] <IDS|MSG> sig header parent metadata content.
 * content_json is raw text (may be deliberately broken). msg_type NULL
 * leaves it out of the header. */
static __attribute__((unused)) kn_frames make_request_raw(kn_signer *s, const char *ident, const char *msg_type, const char *msg_id,
                                  const char *content_json, size_t content_len) {
    kn_frames f = {0};
    char header[512];
    if (msg_type)
        snprintf(header, sizeof header,
                 "{\"msg_id\":\"%s\",\"session\":\"client-session\",\"username\":\"tester\","
                 "\"date\":\"2024-01-01T00:00:00.000000Z\",\"msg_type\":\"%s\",\"version\":\"5.3\"}",
                 msg_id, msg_type);
    else
        snprintf(header, sizeof header, "{\"msg_id\":\"%s\",\"session\":\"client-session\"}", msg_id);
    const void *parts[4] = { header, "{}", "{}", content_json };
    size_t lens[4] = { strlen(header), 2, 2, content_len };
    char sig[KN_SIG_HEX_MAX + 1];
    kn_sign(s, parts, lens, 4, sig);
    if (ident) kn_frames_push(&f, ident, strlen(ident));
    kn_frames_push(&f, KN_DELIM, strlen(KN_DELIM));
    kn_frames_push(&f, sig, strlen(sig));
    for (int i = 0; i < 4; i++) kn_frames_push(&f, parts[i], lens[i]);
    return f;
}

static __attribute__((unused)) kn_frames make_request(kn_signer *s, const char *msg_type, const char *msg_id, const char *content_json) {
    return make_request_raw(s, "client-1", msg_type, msg_id, content_json, strlen(content_json));
}

/* What the kernel sent, decoded by the test. Owned by the test (out_clear). */
typedef struct {
    char    prefix[256];  /* first frame: identity or topic */
    int     sig_ok;
    json_t *header, *parent, *metadata, *content;
    const char *msg_type; /* borrowed from header */
} out_msg;

static __attribute__((unused)) void out_clear(out_msg *o) {
    json_decref(o->header); json_decref(o->parent); json_decref(o->metadata); json_decref(o->content);
    memset(o, 0, sizeof *o);
}

/* Decodes frames sent by the kernel. 0, or -1 when malformed. */
static __attribute__((unused)) int out_decode(kn_signer *s, const kn_frames *f, out_msg *o) {
    memset(o, 0, sizeof *o);
    int d = -1;
    for (int i = 0; i < f->n; i++)
        if (f->v[i].len == 9 && memcmp(f->v[i].data, KN_DELIM, 9) == 0) { d = i; break; }
    if (d < 0 || f->n - d - 1 < 5) return -1;
    if (d > 0) {
        size_t n = f->v[0].len < sizeof o->prefix - 1 ? f->v[0].len : sizeof o->prefix - 1;
        memcpy(o->prefix, f->v[0].data, n);
    }
    const void *parts[4];
    size_t lens[4];
    for (int i = 0; i < 4; i++) { parts[i] = f->v[d + 2 + i].data; lens[i] = f->v[d + 2 + i].len; }
    o->sig_ok = kn_verify(s, f->v[d + 1].data, f->v[d + 1].len, parts, lens, 4);
    o->header = json_loadb((const char *)parts[0], lens[0], 0, NULL);
    o->parent = json_loadb((const char *)parts[1], lens[1], 0, NULL);
    o->metadata = json_loadb((const char *)parts[2], lens[2], 0, NULL);
    o->content = json_loadb((const char *)parts[3], lens[3], 0, NULL);
    if (!o->header || !o->parent || !o->metadata || !o->content) return -1;
    o->msg_type = json_string_value(json_object_get(o->header, "msg_type"));
    return o->msg_type ? 0 : -1;
}

/* Pops the next message the kernel sent on ch. 1 with *o, 0 when none. */
static __attribute__((unused)) int pop_out(kn_transport *t, kn_signer *s, kn_channel ch, out_msg *o) {
    kn_frames f = {0};
    if (!kn_mock_pop(t, ch, &f)) { memset(o, 0, sizeof *o); return 0; }
    int r = out_decode(s, &f, o);
    kn_frames_free(&f);
    if (r) { out_clear(o); return 0; }
    return 1;
}

static __attribute__((unused)) const char *jstr(json_t *obj, const char *key) {
    return json_string_value(json_object_get(obj, key));
}

static __attribute__((unused)) const char *parent_id(const out_msg *o) { return jstr(o->parent, "msg_id"); }

#endif
