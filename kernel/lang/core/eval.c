/* eval.c — the tree-walking evaluator.
 *
 * Expressions return a new reference or LV_ERR; statements return an exec
 * code. An error is recorded in the state by whoever raised it; on the way
 * out every level releases what it holds, and the innermost node of each
 * frame records its position (the traceback). Names were resolved to slots
 * beforehand (resolve.c), so variable access is an array index.
 *
 * Safe points: the interrupt flag is checked at every loop iteration and
 * every call; recursion is bounded by call depth and by the C stack.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "interp.h"
#include "numfmt.h"

enum { XC_OK, XC_BREAK, XC_CONTINUE, XC_RETURN, XC_ERR };

static lang_value eval_node(lang_state *L, frame *F, node *e);
static int exec_block(lang_state *L, frame *F, block *b);
static int store(lang_state *L, frame *F, node *t, lang_value v);

/* ---- errors and safe points ------------------------------------------------------- */

void eval_locate(lang_state *L, lang_arena *A, int line, int col, const char *func)
{
    if (L->err_located || !L->err_pending) return;
    tb_push(L, A, line, col, func);
    L->err_located = 1;
}

static inline void locate(lang_state *L, frame *F, node *e)
{
    if (!L->err_located) eval_locate(L, F->arena, e->line, e->col, F->parent ? F->fn->name : NULL);
}

static lang_value interrupted(lang_state *L)
{
    L->interrupt = 0; /* one KeyboardInterrupt per request */
    return lang_raise(L, LANG_E_INTERRUPT, "interrupted by the user");
}

/* A loop's back-edge: raises KeyboardInterrupt when interrupted, and every
 * 16384 passes checks the kernel's host memory limit (growth made of many
 * small allocations never asks for much at once). 1 when it raised. */
static int loop_break(lang_state *L)
{
    if (L->interrupt) { interrupted(L); return 1; }
    if ((++L->loop_ticks & 0x3fff) == 0 && rt_host_memory_poll() != RT_OK) { lang_raise_rt(L); return 1; }
    return 0;
}

int check_stack(lang_state *L)
{
    char here;
    if (L->stack_limit && &here < L->stack_limit) {
        lang_fail(L, LANG_E_RECURSION, "maximum recursion depth exceeded (the C stack is nearly full)");
        return -1;
    }
    return 0;
}

/* truthiness with the common cases inline */
static inline int truthy(lang_state *L, lang_value v)
{
    if (v.type == LV_BOOL) return v.u.b;
    if (v.type == LV_INT) return v.u.i != 0;
    if (v.type == LV_NONE) return 0;
    return op_truthy(L, v);
}

/* ---- names ----------------------------------------------------------------------------- */

static lang_value load_name(lang_state *L, frame *F, node *e)
{
    int slot = e->u.name.slot;
    switch (e->u.name.scope) {
    case NAME_GLOBAL: {
        gslot *g = &L->g[slot];
        if (g->value.type != LV_MISSING) return lv_retain(g->value);
        if (g->builtin.type != LV_MISSING) return lv_retain(g->builtin);
        return lang_raise(L, LANG_E_NAME, "name '%s' is not defined", e->u.name.id);
    }
    case NAME_LOCAL: {
        lang_value v = F->slots[slot];
        if (v.type != LV_MISSING) return lv_retain(v);
        return lang_raise(L, LANG_E_NAME, "cannot access local variable '%s' where it is not associated with a value",
                          e->u.name.id);
    }
    case NAME_CELL: {
        lang_value v = LV_OBJ(F->slots[slot], lv_cellobj)->v;
        if (v.type != LV_MISSING) return lv_retain(v);
        return lang_raise(L, LANG_E_NAME, "cannot access local variable '%s' where it is not associated with a value",
                          e->u.name.id);
    }
    case NAME_FREE: {
        lang_value v = F->free[slot]->v;
        if (v.type != LV_MISSING) return lv_retain(v);
        return lang_raise(L, LANG_E_NAME, "cannot access free variable '%s' where it is not associated with a value in enclosing scope",
                          e->u.name.id);
    }
    default:
        return lang_raise(L, LANG_E_NAME, "name '%s' is not defined", e->u.name.id);
    }
}

/* Stores v (borrowed) into the variable of name node e. */
static void store_name(lang_state *L, frame *F, node *e, lang_value v)
{
    lang_value *dst;
    switch (e->u.name.scope) {
    case NAME_GLOBAL: dst = &L->g[e->u.name.slot].value; break;
    case NAME_LOCAL: dst = &F->slots[e->u.name.slot]; break;
    case NAME_CELL: dst = &LV_OBJ(F->slots[e->u.name.slot], lv_cellobj)->v; break;
    case NAME_FREE: dst = &F->free[e->u.name.slot]->v; break;
    default: return;
    }
    lang_value old = *dst;
    *dst = lv_retain(v);
    lv_release(old);
}

static int delete_name(lang_state *L, frame *F, node *e)
{
    lang_value *dst;
    switch (e->u.name.scope) {
    case NAME_GLOBAL: dst = &L->g[e->u.name.slot].value; break;
    case NAME_LOCAL: dst = &F->slots[e->u.name.slot]; break;
    case NAME_CELL: dst = &LV_OBJ(F->slots[e->u.name.slot], lv_cellobj)->v; break;
    case NAME_FREE: dst = &F->free[e->u.name.slot]->v; break;
    default: dst = NULL;
    }
    if (!dst || dst->type == LV_MISSING)
        return lang_fail(L, LANG_E_NAME, "name '%s' is not defined", e->u.name.id);
    lang_value old = *dst;
    *dst = lv_missing();
    lv_release(old);
    return 0;
}

/* Evaluates e: a new reference, or LV_ERR with the error located at e.
 * Constants and bound variables are answered inline; the rest goes
 * through eval_node. */
static inline lang_value eval(lang_state *L, frame *F, node *e)
{
    if (e->kind == E_CONST) return lv_retain(e->u.k);
    if (e->kind == E_NAME) {
        lang_value v;
        if (e->u.name.scope == NAME_LOCAL) v = F->slots[e->u.name.slot];
        else if (e->u.name.scope == NAME_GLOBAL) v = L->g[e->u.name.slot].value;
        else v = lv_missing();
        if (v.type != LV_MISSING) return lv_retain(v);
    }
    return eval_node(L, F, e);
}

/* ---- functions ---------------------------------------------------------------------------- */

void lv_func_free(lv_funcobj *f)
{
    if (f->defaults) {
        int nd = f->def->ndefaults + f->def->nkwonly;
        for (int i = 0; i < nd; i++) lv_release(f->defaults[i]);
        free(f->defaults);
    }
    if (f->free) {
        for (int i = 0; i < f->def->nfree; i++)
            if (f->free[i]) lv_release(lv_from_obj(f->free[i]));
        free(f->free);
    }
    if (f->owner) lv_release(lv_from_obj(f->owner));
    arena_release(f->arena);
    lv_free_obj(&f->h);
}

/* Creates the function object for def/lambda f in frame F. */
__attribute__((noinline)) static lang_value make_function(lang_state *L, frame *F, ast_func *def)
{
    lv_funcobj *fo = lv_alloc_obj(LV_FUNCTION, sizeof *fo);
    if (!fo) return lang_nomem(L);
    fo->def = def;
    fo->arena = arena_retain(F->arena);
    int nd = def->ndefaults + def->nkwonly;
    lang_value fv = lv_from_obj(fo);
    if (nd) {
        fo->defaults = calloc((size_t)nd, sizeof *fo->defaults);
        if (!fo->defaults) { lv_release(fv); return lang_nomem(L); }
        for (int i = 0; i < nd; i++) fo->defaults[i] = lv_missing();
        for (int i = 0; i < def->ndefaults; i++) {
            lang_value d = eval(L, F, def->defaults[i]);
            if (lv_is_err(d)) { lv_release(fv); return d; }
            fo->defaults[i] = d;
        }
        for (int i = 0; i < def->nkwonly; i++) {
            if (!def->kwonly_defaults[i]) continue;
            lang_value d = eval(L, F, def->kwonly_defaults[i]);
            if (lv_is_err(d)) { lv_release(fv); return d; }
            fo->defaults[def->ndefaults + i] = d;
        }
    }
    if (def->nfree) {
        fo->free = calloc((size_t)def->nfree, sizeof *fo->free);
        if (!fo->free) { lv_release(fv); return lang_nomem(L); }
        for (int i = 0; i < def->nfree; i++) {
            freevar *fr = &def->free[i];
            lv_cellobj *c = fr->from_free ? F->free[fr->index] : LV_OBJ(F->slots[fr->index], lv_cellobj);
            c->h.refcount++;
            fo->free[i] = c;
        }
    }
    return fv;
}

static lv_cellobj *new_cell(lang_value v /* taken */)
{
    lv_cellobj *c = lv_alloc_obj(LV_CELL, sizeof *c);
    if (!c) { lv_release(v); return NULL; }
    c->v = v;
    return c;
}

