/* alloc.c — the caching allocator, one per logical device.
 *
 * Raw device allocations (cudaMalloc, page-faulting big mallocs) are slow,
 * so freed blocks are kept in free lists by size class and handed out again.
 * Size classes: 512 bytes, then four steps per power of two (at most 25%
 * slack). A live-block table maps each handed-out pointer to its block so
 * rt_device_free() needs only the pointer. When the backend cannot supply
 * memory the cache is flushed and the request retried once; then RT_EOOM is
 * recorded with the requested, free and cached byte counts.
 *
 * Limits (memlimit.c): a GPU's raw allocations are capped by
 * CGPU_GPU_MEMORY_LIMIT, counted over every logical device of the same
 * physical GPU, cached blocks included (they are flushed before a request is
 * refused). The CPU device's raw allocations are checked against the host
 * limit. rt_set_device_memory_limit sets a cap on any device (tests use the
 * CPU device: the logic does not depend on the kind).
 *
 * GPU safety: a device has one stream and its own allocator, so a block
 * freed and reused is ordered after the work that used it.
 */
#include "rt_core.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCLASS 224
#define MIN_BLOCK 512

/* One raw block; owned by the allocator from raw_alloc to raw_free. */
typedef struct block {
    void *p;
    size_t size; /* class size actually allocated */
    struct block *next; /* free-list link */
} block;

/* Owned by its device (created once by the registry, never freed). */
struct rt_allocator {
    rt_device *dev;
    pthread_mutex_t lock;
    block *free_list[NCLASS];
    /* live table: open addressing on the pointer, tombstones are (block*)1 */
    block **live;
    size_t live_cap, live_count, live_tomb;
    size_t used, cached, cache_cap;
    size_t limit;          /* cap on raw bytes held on the physical device; 0: none */
    int limit_resolved;    /* CGPU_GPU_MEMORY_LIMIT read for this device */
    const char *limit_source; /* static text: where the cap comes from */
    uint64_t raw_allocs, reuses;
};

/* Raw bytes held (live and cached) per physical device, over all of its
 * logical devices. Updated with atomics: each allocator has its own lock. */
#define MAX_PHYSICAL 64
static size_t held[2][MAX_PHYSICAL];

static size_t *held_slot(const rt_device *d) {
    int k = d->kind == RT_GPU ? 1 : 0;
    return d->physical >= 0 && d->physical < MAX_PHYSICAL ? &held[k][d->physical] : NULL;
}
static void held_add(const rt_device *d, size_t n) {
    size_t *h = held_slot(d);
    if (h) __atomic_add_fetch(h, n, __ATOMIC_RELAXED);
}
static void held_sub(const rt_device *d, size_t n) {
    size_t *h = held_slot(d);
    if (h) __atomic_sub_fetch(h, n, __ATOMIC_RELAXED);
}
static size_t held_now(const rt_device *d) {
    size_t *h = held_slot(d);
    return h ? __atomic_load_n(h, __ATOMIC_RELAXED) : 0;
}

#define TOMB ((block *)1)

rt_allocator *rt_allocator_new(rt_device *d) {
    rt_allocator *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->dev = d;
    pthread_mutex_init(&a->lock, NULL);
    /* Host memory is shared with everything else on the machine, so the CPU
     * cache is bounded; a GPU's cache may hold all of its memory (it is
     * flushed when an allocation fails). */
    a->cache_cap = d->kind == RT_CPU ? ((size_t)2 << 30) : (size_t)-1;
    return a;
}

/* Class index and rounded size for a request; -1 when absurdly large. */
static int size_class(size_t bytes, size_t *rounded) {
    if (bytes <= MIN_BLOCK) { *rounded = MIN_BLOCK; return 0; }
    if (bytes > ((size_t)1 << 62)) return -1;
    int e = 63 - __builtin_clzll((unsigned long long)(bytes - 1)); /* 2^e < bytes <= 2^(e+1) */
    size_t step = (size_t)1 << (e - 2);
    size_t r = (bytes + step - 1) & ~(step - 1);
    int sub = (int)(r >> (e - 2)) - 5; /* r is 5..8 steps */
    *rounded = r;
    return 1 + (e - 9) * 4 + sub;
}

static size_t hash_ptr(const void *p, size_t cap) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33;
    return (size_t)x & (cap - 1);
}

static int live_grow(rt_allocator *a) {
    size_t ncap = a->live_cap ? a->live_cap * 2 : 256;
    if (a->live_count * 2 < a->live_cap) ncap = a->live_cap; /* only tombstones: rehash in place */
    block **n = calloc(ncap, sizeof *n);
    if (!n) return -1;
    for (size_t i = 0; i < a->live_cap; i++) {
        block *b = a->live[i];
        if (!b || b == TOMB) continue;
        size_t h = hash_ptr(b->p, ncap);
        while (n[h]) h = (h + 1) & (ncap - 1);
        n[h] = b;
    }
    free(a->live);
    a->live = n;
    a->live_cap = ncap;
    a->live_tomb = 0;
    return 0;
}

