/* gc.c — heap allocation of values and a cycle collector.
 *
 * Refcounting frees everything except reference cycles (a list that
 * contains itself, a recursive inner function whose closure cell holds the
 * function). Container objects (lists, tuples, dicts, functions, cells,
 * iterators, bound methods) are allocated with a hidden header linking them
 * into one list, and lv_gc_collect() finds the ones only reachable from each
 * other, CPython-style:
 *   1. copy each container's refcount;
 *   2. subtract the references coming from other containers;
 *   3. what still has references is reachable from outside (variables,
 *      frames on the C stack, runtime objects), and so is everything it
 *      reaches; the rest is garbage, whose references are cleared.
 * Runtime objects (LV_OBJECT) are opaque and not traversed: whatever they
 * hold counts as reachable. The list is the current interpreter's (heap.h);
 * a heap's values are used by one thread at a time.
 */
#include <stdlib.h>
#include <string.h>
#include "heap.h"
#include "interp.h"

/* ---- heaps ---------------------------------------------------------------------------- */

static lang_heap process_heap = {           /* outside any interpreter */
    .list = { .prev = &process_heap.list, .next = &process_heap.list, .heap = &process_heap },
};
static _Thread_local lang_heap *current;    /* NULL: the process heap */

static void heap_init(lang_heap *h)
{
    memset(h, 0, sizeof *h);
    h->list.prev = h->list.next = &h->list;
    h->list.heap = h;
}

/* Appends g to heap's list. */
static void link_into(lang_heap *heap, gc_head *g)
{
    g->heap = heap;
    g->next = &heap->list;
    g->prev = heap->list.prev;
    heap->list.prev->next = g;
    heap->list.prev = g;
    heap->count++;
}

lang_heap *lang_heap_current(void)
{
    return current ? current : &process_heap;
}

lang_heap *lang_heap_new(void)
{
    lang_heap *h = malloc(sizeof *h);
    if (h) heap_init(h);
    return h;
}

lang_heap *lang_heap_enter(lang_heap *h)
{
    lang_heap *previous = current;
    current = h;
    return previous;
}

void lang_heap_leave(lang_heap *previous) { current = previous; }

void lang_heap_free(lang_heap *h)
{
    if (!h) return;
    lang_heap *to = &process_heap;
    while (h->list.next != &h->list) {
        gc_head *g = h->list.next;
        h->list.next = g->next;
        link_into(to, g);
    }
    free(h->release_queue);
    free(h);
}

static int tracked(int t)
{
    return t == LV_LIST || t == LV_TUPLE || t == LV_DICT || t == LV_FUNCTION || t == LV_CELL || t == LV_ITER ||
           t == LV_BUILTIN || t == LV_CLASS || t == LV_INSTANCE;
}

#define HEAD(o) ((gc_head *)(o) - 1)

void *lv_alloc_obj(lv_type t, size_t size)
{
    lv_obj *o;
    if (tracked(t)) {
        gc_head *h = calloc(1, sizeof *h + size);
        if (!h) return NULL;
        lang_heap *heap = lang_heap_current();
        link_into(heap, h);
        heap->allocs++;
        o = (lv_obj *)(h + 1);
    } else if (t == LV_STR) {
        /* strings are filled by the caller: zero the header only */
        o = malloc(size);
        if (!o) return NULL;
        memset(o, 0, sizeof(lv_strobj));
    } else {
        o = calloc(1, size);
        if (!o) return NULL;
    }
    o->refcount = 1;
    o->type = (uint8_t)t;
    return o;
}

void lv_free_obj(lv_obj *o)
{
    if (!tracked(o->type)) { free(o); return; }
    gc_head *h = HEAD(o);
    h->prev->next = h->next;
    h->next->prev = h->prev;
    h->heap->count--;
    free(h);
}

/* ---- traversal ------------------------------------------------------------------- */

typedef void (*visit_fn)(lv_obj *ref, void *ctx);