static lang_value call_user(lang_state *L, lv_funcobj *fo, const lang_args *a)
{
    ast_func *def = fo->def;
    const char *fname = def->name;
    if (++L->depth > LANG_MAX_CALL_DEPTH) {
        L->depth--;
        return lang_raise(L, LANG_E_RECURSION, "maximum recursion depth exceeded");
    }
    if (check_stack(L) < 0) { L->depth--; return lv_err(); }
    if (lv_gc_wanted()) lv_gc_collect();
    int nl = def->nlocals;
    lang_value slotbuf[nl > 0 ? nl : 1];
    for (int i = 0; i < nl; i++) slotbuf[i] = lv_missing();
    lang_value result = lv_err();
    int np = def->nparams;

    int n = a->n;
    if (n == np && a->nkw == 0 && !def->vararg && !def->kwarg && def->nkwonly == 0) {
        /* the common case: exactly the positional parameters */
        for (int i = 0; i < n; i++) slotbuf[i] = lv_retain(a->v[i]);
        goto bound;
    }
    /* positional */
    if (n > np && !def->vararg) {
        lang_raise(L, LANG_E_TYPE, "%s() takes %d positional argument%s but %d %s given", fname, np,
                   np == 1 ? "" : "s", n, n == 1 ? "was" : "were");
        goto out;
    }
    for (int i = 0; i < n && i < np; i++) slotbuf[i] = lv_retain(a->v[i]);
    int vslot = np, kslot0 = np + (def->vararg ? 1 : 0), kwslot = kslot0 + def->nkwonly;
    if (def->vararg) {
        int extra = n > np ? n - np : 0;
        lang_value t = lv_tuple_of((size_t)extra, a->v + np);
        if (lv_is_err(t)) { lang_nomem(L); goto out; }
        slotbuf[vslot] = t;
    }
    if (def->kwarg) {
        lang_value d = lv_dict_new();
        if (lv_is_err(d)) { lang_nomem(L); goto out; }
        slotbuf[kwslot] = d;
    }
    /* keywords */
    for (int k = 0; k < a->nkw; k++) {
        const char *kn = a->kwname[k];
        int slot = -1;
        for (int i = 0; i < np; i++) if (strcmp(def->params[i], kn) == 0) { slot = i; break; }
        if (slot < 0)
            for (int i = 0; i < def->nkwonly; i++) if (strcmp(def->kwonly[i], kn) == 0) { slot = kslot0 + i; break; }
        if (slot < 0) {
            if (def->kwarg) {
                if (lv_dict_set_str(slotbuf[kwslot], kn, a->kw[k]) < 0) { lang_nomem(L); goto out; }
                continue;
            }
            lang_raise(L, LANG_E_TYPE, "%s() got an unexpected keyword argument '%s'", fname, kn);
            goto out;
        }
        if (slotbuf[slot].type != LV_MISSING) {
            lang_raise(L, LANG_E_TYPE, "%s() got multiple values for argument '%s'", fname, kn);
            goto out;
        }
        slotbuf[slot] = lv_retain(a->kw[k]);
    }
    /* defaults and missing arguments */
    {
        int missing = 0;
        const char *first_missing = NULL;
        for (int i = 0; i < np; i++) {
            if (slotbuf[i].type != LV_MISSING) continue;
            int di = i - (np - def->ndefaults);
            if (di >= 0) slotbuf[i] = lv_retain(fo->defaults[di]);
            else { if (!missing) first_missing = def->params[i]; missing++; }
        }
        if (missing) {
            lang_raise(L, LANG_E_TYPE, "%s() missing %d required positional argument%s: '%s'%s", fname, missing,
                       missing == 1 ? "" : "s", first_missing, missing > 1 ? " ..." : "");
            goto out;
        }
        for (int i = 0; i < def->nkwonly; i++) {
            if (slotbuf[kslot0 + i].type != LV_MISSING) continue;
            lang_value d = fo->defaults[def->ndefaults + i];
            if (d.type == LV_MISSING) {
                lang_raise(L, LANG_E_TYPE, "%s() missing 1 required keyword-only argument: '%s'", fname, def->kwonly[i]);
                goto out;
            }
            slotbuf[kslot0 + i] = lv_retain(d);
        }
    }
bound:
    /* captured variables live in cells */
    for (int i = 0; i < nl; i++) {
        if (!def->is_cell[i]) continue;
        lv_cellobj *c = new_cell(slotbuf[i]);
        if (!c) { slotbuf[i] = lv_missing(); lang_nomem(L); goto out; }
        slotbuf[i] = lv_from_obj(c);
    }
    {
        frame fr = { L->top_frame, def, fo->arena, slotbuf, fo->free, lv_none(), fo };
        L->top_frame = &fr;
        int x = exec_block(L, &fr, &def->body);
        L->top_frame = fr.parent;
        if (x == XC_ERR) {
            lv_release(fr.retval);
            /* this frame's entry is recorded: the caller records its own */
            L->err_located = 0;
        } else if (x == XC_RETURN) {
            result = fr.retval;
        } else {
            lv_release(fr.retval);
            result = lv_none();
        }
    }
out:
    for (int i = 0; i < nl; i++) lv_release(slotbuf[i]);
    L->depth--;
    return result;
}

lang_value call_value(lang_state *L, lang_value fn, const lang_args *a)
{
    if (L->interrupt) return interrupted(L);
    switch (fn.type) {
    case LV_BUILTIN: {
        lv_builtinobj *b = LV_OBJ(fn, lv_builtinobj);
        lang_args a2 = *a;
        if (b->self.type != LV_NONE) a2.self = b->self;
        else if (b->type_tag == BUILTIN_TAG_METHOD) {
            /* Cls.method(obj, ...) for a class defined from C */
            if (a->n < 1 || a->v[0].type != LV_INSTANCE)
                return lang_raise(L, LANG_E_TYPE, "%s() needs an instance as its first argument", b->name);
            a2.self = a->v[0];
            a2.v++;
            a2.n--;
        }
        a2.fname = b->name;
        lang_value r = b->fn(L, &a2);
        if (r.type == LV_ERR) {
            if (!L->err_pending) lang_raise(L, LANG_E_VALUE, "%s() failed", b->name);
        } else if (r.type == LV_MISSING) {
            r = lv_none();
        }
        return r;
    }
    case LV_FUNCTION: return call_user(L, LV_OBJ(fn, lv_funcobj), a);
    case LV_CLASS: return class_call(L, fn, a);
    case LV_INSTANCE: return instance_call(L, fn, a);
    case LV_OBJECT: {
        lv_objectobj *o = LV_OBJ(fn, lv_objectobj);
        if (o->cls->call) {
            lang_args a2 = *a;
            a2.self = fn;
            a2.fname = o->cls->name;
            lang_value r = o->cls->call(L, fn, &a2);
            if (r.type == LV_ERR && !L->err_pending) lang_raise(L, LANG_E_VALUE, "calling %s failed", o->cls->name);
            if (r.type == LV_MISSING) r = lv_none();
            return r;
        }
        break;
    }
    default: break;
    }
    return lang_raise(L, LANG_E_TYPE, "'%s' object is not callable", lv_type_name(fn));
}

lang_value lang_call(lang_state *L, lang_value fn, int n, const lang_value *args,
                     int nkw, const char *const *kwname, const lang_value *kw)
{
    lang_args a = { n, args, nkw, kwname, kw, lv_none(), NULL };
    return call_value(L, fn, &a);
}

/* ---- calls --------------------------------------------------------------------------------- */

#define ARGS_INLINE 8

typedef struct {              /* evaluated arguments of one call */
    lang_value  inl[ARGS_INLINE];
    lang_value *v;
    int         n, cap;
    lang_value  kinl[ARGS_INLINE];
    lang_value *kw;
    const char *kninl[ARGS_INLINE];
    const char **kn;
    lang_value  kwstr_hold;   /* list keeping **dict key strings alive */
    int         nkw, capkw;
} callargs;

static int ca_push(lang_state *L, callargs *c, lang_value v /* taken */)
{
    if (c->n == c->cap) {
        int nc = c->cap * 2;
        lang_value *nv = malloc((size_t)nc * sizeof *nv);
        if (!nv) { lv_release(v); lang_nomem(L); return -1; }
        memcpy(nv, c->v, (size_t)c->n * sizeof *nv);
        if (c->v != c->inl) free(c->v);
        c->v = nv;
        c->cap = nc;
    }
    c->v[c->n++] = v;
    return 0;
}

static int ca_pushkw(lang_state *L, callargs *c, const char *name, lang_value v /* taken */)
{
    for (int i = 0; i < c->nkw; i++)
        if (strcmp(c->kn[i], name) == 0) {
            lv_release(v);
            return lang_fail(L, LANG_E_TYPE, "got multiple values for keyword argument '%s'", name);
        }
    if (c->nkw == c->capkw) {
        int nc = c->capkw * 2;
        lang_value *nv = malloc((size_t)nc * sizeof *nv);
        const char **nn = malloc((size_t)nc * sizeof *nn);
        if (!nv || !nn) { free(nv); free(nn); lv_release(v); lang_nomem(L); return -1; }
        memcpy(nv, c->kw, (size_t)c->nkw * sizeof *nv);
        memcpy(nn, c->kn, (size_t)c->nkw * sizeof *nn);
        if (c->kw != c->kinl) { free(c->kw); free(c->kn); }
        c->kw = nv;
        c->kn = nn;
        c->capkw = nc;
    }
    c->kn[c->nkw] = name;
    c->kw[c->nkw++] = v;
    return 0;
}

static void ca_free(callargs *c)
{
    for (int i = 0; i < c->n; i++) lv_release(c->v[i]);
    for (int i = 0; i < c->nkw; i++) lv_release(c->kw[i]);
    if (c->v != c->inl) free(c->v);
    if (c->kw != c->kinl) { free(c->kw); free(c->kn); }
    lv_release(c->kwstr_hold);
}

static int eval_args(lang_state *L, frame *F, node *e, callargs *c)
{
    c->v = c->inl; c->n = 0; c->cap = ARGS_INLINE;
    c->kw = c->kinl; c->kn = c->kninl; c->nkw = 0; c->capkw = ARGS_INLINE;
    c->kwstr_hold = lv_none();
    for (int i = 0; i < e->u.call.nargs; i++) {
        node *an = e->u.call.args[i];
        if (an->kind == E_STARRED) {
            lang_value s = eval(L, F, an->u.bin.a);
            if (lv_is_err(s)) return -1;
            lang_value lst = iter_to_list(L, s);
            lv_release(s);
            if (lv_is_err(lst)) { locate(L, F, an); return -1; }
            size_t m = lv_list_len(lst);
            lang_value *items = lv_list_items(lst);
            for (size_t j = 0; j < m; j++)
                if (ca_push(L, c, lv_retain(items[j])) < 0) { lv_release(lst); return -1; }
            lv_release(lst);
            continue;
        }
        lang_value v = eval(L, F, an);
        if (lv_is_err(v)) return -1;
        if (ca_push(L, c, v) < 0) return -1;
    }
    for (int i = 0; i < e->u.call.nkw; i++) {
        lang_value v = eval(L, F, e->u.call.kwargs[i]);
        if (lv_is_err(v)) return -1;
        const char *kn = e->u.call.kwnames[i];
        if (kn) {
            if (ca_pushkw(L, c, kn, v) < 0) { locate(L, F, e->u.call.kwargs[i]); return -1; }
            continue;
        }
        /* **mapping */
        if (v.type != LV_DICT) {
            lang_raise(L, LANG_E_TYPE, "argument after ** must be a dict, not %s", lv_type_name(v));
            lv_release(v);
            locate(L, F, e->u.call.kwargs[i]);
            return -1;
        }
        if (c->kwstr_hold.type == LV_NONE) {
            c->kwstr_hold = lv_list_new(0);
            if (lv_is_err(c->kwstr_hold)) { c->kwstr_hold = lv_none(); lv_release(v); lang_nomem(L); return -1; }
        }
        size_t it = 0;
        lang_value k, val;
        while (lv_dict_next(v, &it, &k, &val)) {
            if (k.type != LV_STR) {
                lv_release(v);
                lang_raise(L, LANG_E_TYPE, "keywords must be strings");
                locate(L, F, e->u.call.kwargs[i]);
                return -1;
            }
            lv_list_append(c->kwstr_hold, k);
            if (ca_pushkw(L, c, lv_str_cstr(k), lv_retain(val)) < 0) { lv_release(v); locate(L, F, e); return -1; }
        }
        lv_release(v);
    }
    return 0;
}

