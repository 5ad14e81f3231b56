/* kernel.c — `cgpu-kernel -f CONNECTION_FILE`: sockets, threads, signals,
 * the shell loop.
 *
 * Threads: the main thread serves shell (and stdin, from inside input());
 * a control thread serves control, so interrupt_request and
 * shutdown_request work while a cell runs; the heartbeat thread echoes; the
 * iopub flusher sends stream text older than 50 ms. SIGINT and SIGTERM are
 * blocked in all but the main thread: SIGINT only arms the interpreter's
 * interrupt flag (when a cell runs), SIGTERM asks for a clean exit.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "cli.h"
#include "conn.h"
#include "codec.h"
#include "handlers.h"
#include "heartbeat.h"
#include "hmac.h"
#include "langops.h"
#include "transport_zmq.h"

#define SHUTDOWN_GRACE_S 5 /* how long a cell may take to notice a shutdown */

static kn_kernel *g_kernel;           /* for the signal handlers */

/* Control thread <-> main thread hand-off at exit. */
static pthread_mutex_t g_exit_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  g_exit_cond = PTHREAD_COND_INITIALIZER;
static int             g_main_exiting;
static int             g_control_busy; /* the control thread is inside kn_dispatch */

static void on_sigint(int sig) {
    (void)sig;
    if (g_kernel) kn_kernel_interrupt(g_kernel); /* atomics + lang_interrupt: async-signal-safe */
}

static void on_sigterm(int sig) {
    (void)sig;
    if (g_kernel) kn_kernel_request_stop(g_kernel, 0); /* atomics, lang_interrupt, eventfd write */
}

/* After a shutdown_request handled here, gives the shell thread
 * SHUTDOWN_GRACE_S to leave its cell, then ends the process: a cell that
 * never reaches a safe point must not keep a dead kernel alive. */
static void wait_for_main_or_exit(void) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += SHUTDOWN_GRACE_S;
    pthread_mutex_lock(&g_exit_lock);
    int r = 0;
    while (!g_main_exiting && r != ETIMEDOUT) r = pthread_cond_timedwait(&g_exit_cond, &g_exit_lock, &until);
    int exiting = g_main_exiting;
    pthread_mutex_unlock(&g_exit_lock);
    if (!exiting) {
        kn_log("the running cell did not stop within %d s of the shutdown request; exiting", SHUTDOWN_GRACE_S);
        usleep(200 * 1000); /* let the io thread deliver the shutdown_reply */
        _exit(0);
    }
}

static void *control_main(void *arg) {
    kn_kernel *k = arg;
    for (;;) {
        kn_frames f = {0};
        int r = k->tr->recv(k->tr, KN_CONTROL, &f, -1);
        if (r < 0) break;           /* context shut down */
        if (r == 0) continue;
        pthread_mutex_lock(&g_exit_lock);
        g_control_busy = 1;
        pthread_mutex_unlock(&g_exit_lock);
        kn_dispatch(k, KN_CONTROL, &f, 0);
        pthread_mutex_lock(&g_exit_lock);
        g_control_busy = 0;
        pthread_cond_broadcast(&g_exit_cond);
        pthread_mutex_unlock(&g_exit_lock);
        if (atomic_load(&k->stop)) { wait_for_main_or_exit(); break; }
    }
    return NULL;
}

static void usage(FILE *to) {
    fprintf(to, "usage: cgpu-kernel -f CONNECTION_FILE   (started by Jupyter)\n");
}

/* Finds the connection file in argv: -f FILE, -f=FILE, --f FILE, --f=FILE. */
static const char *conn_arg(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "-f") == 0 || strcmp(a, "--f") == 0) && i + 1 < argc) return argv[i + 1];
        if (strncmp(a, "-f=", 3) == 0) return a + 3;
        if (strncmp(a, "--f=", 4) == 0) return a + 4;
    }
    return NULL;
}

/* ZeroMQ leaves the socket files of ipc endpoints behind: remove the five
 * this kernel bound, so a clean exit leaves nothing in the runtime dir. */
static void remove_ipc_files(const kn_conn *c) {
    for (int i = 0; i < KN_NPORTS; i++) {
        char ep[1100];
        int ipv6;
        if (kn_conn_endpoint(c, i, ep, sizeof ep, &ipv6) == 0 && strncmp(ep, "ipc://", 6) == 0) unlink(ep + 6);
    }
}

