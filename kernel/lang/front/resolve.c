/* resolve.c — binds every name in a parsed cell to where it lives.
 *
 * Python's scoping: a name assigned anywhere in a function (and not declared
 * global/nonlocal) is local to it; a name read but not assigned is looked up
 * in the enclosing functions (captured as a cell, closures see later
 * assignments) and else is global. Comprehension variables are private to
 * the comprehension: they get fresh slots in the frame that runs it.
 * Module-level names are globals: slots in the state's global table, shared
 * by all cells, so a function defined in one cell sees names of later ones.
 *
 * Result per name node: NAME_GLOBAL(global slot), NAME_LOCAL(frame slot),
 * NAME_CELL(frame slot holding a cell), NAME_FREE(index in the function's
 * captured cells).
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp.h"

typedef enum { SC_MODULE, SC_FUNC, SC_COMP } scope_kind;

typedef struct { const char *name; int slot; } binding;

typedef struct hostinfo {     /* per frame owner (function or cell top level) */
    ast_func *fn;
    const char **names;       /* malloc'd, nlocals */
    uint8_t  *is_cell;        /* malloc'd */
    int       n, cap;
    node    **refs;           /* LOCAL name nodes to patch to CELL; malloc'd */
    int       nrefs, caprefs;
    freevar  *free;           /* malloc'd */
    int       nfree, capfree;
} hostinfo;

typedef struct scope {
    struct scope *parent;
    scope_kind kind;
    hostinfo  *host;          /* the frame owner (SC_COMP: the enclosing one's) */
    binding   *b;             /* malloc'd */
    int        nb, capb;
    const char **globals;     /* SC_FUNC: declared global (borrowed names) */
    int        nglobals, capglobals;
    const char **nonlocals;
    int        nnonlocals, capnonlocals;
    int        is_class;      /* a class body: invisible to the functions inside */
} scope;

typedef struct {
    lang_state *L;
    lang_arena *A;
    parse_result *out;
    jmp_buf jb;
    /* every scope and host, freed at the end */
    scope **scopes; int nscopes, capscopes;
    hostinfo **hosts; int nhosts, caphosts;
} resolver;

static void r_fail(resolver *R, int line, int col, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));
static void r_fail(resolver *R, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(R->out->err, sizeof R->out->err, fmt, ap);
    va_end(ap);
    R->out->err_line = line;
    R->out->err_col = col;
    longjmp(R->jb, 1);
}

static void *grow(resolver *R, void *p, int *cap, int need, size_t sz)
{
    if (need <= *cap) return p;
    int nc = *cap ? *cap * 2 : 8;
    while (nc < need) nc *= 2;
    void *np = realloc(p, (size_t)nc * sz);
    if (!np) r_fail(R, 0, 0, "out of memory");
    *cap = nc;
    return np;
}

static hostinfo *new_host(resolver *R, ast_func *fn)
{
    R->hosts = grow(R, R->hosts, &R->caphosts, R->nhosts + 1, sizeof *R->hosts);
    hostinfo *h = calloc(1, sizeof *h);
    if (!h) r_fail(R, 0, 0, "out of memory");
    R->hosts[R->nhosts++] = h;
    h->fn = fn;
    return h;
}

static scope *new_scope(resolver *R, scope *parent, scope_kind k, hostinfo *h)
{
    R->scopes = grow(R, R->scopes, &R->capscopes, R->nscopes + 1, sizeof *R->scopes);
    scope *s = calloc(1, sizeof *s);
    if (!s) r_fail(R, 0, 0, "out of memory");
    R->scopes[R->nscopes++] = s;
    s->parent = parent;
    s->kind = k;
    s->host = h;
    return s;
}

static int host_slot(resolver *R, hostinfo *h, const char *name)
{
    /* is_cell first: grow() updates cap, which sizes both arrays */
    uint8_t *cells = realloc(h->is_cell, (size_t)(h->cap > h->n + 1 ? h->cap : (h->cap ? h->cap * 2 : 8)));
    if (!cells) r_fail(R, 0, 0, "out of memory");
    h->is_cell = cells;
    h->names = grow(R, h->names, &h->cap, h->n + 1, sizeof *h->names);
    h->names[h->n] = name;
    h->is_cell[h->n] = 0;
    return h->n++;
}

static int find_binding(scope *s, const char *name)
{
    for (int i = 0; i < s->nb; i++) if (strcmp(s->b[i].name, name) == 0) return s->b[i].slot;
    return -1;
}

static int in_list(const char **l, int n, const char *name)
{
    for (int i = 0; i < n; i++) if (strcmp(l[i], name) == 0) return 1;
    return 0;
}