static void visit_value(lang_value v, visit_fn fn, void *ctx)
{
    if (v.type > LV_FLOAT && v.type != LV_ARRAY && tracked(v.type)) fn(v.u.o, ctx);
}

static void traverse(lv_obj *o, visit_fn fn, void *ctx)
{
    switch (o->type) {
    case LV_LIST: {
        lv_listobj *l = (lv_listobj *)o;
        for (size_t i = 0; i < l->n; i++) visit_value(l->items[i], fn, ctx);
        break;
    }
    case LV_TUPLE: {
        lv_tupleobj *t = (lv_tupleobj *)o;
        for (size_t i = 0; i < t->n; i++) visit_value(t->items[i], fn, ctx);
        break;
    }
    case LV_DICT: {
        lv_dictobj *d = (lv_dictobj *)o;
        for (size_t i = 0; i < d->used; i++) {
            visit_value(d->entries[i].key, fn, ctx);
            visit_value(d->entries[i].value, fn, ctx);
        }
        break;
    }
    case LV_FUNCTION: {
        lv_funcobj *f = (lv_funcobj *)o;
        if (f->defaults)
            for (int i = 0; i < f->def->ndefaults + f->def->nkwonly; i++) visit_value(f->defaults[i], fn, ctx);
        if (f->free)
            for (int i = 0; i < f->def->nfree; i++) if (f->free[i]) fn(&f->free[i]->h, ctx);
        if (f->owner) fn(&f->owner->h, ctx);
        break;
    }
    case LV_CLASS: {
        lv_classobj *c = (lv_classobj *)o;
        if (c->base) fn(&c->base->h, ctx);
        visit_value(c->dict, fn, ctx);
        break;
    }
    case LV_INSTANCE: {
        lv_instanceobj *in = (lv_instanceobj *)o;
        if (in->cls) fn(&in->cls->h, ctx);
        visit_value(in->dict, fn, ctx);
        break;
    }
    case LV_CELL: visit_value(((lv_cellobj *)o)->v, fn, ctx); break;
    case LV_ITER: {
        lv_iterobj *it = (lv_iterobj *)o;
        visit_value(it->src, fn, ctx);
        for (int i = 0; i < it->nsub; i++) if (it->sub[i]) fn(&it->sub[i]->h, ctx);
        break;
    }
    case LV_BUILTIN: visit_value(((lv_builtinobj *)o)->self, fn, ctx); break;
    default: break;
    }
}

/* A class's base or an instance's class, and its dict, dropped */
static void clear_class_ref(lv_classobj **cls, lang_value *dict)
{
    lv_classobj *c = *cls;
    lang_value d = *dict;
    *cls = NULL;
    *dict = lv_none();
    if (c) lv_release(lv_from_obj(c));
    lv_release(d);
}