int jupyter_kernel_main(int argc, char **argv) {
    char err[1400];
    const char *path = conn_arg(argc, argv);
    const char *dbg = getenv("CGPU_KERNEL_DEBUG");
    kn_log_debug = dbg && *dbg && strcmp(dbg, "0") != 0;
    if (!path || !*path) { usage(stderr); return 2; }

    kn_conn conn;
    if (kn_conn_load(path, &conn, err, sizeof err)) {
        fprintf(stderr, "cgpu-kernel: %s\n", err);
        return 2;
    }
    kn_signer *signer = kn_signer_new(conn.signature_scheme, conn.key, conn.keylen, err, sizeof err);
    if (!signer) {
        fprintf(stderr, "cgpu-kernel: connection file %s: %s\n", path, err);
        kn_conn_clear(&conn);
        return 2;
    }
    if (conn.keylen == 0)
        fprintf(stderr, "cgpu-kernel: the connection file has an empty key: messages are not signed\n");
    kn_session *sess = kn_session_new(signer, NULL);
    if (!sess) { fprintf(stderr, "cgpu-kernel: out of memory\n"); kn_conn_clear(&conn); return 2; }

    signal(SIGPIPE, SIG_IGN);
    /* Every thread created from here on (zmq's included) inherits a mask
     * with SIGINT/SIGTERM blocked; only the main thread takes them. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);

    int rc = 2;
    void *zctx = zmq_ctx_new();
    kn_transport *tr = NULL;
    pthread_t hb_thread, ctl_thread;
    int hb_on = 0, ctl_on = 0, kernel_on = 0;
    kn_kernel k;
    char ep[1100];
    int ipv6;
    if (!zctx) { fprintf(stderr, "cgpu-kernel: zmq_ctx_new failed\n"); goto out; }
    tr = kn_zmq_transport_new(zctx, &conn, err, sizeof err);
    if (!tr) { fprintf(stderr, "cgpu-kernel: %s\n", err); goto out; }
    if (kn_conn_endpoint(&conn, KN_PORT_HB, ep, sizeof ep, &ipv6) ||
        kn_heartbeat_start(zctx, ep, ipv6, conn.ipc, &hb_thread, err, sizeof err)) {
        fprintf(stderr, "cgpu-kernel: %s\n", err);
        goto out;
    }
    hb_on = 1;

    kn_lang lang = kn_lang_real(NULL); /* the interpreter is made on first use */
    if (kn_kernel_init(&k, sess, tr, &lang)) { fprintf(stderr, "cgpu-kernel: out of memory\n"); goto out; }
    kernel_on = 1;
    memcpy(k.ports, conn.port, sizeof k.ports);
    /* ipykernel's stop_on_error_timeout: how long after a failed cell newly
     * arriving execute_requests are still aborted (default 0: only queued
     * ones); the failed cell's reply waits that long too. */
    const char *soe = getenv("CGPU_STOP_ON_ERROR_TIMEOUT");
    if (soe && *soe) {
        double t = atof(soe);
        k.abort_window_ms = t > 0 && t < 60 ? (int)(t * 1000.0) : 0;
    }
    if (kn_iopub_start_flusher(&k.iopub) || pthread_create(&ctl_thread, NULL, control_main, &k)) {
        fprintf(stderr, "cgpu-kernel: cannot start threads\n");
        goto out;
    }
    ctl_on = 1;

    g_kernel = &k;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_sigterm;
    sigaction(SIGTERM, &sa, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    /* Like ipykernel's parent poller: a kernel started by a Jupyter client
     * (which sets JPY_PARENT_PID) exits once that process is gone, instead
     * of living on as an orphan. Checked once a second while idle. */
    const char *jpp = getenv("JPY_PARENT_PID");
    pid_t parent = jpp && *jpp ? getppid() : 0;

    kn_kernel_starting(&k);
    rc = 0;
    while (!atomic_load(&k.stop)) {
        if (kn_serve_shell(&k, parent ? 1000 : -1) < 0) { kn_log("the shell socket failed: exiting"); rc = 1; break; }
        if (parent && getppid() != parent) { kn_log("the process that started this kernel has exited: exiting"); break; }
    }

out:
    /* A shutdown_request on control wakes this thread before its handler has
     * published the final idle: let the handler finish (at most 2 s) before
     * the context is shut down under it. */
    pthread_mutex_lock(&g_exit_lock);
    g_main_exiting = 1;
    pthread_cond_broadcast(&g_exit_cond);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 2;
    while (g_control_busy && pthread_cond_timedwait(&g_exit_cond, &g_exit_lock, &until) != ETIMEDOUT) {}
    pthread_mutex_unlock(&g_exit_lock);
    if (kernel_on) kn_iopub_flush(&k.iopub);
    /* Blocked socket calls in other threads return ETERM; queued outgoing
     * messages still leave within the sockets' linger time. */
    if (zctx) zmq_ctx_shutdown(zctx);
    if (ctl_on) pthread_join(ctl_thread, NULL);
    if (hb_on) pthread_join(hb_thread, NULL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    g_kernel = NULL;
    lang_state *L = NULL;
    if (kernel_on) {
        L = k.lang.L;
        kn_kernel_destroy(&k);
    }
    if (tr) tr->destroy(tr);
    if (zctx) zmq_ctx_term(zctx);
    if (conn.ipc) remove_ipc_files(&conn);
    if (L) lang_free(L);
    kn_session_free(sess);
    kn_conn_clear(&conn);
    return rc;
}
