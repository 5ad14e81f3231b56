/* arena.c — per-cell bump allocator with refcounted lifetime (arena.h). */
#include <stdlib.h>
#include <string.h>
#include "arena.h"

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

#define CHUNK_MIN 8192

lang_arena *arena_new(const char *source)
{
    lang_arena *A = calloc(1, sizeof *A);
    if (!A) return NULL;
    A->refcount = 1;
    A->source = strdup(source ? source : "");
    if (!A->source) { free(A); return NULL; }
    return A;
}

lang_arena *arena_retain(lang_arena *A)
{
    if (A) A->refcount++;
    return A;
}

void arena_release(lang_arena *A)
{
    if (!A || --A->refcount > 0) return;
    for (size_t i = 0; i < A->nconsts; i++) lv_release(A->consts[i]);
    free(A->consts);
    struct arena_chunk *c = A->chunks;
    while (c) {
        struct arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    free(A->source);
    free(A);
}

void *arena_alloc(lang_arena *A, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct arena_chunk *c = A->chunks;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
        c = malloc(sizeof *c + cap);
        if (!c) return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = A->chunks;
        A->chunks = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(lang_arena *A, const char *s, size_t n)
{
    char *p = arena_alloc(A, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

int arena_keep(lang_arena *A, lang_value v)
{
    if (A->nconsts == A->capconsts) {
        size_t nc = A->capconsts ? A->capconsts * 2 : 16;
        lang_value *p = realloc(A->consts, nc * sizeof *p);
        if (!p) { lv_release(v); return -1; }
        A->consts = p;
        A->capconsts = nc;
    }
    A->consts[A->nconsts++] = v;
    return 0;
}
