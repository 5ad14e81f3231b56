/* ast.h — the syntax tree. Every node lives in a cell's arena (arena.h) and
 * is owned by it; constants (E_CONST values) are kept alive by the arena.
 * Names are resolved to storage (global slot, local slot, cell, free
 * variable) by resolve.c before the tree runs.
 */
#ifndef CGPU_LANG_AST_H
#define CGPU_LANG_AST_H

#include <stdint.h>
#include "arena.h"
#include "value.h"

/* ORDER node_kind */
typedef enum {
    /* expressions */
    E_CONST, E_NAME, E_FSTRING, E_LIST, E_TUPLE, E_DICT, E_UNARY, E_BINARY, E_COMPARE,
    E_AND, E_OR, E_NOT, E_IFEXP, E_CALL, E_ATTR, E_INDEX, E_SLICE, E_LAMBDA,
    E_LISTCOMP, E_DICTCOMP, E_STARRED,
    /* statements */
    S_EXPR, S_ASSIGN, S_AUGASSIGN, S_IF, S_WHILE, S_FOR, S_BREAK, S_CONTINUE, S_PASS,
    S_DEF, S_RETURN, S_WITH, S_DEL, S_ASSERT, S_GLOBAL, S_IMPORT, S_TIME, S_MAGIC,
    S_CLASS, S_TRY, S_RAISE,
    NODE_KIND_COUNT
} node_kind;

/* Binary operators (E_BINARY, S_AUGASSIGN). ORDER binop: keep binop_names
 * (parse.c) in step. */
typedef enum {
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_FLOORDIV, OP_MOD, OP_POW, OP_MATMUL,
    OP_BITAND, OP_BITOR, OP_BITXOR, OP_LSHIFT, OP_RSHIFT,
    OP_BINARY_COUNT
} binop;
const char *binop_symbol(binop op); /* "+" ... */

typedef enum { UOP_NEG, UOP_POS, UOP_INVERT } unop;

/* Comparison operators (E_COMPARE). */
typedef enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_IN, CMP_NOT_IN, CMP_IS, CMP_IS_NOT } cmpop;

/* Where a name lives (filled by resolve.c). */
typedef enum { NAME_UNRESOLVED, NAME_GLOBAL, NAME_LOCAL, NAME_CELL, NAME_FREE } name_scope;

typedef enum { MAGIC_WHO, MAGIC_RESET, MAGIC_MATPLOTLIB } magic_kind;

typedef struct node node;
typedef struct { node **s; int n; } block;

typedef struct {              /* one f-string piece: literal text or a field */
    const char *lit;          /* literal (decoded) when expr == NULL */
    size_t      litlen;
    node       *expr;
    char        conv;         /* 0, 'r', 's', 'a' */
    node       *spec;         /* E_FSTRING or NULL */
} fpart;

typedef struct {              /* "for target in iter if cond..." in a comprehension */
    node  *target;
    node  *iter;
    node **conds;
    int    nconds;
} comp_gen;

typedef struct {              /* one 'except [type [as name]]:' clause of a try */
    node *type;               /* NULL: a bare except */
    node *name;               /* E_NAME bound to the exception, or NULL */
    block body;
    int   line, col;
} except_clause;

typedef struct {              /* variable captured from an enclosing scope */
    const char *name;
    int from_free;            /* 1: the enclosing function's free[index]; 0: its cell slot */
    int index;
} freevar;

/* A function (def or lambda) or the top level of a cell ("<module>"). */
typedef struct ast_func {
    const char *name;         /* "<lambda>" for lambdas */
    int         line, col;
    /* parameters: slots 0..nparams-1 positional (the last ndefaults have
     * defaults), then *vararg, then keyword-only, then **kwarg */
    const char **params;
    int         nparams;
    node      **defaults;     /* ndefaults expressions for the last params */
    int         ndefaults;
    const char *vararg;       /* NULL if none */
    const char **kwonly;
    node      **kwonly_defaults; /* NULL entry: required */
    int         nkwonly;
    const char *kwarg;        /* NULL if none */
    block       body;
    int         is_lambda;
    const char *doc;          /* docstring or NULL */
    const char *signature;    /* "f(a, b=2, *args)" for help/inspect */
    node      **decorators;   /* @expr lines above a def or class, outermost first */
    int         ndecorators;
    int         is_class;     /* the body of a class statement: its names are not
                                 visible to the functions defined in it */
    /* filled by resolve.c: */
    struct node *bind;        /* S_DEF: the E_NAME the def assigns to */
    int         nlocals;      /* frame slots (params first) */
    uint8_t    *is_cell;      /* nlocals flags: slot holds an lv_cellobj */
    freevar    *free;
    int         nfree;
    const char **localnames;  /* nlocals names (for messages) */
} ast_func;

