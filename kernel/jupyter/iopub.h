/* iopub.h — publishing on IOPub, with stdout/stderr batching.
 *
 * Every IOPub message goes through here, under one lock, because the shell
 * thread (cell outputs), the control thread (its busy/idle) and the stream
 * flusher all publish. Stream text is batched: a cell's print() appends to a
 * buffer that is sent as one `stream` message when it passes flush_bytes
 * (4 KiB), when its oldest byte is flush_after (50 ms) old — a background
 * thread watches that — when stdout/stderr or the parent request changes,
 * before any other IOPub message (so order is kept), and at the end of the
 * cell. A tight print loop thus sends a few messages per 50 ms, not one per
 * line, and a lone line still shows within 50 ms. Batches are cut on UTF-8
 * character boundaries.
 */
#ifndef CGPU_KN_IOPUB_H
#define CGPU_KN_IOPUB_H

#include <pthread.h>
#include <jansson.h>

#include "codec.h"
#include "transport.h"

/* Owned by the kernel (kn_iopub_destroy). All fields behind `lock`. */
typedef struct kn_iopub {
    pthread_mutex_t lock;
    pthread_cond_t  cond;        /* CLOCK_MONOTONIC; wakes the flusher */
    kn_session     *sess;        /* borrowed */
    kn_transport   *tr;          /* borrowed */
    char           *buf;         /* pending stream text */
    size_t          len, cap;
    int             stream;      /* 0 stdout, 1 stderr */
    kn_frame        parent;      /* owned copy of the pending text's request header */
    double          first;       /* kn_now() of the oldest pending byte */
    size_t          flush_bytes;
    double          flush_after; /* seconds */
    pthread_t       thread;
    int             thread_on, quit;
    unsigned long   nsent;       /* messages published (tests, benchmarks) */
} kn_iopub;

int  kn_iopub_init(kn_iopub *io, kn_session *sess, kn_transport *tr); /* 0 or -1 */
/* Starts the thread that flushes text older than flush_after. 0 or -1. */
int  kn_iopub_start_flusher(kn_iopub *io);
void kn_iopub_destroy(kn_iopub *io); /* flushes, stops the thread */

/* Publishes msg_type with content (borrowed; NULL: {}), parent = the
 * request's raw header (NULL: {}), after flushing pending stream text.
 * Returns 0, or -1 when encoding/sending failed (logged). */
int  kn_iopub_send(kn_iopub *io, const char *msg_type, const kn_frame *parent, json_t *content);
/* status: "starting", "busy", "idle". */
int  kn_iopub_status(kn_iopub *io, const char *state, const kn_frame *parent);
/* Appends stream text; name "stdout" or "stderr" (anything else: stdout). */
void kn_iopub_stream(kn_iopub *io, const kn_frame *parent, const char *name, const char *text, size_t len);
/* Sends pending stream text now (an incomplete UTF-8 tail included). */
void kn_iopub_flush(kn_iopub *io);

#endif
