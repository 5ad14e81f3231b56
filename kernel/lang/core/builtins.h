/* builtins.h — how C code adds functions, classes and modules to the language.
 *
 * Values and the ownership rule are in value.h (returned values are new
 * references, arguments are borrowed). A builtin is a C function
 *
 *     lang_value fn(lang_state *L, const lang_args *a);
 *
 * that returns its result (a new reference) or raises an error by returning
 * lang_raise(L, LANG_E_TYPE, "...") — an LV_ERR value; the message is kept in
 * L and turned into a traceback at the cell boundary. Never exit or abort.
 *
 * Complete example: a function and a class with a method, an attribute, a
 * repr and a constructor.
 *
 *     #include "builtins.h"
 *
 *     // twice(x) -> x * 2 for a number
 *     static lang_value bi_twice(lang_state *L, const lang_args *a)
 *     {
 *         lang_value x[1];
 *         double d;
 *         if (lang_args_bind(L, a, "x", x) < 0) return lv_err();
 *         if (lang_get_float(L, x[0], "x", &d) < 0) return lv_err();
 *         return lv_float(2 * d);
 *     }
 *
 *     typedef struct { int64_t count; } counter;   // owned by its object
 *
 *     static lang_value counter_inc(lang_state *L, const lang_args *a)
 *     {   // a->self is the receiver of a method call
 *         counter *c = lv_object_data(a->self);
 *         lang_value by[1];
 *         int64_t n = 1;
 *         if (lang_args_bind(L, a, "by=", by) < 0) return lv_err();
 *         if (!lv_is_missing(by[0]) && lang_get_int(L, by[0], "by", &n) < 0) return lv_err();
 *         c->count += n;
 *         return lv_int(c->count);
 *     }
 *     static lang_value counter_getattr(lang_state *L, lang_value self, const char *name)
 *     {
 *         counter *c = lv_object_data(self);
 *         if (strcmp(name, "count") == 0) return lv_int(c->count);
 *         return lv_missing();              // -> AttributeError naming the class
 *     }
 *     static char *counter_repr(lang_state *L, lang_value self)
 *     {
 *         counter *c = lv_object_data(self);
 *         return lang_strdupf("Counter(count=%lld)", (long long)c->count);
 *     }
 *     static const lang_method counter_methods[] = {
 *         {"inc", counter_inc, "inc(by=1)\nAdds `by` to the count and returns it.\n>>> c.inc(2)"},
 *         {NULL, NULL, NULL}
 *     };
 *     static const char *const counter_attrs[] = {"count", NULL};
 *     static const lang_class counter_class = {
 *         .name = "Counter", .free = free, .repr = counter_repr,
 *         .methods = counter_methods, .attrs = counter_attrs, .getattr = counter_getattr,
 *     };
 *     static lang_value bi_counter(lang_state *L, const lang_args *a)
 *     {
 *         if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
 *         counter *c = calloc(1, sizeof *c);
 *         if (!c) return lang_nomem(L);
 *         return lang_object_new(L, &counter_class, c);
 *     }
 *
 *     void lang_init_example(lang_state *L)   // one row in lib/libraries.c
 *     {
 *         lang_register_builtin(L, "twice", bi_twice,
 *             "twice(x)\nReturns x * 2.\n>>> twice(21)\n42.0");
 *         lang_register_class(L, &counter_class, bi_counter,
 *             "Counter()\nA counter object.\n>>> c = Counter(); c.inc()");
 *     }
 *
 * Docs: first line the signature, second line a one-sentence description,
 * then one example (">>> " lines). help(x) and inspect show them.
 */
#ifndef CGPU_LANG_BUILTINS_H
#define CGPU_LANG_BUILTINS_H

#include <stdarg.h>
#include "lang.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- calls ------------------------------------------------------------------ */

/* The arguments of one call. All values borrowed for the duration of the
 * call. `self` is the receiver for methods (bound builtins), else LV_NONE. */
typedef struct lang_args {
    int               n;        /* positional */
    const lang_value *v;
    int               nkw;      /* keyword */
    const char *const *kwname;
    const lang_value *kw;
    lang_value        self;
    const char       *fname;    /* the callee's name, for messages */
} lang_args;

typedef lang_value (*lang_builtin_fn)(lang_state *L, const lang_args *a);

