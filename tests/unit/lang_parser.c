/* lang_parser.c — the parser: precedence and associativity, statement
 * forms, f-strings, magics, and syntax errors with their line, column and
 * "incomplete" flag. The tree is checked through a small S-expression dump. */
#include "test.h"
#include "ast.h"

static lang_arena *A;
static char out[8192];

static void put(const char *s) { strncat(out, s, sizeof out - strlen(out) - 1); }

static void dump(node *e);
static void dump_block(block *b)
{
    for (int i = 0; i < b->n; i++) { if (i) put(" "); dump(b->s[i]); }
}

static void dump(node *e)
{
    char buf[128];
    if (!e) { put("_"); return; }
    switch (e->kind) {
    case E_CONST:
        if (e->u.k.type == LV_INT) snprintf(buf, sizeof buf, "%lld", (long long)e->u.k.u.i);
        else if (e->u.k.type == LV_FLOAT) snprintf(buf, sizeof buf, "%g", e->u.k.u.f);
        else if (e->u.k.type == LV_STR) snprintf(buf, sizeof buf, "'%s'", lv_str_cstr(e->u.k));
        else if (e->u.k.type == LV_NONE) snprintf(buf, sizeof buf, "None");
        else snprintf(buf, sizeof buf, "%s", e->u.k.u.b ? "True" : "False");
        put(buf);
        return;
    case E_NAME: put(e->u.name.id); return;
    case E_BINARY: put("("); put(binop_symbol(e->op)); put(" "); dump(e->u.bin.a); put(" "); dump(e->u.bin.b); put(")"); return;
    case E_UNARY: put(e->op == UOP_NEG ? "(neg " : e->op == UOP_POS ? "(pos " : "(inv "); dump(e->u.bin.a); put(")"); return;
    case E_NOT: put("(not "); dump(e->u.bin.a); put(")"); return;
    case E_AND: case E_OR: put(e->kind == E_AND ? "(and " : "(or "); dump(e->u.bin.a); put(" "); dump(e->u.bin.b); put(")"); return;
    case E_COMPARE: {
        static const char *ops[] = { "==", "!=", "<", "<=", ">", ">=", "in", "not-in", "is", "is-not" };
        put("(cmp ");
        dump(e->u.cmp.operands[0]);
        for (int i = 1; i < e->u.cmp.n; i++) { put(" "); put(ops[e->u.cmp.ops[i - 1]]); put(" "); dump(e->u.cmp.operands[i]); }
        put(")");
        return;
    }
    case E_IFEXP: put("(if "); dump(e->u.ifexp.cond); put(" "); dump(e->u.ifexp.a); put(" "); dump(e->u.ifexp.b); put(")"); return;
    case E_CALL:
        put("(call "); dump(e->u.call.fn);
        for (int i = 0; i < e->u.call.nargs; i++) { put(" "); dump(e->u.call.args[i]); }
        for (int i = 0; i < e->u.call.nkw; i++) { put(" "); put(e->u.call.kwnames[i] ? e->u.call.kwnames[i] : "**"); put("="); dump(e->u.call.kwargs[i]); }
        put(")");
        return;
    case E_ATTR: put("(. "); dump(e->u.attr.obj); put(" "); put(e->u.attr.name); put(")"); return;
    case E_INDEX: put("(idx "); dump(e->u.index.obj); put(" "); dump(e->u.index.index); put(")"); return;
    case E_SLICE: put("(slice "); dump(e->u.slice.lo); put(" "); dump(e->u.slice.hi); put(" "); dump(e->u.slice.step); put(")"); return;
    case E_TUPLE: case E_LIST:
        put(e->kind == E_TUPLE ? "(tuple" : "(list");
        for (int i = 0; i < e->u.seq.n; i++) { put(" "); dump(e->u.seq.items[i]); }
        put(")");
        return;
    case E_DICT:
        put("(dict");
        for (int i = 0; i < e->u.seq.n; i++) { put(" "); dump(e->u.seq.items[i]); put(":"); dump(e->u.seq.values[i]); }
        put(")");
        return;
    case E_STARRED: put("*"); dump(e->u.bin.a); return;
    case E_LAMBDA: put("(lambda "); put(e->u.func->signature); put(" "); dump_block(&e->u.func->body); put(")"); return;
    case E_LISTCOMP: case E_DICTCOMP:
        put(e->kind == E_LISTCOMP ? "(listcomp " : "(dictcomp ");
        dump(e->u.comp.elt);
        if (e->u.comp.val) { put(":"); dump(e->u.comp.val); }
        for (int i = 0; i < e->u.comp.ngens; i++) {
            put(" for "); dump(e->u.comp.gens[i].target); put(" in "); dump(e->u.comp.gens[i].iter);
            for (int j = 0; j < e->u.comp.gens[i].nconds; j++) { put(" if "); dump(e->u.comp.gens[i].conds[j]); }
        }
        put(")");
        return;
    case E_FSTRING:
        put("(f");
        for (int i = 0; i < e->u.fstr.n; i++) {
            fpart *p = &e->u.fstr.parts[i];
            put(" ");
            if (!p->expr) { put("'"); put(p->lit); put("'"); continue; }
            put("{"); dump(p->expr);
            if (p->conv) { char c[3] = { '!', p->conv, 0 }; put(c); }
            if (p->spec) { put(":"); dump(p->spec); }
            put("}");
        }
        put(")");
        return;
    case S_EXPR: dump(e->u.expr); return;
    case S_ASSIGN:
        put("(= ");
        for (int i = 0; i < e->u.assign.ntargets; i++) { dump(e->u.assign.targets[i]); put(" "); }
        dump(e->u.assign.value); put(")");
        return;
    case S_AUGASSIGN: put("("); put(binop_symbol(e->op)); put("= "); dump(e->u.aug.target); put(" "); dump(e->u.aug.value); put(")"); return;
    case S_IF: case S_WHILE:
        put(e->kind == S_IF ? "(if " : "(while "); dump(e->u.cond.cond); put(" ["); dump_block(&e->u.cond.body); put("]");
        if (e->u.cond.orelse.n) { put(" else ["); dump_block(&e->u.cond.orelse); put("]"); }
        put(")");
        return;
    case S_FOR:
        put("(for "); dump(e->u.loop.target); put(" "); dump(e->u.loop.iter); put(" ["); dump_block(&e->u.loop.body); put("])");
        return;
    case S_DEF: put("(def "); put(e->u.func->signature); put(" ["); dump_block(&e->u.func->body); put("])"); return;
    case S_RETURN: put("(return "); dump(e->u.expr); put(")"); return;
    case S_BREAK: put("break"); return;
    case S_CONTINUE: put("continue"); return;
    case S_PASS: put("pass"); return;
    case S_WITH: put("(with "); dump(e->u.with.items[0]); put(" "); dump(e->u.with.targets[0]); put(" ["); dump_block(&e->u.with.body); put("])"); return;
    case S_DEL: put("(del "); dump(e->u.del.targets[0]); put(")"); return;
    case S_ASSERT: put("(assert "); dump(e->u.assert_.cond); put(" "); dump(e->u.assert_.msg); put(")"); return;
    case S_GLOBAL: put(e->op ? "(nonlocal " : "(global "); put(e->u.global.names[0]); put(")"); return;
    case S_IMPORT:
        put(e->op ? "(from" : "(import");
        for (int i = 0; i < e->u.import.n; i++) {
            put(" ");
            put(e->u.import.modules[i]);
            if (e->u.import.names[i] && *e->u.import.names[i]) { put("."); put(e->u.import.names[i]); }
            put(" as ");
            put(e->u.import.targets[i]->u.name.id);
        }
        put(")");
        return;
    case S_TIME: put("(time ["); dump_block(&e->u.time.body); put("])"); return;
    case S_MAGIC: put(e->op == MAGIC_WHO ? "(who)" : e->op == MAGIC_RESET ? "(reset)" : "(matplotlib)"); return;
    case S_CLASS:
        put("(class "); put(e->u.cls.body->name); put(" "); dump(e->u.cls.base); put(" ["); dump_block(&e->u.cls.body->body); put("])");
        return;
    case S_TRY:
        put("(try ["); dump_block(&e->u.try_.body); put("]");
        for (int i = 0; i < e->u.try_.nhandlers; i++) {
            except_clause *h = &e->u.try_.handlers[i];
            put(" except "); dump(h->type); put(" "); dump(h->name); put(" ["); dump_block(&h->body); put("]");
        }
        if (e->u.try_.orelse.n) { put(" else ["); dump_block(&e->u.try_.orelse); put("]"); }
        if (e->u.try_.finalbody.n) { put(" finally ["); dump_block(&e->u.try_.finalbody); put("]"); }
        put(")");
        return;
    case S_RAISE: put("(raise "); dump(e->u.raise.exc); put(" "); dump(e->u.raise.cause); put(")"); return;
    default: put("?"); return;
    }
}

