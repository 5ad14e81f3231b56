/* transport.h — how protocol messages move: multipart frames on channels.
 *
 * The protocol core (codec, handlers, iopub) never sees a socket. It hands
 * whole multipart messages to a kn_transport and asks it for the next one;
 * transport_zmq.c implements this over ZeroMQ ROUTER/PUB sockets and
 * transport_mock.c over in-memory queues, so every handler runs in the unit
 * tests without ZeroMQ (the xeus arrangement).
 *
 * Threading: the kernel uses each channel from one thread at a time (shell
 * and stdin: the executing thread; control: the control thread; iopub: any
 * thread, serialised by the iopub lock). `wake` may be called from any
 * thread and from a signal handler's thread context (not the handler itself).
 */
#ifndef CGPU_KN_TRANSPORT_H
#define CGPU_KN_TRANSPORT_H

#include <stddef.h>

/* ORDER KN_CHANNEL: kn_channel_name() in codec.c follows this order. */
typedef enum { KN_SHELL, KN_CONTROL, KN_STDIN, KN_IOPUB, KN_NCHANNELS } kn_channel;
const char *kn_channel_name(kn_channel ch);

/* One frame. Owned by the kn_frames that holds it (malloc'd data). */
typedef struct {
    unsigned char *data;
    size_t         len;
} kn_frame;

/* A multipart message: frames in wire order. Owned by whoever holds it;
 * release with kn_frames_free (which leaves it empty and reusable). */
typedef struct {
    kn_frame *v;
    int       n, cap;
} kn_frames;

/* Appends a copy of data[0..len). Returns 0, or -1 when out of memory. */
int  kn_frames_push(kn_frames *f, const void *data, size_t len);
/* Appends data, taking ownership of the malloc'd buffer (freed on error too). */
int  kn_frames_push_owned(kn_frames *f, void *data, size_t len);
void kn_frames_free(kn_frames *f);

typedef struct kn_transport kn_transport;
/* Implementations embed this as their first member. */
struct kn_transport {
    /* Sends one multipart message. 0, or -1 (logged by the caller); a peer
     * that has gone away is not an error: the message is dropped. */
    int  (*send)(kn_transport *t, kn_channel ch, const kn_frames *msg);
    /* Waits up to timeout_ms (-1: forever) for one message on ch.
     * Returns 1 with *out filled (caller frees), 0 on timeout or after
     * `wake`, -1 when the transport is closed or failed. */
    int  (*recv)(kn_transport *t, kn_channel ch, kn_frames *out, int timeout_ms);
    /* Makes a blocked (or the next) recv on KN_SHELL return 0. */
    void (*wake)(kn_transport *t);
    /* Optional (may be NULL): lets the transport finish deferred IOPub work
     * (see transport_zmq.c: messages held until the first subscriber).
     * Returns 1 while such work is pending, so the caller ticks again soon
     * (the iopub flusher does, every 20 ms, later every 250 ms), else 0. */
    int  (*tick)(kn_transport *t);
    void (*destroy)(kn_transport *t);
};

#endif
