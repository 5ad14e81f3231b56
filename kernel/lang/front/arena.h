/* arena.h — per-cell memory for tokens and the AST.
 *
 * Everything a cell's parse produces lives in one arena, freed in one go.
 * The arena is refcounted: the cell holds one reference while it runs and
 * every function object defined by the cell holds one, so a def's AST stays
 * alive as long as the function can be called. Constants the parser creates
 * (string literals) are registered with the arena and released with it.
 */
#ifndef CGPU_LANG_ARENA_H
#define CGPU_LANG_ARENA_H

#include <stddef.h>
#include "value.h"

typedef struct lang_arena lang_arena;
struct lang_arena {
    int         refcount;
    struct arena_chunk *chunks;  /* owned */
    lang_value *consts;          /* owned references */
    size_t      nconsts, capconsts;
    char       *source;          /* owned copy of the cell text */
    int         cell_number;     /* "Cell In[N]" in tracebacks; 0: none */
    const char *filename;        /* instead of a cell number (test files); static */
    int         line_offset;     /* added to line numbers shown for filename */
};

lang_arena *arena_new(const char *source); /* NULL if out of memory */
lang_arena *arena_retain(lang_arena *A);
void        arena_release(lang_arena *A);   /* NULL is fine */
/* Zeroed, 8-aligned memory; NULL when out of memory. */
void       *arena_alloc(lang_arena *A, size_t n);
char       *arena_strndup(lang_arena *A, const char *s, size_t n);
/* Keeps v alive as long as the arena (takes the reference). 0 / -1 OOM. */
int         arena_keep(lang_arena *A, lang_value v);

#endif