/* Binds arguments against a signature spec of comma-separated names:
 *   "x, y"            two required (positional or by keyword)
 *   "x, dtype=, device="   optional ones end with '='
 *   "*shape"          a name starting with '*' must be last: it receives a
 *                     tuple of the remaining positionals
 * out[i] receives the argument for name i, BORROWED, or LV_MISSING for an
 * optional one not given; a "*rest" slot receives a NEW tuple reference
 * (release it). Raises TypeError (missing argument, too many positionals,
 * unexpected or repeated keyword) naming a->fname; returns 0 or -1. */
int lang_args_bind(lang_state *L, const lang_args *a, const char *spec, lang_value *out);

/* Calls any callable value (user function, builtin, object with a call
 * hook) from C; kwargs may be NULL/0. Returns a new reference or LV_ERR. */
lang_value lang_call(lang_state *L, lang_value fn, int n, const lang_value *args,
                     int nkw, const char *const *kwname, const lang_value *kw);

/* ---- errors -------------------------------------------------------------------- */

/* ORDER lang_error_kind: keep lang_error_kind_name() (errors.c) in step. */
typedef enum {
    LANG_E_SYNTAX, LANG_E_NAME, LANG_E_TYPE, LANG_E_VALUE, LANG_E_INDEX, LANG_E_KEY,
    LANG_E_ATTRIBUTE, LANG_E_SHAPE, LANG_E_ZERODIV, LANG_E_ASSERTION, LANG_E_RECURSION,
    LANG_E_IMPORT, LANG_E_DEVICE, LANG_E_OOM, LANG_E_INTERRUPT,
    /* the rest of Python's builtin exception classes (classes.c builds the
     * hierarchy: `except LookupError` catches LANG_E_INDEX and LANG_E_KEY) */
    LANG_E_BASE_EXCEPTION, LANG_E_EXCEPTION, LANG_E_ARITHMETIC, LANG_E_LOOKUP,
    LANG_E_OVERFLOW, LANG_E_RUNTIME, LANG_E_NOT_IMPLEMENTED, LANG_E_STOP_ITERATION,
    LANG_E_MEMORY, LANG_E_MODULE_NOT_FOUND,
    LANG_E_OS, LANG_E_FILE_NOT_FOUND, LANG_E_FILE_EXISTS, LANG_E_PERMISSION,
    LANG_E_IS_A_DIRECTORY, LANG_E_NOT_A_DIRECTORY,
    LANG_E_UNICODE_DECODE, LANG_E_UNSUPPORTED_OP,
    LANG_E_COUNT
} lang_error_kind;
const char *lang_error_kind_name(lang_error_kind k); /* "TypeError" ... */

/* Records an error (printf-style message without the kind prefix, e.g.
 * "len() takes 1 argument (2 given)") and returns LV_ERR. */
