/* value.h — the values of the C-GPU language.
 *
 * OWNERSHIP (the one rule, stated once, followed everywhere):
 *   - every function that RETURNS a lang_value returns a NEW reference that
 *     the caller owns and must drop with lv_release();
 *   - lang_value ARGUMENTS are BORROWED: no function consumes its arguments,
 *     containers retain what they store;
 *   - the only exceptions carry "take" in their name (lv_str_take,
 *     lv_array_take, lv_list_append_take, ...) and consume the argument they
 *     name, even when they fail;
 *   - accessors that return pointers into a value (lv_str_cstr, lv_list_items,
 *     lv_object_data, lv_dict_get, ...) return BORROWED pointers, valid while
 *     the value is alive and unchanged.
 *   lv_retain() adds a reference. Releasing None/bool/int/float is a no-op.
 *
 * Representation: a 16-byte tagged union passed by value. None, bool, int
 * (64-bit) and float (double) live inline (no allocation); everything else
 * points to a refcounted heap object. Arrays are the runtime's rt_array
 * (runtime/rt.h), refcounted by the runtime itself.
 *
 * Two tags are not user values: LV_ERR is what a function returns when it
 * raised an error (the error itself is recorded in the lang_state, see
 * builtins.h), LV_MISSING marks an argument that was not passed.
 *
 * Runtime objects (devices, models, layers, figures...) are LV_OBJECT values:
 * a pointer to a lang_class (the behaviour, static) plus a data pointer owned
 * by the object and freed by the class's free hook.
 */
#ifndef CGPU_LANG_VALUE_H
#define CGPU_LANG_VALUE_H

#include <stddef.h>
#include <stdint.h>
#include "lang.h"
#include "rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ORDER lv_type: keep lv_type_name() (value.c) in step. Heap types come
 * after LV_FLOAT; lv_retain/lv_release rely on it. */
typedef enum {
    LV_ERR = 0,    /* "an error was raised" (not a value) */
    LV_MISSING,    /* "argument not given" (not a value) */
    LV_NONE,
    LV_BOOL,
    LV_INT,
    LV_FLOAT,
    /* heap types: */
    LV_STR,
    LV_LIST,
    LV_TUPLE,
    LV_DICT,
    LV_FUNCTION,   /* user function (def / lambda) with its closure */
    LV_BUILTIN,    /* C function, maybe bound to a receiver (a method) */
    LV_ARRAY,      /* rt_array *, refcounted by the runtime */
    LV_OBJECT,     /* runtime object of a lang_class */
    LV_RANGE,      /* range(start, stop, step) */
    LV_ITER,       /* enumerate / zip / other lazy iterators */
    LV_CELL,       /* internal: a captured variable (closures) */
    LV_CLASS,      /* a class: `class` statements, exception classes, bases defined from C */
    LV_INSTANCE,   /* an instance of an LV_CLASS (attributes in a dict) */
    LV_TYPE_COUNT
} lv_type;

/* Header of every heap object except arrays. Owned by its references. */
typedef struct lv_obj {
    int32_t refcount;
    uint8_t type;       /* lv_type */
} lv_obj;

typedef struct lang_value {
    uint8_t type;       /* lv_type */
    union {
        int      b;     /* LV_BOOL: 0 or 1 */
        int64_t  i;     /* LV_INT */
        double   f;     /* LV_FLOAT */
        lv_obj  *o;     /* heap types except LV_ARRAY */
        rt_array *a;    /* LV_ARRAY */
    } u;
} lang_value;

const char *lv_type_name(lang_value v); /* "int", "list", "array", or the class name */

/* ---- inline constructors and tests (no allocation, can't fail) ---------- */
static inline lang_value lv_none(void)        { lang_value v; v.type = LV_NONE; v.u.i = 0; return v; }
static inline lang_value lv_missing(void)     { lang_value v; v.type = LV_MISSING; v.u.i = 0; return v; }
static inline lang_value lv_err(void)         { lang_value v; v.type = LV_ERR; v.u.i = 0; return v; }
static inline lang_value lv_bool(int b)       { lang_value v; v.type = LV_BOOL; v.u.i = 0; v.u.b = b != 0; return v; }
static inline lang_value lv_int(int64_t i)    { lang_value v; v.type = LV_INT; v.u.i = i; return v; }
static inline lang_value lv_float(double f)   { lang_value v; v.type = LV_FLOAT; v.u.f = f; return v; }

static inline int lv_is_err(lang_value v)     { return v.type == LV_ERR; }
static inline int lv_is_missing(lang_value v) { return v.type == LV_MISSING; }
static inline int lv_is_none(lang_value v)    { return v.type == LV_NONE; }
/* int, float or bool (bool counts as a number, as in Python). */
static inline int lv_is_number(lang_value v)  { return v.type == LV_INT || v.type == LV_FLOAT || v.type == LV_BOOL; }
static inline double lv_as_double(lang_value v) /* numbers only */
{ return v.type == LV_FLOAT ? v.u.f : (double)(v.type == LV_INT ? v.u.i : v.u.b); }

