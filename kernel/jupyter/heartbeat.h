/* heartbeat.h — the heartbeat channel: a REP socket echoing every message
 * on its own thread, so the kernel answers pings while a cell runs. */
#ifndef CGPU_KN_HEARTBEAT_H
#define CGPU_KN_HEARTBEAT_H

#include <pthread.h>
#include <stddef.h>

/* Binds a REP socket at endpoint in zctx (call before other threads start
 * when ipc: the umask is changed around bind) and starts the echo thread.
 * The thread ends when the context is shut down. 0, or -1 with err. */
int kn_heartbeat_start(void *zctx, const char *endpoint, int ipv6, int ipc, pthread_t *thread,
                       char *err, size_t errcap);

#endif