/* Binds name in scope s (a function or comprehension), once. */
static void bind(resolver *R, scope *s, const char *name)
{
    if (s->kind == SC_MODULE) return;
    if (find_binding(s, name) >= 0) return;
    if (s->kind == SC_FUNC && (in_list(s->globals, s->nglobals, name) || in_list(s->nonlocals, s->nnonlocals, name)))
        return;
    s->b = grow(R, s->b, &s->capb, s->nb + 1, sizeof *s->b);
    s->b[s->nb].name = name;
    s->b[s->nb].slot = host_slot(R, s->host, name);
    s->nb++;
}

/* ---- pass 1: names bound by a function body ------------------------------------ */

static void collect_target(resolver *R, scope *s, node *t)
{
    if (!t) return;
    if (t->kind == E_NAME) bind(R, s, t->u.name.id);
    else if (t->kind == E_TUPLE || t->kind == E_LIST)
        for (int i = 0; i < t->u.seq.n; i++) collect_target(R, s, t->u.seq.items[i]);
}

static void collect_decls(resolver *R, scope *s, block *b)
{
    for (int i = 0; i < b->n; i++) {
        node *st = b->s[i];
        switch (st->kind) {
        case S_GLOBAL:
            for (int j = 0; j < st->u.global.n; j++) {
                const char *nm = st->u.global.names[j];
                if (s->kind != SC_FUNC) {
                    if (st->op) r_fail(R, st->line, st->col, "nonlocal declaration not allowed at module level");
                    continue;
                }
                if (st->op) {
                    s->nonlocals = grow(R, s->nonlocals, &s->capnonlocals, s->nnonlocals + 1, sizeof(char *));
                    s->nonlocals[s->nnonlocals++] = nm;
                } else {
                    s->globals = grow(R, s->globals, &s->capglobals, s->nglobals + 1, sizeof(char *));
                    s->globals[s->nglobals++] = nm;
                }
            }
            break;
        case S_IF: case S_WHILE:
            collect_decls(R, s, &st->u.cond.body);
            collect_decls(R, s, &st->u.cond.orelse);
            break;
        case S_FOR:
            collect_decls(R, s, &st->u.loop.body);
            collect_decls(R, s, &st->u.loop.orelse);
            break;
        case S_WITH: collect_decls(R, s, &st->u.with.body); break;
        case S_TIME: collect_decls(R, s, &st->u.time.body); break;
        case S_TRY:
            collect_decls(R, s, &st->u.try_.body);
            for (int j = 0; j < st->u.try_.nhandlers; j++) collect_decls(R, s, &st->u.try_.handlers[j].body);
            collect_decls(R, s, &st->u.try_.orelse);
            collect_decls(R, s, &st->u.try_.finalbody);
            break;
        default: break;
        }
    }
}

static void collect_bindings(resolver *R, scope *s, block *b)
{
    for (int i = 0; i < b->n; i++) {
        node *st = b->s[i];
        switch (st->kind) {
        case S_ASSIGN:
            for (int j = 0; j < st->u.assign.ntargets; j++) collect_target(R, s, st->u.assign.targets[j]);
            break;
        case S_AUGASSIGN: collect_target(R, s, st->u.aug.target); break;
        case S_IMPORT: for (int j = 0; j < st->u.import.n; j++) collect_target(R, s, st->u.import.targets[j]); break;
        case S_DEL: for (int j = 0; j < st->u.del.n; j++) collect_target(R, s, st->u.del.targets[j]); break;
        case S_DEF: bind(R, s, st->u.func->name); break;
        case S_IF: case S_WHILE:
            collect_bindings(R, s, &st->u.cond.body);
            collect_bindings(R, s, &st->u.cond.orelse);
            break;
        case S_FOR:
            collect_target(R, s, st->u.loop.target);
            collect_bindings(R, s, &st->u.loop.body);
            collect_bindings(R, s, &st->u.loop.orelse);
            break;
        case S_WITH:
            for (int j = 0; j < st->u.with.n; j++) collect_target(R, s, st->u.with.targets[j]);
            collect_bindings(R, s, &st->u.with.body);
            break;
        case S_TIME: collect_bindings(R, s, &st->u.time.body); break;
        case S_CLASS: bind(R, s, st->u.cls.body->name); break;
        case S_TRY:
            collect_bindings(R, s, &st->u.try_.body);
            for (int j = 0; j < st->u.try_.nhandlers; j++) {
                collect_target(R, s, st->u.try_.handlers[j].name);
                collect_bindings(R, s, &st->u.try_.handlers[j].body);
            }
            collect_bindings(R, s, &st->u.try_.orelse);
            collect_bindings(R, s, &st->u.try_.finalbody);
            break;
        default: break;
        }
    }
}