static int live_put(rt_allocator *a, block *b) {
    if ((a->live_count + a->live_tomb + 1) * 4 > a->live_cap * 3 && live_grow(a) != 0) return -1;
    size_t h = hash_ptr(b->p, a->live_cap);
    while (a->live[h] && a->live[h] != TOMB) h = (h + 1) & (a->live_cap - 1);
    if (a->live[h] == TOMB) a->live_tomb--;
    a->live[h] = b;
    a->live_count++;
    return 0;
}

static block *live_take(rt_allocator *a, const void *p) {
    if (!a->live_cap) return NULL;
    size_t h = hash_ptr(p, a->live_cap);
    for (size_t n = 0; n < a->live_cap && a->live[h]; n++, h = (h + 1) & (a->live_cap - 1)) {
        block *b = a->live[h];
        if (b != TOMB && b->p == p) {
            a->live[h] = TOMB;
            a->live_tomb++;
            a->live_count--;
            return b;
        }
    }
    return NULL;
}

static void flush_locked(rt_allocator *a) {
    for (int c = 0; c < NCLASS; c++) {
        block *b = a->free_list[c];
        while (b) {
            block *next = b->next;
            a->dev->backend->raw_free(a->dev, b->p);
            held_sub(a->dev, b->size);
            a->cached -= b->size;
            free(b);
            b = next;
        }
        a->free_list[c] = NULL;
    }
}

/* "1.5 GiB" style, for messages. */
static void human(size_t n, char *buf, size_t cap) {
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024.0 && u < 6) { v /= 1024.0; u++; }
    if (u == 0) snprintf(buf, cap, "%zu bytes", n);
    else snprintf(buf, cap, "%.2f %s", v, units[u]);
}

static void record_oom(rt_device *d, size_t bytes, size_t cached_before) {
    size_t free_b = 0, total_b = 0;
    if (d->backend->mem_info) d->backend->mem_info(d, &free_b, &total_b);
    char req[32], fr[32], ca[32];
    human(bytes, req, sizeof req);
    human(free_b, fr, sizeof fr);
    human(cached_before, ca, sizeof ca);
    rt_set_error(RT_EOOM, "out of memory on %s: requested %zu bytes (%s), %s free, %s cached",
                 d->name, bytes, req, fr, ca);
}

static void resolve_limit_locked(rt_allocator *a) {
    if (a->limit_resolved) return;
    a->limit_resolved = 1;
    if (a->dev->kind != RT_GPU || a->limit) return;
    rt_device_props p;
    if (rt_device_properties(RT_GPU, a->dev->physical, &p) == RT_OK)
        a->limit = rt_gpu_memory_limit_for(p.total_memory, &a->limit_source);
}

/* Whether `rounded` more raw bytes fit under the device's cap and, on the
 * CPU, the host limit; flushes the cache once to make room. 0, or -1 with
 * the error recorded. */
static int room_locked(rt_allocator *a, size_t bytes, size_t rounded) {
    rt_device *d = a->dev;
    resolve_limit_locked(a);
    if (a->limit && held_now(d) + rounded > a->limit) {
        if (a->cached) flush_locked(a);
        if (held_now(d) + rounded > a->limit) {
            char req[32], lim[32], in_use[32];
            human(bytes, req, sizeof req);
            human(a->limit, lim, sizeof lim);
            human(held_now(d), in_use, sizeof in_use);
            rt_set_error(RT_EOOM, "out of memory on %s: requested %zu bytes (%s), over this kernel's limit of %s "
                         "on the device (%s); %s held", d->name, bytes, req, lim,
                         a->limit_source ? a->limit_source : "a limit set for this device", in_use);
            return -1;
        }
    }
    if (d->kind == RT_CPU && rt_host_memory_reserve(bytes) != RT_OK) {
        if (!a->cached) return -1;
        flush_locked(a);
        rt_clear_error();
        if (rt_host_memory_reserve(bytes) != RT_OK) return -1;
    }
    return 0;
}