/* Calls a C function with positional arguments evaluated into a stack
 * array: the common case (a builtin by name, a method), no allocation. */
static lang_value fast_call(lang_state *L, frame *F, node *e, lang_builtin_fn fn, const char *name, lang_value self)
{
    int n = e->u.call.nargs;
    lang_value argv[n > 0 ? n : 1];
    for (int i = 0; i < n; i++) {
        argv[i] = eval(L, F, e->u.call.args[i]);
        if (argv[i].type == LV_ERR) {
            for (int k = 0; k < i; k++) lv_release(argv[k]);
            return argv[i];
        }
    }
    lang_value r;
    if (L->interrupt) r = interrupted(L);
    else {
        lang_args a = { n, argv, 0, NULL, NULL, self, name };
        r = fn(L, &a);
        if (r.type == LV_ERR) {
            if (!L->err_pending) lang_raise(L, LANG_E_VALUE, "%s() failed", name);
        } else if (r.type == LV_MISSING) {
            r = lv_none();
        }
    }
    for (int i = 0; i < n; i++) lv_release(argv[i]);
    return r;
}

/* obj.method(positional args) for an instance: f(obj, args...) with the
 * arguments on the stack. Consumes self; f is borrowed from the class. */
__attribute__((noinline)) static lang_value call_method_fast(lang_state *L, frame *F, node *e, lang_value f, lang_value self)
{
    int n = e->u.call.nargs;
    lang_value argv[n + 1];
    argv[0] = self;
    lang_value fn = lv_retain(f); /* the call may rebind the class attribute */
    for (int i = 0; i < n; i++) {
        argv[i + 1] = eval(L, F, e->u.call.args[i]);
        if (argv[i + 1].type == LV_ERR) {
            for (int k = 0; k <= i; k++) lv_release(argv[k]);
            lv_release(fn);
            return lv_err();
        }
    }
    lang_args a = { n + 1, argv, 0, NULL, NULL, lv_none(), NULL };
    lang_value r = call_value(L, fn, &a);
    for (int i = 0; i <= n; i++) lv_release(argv[i]);
    lv_release(fn);
    return r;
}

/* The general call: keyword arguments, *args and **kwargs, collected into
 * growable buffers (kept out of eval_call so the common path's stack frame
 * stays small). Consumes fn and self. */
__attribute__((noinline)) static lang_value call_general(lang_state *L, frame *F, node *e, lang_value fn,
                                                         lang_value self, const lang_method *m)
{
    callargs c;
    lang_value r;
    if (eval_args(L, F, e, &c) < 0) {
        r = lv_err();
    } else {
        lang_args a = { c.n, c.v, c.nkw, c.kn, c.kw, lv_none(), NULL };
        if (m) {
            if (L->interrupt) r = interrupted(L);
            else {
                a.self = self;
                a.fname = m->name;
                r = m->fn(L, &a);
                if (r.type == LV_ERR && !L->err_pending) lang_raise(L, LANG_E_VALUE, "%s() failed", m->name);
                if (r.type == LV_MISSING) r = lv_none();
            }
        } else {
            r = call_value(L, fn, &a);
        }
    }
    ca_free(&c);
    lv_release(fn);
    lv_release(self);
    return r;
}

static int obj_class_is_module(const lang_class *c)
{
    return c && strcmp(c->name, "module") == 0;
}

__attribute__((noinline)) static lang_value eval_call(lang_state *L, frame *F, node *e)
{
    node *fnode = e->u.call.fn;
    int simple = e->u.call.nkw == 0 && e->op == 0;
    if (simple && fnode->kind == E_NAME && fnode->u.name.scope == NAME_GLOBAL) {
        /* a builtin by name: builtin slots are never rebound while a cell
         * runs, so the function is borrowed */
        gslot *g = &L->g[fnode->u.name.slot];
        if (g->value.type == LV_MISSING && g->builtin.type == LV_BUILTIN) {
            lv_builtinobj *b = LV_OBJ(g->builtin, lv_builtinobj);
            return fast_call(L, F, e, b->fn, b->name, b->self);
        }
    }
    lang_value fn, self = lv_none();
    const lang_method *m = NULL;
    if (fnode->kind == E_ATTR) {
        /* obj.method(...): call the type's method directly, no bound object */
        self = eval(L, F, fnode->u.attr.obj);
        if (lv_is_err(self)) return self;
        if (self.type == LV_INSTANCE && simple) {
            /* obj.method(args): the class's function with obj first, no bound method made */
            lang_value f = instance_method(self, fnode->u.attr.name);
            if (f.type == LV_FUNCTION) return call_method_fast(L, F, e, f, self);
        }
        /* per-site cache: the same call site usually sees the same type */
        if (self.type == LV_OBJECT && fnode->u.attr.cache_tab == (const void *)lv_object_class(self)) {
            /* a module's function seen here before (a module's attributes
             * never change; the module keeps the function alive) */
            lv_builtinobj *b = (lv_builtinobj *)fnode->u.attr.cache_m;
            lv_release(self);
            if (simple) return fast_call(L, F, e, b->fn, b->name, b->self);
            return call_general(L, F, e, lv_retain(lv_from_obj(b)), lv_none(), NULL);
        }
        const lang_method *tab = op_methods_of(L, self);
        if (tab && tab == fnode->u.attr.cache_tab) {
            m = fnode->u.attr.cache_m;
        } else {
            m = op_find_method(L, self, fnode->u.attr.name);
            fnode->u.attr.cache_tab = tab;
            fnode->u.attr.cache_m = m;
        }
        if (m && simple) {
            lang_value r = fast_call(L, F, e, m->fn, m->name, self);
            lv_release(self);
            return r;
        }
        if (m) fn = lv_none();
        else {
            const lang_class *self_class = lv_object_class(self);
            fn = op_getattr(L, self, fnode->u.attr.name);
            lv_release(self);
            self = lv_none();
            if (lv_is_err(fn)) { locate(L, F, fnode); return fn; }
            if (fn.type == LV_BUILTIN && obj_class_is_module(self_class)) {
                fnode->u.attr.cache_tab = self_class;
                fnode->u.attr.cache_m = LV_OBJ(fn, lv_builtinobj);
            }
            if (simple && fn.type == LV_BUILTIN && obj_class_is_module(self_class)) {
                /* a module's builtin function (np.sqrt(x)); a class's
                 * builtin method takes its receiver from the arguments */
                lv_builtinobj *b = LV_OBJ(fn, lv_builtinobj);
                lang_value r = fast_call(L, F, e, b->fn, b->name, b->self);
                lv_release(fn);
                return r;
            }
        }
    } else {
        fn = eval(L, F, fnode);
        if (lv_is_err(fn)) return fn;
        if (simple) {
            /* positional arguments on the stack */
            int n = e->u.call.nargs;
            lang_value argv[n > 0 ? n : 1];
            for (int i = 0; i < n; i++) {
                argv[i] = eval(L, F, e->u.call.args[i]);
                if (argv[i].type == LV_ERR) {
                    for (int k = 0; k < i; k++) lv_release(argv[k]);
                    lv_release(fn);
                    return argv[i];
                }
            }
            lang_args a = { n, argv, 0, NULL, NULL, lv_none(), NULL };
            lang_value r = call_value(L, fn, &a);
            for (int i = 0; i < n; i++) lv_release(argv[i]);
            lv_release(fn);
            return r;
        }
    }
    return call_general(L, F, e, fn, self, m);
}

/* ---- indexing ------------------------------------------------------------------------------ */

#define IDX_MAX 16

/* Evaluates the index expression of a[...] into items (values owned by
 * the caller: release with idx_free). */
static int eval_index(lang_state *L, frame *F, node *ix, index_item *items, int *n, int *tuple_form)
{
    node *one[1] = { ix };
    node **parts = one;
    int np = 1;
    *tuple_form = 0;
    if (ix->kind == E_TUPLE) {
        parts = ix->u.seq.items;
        np = ix->u.seq.n;
        *tuple_form = 1;
        if (np > IDX_MAX) return lang_fail(L, LANG_E_INDEX, "too many indices (%d)", np);
    }
    *n = 0;
    for (int i = 0; i < np; i++) {
        node *p = parts[i];
        index_item *it = &items[(*n)++];
        it->is_slice = p->kind == E_SLICE;
        it->v = it->lo = it->hi = it->step = lv_missing();
        if (!it->is_slice) {
            it->v = eval(L, F, p);
            if (lv_is_err(it->v)) { it->v = lv_missing(); return -1; }
            continue;
        }
        node *b[3] = { p->u.slice.lo, p->u.slice.hi, p->u.slice.step };
        lang_value *d[3] = { &it->lo, &it->hi, &it->step };
        for (int k = 0; k < 3; k++) {
            if (!b[k]) continue;
            *d[k] = eval(L, F, b[k]);
            if (lv_is_err(*d[k])) { *d[k] = lv_missing(); return -1; }
        }
    }
    return 0;
}