/* ---- pass 2: resolve references ---------------------------------------------------- */

static void add_ref(resolver *R, hostinfo *h, node *n)
{
    h->refs = grow(R, h->refs, &h->caprefs, h->nrefs + 1, sizeof *h->refs);
    h->refs[h->nrefs++] = n;
}

/* The index of `name` among fs's captured variables, capturing it from the
 * enclosing scopes if needed; -1 when it is global. */
static int find_free(resolver *R, scope *fs, const char *name)
{
    hostinfo *h = fs->host;
    for (int i = 0; i < h->nfree; i++) if (strcmp(h->free[i].name, name) == 0) return i;
    int from_free = 0, index = -1;
    scope *s = fs->parent;
    while (s && s->kind == SC_COMP) {
        int slot = find_binding(s, name);
        if (slot >= 0) { s->host->is_cell[slot] = 1; index = slot; break; }
        s = s->parent;
    }
    /* a class body's names are not visible to its methods (Python): a
     * method captures through the class body, which captures from its own
     * enclosing function */
    if (index < 0 && s && s->is_class) {
        index = find_free(R, s, name);
        if (index < 0) return -1;
        from_free = 1;
    }
    if (index < 0) {
        if (!s || s->kind == SC_MODULE) return -1;
        /* s is the enclosing function */
        if (in_list(s->globals, s->nglobals, name)) return -1;
        int slot = find_binding(s, name);
        if (slot >= 0) { s->host->is_cell[slot] = 1; index = slot; }
        else {
            index = find_free(R, s, name);
            if (index < 0) return -1;
            from_free = 1;
        }
    }
    h->free = grow(R, h->free, &h->capfree, h->nfree + 1, sizeof *h->free);
    h->free[h->nfree].name = name;
    h->free[h->nfree].from_free = from_free;
    h->free[h->nfree].index = index;
    return h->nfree++;
}

static void resolve_name(resolver *R, scope *S, node *n)
{
    const char *name = n->u.name.id;
    scope *s = S;
    while (s->kind == SC_COMP) {
        int slot = find_binding(s, name);
        if (slot >= 0) {
            n->u.name.scope = NAME_LOCAL;
            n->u.name.slot = slot;
            add_ref(R, s->host, n);
            return;
        }
        s = s->parent;
    }
    if (s->kind == SC_FUNC) {
        if (!in_list(s->globals, s->nglobals, name)) {
            int slot = find_binding(s, name);
            if (slot >= 0) {
                n->u.name.scope = NAME_LOCAL;
                n->u.name.slot = slot;
                add_ref(R, s->host, n);
                return;
            }
            /* captured from an enclosing function? (S's own frame owner is
             * s; captures are recorded on s) */
            int idx = find_free(R, s, name);
            if (idx >= 0) {
                n->u.name.scope = NAME_FREE;
                n->u.name.slot = idx;
                return;
            }
            if (in_list(s->nonlocals, s->nnonlocals, name))
                r_fail(R, n->line, n->col, "no binding for nonlocal '%s' found", name);
        }
    }
    int g = lang_global_slot(R->L, name);
    if (g < 0) r_fail(R, n->line, n->col, "out of memory");
    n->u.name.scope = NAME_GLOBAL;
    n->u.name.slot = g;
}

static void r_expr(resolver *R, scope *S, node *e);
static void r_block(resolver *R, scope *S, block *b);
static void r_func(resolver *R, scope *S, ast_func *f);

static void r_target(resolver *R, scope *S, node *t)
{
    if (!t) return;
    r_expr(R, S, t);
}

static void r_comp(resolver *R, scope *S, node *e)
{
    /* the first iterable runs in the enclosing scope */
    r_expr(R, S, e->u.comp.gens[0].iter);
    scope *cs = new_scope(R, S, SC_COMP, S->host);
    for (int i = 0; i < e->u.comp.ngens; i++) collect_target(R, cs, e->u.comp.gens[i].target);
    for (int i = 0; i < e->u.comp.ngens; i++) {
        comp_gen *g = &e->u.comp.gens[i];
        if (i > 0) r_expr(R, cs, g->iter);
        r_target(R, cs, g->target);
        for (int j = 0; j < g->nconds; j++) r_expr(R, cs, g->conds[j]);
    }
    r_expr(R, cs, e->u.comp.elt);
    if (e->u.comp.val) r_expr(R, cs, e->u.comp.val);
}

