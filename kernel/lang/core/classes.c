/* classes.c — classes, instances and the builtin exception classes.
 *
 * A class (LV_CLASS) is a name, one base and a dict of attributes: the
 * functions and values its `class` body bound, or for a class defined from C
 * (lang_define_class) builtins that receive the instance as a->self. An
 * instance (LV_INSTANCE) is its class and a dict of attributes. Attribute
 * lookup on an instance reads its dict, then the classes from its own up to
 * `object`; a function found in a class is bound to the instance (a method).
 * The special methods __init__, __repr__, __str__, __len__, __call__,
 * __getitem__, __eq__ and __bool__ are honoured where a user class defines
 * them.
 *
 * The builtin exceptions are classes too, in Python's hierarchy, one per
 * lang_error_kind (L->exc_class). An error raised from C (lang_raise) has no
 * instance until an except clause binds it: exc_instance makes one then,
 * with args = (message,).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp.h"

/* ---- attribute dicts -----------------------------------------------------------------
 * Attribute names are C strings; looking one up makes a string value on the
 * stack instead of the heap (a method call does several lookups). The
 * stack value is never stored: a new key is inserted as a heap string. */

#define NAME_KEY_MAX 64

static lang_value stack_name(char *mem, const char *name, size_t n)
{
    lv_strobj *o = (lv_strobj *)mem;
    memset(o, 0, sizeof *o);
    o->h.refcount = 1;
    o->h.type = LV_STR;
    o->len = n;
    o->ncp = (int64_t)n;
    memcpy(o->s, name, n + 1);
    return lv_from_obj(o);
}

/* dict[name], borrowed, or LV_MISSING */
static lang_value dict_get_name(lang_value dict, const char *name)
{
    if (dict.type != LV_DICT) return lv_missing();
    size_t n = strlen(name);
    if (n >= NAME_KEY_MAX) return lv_dict_get_str(dict, name);
    _Alignas(lv_strobj) char mem[sizeof(lv_strobj) + NAME_KEY_MAX];
    return lv_dict_get(dict, stack_name(mem, name, n));
}

/* dict[name] = v: 0, or -1 out of memory */
static int dict_set_name(lang_value dict, const char *name, lang_value v)
{
    size_t n = strlen(name);
    if (n >= NAME_KEY_MAX || lv_is_missing(dict_get_name(dict, name))) return lv_dict_set_str(dict, name, v);
    _Alignas(lv_strobj) char mem[sizeof(lv_strobj) + NAME_KEY_MAX];
    return lv_dict_set(dict, stack_name(mem, name, n), v); /* replaces the value, keeps the stored key */
}

/* ---- classes -------------------------------------------------------------------- */

lang_value class_new(lang_state *L, const char *name, lv_classobj *base, lang_value dict)
{
    if (!base && L->object_class.type == LV_CLASS) base = LV_OBJ(L->object_class, lv_classobj);
    lv_classobj *c = lv_alloc_obj(LV_CLASS, sizeof *c);
    if (!c) return lang_nomem(L);
    c->dict = lv_none();
    c->exc_kind = base ? base->exc_kind : -1;
    lang_value cv = lv_from_obj(c);
    c->name = strdup(name);
    c->dict = dict.type == LV_DICT ? lv_retain(dict) : lv_dict_new();
    if (!c->name || lv_is_err(c->dict)) { c->dict = lv_none(); lv_release(cv); return lang_nomem(L); }
    if (base) {
        base->h.refcount++;
        c->base = base;
    }
    return cv;
}

int class_is_subclass(const lv_classobj *c, const lv_classobj *base)
{
    for (; c; c = c->base) if (c == base) return 1;
    return 0;
}

/* The attribute `name` of class c or its bases: borrowed, or LV_MISSING. */
static lang_value class_lookup(const lv_classobj *c, const char *name)
{
    for (; c; c = c->base) {
        lang_value v = dict_get_name(c->dict, name);
        if (!lv_is_missing(v)) return v;
    }
    return lv_missing();
}

static lv_classobj *as_class(lang_value v) { return v.type == LV_CLASS ? LV_OBJ(v, lv_classobj) : NULL; }

static int is_instance_of(lang_value v, lang_value cls)
{
    return v.type == LV_INSTANCE && cls.type == LV_CLASS && LV_OBJ(v, lv_instanceobj)->cls &&
           class_is_subclass(LV_OBJ(v, lv_instanceobj)->cls, LV_OBJ(cls, lv_classobj));
}

/* ---- methods ------------------------------------------------------------------------ */

/* Calls fn (a function, or a builtin method of a class defined from C) with
 * self as its receiver and the arguments of a. */
static lang_value call_with_self(lang_state *L, lang_value fn, lang_value self, const lang_args *a)
{
    if (fn.type == LV_BUILTIN && LV_OBJ(fn, lv_builtinobj)->self.type == LV_NONE) {
        lv_builtinobj *b = LV_OBJ(fn, lv_builtinobj);
        lang_args a2 = *a;
        a2.self = self;
        a2.fname = b->name;
        lang_value r = b->fn(L, &a2);
        if (r.type == LV_ERR && !L->err_pending) lang_raise(L, LANG_E_VALUE, "%s() failed", b->name);
        if (r.type == LV_MISSING) r = lv_none();
        return r;
    }
    int n = a->n;
    lang_value argv[n + 1];
    argv[0] = self;
    for (int i = 0; i < n; i++) argv[i + 1] = a->v[i];
    lang_args a2 = *a;
    a2.n = n + 1;
    a2.v = argv;
    return call_value(L, fn, &a2);
}

/* A bound method: a builtin whose receiver is the tuple (function, self). */
lang_value method_bound_call(lang_state *L, const lang_args *a)
{
    lang_value *fs = lv_tuple_items(a->self);
    lang_args a2 = *a;
    a2.self = lv_none();
    return call_with_self(L, fs[0], fs[1], &a2);
}

static lang_value bind_method(lang_state *L, lang_value fn, lang_value self)
{
    if (fn.type == LV_BUILTIN) {
        /* a method of a class defined from C: the same builtin, bound */
        lv_builtinobj *src = LV_OBJ(fn, lv_builtinobj);
        lang_method m = { src->name, src->fn, src->doc };
        return bound_method(L, &m, self);
    }
    lang_value pair[2] = { fn, self };
    lang_value t = lv_tuple_of(2, pair);
    if (lv_is_err(t)) return lang_nomem(L);
    lv_builtinobj *b = lv_alloc_obj(LV_BUILTIN, sizeof *b);
    if (!b) { lv_release(t); return lang_nomem(L); }
    b->name = fn.type == LV_FUNCTION ? LV_OBJ(fn, lv_funcobj)->def->name : "method";
    b->fn = method_bound_call;
    b->doc = fn.type == LV_FUNCTION ? LV_OBJ(fn, lv_funcobj)->def->doc : NULL;
    b->self = t;
    b->type_tag = -1;
    return lv_from_obj(b);
}