static parse_result pr;

static const char *P(const char *src)
{
    out[0] = 0;
    if (parse_cell(A, src, &pr) < 0) { snprintf(out, sizeof out, "ERROR %d:%d%s %s", pr.err_line, pr.err_col, pr.incomplete ? " (incomplete)" : "", pr.err); return out; }
    dump_block(&pr.top->body);
    return out;
}

static const char *PE(const char *src)
{
    out[0] = 0;
    if (parse_expression(A, src, &pr) < 0) { snprintf(out, sizeof out, "ERROR %s", pr.err); return out; }
    dump_block(&pr.top->body);
    return out;
}

TEST(precedence)
{
    CHECK_STR(P("1 + 2 * 3"), "(+ 1 (* 2 3))");
    CHECK_STR(P("(1 + 2) * 3"), "(* (+ 1 2) 3)");
    CHECK_STR(P("1 - 2 - 3"), "(- (- 1 2) 3)");
    CHECK_STR(P("2 ** 3 ** 2"), "(** 2 (** 3 2))");
    CHECK_STR(P("-2 ** 2"), "(neg (** 2 2))");
    CHECK_STR(P("-x * y"), "(* (neg x) y)");
    CHECK_STR(P("2 ** -1"), "(** 2 -1)");
    CHECK_STR(P("a @ b + c"), "(+ (@ a b) c)");
    CHECK_STR(P("a | b & c ^ d"), "(| a (^ (& b c) d))");
    CHECK_STR(P("a << 1 + 2"), "(<< a (+ 1 2))");
    CHECK_STR(P("not a == b"), "(not (cmp a == b))");
    CHECK_STR(P("a or b and not c"), "(or a (and b (not c)))");
    CHECK_STR(P("x if c else y if d else z"), "(if c x (if d y z))");
    CHECK_STR(P("1 < x <= 10 != y"), "(cmp 1 < x <= 10 != y)");
    CHECK_STR(P("a not in b is not c"), "(cmp a not-in b is-not c)");
    CHECK_STR(P("-5"), "-5");
    CHECK_STR(P("-9223372036854775808"), "-9223372036854775808");
}