static void r_expr(resolver *R, scope *S, node *e)
{
    if (!e) return;
    switch ((node_kind)e->kind) {
    case E_CONST:
        if (e->op == 1) r_fail(R, e->line, e->col, "integer literal 9223372036854775808 is too large (ints are 64-bit; write it as a float)");
        return;
    case E_NAME: resolve_name(R, S, e); return;
    case E_FSTRING:
        for (int i = 0; i < e->u.fstr.n; i++) {
            r_expr(R, S, e->u.fstr.parts[i].expr);
            r_expr(R, S, e->u.fstr.parts[i].spec);
        }
        return;
    case E_LIST: case E_TUPLE: case E_DICT:
        for (int i = 0; i < e->u.seq.n; i++) {
            r_expr(R, S, e->u.seq.items[i]);
            if (e->kind == E_DICT) r_expr(R, S, e->u.seq.values[i]);
        }
        return;
    case E_UNARY: case E_NOT: case E_STARRED: r_expr(R, S, e->u.bin.a); return;
    case E_BINARY: case E_AND: case E_OR:
        r_expr(R, S, e->u.bin.a);
        r_expr(R, S, e->u.bin.b);
        return;
    case E_COMPARE: for (int i = 0; i < e->u.cmp.n; i++) r_expr(R, S, e->u.cmp.operands[i]); return;
    case E_IFEXP:
        r_expr(R, S, e->u.ifexp.cond);
        r_expr(R, S, e->u.ifexp.a);
        r_expr(R, S, e->u.ifexp.b);
        return;
    case E_CALL:
        r_expr(R, S, e->u.call.fn);
        for (int i = 0; i < e->u.call.nargs; i++) r_expr(R, S, e->u.call.args[i]);
        for (int i = 0; i < e->u.call.nkw; i++) r_expr(R, S, e->u.call.kwargs[i]);
        return;
    case E_ATTR: r_expr(R, S, e->u.attr.obj); return;
    case E_INDEX: r_expr(R, S, e->u.index.obj); r_expr(R, S, e->u.index.index); return;
    case E_SLICE:
        r_expr(R, S, e->u.slice.lo);
        r_expr(R, S, e->u.slice.hi);
        r_expr(R, S, e->u.slice.step);
        return;
    case E_LAMBDA: r_func(R, S, e->u.func); return;
    case E_LISTCOMP: case E_DICTCOMP: r_comp(R, S, e); return;
    default: return;
    }
}

static void r_stmt(resolver *R, scope *S, node *st)
{
    switch ((node_kind)st->kind) {
    case S_EXPR: case S_RETURN: r_expr(R, S, st->u.expr); break;
    case S_ASSIGN:
        r_expr(R, S, st->u.assign.value);
        for (int j = 0; j < st->u.assign.ntargets; j++) r_target(R, S, st->u.assign.targets[j]);
        break;
    case S_AUGASSIGN: r_expr(R, S, st->u.aug.value); r_target(R, S, st->u.aug.target); break;
    case S_IMPORT: for (int j = 0; j < st->u.import.n; j++) r_target(R, S, st->u.import.targets[j]); break;
    case S_IF: case S_WHILE:
        r_expr(R, S, st->u.cond.cond);
        r_block(R, S, &st->u.cond.body);
        r_block(R, S, &st->u.cond.orelse);
        break;
    case S_FOR:
        r_expr(R, S, st->u.loop.iter);
        r_target(R, S, st->u.loop.target);
        r_block(R, S, &st->u.loop.body);
        r_block(R, S, &st->u.loop.orelse);
        break;
    case S_DEF: case S_CLASS: {
        ast_func *f = st->kind == S_DEF ? st->u.func : st->u.cls.body;
        for (int i = 0; i < f->ndecorators; i++) r_expr(R, S, f->decorators[i]);
        if (st->kind == S_CLASS) r_expr(R, S, st->u.cls.base);
        r_func(R, S, f);
        node *b = arena_alloc(R->A, sizeof *b);
        if (!b) r_fail(R, st->line, st->col, "out of memory");
        b->kind = E_NAME;
        b->line = st->line;
        b->col = st->col;
        b->u.name.id = f->name;
        resolve_name(R, S, b);
        f->bind = b;
        break;
    }
    case S_WITH:
        for (int j = 0; j < st->u.with.n; j++) {
            r_expr(R, S, st->u.with.items[j]);
            r_target(R, S, st->u.with.targets[j]);
        }
        r_block(R, S, &st->u.with.body);
        break;
    case S_DEL: for (int j = 0; j < st->u.del.n; j++) r_target(R, S, st->u.del.targets[j]); break;
    case S_ASSERT: r_expr(R, S, st->u.assert_.cond); r_expr(R, S, st->u.assert_.msg); break;
    case S_TIME: r_block(R, S, &st->u.time.body); break;
    case S_TRY:
        r_block(R, S, &st->u.try_.body);
        for (int j = 0; j < st->u.try_.nhandlers; j++) {
            except_clause *h = &st->u.try_.handlers[j];
            r_expr(R, S, h->type);
            r_target(R, S, h->name);
            r_block(R, S, &h->body);
        }
        r_block(R, S, &st->u.try_.orelse);
        r_block(R, S, &st->u.try_.finalbody);
        break;
    case S_RAISE: r_expr(R, S, st->u.raise.exc); r_expr(R, S, st->u.raise.cause); break;
    default: break;
    }
}

