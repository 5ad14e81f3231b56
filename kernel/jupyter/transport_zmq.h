/* transport_zmq.h — the kn_transport over ZeroMQ sockets bound as the
 * connection file says: shell, control, stdin ROUTER; iopub XPUB. (The
 * heartbeat is heartbeat.c's.) The zmq context is passed as void * so that
 * this header needs no zmq.h.
 *
 * IOPub is an XPUB so the kernel sees subscriptions: until the first client
 * has subscribed, IOPub messages are held (up to 1000 / 16 MiB, oldest
 * dropped beyond) and sent when it arrives. A plain PUB would drop them, and
 * a client that connects its SUB socket late (jupyter console does not probe
 * IOPub before its first execute_request) would wait forever for the idle of
 * a cell this kernel answered in a millisecond. After the first
 * subscription, usual PUB semantics.
 */
#ifndef CGPU_KN_TRANSPORT_ZMQ_H
#define CGPU_KN_TRANSPORT_ZMQ_H

#include <stddef.h>

#include "conn.h"
#include "transport.h"

/* Creates and binds the four sockets in zctx. Must run before other threads
 * exist when the transport is ipc (it sets the umask around bind so socket
 * files are 0600). Returns NULL with a one-line reason in err. */
kn_transport *kn_zmq_transport_new(void *zctx, const kn_conn *c, char *err, size_t errcap);
/* The eventfd that `wake` writes: writing 8 bytes to it from a signal
 * handler wakes a blocked shell recv too (async-signal-safe); only `wake`
 * also makes the next recv return 0 when a request is already waiting. */
int kn_zmq_transport_wake_fd(kn_transport *t);

/* Shared socket set-up: linger, HWMs, message size limit, IPv6. 0 or -1. */
int kn_zmq_setup_socket(void *sock, int ipv6);
/* zmq_bind with the umask at 077 for ipc endpoints. 0 or -1 (errno). */
int kn_zmq_bind(void *sock, const char *endpoint, int ipc);

#endif