/* Calls the special method `name` of instance v if its class has one:
 * 1 with *out set, 0 when it has none, -1 raised. */
static int call_special(lang_state *L, lang_value v, const char *name, int n, const lang_value *args, lang_value *out)
{
    lv_classobj *c = LV_OBJ(v, lv_instanceobj)->cls;
    lang_value fn = c ? class_lookup(c, name) : lv_missing();
    if (lv_is_missing(fn)) return 0;
    lang_args a = { n, args, 0, NULL, NULL, lv_none(), name };
    *out = call_with_self(L, fn, v, &a);
    return lv_is_err(*out) ? -1 : 1;
}

/* A value found in a class, as seen through obj (an instance or the class). */
static lang_value resolve_found(lang_state *L, lang_value found, lang_value obj, lv_classobj *cls)
{
    int on_instance = obj.type == LV_INSTANCE;
    if (found.type == LV_INSTANCE) {
        lang_value d = LV_OBJ(found, lv_instanceobj)->dict;
        if (is_instance_of(found, L->staticmethod_class)) return lv_retain(dict_get_name(d, "__func__"));
        if (is_instance_of(found, L->classmethod_class))
            return bind_method(L, dict_get_name(d, "__func__"), lv_from_obj(cls));
        if (is_instance_of(found, L->property_class) && on_instance) {
            lang_value fget = dict_get_name(d, "fget");
            lang_args a = { 0, NULL, 0, NULL, NULL, lv_none(), "property" };
            return call_with_self(L, fget, obj, &a);
        }
    }
    if (on_instance && (found.type == LV_FUNCTION ||
                        (found.type == LV_BUILTIN && LV_OBJ(found, lv_builtinobj)->type_tag == BUILTIN_TAG_METHOD)))
        return bind_method(L, found, obj);
    return lv_retain(found);
}

lang_value instance_method(lang_value obj, const char *name)
{
    lv_instanceobj *in = LV_OBJ(obj, lv_instanceobj);
    if (!in->cls || !lv_is_missing(dict_get_name(in->dict, name))) return lv_missing();
    lang_value fn = class_lookup(in->cls, name);
    return fn.type == LV_FUNCTION ? fn : lv_missing();
}

int class_each_attr(lang_value v, int (*fn)(void *ctx, const char *name), void *ctx)
{
    lv_classobj *c = v.type == LV_CLASS ? LV_OBJ(v, lv_classobj) : LV_OBJ(v, lv_instanceobj)->cls;
    lang_value d = v.type == LV_INSTANCE ? LV_OBJ(v, lv_instanceobj)->dict : lv_none();
    for (;; c = c->base) {
        size_t i = 0;
        lang_value k, val;
        while (d.type == LV_DICT && lv_dict_next(d, &i, &k, &val))
            if (k.type == LV_STR && fn(ctx, lv_str_cstr(k)) < 0) return -1;
        if (!c) return 0;
        d = c->dict;
    }
}

/* ---- attributes ---------------------------------------------------------------------- */

static lang_value super_getattr(lang_state *L, lang_value sup, const char *name)
{
    lang_value d = LV_OBJ(sup, lv_instanceobj)->dict;
    lv_classobj *start = as_class(dict_get_name(d, "__thisclass__"));
    lang_value self = dict_get_name(d, "__self__");
    lang_value found = start && start->base ? class_lookup(start->base, name) : lv_missing();
    if (lv_is_missing(found)) return lang_raise(L, LANG_E_ATTRIBUTE, "'super' object has no attribute '%s'", name);
    lv_classobj *sc = self.type == LV_INSTANCE ? LV_OBJ(self, lv_instanceobj)->cls : as_class(self);
    return resolve_found(L, found, self, sc);
}

lang_value class_getattr(lang_state *L, lang_value obj, const char *name)
{
    if (obj.type == LV_CLASS) {
        lv_classobj *c = LV_OBJ(obj, lv_classobj);
        if (strcmp(name, "__name__") == 0 || strcmp(name, "__qualname__") == 0) return lv_str(c->name);
        if (strcmp(name, "__base__") == 0) return c->base ? lv_retain(lv_from_obj(c->base)) : lv_none();
        if (strcmp(name, "__bases__") == 0) {
            if (!c->base) return lv_tuple_new(0);
            lang_value b = lv_from_obj(c->base);
            return lv_tuple_of(1, &b);
        }
        if (strcmp(name, "__dict__") == 0) return lv_retain(c->dict);
        if (strcmp(name, "__module__") == 0) return lv_str(c->from_c ? "builtins" : "__main__");
        lang_value found = class_lookup(c, name);
        if (strcmp(name, "__doc__") == 0 && lv_is_missing(found)) return c->doc ? lv_str(c->doc) : lv_none();
        if (lv_is_missing(found))
            return lang_raise(L, LANG_E_ATTRIBUTE, "type object '%s' has no attribute '%s'", c->name, name);
        return resolve_found(L, found, obj, c);
    }
    lv_instanceobj *in = LV_OBJ(obj, lv_instanceobj);
    if (in->cls && L->super_class.type == LV_CLASS && in->cls == LV_OBJ(L->super_class, lv_classobj))
        return super_getattr(L, obj, name);
    if (name[0] == '_' && strcmp(name, "__class__") == 0) return lv_retain(lv_from_obj(in->cls));
    if (name[0] == '_' && strcmp(name, "__dict__") == 0) return lv_retain(in->dict);
    lang_value v = dict_get_name(in->dict, name);
    if (!lv_is_missing(v)) return lv_retain(v);
    lang_value found = in->cls ? class_lookup(in->cls, name) : lv_missing();
    if (lv_is_missing(found)) {
        if (strcmp(name, "__doc__") == 0) return in->cls && in->cls->doc ? lv_str(in->cls->doc) : lv_none();
        return lang_raise(L, LANG_E_ATTRIBUTE, "'%s' object has no attribute '%s'", lv_type_name(obj), name);
    }
    return resolve_found(L, found, obj, in->cls);
}

