/* heap.h — the values' heap of one interpreter.
 *
 * Every container object (list, tuple, dict, function, cell, iterator,
 * builtin) sits in its heap's list, which the cycle collector walks; the
 * heap also holds the queue of objects whose release was deferred (deep
 * nesting) and the depth counters of the recursive walks over values
 * (release, equality, repr). Two interpreters have two heaps and share
 * nothing: one can be freed while the other runs on.
 *
 * Ownership: a lang_state owns its heap (lang_new creates it, lang_free
 * destroys it). lv_alloc_obj, lv_release and the walks take no state: they
 * use the calling thread's current heap, which every lang.h entry point
 * sets for its duration (lang_heap_enter / lang_heap_leave) and which is
 * the process heap outside any interpreter (values made by a host or a test
 * without one). An object remembers its heap, so releasing it while
 * another heap is current is safe.
 */
#ifndef CGPU_LANG_HEAP_H
#define CGPU_LANG_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define LANG_REPR_MAX_DEPTH 100

struct lv_obj;
typedef struct lang_heap lang_heap;

/* The hidden header in front of each container (gc.c). */
typedef struct gc_head {
    struct gc_head *prev, *next;
    lang_heap      *heap;    /* the heap whose list holds it */
    int64_t         refs;    /* during a collection */
    int             reach;
    int             pad;
} gc_head;

struct lang_heap {
    gc_head         list;        /* sentinel of the container list */
    size_t          count;       /* containers in the list */
    size_t          allocs;      /* containers made since the last collection */
    int             release_depth;
    struct lv_obj **release_queue;
    size_t          release_n, release_cap;
    int             equal_depth;
    const void     *repr_active[LANG_REPR_MAX_DEPTH + 2]; /* containers being printed */
    int             repr_nactive;
};

lang_heap *lang_heap_new(void); /* NULL when out of memory */
/* Frees h; objects still in it (held from outside the interpreter) move to
 * the process heap. h must not be current on any thread. */
void       lang_heap_free(lang_heap *h);
/* Makes h the calling thread's current heap; returns the previous one, to
 * give back to lang_heap_leave. */
lang_heap *lang_heap_enter(lang_heap *h);
void       lang_heap_leave(lang_heap *previous);
/* The current heap (the process heap when none is entered). */
lang_heap *lang_heap_current(void);

#endif