void *rt_device_alloc(rt_device *d, size_t bytes) {
    if (!d || !d->alloc) { rt_set_error(RT_EDEVICE, "allocation on a missing device"); return NULL; }
    if (rt_device_begin(d) != RT_OK) return NULL; /* creates the CUDA state on first use */
    rt_allocator *a = d->alloc;
    size_t rounded;
    int c = size_class(bytes, &rounded);
    if (c < 0) {
        pthread_mutex_lock(&a->lock);
        size_t cached = a->cached;
        pthread_mutex_unlock(&a->lock);
        record_oom(d, bytes, cached);
        return NULL;
    }
    pthread_mutex_lock(&a->lock);
    block *b = a->free_list[c];
    if (b) {
        a->free_list[c] = b->next;
        a->cached -= b->size;
        a->reuses++;
    } else {
        b = malloc(sizeof *b);
        if (!b) {
            pthread_mutex_unlock(&a->lock);
            rt_set_error(RT_EOOM, "out of host memory");
            return NULL;
        }
        size_t cached_before = a->cached;
        if (room_locked(a, bytes, rounded) != 0) {
            free(b);
            pthread_mutex_unlock(&a->lock);
            return NULL;
        }
        b->size = rounded;
        b->p = d->backend->raw_alloc(d, rounded);
        if (!b->p && a->cached) {
            flush_locked(a);
            b->p = d->backend->raw_alloc(d, rounded);
        }
        if (!b->p) {
            free(b);
            pthread_mutex_unlock(&a->lock);
            record_oom(d, bytes, cached_before);
            return NULL;
        }
        a->raw_allocs++;
        held_add(d, b->size);
    }
    b->next = NULL;
    if (live_put(a, b) != 0) {
        d->backend->raw_free(d, b->p);
        held_sub(d, b->size);
        free(b);
        pthread_mutex_unlock(&a->lock);
        rt_set_error(RT_EOOM, "out of host memory");
        return NULL;
    }
    a->used += b->size;
    void *p = b->p;
    pthread_mutex_unlock(&a->lock);
    return p;
}

/* Unknown pointers are ignored: they were not handed out by this allocator. */
void rt_device_free(rt_device *d, void *p) {
    if (!d || !d->alloc || !p) return;
    rt_allocator *a = d->alloc;
    pthread_mutex_lock(&a->lock);
    block *b = live_take(a, p);
    if (b) {
        a->used -= b->size;
        if (a->cached + b->size > a->cache_cap) {
            d->backend->raw_free(d, b->p);
            held_sub(d, b->size);
            free(b);
        } else {
            size_t r;
            int c = size_class(b->size, &r);
            b->next = a->free_list[c];
            a->free_list[c] = b;
            a->cached += b->size;
        }
    }
    pthread_mutex_unlock(&a->lock);
}

void rt_allocator_flush(rt_device *d) {
    if (!d || !d->alloc) return;
    pthread_mutex_lock(&d->alloc->lock);
    flush_locked(d->alloc);
    pthread_mutex_unlock(&d->alloc->lock);
}

rt_status rt_set_device_memory_limit(rt_device *d, size_t bytes) {
    d = rt_resolve_device(d);
    if (!d || !d->alloc) return rt_set_error(RT_EDEVICE, "no such device");
    pthread_mutex_lock(&d->alloc->lock);
    d->alloc->limit = bytes;
    d->alloc->limit_resolved = 1;
    d->alloc->limit_source = NULL;
    pthread_mutex_unlock(&d->alloc->lock);
    return RT_OK;
}

size_t rt_device_memory_limit(rt_device *d) {
    d = rt_resolve_device(d);
    if (!d || !d->alloc) return 0;
    pthread_mutex_lock(&d->alloc->lock);
    resolve_limit_locked(d->alloc);
    size_t l = d->alloc->limit;
    pthread_mutex_unlock(&d->alloc->lock);
    return l;
}

void rt_allocator_stats(rt_device *d, size_t *used, size_t *cached) {
    size_t u = 0, c = 0;
    if (d && d->alloc) {
        pthread_mutex_lock(&d->alloc->lock);
        u = d->alloc->used;
        c = d->alloc->cached;
        pthread_mutex_unlock(&d->alloc->lock);
    }
    if (used) *used = u;
    if (cached) *cached = c;
}

void rt_allocator_counters(rt_device *d, uint64_t *raw_allocs, uint64_t *reuses) {
    uint64_t r = 0, u = 0;
    if (d && d->alloc) {
        pthread_mutex_lock(&d->alloc->lock);
        r = d->alloc->raw_allocs;
        u = d->alloc->reuses;
        pthread_mutex_unlock(&d->alloc->lock);
    }
    if (raw_allocs) *raw_allocs = r;
    if (reuses) *reuses = u;
}

/* ---- storage ---------------------------------------------------------------- */

rt_storage *rt_storage_new(rt_device *d, size_t bytes) {
    if (rt_device_begin(d) != RT_OK) return NULL;
    rt_storage *s = malloc(sizeof *s);
    if (!s) { rt_set_error(RT_EOOM, "out of host memory"); return NULL; }
    s->data = rt_device_alloc(d, bytes);
    if (!s->data) { free(s); return NULL; }
    s->refcount = 1;
    s->device = d;
    s->bytes = bytes;
    s->adopted = 0;
    return s;
}

void rt_storage_release(rt_storage *s) {
    if (!s || --s->refcount > 0) return;
    if (s->adopted) free(s->data);
    else rt_device_free(s->device, s->data);
    free(s);
}