int class_setattr(lang_state *L, lang_value obj, const char *name, lang_value v)
{
    if (obj.type == LV_CLASS) {
        if (lv_dict_set_str(LV_OBJ(obj, lv_classobj)->dict, name, v) < 0) { lang_nomem(L); return -1; }
        return 0;
    }
    lv_instanceobj *in = LV_OBJ(obj, lv_instanceobj);
    lang_value found = in->cls ? class_lookup(in->cls, name) : lv_missing();
    if (is_instance_of(found, L->property_class)) {
        lang_value fset = dict_get_name(LV_OBJ(found, lv_instanceobj)->dict, "fset");
        if (lv_is_missing(fset) || lv_is_none(fset))
            return lang_fail(L, LANG_E_ATTRIBUTE, "property '%s' of '%s' object has no setter", name, lv_type_name(obj));
        lang_args a = { 1, &v, 0, NULL, NULL, lv_none(), name };
        lang_value r = call_with_self(L, fset, obj, &a);
        if (lv_is_err(r)) return -1;
        lv_release(r);
        return 0;
    }
    if (dict_set_name(in->dict, name, v) < 0) { lang_nomem(L); return -1; }
    return 0;
}

/* ---- instances --------------------------------------------------------------------------- */

static lang_value instance_new(lang_state *L, lv_classobj *c)
{
    lv_instanceobj *in = lv_alloc_obj(LV_INSTANCE, sizeof *in);
    if (!in) return lang_nomem(L);
    in->dict = lv_dict_new();
    if (lv_is_err(in->dict)) { in->dict = lv_none(); lv_release(lv_from_obj(in)); return lang_nomem(L); }
    c->h.refcount++;
    in->cls = c;
    return lv_from_obj(in);
}

lang_value class_call(lang_state *L, lang_value cls, const lang_args *a)
{
    lv_classobj *c = LV_OBJ(cls, lv_classobj);
    lang_value self = instance_new(L, c);
    if (lv_is_err(self)) return self;
    if (c->exc_kind >= 0) {
        /* BaseException keeps the constructor's arguments, whatever __init__ does */
        lang_value args = lv_tuple_of((size_t)a->n, a->v);
        if (lv_is_err(args) || lv_dict_set_str(LV_OBJ(self, lv_instanceobj)->dict, "args", args) < 0) {
            lv_release(args);
            lv_release(self);
            return lang_nomem(L);
        }
        lv_release(args);
    }
    lang_value init = class_lookup(c, "__init__");
    if (lv_is_missing(init)) return self;
    lang_value r = call_with_self(L, init, self, a);
    if (lv_is_err(r)) { lv_release(self); return r; }
    if (!lv_is_none(r)) {
        lang_raise(L, LANG_E_TYPE, "__init__() should return None, not '%s'", lv_type_name(r));
        lv_release(r);
        lv_release(self);
        return lv_err();
    }
    return self;
}

lang_value instance_call(lang_state *L, lang_value obj, const lang_args *a)
{
    lv_classobj *c = LV_OBJ(obj, lv_instanceobj)->cls;
    lang_value fn = c ? class_lookup(c, "__call__") : lv_missing();
    if (lv_is_missing(fn)) return lang_raise(L, LANG_E_TYPE, "'%s' object is not callable", lv_type_name(obj));
    return call_with_self(L, fn, obj, a);
}

static int put_str_result(lang_state *L, fmtbuf *b, lang_value r, const char *what)
{
    if (r.type != LV_STR) {
        lang_fail(L, LANG_E_TYPE, "%s returned non-string (type %s)", what, lv_type_name(r));
        lv_release(r);
        return -1;
    }
    fmtbuf_putn(b, lv_str_cstr(r), lv_str_len(r));
    lv_release(r);
    return 0;
}

int instance_repr(lang_state *L, fmtbuf *b, lang_value v, int str)
{
    lang_value r;
    if (check_stack(L) < 0) return -1;
    int k = str ? call_special(L, v, "__str__", 0, NULL, &r) : 0;
    if (k == 0) {
        str = 0;
        k = call_special(L, v, "__repr__", 0, NULL, &r);
    }
    if (k < 0) return -1;
    if (k > 0) return put_str_result(L, b, r, str ? "__str__" : "__repr__");
    lv_classobj *c = LV_OBJ(v, lv_instanceobj)->cls;
    fmtbuf_printf(b, "<%s%s object at %p>", c && !c->from_c ? "__main__." : "", c ? c->name : "object", (void *)v.u.o);
    return 0;
}

int64_t instance_len(lang_state *L, lang_value v)
{
    lang_value r;
    int k = call_special(L, v, "__len__", 0, NULL, &r);
    if (k < 0) return -1;
    if (k == 0) return lang_fail(L, LANG_E_TYPE, "object of type '%s' has no len()", lv_type_name(v));
    if (r.type != LV_INT && r.type != LV_BOOL) {
        lang_fail(L, LANG_E_TYPE, "'%s' object cannot be interpreted as an integer", lv_type_name(r));
        lv_release(r);
        return -1;
    }
    int64_t n = r.type == LV_INT ? r.u.i : r.u.b;
    if (n < 0) return lang_fail(L, LANG_E_VALUE, "__len__() should return >= 0");
    return n;
}

int instance_truthy(lang_state *L, lang_value v)
{
    lang_value r;
    int k = call_special(L, v, "__bool__", 0, NULL, &r);
    if (k < 0) return -1;
    if (k > 0) {
        int t = r.type == LV_BOOL ? r.u.b : -2;
        lv_release(r);
        if (t == -2) return lang_fail(L, LANG_E_TYPE, "__bool__ should return bool");
        return t;
    }
    lv_classobj *c = LV_OBJ(v, lv_instanceobj)->cls;
    if (c && !lv_is_missing(class_lookup(c, "__len__"))) {
        int64_t n = instance_len(L, v);
        return n < 0 ? -1 : n != 0;
    }
    return 1;
}

lang_value instance_getitem(lang_state *L, lang_value v, lang_value key)
{
    lang_value r;
    int k = call_special(L, v, "__getitem__", 1, &key, &r);
    if (k < 0) return lv_err();
    if (k == 0) return lang_raise(L, LANG_E_TYPE, "'%s' object is not subscriptable", lv_type_name(v));
    return r;
}

