/* kernel_rtt_client.c — execute round trips measured from a C client.
 *
 * A minimal raw ZeroMQ client (DEALER on shell, SUB on iopub) for a running
 * kernel: it signs N execute_requests beforehand, then times each from the
 * send to the arrival of its status idle on IOPub. With the client's own
 * cost this small, the figure is the kernel's round trip over loopback TCP.
 *
 *   kernel_rtt_client CONNECTION_FILE N [CODE]
 *   kernel_rtt_client --echo N      the platform's floor: one frame to a
 *                                   ROUTER echo thread over loopback TCP and back,
 *                                   client and echo each with their own I/O thread
 * prints "median_us p90_us min_us".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pthread.h>
#include <zmq.h>

#include "jupyter/codec.h"
#include "jupyter/conn.h"
#include "jupyter/hmac.h"

typedef struct { char id[32]; kn_frames f; } req;

static void make(kn_signer *s, req *r, int i, const char *type, const char *content) {
    char header[256], sig[KN_SIG_HEX_MAX + 1];
    /* the pid keeps ids (and so signatures) unique across runs: the kernel
     * rejects a repeated signature as a replay */
    snprintf(r->id, sizeof r->id, "rtt-%d-%08d", (int)getpid(), i);
    snprintf(header, sizeof header,
             "{\"msg_id\":\"%s\",\"msg_type\":\"%s\",\"session\":\"rtt\",\"username\":\"rtt\","
             "\"date\":\"2024-01-01T00:00:00.000000Z\",\"version\":\"5.3\"}", r->id, type);
    const void *parts[4] = { header, "{}", "{}", content };
    size_t lens[4] = { strlen(header), 2, 2, strlen(content) };
    kn_sign(s, parts, lens, 4, sig);
    memset(&r->f, 0, sizeof r->f);
    kn_frames_push(&r->f, KN_DELIM, 9);
    kn_frames_push(&r->f, sig, strlen(sig));
    for (int k = 0; k < 4; k++) kn_frames_push(&r->f, parts[k], lens[k]);
}

static void send_frames(void *sock, const kn_frames *f) {
    for (int i = 0; i < f->n; i++) zmq_send(sock, f->v[i].data, f->v[i].len, i + 1 < f->n ? ZMQ_SNDMORE : 0);
}

/* Receives one multipart message into *f (emptied first). */
static int recv_msg(void *sock, kn_frames *f) {
    kn_frames_free(f);
    int more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) { zmq_msg_close(&m); return -1; }
        more = zmq_msg_more(&m);
        kn_frames_push(f, zmq_msg_data(&m), zmq_msg_size(&m));
        zmq_msg_close(&m);
    }
    return f->n;
}

/* Whether f is the status idle whose parent is msg_id:
 * [topic, <IDS|MSG>, sig, header, parent, metadata, content]. */
