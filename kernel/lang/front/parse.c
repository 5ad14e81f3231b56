/* parse.c — recursive-descent parser with precedence climbing (ast.h).
 *
 * Each parse function carries its grammar rule. Binary operators use a
 * {left, right} priority table (Lua's lparser.c): left-associative operators
 * have left == right, '**' is right-associative (right < left) and binds
 * tighter than a unary minus on its left (-2**2 == -4).
 *
 * Syntax errors long-jump out of the parser: everything the parser
 * allocates lives in the arena, so nothing leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ast.h"
#include "lex.h"

/* ORDER binop */
static const char *const binop_syms[OP_BINARY_COUNT] = {
    "+", "-", "*", "/", "//", "%", "**", "@", "&", "|", "^", "<<", ">>",
};
const char *binop_symbol(binop op) { return op < OP_BINARY_COUNT ? binop_syms[op] : "?"; }

#define MAX_DEPTH 150   /* nested expressions / blocks before "too deeply nested" */

typedef struct {
    lang_arena *A;
    const char *src;
    token      *t;
    int         n, pos;
    int         depth;
    int         line_off;   /* added to token lines (sub-parses of magics and f-strings) */
    jmp_buf     jb;
    parse_result *out;
} parser;

static void p_fail(parser *P, int line, int col, int incomplete, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 5, 6)));
static void p_fail(parser *P, int line, int col, int incomplete, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(P->out->err, sizeof P->out->err, fmt, ap);
    va_end(ap);
    P->out->err_line = line;
    P->out->err_col = col;
    P->out->incomplete = incomplete;
    longjmp(P->jb, 1);
}

static token *cur(parser *P) { return &P->t[P->pos]; }
static tok_type curt(parser *P) { return P->t[P->pos].type; }
static tok_type peekt(parser *P, int k) { int i = P->pos + k; return i < P->n ? P->t[i].type : T_EOF; }
static token *advance(parser *P) { token *k = &P->t[P->pos]; if (P->pos < P->n - 1) P->pos++; return k; }
static int accept(parser *P, tok_type t) { if (curt(P) == t) { advance(P); return 1; } return 0; }

/* Only DEDENTs (or nothing) left before the end of the input: an error here
 * means "more input needed" (is_complete). */
static int at_end(parser *P)
{
    int i = P->pos;
    while (i < P->n && P->t[i].type == T_DEDENT) i++;
    return i >= P->n || P->t[i].type == T_EOF;
}

/* "invalid syntax" naming the offending token */
static void __attribute__((noreturn)) unexpected(parser *P, const char *what)
{
    token *k = cur(P);
    int inc = at_end(P);
    if (k->type == T_EOF || k->type == T_NEWLINE || k->type == T_DEDENT)
        p_fail(P, k->line, k->col, inc, "invalid syntax: %s expected, got %s", what, tok_name(k->type));
    p_fail(P, k->line, k->col, inc, "invalid syntax: %s expected, got %s '%.*s'", what,
           k->type == T_NAME ? "name" : k->type == T_INT || k->type == T_FLOAT ? "number" :
           k->type == T_STRING ? "string" : "token", k->len > 40 ? 40 : k->len, k->start);
}

static token *expect(parser *P, tok_type t, const char *what)
{
    if (curt(P) != t) unexpected(P, what);
    return advance(P);
}

/* ')' expected (to close '(' at line 3) */
static void expect_close(parser *P, tok_type t, token *open)
{
    if (curt(P) == t) { advance(P); return; }
    token *k = cur(P);
    if (open->line != k->line)
        p_fail(P, k->line, k->col, k->type == T_EOF, "%s expected (to close %s at line %d)",
               tok_name(t), tok_name(open->type), open->line);
    p_fail(P, k->line, k->col, k->type == T_EOF, "%s expected (to close %s at column %d)",
           tok_name(t), tok_name(open->type), open->col + 1);
}

static void *palloc(parser *P, size_t n)
{
    void *p = arena_alloc(P->A, n);
    if (!p) p_fail(P, cur(P)->line, 0, 0, "out of memory");
    return p;
}

static node *mk(parser *P, node_kind k, token *at)
{
    node *n = palloc(P, sizeof *n);
    n->kind = (uint8_t)k;
    n->line = at->line + P->line_off;
    n->col = at->col;
    return n;
}

static char *pstrndup(parser *P, const char *s, size_t n)
{
    char *r = arena_strndup(P->A, s, n);
    if (!r) p_fail(P, cur(P)->line, 0, 0, "out of memory");
    return r;
}