int instance_eq(lang_state *L, lang_value a, lang_value b)
{
    lang_value r;
    int k = 0;
    if (a.type == LV_INSTANCE) k = call_special(L, a, "__eq__", 1, &b, &r);
    if (k == 0 && b.type == LV_INSTANCE) k = call_special(L, b, "__eq__", 1, &a, &r);
    if (k <= 0) return k == 0 ? -2 : -1;
    int t = op_truthy(L, r);
    lv_release(r);
    return t;
}

/* ---- operators ---------------------------------------------------------------------------- */

lang_value instance_binary(lang_state *L, binop op, lang_value a, lang_value b)
{
    /* ORDER binop */
    static const char *const fwd[OP_BINARY_COUNT] = {
        "__add__", "__sub__", "__mul__", "__truediv__", "__floordiv__", "__mod__", "__pow__", "__matmul__",
        "__and__", "__or__", "__xor__", "__lshift__", "__rshift__",
    };
    static const char *const rev[OP_BINARY_COUNT] = {
        "__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__rfloordiv__", "__rmod__", "__rpow__", "__rmatmul__",
        "__rand__", "__ror__", "__rxor__", "__rlshift__", "__rrshift__",
    };
    lang_value r;
    int k = 0;
    if (a.type == LV_INSTANCE) k = call_special(L, a, fwd[op], 1, &b, &r);
    if (k == 0 && b.type == LV_INSTANCE) k = call_special(L, b, rev[op], 1, &a, &r);
    return k == 0 ? lv_missing() : k < 0 ? lv_err() : r;
}

lang_value instance_compare(lang_state *L, cmpop op, lang_value a, lang_value b)
{
    /* a < b, else the reflection b > a */
    static const char *const fwd[] = { "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__" };
    static const char *const rev[] = { "__eq__", "__ne__", "__gt__", "__ge__", "__lt__", "__le__" };
    if (op > CMP_GE) return lv_missing();
    lang_value r;
    int k = 0;
    if (a.type == LV_INSTANCE) k = call_special(L, a, fwd[op], 1, &b, &r);
    if (k == 0 && b.type == LV_INSTANCE) k = call_special(L, b, rev[op], 1, &a, &r);
    return k == 0 ? lv_missing() : k < 0 ? lv_err() : r;
}

lang_value instance_unary(lang_state *L, unop op, lang_value a)
{
    lang_value r;
    int k = call_special(L, a, op == UOP_NEG ? "__neg__" : op == UOP_POS ? "__pos__" : "__invert__", 0, NULL, &r);
    if (k == 0) return lang_raise(L, LANG_E_TYPE, "bad operand type for unary %s: '%s'",
                                  op == UOP_NEG ? "-" : op == UOP_POS ? "+" : "~", lv_type_name(a));
    return k < 0 ? lv_err() : r;
}

int instance_setitem(lang_state *L, lang_value obj, lang_value key, lang_value v)
{
    lang_value args[2] = { key, v }, r;
    int k = call_special(L, obj, "__setitem__", 2, args, &r);
    if (k == 0) return lang_fail(L, LANG_E_TYPE, "'%s' object does not support item assignment", lv_type_name(obj));
    if (k < 0) return -1;
    lv_release(r);
    return 0;
}

int instance_contains(lang_state *L, lang_value obj, lang_value item)
{
    lang_value r;
    int k = call_special(L, obj, "__contains__", 1, &item, &r);
    if (k < 0) return -1;
    if (k > 0) {
        int t = op_truthy(L, r);
        lv_release(r);
        return t;
    }
    /* no __contains__: look through the iteration */
    lang_value it = iter_new(L, obj);
    if (lv_is_err(it)) return -1;
    int found = 0;
    for (;;) {
        lang_value x;
        int n = iter_next(L, it, &x);
        if (n <= 0) { if (n < 0) found = -1; break; }
        lang_value eq = op_compare(L, CMP_EQ, x, item);
        lv_release(x);
        if (lv_is_err(eq)) { found = -1; break; }
        int t = op_truthy(L, eq);
        lv_release(eq);
        if (t != 0) { found = t; break; }
    }
    lv_release(it);
    return found;
}

/* ---- iteration: __iter__/__next__, or __getitem__ with 0, 1, 2 ... ------------------------------ */

lang_value instance_iter(lang_state *L, lang_value v, lv_iterkind *kind)
{
    lang_value r;
    int k = call_special(L, v, "__iter__", 0, NULL, &r);
    if (k < 0) return lv_err();
    if (k > 0) {
        if (r.type == LV_INSTANCE) {
            lv_classobj *c = LV_OBJ(r, lv_instanceobj)->cls;
            if (!c || lv_is_missing(class_lookup(c, "__next__"))) {
                lang_raise(L, LANG_E_TYPE, "iter() returned non-iterator of type '%s'", lv_type_name(r));
                lv_release(r);
                return lv_err();
            }
            *kind = IT_NEXT;
            return r;
        }
        lang_value it = iter_new(L, r); /* a list, a generator-like iterator ... */
        lv_release(r);
        return it;
    }
    lv_classobj *c = LV_OBJ(v, lv_instanceobj)->cls;
    if (c && !lv_is_missing(class_lookup(c, "__next__"))) { *kind = IT_NEXT; return lv_retain(v); }
    if (c && !lv_is_missing(class_lookup(c, "__getitem__"))) { *kind = IT_GETITEM; return lv_retain(v); }
    return lang_raise(L, LANG_E_TYPE, "'%s' object is not iterable", lv_type_name(v));
}

int instance_next(lang_state *L, lang_value src, int by_index, int64_t *pos, lang_value *out)
{
    lang_value idx = lv_int(*pos);
    int k = by_index ? call_special(L, src, "__getitem__", 1, &idx, out)
                     : call_special(L, src, "__next__", 0, NULL, out);
    if (k > 0) { (*pos)++; return 1; }
    if (k == 0) return lang_fail(L, LANG_E_TYPE, "'%s' object is not an iterator", lv_type_name(src));
    /* StopIteration (or IndexError for __getitem__) ends the iteration */
    lang_error_kind ek = L->err_kind;
    if (ek == LANG_E_STOP_ITERATION || (by_index && ek == LANG_E_INDEX)) { lang_error_clear(L); return 0; }
    return -1;
}

/* ---- super ------------------------------------------------------------------------------- */