static void idx_free(index_item *items, int n)
{
    for (int i = 0; i < n; i++) {
        lv_release(items[i].v);
        lv_release(items[i].lo);
        lv_release(items[i].hi);
        lv_release(items[i].step);
    }
}

__attribute__((noinline)) static lang_value eval_subscript(lang_state *L, frame *F, node *e)
{
    lang_value obj = eval(L, F, e->u.index.obj);
    if (lv_is_err(obj)) return obj;
    index_item items[IDX_MAX];
    int n = 0, tf;
    lang_value r;
    if (eval_index(L, F, e->u.index.index, items, &n, &tf) < 0) r = lv_err();
    else r = op_getitem(L, obj, items, n, tf);
    idx_free(items, n);
    lv_release(obj);
    return r;
}

/* ---- comprehensions ------------------------------------------------------------------------- */

static int comp_level(lang_state *L, frame *F, node *e, int gi, lang_value first_iter, lang_value result)
{
    comp_gen *g = &e->u.comp.gens[gi];
    lang_value src = gi == 0 ? lv_retain(first_iter) : eval(L, F, g->iter);
    if (lv_is_err(src)) return -1;
    lang_value it = iter_new(L, src);
    lv_release(src);
    if (lv_is_err(it)) { locate(L, F, g->iter); return -1; }
    int rc = 0;
    for (;;) {
        if (loop_break(L)) { rc = -1; break; }
        lang_value item;
        int r = iter_next(L, it, &item);
        if (r < 0) { locate(L, F, g->iter); rc = -1; break; }
        if (r == 0) break;
        r = store(L, F, g->target, item);
        lv_release(item);
        if (r < 0) { rc = -1; break; }
        int keep = 1;
        for (int j = 0; j < g->nconds && keep; j++) {
            lang_value c = eval(L, F, g->conds[j]);
            if (lv_is_err(c)) { rc = -1; break; }
            int t = truthy(L, c);
            lv_release(c);
            if (t < 0) { locate(L, F, g->conds[j]); rc = -1; break; }
            keep = t;
        }
        if (rc < 0) break;
        if (!keep) continue;
        if (gi + 1 < e->u.comp.ngens) {
            if (comp_level(L, F, e, gi + 1, first_iter, result) < 0) { rc = -1; break; }
            continue;
        }
        lang_value v = eval(L, F, e->u.comp.elt);
        if (lv_is_err(v)) { rc = -1; break; }
        if (e->kind == E_LISTCOMP) {
            if (lv_list_append_take(result, v) < 0) { lang_nomem(L); rc = -1; break; }
        } else {
            lang_value val = eval(L, F, e->u.comp.val);
            if (lv_is_err(val)) { lv_release(v); rc = -1; break; }
            int sr = lv_dict_set(result, v, val);
            if (sr == -2) {
                lang_raise(L, LANG_E_TYPE, "unhashable type: '%s'", lv_type_name(v));
                locate(L, F, e->u.comp.elt);
            } else if (sr < 0) lang_nomem(L);
            lv_release(v);
            lv_release(val);
            if (sr < 0) { rc = -1; break; }
        }
    }
    lv_release(it);
    return rc;
}

__attribute__((noinline)) static lang_value eval_comp(lang_state *L, frame *F, node *e)
{
    lang_value first = eval(L, F, e->u.comp.gens[0].iter);
    if (lv_is_err(first)) return first;
    lang_value result = e->kind == E_LISTCOMP ? lv_list_new(0) : lv_dict_new();
    if (lv_is_err(result)) { lv_release(first); return lang_nomem(L); }
    int rc = comp_level(L, F, e, 0, first, result);
    lv_release(first);
    if (rc < 0) { lv_release(result); return lv_err(); }
    return result;
}

/* ---- f-strings ------------------------------------------------------------------------------- */

__attribute__((noinline)) static lang_value eval_fstring(lang_state *L, frame *F, node *e)
{
    fmtbuf b;
    fmtbuf_init(&b);
    for (int i = 0; i < e->u.fstr.n; i++) {
        fpart *p = &e->u.fstr.parts[i];
        if (!p->expr) { fmtbuf_putn(&b, p->lit, p->litlen); continue; }
        lang_value v = eval(L, F, p->expr);
        if (lv_is_err(v)) { fmtbuf_free(&b); return v; }
        if (p->conv == 'r' || p->conv == 'a' || p->conv == 's') {
            fmtbuf t;
            fmtbuf_init(&t);
            int rc = p->conv == 's' ? str_to(L, &t, v) : repr_to(L, &t, v, 0);
            lv_release(v);
            if (rc < 0) { fmtbuf_free(&t); fmtbuf_free(&b); return lv_err(); }
            char *s = fmtbuf_take(&t);
            if (!s) { fmtbuf_free(&b); return lang_nomem(L); }
            v = lv_str_take(s);
            if (lv_is_err(v)) { fmtbuf_free(&b); return lang_nomem(L); }
        }
        if (p->spec) {
            lang_value spec = eval_fstring(L, F, p->spec);
            if (lv_is_err(spec)) { lv_release(v); fmtbuf_free(&b); return spec; }
            lang_value s = format_value(L, v, lv_str_cstr(spec));
            lv_release(spec);
            lv_release(v);
            if (lv_is_err(s)) { fmtbuf_free(&b); locate(L, F, p->expr); return s; }
            fmtbuf_putn(&b, lv_str_cstr(s), lv_str_len(s));
            lv_release(s);
        } else {
            int rc = v.type == LV_STR ? (fmtbuf_putn(&b, lv_str_cstr(v), lv_str_len(v)), 0) : str_to(L, &b, v);
            lv_release(v);
            if (rc < 0) { fmtbuf_free(&b); return lv_err(); }
        }
    }
    char *s = fmtbuf_take(&b);
    if (!s) return lang_nomem(L);
    lang_value r = lv_str_take(s);
    return lv_is_err(r) ? lang_nomem(L) : r;
}

/* ---- expressions ---------------------------------------------------------------------------- */

__attribute__((noinline)) static lang_value eval_seq(lang_state *L, frame *F, node *e)
{
    int n = e->u.seq.n;
    if (e->kind == E_DICT) {
        lang_value d = lv_dict_new();
        if (lv_is_err(d)) return lang_nomem(L);
        for (int i = 0; i < n; i++) {
            lang_value k = eval(L, F, e->u.seq.items[i]);
            if (lv_is_err(k)) { lv_release(d); return k; }
            lang_value v = eval(L, F, e->u.seq.values[i]);
            if (lv_is_err(v)) { lv_release(k); lv_release(d); return v; }
            int r = lv_dict_set(d, k, v);
            if (r == -2) lang_raise(L, LANG_E_TYPE, "unhashable type: '%s'", lv_type_name(k));
            else if (r < 0) lang_nomem(L);
            lv_release(k);
            lv_release(v);
            if (r < 0) { lv_release(d); locate(L, F, e->u.seq.items[i]); return lv_err(); }
        }
        return d;
    }
    lang_value s = e->kind == E_LIST ? lv_list_new((size_t)n) : lv_tuple_new((size_t)n);
    if (lv_is_err(s)) return lang_nomem(L);
    for (int i = 0; i < n; i++) {
        node *it = e->u.seq.items[i];
        if (it->kind == E_STARRED) {
            lv_release(s);
            return lang_raise(L, LANG_E_SYNTAX, "starred expressions are only supported in calls (f(*args))");
        }
        lang_value v = eval(L, F, it);
        if (lv_is_err(v)) { lv_release(s); return v; }
        if (e->kind == E_LIST) lv_list_append_take(s, v); /* capacity reserved: can't fail */
        else lv_tuple_set_take(s, (size_t)i, v);
    }
    return s;
}

__attribute__((noinline)) static lang_value eval_compare(lang_state *L, frame *F, node *e)
{
    lang_value left = eval(L, F, e->u.cmp.operands[0]);
    if (lv_is_err(left)) return left;
    int n = e->u.cmp.n;
    if (n == 2 && left.type == LV_INT) {
        /* fast path: int compared with int */
        lang_value right = eval(L, F, e->u.cmp.operands[1]);
        if (lv_is_err(right)) return right;
        if (right.type == LV_INT) {
            int64_t x = left.u.i, y = right.u.i;
            switch (e->u.cmp.ops[0]) {
            case CMP_EQ: return lv_bool(x == y);
            case CMP_NE: return lv_bool(x != y);
            case CMP_LT: return lv_bool(x < y);
            case CMP_LE: return lv_bool(x <= y);
            case CMP_GT: return lv_bool(x > y);
            case CMP_GE: return lv_bool(x >= y);
            default: break;
            }
        }
        lang_value r = op_compare(L, (cmpop)e->u.cmp.ops[0], left, right);
        lv_release(right);
        return r;
    }
    for (int i = 1; i < n; i++) {
        lang_value right = eval(L, F, e->u.cmp.operands[i]);
        if (lv_is_err(right)) { lv_release(left); return right; }
        lang_value r = op_compare(L, (cmpop)e->u.cmp.ops[i - 1], left, right);
        lv_release(left);
        if (lv_is_err(r) || i == n - 1) { lv_release(right); return r; }
        int t = truthy(L, r);
        if (t <= 0) { lv_release(right); if (t < 0) { lv_release(r); return lv_err(); } return r; }
        lv_release(r);
        left = right;
    }
    return left; /* not reached: n >= 2 */
}