struct node {
    uint8_t kind;             /* node_kind */
    uint8_t op;               /* binop / unop / magic_kind / aug op; E_CALL: 1 when it has *args */
    int     line, col;        /* 1-based line, 0-based byte column in the cell */
    union {
        lang_value k;                                            /* E_CONST */
        struct { const char *id; uint8_t scope; int slot; } name; /* E_NAME */
        struct { fpart *parts; int n; } fstr;                    /* E_FSTRING */
        struct { node **items; node **values; int n; } seq;      /* E_LIST/E_TUPLE/E_DICT(items=keys) */
        struct { node *a, *b; } bin;                             /* E_UNARY(a), E_BINARY, E_AND, E_OR, E_NOT(a), E_STARRED(a) */
        struct { node **operands; uint8_t *ops; int n; } cmp;    /* E_COMPARE: n operands, n-1 ops */
        struct { node *cond, *a, *b; } ifexp;                    /* E_IFEXP: a if cond else b */
        struct {
            node *fn;
            node **args; int nargs;                              /* may contain E_STARRED */
            const char **kwnames; node **kwargs; int nkw;        /* kwnames[i] NULL: **expr */
        } call;
        struct {                                                 /* E_ATTR */
            node *obj;
            const char *name;
            const void *cache_tab;                               /* method table last seen here */
            const void *cache_m;                                 /* and the method found in it */
        } attr;
        struct { node *obj; node *index; } index;                /* E_INDEX */
        struct { node *lo, *hi, *step; } slice;                  /* E_SLICE (NULLs when absent) */
        ast_func *func;                                          /* E_LAMBDA, S_DEF */
        struct { node *elt, *val; comp_gen *gens; int ngens; } comp; /* E_LISTCOMP, E_DICTCOMP(elt=key) */

        node *expr;                                              /* S_EXPR, S_RETURN (NULL: None) */
        struct { node **targets; int ntargets; node *value; } assign; /* S_ASSIGN: t1 = t2 = value */
        struct { node *target; node *value; } aug;               /* S_AUGASSIGN (op) */
        struct { node *cond; block body, orelse; } cond;         /* S_IF, S_WHILE */
        struct { node *target, *iter; block body, orelse; } loop; /* S_FOR */
        struct { node **items; node **targets; int n; block body; } with; /* S_WITH */
        struct { node **targets; int n; } del;                   /* S_DEL */
        struct { node *cond, *msg; } assert_;                    /* S_ASSERT */
        struct { const char **names; int n; } global;            /* S_GLOBAL */
        struct {                                                 /* S_IMPORT (op 1: 'from' form) */
            const char **modules;  /* dotted module path of each item */
            const char **names;    /* 'from': the imported name; else NULL (bind
                                    * the top module) or "" (bind the module, 'as') */
            node **targets;        /* E_NAME each item binds */
            int n;
        } import;
        struct { block body; } time;                             /* S_TIME */
        struct { const char *arg; } magic;                       /* S_MAGIC */
        struct { node *base; ast_func *body; } cls;              /* S_CLASS: body->name is the class name */
        struct {                                                 /* S_TRY */
            block body;
            except_clause *handlers; int nhandlers;
            block orelse, finalbody;
        } try_;
        struct { node *exc, *cause; } raise;                     /* S_RAISE: exc NULL re-raises */
    } u;
};

/* A parsed cell. */
typedef struct {
    ast_func   *top;          /* "<module>": body = the cell's statements */
    /* syntax error: */
    int         err_line, err_col;
    char        err[256];
    int         incomplete;   /* the error is "more input needed" (is_complete) */
} parse_result;

/* Parses a whole cell (magics included). 0, or -1 with the error in *out. */
int parse_cell(lang_arena *A, const char *src, parse_result *out);
/* Parses one expression (lang_eval_expression). */
int parse_expression(lang_arena *A, const char *src, parse_result *out);

/* resolve.c: resolves names of a parsed cell (allocated in A) against the
 * global slot table. Returns 0, or -1 with a SyntaxError message in pr. */
struct lang_state;
int resolve_cell(struct lang_state *L, lang_arena *A, parse_result *pr);

#endif
