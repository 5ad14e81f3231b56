/* heartbeat.c — REP echo thread (zmq_proxy of the socket onto itself, the
 * way ipykernel's Heartbeat does it). */
#include "heartbeat.h"

#include <errno.h>
#include <stdio.h>

#include <zmq.h>

#include "transport_zmq.h"

static void *hb_main(void *sock) {
    /* Returns only when the context is shut down (ETERM). */
    zmq_proxy(sock, sock, NULL);
    zmq_close(sock);
    return NULL;
}

int kn_heartbeat_start(void *zctx, const char *endpoint, int ipv6, int ipc, pthread_t *thread,
                       char *err, size_t errcap) {
    void *s = zmq_socket(zctx, ZMQ_REP);
    if (!s || kn_zmq_setup_socket(s, ipv6)) {
        snprintf(err, errcap, "heartbeat socket: %s", zmq_strerror(errno));
        if (s) zmq_close(s);
        return -1;
    }
    if (kn_zmq_bind(s, endpoint, ipc)) {
        snprintf(err, errcap, "cannot bind the heartbeat socket to %s: %s", endpoint, zmq_strerror(errno));
        zmq_close(s);
        return -1;
    }
    if (pthread_create(thread, NULL, hb_main, s)) {
        snprintf(err, errcap, "cannot start the heartbeat thread");
        zmq_close(s);
        return -1;
    }
    return 0;
}