static int is_idle_of(const kn_frames *f, const char *msg_id) {
    if (f->n < 7) return 0;
    const kn_frame *parent = &f->v[f->n - 3], *content = &f->v[f->n - 1];
    return memmem(content->data, content->len, "\"idle\"", 6) &&
           memmem(parent->data, parent->len, msg_id, strlen(msg_id));
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void *echo_main(void *router) {
    for (;;) {
        kn_frames f = {0};
        if (recv_msg(router, &f) < 0) { kn_frames_free(&f); return NULL; }
        send_frames(router, &f);
        kn_frames_free(&f);
    }
}

static int echo_floor(int n) {
    /* two contexts, so each side has its own I/O thread as a client and a
     * kernel in two processes do: the same thread hand-offs as a real round
     * trip (one context would let a single I/O thread serve both ends) */
    void *ctx = zmq_ctx_new(), *server_ctx = zmq_ctx_new();
    void *router = zmq_socket(server_ctx, ZMQ_ROUTER), *dealer = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(router, "tcp://127.0.0.1:*")) return 1;
    char ep[256];
    size_t len = sizeof ep;
    zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, ep, &len);
    zmq_connect(dealer, ep);
    pthread_t th;
    pthread_create(&th, NULL, echo_main, router);
    double *t = calloc((size_t)n, sizeof *t);
    kn_frames in = {0};
    for (int i = -n / 10 - 10; i < n; i++) {
        double t0 = kn_now();
        zmq_send(dealer, "ping", 4, 0);
        recv_msg(dealer, &in);
        if (i >= 0) t[i] = (kn_now() - t0) * 1e6;
    }
    kn_frames_free(&in);
    qsort(t, (size_t)n, sizeof *t, cmp);
    printf("%.1f %.1f %.1f\n", t[n / 2], t[(int)(n * 0.9)], t[0]);
    free(t);
    fflush(stdout);
    _exit(0); /* the echo thread is blocked in recv: no orderly teardown needed */
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--echo") == 0) return echo_floor(atoi(argv[2]) > 0 ? atoi(argv[2]) : 1000);
    if (argc < 3) { fprintf(stderr, "usage: kernel_rtt_client CONNECTION_FILE N [CODE]\n"); return 2; }
    int n = atoi(argv[2]);
    const char *code = argc > 3 ? argv[3] : "a = 1";
    kn_conn c;
    char err[512], ep[1100];
    int v6;
    if (kn_conn_load(argv[1], &c, err, sizeof err)) { fprintf(stderr, "%s\n", err); return 2; }
    kn_signer *s = kn_signer_new(c.signature_scheme, c.key, c.keylen, err, sizeof err);
    if (!s || n < 1) { fprintf(stderr, "bad signer or N\n"); return 2; }

    void *ctx = zmq_ctx_new();
    void *shell = zmq_socket(ctx, ZMQ_DEALER), *sub = zmq_socket(ctx, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(shell, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    kn_conn_endpoint(&c, KN_PORT_SHELL, ep, sizeof ep, &v6);
    zmq_connect(shell, ep);
    kn_conn_endpoint(&c, KN_PORT_IOPUB, ep, sizeof ep, &v6);
    zmq_connect(sub, ep);

    kn_frames in = {0};
    /* until the subscription is live: kernel_info probes */
    for (int i = 0;; i++) {
        req r;
        make(s, &r, 900000000 + i, "kernel_info_request", "{}");
        send_frames(shell, &r.f);
        kn_frames_free(&r.f);
        recv_msg(shell, &in);
        zmq_pollitem_t it = { sub, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&it, 1, 200) > 0) {
            while (zmq_poll(&it, 1, 50) > 0) recv_msg(sub, &in);
            break;
        }
        if (i > 100) { fprintf(stderr, "iopub never delivered\n"); return 1; }
    }

    char body[512];
    snprintf(body, sizeof body, "{\"code\":\"%s\",\"silent\":false,\"store_history\":true,"
             "\"user_expressions\":{},\"allow_stdin\":false,\"stop_on_error\":true}", code);
    int warm = n / 10 + 10;
    req *reqs = calloc((size_t)(n + warm), sizeof *reqs);
    double *t = calloc((size_t)n, sizeof *t);
    for (int i = 0; i < n + warm; i++) make(s, &reqs[i], i, "execute_request", body);
    for (int i = 0; i < n + warm; i++) {
        double t0 = kn_now();
        send_frames(shell, &reqs[i].f);
        do recv_msg(sub, &in); while (!is_idle_of(&in, reqs[i].id));
        double t1 = kn_now();
        recv_msg(shell, &in); /* the reply, outside the timing */
        if (i >= warm) t[i - warm] = (t1 - t0) * 1e6;
        kn_frames_free(&reqs[i].f);
    }
    kn_frames_free(&in);
    qsort(t, (size_t)n, sizeof *t, cmp);
    printf("%.1f %.1f %.1f\n", t[n / 2], t[(int)(n * 0.9)], t[0]);
    free(t);
    free(reqs);
    zmq_close(shell);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    kn_signer_free(s);
    kn_conn_clear(&c);
    return 0;
}