__attribute__((noinline)) static lang_value eval_binary(lang_state *L, frame *F, node *e)
{
    lang_value a = eval(L, F, e->u.bin.a);
    if (lv_is_err(a)) return a;
    lang_value b = eval(L, F, e->u.bin.b);
    if (lv_is_err(b)) { lv_release(a); return b; }
    /* fast paths: int and float arithmetic */
    if (a.type == LV_INT && b.type == LV_INT) {
        int64_t r;
        switch (e->op) {
        case OP_ADD: if (!__builtin_add_overflow(a.u.i, b.u.i, &r)) return lv_int(r); break;
        case OP_SUB: if (!__builtin_sub_overflow(a.u.i, b.u.i, &r)) return lv_int(r); break;
        case OP_MUL: if (!__builtin_mul_overflow(a.u.i, b.u.i, &r)) return lv_int(r); break;
        default: break;
        }
    } else if (a.type == LV_FLOAT && b.type == LV_FLOAT) {
        switch (e->op) {
        case OP_ADD: return lv_float(a.u.f + b.u.f);
        case OP_SUB: return lv_float(a.u.f - b.u.f);
        case OP_MUL: return lv_float(a.u.f * b.u.f);
        default: break;
        }
    }
    lang_value r = op_binary(L, (binop)e->op, a, b);
    lv_release(a);
    lv_release(b);
    return r;
}

__attribute__((noinline)) static lang_value eval_other(lang_state *L, frame *F, node *e);

static lang_value eval_inner(lang_state *L, frame *F, node *e)
{
    switch ((node_kind)e->kind) {
    case E_CONST: return lv_retain(e->u.k);
    case E_NAME: return load_name(L, F, e);
    case E_BINARY: return eval_binary(L, F, e);
    case E_CALL: return eval_call(L, F, e);
    case E_INDEX: return eval_subscript(L, F, e);
    case E_COMPARE: return eval_compare(L, F, e);
    default: return eval_other(L, F, e);
    }
}

static lang_value eval_other(lang_state *L, frame *F, node *e)
{
    switch ((node_kind)e->kind) {
    case E_CONST: return lv_retain(e->u.k);
    case E_NAME: return load_name(L, F, e);
    case E_BINARY: return eval_binary(L, F, e);
    case E_CALL: return eval_call(L, F, e);
    case E_ATTR: {
        lang_value o = eval(L, F, e->u.attr.obj);
        if (lv_is_err(o)) return o;
        lang_value r = op_getattr(L, o, e->u.attr.name);
        lv_release(o);
        return r;
    }
    case E_INDEX: return eval_subscript(L, F, e);
    case E_COMPARE: return eval_compare(L, F, e);
    case E_UNARY: {
        lang_value a = eval(L, F, e->u.bin.a);
        if (lv_is_err(a)) return a;
        lang_value r = op_unary(L, (unop)e->op, a);
        lv_release(a);
        return r;
    }
    case E_NOT: {
        lang_value a = eval(L, F, e->u.bin.a);
        if (lv_is_err(a)) return a;
        int t = truthy(L, a);
        lv_release(a);
        return t < 0 ? lv_err() : lv_bool(!t);
    }
    case E_AND: case E_OR: {
        lang_value a = eval(L, F, e->u.bin.a);
        if (lv_is_err(a)) return a;
        int t = truthy(L, a);
        if (t < 0) { lv_release(a); return lv_err(); }
        if ((e->kind == E_AND) ? !t : t) return a;
        lv_release(a);
        return eval(L, F, e->u.bin.b);
    }
    case E_IFEXP: {
        lang_value c = eval(L, F, e->u.ifexp.cond);
        if (lv_is_err(c)) return c;
        int t = truthy(L, c);
        lv_release(c);
        if (t < 0) return lv_err();
        return eval(L, F, t ? e->u.ifexp.a : e->u.ifexp.b);
    }
    case E_LIST: case E_TUPLE: case E_DICT: return eval_seq(L, F, e);
    case E_FSTRING: return eval_fstring(L, F, e);
    case E_LAMBDA: return make_function(L, F, e->u.func);
    case E_LISTCOMP: case E_DICTCOMP: return eval_comp(L, F, e);
    case E_SLICE: return lang_raise(L, LANG_E_SYNTAX, "a slice (a:b) is only allowed inside [ ]");
    case E_STARRED: return lang_raise(L, LANG_E_SYNTAX, "starred expressions are only supported in calls (f(*args))");
    default: return lang_raise(L, LANG_E_SYNTAX, "not an expression");
    }
}

__attribute__((noinline)) static lang_value eval_node(lang_state *L, frame *F, node *e)
{
    lang_value v = eval_inner(L, F, e);
    if (v.type == LV_ERR) locate(L, F, e);
    return v;
}

/* ---- assignment ----------------------------------------------------------------------------- */

static int unpack(lang_state *L, frame *F, node *t, lang_value v)
{
    int nt = t->u.seq.n;
    lang_value lst;
    int64_t n;
    lang_value *items = lv_seq_items(v, &n);
    if (items) lst = lv_retain(v);
    else {
        if (!(v.type == LV_STR || v.type == LV_DICT || v.type == LV_RANGE || v.type == LV_ARRAY || v.type == LV_ITER ||
              v.type == LV_INSTANCE ||
              (v.type == LV_OBJECT && (lv_object_class(v)->next || (lv_object_class(v)->getitem && lv_object_class(v)->len)))))
            return lang_fail(L, LANG_E_TYPE, "cannot unpack non-iterable %s object", lv_type_name(v));
        lst = iter_to_list(L, v);
        if (lv_is_err(lst)) return -1;
        items = lv_seq_items(lst, &n);
    }
    int rc = 0;
    if (n != nt) {
        if (n > nt) rc = lang_fail(L, LANG_E_VALUE, "too many values to unpack (expected %d, got %lld)", nt, (long long)n);
        else rc = lang_fail(L, LANG_E_VALUE, "not enough values to unpack (expected %d, got %lld)", nt, (long long)n);
    } else {
        for (int i = 0; i < nt && rc == 0; i++) rc = store(L, F, t->u.seq.items[i], items[i]);
    }
    lv_release(lst);
    return rc;
}

/* Assigns v (borrowed) to target t. 0 or -1. */
static int store(lang_state *L, frame *F, node *t, lang_value v)
{
    switch (t->kind) {
    case E_NAME: store_name(L, F, t, v); return 0;
    case E_TUPLE: case E_LIST:
        if (unpack(L, F, t, v) < 0) { locate(L, F, t); return -1; }
        return 0;
    case E_ATTR: {
        lang_value o = eval(L, F, t->u.attr.obj);
        if (lv_is_err(o)) return -1;
        int r = op_setattr(L, o, t->u.attr.name, v);
        lv_release(o);
        if (r < 0) locate(L, F, t);
        return r;
    }
    case E_INDEX: {
        lang_value o = eval(L, F, t->u.index.obj);
        if (lv_is_err(o)) return -1;
        index_item items[IDX_MAX];
        int n = 0, tf, r;
        if (eval_index(L, F, t->u.index.index, items, &n, &tf) < 0) r = -1;
        else {
            r = op_setitem(L, o, items, n, tf, v);
            if (r < 0) locate(L, F, t);
        }
        idx_free(items, n);
        lv_release(o);
        return r;
    }
    default:
        lang_raise(L, LANG_E_SYNTAX, "cannot assign to this expression");
        locate(L, F, t);
        return -1;
    }
}

/* In-place update of an array bound to a name (numpy's a += b keeps the
 * array object, so views and other names see the change). */
static int try_inplace_array(lang_state *L, lang_value cur, lang_value nv)
{
    if (cur.type != LV_ARRAY || nv.type != LV_ARRAY) return 0;
    rt_array *a = cur.u.a, *b = nv.u.a;
    if (a->dtype != b->dtype || a->ndim != b->ndim || a->device != b->device) return 0;
    for (int i = 0; i < a->ndim; i++) if (a->shape[i] != b->shape[i]) return 0;
    if (rt_assign(a, b) != RT_OK) { lang_raise_rt(L); return -1; }
    return 1;
}

static int exec_augassign(lang_state *L, frame *F, node *s)
{
    node *t = s->u.aug.target;
    if (t->kind == E_NAME) {
        lang_value cur = load_name(L, F, t);
        if (lv_is_err(cur)) { locate(L, F, t); return -1; }
        lang_value rhs = eval(L, F, s->u.aug.value);
        if (lv_is_err(rhs)) { lv_release(cur); return -1; }
        lang_value r;
        if (cur.type == LV_INT && rhs.type == LV_INT && s->op == OP_ADD &&
            !__builtin_add_overflow(cur.u.i, rhs.u.i, &r.u.i)) {
            r.type = LV_INT;
        } else if (cur.type == LV_LIST && s->op == OP_ADD) {
            /* list += iterable extends in place */
            lang_value items = iter_to_list(L, rhs);
            if (lv_is_err(items)) { lv_release(cur); lv_release(rhs); locate(L, F, s); return -1; }
            size_t n = lv_list_len(items);
            for (size_t i = 0; i < n; i++) lv_list_append(cur, lv_list_items(items)[i]);
            lv_release(items);
            r = lv_retain(cur);
        } else {
            r = op_binary(L, (binop)s->op, cur, rhs);
            if (!lv_is_err(r)) {
                int ip = try_inplace_array(L, cur, r);
                if (ip < 0) { lv_release(r); r = lv_err(); }
                else if (ip) { lv_release(r); r = lv_retain(cur); }
            }
        }
        lv_release(cur);
        lv_release(rhs);
        if (lv_is_err(r)) { locate(L, F, s); return -1; }
        store_name(L, F, t, r);
        lv_release(r);
        return 0;
    }
    if (t->kind == E_ATTR) {
        lang_value o = eval(L, F, t->u.attr.obj);
        if (lv_is_err(o)) return -1;
        lang_value cur = op_getattr(L, o, t->u.attr.name);
        if (lv_is_err(cur)) { lv_release(o); locate(L, F, t); return -1; }
        lang_value rhs = eval(L, F, s->u.aug.value);
        if (lv_is_err(rhs)) { lv_release(o); lv_release(cur); return -1; }
        lang_value r = op_binary(L, (binop)s->op, cur, rhs);
        int rc = lv_is_err(r) ? -1 : op_setattr(L, o, t->u.attr.name, r);
        lv_release(r);
        lv_release(rhs);
        lv_release(cur);
        lv_release(o);
        if (rc < 0) locate(L, F, s);
        return rc;
    }
    /* a[i] op= v */
    lang_value o = eval(L, F, t->u.index.obj);
    if (lv_is_err(o)) return -1;
    index_item items[IDX_MAX];
    int n = 0, tf, rc = -1;
    if (eval_index(L, F, t->u.index.index, items, &n, &tf) == 0) {
        lang_value cur = op_getitem(L, o, items, n, tf);
        if (!lv_is_err(cur)) {
            lang_value rhs = eval(L, F, s->u.aug.value);
            if (!lv_is_err(rhs)) {
                lang_value r = op_binary(L, (binop)s->op, cur, rhs);
                if (!lv_is_err(r)) rc = op_setitem(L, o, items, n, tf, r);
                lv_release(r);
                lv_release(rhs);
            }
            lv_release(cur);
        }
    }
    idx_free(items, n);
    lv_release(o);
    if (rc < 0) locate(L, F, s);
    return rc;
}

