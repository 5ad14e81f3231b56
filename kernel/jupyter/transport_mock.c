/* transport_mock.c — in-memory queues standing in for ZeroMQ sockets. */
#include "transport_mock.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One queued message; owned by its queue. */
typedef struct node { kn_frames f; struct node *next; } node;
typedef struct { node *head, *tail; int n; } queue;

/* Owned by the test that created it; every field behind `lock`. */
typedef struct {
    kn_transport base; /* first: the kn_transport pointer is this struct */
    pthread_mutex_t lock;
    pthread_cond_t  arrived;
    queue in[KN_NCHANNELS], out[KN_NCHANNELS];
    int woken, wakes;
    void (*on_send)(void *, kn_channel, const kn_frames *);
    void *on_send_arg;
} mock;

static void q_push(queue *q, kn_frames *f) {
    node *n = calloc(1, sizeof *n);
    if (!n) { kn_frames_free(f); return; }
    n->f = *f;
    memset(f, 0, sizeof *f);
    if (q->tail) q->tail->next = n; else q->head = n;
    q->tail = n;
    q->n++;
}

static int q_pop(queue *q, kn_frames *out) {
    node *n = q->head;
    if (!n) return 0;
    q->head = n->next;
    if (!q->head) q->tail = NULL;
    q->n--;
    *out = n->f;
    free(n);
    return 1;
}

static int m_send(kn_transport *t, kn_channel ch, const kn_frames *msg) {
    mock *m = (mock *)t;
    kn_frames copy = {0};
    for (int i = 0; i < msg->n; i++)
        if (kn_frames_push(&copy, msg->v[i].data, msg->v[i].len)) { kn_frames_free(&copy); return -1; }
    pthread_mutex_lock(&m->lock);
    q_push(&m->out[ch], &copy);
    void (*fn)(void *, kn_channel, const kn_frames *) = m->on_send;
    void *arg = m->on_send_arg;
    pthread_mutex_unlock(&m->lock);
    if (fn) fn(arg, ch, msg);
    return 0;
}

static int m_recv(kn_transport *t, kn_channel ch, kn_frames *out, int timeout_ms) {
    mock *m = (mock *)t;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    if (timeout_ms > 0) {
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
    }
    pthread_mutex_lock(&m->lock);
    int r = 0;
    for (;;) {
        if (ch == KN_SHELL && m->woken) { m->woken = 0; break; }
        if (q_pop(&m->in[ch], out)) { r = 1; break; }
        if (timeout_ms == 0) break;
        /* An empty inbox with "wait forever" would hang a test: treat it as
         * a timeout instead, there is nobody else to feed it. */
        if (timeout_ms < 0) break;
        if (pthread_cond_timedwait(&m->arrived, &m->lock, &until) == ETIMEDOUT) {
            r = q_pop(&m->in[ch], out);
            break;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return r;
}

static void m_wake(kn_transport *t) {
    mock *m = (mock *)t;
    pthread_mutex_lock(&m->lock);
    m->woken = 1;
    m->wakes++;
    pthread_cond_broadcast(&m->arrived);
    pthread_mutex_unlock(&m->lock);
}

static void m_destroy(kn_transport *t) {
    mock *m = (mock *)t;
    kn_frames f;
    for (int c = 0; c < KN_NCHANNELS; c++) {
        while (q_pop(&m->in[c], &f)) kn_frames_free(&f);
        while (q_pop(&m->out[c], &f)) kn_frames_free(&f);
    }
    pthread_cond_destroy(&m->arrived);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

kn_transport *kn_mock_new(void) {
    mock *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->arrived, NULL);
    m->base.send = m_send;
    m->base.recv = m_recv;
    m->base.wake = m_wake;
    m->base.destroy = m_destroy;
    return &m->base;
}

void kn_mock_push(kn_transport *t, kn_channel ch, kn_frames *msg) {
    mock *m = (mock *)t;
    pthread_mutex_lock(&m->lock);
    q_push(&m->in[ch], msg);
    pthread_cond_broadcast(&m->arrived);
    pthread_mutex_unlock(&m->lock);
}

int kn_mock_pop(kn_transport *t, kn_channel ch, kn_frames *out) {
    mock *m = (mock *)t;
    pthread_mutex_lock(&m->lock);
    int r = q_pop(&m->out[ch], out);
    pthread_mutex_unlock(&m->lock);
    return r;
}

int kn_mock_pending(kn_transport *t, kn_channel ch) {
    mock *m = (mock *)t;
    pthread_mutex_lock(&m->lock);
    int n = m->out[ch].n;
    pthread_mutex_unlock(&m->lock);
    return n;
}

int kn_mock_wakes(kn_transport *t) {
    mock *m = (mock *)t;
    pthread_mutex_lock(&m->lock);
    int n = m->wakes;
    pthread_mutex_unlock(&m->lock);
    return n;
}

void kn_mock_on_send(kn_transport *t, void (*fn)(void *, kn_channel, const kn_frames *), void *arg) {
    mock *m = (mock *)t;
    pthread_mutex_lock(&m->lock);
    m->on_send = fn;
    m->on_send_arg = arg;
    pthread_mutex_unlock(&m->lock);
}