static void r_block(resolver *R, scope *S, block *b)
{
    for (int i = 0; i < b->n; i++) r_stmt(R, S, b->s[i]);
}

/* Copies a host's slot table into its function (arena) and turns LOCAL
 * references to captured slots into CELL references. */
static void finish_host(resolver *R, hostinfo *h)
{
    ast_func *f = h->fn;
    f->nlocals = h->n;
    f->is_cell = arena_alloc(R->A, (size_t)h->n + 1);
    f->localnames = arena_alloc(R->A, ((size_t)h->n + 1) * sizeof(char *));
    f->free = arena_alloc(R->A, ((size_t)h->nfree + 1) * sizeof(freevar));
    if (!f->is_cell || !f->localnames || !f->free) r_fail(R, f->line, f->col, "out of memory");
    if (h->n) {
        memcpy(f->is_cell, h->is_cell, (size_t)h->n);
        memcpy(f->localnames, h->names, (size_t)h->n * sizeof(char *));
    }
    if (h->nfree) memcpy(f->free, h->free, (size_t)h->nfree * sizeof(freevar));
    f->nfree = h->nfree;
    for (int i = 0; i < h->nrefs; i++) {
        node *n = h->refs[i];
        if (f->is_cell[n->u.name.slot]) n->u.name.scope = NAME_CELL;
    }
}

static void r_func(resolver *R, scope *S, ast_func *f)
{
    /* defaults run in the enclosing scope */
    for (int i = 0; i < f->ndefaults; i++) r_expr(R, S, f->defaults[i]);
    for (int i = 0; i < f->nkwonly; i++) r_expr(R, S, f->kwonly_defaults[i]);
    hostinfo *h = new_host(R, f);
    scope *fs = new_scope(R, S, SC_FUNC, h);
    fs->is_class = f->is_class;
    /* parameters first, in slot order */
    for (int i = 0; i < f->nparams; i++) bind(R, fs, f->params[i]);
    if (f->vararg) bind(R, fs, f->vararg);
    for (int i = 0; i < f->nkwonly; i++) bind(R, fs, f->kwonly[i]);
    if (f->kwarg) bind(R, fs, f->kwarg);
    collect_decls(R, fs, &f->body);
    for (int i = 0; i < fs->nglobals; i++)
        for (int j = 0; j < f->nparams; j++)
            if (strcmp(fs->globals[i], f->params[j]) == 0)
                r_fail(R, f->line, f->col, "name '%s' is parameter and global", fs->globals[i]);
    collect_bindings(R, fs, &f->body);
    r_block(R, fs, &f->body);
    finish_host(R, h);
}

int resolve_cell(lang_state *L, lang_arena *A, parse_result *pr)
{
    resolver R;
    memset(&R, 0, sizeof R);
    R.L = L;
    R.out = pr;
    int rc = 0;
    R.A = A;
    if (setjmp(R.jb)) {
        rc = -1;
    } else {
        hostinfo *h = new_host(&R, pr->top);
        scope *top = new_scope(&R, NULL, SC_MODULE, h);
        r_block(&R, top, &pr->top->body);
        finish_host(&R, h);
    }
    for (int i = 0; i < R.nscopes; i++) {
        free(R.scopes[i]->b);
        free(R.scopes[i]->globals);
        free(R.scopes[i]->nonlocals);
        free(R.scopes[i]);
    }
    for (int i = 0; i < R.nhosts; i++) {
        free(R.hosts[i]->names);
        free(R.hosts[i]->is_cell);
        free(R.hosts[i]->refs);
        free(R.hosts[i]->free);
        free(R.hosts[i]);
    }
    free(R.scopes);
    free(R.hosts);
    return rc;
}
