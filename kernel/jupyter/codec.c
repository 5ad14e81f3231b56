/* codec.c — frames <-> kn_msg, signing, ids, dates, UTF-8 hygiene. */
#include "codec.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* ---- frames ------------------------------------------------------------------ */

const char *kn_channel_name(kn_channel ch) {
    /* ORDER KN_CHANNEL */
    static const char *const names[KN_NCHANNELS] = { "shell", "control", "stdin", "iopub" };
    return (unsigned)ch < KN_NCHANNELS ? names[ch] : "?";
}

static int frames_grow(kn_frames *f) {
    if (f->n < f->cap) return 0;
    int cap = f->cap ? 2 * f->cap : 8;
    kn_frame *v = realloc(f->v, (size_t)cap * sizeof *v);
    if (!v) return -1;
    f->v = v;
    f->cap = cap;
    return 0;
}

int kn_frames_push_owned(kn_frames *f, void *data, size_t len) {
    if (frames_grow(f)) { free(data); return -1; }
    f->v[f->n].data = data;
    f->v[f->n].len = len;
    f->n++;
    return 0;
}

int kn_frames_push(kn_frames *f, const void *data, size_t len) {
    unsigned char *copy = malloc(len ? len : 1);
    if (!copy) return -1;
    if (len) memcpy(copy, data, len);
    return kn_frames_push_owned(f, copy, len);
}

void kn_frames_free(kn_frames *f) {
    for (int i = 0; i < f->n; i++) free(f->v[i].data);
    free(f->v);
    f->v = NULL;
    f->n = f->cap = 0;
}

/* ---- random ids, dates ------------------------------------------------------- */

/* xoshiro256** per thread, seeded from the kernel's entropy pool once per
 * thread: msg_ids need uniqueness, not secrecy, and cost one call each. */
static __thread uint64_t rng_s[4];
static __thread int rng_seeded;

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(void) {
    if (!rng_seeded) {
        if (getrandom(rng_s, sizeof rng_s, 0) != (ssize_t)sizeof rng_s) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            rng_s[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
            rng_s[1] = (uint64_t)ts.tv_sec * 0x9e3779b97f4a7c15ull;
            rng_s[2] = (uint64_t)(uintptr_t)&rng_s;
            rng_s[3] = 0x2545f4914f6cdd1dull;
        }
        if (!(rng_s[0] | rng_s[1] | rng_s[2] | rng_s[3])) rng_s[0] = 1;
        rng_seeded = 1;
    }
    uint64_t *s = rng_s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 45);
    return result;
}

void kn_uuid4(char buf[37]) {
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    uint64_t a = rng_next(), c = rng_next();
    memcpy(b, &a, 8);
    memcpy(b + 8, &c, 8);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char *p = buf;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
}

/* Every message header carries one: the calendar part is formatted once
 * per second per thread, the microseconds by hand. */
void kn_iso_now(char buf[64]) {
    static __thread time_t last = (time_t)-1;
    static __thread char prefix[40];
    static __thread size_t plen;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != last) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        int n = snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        plen = n > 0 && (size_t)n < sizeof prefix ? (size_t)n : 0;
        last = ts.tv_sec;
    }
    memcpy(buf, prefix, plen);
    char *p = buf + plen;
    long us = ts.tv_nsec / 1000;
    *p++ = '.';
    for (int i = 5; i >= 0; i--) { p[i] = (char)('0' + us % 10); us /= 10; }
    p[6] = 'Z';
    p[7] = '\0';
}

double kn_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int kn_log_quiet;

void kn_log(const char *fmt, ...) {
    if (kn_log_quiet) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "[cgpu-kernel] %s\n", line); /* one write: lines from threads do not interleave */
}

int kn_log_debug;

/* The value of "key":"..." in a JSON text (no parsing: a debug aid), or "". */
static void json_peek(const kn_frame *f, const char *key, char *out, size_t cap) {
    out[0] = '\0';
    if (!f || !f->data) return;
    char pat[32];
    int pl = snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = memmem(f->data, f->len, pat, (size_t)pl);
    if (!p) {
        pl = snprintf(pat, sizeof pat, "\"%s\": \"", key);
        p = memmem(f->data, f->len, pat, (size_t)pl);
    }
    if (!p) return;
    p += pl;
    const char *end = (const char *)f->data + f->len;
    size_t n = 0;
    while (p < end && *p != '"' && n + 1 < cap) out[n++] = *p++;
    out[n] = '\0';
}

void kn_log_msg(const char *dir, const char *channel, const kn_frames *f) {
    if (!kn_log_debug || kn_log_quiet) return;
    int d = -1;
    for (int i = 0; i < f->n; i++)
        if (f->v[i].len == sizeof KN_DELIM - 1 && memcmp(f->v[i].data, KN_DELIM, sizeof KN_DELIM - 1) == 0) { d = i; break; }
    char type[64], id[64], parent[64], state[16] = "";
    const kn_frame *h = d >= 0 && d + 2 < f->n ? &f->v[d + 2] : NULL;
    const kn_frame *p = d >= 0 && d + 3 < f->n ? &f->v[d + 3] : NULL;
    const kn_frame *c = d >= 0 && d + 5 < f->n ? &f->v[d + 5] : NULL;
    json_peek(h, "msg_type", type, sizeof type);
    json_peek(h, "msg_id", id, sizeof id);
    json_peek(p, "msg_id", parent, sizeof parent);
    if (strcmp(type, "status") == 0) json_peek(c, "execution_state", state, sizeof state);
    kn_log("%s %-7s %s%s%s id=%s parent=%s", dir, channel, type[0] ? type : "(unparsed)", state[0] ? "/" : "",
           state, id, parent);
}

