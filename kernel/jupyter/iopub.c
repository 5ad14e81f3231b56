/* iopub.c — IOPub publishing and stream batching (see iopub.h). */
#include "iopub.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FLUSH_BYTES 4096
#define FLUSH_AFTER 0.050

int kn_iopub_init(kn_iopub *io, kn_session *sess, kn_transport *tr) {
    memset(io, 0, sizeof *io);
    io->sess = sess;
    io->tr = tr;
    io->flush_bytes = FLUSH_BYTES;
    io->flush_after = FLUSH_AFTER;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int r = pthread_cond_init(&io->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (r) return -1;
    if (pthread_mutex_init(&io->lock, NULL)) { pthread_cond_destroy(&io->cond); return -1; }
    return 0;
}

/* Encodes and sends content (json, or raw bytes when json is NULL); caller
 * holds the lock. */
static int send_raw_locked(kn_iopub *io, const char *msg_type, const kn_frame *parent, json_t *content,
                           const char *raw, size_t rawlen) {
    char topic[128];
    int tl = snprintf(topic, sizeof topic, "kernel.%s.%s", io->sess->id, msg_type);
    kn_frames prefix = {0}, out = {0};
    int r = -1;
    if (kn_frames_push(&prefix, topic, (size_t)(tl < (int)sizeof topic ? tl : (int)sizeof topic - 1)) == 0 &&
        (content ? kn_encode(io->sess, &out, &prefix, msg_type, parent, NULL, content)
                 : kn_encode_raw(io->sess, &out, &prefix, msg_type, parent, "{}", 2, raw, rawlen)) == 0) {
        kn_log_msg("send", "iopub", &out);
        r = io->tr->send(io->tr, KN_IOPUB, &out);
    }
    if (r) kn_log("could not publish %s on iopub", msg_type);
    else io->nsent++;
    kn_frames_free(&prefix);
    kn_frames_free(&out);
    return r;
}

/* Sends pending text. force: also an incomplete UTF-8 tail. Lock held. */
static int send_locked(kn_iopub *io, const char *msg_type, const kn_frame *parent, json_t *content) {
    static const char empty[] = "{}";
    return send_raw_locked(io, msg_type, parent, content, empty, 2);
}

static void flush_locked(kn_iopub *io, int force) {
    if (io->len == 0) return;
    size_t n = force ? io->len : utf8_complete(io->buf, io->len);
    if (n == 0) return;
    json_t *c = json_object();
    json_object_set_new(c, "name", json_string(io->stream ? "stderr" : "stdout"));
    json_object_set_new(c, "text", mime_json_text(io->buf, n));
    send_locked(io, "stream", &io->parent, c);
    json_decref(c);
    memmove(io->buf, io->buf + n, io->len - n);
    io->len -= n;
    io->first = kn_now();
}

int kn_iopub_send(kn_iopub *io, const char *msg_type, const kn_frame *parent, json_t *content) {
    pthread_mutex_lock(&io->lock);
    flush_locked(io, 1);
    int r = send_locked(io, msg_type, parent, content);
    pthread_mutex_unlock(&io->lock);
    return r;
}

int kn_iopub_status(kn_iopub *io, const char *state, const kn_frame *parent) {
    /* sent twice per request: skip jansson (state is one of our constants) */
    char c[64];
    int n = snprintf(c, sizeof c, "{\"execution_state\":\"%s\"}", state);
    pthread_mutex_lock(&io->lock);
    flush_locked(io, 1);
    int r = send_raw_locked(io, "status", parent, NULL, c, (size_t)n);
    pthread_mutex_unlock(&io->lock);
    return r;
}

static int same_frame(const kn_frame *a, const kn_frame *b) {
    size_t al = a && a->data ? a->len : 0, bl = b && b->data ? b->len : 0;
    return al == bl && (al == 0 || memcmp(a->data, b->data, al) == 0);
}

void kn_iopub_stream(kn_iopub *io, const kn_frame *parent, const char *name, const char *text, size_t len) {
    if (len == 0) return;
    int stream = name && strcmp(name, "stderr") == 0;
    pthread_mutex_lock(&io->lock);
    if (io->len && (stream != io->stream || !same_frame(parent, &io->parent))) flush_locked(io, 1);
    if (io->len == 0) {
        io->stream = stream;
        if (!same_frame(parent, &io->parent)) {
            free(io->parent.data);
            io->parent.data = NULL;
            io->parent.len = 0;
            if (parent && parent->data && (io->parent.data = malloc(parent->len))) {
                memcpy(io->parent.data, parent->data, parent->len);
                io->parent.len = parent->len;
            }
        }
        io->first = kn_now();
        if (io->thread_on) pthread_cond_signal(&io->cond);
    }
    if (io->len + len > io->cap) {
        size_t cap = io->cap ? io->cap : 2 * FLUSH_BYTES;
        while (cap < io->len + len) cap *= 2;
        char *nb = realloc(io->buf, cap);
        if (!nb) { /* keep going without this text rather than fail the cell */
            pthread_mutex_unlock(&io->lock);
            kn_log("out of memory buffering %zu bytes of %s", len, name ? name : "stdout");
            return;
        }
        io->buf = nb;
        io->cap = cap;
    }
    memcpy(io->buf + io->len, text, len);
    io->len += len;
    if (io->len >= io->flush_bytes) flush_locked(io, 0);
    pthread_mutex_unlock(&io->lock);
}

void kn_iopub_flush(kn_iopub *io) {
    pthread_mutex_lock(&io->lock);
    flush_locked(io, 1);
    pthread_mutex_unlock(&io->lock);
}

/* Absolute CLOCK_MONOTONIC time `at` (seconds) as a timespec. */
static struct timespec abstime(double at) {
    struct timespec ts;
    ts.tv_sec = (time_t)at;
    ts.tv_nsec = (long)((at - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
    return ts;
}

static void *flusher_main(void *arg) {
    kn_iopub *io = arg;
    pthread_mutex_lock(&io->lock);
    int deferred = io->tr->tick != NULL; /* assume work until the transport says none */
    double started = kn_now();
    while (!io->quit) {
        if (deferred) deferred = io->tr->tick(io->tr);
        /* deferred work (no IOPub subscriber yet): look every 20 ms at first,
         * every 250 ms once the kernel has waited 2 s without one */
        double every = kn_now() - started < 2.0 ? 0.020 : 0.250;
        if (io->len == 0) {
            if (!deferred) { pthread_cond_wait(&io->cond, &io->lock); continue; }
            struct timespec ts = abstime(kn_now() + every);
            pthread_cond_timedwait(&io->cond, &io->lock, &ts);
            continue;
        }
        double due = io->first + io->flush_after, now = kn_now();
        if (now >= due) {
            size_t before = io->len;
            flush_locked(io, 0);
            /* only an incomplete UTF-8 tail left: give it one more period */
            if (io->len == before) io->first = now;
            continue;
        }
        struct timespec ts = abstime(deferred && due > now + every ? now + every : due);
        pthread_cond_timedwait(&io->cond, &io->lock, &ts);
    }
    pthread_mutex_unlock(&io->lock);
    return NULL;
}

int kn_iopub_start_flusher(kn_iopub *io) {
    pthread_mutex_lock(&io->lock);
    int r = 0;
    if (!io->thread_on) {
        io->quit = 0;
        r = pthread_create(&io->thread, NULL, flusher_main, io) ? -1 : 0;
        io->thread_on = r == 0;
    }
    pthread_mutex_unlock(&io->lock);
    return r;
}

void kn_iopub_destroy(kn_iopub *io) {
    pthread_mutex_lock(&io->lock);
    flush_locked(io, 1);
    int on = io->thread_on;
    io->quit = 1;
    pthread_cond_broadcast(&io->cond);
    pthread_mutex_unlock(&io->lock);
    if (on) pthread_join(io->thread, NULL);
    io->thread_on = 0;
    free(io->buf);
    free(io->parent.data);
    io->buf = NULL;
    io->parent.data = NULL;
    io->len = io->cap = 0;
    pthread_cond_destroy(&io->cond);
    pthread_mutex_destroy(&io->lock);
}