/* ---- statements ---------------------------------------------------------------------------- */

static int exec_for(lang_state *L, frame *F, node *s)
{
    lang_value src = eval(L, F, s->u.loop.iter);
    if (lv_is_err(src)) return XC_ERR;
    int x = XC_OK, broke = 0;
    if (src.type == LV_RANGE && s->u.loop.target->kind == E_NAME) {
        /* fast path: for NAME in range(...) */
        lv_rangeobj *r = LV_OBJ(src, lv_rangeobj);
        int64_t i = r->start, stop = r->stop, step = r->step;
        node *t = s->u.loop.target;
        for (; step > 0 ? i < stop : i > stop; i += step) {
            if (loop_break(L)) { locate(L, F, s); x = XC_ERR; break; }
            store_name(L, F, t, lv_int(i));
            x = exec_block(L, F, &s->u.loop.body);
            if (x == XC_CONTINUE) { x = XC_OK; continue; }
            if (x == XC_BREAK) { x = XC_OK; broke = 1; break; }
            if (x != XC_OK) break;
        }
        lv_release(src);
    } else {
        lang_value it = iter_new(L, src);
        lv_release(src);
        if (lv_is_err(it)) { locate(L, F, s->u.loop.iter); return XC_ERR; }
        for (;;) {
            if (loop_break(L)) { locate(L, F, s); x = XC_ERR; break; }
            lang_value item;
            int r = iter_next(L, it, &item);
            if (r < 0) { locate(L, F, s->u.loop.iter); x = XC_ERR; break; }
            if (r == 0) break;
            r = store(L, F, s->u.loop.target, item);
            lv_release(item);
            if (r < 0) { x = XC_ERR; break; }
            x = exec_block(L, F, &s->u.loop.body);
            if (x == XC_CONTINUE) { x = XC_OK; continue; }
            if (x == XC_BREAK) { x = XC_OK; broke = 1; break; }
            if (x != XC_OK) break;
        }
        lv_release(it);
    }
    if (x == XC_OK && !broke && s->u.loop.orelse.n) x = exec_block(L, F, &s->u.loop.orelse);
    return x;
}

static int exec_with(lang_state *L, frame *F, node *s, int i);

/* with obj [as x] for an instance of a class with __enter__ and __exit__:
 * __exit__(type, value, None) gets the error of the block, and a true
 * result from it swallows that error. Consumes ctx. */
__attribute__((noinline)) static int exec_with_instance(lang_state *L, frame *F, node *s, int i, lang_value ctx)
{
    lang_value v = lang_call_method(L, ctx, "__enter__", 0, NULL, 0, NULL, NULL);
    if (lv_is_missing(v)) lang_raise(L, LANG_E_TYPE, "'%s' object does not support the context manager protocol (no __enter__)", lv_type_name(ctx));
    if (lv_is_err(v) || lv_is_missing(v)) { lv_release(ctx); locate(L, F, s->u.with.items[i]); return XC_ERR; }
    int x = XC_OK;
    if (s->u.with.targets[i] && store(L, F, s->u.with.targets[i], v) < 0) x = XC_ERR;
    lv_release(v);
    if (x == XC_OK) x = exec_with(L, F, s, i + 1);
    exc_saved pending = { 0 };
    lang_value args[3] = { lv_none(), lv_none(), lv_none() };
    if (x == XC_ERR) {
        errors_save(L, &pending);
        args[1] = exc_instance(L, &pending);
        if (lv_is_err(args[1])) args[1] = lv_none();
        else args[0] = lv_from_obj(LV_OBJ(args[1], lv_instanceobj)->cls);
        if (L->err_pending) lang_error_clear(L);
    }
    lang_value r = lang_call_method(L, ctx, "__exit__", 3, args, 0, NULL, NULL);
    lv_release(args[1]);
    if (lv_is_missing(r)) r = lang_raise(L, LANG_E_TYPE, "'%s' object does not support the context manager protocol (no __exit__)", lv_type_name(ctx));
    lv_release(ctx);
    if (lv_is_err(r)) {
        /* an error in __exit__ replaces the block's */
        errors_saved_free(&pending);
        if (x == XC_RETURN) { lv_release(F->retval); F->retval = lv_none(); }
        locate(L, F, s);
        return XC_ERR;
    }
    int swallow = x == XC_ERR ? op_truthy(L, r) : 0;
    lv_release(r);
    if (x == XC_ERR) {
        if (swallow > 0) { errors_saved_free(&pending); return XC_OK; }
        if (swallow == 0) errors_restore(L, &pending);
        errors_saved_free(&pending);
    }
    return x;
}

static int exec_with(lang_state *L, frame *F, node *s, int i)
{
    if (i == s->u.with.n) return exec_block(L, F, &s->u.with.body);
    lang_value ctx = eval(L, F, s->u.with.items[i]);
    if (lv_is_err(ctx)) return XC_ERR;
    if (ctx.type == LV_INSTANCE) return exec_with_instance(L, F, s, i, ctx);
    const lang_class *cls = lv_object_class(ctx);
    if (!cls || !cls->enter) {
        lang_raise(L, LANG_E_TYPE, "'%s' object does not support the context manager protocol (with)", lv_type_name(ctx));
        lv_release(ctx);
        locate(L, F, s->u.with.items[i]);
        return XC_ERR;
    }
    lang_value v = cls->enter(L, ctx);
    if (lv_is_err(v)) {
        if (!L->err_pending) lang_raise(L, LANG_E_VALUE, "entering %s failed", cls->name);
        lv_release(ctx);
        locate(L, F, s->u.with.items[i]);
        return XC_ERR;
    }
    int x = XC_OK;
    if (s->u.with.targets[i]) {
        if (v.type == LV_MISSING) v = lv_none();
        if (store(L, F, s->u.with.targets[i], v) < 0) x = XC_ERR;
    }
    lv_release(v);
    if (x == XC_OK) x = exec_with(L, F, s, i + 1);
    if (cls->exit) {
        int failing = x == XC_ERR;
        if (cls->exit(L, ctx, failing) < 0) {
            if (!L->err_pending) lang_raise(L, LANG_E_VALUE, "leaving %s failed", cls->name);
            if (!failing) locate(L, F, s);
            if (x == XC_RETURN) { lv_release(F->retval); F->retval = lv_none(); }
            x = XC_ERR;
        }
    }
    lv_release(ctx);
    return x;
}

static void format_seconds(double t, char *buf, size_t cap)
{
    /* IPython's _format_time: 3 significant digits in s, ms, µs or ns */
    if (t >= 60) {
        int m = (int)(t / 60);
        snprintf(buf, cap, "%dmin %.0fs", m, t - 60.0 * m);
        return;
    }
    static const char *const units[] = { "s", "ms", "\xc2\xb5s", "ns" };
    static const double scale[] = { 1, 1e3, 1e6, 1e9 };
    int order = 3;
    if (t > 0) {
        int fl = (int)floor(log10(t));
        order = -(int)floor(fl / 3.0);   /* Python: -(floor(log10(t)) // 3) */
        if (order > 3) order = 3;
        if (order < 0) order = 0;
    }
    snprintf(buf, cap, "%.3g %s", t * scale[order], units[order]);
}

