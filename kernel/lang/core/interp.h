/* interp.h — the interpreter's internal state and the functions its files
 * share (evaluator, operators, iteration, printing, builtins). Not for code
 * outside kernel/lang/: that uses builtins.h and value.h.
 */
#ifndef CGPU_LANG_INTERP_H
#define CGPU_LANG_INTERP_H

#include <signal.h>
#include "ast.h"
#include "heap.h"
#include "builtins.h"
#include "object.h"
#include "numfmt.h"

#define LANG_MAX_CALL_DEPTH 1000   /* RecursionError beyond this many user calls */

/* A global name: the user's binding and the builtin under the same name.
 * Slot indices are stable for the life of the state (resolved ASTs keep
 * them), so the table only grows. */
typedef struct {
    char      *name;      /* owned */
    lang_value value;     /* user binding (owned), LV_MISSING when unbound */
    lang_value builtin;   /* builtin binding (owned), LV_MISSING when none */
    const char *doc;      /* builtin doc (static), or NULL */
} gslot;

typedef struct {          /* one traceback entry, innermost first */
    lang_arena *arena;    /* retained: source text and cell number */
    int         line, col;
    char       *func;     /* owned; NULL at cell level */
} tb_entry;

typedef struct ext_entry {
    char *key;
    void *ptr;
    void (*free_fn)(void *);
    struct ext_entry *next;
} ext_entry;

typedef struct cell_hook {
    void (*fn)(lang_state *L, void *ctx);
    void *ctx;
    struct cell_hook *next;
} cell_hook;

/* A running function (or cell top level). Lives on the C stack. */
typedef struct frame {
    struct frame *parent;
    ast_func     *fn;
    lang_arena   *arena;      /* where fn's source lives (tracebacks) */
    lang_value   *slots;      /* fn->nlocals */
    lv_cellobj  **free;       /* fn->nfree captured cells */
    lang_value    retval;     /* set by 'return' */
    lv_funcobj   *func;       /* the running function object (super()), NULL at cell level */
} frame;

/* An error taken out of the state while an except clause looks at it or
 * handles it (errors.c). Owns what it holds. */
typedef struct exc_saved {
    struct exc_saved *prev;   /* the exception handled around this one */
    lang_error_kind kind;
    char       *msg;
    lang_value  value;        /* the exception instance, or LV_MISSING */
    tb_entry   *tb;
    int         ntb, captb;
} exc_saved;

struct lang_state {
    lang_heap  *heap;         /* owned: the values' heap (heap.h) */
    gslot      *g;            /* owned */
    int         ng, capg;
    int        *gindex;       /* open-addressing hash: name -> slot, -1 empty */
    int         gmask;

    /* the pending error */
    unsigned    loop_ticks;    /* loop back-edges, for the memory poll (eval.c) */
    int         err_pending;
    lang_error_kind err_kind;
    char       *err_msg;      /* owned */
    tb_entry   *tb;           /* owned */
    int         ntb, captb;
    int         err_located;  /* the innermost node of the current frame is recorded */
    lang_value  err_value;    /* the exception instance raised by `raise` or made for an
                                 except clause (owned), or LV_MISSING: made when caught */
    exc_saved  *handling;     /* the exceptions being handled (bare `raise`), innermost first */

    const lang_output *out;   /* of the running cell, or NULL */
    volatile sig_atomic_t interrupt;
    int         depth;        /* user call depth */
    char       *stack_limit;  /* lowest safe C stack address */
    int         exec_count;   /* "Cell In[N]" */
    const char *filename;     /* tracebacks name this file instead of cells (test runner) */
    frame      *top_frame;    /* innermost running frame */

    ext_entry  *ext;
    cell_hook  *hooks;
    int         display_counter;
    int         log_placement; /* route rt's placement log to stdout */

    /* registered by a library (builtins.h): device objects, list display */
    lang_device_of_fn    device_of;
    lang_list_display_fn list_display;
    const lang_type_methods *types[LV_TYPE_COUNT]; /* built-in types' methods */

    /* registered classes with a constructor (isinstance, type) */
    const lang_class **classes;
    int         nclasses, capclasses;

    /* language classes (classes.c): owned references */
    lang_value  object_class;            /* `object`, the implicit base */
    lang_value  exc_class[LANG_E_COUNT]; /* the builtin exception class of each error kind */
    lang_value  super_class, staticmethod_class, classmethod_class, property_class;
};

/* ---- globals (lang.c) ---- */
int  lang_global_slot(lang_state *L, const char *name); /* creates; -1 OOM */
int  lang_global_find(lang_state *L, const char *name); /* -1 when absent */

/* ---- evaluator (eval.c) ---- */
/* Runs a resolved cell: statements of top; *last receives the value of a
 * final expression statement (new reference, or LV_MISSING). 0 or -1. */
