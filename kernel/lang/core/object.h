/* object.h — layouts of the heap objects behind lang_value (value.h).
 * Internal to the interpreter: builtins written elsewhere use value.h's
 * accessors. Each object is owned by its references (refcount in lv_obj).
 */
#ifndef CGPU_LANG_OBJECT_H
#define CGPU_LANG_OBJECT_H

#include "value.h"
#include "builtins.h"

typedef struct {               /* LV_STR: immutable UTF-8 */
    lv_obj   h;
    size_t   len;              /* bytes, excluding the NUL */
    int64_t  ncp;              /* code points */
    uint64_t hash;             /* 0: not computed yet */
    char     s[];              /* len bytes + NUL */
} lv_strobj;

typedef struct {               /* LV_LIST */
    lv_obj      h;
    size_t      n, cap;
    lang_value *items;         /* owned */
} lv_listobj;

typedef struct {               /* LV_TUPLE */
    lv_obj     h;
    size_t     n;
    lang_value items[];        /* owned */
} lv_tupleobj;

typedef struct {               /* one dict slot; key LV_MISSING = deleted */
    uint64_t   hash;
    lang_value key, value;     /* owned */
} lv_dictentry;

typedef struct {               /* LV_DICT: compact insertion-ordered hash table */
    lv_obj        h;
    size_t        n;           /* live entries */
    size_t        used, cap;   /* entries[0..used) (some deleted) */
    lv_dictentry *entries;
    int32_t      *index;       /* open addressing into entries, -1 empty */
    size_t        mask;        /* index size - 1 (power of two) */
} lv_dictobj;

typedef struct {               /* LV_BUILTIN */
    lv_obj            h;
    const char       *name;    /* static */
    lang_builtin_fn   fn;
    const char       *doc;     /* static, may be NULL */
    lang_value        self;    /* owned; LV_NONE when unbound */
    const lang_class *cls;     /* constructor of this class (isinstance), or NULL */
    int               type_tag;/* lv_type this builtin names (int, str...), or -1 */
} lv_builtinobj;

typedef struct {               /* LV_OBJECT */
    lv_obj            h;
    const lang_class *cls;
    void             *data;    /* owned: cls->free */
} lv_objectobj;

typedef struct {               /* LV_RANGE */
    lv_obj  h;
    int64_t start, stop, step;
} lv_rangeobj;

typedef struct {               /* LV_CELL: a variable captured by a closure */
    lv_obj     h;
    lang_value v;              /* owned; LV_MISSING while unbound */
} lv_cellobj;

/* LV_CLASS: a class made by a `class` statement or defined from C
 * (lang_define_class); the builtin exception classes are classes too. */
typedef struct lv_classobj {
    lv_obj              h;
    char               *name;     /* owned */
    struct lv_classobj *base;     /* owned reference; NULL only for `object` */
    lang_value          dict;     /* owned dict: methods (functions, builtins), class attributes */
    int                 exc_kind; /* lang_error_kind of the nearest builtin exception class
                                     at or above this one; -1 when not an exception */
    int                 from_c;   /* defined from C: repr <class 'Name'> (no __main__.) */
    const char         *doc;      /* static doc of a class defined from C, or NULL */
} lv_classobj;

typedef struct {               /* LV_INSTANCE */
    lv_obj       h;
    lv_classobj *cls;          /* owned reference */
    lang_value   dict;         /* owned dict: the instance's attributes */
    char        *message;      /* owned, or NULL: str() of an error raised from C */
} lv_instanceobj;

struct ast_func;
struct lang_arena;
typedef struct {               /* LV_FUNCTION */
    lv_obj             h;
    struct ast_func   *def;    /* lives in arena */
    struct lang_arena *arena;  /* retained: keeps def's AST alive */
    lang_value        *defaults; /* owned, def->ndefaults values */
    lv_cellobj       **free;   /* owned refs, def->nfree cells */
    lv_classobj       *owner;  /* owned ref: the class whose body defined it (super()), or NULL */
} lv_funcobj;

/* Lazy iterators (LV_ITER): enumerate, zip, iter(x) over sequences. */
typedef enum {
    IT_SEQ, IT_STR, IT_DICT, IT_RANGE, IT_ARRAY, IT_ENUMERATE, IT_ZIP,
    IT_NEXT,     /* src: an instance with __next__ (until StopIteration) */
    IT_GETITEM,  /* src: an instance with __getitem__, called with 0, 1, 2 ... (until IndexError) */
    IT_OBJECT,   /* src: an object whose class has a next hook (a file's lines) */
} lv_iterkind;
typedef struct lv_iterobj {
    lv_obj       h;
    lv_iterkind  kind;
    lang_value   src;          /* owned: the iterated value */
    int64_t      pos, end;     /* IT_SEQ/IT_STR(bytes)/IT_DICT/IT_RANGE/IT_ARRAY */
    int64_t      count;        /* IT_ENUMERATE: next index */
    int          nsub;         /* IT_ENUMERATE: 1, IT_ZIP: n */
    struct lv_iterobj **sub;   /* owned */
} lv_iterobj;

#define LV_OBJ(v, T) ((T *)(v).u.o)
static inline lang_value lv_from_obj(void *o)
{
    lang_value v;
    v.type = ((lv_obj *)o)->type;
    v.u.o = (lv_obj *)o;
    return v;
}
/* gc.c: allocation of heap objects (refcount 1, zeroed; NULL if OOM) and
 * their release; containers are tracked for the cycle collector. */
void  *lv_alloc_obj(lv_type t, size_t size);
void   lv_free_obj(lv_obj *o);
size_t lv_gc_collect(void);   /* frees unreachable cycles of the current heap (heap.h); returns how many */
int    lv_gc_wanted(void);    /* many containers were made in the current heap since its last collection */

/* Freed by their owners' modules (eval.c / iter.c). */
void lv_func_free(lv_funcobj *f);
void lv_iter_free(lv_iterobj *it);

/* Strings */
uint64_t lv_str_hash(lang_value s);
int64_t  lv_str_ncp(lang_value s);

#endif
