/* transport_zmq.c — kn_transport on libzmq ROUTER/PUB sockets. */
#include "transport_zmq.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "codec.h" /* kn_log */

#define LINGER_MS    500          /* enough to flush a final reply, short enough not to hang exit */
#define ROUTER_HWM   10000
#define PUB_HWM      100000       /* slow subscribers lose messages past this, never block us */
#define MAX_FRAME    (256LL << 20) /* peers sending larger frames are disconnected */

#define HOLD_MAX_MSGS  1000
#define HOLD_MAX_BYTES (16u << 20)

/* Owned by the kernel (destroy). Each socket is used by one thread at a time
 * (see transport.h); the eventfd may be written from anywhere. The IOPub
 * socket and the held messages are behind pub_lock. */
typedef struct {
    kn_transport base;
    void *sock[KN_NCHANNELS];
    int   fd[KN_NCHANNELS];       /* each socket's ZMQ_FD (readable: look at the socket again) */
    int   wake_fd;
    atomic_int woken;             /* set by wake before it writes wake_fd */
    pthread_mutex_t pub_lock;
    int        subscribed;        /* a SUB has subscribed at least once */
    kn_frames *held;              /* IOPub messages waiting for it (FIFO) */
    int        nheld, held_cap;
    size_t     held_bytes;
} ztransport;

int kn_zmq_setup_socket(void *s, int ipv6) {
    int linger = LINGER_MS, one = 1;
    int64_t maxsz = MAX_FRAME;
    if (zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger)) return -1;
    if (zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxsz, sizeof maxsz)) return -1;
    if (ipv6 && zmq_setsockopt(s, ZMQ_IPV6, &one, sizeof one)) return -1;
    return 0;
}

int kn_zmq_bind(void *s, const char *endpoint, int ipc) {
    mode_t old = 0;
    if (ipc) old = umask(077);
    int r = zmq_bind(s, endpoint);
    int e = errno;
    if (ipc) umask(old);
    errno = e;
    return r;
}

static int send_now(ztransport *z, kn_channel ch, const kn_frames *msg) {
    for (int i = 0; i < msg->n; i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < msg->n ? ZMQ_SNDMORE : 0);
        while (zmq_send(z->sock[ch], msg->v[i].data, msg->v[i].len, flags) < 0) {
            if (errno == EINTR) continue;
            /* EAGAIN on the first part: the peer's queue is full; the
             * message is dropped, as PUB and a non-mandatory ROUTER do. */
            if (errno == EAGAIN && i == 0) return 0;
            return -1;
        }
    }
    return 0;
}

static size_t frames_bytes(const kn_frames *f) {
    size_t n = 0;
    for (int i = 0; i < f->n; i++) n += f->v[i].len;
    return n;
}

/* Reads pending subscription messages on the XPUB (byte 1 = subscribe).
 * pub_lock held. */
static void check_subscribers(ztransport *z) {
    unsigned char buf[64];
    int n;
    while ((n = zmq_recv(z->sock[KN_IOPUB], buf, sizeof buf, ZMQ_DONTWAIT)) >= 0)
        if (n >= 1 && buf[0] == 1) z->subscribed = 1;
}

/* Sends the held messages once someone listens. pub_lock held. */
static void release_held(ztransport *z) {
    for (int i = 0; i < z->nheld; i++) {
        if (send_now(z, KN_IOPUB, &z->held[i])) kn_log("could not send a held iopub message");
        kn_frames_free(&z->held[i]);
    }
    z->nheld = 0;
    z->held_bytes = 0;
}

/* Keeps a copy of msg until the first subscriber; drops the oldest beyond
 * the bounds. pub_lock held. */