/* ---- session ------------------------------------------------------------------ */

kn_session *kn_session_new(kn_signer *signer, const char *username) {
    kn_session *s = calloc(1, sizeof *s);
    if (!s) { kn_signer_free(signer); return NULL; }
    s->signer = signer;
    if (kn_signer_enabled(signer) && !(s->seen = kn_digests_new(KN_DIGEST_HISTORY))) goto fail;
    kn_uuid4(s->id);
    if (!username) username = getenv("USER");
    if (!username || !*username) username = "cgpu";
    json_t *u = mime_json_text(username, strlen(username));
    char *uj = u ? json_dumps(u, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    json_decref(u);
    if (!uj) goto fail;
    size_t cap = strlen(uj) + 128;
    s->fixed = malloc(cap);
    if (s->fixed)
        snprintf(s->fixed, cap, "\"session\":\"%s\",\"username\":%s,\"version\":\"" KN_PROTOCOL_VERSION "\"",
                 s->id, uj);
    free(uj);
    if (!s->fixed) goto fail;
    return s;
fail:
    kn_session_free(s);
    return NULL;
}

void kn_session_free(kn_session *s) {
    if (!s) return;
    kn_signer_free(s->signer);
    kn_digests_free(s->seen);
    free(s->fixed);
    free(s);
}

/* ---- decode ------------------------------------------------------------------- */

void kn_msg_clear(kn_msg *m) {
    kn_frames_free(&m->idents);
    kn_frames_free(&m->buffers);
    free(m->header_raw.data);
    json_decref(m->header);
    json_decref(m->parent);
    json_decref(m->metadata);
    json_decref(m->content);
    memset(m, 0, sizeof *m);
}

/* Moves frame i of f into dst (f keeps an empty slot). */
static int take_frame(kn_frames *f, int i, kn_frames *dst) {
    int r = kn_frames_push_owned(dst, f->v[i].data, f->v[i].len);
    f->v[i].data = NULL;
    return r;
}

/* Parses a JSON object frame. NULL with why filled when it is not one. */
static json_t *parse_object(const kn_frame *fr, const char *what, char *why, size_t whycap) {
    json_error_t je;
    json_t *j = json_loadb((const char *)fr->data, fr->len, 0, &je);
    if (!j) { snprintf(why, whycap, "%s is not valid JSON (%s)", what, je.text); return NULL; }
    if (!json_is_object(j)) { json_decref(j); snprintf(why, whycap, "%s is not a JSON object", what); return NULL; }
    return j;
}

kn_decode_status kn_decode(kn_session *s, kn_frames *f, kn_msg *m, char *why, size_t whycap) {
    memset(m, 0, sizeof *m);
    why[0] = '\0';
    int d = -1;
    for (int i = 0; i < f->n; i++)
        if (f->v[i].len == sizeof KN_DELIM - 1 && memcmp(f->v[i].data, KN_DELIM, sizeof KN_DELIM - 1) == 0) { d = i; break; }
    if (d < 0) { snprintf(why, whycap, "no <IDS|MSG> delimiter in %d frames", f->n); goto drop; }
    if (f->n - d - 1 < 5) {
        snprintf(why, whycap, "too few frames (%d after <IDS|MSG>, need 5)", f->n - d - 1);
        goto drop;
    }
    const kn_frame *sig = &f->v[d + 1];
    const void *parts[4];
    size_t lens[4];
    for (int i = 0; i < 4; i++) { parts[i] = f->v[d + 2 + i].data; lens[i] = f->v[d + 2 + i].len; }

    /* 1. signature over the raw frames, before anything is parsed */
    if (kn_signer_enabled(s->signer)) {
        if (sig->len == 0) { snprintf(why, whycap, "unsigned message"); goto drop; }
        if (!kn_verify(s->signer, sig->data, sig->len, parts, lens, 4)) {
            snprintf(why, whycap, "invalid signature"); goto drop;
        }
        /* 2. replay: only genuine signatures get here, so only they are kept */
        if (kn_digests_check_add(s->seen, sig->data, sig->len)) {
            snprintf(why, whycap, "duplicate signature (replayed message)"); goto drop;
        }
    }

    /* 3. header: without a usable one nothing can be answered */
    if (lens[0] > KN_MAX_HEADER) { snprintf(why, whycap, "header frame too large (%zu bytes)", lens[0]); goto drop; }
    m->header = parse_object(&f->v[d + 2], "header", why, whycap);
    if (!m->header) goto drop;
    json_t *t = json_object_get(m->header, "msg_type");
    if (!json_is_string(t) || json_string_length(t) == 0 || json_string_length(t) > 128) {
        snprintf(why, whycap, "header has no msg_type"); goto drop;
    }
    m->msg_type = json_string_value(t);
    json_t *id = json_object_get(m->header, "msg_id");
    m->msg_id = json_is_string(id) ? json_string_value(id) : "";

    for (int i = 0; i < d; i++)
        if (take_frame(f, i, &m->idents)) { snprintf(why, whycap, "out of memory"); goto drop; }
    m->header_raw = f->v[d + 2];
    f->v[d + 2].data = NULL;

    /* 4. the rest: problems here can still be answered */
    kn_decode_status st = KN_DECODE_OK;
    if (lens[1] > KN_MAX_HEADER || lens[2] > KN_MAX_HEADER) {
        snprintf(why, whycap, "parent_header or metadata frame too large");
        st = KN_DECODE_BAD_CONTENT;
    } else if (lens[3] > KN_MAX_CONTENT) {
        snprintf(why, whycap, "content too large (%zu bytes, limit %u MiB)", lens[3], KN_MAX_CONTENT >> 20);
        st = KN_DECODE_BAD_CONTENT;
    } else if (!(m->parent = parse_object(&f->v[d + 3], "parent_header", why, whycap)) ||
               !(m->metadata = parse_object(&f->v[d + 4], "metadata", why, whycap)) ||
               !(m->content = parse_object(&f->v[d + 5], "content", why, whycap))) {
        st = KN_DECODE_BAD_CONTENT;
    } else {
        for (int i = d + 6; i < f->n; i++)
            if (take_frame(f, i, &m->buffers)) { snprintf(why, whycap, "out of memory"); st = KN_DECODE_BAD_CONTENT; break; }
    }
    kn_frames_free(f);
    return st;
drop:
    kn_frames_free(f);
    kn_msg_clear(m);
    return KN_DECODE_DROP;
}

/* ---- encode ------------------------------------------------------------------- */

int kn_encode_raw(kn_session *s, kn_frames *out, const kn_frames *prefix, const char *msg_type,
                  const kn_frame *parent_raw, const char *md, size_t mdlen, const char *ct, size_t ctlen) {
    char uuid[37], date[64];
    kn_uuid4(uuid);
    kn_iso_now(date);
    /* {"msg_id":"<uuid>","msg_type":"<type>","date":"<date>",<fixed>}, by
     * hand: this runs for every message sent */
    size_t tl = strlen(msg_type), dl = strlen(date), fl = strlen(s->fixed);
    size_t hcap = 64 + 36 + tl + dl + fl;
    char *header = malloc(hcap);
    if (!header) return -1;
    char *h = header;
#define PUT(str, n) (memcpy(h, (str), (n)), h += (n))
    PUT("{\"msg_id\":\"", 11);
    PUT(uuid, 36);
    PUT("\",\"msg_type\":\"", 14);
    PUT(msg_type, tl);
    PUT("\",\"date\":\"", 10);
    PUT(date, dl);
    PUT("\",", 2);
    PUT(s->fixed, fl);
    PUT("}", 1);
#undef PUT
    *h = '\0';
    int hlen = (int)(h - header);
    const char *pr = parent_raw && parent_raw->data ? (const char *)parent_raw->data : "{}";
    size_t prlen = parent_raw && parent_raw->data ? parent_raw->len : 2;

    const void *parts[4] = { header, pr, md, ct };
    size_t lens[4] = { (size_t)hlen, prlen, mdlen, ctlen };
    char sig[KN_SIG_HEX_MAX + 1];
    int siglen = kn_sign(s->signer, parts, lens, 4, sig);
    if (siglen < 0) { free(header); return -1; }

    if (prefix)
        for (int i = 0; i < prefix->n; i++)
            if (kn_frames_push(out, prefix->v[i].data, prefix->v[i].len)) { free(header); return -1; }
    if (kn_frames_push(out, KN_DELIM, sizeof KN_DELIM - 1) || kn_frames_push(out, sig, (size_t)siglen)) {
        free(header);
        return -1;
    }
    /* push_owned takes the buffer even when it fails */
    if (kn_frames_push_owned(out, header, lens[0]) || kn_frames_push(out, pr, prlen) ||
        kn_frames_push(out, md, mdlen) || kn_frames_push(out, ct, ctlen))
        return -1;
    return 0;
}

int kn_encode(kn_session *s, kn_frames *out, const kn_frames *prefix, const char *msg_type,
              const kn_frame *parent_raw, json_t *metadata, json_t *content) {
    char *md = metadata ? json_dumps(metadata, JSON_COMPACT) : NULL;
    char *ct = content ? json_dumps(content, JSON_COMPACT) : NULL;
    int r = -1;
    if ((!metadata || md) && (!content || ct))
        r = kn_encode_raw(s, out, prefix, msg_type, parent_raw, md ? md : "{}", md ? strlen(md) : 2,
                          ct ? ct : "{}", ct ? strlen(ct) : 2);
    free(md);
    free(ct);
    return r;
}