/* ---- references ----------------------------------------------------------- */
void lv_release_heap(lang_value v); /* slow path of lv_release */
static inline lang_value lv_retain(lang_value v)
{
    if (v.type == LV_ARRAY) rt_array_retain(v.u.a);
    else if (v.type > LV_FLOAT) v.u.o->refcount++;
    return v;
}
static inline void lv_release(lang_value v)
{
    if (v.type > LV_FLOAT) lv_release_heap(v);
}

/* ---- strings (UTF-8, immutable, NUL-terminated) ------------------------------
 * Constructors return LV_ERR only when out of memory (no lang_state to
 * record a message in: callers holding one use lang_nomem()). */
lang_value  lv_str(const char *s);                 /* copies */
lang_value  lv_str_n(const char *s, size_t len);   /* copies len bytes */
lang_value  lv_str_take(char *malloced);           /* takes a malloc'd string */
lang_value  lv_str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *lv_str_cstr(lang_value v);             /* borrowed */
size_t      lv_str_len(lang_value v);              /* bytes */

/* ---- lists and tuples ---------------------------------------------------------
 * Items are owned by the container. Getters return borrowed values. */
lang_value  lv_list_new(size_t capacity_hint);
int         lv_list_append(lang_value list, lang_value item);      /* 0, or -1 out of memory */
int         lv_list_append_take(lang_value list, lang_value item); /* consumes item */
size_t      lv_list_len(lang_value list);
lang_value *lv_list_items(lang_value list);        /* borrowed, lv_list_len items */

/* A tuple is created with n slots set to None, then filled with
 * lv_tuple_set_take (only while the tuple is new and unshared). */
lang_value  lv_tuple_new(size_t n);
void        lv_tuple_set_take(lang_value tuple, size_t i, lang_value item);
size_t      lv_tuple_len(lang_value tuple);
lang_value *lv_tuple_items(lang_value tuple);      /* borrowed */
lang_value  lv_tuple_of(size_t n, const lang_value *items); /* retains items */

/* Length and items of a list or a tuple (n = -1 for other types). */
lang_value *lv_seq_items(lang_value v, int64_t *n);

/* ---- dicts (insertion-ordered; keys: None, bool, int, float, str, tuple) --- */
lang_value  lv_dict_new(void);
/* 0 ok; -1 out of memory; -2 unhashable key. Retains key and value. */
int         lv_dict_set(lang_value dict, lang_value key, lang_value value);
int         lv_dict_set_str(lang_value dict, const char *key, lang_value value);
/* Borrowed value, or LV_MISSING when absent. */
lang_value  lv_dict_get(lang_value dict, lang_value key);
lang_value  lv_dict_get_str(lang_value dict, const char *key);
/* Removes key: its value (new reference), or LV_MISSING when absent. */
lang_value  lv_dict_pop(lang_value dict, lang_value key);
size_t      lv_dict_len(lang_value dict);
/* Iteration in insertion order: i from 0 while lv_dict_next returns 1;
 * key/value borrowed. */
int         lv_dict_next(lang_value dict, size_t *i, lang_value *key, lang_value *value);

/* ---- arrays ------------------------------------------------------------------- */
/* Consumes `a` (may be NULL: then returns LV_ERR; see lang_array_result in
 * builtins.h which also records the runtime's error message). */
lang_value  lv_array_take(rt_array *a);
static inline rt_array *lv_array(lang_value v) { return v.type == LV_ARRAY ? v.u.a : NULL; } /* borrowed */

/* ---- runtime objects ------------------------------------------------------------ */
typedef struct lang_class lang_class;      /* builtins.h */
/* Creates an object owning `data` (freed by cls->free on the last release).
 * On out of memory, frees data with cls->free and returns LV_ERR. */
lang_value         lv_object_new(const lang_class *cls, void *data);
const lang_class  *lv_object_class(lang_value v);          /* NULL if not an object */
void              *lv_object_data(lang_value v);           /* borrowed */
/* data when v is an object of exactly class cls, else NULL. */
void              *lv_object_check(lang_value v, const lang_class *cls);

/* ---- generic operations (no lang_state needed) ----------------------------------- */
int  lv_truthy(lang_value v);             /* Python truthiness; arrays: size==1 item, else 1 */
/* Python ==, for host values (arrays compare by identity here; the
 * evaluator does element-wise ==). */
int  lv_equal(lang_value a, lang_value b);
/* Hash for dict keys; -1 when unhashable. */
int64_t lv_hash(lang_value v);

#ifdef __cplusplus
}
#endif
#endif