static lang_value make_super(lang_state *L, lang_value cls, lang_value self)
{
    lang_value s = instance_new(L, LV_OBJ(L->super_class, lv_classobj));
    if (lv_is_err(s)) return s;
    lang_value d = LV_OBJ(s, lv_instanceobj)->dict;
    if (lv_dict_set_str(d, "__thisclass__", cls) < 0 || lv_dict_set_str(d, "__self__", self) < 0) {
        lv_release(s);
        return lang_nomem(L);
    }
    return s;
}

/* super() in a method: the class whose body defined the running function
 * and its first argument; super(Cls, obj) names them. */
static lang_value bi_super(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "type=, object_or_type=", v) < 0) return lv_err();
    if (!lv_is_missing(v[0])) {
        if (v[0].type != LV_CLASS) return lang_raise(L, LANG_E_TYPE, "super() argument 1 must be a type, not %s", lv_type_name(v[0]));
        if (lv_is_missing(v[1])) return lang_raise(L, LANG_E_TYPE, "super() with one argument is not supported; use super(Cls, self)");
        lv_classobj *sc = v[1].type == LV_INSTANCE ? LV_OBJ(v[1], lv_instanceobj)->cls : as_class(v[1]);
        if (!sc || !class_is_subclass(sc, LV_OBJ(v[0], lv_classobj)))
            return lang_raise(L, LANG_E_TYPE, "super(type, obj): obj must be an instance or subtype of type");
        return make_super(L, v[0], v[1]);
    }
    frame *F = L->top_frame;
    if (!F || !F->func || !F->func->owner) return lang_raise(L, LANG_E_RUNTIME, "super(): no arguments (use it in a method of a class)");
    if (F->fn->nparams < 1) return lang_raise(L, LANG_E_RUNTIME, "super(): no arguments");
    lang_value self = F->slots[0];
    if (F->fn->is_cell[0]) self = LV_OBJ(self, lv_cellobj)->v;
    if (lv_is_missing(self)) return lang_raise(L, LANG_E_RUNTIME, "super(): arg[0] deleted");
    return make_super(L, lv_from_obj(F->func->owner), self);
}

/* object.__init__: nothing to set up, and no arguments */
static lang_value object_init(lang_state *L, const lang_args *a)
{
    if (a->n || a->nkw) return lang_raise(L, LANG_E_TYPE, "%s() takes no arguments", lv_type_name(a->self));
    return lv_none();
}

/* ---- staticmethod, classmethod, property --------------------------------------------------- */

static lang_value wrapper_init(lang_state *L, const lang_args *a, const char *key)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "function", v) < 0) return lv_err();
    if (lv_dict_set_str(LV_OBJ(a->self, lv_instanceobj)->dict, key, v[0]) < 0) return lang_nomem(L);
    return lv_none();
}
static lang_value sm_init(lang_state *L, const lang_args *a) { return wrapper_init(L, a, "__func__"); }

static lang_value prop_init(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "fget, fset=", v) < 0) return lv_err();
    lang_value d = LV_OBJ(a->self, lv_instanceobj)->dict;
    if (lv_dict_set_str(d, "fget", v[0]) < 0 || lv_dict_set_str(d, "fset", lv_is_missing(v[1]) ? lv_none() : v[1]) < 0)
        return lang_nomem(L);
    return lv_none();
}

/* @name.setter: a property with the same getter and this setter */
static lang_value prop_setter(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "fset", v) < 0) return lv_err();
    lang_value args[2] = { dict_get_name(LV_OBJ(a->self, lv_instanceobj)->dict, "fget"), v[0] };
    return lang_call(L, L->property_class, 2, args, 0, NULL, NULL);
}

/* ---- exceptions ---------------------------------------------------------------------------- */

static lang_value exc_args(lang_value self)
{
    lang_value args = dict_get_name(LV_OBJ(self, lv_instanceobj)->dict, "args");
    return args.type == LV_TUPLE ? args : lv_missing();
}

static lang_value exc_init(lang_state *L, const lang_args *a)
{
    if (a->nkw) return lang_raise(L, LANG_E_TYPE, "%s() takes no keyword arguments", lv_type_name(a->self));
    lang_value d = LV_OBJ(a->self, lv_instanceobj)->dict;
    lv_classobj *c = LV_OBJ(a->self, lv_instanceobj)->cls;
    int os = c && c->exc_kind >= 0 && class_is_subclass(c, LV_OBJ(L->exc_class[LANG_E_OS], lv_classobj));
    int full = os && a->n >= 2 && a->n <= 3;
    /* OSError(errno, strerror, filename).args is (errno, strerror) */
    lang_value args = lv_tuple_of((size_t)(full ? 2 : a->n), a->v);
    if (lv_is_err(args)) return lang_nomem(L);
    int rc = lv_dict_set_str(d, "args", args);
    lv_release(args);
    if (rc == 0 && os) {
        rc |= lv_dict_set_str(d, "errno", full ? a->v[0] : lv_none());
        rc |= lv_dict_set_str(d, "strerror", full ? a->v[1] : lv_none());
        rc |= lv_dict_set_str(d, "filename", a->n == 3 ? a->v[2] : lv_none());
    }
    return rc < 0 ? lang_nomem(L) : lv_none();
}

static lang_value exc_str(lang_state *L, const lang_args *a)
{
    lv_instanceobj *in = LV_OBJ(a->self, lv_instanceobj);
    if (in->message) return lv_str(in->message);
    lang_value args = exc_args(a->self);
    int64_t n = args.type == LV_TUPLE ? (int64_t)lv_tuple_len(args) : 0;
    if (n == 0) return lv_str("");
    lang_value *it = lv_tuple_items(args);
    lv_classobj *c = in->cls;
    fmtbuf b;
    fmtbuf_init(&b);
    int rc;
    if (n == 1 && c && class_is_subclass(c, LV_OBJ(L->exc_class[LANG_E_KEY], lv_classobj))) {
        rc = repr_to(L, &b, it[0], 0); /* KeyError('x') reads 'x' */
    } else if (n == 2 && c && class_is_subclass(c, LV_OBJ(L->exc_class[LANG_E_OS], lv_classobj))) {
        /* [Errno 2] No such file or directory: 'x.csv' */
        fmtbuf_puts(&b, "[Errno ");
        rc = str_to(L, &b, it[0]);
        fmtbuf_puts(&b, "] ");
        if (rc == 0) rc = str_to(L, &b, it[1]);
        lang_value fn = dict_get_name(in->dict, "filename");
        if (rc == 0 && !lv_is_missing(fn) && !lv_is_none(fn)) { fmtbuf_puts(&b, ": "); rc = repr_to(L, &b, fn, 0); }
    } else if (n == 1) {
        rc = str_to(L, &b, it[0]);
    } else {
        rc = repr_to(L, &b, args, 0);
    }
    if (rc < 0) { fmtbuf_free(&b); return lv_err(); }
    char *s = fmtbuf_take(&b);
    return s ? lv_str_take(s) : lang_nomem(L);
}