int  eval_cell(lang_state *L, ast_func *top, lang_arena *A, lang_value *last);
lang_value call_value(lang_state *L, lang_value fn, const lang_args *a);
/* Records the current node as the error position (if not yet recorded). */
void eval_locate(lang_state *L, lang_arena *A, int line, int col, const char *func);
int  check_stack(lang_state *L); /* 0, or -1 with RecursionError */

/* ---- operators (ops.c) ---- */
lang_value op_binary(lang_state *L, binop op, lang_value a, lang_value b);
lang_value op_unary(lang_state *L, unop op, lang_value a);
lang_value op_compare(lang_state *L, cmpop op, lang_value a, lang_value b);
int        op_contains(lang_state *L, lang_value container, lang_value item); /* 1/0/-1 */
int        op_truthy(lang_state *L, lang_value v);                           /* 1/0/-1 */
/* Indexing: idx is an int/str/tuple... value; slices are given as slice
 * specs (below). */
typedef struct {
    int        is_slice;
    lang_value v;             /* !is_slice: the index value (borrowed) */
    lang_value lo, hi, step;  /* is_slice: LV_MISSING or None when absent */
} index_item;
lang_value op_getitem(lang_state *L, lang_value obj, const index_item *items, int n, int tuple_form);
int        op_setitem(lang_state *L, lang_value obj, const index_item *items, int n, int tuple_form, lang_value v);
int        op_delitem(lang_state *L, lang_value obj, const index_item *items, int n, int tuple_form);
lang_value op_getattr(lang_state *L, lang_value obj, const char *name);
int        op_setattr(lang_state *L, lang_value obj, const char *name, lang_value v);
/* The method `name` of obj's type (for obj.name(...) without a bound
 * object), or NULL. */
const lang_method *op_find_method(lang_state *L, lang_value obj, const char *name);
const lang_method *op_methods_of(lang_state *L, lang_value obj); /* the method table of obj's type, or NULL */
const char *const *op_attrs_of(lang_state *L, lang_value obj);    /* its attribute names, or NULL */
int        op_lt(lang_state *L, lang_value a, lang_value b); /* sort order: 1/0/-1 */
lang_value bound_method(lang_state *L, const lang_method *m, lang_value self);

/* ---- iteration (iter.c) ---- */
lang_value iter_new(lang_state *L, lang_value v);            /* LV_ITER or LV_ERR */
int        iter_next(lang_state *L, lang_value it, lang_value *out); /* 1 item, 0 end, -1 */
/* Items of any iterable as a new list (lists are copied). */
lang_value iter_to_list(lang_state *L, lang_value v);
lang_value array_index0(lang_state *L, rt_array *a, int64_t i); /* a[i] along axis 0 */
lang_value iter_enumerate(lang_state *L, lang_value v, int64_t start);
lang_value iter_zip(lang_state *L, int n, const lang_value *vals);

/* ---- printing (repr.c) ---- */
#include "numfmt.h"
int  repr_to(lang_state *L, fmtbuf *b, lang_value v, int depth); /* 0 / -1 */
int  str_to(lang_state *L, fmtbuf *b, lang_value v);
void repr_str_quoted(fmtbuf *b, const char *s, size_t n);
/* format(v, spec) */
lang_value format_value(lang_state *L, lang_value v, const char *spec);

/* ---- builtins (builtins_*.c) ---- */
/* Sorts a list in place (builtins_core.c). 0 or -1. */
int sort_list(lang_state *L, lang_value list, lang_value key, int reverse);
/* 'format' % values (percent.c) */
lang_value str_percent_format(lang_state *L, lang_value fmt, lang_value values);
/* "str.format" core, shared with f-strings. */
lang_value str_format(lang_state *L, const char *fmt, size_t n, const lang_args *a);
/* A builtin naming a type (int, str ...): repr "<class 'int'>", isinstance. */
void lang_register_type(lang_state *L, const char *name, lang_builtin_fn fn, const char *doc, int tag);
/* lang_execute with tracebacks naming `filename` instead of "Cell In[N]". */
lang_status lang_execute_named(lang_state *L, const char *code, const lang_output *out, int silent,
                               lang_result *res, const char *filename, int first_line);
/* help(x) text: signature, description and example for builtins; the
 * signature and docstring of user functions; type/shape/dtype of values.
 * malloc'd, NULL when out of memory. (complete.c) */
char *lang_help_text(lang_state *L, lang_value v, const char *name);
/* The doc of a builtin value (or NULL). */
const char *lang_builtin_doc(lang_value v);
/* rt placement log sink for the current state: lines go to the cell's
 * stdout (lang.c) */