TEST(primaries)
{
    CHECK_STR(P("f(1, x=2)(3).a.b[0]"), "(idx (. (. (call (call f 1 x=2) 3) a) b) 0)");
    CHECK_STR(P("a[1:3]"), "(idx a (slice 1 3 _))");
    CHECK_STR(P("a[::-1]"), "(idx a (slice _ _ -1))");
    CHECK_STR(P("a[:, 0]"), "(idx a (tuple (slice _ _ _) 0))");
    CHECK_STR(P("f(*xs, **kw)"), "(call f *xs **=kw)");
    CHECK_STR(P("sum(x for x in y)"), "(call sum (listcomp x for x in y))");
    CHECK_STR(P("[x * 2 for x in xs if x > 0]"), "(listcomp (* x 2) for x in xs if (cmp x > 0))");
    CHECK_STR(P("{k: v for k, v in d}"), "(dictcomp k:v for (tuple k v) in d)");
    CHECK_STR(P("(1,)"), "(tuple 1)");
    CHECK_STR(P("()"), "(tuple)");
    CHECK_STR(P("[]"), "(list)");
    CHECK_STR(P("{}"), "(dict)");
    CHECK_STR(P("{'a': 1, 2: [3]}"), "(dict 'a':1 2:(list 3))");
    CHECK_STR(P("lambda x, y=2: x + y"), "(lambda <lambda>(x, y=2) (return (+ x y)))");
    CHECK_STR(P("'a' 'b' \"c\""), "'abc'");
}