static int hold(ztransport *z, const kn_frames *msg) {
    size_t bytes = frames_bytes(msg);
    if (bytes > HOLD_MAX_BYTES) return 0;
    while (z->nheld > 0 && (z->nheld >= HOLD_MAX_MSGS || z->held_bytes + bytes > HOLD_MAX_BYTES)) {
        z->held_bytes -= frames_bytes(&z->held[0]);
        kn_frames_free(&z->held[0]);
        memmove(z->held, z->held + 1, (size_t)(z->nheld - 1) * sizeof *z->held);
        z->nheld--;
    }
    if (z->nheld == z->held_cap) {
        int cap = z->held_cap ? 2 * z->held_cap : 16;
        kn_frames *v = realloc(z->held, (size_t)cap * sizeof *v);
        if (!v) return -1;
        z->held = v;
        z->held_cap = cap;
    }
    kn_frames copy = {0};
    for (int i = 0; i < msg->n; i++)
        if (kn_frames_push(&copy, msg->v[i].data, msg->v[i].len)) { kn_frames_free(&copy); return -1; }
    z->held[z->nheld++] = copy;
    z->held_bytes += bytes;
    return 0;
}

static int z_send(kn_transport *t, kn_channel ch, const kn_frames *msg) {
    ztransport *z = (ztransport *)t;
    if (ch != KN_IOPUB) return send_now(z, ch, msg);
    pthread_mutex_lock(&z->pub_lock);
    if (!z->subscribed) check_subscribers(z);
    int r;
    if (!z->subscribed) {
        r = hold(z, msg);
    } else {
        if (z->nheld) release_held(z);
        r = send_now(z, KN_IOPUB, msg);
    }
    pthread_mutex_unlock(&z->pub_lock);
    return r;
}

static int z_tick(kn_transport *t) {
    ztransport *z = (ztransport *)t;
    pthread_mutex_lock(&z->pub_lock);
    if (!z->subscribed) {
        check_subscribers(z);
        if (z->subscribed && z->nheld) release_held(z);
    }
    int pending = !z->subscribed;
    pthread_mutex_unlock(&z->pub_lock);
    return pending;
}

/* Reads the whole message waiting on ch: 1 with *out filled, 0 when none
 * is waiting, 2 when a signal interrupted the wait, -1 once the context is
 * shut down. A non-blocking receive also makes the socket process its
 * pending commands, so after 0 its ZMQ_FD signals the next arrival. */
static int read_msg(ztransport *z, kn_channel ch, kn_frames *out) {
    int more = 1;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        /* the parts of a multipart message arrive together: none of these
         * waits; a signal landing mid-message just retries that part */
        int got;
        while ((got = zmq_msg_recv(&part, z->sock[ch], ZMQ_DONTWAIT)) < 0 && errno == EINTR && out->n > 0) {}
        if (got < 0) {
            int e = errno;
            zmq_msg_close(&part);
            if (out->n == 0 && e == EAGAIN) return 0;
            if (out->n == 0 && e == EINTR) return 2;
            kn_frames_free(out);
            return e == ETERM ? -1 : 2;
        }
        more = zmq_msg_more(&part);
        int pr = kn_frames_push(out, zmq_msg_data(&part), zmq_msg_size(&part));
        zmq_msg_close(&part);
        if (pr) { /* out of memory: read and discard the rest of the message */
            while (more) {
                zmq_msg_init(&part);
                if (zmq_msg_recv(&part, z->sock[ch], 0) < 0) more = 0;
                else more = zmq_msg_more(&part);
                zmq_msg_close(&part);
            }
            kn_frames_free(out);
            kn_log("out of memory receiving a message on %s: dropped", kn_channel_name(ch));
            return 2;
        }
    }
    return 1;
}

/* Takes a pending wake (the flag and the eventfd's count). */
static void take_wake(ztransport *z) {
    uint64_t v;
    atomic_store(&z->woken, 0);
    if (read(z->wake_fd, &v, sizeof v) < 0) { /* EAGAIN: the count was already taken */ }
}

/* Tries the socket first and sleeps in poll(2) on its ZMQ_FD (and the wake
 * eventfd for shell) only when nothing is waiting: the same protocol as
 * zmq_poll, with about half its system calls per message, which matter on
 * machines where each costs a microsecond. A pending wake wins over a
 * waiting message, so a stop request is seen before the next request. */
