/* transport_mock.h — an in-memory kn_transport for tests.
 *
 * Each channel has an inbox (what a client sent; kn_mock_push) and an outbox
 * (what the kernel sent; kn_mock_pop). recv waits on the inbox up to its
 * timeout, so another thread may feed it. An optional on_send hook sees every
 * message the kernel sends, e.g. to answer an input_request.
 */
#ifndef CGPU_KN_TRANSPORT_MOCK_H
#define CGPU_KN_TRANSPORT_MOCK_H

#include "transport.h"

/* Returns a transport (destroy with t->destroy(t)), NULL when out of memory. */
kn_transport *kn_mock_new(void);
/* Queues msg (consumed) as if a client had sent it on ch. */
void kn_mock_push(kn_transport *t, kn_channel ch, kn_frames *msg);
/* Takes the oldest message the kernel sent on ch: 1 and *out (caller frees),
 * or 0 when there is none. */
int  kn_mock_pop(kn_transport *t, kn_channel ch, kn_frames *out);
/* Number of messages the kernel sent on ch not yet popped. */
int  kn_mock_pending(kn_transport *t, kn_channel ch);
/* Number of times wake was called. */
int  kn_mock_wakes(kn_transport *t);
/* Hook called after each send (outside the mock's lock). */
void kn_mock_on_send(kn_transport *t, void (*fn)(void *arg, kn_channel ch, const kn_frames *msg), void *arg);

#endif