static int exec_time(lang_state *L, frame *F, node *s, lang_value *last)
{
    struct timespec t0, t1;
    (void)rt_take_gpu_seconds();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int x;
    block *b = &s->u.time.body;
    if (last && b->n > 0 && b->s[b->n - 1]->kind == S_EXPR) {
        block head = { b->s, b->n - 1 };
        x = exec_block(L, F, &head);
        if (x == XC_OK) {
            lang_value v = eval(L, F, b->s[b->n - 1]->u.expr);
            if (lv_is_err(v)) x = XC_ERR;
            else *last = v;
        }
    } else {
        x = exec_block(L, F, b);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double gpu = rt_take_gpu_seconds();
    if (x == XC_OK || x == XC_RETURN) {
        char w[64];
        format_seconds((double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9, w, sizeof w);
        if (gpu > 0) {
            char g[64];
            format_seconds(gpu, g, sizeof g);
            lang_printf(L, "Wall time: %s (GPU time: %s)\n", w, g);
        } else {
            lang_printf(L, "Wall time: %s\n", w);
        }
    }
    return x;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int exec_magic(lang_state *L, node *s)
{
    if (s->op == MAGIC_WHO) {
        const char **names = malloc(((size_t)L->ng + 1) * sizeof *names);
        if (!names) { lang_nomem(L); return XC_ERR; }
        int n = 0;
        for (int i = 0; i < L->ng; i++) if (L->g[i].value.type != LV_MISSING) names[n++] = L->g[i].name;
        if (!n) lang_printf(L, "Interactive namespace is empty.\n");
        else {
            qsort(names, (size_t)n, sizeof *names, cmp_names);
            fmtbuf b;
            fmtbuf_init(&b);
            for (int i = 0; i < n; i++) { fmtbuf_puts(&b, names[i]); fmtbuf_putc(&b, '\t'); }
            fmtbuf_putc(&b, '\n');
            char *t = fmtbuf_take(&b);
            if (t) { lang_write(L, "stdout", t, strlen(t)); free(t); }
        }
        free(names);
        return XC_OK;
    }
    const char *arg = s->u.magic.arg ? s->u.magic.arg : "";
    if (s->op == MAGIC_MATPLOTLIB) {
        /* figures are always shown inline at the end of the cell */
        static const char *const inline_like[] = { "", "inline", "notebook", "widget", "ipympl", "nbagg", NULL };
        size_t n = strcspn(arg, " \t");
        for (int i = 0; inline_like[i]; i++)
            if (strlen(inline_like[i]) == n && strncmp(arg, inline_like[i], n) == 0) return XC_OK;
        char *msg = lang_strdupf("C-GPU draws figures inline: %%matplotlib %.*s is treated as %%matplotlib inline\n", (int)n, arg);
        if (msg) { lang_write(L, "stderr", msg, strlen(msg)); free(msg); }
        return XC_OK;
    }
    /* %reset [-f] */
    if (strstr(arg, "-f") == NULL) {
        char *answer = NULL;
        int rc = L->out && L->out->input
                     ? L->out->input(L->out->ctx, "Once deleted, variables cannot be recovered. Proceed (y/[n])? ", 0, &answer)
                     : -1;
        if (rc < 0) {
            free(answer);
            lang_raise(L, LANG_E_VALUE, "%%reset asks for confirmation and this frontend cannot answer; use %%reset -f");
            return XC_ERR;
        }
        int yes = answer && (answer[0] == 'y' || answer[0] == 'Y');
        free(answer);
        if (!yes) { lang_printf(L, "Nothing done.\n"); return XC_OK; }
    }
    for (int i = 0; i < L->ng; i++) {
        lang_value old = L->g[i].value;
        L->g[i].value = lv_missing();
        lv_release(old);
    }
    return XC_OK;
}

/* import statements call the builtin __import__ (as Python does), which the
 * modules library provides: __import__(name, globals, locals, fromlist,
 * level) returns the top module, or the named module when fromlist is given
 * (and checks that its names exist). */
__attribute__((noinline)) static int exec_import(lang_state *L, frame *F, node *s)
{
    int slot = lang_global_find(L, "__import__");
    lang_value imp = slot >= 0 ? L->g[slot].builtin : lv_missing();
    for (int i = 0; i < s->u.import.n; i++) {
        const char *mod = s->u.import.modules[i], *name = s->u.import.names[i];
        if (lv_is_missing(imp)) {
            lang_raise(L, LANG_E_IMPORT, "No module named '%s'", mod);
            locate(L, F, s);
            return XC_ERR;
        }
        lang_value args[4] = { lv_str(mod), lv_none(), lv_none(), lv_none() };
        if (name && *name) {
            lang_value nm = lv_str(name);
            args[3] = lv_tuple_of(1, &nm);
            lv_release(nm);
        }
        lang_value v = lang_call(L, imp, 4, args, 0, NULL, NULL);
        lv_release(args[0]);
        lv_release(args[3]);
        /* 'from m import x': m.x; 'import a.b as c': the top module's .b */
        for (const char *p = name && !*name ? strchr(mod, '.') : NULL; p && !lv_is_err(v); p = strchr(p + 1, '.')) {
            size_t len = strcspn(p + 1, ".");
            char part[128];
            snprintf(part, sizeof part, "%.*s", (int)len, p + 1);
            lang_value sub = op_getattr(L, v, part);
            lv_release(v);
            v = sub;
        }
        if (name && *name && !lv_is_err(v)) {
            lang_value x = op_getattr(L, v, name);
            lv_release(v);
            v = x;
        }
        if (lv_is_err(v)) { locate(L, F, s); return XC_ERR; }
        int rc = store(L, F, s->u.import.targets[i], v);
        lv_release(v);
        if (rc < 0) return XC_ERR;
    }
    return XC_OK;
}

/* del NAME, del a[i] (kept out of exec_stmt: its index buffer would
 * enlarge every statement's stack frame, and recursion depth with it) */
__attribute__((noinline)) static int exec_assert(lang_state *L, frame *F, node *s)
{
    lang_value c = eval(L, F, s->u.assert_.cond);
    if (lv_is_err(c)) return XC_ERR;
    int t = truthy(L, c);
    lv_release(c);
    if (t < 0) { locate(L, F, s); return XC_ERR; }
    if (t) return XC_OK;
    if (!s->u.assert_.msg) { lang_raise(L, LANG_E_ASSERTION, "%s", ""); locate(L, F, s); return XC_ERR; }
    lang_value m = eval(L, F, s->u.assert_.msg);
    if (lv_is_err(m)) return XC_ERR;
    fmtbuf b;
    fmtbuf_init(&b);
    int rc = str_to(L, &b, m);
    lv_release(m);
    char *txt = fmtbuf_take(&b);
    if (rc == 0) lang_raise(L, LANG_E_ASSERTION, "%s", txt ? txt : "");
    free(txt);
    locate(L, F, s);
    return XC_ERR;
}

__attribute__((noinline)) static int exec_del(lang_state *L, frame *F, node *s)
{
    for (int i = 0; i < s->u.del.n; i++) {
        node *t = s->u.del.targets[i];
        int r;
        if (t->kind == E_NAME) r = delete_name(L, F, t);
        else if (t->kind == E_INDEX) {
            lang_value o = eval(L, F, t->u.index.obj);
            if (lv_is_err(o)) return XC_ERR;
            index_item items[IDX_MAX];
            int n = 0, tf;
            r = eval_index(L, F, t->u.index.index, items, &n, &tf);
            if (r == 0) r = op_delitem(L, o, items, n, tf);
            idx_free(items, n);
            lv_release(o);
        } else {
            r = lang_fail(L, LANG_E_TYPE, "cannot delete this expression");
        }
        if (r < 0) { locate(L, F, t); return XC_ERR; }
    }
    return XC_OK;
}

/* ---- classes and exceptions ----------------------------------------------------------------- */

/* Applies the decorators of def (innermost first) to v (taken). */
static lang_value decorate(lang_state *L, frame *F, ast_func *def, lang_value v)
{
    for (int i = def->ndecorators - 1; i >= 0; i--) {
        lang_value d = eval(L, F, def->decorators[i]);
        if (lv_is_err(d)) { lv_release(v); return d; }
        lang_value r = lang_call(L, d, 1, &v, 0, NULL, NULL);
        lv_release(d);
        lv_release(v);
        if (lv_is_err(r)) return r;
        v = r;
    }
    return v;
}

/* Runs a class body (a function without parameters) and returns its local
 * names as a dict: the class's attributes. */
static lang_value run_class_body(lang_state *L, frame *F, ast_func *body)
{
    lang_value fv = make_function(L, F, body);
    if (lv_is_err(fv)) return fv;
    lv_funcobj *fo = LV_OBJ(fv, lv_funcobj);
    if (check_stack(L) < 0) { lv_release(fv); return lv_err(); }
    int nl = body->nlocals;
    lang_value slotbuf[nl > 0 ? nl : 1];
    for (int i = 0; i < nl; i++) slotbuf[i] = lv_missing();
    lang_value dict = lv_dict_new();
    int ok = !lv_is_err(dict);
    if (!ok) lang_nomem(L);
    for (int i = 0; ok && i < nl; i++) {
        if (!body->is_cell[i]) continue;
        lv_cellobj *c = new_cell(lv_missing());
        if (!c) { lang_nomem(L); ok = 0; break; }
        slotbuf[i] = lv_from_obj(c);
    }
    if (ok) {
        frame fr = { L->top_frame, body, fo->arena, slotbuf, fo->free, lv_none(), NULL };
        L->top_frame = &fr;
        int x = exec_block(L, &fr, &body->body);
        L->top_frame = fr.parent;
        lv_release(fr.retval);
        if (x == XC_ERR) { ok = 0; L->err_located = 0; }
        else if (x != XC_OK) { lang_raise(L, LANG_E_SYNTAX, "'return', 'break' or 'continue' outside a function or loop in a class body"); ok = 0; }
    }
    if (ok && body->doc && lv_dict_set_str(dict, "__doc__", lv_none()) == 0) {
        lang_value d = lv_str(body->doc);
        if (!lv_is_err(d)) { lv_dict_set_str(dict, "__doc__", d); lv_release(d); }
    }
    for (int i = 0; ok && i < nl; i++) {
        lang_value v = body->is_cell[i] ? LV_OBJ(slotbuf[i], lv_cellobj)->v : slotbuf[i];
        if (v.type == LV_MISSING) continue;
        if (lv_dict_set_str(dict, body->localnames[i], v) < 0) { lang_nomem(L); ok = 0; }
    }
    for (int i = 0; i < nl; i++) lv_release(slotbuf[i]);
    lv_release(fv);
    if (!ok) { lv_release(dict); return lv_err(); }
    return dict;
}

__attribute__((noinline)) static int exec_class(lang_state *L, frame *F, node *s)
{
    ast_func *body = s->u.cls.body;
    lang_value base = lv_none();
    if (s->u.cls.base) {
        base = eval(L, F, s->u.cls.base);
        if (lv_is_err(base)) return XC_ERR;
        if (base.type != LV_CLASS) {
            lang_raise(L, LANG_E_TYPE, "a class can derive from a class, not from %s%s", lv_type_name(base),
                       base.type == LV_BUILTIN || base.type == LV_OBJECT ? " (this builtin cannot be subclassed)" : "");
            lv_release(base);
            locate(L, F, s->u.cls.base);
            return XC_ERR;
        }
    }
    lang_value dict = run_class_body(L, F, body);
    if (lv_is_err(dict)) { lv_release(base); locate(L, F, s); return XC_ERR; }
    lang_value cls = class_new(L, body->name, base.type == LV_CLASS ? LV_OBJ(base, lv_classobj) : NULL, dict);
    lv_release(base);
    if (!lv_is_err(cls)) {
        /* the methods know their class (super()), also those wrapped by
         * staticmethod, classmethod and property */
        size_t it = 0;
        lang_value k, v;
        while (lv_dict_next(dict, &it, &k, &v)) {
            static const char *const wrapped[] = { "__func__", "fget", "fset" };
            lang_value fns[3] = { v, lv_none(), lv_none() };
            if (v.type == LV_INSTANCE)
                for (int i = 0; i < 3; i++) fns[i] = lv_dict_get_str(LV_OBJ(v, lv_instanceobj)->dict, wrapped[i]);
            for (int i = 0; i < 3; i++) {
                if (fns[i].type != LV_FUNCTION || LV_OBJ(fns[i], lv_funcobj)->owner) continue;
                LV_OBJ(cls, lv_classobj)->h.refcount++;
                LV_OBJ(fns[i], lv_funcobj)->owner = LV_OBJ(cls, lv_classobj);
            }
        }
    }
    lv_release(dict);
    if (!lv_is_err(cls) && body->ndecorators) cls = decorate(L, F, body, cls);
    if (lv_is_err(cls)) { locate(L, F, s); return XC_ERR; }
    store_name(L, F, body->bind, cls);
    lv_release(cls);
    return XC_OK;
}

/* raise [exc [from cause]] */
__attribute__((noinline)) static int exec_raise(lang_state *L, frame *F, node *s)
{
    if (!s->u.raise.exc) {
        if (!L->handling) {
            lang_raise(L, LANG_E_RUNTIME, "No active exception to reraise");
            locate(L, F, s);
            return XC_ERR;
        }
        errors_restore_copy(L, L->handling);
        return XC_ERR;
    }
    lang_value v = eval(L, F, s->u.raise.exc);
    if (lv_is_err(v)) return XC_ERR;
    if (s->u.raise.cause) {
        /* the cause is evaluated and accepted; tracebacks show the raised error */
        lang_value c = eval(L, F, s->u.raise.cause);
        if (lv_is_err(c)) { lv_release(v); return XC_ERR; }
        lv_release(c);
    }
    exc_raise(L, v);
    lv_release(v);
    locate(L, F, s);
    return XC_ERR;
}

/* The except clause of try statement s that handles the error saved in
 * *saved: its index, -1 when none does, -2 when evaluating a clause raised.
 * A bare except does not catch KeyboardInterrupt: an interrupt always
 * stops the cell unless a clause names KeyboardInterrupt (or BaseException). */
static int find_handler(lang_state *L, frame *F, node *s, exc_saved *saved)
{
    for (int i = 0; i < s->u.try_.nhandlers; i++) {
        except_clause *h = &s->u.try_.handlers[i];
        if (!h->type) {
            if (saved->kind == LANG_E_INTERRUPT) continue;
            return i;
        }
        lang_value spec = eval(L, F, h->type);
        if (lv_is_err(spec)) return -2;
        int m = exc_matches(L, saved, spec);
        lv_release(spec);
        if (m < 0) { locate(L, F, h->type); return -2; }
        if (m) return i;
    }
    return -1;
}

__attribute__((noinline)) static int exec_try(lang_state *L, frame *F, node *s)
{
    int x = exec_block(L, F, &s->u.try_.body);
    if (x == XC_ERR && s->u.try_.nhandlers) {
        exc_saved saved;
        errors_save(L, &saved);
        int hi = find_handler(L, F, s, &saved);
        if (hi == -1) {
            errors_restore(L, &saved);
        } else if (hi >= 0) {
            except_clause *h = &s->u.try_.handlers[hi];
            x = XC_OK;
            if (h->name) {
                lang_value e = exc_instance(L, &saved);
                if (lv_is_err(e)) x = XC_ERR;
                else {
                    if (store(L, F, h->name, e) < 0) x = XC_ERR;
                    lv_release(e);
                }
            }
            if (x == XC_OK) {
                saved.prev = L->handling;
                L->handling = &saved;
                x = exec_block(L, F, &h->body);
                L->handling = saved.prev;
            }
        }
        errors_saved_free(&saved);
    } else if (x == XC_OK && s->u.try_.orelse.n) {
        x = exec_block(L, F, &s->u.try_.orelse);
    }
    if (!s->u.try_.finalbody.n) return x;
    /* finally: runs on every way out; an error or return pending across it
     * continues afterwards unless the finally block itself leaves */
    if (x == XC_ERR) {
        exc_saved pending;
        errors_save(L, &pending);
        int fx = exec_block(L, F, &s->u.try_.finalbody);
        if (fx == XC_OK) errors_restore(L, &pending);
        else x = fx;
        errors_saved_free(&pending);
        return x;
    }
    int fx = exec_block(L, F, &s->u.try_.finalbody);
    return fx == XC_OK ? x : fx;
}

static int exec_stmt(lang_state *L, frame *F, node *s)
{
    switch ((node_kind)s->kind) {
    case S_EXPR: {
        lang_value v = eval(L, F, s->u.expr);
        if (lv_is_err(v)) return XC_ERR;
        lv_release(v);
        return XC_OK;
    }
    case S_ASSIGN: {
        lang_value v = eval(L, F, s->u.assign.value);
        if (lv_is_err(v)) return XC_ERR;
        for (int i = 0; i < s->u.assign.ntargets; i++)
            if (store(L, F, s->u.assign.targets[i], v) < 0) { lv_release(v); return XC_ERR; }
        lv_release(v);
        return XC_OK;
    }
    case S_AUGASSIGN: return exec_augassign(L, F, s) < 0 ? XC_ERR : XC_OK;
    case S_IF: {
        for (;;) {
            lang_value c = eval(L, F, s->u.cond.cond);
            if (lv_is_err(c)) return XC_ERR;
            int t = truthy(L, c);
            lv_release(c);
            if (t < 0) { locate(L, F, s->u.cond.cond); return XC_ERR; }
            if (t) return exec_block(L, F, &s->u.cond.body);
            block *e = &s->u.cond.orelse;
            /* elif chains iterate instead of recursing */
            if (e->n == 1 && e->s[0]->kind == S_IF) { s = e->s[0]; continue; }
            return exec_block(L, F, e);
        }
    }
    case S_WHILE: {
        for (;;) {
            if (loop_break(L)) { locate(L, F, s); return XC_ERR; }
            lang_value c = eval(L, F, s->u.cond.cond);
            if (lv_is_err(c)) return XC_ERR;
            int t = truthy(L, c);
            lv_release(c);
            if (t < 0) { locate(L, F, s->u.cond.cond); return XC_ERR; }
            if (!t) return s->u.cond.orelse.n ? exec_block(L, F, &s->u.cond.orelse) : XC_OK;
            int x = exec_block(L, F, &s->u.cond.body);
            if (x == XC_BREAK) return XC_OK;
            if (x == XC_CONTINUE || x == XC_OK) continue;
            return x;
        }
    }
    case S_FOR: return exec_for(L, F, s);
    case S_BREAK: return XC_BREAK;
    case S_CONTINUE: return XC_CONTINUE;
    case S_PASS: case S_GLOBAL: return XC_OK;
    case S_DEF: {
        lang_value f = make_function(L, F, s->u.func);
        if (lv_is_err(f)) { locate(L, F, s); return XC_ERR; }
        if (s->u.func->ndecorators && (f = decorate(L, F, s->u.func, f), lv_is_err(f))) { locate(L, F, s); return XC_ERR; }
        store_name(L, F, s->u.func->bind, f);
        lv_release(f);
        return XC_OK;
    }
    case S_CLASS: return exec_class(L, F, s);
    case S_TRY: return exec_try(L, F, s);
    case S_RAISE: return exec_raise(L, F, s);
    case S_RETURN: {
        lang_value v = s->u.expr ? eval(L, F, s->u.expr) : lv_none();
        if (lv_is_err(v)) return XC_ERR;
        lv_release(F->retval);
        F->retval = v;
        return XC_RETURN;
    }
    case S_WITH: return exec_with(L, F, s, 0);
    case S_DEL: return exec_del(L, F, s);
    case S_ASSERT: return exec_assert(L, F, s);
    case S_IMPORT: return exec_import(L, F, s);
    case S_TIME: return exec_time(L, F, s, NULL);
    case S_MAGIC: {
        int x = exec_magic(L, s);
        if (x == XC_ERR) locate(L, F, s);
        return x;
    }
    default:
        lang_raise(L, LANG_E_SYNTAX, "unsupported statement");
        locate(L, F, s);
        return XC_ERR;
    }
}

static int exec_block(lang_state *L, frame *F, block *b)
{
    for (int i = 0; i < b->n; i++) {
        int x = exec_stmt(L, F, b->s[i]);
        if (x != XC_OK) return x;
    }
    return XC_OK;
}

int eval_cell(lang_state *L, ast_func *top, lang_arena *A, lang_value *last)
{
    *last = lv_missing();
    int nl = top->nlocals;
    lang_value slotbuf[nl > 0 ? nl : 1];
    for (int i = 0; i < nl; i++) slotbuf[i] = lv_missing();
    int rc = 0;
    for (int i = 0; i < nl; i++) {
        if (!top->is_cell[i]) continue;
        lv_cellobj *c = new_cell(lv_missing());
        if (!c) { rc = -1; lang_nomem(L); break; }
        slotbuf[i] = lv_from_obj(c);
    }
    frame fr = { L->top_frame, top, A, slotbuf, NULL, lv_none(), NULL };
    L->top_frame = &fr;
    block *b = &top->body;
    for (int i = 0; rc == 0 && i < b->n; i++) {
        node *s = b->s[i];
        int is_last = i == b->n - 1;
        int x;
        if (is_last && s->kind == S_EXPR) {
            lang_value v = eval(L, &fr, s->u.expr);
            if (lv_is_err(v)) x = XC_ERR;
            else { *last = v; x = XC_OK; }
        } else if (is_last && s->kind == S_TIME) {
            x = exec_time(L, &fr, s, last);
        } else {
            x = exec_stmt(L, &fr, s);
        }
        if (x == XC_ERR) rc = -1;
        else if (x == XC_BREAK || x == XC_CONTINUE) {
            lang_raise(L, LANG_E_SYNTAX, "'%s' outside loop", x == XC_BREAK ? "break" : "continue");
            locate(L, &fr, s);
            rc = -1;
        } else if (x == XC_RETURN) {
            lang_raise(L, LANG_E_SYNTAX, "'return' outside function");
            locate(L, &fr, s);
            rc = -1;
        }
    }
    L->top_frame = fr.parent;
    lv_release(fr.retval);
    for (int i = 0; i < nl; i++) lv_release(slotbuf[i]);
    if (rc < 0) { lv_release(*last); *last = lv_missing(); }
    return rc;
}