static lang_value exc_repr(lang_state *L, const lang_args *a)
{
    lang_value args = exc_args(a->self);
    fmtbuf b;
    fmtbuf_init(&b);
    fmtbuf_printf(&b, "%s(", lv_type_name(a->self));
    int64_t n = args.type == LV_TUPLE ? (int64_t)lv_tuple_len(args) : 0;
    for (int64_t i = 0; i < n; i++) {
        if (i) fmtbuf_puts(&b, ", ");
        if (repr_to(L, &b, lv_tuple_items(args)[i], 1) < 0) { fmtbuf_free(&b); return lv_err(); }
    }
    fmtbuf_putc(&b, ')');
    char *s = fmtbuf_take(&b);
    return s ? lv_str_take(s) : lang_nomem(L);
}

lv_classobj *exc_class_of(lang_state *L, lang_error_kind kind, lang_value value)
{
    if (value.type == LV_INSTANCE && LV_OBJ(value, lv_instanceobj)->cls) return LV_OBJ(value, lv_instanceobj)->cls;
    lang_value c = kind < LANG_E_COUNT ? L->exc_class[kind] : lv_missing();
    return c.type == LV_CLASS ? LV_OBJ(c, lv_classobj) : NULL;
}

lang_value exc_instance(lang_state *L, exc_saved *s)
{
    if (s->value.type == LV_INSTANCE) return lv_retain(s->value);
    lv_classobj *c = exc_class_of(L, s->kind, s->value);
    if (!c) return lang_raise(L, LANG_E_RUNTIME, "no class for this error");
    lang_value inst = instance_new(L, c);
    if (lv_is_err(inst)) return inst;
    lang_value msg = lv_str(s->msg ? s->msg : "");
    lang_value args = lv_is_err(msg) ? msg : lv_tuple_of(1, &msg);
    lv_instanceobj *in = LV_OBJ(inst, lv_instanceobj);
    in->message = strdup(s->msg ? s->msg : "");
    int rc = lv_is_err(args) || !in->message ? -1 : lv_dict_set_str(in->dict, "args", args);
    lv_release(msg);
    lv_release(args);
    if (rc < 0) { lv_release(inst); return lang_nomem(L); }
    s->value = lv_retain(inst); /* a bare raise re-raises this very instance */
    return inst;
}

static int matches_one(lang_state *L, lv_classobj *c, lang_value spec)
{
    if (spec.type != LV_CLASS || LV_OBJ(spec, lv_classobj)->exc_kind < 0)
        return lang_fail(L, LANG_E_TYPE, "catching classes that do not inherit from BaseException is not allowed");
    return class_is_subclass(c, LV_OBJ(spec, lv_classobj));
}

int exc_matches(lang_state *L, const exc_saved *s, lang_value spec)
{
    lv_classobj *c = exc_class_of(L, s->kind, s->value);
    if (!c) return 0;
    if (spec.type == LV_TUPLE) {
        size_t n = lv_tuple_len(spec);
        for (size_t i = 0; i < n; i++) {
            int r = matches_one(L, c, lv_tuple_items(spec)[i]);
            if (r != 0) return r;
        }
        return 0;
    }
    return matches_one(L, c, spec);
}

int exc_raise(lang_state *L, lang_value v)
{
    lang_value inst;
    if (v.type == LV_CLASS && LV_OBJ(v, lv_classobj)->exc_kind >= 0) {
        inst = lang_call(L, v, 0, NULL, 0, NULL, NULL);
        if (lv_is_err(inst)) return -1;
    } else if (v.type == LV_INSTANCE && LV_OBJ(v, lv_instanceobj)->cls->exc_kind >= 0) {
        inst = lv_retain(v);
    } else {
        return lang_fail(L, LANG_E_TYPE, "exceptions must derive from BaseException");
    }
    fmtbuf b;
    fmtbuf_init(&b);
    if (instance_repr(L, &b, inst, 1) < 0) {
        /* the message itself failed: raise with a placeholder, as Python prints it */
        lang_error_clear(L);
        fmtbuf_free(&b);
        fmtbuf_init(&b);
        fmtbuf_puts(&b, "<exception str() failed>");
    }
    char *msg = fmtbuf_take(&b);
    errors_set_value(L, inst, (lang_error_kind)LV_OBJ(inst, lv_instanceobj)->cls->exc_kind, msg ? msg : "");
    free(msg);
    lv_release(inst);
    return -1;
}

/* ---- the C interface (builtins.h) ---------------------------------------------------------- */

lang_value lang_define_class(lang_state *L, const char *name, lang_value base, const lang_method *methods,
                             const char *doc)
{
    if (base.type != LV_NONE && base.type != LV_MISSING && base.type != LV_CLASS)
        return lang_raise(L, LANG_E_TYPE, "lang_define_class: the base of %s must be a class", name);
    lang_value cls = class_new(L, name, as_class(base), lv_none());
    if (lv_is_err(cls)) return cls;
    lv_classobj *c = LV_OBJ(cls, lv_classobj);
    c->from_c = 1;
    c->doc = doc;
    for (const lang_method *m = methods; m && m->name; m++) {
        lang_value f = lang_builtin_value(L, m->name, m->fn, m->doc);
        if (lv_is_err(f)) { lv_release(cls); return f; }
        LV_OBJ(f, lv_builtinobj)->type_tag = BUILTIN_TAG_METHOD;
        int rc = lv_dict_set_str(c->dict, m->name, f);
        lv_release(f);
        if (rc < 0) { lv_release(cls); return lang_nomem(L); }
    }
    return cls;
}

int lang_is_instance(lang_value v, lang_value cls)
{
    if (cls.type != LV_CLASS) return 0;
    if (v.type == LV_INSTANCE) return is_instance_of(v, cls);
    return !LV_OBJ(cls, lv_classobj)->base; /* everything is an object */
}

