/* conn.h — the Jupyter connection file.
 *
 * Jupyter starts a kernel with `-f FILE`, a JSON object naming the transport
 * ("tcp" or "ipc"), the ip (for ipc: a path prefix), five ports, the HMAC key
 * and its signature_scheme. kn_conn_load reads and checks it; endpoints are
 * what ZeroMQ binds ("tcp://127.0.0.1:5555", "ipc://PREFIX-5555" — the
 * naming jupyter_client uses).
 */
#ifndef CGPU_KN_CONN_H
#define CGPU_KN_CONN_H

#include <stddef.h>

/* Port order follows kn_channel (transport.h) for the first four, then hb.
 * ORDER KN_CHANNEL */
enum { KN_PORT_SHELL, KN_PORT_CONTROL, KN_PORT_STDIN, KN_PORT_IOPUB, KN_PORT_HB, KN_NPORTS };

/* Owned by the caller; kn_conn_clear frees the strings (and wipes the key). */
typedef struct {
    int    ipc;               /* 0: tcp, 1: ipc */
    char  *ip;                /* tcp address or ipc path prefix */
    int    port[KN_NPORTS];
    char  *key;               /* may be empty: unsigned messages */
    size_t keylen;
    char  *signature_scheme;  /* "hmac-sha256" when the file has none */
} kn_conn;

/* Reads path. Returns 0, or -1 with a one-line reason in err (the file
 * name, what is wrong; never the key). On failure *c is left cleared. */
int  kn_conn_load(const char *path, kn_conn *c, char *err, size_t errcap);
/* Same, from a JSON text (for tests). */
int  kn_conn_parse(const char *json, size_t len, kn_conn *c, char *err, size_t errcap);
void kn_conn_clear(kn_conn *c);

/* Writes the ZeroMQ endpoint for port index `which` into buf. Returns 0, or
 * -1 when it does not fit. For an IPv6 tcp address sets *ipv6 = 1. */
int  kn_conn_endpoint(const kn_conn *c, int which, char *buf, size_t cap, int *ipv6);

#endif