lang_value lang_raise(lang_state *L, lang_error_kind k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, returning -1 (for int-returning helpers). */
int        lang_fail(lang_state *L, lang_error_kind k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Raises the runtime's last error (rt_error_code/rt_error_message), mapped
 * RT_EVALUE->ValueError, RT_ETYPE->TypeError, RT_ESHAPE->ShapeError,
 * RT_EINDEX->IndexError, RT_EDEVICE->DeviceError, RT_EOOM->OutOfMemoryError,
 * RT_EINTERRUPT->KeyboardInterrupt, RT_EZERODIV->ZeroDivisionError,
 * RT_EHOSTMEM->MemoryError. */
lang_value lang_raise_rt(lang_state *L);
/* MemoryError: host memory ran out, or the kernel's host limit was reached
 * (then with the runtime's message naming the sizes). Device memory is
 * OutOfMemoryError (from lang_raise_rt). */
lang_value lang_nomem(lang_state *L);
/* Checks that `bytes` more host memory fit under the kernel's limit
 * (rt_host_memory_reserve); raises MemoryError naming `what` and the sizes
 * when not. 0 or -1. Call before growing a container or building a string. */
int        lang_reserve(lang_state *L, size_t bytes);
/* Raises the OSError subclass for errno `errnum` (ENOENT -> FileNotFoundError,
 * EEXIST -> FileExistsError, EACCES/EPERM -> PermissionError, EISDIR ->
 * IsADirectoryError, ENOTDIR -> NotADirectoryError, else OSError) with
 * e.errno, e.strerror and e.filename set (filename may be NULL), reading
 * "[Errno 2] No such file or directory: 'x.csv'". Returns LV_ERR:
 *     FILE *f = fopen(path, "r");
 *     if (!f) return lang_raise_os(L, errno, path); */
lang_value lang_raise_os(lang_state *L, int errnum, const char *filename);
/* Raises KeyError(key): the message is repr(key), e.args == (key,). */
lang_value lang_raise_key(lang_state *L, lang_value key);
/* The OSError subclass Python uses for errno e (ENOENT FileNotFoundError ...). */
lang_error_kind lang_error_kind_of_errno(int e);
/* 1 when an error is pending (between a raise and the cell boundary). */
int        lang_error_pending(lang_state *L);
lang_error_kind lang_error_kind_of(lang_state *L); /* of the pending error */
const char *lang_error_message(lang_state *L);    /* of the pending error, borrowed */
void       lang_error_clear(lang_state *L);        /* for code that handles an error itself */

/* ---- argument conversion (0 ok / -1 with TypeError or ValueError raised;
 *      `what` names the argument in the message) ---------------------------- */
int lang_get_int(lang_state *L, lang_value v, const char *what, int64_t *out);   /* int, bool, integral float no */
int lang_get_float(lang_state *L, lang_value v, const char *what, double *out);  /* int, float, bool, 1-element array */
int lang_get_bool(lang_state *L, lang_value v, const char *what, int *out);      /* truthiness */
int lang_get_str(lang_state *L, lang_value v, const char *what, const char **out); /* borrowed */
/* A shape from an int or a list/tuple of ints. */
int lang_get_shape(lang_state *L, lang_value v, const char *what, int64_t *shape, int *ndim);
/* dtype from "float32"/"float64"/"int32"/"bool" or the builtins float/int/bool. */
int lang_get_dtype(lang_state *L, lang_value v, const char *what, rt_dtype *out);
/* A device from "GPU:1"-style strings or device objects; None -> NULL (default). */
int lang_get_device(lang_state *L, lang_value v, const char *what, rt_device **out);
/* Converts arrays (retained), numbers and nested lists/tuples of numbers to
 * an array on the default device. dtype < 0: arrays keep theirs; host data
 * becomes bool when all items are bools, int32 when all are ints, else
 * float32 (an array with another dtype is cast).
 * Returns a new reference, or NULL with the error raised. */
rt_array *lang_to_array(lang_state *L, lang_value v, int dtype, const char *what);
/* Consumes `a`: the array value, or (a == NULL) lang_raise_rt(L). */
lang_value lang_array_result(lang_state *L, rt_array *a);
/* Element `flat` of an array as a host number of the array's dtype kind
 * (float32 elements are rounded to their shortest repr, so 0.1f gives 0.1). */
lang_value lang_array_item(lang_state *L, const rt_array *a, int64_t flat);

/* ---- text ------------------------------------------------------------------------ */
char *lang_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* malloc'd; NULL if OOM */
/* malloc'd Python repr()/str() of any value; NULL with an error raised. */
char *lang_repr(lang_state *L, lang_value v);
char *lang_str(lang_state *L, lang_value v);

/* ---- classes ------------------------------------------------------------------ */

typedef struct lang_method {
    const char     *name;
    lang_builtin_fn fn;     /* receives the object as a->self */
    const char     *doc;
} lang_method;

/* The behaviour of a runtime object type. Static; every hook optional. */
struct lang_class {
    const char *name;                       /* type(x), messages, isinstance */
    const char *doc;                        /* help(x) on an instance */
    void (*free)(void *data);               /* releases the object's data */
    /* malloc'd text; NULL with an error raised. Defaults: "<name object>". */
    char *(*repr)(lang_state *L, lang_value self);
    char *(*str)(lang_state *L, lang_value self);          /* default: repr */
    const lang_method *methods;             /* {NULL} terminated; bound on attribute access */
    const char *const *attrs;               /* NULL terminated names getattr answers (completion) */
    /* Attribute other than a method: new reference, LV_MISSING when there is
     * no such attribute (AttributeError follows), LV_ERR when raised. */
    lang_value (*getattr)(lang_state *L, lang_value self, const char *name);
    /* obj.name = v: 0, or -1 with an error raised. NULL: AttributeError. */
    int (*setattr)(lang_state *L, lang_value self, const char *name, lang_value v);
    /* Rich display: adds MIME entries (text/html, image/svg+xml ...) to
     * `out`, which already holds text/plain (the repr). 0 ok, -1 raised. */
    int (*display)(lang_state *L, lang_value self, lang_bundle *out);
    /* obj(...): like a builtin. */
    lang_value (*call)(lang_state *L, lang_value self, const lang_args *a);
    /* with obj [as x]: enter returns the value bound to x (new reference);
     * exit runs after the block, also when it raised (failing = 1); exit
     * returns 0 or -1 (its error replaces the block's). */
    lang_value (*enter)(lang_state *L, lang_value self);
    int (*exit)(lang_state *L, lang_value self, int failing);
    lang_value (*getitem)(lang_state *L, lang_value self, lang_value key);
    int64_t (*len)(lang_state *L, lang_value self);        /* -1 raised */
    /* for x in obj, for an object that is its own iterator (a file gives
     * its lines): 1 with *out set (new reference), 0 at the end, -1 raised. */
    int (*next)(lang_state *L, lang_value self, lang_value *out);
};

/* Creates an object of `cls` owning `data`; on failure frees data with
 * cls->free and raises OutOfMemoryError. */
lang_value lang_object_new(lang_state *L, const lang_class *cls, void *data);

/* ---- classes users can subclass ---------------------------------------------------
 * A lang_class object is opaque: `class X(Model)` is refused. A class that
 * users may subclass is a language class (the kind a `class` statement
 * makes) defined from C: its instances keep their attributes in a dict
 * (self.model = m works) and its methods are builtins that receive the
 * instance as a->self. A user's subclass overrides them with methods of its
 * own, and C code calls them by name:
 *
 *     static lang_value cb_noop(lang_state *L, const lang_args *a) { return lv_none(); }
 *     static lang_value cb_set_model(lang_state *L, const lang_args *a)
 *     {
 *         lang_value v[1];
 *         if (lang_args_bind(L, a, "model", v) < 0) return lv_err();
 *         return lang_setattr(L, a->self, "model", v[0]) < 0 ? lv_err() : lv_none();
 *     }
 *     static const lang_method callback_methods[] = {
 *         {"set_model", cb_set_model, "set_model(model)\n..."},
 *         {"on_epoch_end", cb_noop, "on_epoch_end(epoch, logs=None)\n..."},
 *         {NULL, NULL, NULL}
 *     };
 *     lang_value cls = lang_define_class(L, "Callback", lv_none(), callback_methods, doc);
 *     lang_register_value(L, "Callback", cls, doc);   // or a module attribute
 *     lv_release(cls);
 *
 * and in fit, for each callback value cb:
 *     if (lang_is_instance(cb, cls)) {
 *         lang_value args[2] = { lv_int(epoch), logs };
 *         lang_value r = lang_call_method(L, cb, "on_epoch_end", 2, args, 0, NULL, NULL);
 *         if (lv_is_err(r)) ... stop, the error (with the method's traceback) is raised
 *         lv_release(r);
 *     }
 * `class TimeHistory(Callback): def on_epoch_end(self, epoch, logs=None): ...`
 * then runs the user's method; a subclass's __init__ need not call
 * super().__init__() (the base's __init__, if it has one, then does not run). */

/* A class named `name` deriving from base (LV_NONE: object) whose methods
 * are `methods` ({NULL} terminated; may be NULL). New reference or LV_ERR.
 * Calling the class makes an instance and runs its __init__ if any. */
lang_value lang_define_class(lang_state *L, const char *name, lang_value base, const lang_method *methods,
                             const char *doc);
/* 1 when v is an instance of class cls or of a subclass, else 0. */
int        lang_is_instance(lang_value v, lang_value cls);
/* obj.name(args...): the user's override or the base's method. Returns the
 * result (new reference), LV_ERR when it raised, or LV_MISSING when obj has
 * no attribute `name` (nothing raised). */
lang_value lang_call_method(lang_state *L, lang_value obj, const char *name, int n, const lang_value *args,
                            int nkw, const char *const *kwname, const lang_value *kw);
/* 1 when instance obj's `name` is not the one class cls defines: set on
 * the instance itself or overridden by a subclass (Keras's test for
 * whether a callback implements a hook). 0 otherwise. */
int        lang_overrides(lang_value obj, lang_value cls, const char *name);
/* obj.name (new reference, or LV_ERR with AttributeError) and obj.name = v
 * (0, or -1 raised), for any value. */
lang_value lang_getattr(lang_state *L, lang_value obj, const char *name);
int        lang_setattr(lang_state *L, lang_value obj, const char *name, lang_value v);
/* The builtin exception class of an error kind (new reference): e.g. to
 * define a C-GPU error that users catch by a Python base class. */
lang_value lang_exception_class(lang_state *L, lang_error_kind kind);

/* ---- registration (call from an init hook, before any cell runs) ------------- */

/* A global builtin function (docs as described at the top). */
void lang_register_builtin(lang_state *L, const char *name, lang_builtin_fn fn, const char *doc);
/* A global name bound to a value (a module object such as `plt`, a
 * constant). Retains v. */
void lang_register_value(lang_state *L, const char *name, lang_value v, const char *doc);
/* A class: the global cls->name calls `ctor`, and isinstance(x, Name) tests
 * for objects of cls. */
void lang_register_class(lang_state *L, const lang_class *cls, lang_builtin_fn ctor, const char *doc);
/* A builtin function value (not bound to any name; e.g. a module attribute). */
lang_value lang_builtin_value(lang_state *L, const char *name, lang_builtin_fn fn, const char *doc);
/* A module-like object: attribute access gives the listed functions. */
lang_value lang_module_new(lang_state *L, const char *name, const lang_method *functions, const char *doc);

/* Per-interpreter extension data (a helper's state: current figure ...).
 * lang_ext_set stores ptr under key (replacing and freeing an older one);
 * `free_fn` runs at lang_free. lang_ext_get returns NULL if unset. */
void  lang_ext_set(lang_state *L, const char *key, void *ptr, void (*free_fn)(void *));
void *lang_ext_get(lang_state *L, const char *key);

/* Runs fn after every cell (success or error) before the result is returned:
 * e.g. plotting shows the pending figure (matplotlib-inline style). */
void lang_on_cell_end(lang_state *L, void (*fn)(lang_state *L, void *ctx), void *ctx);

/* What the helper layer asks of a library it does not know by name (the
 * helper layer never calls up into lib/): the device library registers how
 * a device object names its device (lang_get_device accepts it) and the
 * rich display of a list of such objects (lang_display_bundle uses it).
 * Without a registration, only device names are accepted and lists show
 * as text. */
typedef rt_device *(*lang_device_of_fn)(lang_value v);             /* NULL: not a device object */
typedef int (*lang_list_display_fn)(lang_state *L, lang_value list, lang_bundle *b); /* 0 / -1 raised */
void lang_register_device_of(lang_state *L, lang_device_of_fn fn);
void lang_register_list_display(lang_state *L, lang_list_display_fn fn);

/* A built-in value type's methods (str, list, tuple, dict, array), given by
 * the library that implements them: the core finds obj.name, completions
 * and help through this table, never by the library's names. attrs are the
 * attribute names besides the methods (completion, dir); getattr reads one
 * (LV_MISSING when there is none). Both may be NULL. */
typedef struct {
    const lang_method *methods;
    const char *const *attrs;
    lang_value (*getattr)(lang_state *L, lang_value self, const char *name);
} lang_type_methods;
void lang_register_type_methods(lang_state *L, lv_type type, const lang_type_methods *t); /* t: static */

/* Libraries: each lib/ file has one `void lang_init_NAME(lang_state *L)`
 * listed in lib/libraries.c's table, which lang_new opens in order. */

/* ---- the running cell's outputs --------------------------------------------- */

/* Text to "stdout" / "stderr" of the running cell (dropped outside a cell). */
void lang_write(lang_state *L, const char *stream, const char *text, size_t len);
void lang_printf(lang_state *L, const char *fmt, ...) __attribute__((format(printf, 2, 3))); /* stdout */
/* display_data / update_display_data (update = 1) with an optional
 * display_id (e.g. fit's progress line: display once, then update). */
void lang_display(lang_state *L, const lang_bundle *b, const char *display_id, int update);
void lang_clear_output(lang_state *L, int wait);
/* Fills b with the execute_result-style bundle of v (text/plain repr, plus
 * the class display hook / array HTML). 0, or -1 raised. */
int  lang_display_bundle(lang_state *L, lang_value v, lang_bundle *b);
/* A display id unique in this process ("cgpu-3"), malloc'd. */
char *lang_new_display_id(lang_state *L);

/* ---- interrupts ------------------------------------------------------------------ */
int lang_interrupted(lang_state *L);        /* 1 when Ctrl-C / interrupt_request is pending */
/* 0, or -1 with KeyboardInterrupt raised (call in long loops). */
int lang_check_interrupt(lang_state *L);

#ifdef __cplusplus
}
#endif
#endif