TEST(fstrings)
{
    CHECK_STR(P("f'x={x:.2f}!'"), "(f 'x=' {x:(f '.2f')} '!')");
    CHECK_STR(P("f'{a!r} {{b}}'"), "(f {a!r} ' {b}')");
    CHECK_STR(P("f'{v:{w}.2f}'"), "(f {v:(f {w} '.2f')})");
    CHECK_STR(P("f'{x=}'"), "(f 'x=' {x!r})");
    CHECK_STR(P("f'{d[\"k\"] + 1}'"), "(f {(+ (idx d 'k') 1)})");
    CHECK_STR(P("f'{}'"), "ERROR 1:0 f-string: empty expression not allowed");
    CHECK_STR(P("f'{x'"), "ERROR 1:0 f-string: expecting '}'");
    CHECK_STR(P("f'a}'"), "ERROR 1:0 f-string: single '}' is not allowed");
}

TEST(classes_and_exceptions)
{
    CHECK_STR(P("class A(B):\n    x = 1\n    def f(self): pass\n"), "(class A B [(= x 1) (def f(self) [pass])])");
    CHECK_STR(P("class A: pass"), "(class A _ [pass])");
    CHECK_STR(P("try:\n  a\nexcept (E, F) as e:\n  b\nexcept:\n  c\nelse:\n  d\nfinally:\n  f\n"),
              "(try [a] except (tuple E F) e [b] except _ _ [c] else [d] finally [f])");
    CHECK_STR(P("raise"), "(raise _ _)");
    CHECK_STR(P("raise E('m') from x"), "(raise (call E 'm') x)");
    CHECK_STR(P("@staticmethod\ndef f(): pass\n"), "(def f() [pass])");
}

TEST(statements)
{
    CHECK_STR(P("a = b = 1"), "(= a b 1)");
    CHECK_STR(P("a, b = b, a"), "(= (tuple a b) (tuple b a))");
    CHECK_STR(P("x[0] += 1"), "(+= (idx x 0) 1)");
    CHECK_STR(P("a @= b"), "(@= a b)");
    CHECK_STR(P("if a:\n    b\nelif c:\n    d\nelse:\n    e\n"), "(if a [b] else [(if c [d] else [e])])");
    CHECK_STR(P("while x: x -= 1"), "(while x [(-= x 1)])");
    CHECK_STR(P("for i, v in enumerate(xs):\n    pass\n"), "(for (tuple i v) (call enumerate xs) [pass])");
    CHECK_STR(P("def f(a, b=2, *args, c, d=4, **kw):\n    return a\n"), "(def f(a, b=2, *args, c, d=4, **kw) [(return a)])");
    CHECK_STR(P("with device('GPU:1') as d:\n    x = 1\n"), "(with (call device 'GPU:1') d [(= x 1)])");
    CHECK_STR(P("del a[0]"), "(del (idx a 0))");
    CHECK_STR(P("assert x, 'msg'"), "(assert x 'msg')");
    CHECK_STR(P("global g"), "(global g)");
    CHECK_STR(P("nonlocal n"), "(nonlocal n)");
    CHECK_STR(P("import numpy as np"), "(import numpy as np)");
    CHECK_STR(P("import os.path, tensorflow.keras"), "(import os.path as os tensorflow.keras as tensorflow)");
    CHECK_STR(P("from a.b import c"), "(from a.b.c as c)");
    CHECK_STR(P("from a import (b as c,\n d,)"), "(from a.b as c a.d as d)");
    CHECK_STR(P("a = 1; b = 2;"), "(= a 1) (= b 2)");
    CHECK_STR(P("return"), "(return _)");
}

TEST(magics)
{
    CHECK_STR(P("%time x = f()"), "(time [(= x (call f))])");
    CHECK_STR(P("%%time\nx = 1\ny\n"), "(time [(= x 1) y])");
    CHECK_STR(P("%who"), "(who)");
    CHECK_STR(P("%reset -f"), "(reset)");
    CHECK_STR(P("%foo"), "ERROR 1:0 unknown magic %foo (C-GPU knows %time, %%time, %who, %reset -f, %matplotlib inline)");
}