/* Drops every reference o holds (o stays a valid, empty object). */
static void clear(lv_obj *o)
{
    switch (o->type) {
    case LV_LIST: {
        lv_listobj *l = (lv_listobj *)o;
        size_t n = l->n;
        l->n = 0;
        for (size_t i = 0; i < n; i++) lv_release(l->items[i]);
        break;
    }
    case LV_TUPLE: {
        lv_tupleobj *t = (lv_tupleobj *)o;
        for (size_t i = 0; i < t->n; i++) { lang_value v = t->items[i]; t->items[i] = lv_none(); lv_release(v); }
        break;
    }
    case LV_DICT: {
        lv_dictobj *d = (lv_dictobj *)o;
        size_t used = d->used;
        lv_dictentry *e = d->entries;
        d->entries = NULL;
        d->used = d->n = d->cap = 0;
        free(d->index);
        d->index = NULL;
        d->mask = 0;
        for (size_t i = 0; i < used; i++) { lv_release(e[i].key); lv_release(e[i].value); }
        free(e);
        break;
    }
    case LV_FUNCTION: {
        lv_funcobj *f = (lv_funcobj *)o;
        if (f->defaults)
            for (int i = 0; i < f->def->ndefaults + f->def->nkwonly; i++) {
                lang_value v = f->defaults[i];
                f->defaults[i] = lv_missing();
                lv_release(v);
            }
        if (f->free)
            for (int i = 0; i < f->def->nfree; i++) {
                lv_cellobj *c = f->free[i];
                f->free[i] = NULL;
                if (c) lv_release(lv_from_obj(c));
            }
        if (f->owner) { lv_classobj *c = f->owner; f->owner = NULL; lv_release(lv_from_obj(c)); }
        break;
    }
    case LV_CLASS: clear_class_ref(&((lv_classobj *)o)->base, &((lv_classobj *)o)->dict); break;
    case LV_INSTANCE: clear_class_ref(&((lv_instanceobj *)o)->cls, &((lv_instanceobj *)o)->dict); break;
    case LV_CELL: {
        lv_cellobj *c = (lv_cellobj *)o;
        lang_value v = c->v;
        c->v = lv_missing();
        lv_release(v);
        break;
    }
    case LV_ITER: {
        lv_iterobj *it = (lv_iterobj *)o;
        lang_value v = it->src;
        it->src = lv_none();
        lv_release(v);
        for (int i = 0; i < it->nsub; i++) {
            lv_iterobj *s = it->sub[i];
            it->sub[i] = NULL;
            if (s) lv_release(lv_from_obj(s));
        }
        break;
    }
    case LV_BUILTIN: {
        lv_builtinobj *b = (lv_builtinobj *)o;
        lang_value v = b->self;
        b->self = lv_none();
        lv_release(v);
        break;
    }
    default: break;
    }
}

/* ---- collection ---------------------------------------------------------------------- */

static void dec_ref(lv_obj *ref, void *ctx)
{
    (void)ctx;
    HEAD(ref)->refs--;
}

typedef struct { gc_head **v; size_t n, cap; int oom; } stack;

static void push(stack *s, gc_head *h)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 256;
        gc_head **p = realloc(s->v, nc * sizeof *p);
        if (!p) { s->oom = 1; return; }
        s->v = p;
        s->cap = nc;
    }
    s->v[s->n++] = h;
}

static void mark(lv_obj *ref, void *ctx)
{
    gc_head *h = HEAD(ref);
    if (h->reach) return;
    h->reach = 1;
    push(ctx, h);
}

size_t lv_gc_collect(void)
{
    lang_heap *heap = lang_heap_current();
    gc_head *const gc_list = &heap->list;
    heap->allocs = 0;
    for (gc_head *h = gc_list->next; h != gc_list; h = h->next) {
        h->refs = ((lv_obj *)(h + 1))->refcount;
        h->reach = 0;
    }
    for (gc_head *h = gc_list->next; h != gc_list; h = h->next) traverse((lv_obj *)(h + 1), dec_ref, NULL);
    stack s = {0};
    for (gc_head *h = gc_list->next; h != gc_list; h = h->next)
        if (h->refs > 0) { h->reach = 1; push(&s, h); }
    while (s.n && !s.oom) {
        gc_head *h = s.v[--s.n];
        traverse((lv_obj *)(h + 1), mark, &s);
    }
    if (s.oom) { free(s.v); return 0; }
    /* the garbage: keep it alive while its references are cleared */
    s.n = 0;
    for (gc_head *h = gc_list->next; h != gc_list; h = h->next)
        if (!h->reach) push(&s, h);
    if (s.oom) { free(s.v); return 0; }
    size_t n = s.n;
    for (size_t i = 0; i < n; i++) ((lv_obj *)(s.v[i] + 1))->refcount++;
    for (size_t i = 0; i < n; i++) clear((lv_obj *)(s.v[i] + 1));
    for (size_t i = 0; i < n; i++) lv_release(lv_from_obj((lv_obj *)(s.v[i] + 1)));
    free(s.v);
    return n;
}

int lv_gc_wanted(void)
{
    lang_heap *heap = lang_heap_current();
    return heap->allocs > 20000 && heap->allocs > heap->count;
}
