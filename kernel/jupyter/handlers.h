/* handlers.h — the protocol core: one request in, its replies and IOPub out.
 *
 * kn_dispatch takes the raw frames of one message from a channel, decodes
 * them (signature first), brackets the request with IOPub status busy/idle
 * (the request as parent), looks its msg_type up in a table and runs the
 * handler, which answers on the same channel to the request's identities.
 * Nothing here knows about sockets or threads beyond the transport
 * interface, so the whole core runs in unit tests over the mock transport
 * with a fake language.
 *
 * Threads: the executing (shell) thread calls kn_serve_shell in a loop; a
 * control thread may call kn_dispatch(KN_CONTROL, ...) concurrently. Control
 * handlers touch only thread-safe state (iopub, the replay set, the stop and
 * interrupt flags), never the interpreter beyond lang_interrupt.
 */
#ifndef CGPU_KN_HANDLERS_H
#define CGPU_KN_HANDLERS_H

#include <signal.h>
#include <stdatomic.h>

#include "codec.h"
#include "conn.h"
#include "history.h"
#include "iopub.h"
#include "langops.h"
#include "transport.h"

/* One queued shell message (drained after an error). */
typedef struct { kn_frames frames; int abort; } kn_pending;

/* The kernel's protocol state. Owned by its creator (kn_kernel_destroy);
 * session and transport are borrowed and must outlive it. */
typedef struct kn_kernel {
    kn_session   *sess;
    kn_transport *tr;
    kn_iopub      iopub;
    kn_lang       lang;
    kn_history    hist;
    int           execution_count;
    int           ports[KN_NPORTS];   /* for connect_request; 0 when unknown */
    char         *info;               /* kernel_info_reply content, serialized once (owned) */

    /* The execute_request now running (shell thread only). */
    kn_msg       *cur;
    int           cur_silent, cur_allow_stdin;
    atomic_int    cell_running;

    /* Shell messages already read but not yet handled (FIFO ring). */
    kn_pending   *pend;
    int           pend_head, pend_n, pend_cap;

    atomic_int    stop;               /* shutdown requested (or SIGTERM) */
    atomic_int    restart;            /* the shutdown_request's restart flag */
    int           stdin_poll_ms;      /* how often input() checks for an interrupt */
    int           abort_window_ms;    /* after an error, requests arriving this soon are aborted too */

    /* Counters (tests, logs). */
    atomic_ulong  ndropped, nhandled;
} kn_kernel;

/* Sets k up; `lang` is copied. Returns 0, or -1 when out of memory. */
int  kn_kernel_init(kn_kernel *k, kn_session *sess, kn_transport *tr, const kn_lang *lang);
void kn_kernel_destroy(kn_kernel *k);

/* Publishes status "starting" (once, at start-up). */
void kn_kernel_starting(kn_kernel *k);

/* Handles one message's frames (consumed) received on ch. abort: answer an
 * execute_request with status "aborted" instead of running it. */
void kn_dispatch(kn_kernel *k, kn_channel ch, kn_frames *frames, int abort);

/* Handles the next shell message: a queued one first, else one from the
 * transport (waiting up to timeout_ms). Returns 1 when one was handled, 0
 * when none came (or the wait was woken), -1 when the transport closed. */
int  kn_serve_shell(kn_kernel *k, int timeout_ms);

/* Shutdown: sets stop (and restart), interrupts a running cell, wakes the
 * shell loop. Thread-safe. */
void kn_kernel_request_stop(kn_kernel *k, int restart);

/* Interrupts the running cell, if any. Async-signal-safe. */
void kn_kernel_interrupt(kn_kernel *k);

#endif