TEST(syntax_errors_name_line_and_token)
{
    CHECK_STR(P("f(1, 2\n  3)"), "ERROR 2:2 ')' expected (to close '(' at line 1)");
    CHECK_STR(P("x = (1 +"), "ERROR 1:4 (incomplete) '(' was never closed");
    CHECK_STR(P("if x\n    y\n"), "ERROR 1:4 expected ':'");
    CHECK_STR(P("if x:\n"), "ERROR 2:0 (incomplete) expected an indented block after 'if' statement on line 1");
    CHECK_STR(P("def f():\nreturn 1\n"), "ERROR 2:0 expected an indented block after function definition on line 1");
    CHECK_STR(P("1 = x"), "ERROR 1:0 cannot assign to literal");
    CHECK_STR(P("f() = 1"), "ERROR 1:0 cannot assign to function call");
    CHECK_STR(P("x = = 1"), "ERROR 1:4 invalid syntax: an expression expected, got token '='");
    CHECK_STR(P("x = 1 2"), "ERROR 1:6 invalid syntax: end of line expected, got number '2'");
    CHECK_STR(P("else:\n  pass\n"), "ERROR 1:0 invalid syntax: 'else' without a matching 'if'");
    CHECK_STR(P("  x = 1\n"), "ERROR 1:2 unexpected indent");
    CHECK_STR(P("yield 1"), "ERROR 1:0 'yield' is not supported in C-GPU");
    CHECK_STR(P("try:\n  pass\nx = 1\n"), "ERROR 3:0 expected 'except' or 'finally' block");
    CHECK_STR(P("try:\n  pass\nexcept:\n  pass\nexcept E:\n  pass\n"), "ERROR 5:0 default 'except:' must be last");
    CHECK_STR(P("except E:\n  pass\n"), "ERROR 1:0 invalid syntax: 'except' without a matching 'try'");
    CHECK_STR(P("class A(B, C): pass"), "ERROR 1:11 C-GPU classes have one base class (multiple inheritance is not supported)");
    CHECK_STR(P("@deco\nx = 1\n"), "ERROR 2:0 invalid syntax: 'def' or 'class' after a decorator expected, got name 'x'");
    CHECK_STR(P("{1, 2}"), "ERROR 1:2 set literals are not supported (use a list, or a dict {key: value})");
    CHECK_STR(P("def f(a=1, b):\n  pass\n"), "ERROR 1:11 parameter without a default follows parameter with a default");
    CHECK_STR(P("f(x=1, 2)"), "ERROR 1:7 positional argument follows keyword argument");
    CHECK_STR(P("f(x=1, x=2)"), "ERROR 1:7 keyword argument repeated: x");
    CHECK_STR(P("x +"), "ERROR 1:3 invalid syntax: an expression expected, got end of line");
}

TEST(deep_nesting_is_an_error)
{
    char src[2000];
    /* 160 nested lists (the lexer allows 200 brackets, the parser 150 levels) */
    int n = 0;
    for (int i = 0; i < 160; i++) src[n++] = '[';
    for (int i = 0; i < 160; i++) src[n++] = ']';
    src[n] = 0;
    CHECK(strstr(P(src), "too many nested expressions") != NULL);
    /* a long flat expression is fine */
    n = 0;
    for (int i = 0; i < 300; i++) { src[n++] = '1'; src[n++] = '+'; }
    src[n++] = '1';
    src[n] = 0;
    CHECK(strncmp(P(src), "ERROR", 5) != 0);
}

TEST(expression_mode)
{
    CHECK_STR(PE("a + 1"), "(+ a 1)");
    CHECK_STR(PE("a, b"), "(tuple a b)");
    CHECK_STR(PE("x = 1"), "ERROR invalid syntax: end of expression expected, got token '='");
    CHECK_STR(PE(""), "ERROR empty expression");
}

TEST(positions_are_recorded)
{
    CHECK(parse_cell(A, "x = 1\ny = foo(2) + bar\n", &pr) == 0);
    node *s = pr.top->body.s[1];
    node *plus = s->u.assign.value;
    CHECK(plus->kind == E_BINARY && plus->line == 2 && plus->col == 11);
    node *call = plus->u.bin.a;
    CHECK(call->kind == E_CALL && call->line == 2 && call->col == 4);
}

int main(void)
{
    A = arena_new("");
    RUN(precedence);
    RUN(primaries);
    RUN(fstrings);
    RUN(statements);
    RUN(classes_and_exceptions);
    RUN(magics);
    RUN(syntax_errors_name_line_and_token);
    RUN(deep_nesting_is_an_error);
    RUN(expression_mode);
    RUN(positions_are_recorded);
    arena_release(A);
    return test_summary();
}