void lang_device_log_sink(void *ctx, const char *line);

/* ---- classes and instances (classes.c) ---- */
void       classes_init(lang_state *L);  /* object, the exception classes, super ... */
void       classes_free(lang_state *L);
/* A class named `name` with base (NULL: object) and the attributes of dict
 * (retained). New reference or LV_ERR. */
lang_value class_new(lang_state *L, const char *name, lv_classobj *base, lang_value dict);
int        class_is_subclass(const lv_classobj *c, const lv_classobj *base);
lang_value class_call(lang_state *L, lang_value cls, const lang_args *a);     /* Cls(...) */
lang_value instance_call(lang_state *L, lang_value obj, const lang_args *a); /* obj(...) */
lang_value class_getattr(lang_state *L, lang_value obj, const char *name);   /* class or instance */
/* The function `name` of an instance's class when obj.name is that plain
 * method (borrowed), else LV_MISSING: obj.name(...) calls it with obj first. */
lang_value instance_method(lang_value obj, const char *name);
/* Calls fn with each attribute name of an instance (its own, then its
 * classes') or a class; stops at fn's -1 and returns it. */
int        class_each_attr(lang_value v, int (*fn)(void *ctx, const char *name), void *ctx);
int        class_setattr(lang_state *L, lang_value obj, const char *name, lang_value v);
int        instance_repr(lang_state *L, fmtbuf *b, lang_value v, int str);   /* 0 / -1 */
int64_t    instance_len(lang_state *L, lang_value v);                        /* -1 raised */
int        instance_truthy(lang_state *L, lang_value v);                     /* 1/0/-1 */
lang_value instance_getitem(lang_state *L, lang_value v, lang_value key);
/* a == b through __eq__: 1/0, -1 raised, -2 when neither defines __eq__ */
int        instance_eq(lang_state *L, lang_value a, lang_value b);
/* Operators through __add__/__radd__ ..., __lt__/__gt__ ...: the result,
 * LV_ERR raised, or LV_MISSING when neither operand defines the method. */
lang_value instance_binary(lang_state *L, binop op, lang_value a, lang_value b);
lang_value instance_compare(lang_state *L, cmpop op, lang_value a, lang_value b);
lang_value instance_unary(lang_state *L, unop op, lang_value a);   /* __neg__ __pos__ __invert__ */
int        instance_setitem(lang_state *L, lang_value obj, lang_value key, lang_value v); /* 0 / -1 */
int        instance_contains(lang_state *L, lang_value obj, lang_value item);            /* 1/0/-1 */
/* What iterating an instance walks: an iterator (LV_ITER) over what its
 * __iter__ returned, or the instance to walk with *kind IT_NEXT or
 * IT_GETITEM; LV_ERR when raised. */
lang_value instance_iter(lang_state *L, lang_value v, lv_iterkind *kind);
/* The next item of an IT_NEXT / IT_GETITEM walk: 1 item, 0 end, -1 raised. */
int        instance_next(lang_state *L, lang_value src, int by_index, int64_t *pos, lang_value *out);
/* The class of a pending or saved error; its instance (made when needed). */
lv_classobj *exc_class_of(lang_state *L, lang_error_kind kind, lang_value value);
lang_value exc_instance(lang_state *L, exc_saved *s); /* new reference */
/* Does the saved error match an except clause's class or tuple? 1/0, -1 raised */
int        exc_matches(lang_state *L, const exc_saved *s, lang_value spec);
/* raise v (an exception class or instance): always returns -1 with the error set */
int        exc_raise(lang_state *L, lang_value v);
/* A builtin that is a method of a class defined from C: called on the class
 * (Cls.method(obj, ...)) it takes its receiver from the first argument. */
#define BUILTIN_TAG_METHOD (-2)
/* The function of a bound method builtin: its self is (function, instance). */
lang_value method_bound_call(lang_state *L, const lang_args *a);

/* ---- errors (errors.c) ---- */
/* Moves the pending error into s (the state has no error afterwards). */
void errors_save(lang_state *L, exc_saved *s);
/* Makes a copy of s the pending error (bare `raise`; its traceback kept). */
void errors_restore_copy(lang_state *L, const exc_saved *s);
/* Makes s the pending error again, emptying s. */
void errors_restore(lang_state *L, exc_saved *s);
void errors_saved_free(exc_saved *s);
/* Records an exception instance as the pending error (kind from its class). */
void errors_set_value(lang_state *L, lang_value inst, lang_error_kind kind, const char *msg);
/* Formats the pending error into res (ename, evalue, traceback) and clears it. */
void errors_to_result(lang_state *L, lang_result *res);
void errors_reset(lang_state *L);
void tb_push(lang_state *L, lang_arena *A, int line, int col, const char *func);

#endif