/* growable array of pointers in the arena */
typedef struct { void **v; int n, cap; } vec;
static void vpush(parser *P, vec *a, void *x)
{
    if (a->n == a->cap) {
        int nc = a->cap ? a->cap * 2 : 4;
        void **nv = palloc(P, (size_t)nc * sizeof *nv);
        if (a->n) memcpy(nv, a->v, (size_t)a->n * sizeof *nv);
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = x;
}

static void enter(parser *P)
{
    if (++P->depth > MAX_DEPTH) p_fail(P, cur(P)->line, cur(P)->col, 0, "too many nested expressions or blocks");
}
static void leave(parser *P) { P->depth--; }

static node *parse_test(parser *P);
static node *parse_or(parser *P);
static node *subexpr(parser *P, int limit);
static void parse_block(parser *P, block *b, const char *after, token *kw);
static void parse_stmt(parser *P, vec *out);
static node *parse_fstring(parser *P, token *k, const char *body, size_t n, int raw, int line, int col);

static node *mk_const(parser *P, token *at, lang_value v)
{
    if (lv_is_err(v)) p_fail(P, at->line, at->col, 0, "out of memory");
    if (v.type > LV_FLOAT && arena_keep(P->A, v) < 0) p_fail(P, at->line, at->col, 0, "out of memory");
    node *n = mk(P, E_CONST, at);
    n->u.k = v;
    return n;
}

/* ---- atoms ------------------------------------------------------------------ */

/* strings -> STRING+   (adjacent literals concatenate; any f-string makes
 *                       the whole an E_FSTRING) */
static node *parse_strings(parser *P)
{
    token *first = cur(P);
    int any_f = 0, count = 0;
    for (int i = P->pos; i < P->n && P->t[i].type == T_STRING; i++) { any_f |= P->t[i].fstring != 0; count++; }
    if (!any_f) {
        size_t total = 0;
        for (int i = 0; i < count; i++) total += P->t[P->pos + i].v.str.n;
        char *buf = palloc(P, total + 1);
        size_t o = 0;
        for (int i = 0; i < count; i++) {
            token *k = advance(P);
            memcpy(buf + o, k->v.str.s, k->v.str.n);
            o += k->v.str.n;
        }
        return mk_const(P, first, lv_str_n(buf, total));
    }
    vec parts = {0};
    for (int i = 0; i < count; i++) {
        token *k = advance(P);
        if (k->fstring) {
            node *f = parse_fstring(P, k, k->v.str.s, k->v.str.n, k->fstring == 2, k->line, k->col);
            for (int j = 0; j < f->u.fstr.n; j++) {
                fpart *fp = palloc(P, sizeof *fp);
                *fp = f->u.fstr.parts[j];
                vpush(P, &parts, fp);
            }
        } else {
            fpart *fp = palloc(P, sizeof *fp);
            fp->lit = k->v.str.s;
            fp->litlen = k->v.str.n;
            vpush(P, &parts, fp);
        }
    }
    node *n = mk(P, E_FSTRING, first);
    n->u.fstr.n = parts.n;
    n->u.fstr.parts = palloc(P, (size_t)parts.n * sizeof(fpart) + 1);
    for (int i = 0; i < parts.n; i++) n->u.fstr.parts[i] = *(fpart *)parts.v[i];
    return n;
}

static int is_comp_for(parser *P) { return curt(P) == T_FOR; }

/* comp_for -> ('for' targets 'in' or_test ('if' or_test)*)+ */
static node *parse_target_list(parser *P, tok_type stop);
static void parse_comp(parser *P, node *n)
{
    vec gens = {0};
    while (curt(P) == T_FOR) {
        advance(P);
        comp_gen *g = palloc(P, sizeof *g);
        g->target = parse_target_list(P, T_IN);
        expect(P, T_IN, "'in'");
        g->iter = parse_or(P);
        vec conds = {0};
        while (curt(P) == T_IF) { advance(P); vpush(P, &conds, parse_or(P)); }
        g->conds = (node **)conds.v;
        g->nconds = conds.n;
        vpush(P, &gens, g);
    }
    n->u.comp.ngens = gens.n;
    n->u.comp.gens = palloc(P, (size_t)gens.n * sizeof(comp_gen));
    for (int i = 0; i < gens.n; i++) n->u.comp.gens[i] = *(comp_gen *)gens.v[i];
}

/* atom -> NAME | NUMBER | strings | 'None' | 'True' | 'False'
 *       | '(' [test (',' test)* [','] | test comp_for] ')'
 *       | '[' [test (',' test)* [','] | test comp_for] ']'
 *       | '{' [test ':' test (',' test ':' test)* [','] | test ':' test comp_for] '}' */
static node *parse_atom(parser *P)
{
    token *k = cur(P);
    switch (k->type) {
    case T_NAME: {
        advance(P);
        node *n = mk(P, E_NAME, k);
        n->u.name.id = pstrndup(P, k->start, (size_t)k->len);
        return n;
    }
    case T_INT:
        advance(P);
        if (k->fstring == 3) {
            /* 9223372036854775808 is only an int when negated (subexpr folds it) */
            node *n = mk_const(P, k, lv_int(INT64_MIN));
            n->op = 1;
            return n;
        }
        return mk_const(P, k, lv_int(k->v.i));
    case T_FLOAT: advance(P); return mk_const(P, k, lv_float(k->v.f));
    case T_STRING: return parse_strings(P);
    case T_NONE: advance(P); return mk_const(P, k, lv_none());
    case T_TRUE: advance(P); return mk_const(P, k, lv_bool(1));
    case T_FALSE: advance(P); return mk_const(P, k, lv_bool(0));
    case T_LPAREN: {
        advance(P);
        if (curt(P) == T_RPAREN) {
            advance(P);
            node *n = mk(P, E_TUPLE, k);
            return n;
        }
        enter(P);
        node *first = parse_test(P);
        if (is_comp_for(P)) {
            node *n = mk(P, E_LISTCOMP, k);  /* generator expressions are materialized */
            n->u.comp.elt = first;
            parse_comp(P, n);
            expect_close(P, T_RPAREN, k);
            leave(P);
            return n;
        }
        if (curt(P) != T_COMMA) {
            expect_close(P, T_RPAREN, k);
            leave(P);
            return first;
        }
        vec items = {0};
        vpush(P, &items, first);
        while (accept(P, T_COMMA)) {
            if (curt(P) == T_RPAREN) break;
            vpush(P, &items, parse_test(P));
        }
        expect_close(P, T_RPAREN, k);
        leave(P);
        node *n = mk(P, E_TUPLE, k);
        n->u.seq.items = (node **)items.v;
        n->u.seq.n = items.n;
        return n;
    }
    case T_LBRACKET: {
        advance(P);
        enter(P);
        node *n = mk(P, E_LIST, k);
        if (curt(P) != T_RBRACKET) {
            node *first = parse_test(P);
            if (is_comp_for(P)) {
                n->kind = E_LISTCOMP;
                n->u.comp.elt = first;
                parse_comp(P, n);
                expect_close(P, T_RBRACKET, k);
                leave(P);
                return n;
            }
            vec items = {0};
            vpush(P, &items, first);
            while (accept(P, T_COMMA)) {
                if (curt(P) == T_RBRACKET) break;
                vpush(P, &items, parse_test(P));
            }
            n->u.seq.items = (node **)items.v;
            n->u.seq.n = items.n;
        }
        expect_close(P, T_RBRACKET, k);
        leave(P);
        return n;
    }
    case T_LBRACE: {
        advance(P);
        enter(P);
        node *n = mk(P, E_DICT, k);
        if (curt(P) != T_RBRACE) {
            node *key = parse_test(P);
            if (curt(P) != T_COLON) {
                token *c = cur(P);
                p_fail(P, c->line, c->col, 0, "set literals are not supported (use a list, or a dict {key: value})");
            }
            advance(P);
            node *val = parse_test(P);
            if (is_comp_for(P)) {
                n->kind = E_DICTCOMP;
                n->u.comp.elt = key;
                n->u.comp.val = val;
                parse_comp(P, n);
                expect_close(P, T_RBRACE, k);
                leave(P);
                return n;
            }
            vec keys = {0}, vals = {0};
            vpush(P, &keys, key);
            vpush(P, &vals, val);
            while (accept(P, T_COMMA)) {
                if (curt(P) == T_RBRACE) break;
                vpush(P, &keys, parse_test(P));
                expect(P, T_COLON, "':'");
                vpush(P, &vals, parse_test(P));
            }
            n->u.seq.items = (node **)keys.v;
            n->u.seq.values = (node **)vals.v;
            n->u.seq.n = keys.n;
        }
        expect_close(P, T_RBRACE, k);
        leave(P);
        return n;
    }
    case T_EOF:
        p_fail(P, k->line, k->col, 1, "unexpected end of input");
    default:
        unexpected(P, "an expression");
    }
}

/* subscript -> test | [test] ':' [test] [':' [test]]
 * subscripts -> subscript (',' subscript)* [','] */
static node *parse_subscript(parser *P)
{
    token *k = cur(P);
    node *lo = NULL;
    if (curt(P) != T_COLON) {
        lo = parse_test(P);
        if (curt(P) != T_COLON) return lo;
    }
    advance(P); /* ':' */
    node *n = mk(P, E_SLICE, k);
    n->u.slice.lo = lo;
    if (curt(P) != T_COLON && curt(P) != T_RBRACKET && curt(P) != T_COMMA) n->u.slice.hi = parse_test(P);
    if (accept(P, T_COLON) && curt(P) != T_RBRACKET && curt(P) != T_COMMA) n->u.slice.step = parse_test(P);
    return n;
}

/* args -> [arg (',' arg)* [',']]
 * arg -> test [comp_for] | NAME '=' test | '*' test | '**' test */
static void parse_call_args(parser *P, node *call, token *open)
{
    vec args = {0}, kwn = {0}, kwv = {0};
    while (curt(P) != T_RPAREN) {
        token *k = cur(P);
        if (k->type == T_NAME && peekt(P, 1) == T_ASSIGN) {
            advance(P); advance(P);
            const char *nm = pstrndup(P, k->start, (size_t)k->len);
            for (int i = 0; i < kwn.n; i++)
                if (kwn.v[i] && strcmp(kwn.v[i], nm) == 0)
                    p_fail(P, k->line, k->col, 0, "keyword argument repeated: %s", nm);
            vpush(P, &kwn, (void *)nm);
            vpush(P, &kwv, parse_test(P));
        } else if (k->type == T_DSTAR) {
            advance(P);
            vpush(P, &kwn, NULL);
            vpush(P, &kwv, parse_test(P));
        } else if (k->type == T_STAR) {
            advance(P);
            call->op = 1; /* has *args: the evaluator takes the general path */
            node *s = mk(P, E_STARRED, k);
            s->u.bin.a = parse_test(P);
            vpush(P, &args, s);
        } else {
            if (kwn.n) p_fail(P, k->line, k->col, 0, "positional argument follows keyword argument");
            node *a = parse_test(P);
            if (is_comp_for(P)) {
                node *c = mk(P, E_LISTCOMP, k);
                c->u.comp.elt = a;
                parse_comp(P, c);
                a = c;
            }
            vpush(P, &args, a);
        }
        if (!accept(P, T_COMMA)) break;
    }
    expect_close(P, T_RPAREN, open);
    call->u.call.args = (node **)args.v;
    call->u.call.nargs = args.n;
    call->u.call.kwnames = (const char **)kwn.v;
    call->u.call.kwargs = (node **)kwv.v;
    call->u.call.nkw = kwn.n;
}

/* primary -> atom trailer*
 * trailer -> '(' args ')' | '[' subscripts ']' | '.' NAME */
static node *parse_primary(parser *P)
{
    node *e = parse_atom(P);
    for (;;) {
        token *k = cur(P);
        if (k->type == T_LPAREN) {
            advance(P);
            enter(P);
            node *c = mk(P, E_CALL, k);
            c->line = e->line;
            c->col = e->col;
            c->u.call.fn = e;
            parse_call_args(P, c, k);
            leave(P);
            e = c;
        } else if (k->type == T_LBRACKET) {
            advance(P);
            enter(P);
            node *x = mk(P, E_INDEX, k);
            x->line = e->line;
            x->col = e->col;
            x->u.index.obj = e;
            node *first = parse_subscript(P);
            if (curt(P) == T_COMMA) {
                node *t = mk(P, E_TUPLE, k);
                vec items = {0};
                vpush(P, &items, first);
                while (accept(P, T_COMMA)) {
                    if (curt(P) == T_RBRACKET) break;
                    vpush(P, &items, parse_subscript(P));
                }
                t->u.seq.items = (node **)items.v;
                t->u.seq.n = items.n;
                first = t;
            }
            x->u.index.index = first;
            expect_close(P, T_RBRACKET, k);
            leave(P);
            e = x;
        } else if (k->type == T_DOT) {
            advance(P);
            token *nm = cur(P);
            if (nm->type != T_NAME) unexpected(P, "an attribute name after '.'");
            advance(P);
            node *a = mk(P, E_ATTR, nm);
            a->u.attr.obj = e;
            a->u.attr.name = pstrndup(P, nm->start, (size_t)nm->len);
            e = a;
        } else {
            return e;
        }
    }
}

/* Binary operator priorities {left, right} (Lua's lparser.c). */
static const struct { uint8_t left, right; } priority[OP_BINARY_COUNT] = {
    /* ORDER binop */
    {5, 5}, {5, 5},                          /* + - */
    {6, 6}, {6, 6}, {6, 6}, {6, 6},          /* * / // % */
    {9, 8},                                  /* ** (right associative) */
    {6, 6},                                  /* @ */
    {3, 3}, {1, 1}, {2, 2}, {4, 4}, {4, 4},  /* & | ^ << >> */
};
#define UNARY_PRIORITY 7

static int binop_of(tok_type t)
{
    switch (t) {
    case T_PLUS: return OP_ADD;
    case T_MINUS: return OP_SUB;
    case T_STAR: return OP_MUL;
    case T_SLASH: return OP_DIV;
    case T_DSLASH: return OP_FLOORDIV;
    case T_PERCENT: return OP_MOD;
    case T_DSTAR: return OP_POW;
    case T_AT: return OP_MATMUL;
    case T_AMP: return OP_BITAND;
    case T_PIPE: return OP_BITOR;
    case T_CARET: return OP_BITXOR;
    case T_LSHIFT: return OP_LSHIFT;
    case T_RSHIFT: return OP_RSHIFT;
    default: return -1;
    }
}

/* subexpr -> (unop subexpr | primary) { binop subexpr }
 * where binop is any binary operator whose left priority > limit */
static node *subexpr(parser *P, int limit)
{
    enter(P);
    node *e;
    token *k = cur(P);
    if (k->type == T_MINUS || k->type == T_PLUS || k->type == T_TILDE) {
        advance(P);
        e = mk(P, E_UNARY, k);
        e->op = k->type == T_MINUS ? UOP_NEG : k->type == T_PLUS ? UOP_POS : UOP_INVERT;
        e->u.bin.a = subexpr(P, UNARY_PRIORITY);
        /* fold -NUMBER so that -9223372036854775808 and -1.5 are constants */
        node *a = e->u.bin.a;
        if (a->kind == E_CONST && a->op == 1 && e->op == UOP_NEG) {
            e = mk_const(P, k, lv_int(INT64_MIN));
        } else if (a->kind == E_CONST && e->op == UOP_NEG && (a->u.k.type == LV_INT || a->u.k.type == LV_FLOAT) &&
                   !(a->u.k.type == LV_INT && a->u.k.u.i == INT64_MIN)) {
            lang_value v = a->u.k.type == LV_INT ? lv_int(-a->u.k.u.i) : lv_float(-a->u.k.u.f);
            e = mk_const(P, k, v);
        }
    } else {
        e = parse_primary(P);
    }
    for (;;) {
        int op = binop_of(curt(P));
        if (op < 0 || priority[op].left <= limit) break;
        token *ok = advance(P);
        node *b = mk(P, E_BINARY, ok);
        b->op = (uint8_t)op;
        b->u.bin.a = e;
        b->u.bin.b = subexpr(P, priority[op].right);
        e = b;
    }
    leave(P);
    return e;
}

/* comparison -> subexpr (compop subexpr)*
 * compop -> '<' | '>' | '==' | '>=' | '<=' | '!=' | 'in' | 'not' 'in' | 'is' ['not'] */
static node *parse_comparison(parser *P)
{
    node *first = subexpr(P, 0);
    vec operands = {0};
    uint8_t ops[64];
    int nops = 0;
    token *at = NULL;
    for (;;) {
        int op;
        token *k = cur(P);
        switch (k->type) {
        case T_EQ: op = CMP_EQ; break;
        case T_NE: op = CMP_NE; break;
        case T_LT: op = CMP_LT; break;
        case T_LE: op = CMP_LE; break;
        case T_GT: op = CMP_GT; break;
        case T_GE: op = CMP_GE; break;
        case T_IN: op = CMP_IN; break;
        case T_NOT: if (peekt(P, 1) != T_IN) op = -1; else { advance(P); op = CMP_NOT_IN; } break;
        case T_IS: if (peekt(P, 1) == T_NOT) { advance(P); op = CMP_IS_NOT; } else op = CMP_IS; break;
        default: op = -1;
        }
        if (op < 0) break;
        if (!at) at = k;
        if (nops >= 63) p_fail(P, k->line, k->col, 0, "too many chained comparisons");
        advance(P);
        if (!operands.n) vpush(P, &operands, first);
        ops[nops++] = (uint8_t)op;
        vpush(P, &operands, subexpr(P, 0));
    }
    if (!nops) return first;
    node *n = mk(P, E_COMPARE, at);
    n->u.cmp.operands = (node **)operands.v;
    n->u.cmp.n = operands.n;
    n->u.cmp.ops = palloc(P, (size_t)nops);
    memcpy(n->u.cmp.ops, ops, (size_t)nops);
    return n;
}

/* not_test -> 'not' not_test | comparison */
static node *parse_not(parser *P)
{
    token *k = cur(P);
    if (k->type == T_NOT) {
        advance(P);
        enter(P);
        node *n = mk(P, E_NOT, k);
        n->u.bin.a = parse_not(P);
        leave(P);
        return n;
    }
    return parse_comparison(P);
}

/* and_test -> not_test ('and' not_test)* */
static node *parse_and(parser *P)
{
    node *e = parse_not(P);
    while (curt(P) == T_AND) {
        token *k = advance(P);
        node *n = mk(P, E_AND, k);
        n->u.bin.a = e;
        n->u.bin.b = parse_not(P);
        e = n;
    }
    return e;
}

/* or_test -> and_test ('or' and_test)* */
static node *parse_or(parser *P)
{
    node *e = parse_and(P);
    while (curt(P) == T_OR) {
        token *k = advance(P);
        node *n = mk(P, E_OR, k);
        n->u.bin.a = e;
        n->u.bin.b = parse_and(P);
        e = n;
    }
    return e;
}

static ast_func *parse_params(parser *P, tok_type close, const char *name, token *at);

/* test -> or_test ['if' or_test 'else' test] | 'lambda' params ':' test */
static node *parse_test(parser *P)
{
    token *k = cur(P);
    if (k->type == T_LAMBDA) {
        advance(P);
        enter(P);
        ast_func *f = parse_params(P, T_COLON, "<lambda>", k);
        expect(P, T_COLON, "':' after lambda parameters");
        node *body = parse_test(P);
        node *ret = mk(P, S_RETURN, k);
        ret->u.expr = body;
        f->body.s = palloc(P, sizeof(node *));
        f->body.s[0] = ret;
        f->body.n = 1;
        f->is_lambda = 1;
        node *n = mk(P, E_LAMBDA, k);
        n->u.func = f;
        leave(P);
        return n;
    }
    enter(P);
    node *e = parse_or(P);
    if (curt(P) == T_IF) {
        token *ik = advance(P);
        node *n = mk(P, E_IFEXP, ik);
        n->line = e->line;
        n->col = e->col;
        n->u.ifexp.a = e;
        n->u.ifexp.cond = parse_or(P);
        if (curt(P) != T_ELSE) unexpected(P, "'else' in a conditional expression");
        advance(P);
        n->u.ifexp.b = parse_test(P);
        e = n;
    }
    leave(P);
    return e;
}

/* testlist -> test (',' test)* [','] : a tuple when there is a comma */
static node *parse_testlist(parser *P)
{
    token *k = cur(P);
    node *first = parse_test(P);
    if (curt(P) != T_COMMA) return first;
    vec items = {0};
    vpush(P, &items, first);
    while (accept(P, T_COMMA)) {
        tok_type t = curt(P);
        if (t == T_NEWLINE || t == T_EOF || t == T_ASSIGN || t == T_SEMI || t == T_RPAREN ||
            t == T_COLON || (t >= T_PLUSEQ && t <= T_RSHIFTEQ))
            break;
        vpush(P, &items, parse_test(P));
    }
    node *n = mk(P, E_TUPLE, k);
    n->u.seq.items = (node **)items.v;
    n->u.seq.n = items.n;
    return n;
}

/* targets for 'for' and comprehensions: subexpr (',' subexpr)* [','],
 * stopping before `stop` ('in') */
static node *parse_target_list(parser *P, tok_type stop)
{
    token *k = cur(P);
    node *first = subexpr(P, 0);
    if (curt(P) != T_COMMA) return first;
    vec items = {0};
    vpush(P, &items, first);
    while (accept(P, T_COMMA)) {
        if (curt(P) == stop) break;
        vpush(P, &items, subexpr(P, 0));
    }
    node *n = mk(P, E_TUPLE, k);
    n->u.seq.items = (node **)items.v;
    n->u.seq.n = items.n;
    return n;
}

/* Checks that e can be assigned to (name, attribute, subscript, or a
 * tuple/list of those). */
static void check_target(parser *P, node *e, const char *what)
{
    switch (e->kind) {
    case E_NAME: case E_ATTR: case E_INDEX: return;
    case E_TUPLE: case E_LIST:
        if (e->u.seq.n == 0 && strcmp(what, "assign") != 0) break;
        for (int i = 0; i < e->u.seq.n; i++) check_target(P, e->u.seq.items[i], what);
        return;
    default: break;
    }
    const char *desc = e->kind == E_CONST ? "literal" : e->kind == E_CALL ? "function call" :
                       e->kind == E_BINARY || e->kind == E_UNARY ? "expression" :
                       e->kind == E_COMPARE ? "comparison" : "expression";
    p_fail(P, e->line - P->line_off + P->line_off, e->col, 0, "cannot %s to %s%s", what, desc,
           strcmp(what, "assign") == 0 && e->kind == E_COMPARE ? " (maybe you meant '==' instead of '='?)" : "");
}

/* ---- functions ------------------------------------------------------------------ */

/* params -> [param (',' param)*] [',']
 * param -> NAME ['=' test] | '*' [NAME] | '**' NAME */
static ast_func *parse_params(parser *P, tok_type close, const char *name, token *at)
{
    ast_func *f = palloc(P, sizeof *f);
    f->name = name;
    f->line = at->line + P->line_off;
    f->col = at->col;
    vec params = {0}, defs = {0}, kwo = {0}, kwod = {0};
    int star = 0;
    const char *sig_start = cur(P)->start;
    while (curt(P) != close) {
        token *k = cur(P);
        if (k->type == T_DSTAR) {
            advance(P);
            token *nm = expect(P, T_NAME, "a parameter name after '**'");
            f->kwarg = pstrndup(P, nm->start, (size_t)nm->len);
            accept(P, T_COMMA);
            if (curt(P) != close) unexpected(P, "end of parameters after **kwargs");
            break;
        }
        if (k->type == T_STAR) {
            advance(P);
            if (star) p_fail(P, k->line, k->col, 0, "* argument may appear only once");
            star = 1;
            if (curt(P) == T_NAME) {
                token *nm = advance(P);
                f->vararg = pstrndup(P, nm->start, (size_t)nm->len);
            }
        } else {
            token *nm = expect(P, T_NAME, "a parameter name");
            const char *pn = pstrndup(P, nm->start, (size_t)nm->len);
            for (int i = 0; i < params.n; i++)
                if (strcmp(params.v[i], pn) == 0)
                    p_fail(P, nm->line, nm->col, 0, "duplicate argument '%s' in function definition", pn);
            node *d = NULL;
            if (accept(P, T_ASSIGN)) d = parse_test(P);
            if (star) {
                vpush(P, &kwo, (void *)pn);
                vpush(P, &kwod, d);
            } else {
                if (!d && defs.n) p_fail(P, nm->line, nm->col, 0, "parameter without a default follows parameter with a default");
                vpush(P, &params, (void *)pn);
                if (d) vpush(P, &defs, d);
            }
        }
        if (!accept(P, T_COMMA)) break;
    }
    const char *sig_end = cur(P)->start;
    f->params = (const char **)params.v;
    f->nparams = params.n;
    f->defaults = (node **)defs.v;
    f->ndefaults = defs.n;
    f->kwonly = (const char **)kwo.v;
    f->kwonly_defaults = (node **)kwod.v;
    f->nkwonly = kwo.n;
    /* signature text as written, whitespace collapsed */
    size_t sl = (size_t)(sig_end - sig_start);
    char *sig = palloc(P, strlen(name) + sl + 3);
    size_t o = 0;
    o += (size_t)sprintf(sig, "%s(", name);
    int sp = 0;
    for (size_t i = 0; i < sl; i++) {
        char c = sig_start[i];
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ' || c == '\\') { sp = 1; continue; }
        if (sp && o > strlen(name) + 1 && sig[o - 1] != '(') sig[o++] = ' ';
        sp = 0;
        sig[o++] = c;
    }
    while (o > 0 && sig[o - 1] == ',') o--;
    sig[o++] = ')';
    sig[o] = 0;
    f->signature = sig;
    return f;
}

/* funcdef -> 'def' NAME '(' params ')' ['->' test] block */
static node *parse_def(parser *P)
{
    token *kw = advance(P);
    token *nm = expect(P, T_NAME, "a function name after 'def'");
    token *open = expect(P, T_LPAREN, "'(' after the function name");
    ast_func *f = parse_params(P, T_RPAREN, pstrndup(P, nm->start, (size_t)nm->len), kw);
    expect_close(P, T_RPAREN, open);
    if (accept(P, T_ARROW)) (void)parse_test(P);
    parse_block(P, &f->body, "function definition", kw);
    if (f->body.n && f->body.s[0]->kind == S_EXPR && f->body.s[0]->u.expr->kind == E_CONST &&
        f->body.s[0]->u.expr->u.k.type == LV_STR)
        f->doc = lv_str_cstr(f->body.s[0]->u.expr->u.k);
    node *n = mk(P, S_DEF, kw);
    n->u.func = f;
    return n;
}

/* classdef -> 'class' NAME ['(' [test] ')'] block
 * The body is parsed as a function without parameters (is_class): it runs
 * once and its local names become the class's attributes. */
static node *parse_class(parser *P)
{
    token *kw = advance(P);
    token *nm = expect(P, T_NAME, "a class name after 'class'");
    node *n = mk(P, S_CLASS, kw);
    if (curt(P) == T_LPAREN) {
        token *open = advance(P);
        if (curt(P) != T_RPAREN) {
            n->u.cls.base = parse_test(P);
            if (accept(P, T_COMMA) && curt(P) != T_RPAREN)
                p_fail(P, cur(P)->line, cur(P)->col, 0, "C-GPU classes have one base class (multiple inheritance is not supported)");
        }
        expect_close(P, T_RPAREN, open);
    }
    ast_func *f = palloc(P, sizeof *f);
    f->name = pstrndup(P, nm->start, (size_t)nm->len);
    f->line = kw->line + P->line_off;
    f->col = kw->col;
    f->is_class = 1;
    f->signature = f->name;
    f->params = NULL;
    parse_block(P, &f->body, "class definition", kw);
    if (f->body.n && f->body.s[0]->kind == S_EXPR && f->body.s[0]->u.expr->kind == E_CONST &&
        f->body.s[0]->u.expr->u.k.type == LV_STR)
        f->doc = lv_str_cstr(f->body.s[0]->u.expr->u.k);
    n->u.cls.body = f;
    return n;
}

/* try_stmt -> 'try' block (except_clause block)+ ['else' block] ['finally' block]
 *           | 'try' block 'finally' block
 * except_clause -> 'except' [test ['as' NAME]] */
static node *parse_try(parser *P)
{
    token *kw = advance(P);
    node *n = mk(P, S_TRY, kw);
    parse_block(P, &n->u.try_.body, "'try' statement", kw);
    vec hs = {0};
    int bare_seen = 0;
    while (curt(P) == T_EXCEPT) {
        token *ek = advance(P);
        if (bare_seen) p_fail(P, ek->line, ek->col, 0, "default 'except:' must be last");
        except_clause *h = palloc(P, sizeof *h);
        h->line = ek->line;
        h->col = ek->col;
        if (curt(P) != T_COLON) {
            h->type = parse_test(P);
            if (accept(P, T_COMMA)) {
                /* except A, B: -> Python 3 wants parentheses */
                p_fail(P, cur(P)->line, cur(P)->col, 0, "multiple exception types must be parenthesized");
            }
            if (accept(P, T_AS)) {
                token *nm = expect(P, T_NAME, "a name after 'as'");
                node *t = mk(P, E_NAME, nm);
                t->u.name.id = pstrndup(P, nm->start, (size_t)nm->len);
                h->name = t;
            }
        } else {
            bare_seen = 1;
        }
        parse_block(P, &h->body, "'except' statement", ek);
        vpush(P, &hs, h);
    }
    n->u.try_.nhandlers = hs.n;
    n->u.try_.handlers = palloc(P, sizeof(except_clause) * (size_t)(hs.n ? hs.n : 1));
    for (int i = 0; i < hs.n; i++) n->u.try_.handlers[i] = *(except_clause *)hs.v[i];
    if (curt(P) == T_ELSE) {
        token *ek = advance(P);
        if (!hs.n) p_fail(P, ek->line, ek->col, 0, "invalid syntax: 'else' after 'try' needs an 'except' clause");
        parse_block(P, &n->u.try_.orelse, "'else' statement", ek);
    }
    if (curt(P) == T_FINALLY) {
        token *fk = advance(P);
        parse_block(P, &n->u.try_.finalbody, "'finally' statement", fk);
    } else if (!hs.n) {
        token *t = cur(P);
        p_fail(P, t->line, t->col, at_end(P), "expected 'except' or 'finally' block");
    }
    return n;
}

/* decorated -> ('@' test NEWLINE)+ (funcdef | classdef) */
static node *parse_decorated(parser *P)
{
    vec decos = {0};
    while (curt(P) == T_AT) {
        advance(P);
        vpush(P, &decos, parse_test(P));
        token *t = cur(P);
        if (t->type != T_NEWLINE) unexpected(P, "end of line after the decorator");
        advance(P);
    }
    node *n;
    if (curt(P) == T_DEF) n = parse_def(P);
    else if (curt(P) == T_CLASS) n = parse_class(P);
    else { unexpected(P, "'def' or 'class' after a decorator"); }
    ast_func *f = n->kind == S_DEF ? n->u.func : n->u.cls.body;
    f->decorators = (node **)decos.v;
    f->ndecorators = decos.n;
    return n;
}

/* ---- statements -------------------------------------------------------------------- */

static int augop_of(tok_type t)
{
    switch (t) {
    case T_PLUSEQ: return OP_ADD;
    case T_MINUSEQ: return OP_SUB;
    case T_STAREQ: return OP_MUL;
    case T_SLASHEQ: return OP_DIV;
    case T_DSLASHEQ: return OP_FLOORDIV;
    case T_PERCENTEQ: return OP_MOD;
    case T_DSTAREQ: return OP_POW;
    case T_ATEQ: return OP_MATMUL;
    case T_AMPEQ: return OP_BITAND;
    case T_PIPEEQ: return OP_BITOR;
    case T_CARETEQ: return OP_BITXOR;
    case T_LSHIFTEQ: return OP_LSHIFT;
    case T_RSHIFTEQ: return OP_RSHIFT;
    default: return -1;
    }
}

static node *parse_magic(parser *P, token *k, int cell_level);

/* dotted_name -> NAME ('.' NAME)* ; returned as one string "a.b.c" */
static const char *parse_dotted(parser *P)
{
    token *first = expect(P, T_NAME, "a module name");
    char buf[256];
    size_t len = (size_t)snprintf(buf, sizeof buf, "%.*s", first->len, first->start);
    while (curt(P) == T_DOT && peekt(P, 1) == T_NAME) {   /* "a . b" is "a.b" too */
        advance(P);
        token *t = cur(P);
        advance(P);
        if (len < sizeof buf) len += (size_t)snprintf(buf + len, sizeof buf - len, ".%.*s", t->len, t->start);
    }
    if (len >= sizeof buf) p_fail(P, first->line, first->col, 0, "module name too long");
    return pstrndup(P, buf, len);
}

static node *name_target(parser *P, token *at, const char *id)
{
    node *t = mk(P, E_NAME, at);
    t->u.name.id = id;
    return t;
}

/* import_stmt -> 'import' dotted_name ['as' NAME] (',' dotted_name ['as' NAME])*
 *              | 'from' dotted_name 'import' ('(' names [','] ')' | names | '*')
 * names -> NAME ['as' NAME] (',' NAME ['as' NAME])*
 * `import a.b` binds a; `import a.b as c` binds c to a.b; `from a import b
 * as c` binds c to a.b. Each item is one (module, name, target). */
static node *parse_import(parser *P, token *k)
{
    advance(P);
    node *n = mk(P, S_IMPORT, k);
    vec mods = {0}, names = {0}, targets = {0};
    if (k->type == T_IMPORT) {
        do {
            token *at = cur(P);
            const char *m = parse_dotted(P);
            /* names[i] NULL: bind the top module to its own name; "": bind
             * the module itself to the 'as' name */
            const char *bind, *name = NULL;
            if (accept(P, T_AS)) {
                token *b = expect(P, T_NAME, "a name");
                bind = pstrndup(P, b->start, (size_t)b->len);
                name = "";
            } else {
                bind = pstrndup(P, m, strcspn(m, "."));
            }
            vpush(P, &mods, (void *)m);
            vpush(P, &names, (void *)name);
            vpush(P, &targets, name_target(P, at, bind));
        } while (accept(P, T_COMMA));
    } else {
        n->op = 1;
        const char *m = parse_dotted(P);
        expect(P, T_IMPORT, "'import'");
        if (curt(P) == T_STAR)
            p_fail(P, cur(P)->line, cur(P)->col, 0, "'from %s import *' is not supported: import the names you use", m);
        token *open = cur(P);
        int paren = accept(P, T_LPAREN);
        do {
            if (paren && curt(P) == T_RPAREN) break;
            token *at = expect(P, T_NAME, "a name");
            const char *nm = pstrndup(P, at->start, (size_t)at->len), *bind = nm;
            if (accept(P, T_AS)) { token *b = expect(P, T_NAME, "a name"); bind = pstrndup(P, b->start, (size_t)b->len); }
            vpush(P, &mods, (void *)m);
            vpush(P, &names, (void *)nm);
            vpush(P, &targets, name_target(P, at, bind));
        } while (accept(P, T_COMMA));
        if (paren) expect_close(P, T_RPAREN, open);
    }
    n->u.import.modules = (const char **)mods.v;
    n->u.import.names = (const char **)names.v;
    n->u.import.targets = (node **)targets.v;
    n->u.import.n = mods.n;
    return n;
}

/* small_stmt -> expr_stmt | 'pass' | 'break' | 'continue' | 'return' [testlist]
 *             | 'del' targets | 'assert' test [',' test] | 'global' NAME (',' NAME)*
 *             | 'nonlocal' NAME (',' NAME)* | 'import' ... | 'from' ... 'import' ...
 * expr_stmt -> testlist ('=' testlist)* | target augop testlist */
static node *parse_small_stmt(parser *P)
{
    token *k = cur(P);
    switch (k->type) {
    case T_PASS: advance(P); return mk(P, S_PASS, k);
    case T_BREAK: advance(P); return mk(P, S_BREAK, k);
    case T_CONTINUE: advance(P); return mk(P, S_CONTINUE, k);
    case T_RETURN: {
        advance(P);
        node *n = mk(P, S_RETURN, k);
        if (curt(P) != T_NEWLINE && curt(P) != T_SEMI && curt(P) != T_EOF) n->u.expr = parse_testlist(P);
        return n;
    }
    case T_DEL: {
        advance(P);
        node *t = parse_testlist(P);
        node *n = mk(P, S_DEL, k);
        if (t->kind == E_TUPLE) { n->u.del.targets = t->u.seq.items; n->u.del.n = t->u.seq.n; }
        else { n->u.del.targets = palloc(P, sizeof(node *)); n->u.del.targets[0] = t; n->u.del.n = 1; }
        for (int i = 0; i < n->u.del.n; i++) check_target(P, n->u.del.targets[i], "delete");
        return n;
    }
    case T_ASSERT: {
        advance(P);
        node *n = mk(P, S_ASSERT, k);
        n->u.assert_.cond = parse_test(P);
        if (accept(P, T_COMMA)) n->u.assert_.msg = parse_test(P);
        return n;
    }
    case T_GLOBAL: case T_NONLOCAL: {
        advance(P);
        vec names = {0};
        do {
            token *nm = expect(P, T_NAME, "a name");
            vpush(P, &names, pstrndup(P, nm->start, (size_t)nm->len));
        } while (accept(P, T_COMMA));
        node *n = mk(P, S_GLOBAL, k);
        n->op = k->type == T_NONLOCAL;
        n->u.global.names = (const char **)names.v;
        n->u.global.n = names.n;
        return n;
    }
    case T_IMPORT: case T_FROM: {
        node *n = parse_import(P, k);
        return n;
    }
    case T_RAISE: {
        advance(P);
        node *n = mk(P, S_RAISE, k);
        if (curt(P) != T_NEWLINE && curt(P) != T_SEMI && curt(P) != T_EOF) {
            n->u.raise.exc = parse_test(P);
            if (accept(P, T_FROM)) n->u.raise.cause = parse_test(P);
        }
        return n;
    }
    case T_EXCEPT: case T_FINALLY:
        p_fail(P, k->line, k->col, 0, "invalid syntax: '%.*s' without a matching 'try'", k->len, k->start);
    case T_CLASS: case T_TRY:
        p_fail(P, k->line, k->col, 0, "invalid syntax: '%.*s' must start its own line", k->len, k->start);
    case T_YIELD:
        p_fail(P, k->line, k->col, 0, "'%.*s' is not supported in C-GPU", k->len, k->start);
    case T_MAGIC:
        advance(P);
        return parse_magic(P, k, 0);
    default: break;
    }
    node *first = parse_testlist(P);
    token *op = cur(P);
    int aug = augop_of(op->type);
    if (aug >= 0) {
        if (first->kind != E_NAME && first->kind != E_ATTR && first->kind != E_INDEX)
            p_fail(P, op->line, op->col, 0, "'%s' is an illegal expression for augmented assignment",
                   first->kind == E_TUPLE ? "tuple" : first->kind == E_CONST ? "literal" : "expression");
        advance(P);
        node *n = mk(P, S_AUGASSIGN, op);
        n->op = (uint8_t)aug;
        n->u.aug.target = first;
        n->u.aug.value = parse_testlist(P);
        return n;
    }
    if (op->type == T_ASSIGN) {
        vec targets = {0};
        node *value = first;
        while (accept(P, T_ASSIGN)) {
            check_target(P, value, "assign");
            vpush(P, &targets, value);
            value = parse_testlist(P);
        }
        node *n = mk(P, S_ASSIGN, op);
        n->u.assign.targets = (node **)targets.v;
        n->u.assign.ntargets = targets.n;
        n->u.assign.value = value;
        return n;
    }
    if (op->type == T_COLON && first->kind == E_NAME)
        p_fail(P, op->line, op->col, 0, "variable annotations are not supported");
    node *n = mk(P, S_EXPR, k);
    n->line = first->line;
    n->col = first->col;
    n->u.expr = first;
    return n;
}

/* simple_stmt -> small_stmt (';' small_stmt)* [';'] NEWLINE */
static void parse_simple(parser *P, vec *out)
{
    for (;;) {
        vpush(P, out, parse_small_stmt(P));
        if (!accept(P, T_SEMI)) break;
        if (curt(P) == T_NEWLINE || curt(P) == T_EOF) break;
    }
    if (curt(P) == T_EOF) return;
    if (curt(P) != T_NEWLINE) unexpected(P, "end of line");
    advance(P);
}

/* block -> ':' simple_stmt | ':' NEWLINE INDENT stmt+ DEDENT */
static void parse_block(parser *P, block *b, const char *after, token *kw)
{
    token *c = cur(P);
    if (c->type != T_COLON) {
        if (c->type == T_NEWLINE || c->type == T_EOF)
            p_fail(P, c->line, c->col, 0, "expected ':'");
        unexpected(P, "':'");
    }
    advance(P);
    enter(P);
    vec stmts = {0};
    if (curt(P) == T_NEWLINE) {
        advance(P);
        if (curt(P) != T_INDENT) {
            token *t = cur(P);
            p_fail(P, t->line, t->col, at_end(P), "expected an indented block after %s on line %d",
                   after, kw->line + P->line_off);
        }
        advance(P);
        while (curt(P) != T_DEDENT && curt(P) != T_EOF) parse_stmt(P, &stmts);
        accept(P, T_DEDENT);
    } else if (curt(P) == T_EOF) {
        p_fail(P, c->line, c->col, 1, "expected an indented block after %s on line %d", after, kw->line + P->line_off);
    } else {
        parse_simple(P, &stmts);
    }
    b->s = (node **)stmts.v;
    b->n = stmts.n;
    leave(P);
}

/* if_stmt -> 'if' test block ('elif' test block)* ['else' block] */
static node *parse_if(parser *P)
{
    token *kw = advance(P);
    node *n = mk(P, S_IF, kw);
    n->u.cond.cond = parse_test(P);
    parse_block(P, &n->u.cond.body, kw->type == T_IF ? "'if' statement" : "'elif' statement", kw);
    if (curt(P) == T_ELIF) {
        node *e = parse_if(P);
        n->u.cond.orelse.s = palloc(P, sizeof(node *));
        n->u.cond.orelse.s[0] = e;
        n->u.cond.orelse.n = 1;
    } else if (curt(P) == T_ELSE) {
        token *ek = advance(P);
        parse_block(P, &n->u.cond.orelse, "'else' statement", ek);
    }
    return n;
}

/* with_stmt -> 'with' test ['as' target] (',' test ['as' target])* block */
static node *parse_with(parser *P)
{
    token *kw = advance(P);
    node *n = mk(P, S_WITH, kw);
    vec items = {0}, targets = {0};
    do {
        vpush(P, &items, parse_test(P));
        node *t = NULL;
        if (accept(P, T_AS)) {
            t = subexpr(P, 0);
            check_target(P, t, "assign");
        }
        vpush(P, &targets, t);
    } while (accept(P, T_COMMA));
    n->u.with.items = (node **)items.v;
    n->u.with.targets = (node **)targets.v;
    n->u.with.n = items.n;
    parse_block(P, &n->u.with.body, "'with' statement", kw);
    return n;
}

/* stmt -> if_stmt | while_stmt | for_stmt | funcdef | with_stmt | simple_stmt
 * while_stmt -> 'while' test block ['else' block]
 * for_stmt -> 'for' targets 'in' testlist block ['else' block] */
static void parse_stmt(parser *P, vec *out)
{
    token *k = cur(P);
    switch (k->type) {
    case T_IF: vpush(P, out, parse_if(P)); return;
    case T_WHILE: {
        advance(P);
        node *n = mk(P, S_WHILE, k);
        n->u.cond.cond = parse_test(P);
        parse_block(P, &n->u.cond.body, "'while' statement", k);
        if (curt(P) == T_ELSE) { token *ek = advance(P); parse_block(P, &n->u.cond.orelse, "'else' statement", ek); }
        vpush(P, out, n);
        return;
    }
    case T_FOR: {
        advance(P);
        node *n = mk(P, S_FOR, k);
        n->u.loop.target = parse_target_list(P, T_IN);
        check_target(P, n->u.loop.target, "assign");
        expect(P, T_IN, "'in'");
        n->u.loop.iter = parse_testlist(P);
        parse_block(P, &n->u.loop.body, "'for' statement", k);
        if (curt(P) == T_ELSE) { token *ek = advance(P); parse_block(P, &n->u.loop.orelse, "'else' statement", ek); }
        vpush(P, out, n);
        return;
    }
    case T_DEF: vpush(P, out, parse_def(P)); return;
    case T_WITH: vpush(P, out, parse_with(P)); return;
    case T_CLASS: vpush(P, out, parse_class(P)); return;
    case T_TRY: vpush(P, out, parse_try(P)); return;
    case T_AT: vpush(P, out, parse_decorated(P)); return;
    case T_INDENT: p_fail(P, k->line, k->col, 0, "unexpected indent");
    case T_ELSE: case T_ELIF:
        p_fail(P, k->line, k->col, 0, "invalid syntax: '%.*s' without a matching 'if'", k->len, k->start);
    default: parse_simple(P, out); return;
    }
}

/* ---- magics ------------------------------------------------------------------------- */

static int sub_parse(parser *P, const char *text, int line, int col, int expr_only, vec *stmts, node **expr);

/* magic -> '%time' stmt | '%%time' NEWLINE cell | '%who' | '%reset' ['-f'] */
static node *parse_magic(parser *P, token *k, int cell_level)
{
    const char *t = k->v.str.s;
    int cell = t[0] == '%';
    if (cell) t++;
    size_t wl = 0;
    while (t[wl] && t[wl] != ' ' && t[wl] != '\t') wl++;
    const char *arg = t + wl;
    while (*arg == ' ' || *arg == '\t') arg++;
    if (cell) {
        if (!cell_level || wl != 4 || strncmp(t, "time", 4) != 0)
            p_fail(P, k->line, k->col, 0, cell_level ? "unknown cell magic %%%%%.*s (C-GPU knows %%%%time)"
                                                     : "cell magic %%%%%.*s must be on the first line of the cell",
                   (int)wl, t);
        return NULL; /* handled by parse_cell */
    }
    if (wl == 4 && strncmp(t, "time", 4) == 0) {
        node *n = mk(P, S_TIME, k);
        if (!*arg) p_fail(P, k->line, k->col, 0, "%%time needs a statement (for example: %%time x = f())");
        vec stmts = {0};
        sub_parse(P, arg, k->line, k->col + (int)(arg - k->v.str.s) + 1, 0, &stmts, NULL);
        n->u.time.body.s = (node **)stmts.v;
        n->u.time.body.n = stmts.n;
        return n;
    }
    if (wl == 3 && strncmp(t, "who", 3) == 0) {
        node *n = mk(P, S_MAGIC, k);
        n->op = MAGIC_WHO;
        return n;
    }
    if (wl == 5 && strncmp(t, "reset", 5) == 0) {
        node *n = mk(P, S_MAGIC, k);
        n->op = MAGIC_RESET;
        n->u.magic.arg = pstrndup(P, arg, strlen(arg));
        return n;
    }
    if (wl == 10 && strncmp(t, "matplotlib", 10) == 0) {
        node *n = mk(P, S_MAGIC, k);
        n->op = MAGIC_MATPLOTLIB;
        n->u.magic.arg = pstrndup(P, arg, strlen(arg));
        return n;
    }
    p_fail(P, k->line, k->col, 0, "unknown magic %%%.*s (C-GPU knows %%time, %%%%time, %%who, %%reset -f, %%matplotlib inline)", (int)wl, t);
}

/* Parses `text` (a piece of the cell: a magic's statement or an f-string
 * field) with positions shifted to where it sits in the cell. */
static int sub_parse(parser *P, const char *text, int line, int col, int expr_only, vec *stmts, node **expr)
{
    lex_result lr;
    if (lex_tokenize(P->A, text, &lr) < 0)
        p_fail(P, line + lr.err_line - 1, lr.err_line == 1 ? col + lr.err_col : lr.err_col, 0, "%s", lr.err);
    for (int i = 0; i < lr.n; i++) {
        if (lr.toks[i].line == 1) lr.toks[i].col += col;
        lr.toks[i].line += line - 1;
    }
    parser Q = *P;
    Q.t = lr.toks;
    Q.n = lr.n;
    Q.pos = 0;
    Q.line_off = 0;
    /* errors inside jump to Q.jb: forward them */
    if (setjmp(Q.jb)) longjmp(P->jb, 1);
    if (expr_only) {
        *expr = parse_testlist(&Q);
        accept(&Q, T_NEWLINE);
        if (curt(&Q) != T_EOF) unexpected(&Q, "'}'");
    } else {
        while (curt(&Q) != T_EOF) parse_stmt(&Q, stmts);
    }
    return 0;
}

/* ---- f-strings ---------------------------------------------------------------------- */

/* fstring -> (literal | '{' testlist ['='] ['!' conv] [':' spec] '}')*
 * spec is itself an f-string body (nested fields allowed). */
static node *parse_fstring(parser *P, token *k, const char *s, size_t n, int raw, int line, int col)
{
    vec parts = {0};
    size_t i = 0;
    while (i < n) {
        /* literal run */
        char *lit = palloc(P, n - i + 1);
        size_t ll = 0;
        size_t run_start = i;
        while (i < n) {
            if (s[i] == '{' && i + 1 < n && s[i + 1] == '{') { lit[ll++] = '{'; i += 2; continue; }
            if (s[i] == '}' && i + 1 < n && s[i + 1] == '}') { lit[ll++] = '}'; i += 2; continue; }
            if (s[i] == '{') break;
            if (s[i] == '}') p_fail(P, k->line, k->col, 0, "f-string: single '}' is not allowed");
            lit[ll++] = s[i++];
        }
        (void)run_start;
        if (ll) {
            fpart *fp = palloc(P, sizeof *fp);
            if (raw) { fp->lit = lit; fp->litlen = ll; }
            else fp->lit = lex_decode(P->A, lit, ll, &fp->litlen);
            if (!fp->lit) p_fail(P, k->line, k->col, 0, "out of memory");
            vpush(P, &parts, fp);
        }
        if (i >= n) break;
        /* a field: find the end of the expression */
        size_t e0 = ++i;
        int depth = 0;
        char q = 0;
        while (i < n) {
            char c = s[i];
            if (q) { if (c == q) q = 0; i++; continue; }
            if (c == '\'' || c == '"') { q = c; i++; continue; }
            if (c == '(' || c == '[' || c == '{') depth++;
            else if (c == ')' || c == ']' || (c == '}' && depth > 0)) depth--;
            else if (depth == 0 && (c == '}' || c == ':' || (c == '!' && i + 1 < n && s[i + 1] != '='))) break;
            i++;
        }
        if (i >= n) p_fail(P, k->line, k->col, 0, "f-string: expecting '}'");
        size_t e1 = i;
        int debug = 0;
        /* f"{x=}" prints "x=" and the repr */
        size_t t1 = e1;
        while (t1 > e0 && (s[t1 - 1] == ' ')) t1--;
        if (t1 > e0 && s[t1 - 1] == '=' && (t1 < e0 + 2 || (s[t1 - 2] != '=' && s[t1 - 2] != '!' &&
                                                              s[t1 - 2] != '<' && s[t1 - 2] != '>'))) {
            debug = 1;
            t1--;
        }
        /* leading blanks would read as indentation: the expression starts after them */
        size_t x0 = e0;
        while (x0 < t1 && (s[x0] == ' ' || s[x0] == '\t' || s[x0] == '\n')) x0++;
        char *etext = pstrndup(P, s + x0, t1 - x0);
        int only_space = 1;
        for (char *c = etext; *c; c++) if (*c != ' ' && *c != '\t' && *c != '\n') only_space = 0;
        if (only_space) p_fail(P, k->line, k->col, 0, "f-string: empty expression not allowed");
        fpart *fp = palloc(P, sizeof *fp);
        int fcol = line == k->line ? col + 2 + (int)x0 : 0;
        sub_parse(P, etext, line, fcol, 1, NULL, &fp->expr);
        if (debug) {
            fpart *dl = palloc(P, sizeof *dl);
            dl->lit = pstrndup(P, s + e0, e1 - e0);
            dl->litlen = e1 - e0;
            vpush(P, &parts, dl);
            fp->conv = 'r';
        }
        if (s[i] == '!') {
            if (i + 2 >= n || (s[i + 1] != 'r' && s[i + 1] != 's' && s[i + 1] != 'a'))
                p_fail(P, k->line, k->col, 0, "f-string: invalid conversion character: expected 's', 'r', or 'a'");
            fp->conv = s[i + 1];
            i += 2;
        }
        if (i < n && s[i] == ':') {
            size_t sp0 = ++i;
            int d = 0;
            while (i < n && !(s[i] == '}' && d == 0)) {
                if (s[i] == '{') d++;
                else if (s[i] == '}') d--;
                i++;
            }
            if (i >= n) p_fail(P, k->line, k->col, 0, "f-string: expecting '}'");
            if (fp->conv == 'r' && debug) fp->conv = 0; /* f"{x=:.2f}" formats the value */
            fp->spec = parse_fstring(P, k, s + sp0, i - sp0, 1, line, col);
        }
        if (i >= n || s[i] != '}') p_fail(P, k->line, k->col, 0, "f-string: expecting '}'");
        i++;
        vpush(P, &parts, fp);
    }
    node *f = mk(P, E_FSTRING, k);
    f->u.fstr.n = parts.n;
    f->u.fstr.parts = palloc(P, (size_t)parts.n * sizeof(fpart) + 1);
    for (int j = 0; j < parts.n; j++) f->u.fstr.parts[j] = *(fpart *)parts.v[j];
    return f;
}

/* ---- entry points ---------------------------------------------------------------------- */

static ast_func *new_top(parser *P)
{
    ast_func *f = palloc(P, sizeof *f);
    f->name = "<module>";
    f->signature = "<module>";
    return f;
}

/* Tokenizes src and sets P up over the tokens; -1 with out's error fields
 * set when the lexer fails. (The caller does the setjmp: it must live in
 * the frame that parses.) */
static int parser_begin(parser *P, lang_arena *A, const char *src, parse_result *out)
{
    memset(out, 0, sizeof *out);
    lex_result lr;
    if (lex_tokenize(A, src, &lr) < 0) {
        out->err_line = lr.err_line;
        out->err_col = lr.err_col;
        out->incomplete = lr.incomplete;
        snprintf(out->err, sizeof out->err, "%s", lr.err);
        return -1;
    }
    memset(P, 0, sizeof *P);
    P->A = A;
    P->src = src;
    P->t = lr.toks;
    P->n = lr.n;
    P->out = out;
    return 0;
}

/* cell -> ['%%time' NEWLINE] stmt* EOF */
int parse_cell(lang_arena *A, const char *src, parse_result *out)
{
    parser P;
    if (parser_begin(&P, A, src, out) < 0) return -1;
    if (setjmp(P.jb)) return -1;
    ast_func *top = new_top(&P);
    vec stmts = {0};
    if (curt(&P) == T_MAGIC && P.t[0].v.str.s[0] == '%') {
        token *k = advance(&P);
        parse_magic(&P, k, 1);
        accept(&P, T_NEWLINE);
        node *n = mk(&P, S_TIME, k);
        vec body = {0};
        while (curt(&P) != T_EOF) parse_stmt(&P, &body);
        n->u.time.body.s = (node **)body.v;
        n->u.time.body.n = body.n;
        vpush(&P, &stmts, n);
    } else {
        while (curt(&P) != T_EOF) {
            if (curt(&P) == T_DEDENT) { advance(&P); continue; }
            parse_stmt(&P, &stmts);
        }
    }
    top->body.s = (node **)stmts.v;
    top->body.n = stmts.n;
    out->top = top;
    return 0;
}

int parse_expression(lang_arena *A, const char *src, parse_result *out)
{
    parser P;
    if (parser_begin(&P, A, src, out) < 0) return -1;
    if (setjmp(P.jb)) return -1;
    ast_func *top = new_top(&P);
    if (curt(&P) == T_EOF) p_fail(&P, 1, 0, 0, "empty expression");
    node *e = parse_testlist(&P);
    accept(&P, T_NEWLINE);
    if (curt(&P) != T_EOF) unexpected(&P, "end of expression");
    node *s = mk(&P, S_EXPR, &P.t[0]);
    s->u.expr = e;
    top->body.s = palloc(&P, sizeof(node *));
    top->body.s[0] = s;
    top->body.n = 1;
    out->top = top;
    return 0;
}