static int z_recv(kn_transport *t, kn_channel ch, kn_frames *out, int timeout_ms) {
    ztransport *z = (ztransport *)t;
    int shell = ch == KN_SHELL && z->wake_fd >= 0;
    double until = timeout_ms > 0 ? kn_now() + timeout_ms / 1000.0 : 0;
    for (;;) {
        if (shell && atomic_load(&z->woken)) { take_wake(z); return 0; }
        int r = read_msg(z, ch, out);
        if (r == 1 || r < 0) return r;
        if (r == 2 || timeout_ms == 0) return 0;
        int wait = -1;
        if (timeout_ms > 0) {
            wait = (int)((until - kn_now()) * 1000.0 + 0.999);
            if (wait <= 0) return 0;
        }
        struct pollfd p[2] = { { z->fd[ch], POLLIN, 0 }, { z->wake_fd, POLLIN, 0 } };
        int n = poll(p, shell ? 2 : 1, wait);
        if (n < 0) return errno == EINTR ? 0 : -1;
        if (n == 0) return 0;
        if (shell && (p[1].revents & POLLIN)) { take_wake(z); return 0; }
    }
}

static void z_wake(kn_transport *t) {
    ztransport *z = (ztransport *)t;
    uint64_t one = 1;
    atomic_store(&z->woken, 1); /* lock-free: async-signal-safe */
    if (z->wake_fd >= 0 && write(z->wake_fd, &one, sizeof one) < 0) { /* counter full: already awake */ }
}

static void z_destroy(kn_transport *t) {
    ztransport *z = (ztransport *)t;
    for (int i = 0; i < KN_NCHANNELS; i++)
        if (z->sock[i]) zmq_close(z->sock[i]);
    if (z->wake_fd >= 0) close(z->wake_fd);
    for (int i = 0; i < z->nheld; i++) kn_frames_free(&z->held[i]);
    free(z->held);
    pthread_mutex_destroy(&z->pub_lock);
    free(z);
}

int kn_zmq_transport_wake_fd(kn_transport *t) { return ((ztransport *)t)->wake_fd; }

kn_transport *kn_zmq_transport_new(void *zctx, const kn_conn *c, char *err, size_t errcap) {
    static const int types[KN_NCHANNELS] = { ZMQ_ROUTER, ZMQ_ROUTER, ZMQ_ROUTER, ZMQ_XPUB }; /* ORDER KN_CHANNEL */
    ztransport *z = calloc(1, sizeof *z);
    if (!z) { snprintf(err, errcap, "out of memory"); return NULL; }
    pthread_mutex_init(&z->pub_lock, NULL);
    atomic_init(&z->woken, 0);
    z->base.send = z_send;
    z->base.recv = z_recv;
    z->base.wake = z_wake;
    z->base.tick = z_tick;
    z->base.destroy = z_destroy;
    z->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (z->wake_fd < 0) { snprintf(err, errcap, "eventfd: %s", strerror(errno)); free(z); return NULL; }

    for (int ch = 0; ch < KN_NCHANNELS; ch++) {
        char ep[1100];
        int ipv6, one = 1, hwm = types[ch] == ZMQ_XPUB ? PUB_HWM : ROUTER_HWM;
        if (kn_conn_endpoint(c, ch, ep, sizeof ep, &ipv6)) { snprintf(err, errcap, "endpoint too long"); goto fail; }
        void *s = z->sock[ch] = zmq_socket(zctx, types[ch]);
        if (!s || kn_zmq_setup_socket(s, ipv6) ||
            zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm) ||
            zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm) ||
            /* a client reconnecting with the same identity takes over */
            (types[ch] == ZMQ_ROUTER && zmq_setsockopt(s, ZMQ_ROUTER_HANDOVER, &one, sizeof one))) {
            snprintf(err, errcap, "%s socket: %s", kn_channel_name((kn_channel)ch), zmq_strerror(errno));
            goto fail;
        }
        if (kn_zmq_bind(s, ep, c->ipc)) {
            snprintf(err, errcap, "cannot bind the %s socket to %s: %s", kn_channel_name((kn_channel)ch), ep,
                     zmq_strerror(errno));
            goto fail;
        }
        size_t fl = sizeof z->fd[ch];
        if (zmq_getsockopt(s, ZMQ_FD, &z->fd[ch], &fl)) {
            snprintf(err, errcap, "%s socket: %s", kn_channel_name((kn_channel)ch), zmq_strerror(errno));
            goto fail;
        }
    }
    return &z->base;
fail:
    z_destroy(&z->base);
    return NULL;
}