int lang_overrides(lang_value obj, lang_value cls, const char *name)
{
    if (obj.type != LV_INSTANCE || cls.type != LV_CLASS) return 0;
    lv_instanceobj *in = LV_OBJ(obj, lv_instanceobj);
    if (!lv_is_missing(dict_get_name(in->dict, name))) return 1;
    lang_value mine = in->cls ? class_lookup(in->cls, name) : lv_missing();
    lang_value base = class_lookup(LV_OBJ(cls, lv_classobj), name);
    return mine.type != base.type || mine.u.o != base.u.o;
}

lang_value lang_call_method(lang_state *L, lang_value obj, const char *name, int n, const lang_value *args,
                            int nkw, const char *const *kwname, const lang_value *kw)
{
    if (obj.type == LV_INSTANCE) {
        lv_instanceobj *in = LV_OBJ(obj, lv_instanceobj);
        if (lv_is_missing(dict_get_name(in->dict, name))) {
            lang_value fn = in->cls ? class_lookup(in->cls, name) : lv_missing();
            if (fn.type == LV_FUNCTION || (fn.type == LV_BUILTIN && LV_OBJ(fn, lv_builtinobj)->type_tag == BUILTIN_TAG_METHOD)) {
                lang_args a = { n, args, nkw, kwname, kw, lv_none(), name };
                return call_with_self(L, fn, obj, &a);
            }
            if (lv_is_missing(fn)) return lv_missing();
        }
    }
    lang_value fn = op_getattr(L, obj, name);
    if (lv_is_err(fn)) {
        if (lang_error_kind_of(L) != LANG_E_ATTRIBUTE) return fn;
        lang_error_clear(L);
        return lv_missing();
    }
    lang_value r = lang_call(L, fn, n, args, nkw, kwname, kw);
    lv_release(fn);
    return r;
}

lang_value lang_getattr(lang_state *L, lang_value obj, const char *name) { return op_getattr(L, obj, name); }
int lang_setattr(lang_state *L, lang_value obj, const char *name, lang_value v) { return op_setattr(L, obj, name, v); }

lang_value lang_exception_class(lang_state *L, lang_error_kind kind)
{
    return kind < LANG_E_COUNT ? lv_retain(L->exc_class[kind]) : lv_none();
}

lang_value lang_raise_os(lang_state *L, int errnum, const char *filename)
{
    if (errnum == ENOMEM) return lang_nomem(L);
    lang_error_kind k = lang_error_kind_of_errno(errnum);
    lang_value args[3] = { lv_int(errnum), lv_str(strerror(errnum)), filename ? lv_str(filename) : lv_none() };
    lang_value inst = lv_is_err(args[1]) || lv_is_err(args[2]) ? lv_err()
                      : lang_call(L, L->exc_class[k], filename ? 3 : 2, args, 0, NULL, NULL);
    lv_release(args[1]);
    lv_release(args[2]);
    if (lv_is_err(inst)) return L->err_pending ? inst : lang_nomem(L);
    exc_raise(L, inst);
    lv_release(inst);
    return lv_err();
}

lang_value lang_raise_key(lang_state *L, lang_value key)
{
    lang_value inst = lang_call(L, L->exc_class[LANG_E_KEY], 1, &key, 0, NULL, NULL);
    if (lv_is_err(inst)) return inst;
    exc_raise(L, inst);
    lv_release(inst);
    return lv_err();
}

/* ---- set-up ------------------------------------------------------------------------------------ */

static const lang_method exception_methods[] = {
    {"__init__", exc_init, "BaseException(*args)\nAn exception carrying args.\n>>> ValueError('bad value').args"},
    {"__str__", exc_str, NULL},
    {"__repr__", exc_repr, NULL},
    {NULL, NULL, NULL}
};
static const lang_method object_methods[] = {
    {"__init__", object_init, "object()\nAn object with no attributes of its own.\n>>> object()"},
    {NULL, NULL, NULL}
};
static const lang_method staticmethod_methods[] = { {"__init__", sm_init, NULL}, {NULL, NULL, NULL} };
static const lang_method property_methods[] = {
    {"__init__", prop_init, NULL},
    {"setter", prop_setter, "setter(fset)\nA copy of the property with this setter.\n>>> @x.setter"},
    {NULL, NULL, NULL}
};

/* The builtin exception classes: kind, base kind (-1: none), doc. ORDER
 * matters: a base comes before its subclasses. */
static const struct { int kind, base; const char *doc; } exc_tree[] = {
    {LANG_E_BASE_EXCEPTION, -1, "BaseException(*args)\nThe base of every exception (except Exception catches all but KeyboardInterrupt).\n>>> issubclass(KeyboardInterrupt, BaseException)"},
    {LANG_E_INTERRUPT, LANG_E_BASE_EXCEPTION, "KeyboardInterrupt()\nThe kernel was interrupted; `except Exception` and a bare `except:` do not catch it.\n>>> except KeyboardInterrupt:"},
    {LANG_E_EXCEPTION, LANG_E_BASE_EXCEPTION, "Exception(*args)\nThe base of the errors a program catches; subclass it for your own.\n>>> class MyError(Exception): pass"},
    {LANG_E_ARITHMETIC, LANG_E_EXCEPTION, "ArithmeticError(*args)\nThe base of ZeroDivisionError and OverflowError.\n>>> except ArithmeticError:"},
    {LANG_E_ZERODIV, LANG_E_ARITHMETIC, "ZeroDivisionError(*args)\nDivision or modulo by zero.\n>>> 1 / 0"},
    {LANG_E_OVERFLOW, LANG_E_ARITHMETIC, "OverflowError(*args)\nA result too large to be represented.\n>>> raise OverflowError('too big')"},
    {LANG_E_ASSERTION, LANG_E_EXCEPTION, "AssertionError(*args)\nAn assert statement failed.\n>>> assert 1 == 2"},
    {LANG_E_ATTRIBUTE, LANG_E_EXCEPTION, "AttributeError(*args)\nAn attribute that does not exist.\n>>> (1).foo"},
    {LANG_E_IMPORT, LANG_E_EXCEPTION, "ImportError(*args)\nAn import failed.\n>>> import nothing"},
    {LANG_E_MODULE_NOT_FOUND, LANG_E_IMPORT, "ModuleNotFoundError(*args)\nNo module of that name.\n>>> import nothing"},
    {LANG_E_LOOKUP, LANG_E_EXCEPTION, "LookupError(*args)\nThe base of IndexError and KeyError.\n>>> except LookupError:"},
    {LANG_E_INDEX, LANG_E_LOOKUP, "IndexError(*args)\nA sequence index out of range.\n>>> [1, 2][5]"},
    {LANG_E_KEY, LANG_E_LOOKUP, "KeyError(*args)\nA dict key that is not there.\n>>> {}['x']"},
    {LANG_E_MEMORY, LANG_E_EXCEPTION, "MemoryError(*args)\nHost memory ran out, or the kernel's memory limit was reached.\n>>> except MemoryError:"},
    {LANG_E_OOM, LANG_E_MEMORY, "OutOfMemoryError(*args)\nA GPU ran out of memory or reached CGPU_GPU_MEMORY_LIMIT (a MemoryError).\n>>> except MemoryError:"},
    {LANG_E_NAME, LANG_E_EXCEPTION, "NameError(*args)\nA name that is not defined.\n>>> undefined_name"},
    {LANG_E_OS, LANG_E_EXCEPTION, "OSError(*args)\nAn operating-system error; OSError(errno, strerror, filename) sets those attributes.\n>>> except OSError as e: print(e.errno)"},
    {LANG_E_FILE_NOT_FOUND, LANG_E_OS, "FileNotFoundError(*args)\nA file or directory that does not exist.\n>>> except FileNotFoundError:"},
    {LANG_E_FILE_EXISTS, LANG_E_OS, "FileExistsError(*args)\nCreating a file or directory that already exists.\n>>> except FileExistsError:"},
    {LANG_E_PERMISSION, LANG_E_OS, "PermissionError(*args)\nNot allowed to read or write this path.\n>>> except PermissionError:"},
    {LANG_E_IS_A_DIRECTORY, LANG_E_OS, "IsADirectoryError(*args)\nA file operation on a directory.\n>>> except IsADirectoryError:"},
    {LANG_E_NOT_A_DIRECTORY, LANG_E_OS, "NotADirectoryError(*args)\nA directory operation on a file.\n>>> except NotADirectoryError:"},
    {LANG_E_UNSUPPORTED_OP, LANG_E_OS, "UnsupportedOperation(*args)\nAn operation the file does not support (reading a file opened for writing).\n>>> open('x.txt', 'w').read()"},
    {LANG_E_RUNTIME, LANG_E_EXCEPTION, "RuntimeError(*args)\nAn error that fits no other class.\n>>> raise RuntimeError('stop')"},
    {LANG_E_RECURSION, LANG_E_RUNTIME, "RecursionError(*args)\nThe maximum recursion depth was exceeded.\n>>> def f(): return f()"},
    {LANG_E_NOT_IMPLEMENTED, LANG_E_RUNTIME, "NotImplementedError(*args)\nA method a subclass must provide.\n>>> raise NotImplementedError"},
    {LANG_E_DEVICE, LANG_E_RUNTIME, "DeviceError(*args)\nA device (GPU) operation failed (a RuntimeError).\n>>> except DeviceError:"},
    {LANG_E_STOP_ITERATION, LANG_E_EXCEPTION, "StopIteration(*args)\nAn iterator has no more items.\n>>> next(iter([]))"},
    {LANG_E_SYNTAX, LANG_E_EXCEPTION, "SyntaxError(*args)\nCode that does not parse.\n>>> x = (1 +"},
    {LANG_E_TYPE, LANG_E_EXCEPTION, "TypeError(*args)\nAn operation on a value of the wrong type.\n>>> 1 + 'a'"},
    {LANG_E_VALUE, LANG_E_EXCEPTION, "ValueError(*args)\nA value of the right type but not acceptable.\n>>> int('abc')"},
    {LANG_E_UNICODE_DECODE, LANG_E_VALUE, "UnicodeDecodeError(*args)\nBytes that are not valid text in the encoding (a ValueError).\n>>> open('image.png').read()"},
    {LANG_E_SHAPE, LANG_E_VALUE, "ShapeError(*args)\nArray shapes that do not fit together (a ValueError).\n>>> ones(2) + ones(3)"},
};

static lang_value define_registered(lang_state *L, const char *name, lang_value base, const lang_method *m, const char *doc)
{
    lang_value c = lang_define_class(L, name, base, m, doc);
    if (lv_is_err(c)) return c;
    lang_register_value(L, name, c, doc);
    return c;
}

void classes_init(lang_state *L)
{
    L->err_value = lv_missing();
    L->object_class = define_registered(L, "object", lv_none(), object_methods,
        "object()\nThe base of every class; `class Name:` derives from it.\n>>> class Point: pass");
    if (lv_is_err(L->object_class)) return;
    for (size_t i = 0; i < sizeof exc_tree / sizeof exc_tree[0]; i++) {
        int k = exc_tree[i].kind;
        lang_value base = exc_tree[i].base < 0 ? lv_none() : L->exc_class[exc_tree[i].base];
        lang_value c = define_registered(L, lang_error_kind_name((lang_error_kind)k), base,
                                         exc_tree[i].base < 0 ? exception_methods : NULL, exc_tree[i].doc);
        if (lv_is_err(c)) { lang_error_clear(L); continue; }
        LV_OBJ(c, lv_classobj)->exc_kind = k;
        L->exc_class[k] = c;
    }
    L->super_class = lang_define_class(L, "super", lv_none(), NULL, NULL);
    L->staticmethod_class = define_registered(L, "staticmethod", lv_none(), staticmethod_methods,
        "staticmethod(function)\nA method called without the instance (decorator).\n>>> @staticmethod");
    L->classmethod_class = define_registered(L, "classmethod", lv_none(), staticmethod_methods,
        "classmethod(function)\nA method that receives the class instead of the instance (decorator).\n>>> @classmethod");
    L->property_class = define_registered(L, "property", lv_none(), property_methods,
        "property(fget, fset=None)\nAn attribute computed by a method (decorator; @name.setter adds a setter).\n>>> @property");
    lang_register_builtin(L, "super", bi_super,
        "super()\nThe parent class's view of self, inside a method (super(Cls, self) also works).\n>>> super().__init__()");
    if (L->err_pending) lang_error_clear(L);
}

void classes_free(lang_state *L)
{
    lang_value *all[] = { &L->object_class, &L->super_class, &L->staticmethod_class, &L->classmethod_class,
                          &L->property_class };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) { lv_release(*all[i]); *all[i] = lv_none(); }
    for (int k = 0; k < LANG_E_COUNT; k++) { lv_release(L->exc_class[k]); L->exc_class[k] = lv_none(); }
}
