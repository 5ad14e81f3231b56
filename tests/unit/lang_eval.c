/* lang_eval.c — the interpreter through lang.h and builtins.h: results and
 * MIME bundles, tracebacks (positions, frames, colours), interrupts,
 * completion, inspection, is_complete, eval_expression, the binding API
 * (custom functions and classes, displays, hooks) and robustness on
 * random input. */
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include "test.h"
#include "lang.h"
#include "builtins.h"

typedef struct {
    char out[65536];
    int  ndisplay, nupdate;
    char display_text[8][256];
    char display_id[8][64];
    const char *input_answer;   /* NULL: input not allowed */
} sink;

static void on_stream(void *ctx, const char *name, const char *text, size_t len)
{
    sink *s = ctx;
    size_t have = strlen(s->out);
    if (have + len >= sizeof s->out) len = sizeof s->out - have - 1;
    memcpy(s->out + have, text, len);
    s->out[have + len] = 0;
}

static void on_display(void *ctx, const lang_bundle *b, const char *id, int update)
{
    sink *s = ctx;
    if (update) s->nupdate++;
    if (s->ndisplay >= 8) return;
    int k = s->ndisplay++;
    snprintf(s->display_id[k], sizeof s->display_id[k], "%s", id ? id : "");
    for (int i = 0; i < b->n; i++)
        if (strcmp(b->mime[i], "text/plain") == 0) snprintf(s->display_text[k], sizeof s->display_text[k], "%s", b->data[i]);
}

static int on_input(void *ctx, const char *prompt, int password, char **value)
{
    sink *s = ctx;
    if (!s->input_answer) { *value = strdup("stdin is not allowed"); return -1; }
    *value = strdup(s->input_answer);
    return 0;
}

static sink S;
static lang_result R;

static lang_status run(lang_state *L, const char *code)
{
    lang_result_clear(&R);
    const char *ans = S.input_answer;
    memset(&S, 0, sizeof S);
    S.input_answer = ans;
    lang_output out = { &S, on_stream, on_display, NULL, on_input };
    return lang_execute(L, code, &out, 0, &R);
}

static const char *plain(const lang_result *r)
{
    for (int i = 0; i < r->value.n; i++) if (strcmp(r->value.mime[i], "text/plain") == 0) return r->value.data[i];
    return NULL;
}

static const char *mime(const lang_result *r, const char *m)
{
    for (int i = 0; i < r->value.n; i++) if (strcmp(r->value.mime[i], m) == 0) return r->value.data[i];
    return NULL;
}

/* the traceback joined with newlines */
static const char *tb_text(void)
{
    static char buf[65536];
    buf[0] = 0;
    for (int i = 0; i < R.ntraceback; i++) {
        strncat(buf, R.traceback[i], sizeof buf - strlen(buf) - 2);
        strcat(buf, "\n");
    }
    return buf;
}

TEST(result_and_stdout)
{
    lang_state *L = lang_new();
    CHECK(run(L, "print('hi')\nx = 6\nx * 7") == LANG_OK);
    CHECK_STR(S.out, "hi\n");
    CHECK_STR(plain(&R), "42");
    CHECK(R.value.n == 1);
    /* silent: no result, stdout still delivered */
    lang_result_clear(&R);
    memset(&S, 0, sizeof S);
    lang_output out = { &S, on_stream, on_display, NULL, NULL };
    CHECK(lang_execute(L, "print(1)\nx", &out, 1, &R) == LANG_OK);
    CHECK(R.value.n == 0);
    CHECK_STR(S.out, "1\n");
    /* None is not a result; a statement is not a result */
    CHECK(run(L, "None") == LANG_OK && R.value.n == 0);
    CHECK(run(L, "y = 3") == LANG_OK && R.value.n == 0);
    lang_free(L);
}

TEST(arrays_have_html)
{
    lang_state *L = lang_new();
    CHECK(run(L, "array([[1, 2], [3, 4]])") == LANG_OK);
    CHECK_STR(plain(&R), "array([[1., 2.],\n       [3., 4.]], dtype=float32)");
    CHECK(mime(&R, "text/html") != NULL && strstr(mime(&R, "text/html"), "<table") != NULL);
    lang_free(L);
}

TEST(traceback_shape_and_colours)
{
    lang_state *L = lang_new();
    CHECK(run(L, "x = 1") == LANG_OK);
    CHECK(run(L, "def f(n):\n    return g(n)\ndef g(n):\n    return n + undefined\nf(1)") == LANG_ERROR);
    CHECK_STR(R.ename, "NameError");
    CHECK_STR(R.evalue, "name 'undefined' is not defined");
    CHECK(R.ntraceback == 6);
    const char *t = tb_text();
    /* header, then frames outermost first, in cell 2 */
    CHECK(strstr(R.traceback[1], "NameError") && strstr(R.traceback[1], "Traceback (most recent call last)"));
    CHECK(strstr(R.traceback[2], "In[2], line 5") != NULL);
    CHECK(strstr(R.traceback[3], "In[2], line 2") && strstr(R.traceback[3], "in \x1b[0;36mf"));
    CHECK(strstr(R.traceback[4], "In[2], line 4") && strstr(R.traceback[4], "in \x1b[0;36mg"));
    CHECK(strstr(R.traceback[4], "----> 4\x1b[0m     return n + undefined") != NULL);
    /* the caret sits under the name that failed: prefix "----> 4 " is 8 wide, column 15 */
    CHECK(strstr(R.traceback[4], "\n                       \x1b[1;31m^") != NULL);
    CHECK_STR(R.traceback[5], "\x1b[0;31mNameError\x1b[0m: name 'undefined' is not defined");
    CHECK(strstr(t, "\x1b[0;31m---") == t);
    lang_free(L);
}

TEST(syntax_error_traceback)
{
    lang_state *L = lang_new();
    CHECK(run(L, "x = (1,\n     2") == LANG_ERROR);
    CHECK_STR(R.ename, "SyntaxError");
    CHECK_STR(R.evalue, "'(' was never closed");
    CHECK(R.ntraceback == 2);
    CHECK(strstr(R.traceback[0], "In[1], line 1") != NULL);
    CHECK(strstr(R.traceback[0], "\n    x = (1,\n        \x1b[1;31m^") != NULL);
    CHECK_STR(R.traceback[1], "\x1b[0;31mSyntaxError\x1b[0m: '(' was never closed");
    lang_free(L);
}

TEST(recursion_traceback_is_collapsed)
{
    lang_state *L = lang_new();
    CHECK(run(L, "def f(n):\n    return f(n + 1)\nf(0)") == LANG_ERROR);
    CHECK_STR(R.ename, "RecursionError");
    CHECK(R.ntraceback < 10);
    CHECK(strstr(tb_text(), "[... skipping similar frames: f at line 2 (") != NULL);
    /* the interpreter is fine afterwards */
    CHECK(run(L, "f") == LANG_OK);
    lang_free(L);
}

TEST(errors_keep_earlier_bindings)
{
    lang_state *L = lang_new();
    CHECK(run(L, "a = 1\nb = [1]\nb.append(2)\nc = 1 / 0\nd = 4") == LANG_ERROR);
    CHECK_STR(R.ename, "ZeroDivisionError");
    CHECK(run(L, "(a, b)") == LANG_OK);
    CHECK_STR(plain(&R), "(1, [1, 2])");
    CHECK(run(L, "d") == LANG_ERROR);
    CHECK_STR(R.ename, "NameError");
    lang_free(L);
}

typedef struct { lang_state *L; int delay_ms; } intr_arg;

static void *interrupter(void *p)
{
    intr_arg *a = p;
    usleep((useconds_t)a->delay_ms * 1000);
    lang_interrupt(a->L);
    return NULL;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

TEST(interrupt_stops_loops_and_calls)
{
    lang_state *L = lang_new();
    const char *cells[] = {
        "while True:\n    pass",
        "n = 0\nwhile True:\n    n += 1",
        "def spin():\n    while True:\n        pass\nspin()",
        "xs = [x for x in range(10**12)]",
        "for i in range(10**15):\n    pass",
        "def f(k):\n    return k + 1\nwhile True:\n    f(1)",
        /* a bare except or except Exception does not swallow the interrupt */
        "while True:\n    try:\n        pass\n    except:\n        pass",
        "while True:\n    try:\n        x = 1\n    except Exception:\n        pass\n    finally:\n        pass",
        "class C:\n    def m(self):\n        while True:\n            try:\n                pass\n            except:\n                pass\nC().m()",
    };
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
        intr_arg a = { L, 50 };
        pthread_t th;
        pthread_create(&th, NULL, interrupter, &a);
        double t0 = now();
        lang_status st = run(L, cells[i]);
        pthread_join(th, NULL);
        CHECK(st == LANG_ERROR);
        CHECK_STR(R.ename, "KeyboardInterrupt");
        CHECK(now() - t0 < 5.0);
        /* the next cell runs normally: the flag is cleared */
        CHECK(run(L, "1 + 1") == LANG_OK);
        CHECK_STR(plain(&R), "2");
    }
    /* the host clears a stale interrupt before it announces a cell... */
    lang_interrupt(L);
    lang_clear_interrupt(L);
    CHECK(run(L, "sum(range(100000))") == LANG_OK);
    /* ...and one that arrives after the announcement, before the cell's
     * first step, is not lost: it stops the cell and is consumed */
    lang_interrupt(L);
    CHECK(run(L, "while True:\n    pass") == LANG_ERROR);
    CHECK_STR(R.ename, "KeyboardInterrupt");
    CHECK(*lang_interrupt_flag(L) == 0);
    CHECK(run(L, "1 + 1") == LANG_OK);
    lang_free(L);
}

TEST(eval_expression)
{
    lang_state *L = lang_new();
    CHECK(run(L, "x = [1, 2]") == LANG_OK);
    lang_result r;
    CHECK(lang_eval_expression(L, "len(x) * 10", &r) == LANG_OK);
    CHECK(r.value.n == 1 && strcmp(r.value.data[0], "20") == 0);
    lang_result_clear(&r);
    CHECK(lang_eval_expression(L, "x.nope", &r) == LANG_ERROR);
    CHECK_STR(r.ename, "AttributeError");
    lang_result_clear(&r);
    CHECK(lang_eval_expression(L, "y = 1", &r) == LANG_ERROR);
    CHECK_STR(r.ename, "SyntaxError");
    lang_result_clear(&r);
    /* print does not reach any output */
    CHECK(lang_eval_expression(L, "print('side effect')", &r) == LANG_OK);
    CHECK_STR(r.value.data[0], "None");
    lang_result_clear(&r);
    lang_free(L);
}

static int has_match(const lang_completion *c, const char *m)
{
    for (int i = 0; i < c->n; i++) if (strcmp(c->matches[i], m) == 0) return 1;
    return 0;
}

TEST(completion)
{
    lang_state *L = lang_new();
    CHECK(run(L, "my_value = array([1, 2])\nmy_list = [1]\nwords = 'x'") == LANG_OK);
    lang_completion c;
    lang_complete(L, "my_", 3, &c);
    CHECK(c.n == 2 && has_match(&c, "my_value") && has_match(&c, "my_list"));
    CHECK(c.cursor_start == 0 && c.cursor_end == 3);
    lang_completion_clear(&c);
    lang_complete(L, "x = lin", 7, &c);
    CHECK(has_match(&c, "linspace") && has_match(&c, "list_physical_devices") == 0);
    CHECK(c.cursor_start == 4);
    lang_completion_clear(&c);
    lang_complete(L, "wh", 2, &c);
    CHECK(has_match(&c, "while") && has_match(&c, "where"));
    lang_completion_clear(&c);
    /* after a dot: attributes and methods of the value */
    lang_complete(L, "my_value.s", 10, &c);
    CHECK(has_match(&c, "shape") && has_match(&c, "sum") && has_match(&c, "size") && has_match(&c, "std"));
    CHECK(c.cursor_start == 9 && c.cursor_end == 10);
    lang_completion_clear(&c);
    lang_complete(L, "my_list.", 8, &c);
    CHECK(has_match(&c, "append") && has_match(&c, "sort") && c.cursor_start == 8);
    lang_completion_clear(&c);
    lang_complete(L, "words.up", 8, &c);
    CHECK(c.n == 1 && has_match(&c, "upper"));
    lang_completion_clear(&c);
    /* positions are code points: "é" is one */
    lang_complete(L, "s = 'é'; my_l", 13, &c);
    CHECK(c.n == 1 && has_match(&c, "my_list") && c.cursor_start == 9 && c.cursor_end == 13);
    lang_completion_clear(&c);
    /* unknown names before a dot complete nothing, and never run code */
    lang_complete(L, "nothing_here.x", 14, &c);
    CHECK(c.n == 0);
    lang_completion_clear(&c);
    lang_complete(L, "%ti", 3, &c);
    CHECK(c.n == 1 && has_match(&c, "time"));
    lang_completion_clear(&c);
    lang_free(L);
}

TEST(inspection)
{
    lang_state *L = lang_new();
    CHECK(run(L, "def area(w, h=2):\n    'Area of a rectangle.'\n    return w * h\na = zeros((2, 3))") == LANG_OK);
    lang_bundle doc = {0};
    CHECK(lang_inspect(L, "len", 3, 0, &doc) == 1);
    CHECK(doc.n == 1 && strncmp(doc.data[0], "len(x)\n", 7) == 0 && strstr(doc.data[0], ">>> ") != NULL);
    lang_bundle_clear(&doc);
    CHECK(lang_inspect(L, "area(", 5, 0, &doc) == 1);
    CHECK(strstr(doc.data[0], "Signature: area(w, h=2)") && strstr(doc.data[0], "Area of a rectangle."));
    lang_bundle_clear(&doc);
    CHECK(lang_inspect(L, "x = a", 5, 0, &doc) == 1);
    CHECK(strstr(doc.data[0], "Shape: (2, 3)") && strstr(doc.data[0], "Dtype: float32") && strstr(doc.data[0], "Device: "));
    lang_bundle_clear(&doc);
    CHECK(lang_inspect(L, "a.sum", 5, 0, &doc) == 1);
    CHECK(strstr(doc.data[0], "a.sum(axis=None, keepdims=False)") != NULL);
    lang_bundle_clear(&doc);
    CHECK(lang_inspect(L, "zzz_unknown", 5, 0, &doc) == 0 && doc.n == 0);
    CHECK(lang_inspect(L, "   ", 2, 0, &doc) == 0);
    /* help() prints the same doc */
    CHECK(run(L, "help(abs)") == LANG_OK);
    CHECK(strncmp(S.out, "abs(x)\n", 7) == 0);
    lang_free(L);
}

TEST(is_complete)
{
    lang_state *L = lang_new();
    char ind[32];
    CHECK_STR(lang_is_complete(L, "x = 1", ind, sizeof ind), "complete");
    CHECK_STR(lang_is_complete(L, "", ind, sizeof ind), "complete");
    CHECK_STR(lang_is_complete(L, "for i in range(3):", ind, sizeof ind), "incomplete");
    CHECK_STR(ind, "    ");
    CHECK_STR(lang_is_complete(L, "for i in range(3):\n    print(i)", ind, sizeof ind), "incomplete");
    CHECK_STR(ind, "    ");
    CHECK_STR(lang_is_complete(L, "for i in range(3):\n    print(i)\n\n", ind, sizeof ind), "complete");
    CHECK_STR(lang_is_complete(L, "def f():\n    if x:", ind, sizeof ind), "incomplete");
    CHECK_STR(ind, "        ");
    CHECK_STR(lang_is_complete(L, "x = (1,", ind, sizeof ind), "incomplete");
    CHECK_STR(lang_is_complete(L, "s = '''abc", ind, sizeof ind), "incomplete");
    CHECK_STR(lang_is_complete(L, "x = 1 + \\", ind, sizeof ind), "incomplete");
    CHECK_STR(lang_is_complete(L, "x = )", ind, sizeof ind), "invalid");
    CHECK_STR(lang_is_complete(L, "1 = x", ind, sizeof ind), "invalid");
    CHECK_STR(lang_is_complete(L, "x +", ind, sizeof ind), "invalid");
    /* a try without its except yet, a class header, a decorator */
    CHECK_STR(lang_is_complete(L, "try:\n    x = 1\n", ind, sizeof ind), "incomplete");
    CHECK_STR(lang_is_complete(L, "class A(B):", ind, sizeof ind), "incomplete");
    CHECK_STR(ind, "    ");
    CHECK_STR(lang_is_complete(L, "try:\n    x = 1\nexcept ValueError as e:\n    pass\n\n", ind, sizeof ind), "complete");
    lang_free(L);
}

TEST(info)
{
    const lang_info_t *i = lang_info();
    CHECK_STR(i->name, "cgpu");
    CHECK_STR(i->mimetype, "text/x-cgpu");
    CHECK_STR(i->file_extension, ".cg");
    CHECK_STR(i->pygments_lexer, "python");
    CHECK_STR(i->codemirror_mode, "python");
    CHECK_STR(i->nbconvert_exporter, "python");
    CHECK(i->version && *i->version && i->banner && strstr(i->banner, "C-GPU"));
}

TEST(input_through_the_frontend)
{
    lang_state *L = lang_new();
    S.input_answer = "Ada";
    CHECK(run(L, "name = input('name? ')\nname.upper()") == LANG_OK);
    CHECK_STR(plain(&R), "'ADA'");
    S.input_answer = NULL;
    CHECK(run(L, "input()") == LANG_ERROR);
    CHECK_STR(R.ename, "ValueError");
    CHECK(strstr(R.evalue, "stdin is not allowed") != NULL);
    lang_free(L);
}

/* ---- the binding API ------------------------------------------------------------------ */

typedef struct { int64_t count; int entered; } counter;

static lang_value counter_inc(lang_state *L, const lang_args *a)
{
    counter *c = lv_object_data(a->self);
    lang_value by[1];
    int64_t n = 1;
    if (lang_args_bind(L, a, "by=", by) < 0) return lv_err();
    if (!lv_is_missing(by[0]) && lang_get_int(L, by[0], "by", &n) < 0) return lv_err();
    c->count += n;
    return lv_int(c->count);
}

static lang_value counter_getattr(lang_state *L, lang_value self, const char *name)
{
    counter *c = lv_object_data(self);
    if (strcmp(name, "count") == 0) return lv_int(c->count);
    return lv_missing();
}

static int counter_setattr(lang_state *L, lang_value self, const char *name, lang_value v)
{
    counter *c = lv_object_data(self);
    if (strcmp(name, "count") != 0) return lang_fail(L, LANG_E_ATTRIBUTE, "Counter has no attribute '%s'", name);
    return lang_get_int(L, v, "count", &c->count);
}

static char *counter_repr(lang_state *L, lang_value self)
{
    counter *c = lv_object_data(self);
    return lang_strdupf("Counter(count=%lld)", (long long)c->count);
}

static int counter_display(lang_state *L, lang_value self, lang_bundle *out)
{
    return lang_bundle_add(out, "text/html", "<b>counter</b>");
}

static lang_value counter_enter(lang_state *L, lang_value self)
{
    ((counter *)lv_object_data(self))->entered++;
    return lv_int(99);
}

static int counter_exit(lang_state *L, lang_value self, int failing)
{
    ((counter *)lv_object_data(self))->entered--;
    return 0;
}

static lang_value counter_getitem(lang_state *L, lang_value self, lang_value key)
{
    int64_t k;
    if (lang_get_int(L, key, "index", &k) < 0) return lv_err();
    return lv_int(k * 10);
}

static int64_t counter_len(lang_state *L, lang_value self) { return ((counter *)lv_object_data(self))->count; }

static lang_value counter_call(lang_state *L, lang_value self, const lang_args *a)
{
    return lv_str_printf("called with %d", a->n);
}

static const lang_method counter_methods[] = {
    {"inc", counter_inc, "inc(by=1)\nAdds by.\n>>> c.inc()"},
    {NULL, NULL, NULL}
};
static const char *const counter_attrs[] = { "count", NULL };
static const lang_class counter_class = {
    .name = "Counter", .doc = "A test counter.", .free = free, .repr = counter_repr,
    .methods = counter_methods, .attrs = counter_attrs, .getattr = counter_getattr, .setattr = counter_setattr,
    .display = counter_display, .enter = counter_enter, .exit = counter_exit, .getitem = counter_getitem,
    .len = counter_len, .call = counter_call,
};

static lang_value bi_counter(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    counter *c = calloc(1, sizeof *c);
    if (!c) return lang_nomem(L);
    return lang_object_new(L, &counter_class, c);
}

static lang_value bi_twice(lang_state *L, const lang_args *a)
{
    lang_value x[2];
    double d;
    if (lang_args_bind(L, a, "x, unused=", x) < 0) return lv_err();
    if (lang_get_float(L, x[0], "x", &d) < 0) return lv_err();
    return lv_float(2 * d);
}

static lang_value bi_progress(lang_state *L, const lang_args *a)
{
    /* like fit's progress line: display once, then update it */
    char *id = lang_new_display_id(L);
    for (int i = 1; i <= 3; i++) {
        lang_bundle b = {0};
        char t[32];
        snprintf(t, sizeof t, "step %d/3", i);
        lang_bundle_add(&b, "text/plain", t);
        lang_display(L, &b, id, i > 1);
        lang_bundle_clear(&b);
        if (lang_check_interrupt(L) < 0) { free(id); return lv_err(); }
    }
    free(id);
    lang_printf(L, "done %d\n", 3);
    return lv_none();
}

static lang_value bi_apply(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "fn, x", v) < 0) return lv_err();
    return lang_call(L, v[0], 1, &v[1], 0, NULL, NULL);
}

static lang_value bi_shape_of(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "data, *rest", v) < 0) return lv_err();
    rt_array *x = lang_to_array(L, v[0], -1, "data");
    size_t extra = lv_tuple_len(v[1]);
    lv_release(v[1]);
    if (!x) return lv_err();
    lang_value r = lv_str_printf("%dd %s +%zu", x->ndim, rt_dtype_name(x->dtype), extra);
    rt_array_release(x);
    return r;
}

static int hook_calls;
static void on_end(lang_state *L, void *ctx) { hook_calls++; }

/* A base class defined from C that user classes subclass, the way
 * keras.callbacks.Callback is: default methods, attributes set from C, and
 * the C side calling methods by name (what fit does with callbacks). */
static lang_value tb_noop(lang_state *L, const lang_args *a) { return lv_none(); }
static lang_value tb_set_model(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "model", v) < 0) return lv_err();
    return lang_setattr(L, a->self, "model", v[0]) < 0 ? lv_err() : lv_none();
}
static const lang_method hook_methods[] = {
    {"set_model", tb_set_model, "set_model(model)\nRemembers the model.\n>>> h.set_model(m)"},
    {"on_epoch_end", tb_noop, "on_epoch_end(epoch, logs=None)\nCalled after each epoch.\n>>> h.on_epoch_end(0)"},
    {"on_train_end", tb_noop, "on_train_end(logs=None)\nCalled at the end.\n>>> h.on_train_end()"},
    {NULL, NULL, NULL}
};
static lang_value hook_class;
/* train(hooks, epochs): calls set_model, on_epoch_end(epoch, logs=dict) and
 * on_train_end on each hook, as fit does */
static lang_value bi_train(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    int64_t epochs, n;
    if (lang_args_bind(L, a, "hooks, epochs", v) < 0 || lang_get_int(L, v[1], "epochs", &epochs) < 0) return lv_err();
    lang_value *hooks = lv_seq_items(v[0], &n);
    if (!hooks) return lang_raise(L, LANG_E_TYPE, "hooks must be a list");
    for (int64_t i = 0; i < n; i++) {
        if (!lang_is_instance(hooks[i], hook_class)) return lang_raise(L, LANG_E_TYPE, "not a Hook");
        lang_value model = lv_str("the model");
        lang_value r = lang_call_method(L, hooks[i], "set_model", 1, &model, 0, NULL, NULL);
        lv_release(model);
        if (lv_is_err(r)) return r;
        lv_release(r);
    }
    for (int64_t e = 0; e < epochs; e++)
        for (int64_t i = 0; i < n; i++) {
            lang_value logs = lv_dict_new();
            lv_dict_set_str(logs, "loss", lv_float(1.0 / (double)(e + 1)));
            const char *kn[1] = { "logs" };
            lang_value arg = lv_int(e);
            lang_value r = lang_call_method(L, hooks[i], "on_epoch_end", 1, &arg, 1, kn, &logs);
            lv_release(logs);
            if (lv_is_err(r)) return r;
            lv_release(r);
        }
    for (int64_t i = 0; i < n; i++) {
        lang_value r = lang_call_method(L, hooks[i], "on_train_end", 0, NULL, 0, NULL, NULL);
        if (lv_is_err(r)) return r;
        lv_release(r);
        if (!lv_is_missing(lang_call_method(L, hooks[i], "no_such_method", 0, NULL, 0, NULL, NULL))) return lv_err();
    }
    return lv_none();
}

static lang_value bi_open_missing(lang_state *L, const lang_args *a)
{
    return lang_raise_os(L, 2 /* ENOENT */, "x.csv");
}

TEST(subclassable_builtin_class)
{
    lang_state *L = lang_new();
    hook_class = lang_define_class(L, "Hook", lv_none(), hook_methods, "Hook()\nA training hook.\n>>> class H(Hook): pass");
    CHECK(hook_class.type != LV_ERR);
    lang_register_value(L, "Hook", hook_class, "Hook()\nA training hook.\n>>> class H(Hook): pass");
    lang_register_builtin(L, "train", bi_train, NULL);
    lang_register_builtin(L, "open_missing", bi_open_missing, NULL);
    CHECK(run(L, "class TimeHistory(Hook):\n"
                 "    def __init__(self):\n"
                 "        self.seen = []\n"
                 "    def on_epoch_end(self, epoch, logs=None):\n"
                 "        self.seen.append((epoch, logs['loss'], self.model))\n"
                 "h = TimeHistory()\nplain = Hook()\ntrain([h, plain], 2)\n"
                 "(h.seen, plain.model, isinstance(h, Hook), Hook, type(plain))") == LANG_OK);
    CHECK_STR(plain(&R), "([(0, 1.0, 'the model'), (1, 0.5, 'the model')], 'the model', True, <class 'Hook'>, <class 'Hook'>)");
    /* the base's methods are called through the class with an explicit self, and through super() */
    CHECK(run(L, "class Loud(Hook):\n    def set_model(self, m):\n        super().set_model(m + '!')\n"
                 "l = Loud()\ntrain([l], 0)\nHook.set_model(plain, 'x')\n(l.model, plain.model)") == LANG_OK);
    CHECK_STR(plain(&R), "('the model!', 'x')");
    /* an error in the user's method keeps the method's frame in the traceback */
    CHECK(run(L, "class Bad(Hook):\n    def on_epoch_end(self, epoch, logs=None):\n        raise ValueError('epoch ' + str(epoch))\ntrain([Bad()], 3)") == LANG_ERROR);
    CHECK_STR(R.ename, "ValueError");
    CHECK_STR(R.evalue, "epoch 0");
    CHECK(strstr(tb_text(), "in \x1b[0;36mon_epoch_end") != NULL);
    CHECK(strstr(tb_text(), "train([Bad()], 3)") != NULL);
    CHECK(run(L, "train([1], 1)") == LANG_ERROR);
    CHECK_STR(R.evalue, "not a Hook");
    /* lang_raise_os: FileNotFoundError with errno and filename */
    CHECK(run(L, "open_missing()") == LANG_ERROR);
    CHECK_STR(R.ename, "FileNotFoundError");
    CHECK_STR(R.evalue, "[Errno 2] No such file or directory: 'x.csv'");
    CHECK(run(L, "try:\n    open_missing()\nexcept OSError as e:\n    r = (e.errno, e.filename, e.args)\nr") == LANG_OK);
    CHECK_STR(plain(&R), "(2, 'x.csv', (2, 'No such file or directory'))");
    /* a user exception class names itself in ename and the traceback */
    CHECK(run(L, "class MyError(KeyError):\n    pass\nraise MyError('k')") == LANG_ERROR);
    CHECK_STR(R.ename, "MyError");
    CHECK_STR(R.evalue, "'k'");
    CHECK(lang_error_pending(L) == 0);
    /* completion after `h.` lists the instance's and its classes' attributes */
    lang_completion comp;
    lang_complete(L, "h.se", 4, &comp);
    CHECK(comp.n == 2 && has_match(&comp, "seen") && has_match(&comp, "set_model"));
    lang_completion_clear(&comp);
    CHECK(run(L, "help(TimeHistory)") == LANG_OK);
    CHECK(strstr(S.out, "class TimeHistory(Hook)") != NULL);
    lv_release(hook_class);
    lang_free(L);
}

TEST(binding_api)
{
    lang_state *L = lang_new();
    lang_register_builtin(L, "twice", bi_twice, "twice(x)\nReturns 2x.\n>>> twice(2)\n4.0");
    lang_register_class(L, &counter_class, bi_counter, "Counter()\nA counter.\n>>> Counter()");
    lang_register_builtin(L, "progress", bi_progress, NULL);
    lang_register_builtin(L, "apply", bi_apply, NULL);
    lang_register_builtin(L, "shape_of", bi_shape_of, NULL);
    lang_on_cell_end(L, on_end, NULL);
    int *ext = malloc(sizeof *ext);
    *ext = 7;
    lang_ext_set(L, "test.ext", ext, free);
    CHECK(lang_ext_get(L, "test.ext") == ext && lang_ext_get(L, "none") == NULL);

    CHECK(run(L, "twice(21)") == LANG_OK);
    CHECK_STR(plain(&R), "42.0");
    CHECK(run(L, "twice()") == LANG_ERROR);
    CHECK_STR(R.evalue, "twice() missing required argument 'x'");
    CHECK(run(L, "twice(1, 2, 3)") == LANG_ERROR);
    CHECK_STR(R.evalue, "twice() takes from 1 to 2 positional arguments but 3 were given");
    CHECK(run(L, "twice(1, bad=2)") == LANG_ERROR);
    CHECK_STR(R.evalue, "twice() got an unexpected keyword argument 'bad'");
    CHECK(run(L, "twice('a')") == LANG_ERROR);
    CHECK_STR(R.evalue, "x must be a number, not str");

    CHECK(run(L, "c = Counter()\nc.inc()\nc.inc(by=4)\nc") == LANG_OK);
    CHECK_STR(plain(&R), "Counter(count=5)");
    CHECK_STR(mime(&R, "text/html"), "<b>counter</b>");
    CHECK(run(L, "(c.count, len(c), c[3], c(1, 2), type(c), isinstance(c, Counter), bool(c))") == LANG_OK);
    CHECK_STR(plain(&R), "(5, 5, 30, 'called with 2', <class 'Counter'>, True, True)");
    CHECK(run(L, "c.count = 1\nwith c as v:\n    inside = v\nm = c.inc\n(c.count, inside, m(), c.count)") == LANG_OK);
    CHECK_STR(plain(&R), "(1, 99, 2, 2)");
    CHECK(run(L, "c.nope") == LANG_ERROR);
    CHECK_STR(R.evalue, "'Counter' object has no attribute 'nope'");
    CHECK(run(L, "c.other = 1") == LANG_ERROR);
    CHECK_STR(R.evalue, "Counter has no attribute 'other'");
    /* the with block's exit runs when the body fails */
    CHECK(run(L, "with c:\n    1/0") == LANG_ERROR);
    CHECK(run(L, "c") == LANG_OK);
    lang_completion comp;
    lang_complete(L, "c.", 2, &comp);
    CHECK(comp.n == 2 && has_match(&comp, "count") && has_match(&comp, "inc"));
    lang_completion_clear(&comp);

    CHECK(run(L, "progress()") == LANG_OK);
    CHECK(S.ndisplay == 3 && S.nupdate == 2);
    CHECK_STR(S.display_text[2], "step 3/3");
    CHECK(strcmp(S.display_id[0], S.display_id[2]) == 0 && S.display_id[0][0]);
    CHECK_STR(S.out, "done 3\n");

    CHECK(run(L, "apply(lambda v: v * 3, 5)") == LANG_OK);
    CHECK_STR(plain(&R), "15");
    CHECK(run(L, "def bad(v):\n    return v / 0\napply(bad, 1)") == LANG_ERROR);
    CHECK_STR(R.ename, "ZeroDivisionError");
    CHECK(R.ntraceback == 5); /* header x2, the call in the cell, bad's frame, message */

    CHECK(run(L, "shape_of([[1, 2]], 1, 2)") == LANG_OK);
    CHECK_STR(plain(&R), "'2d int32 +2'");
    CHECK(run(L, "shape_of([1.5, 2])") == LANG_OK);
    CHECK_STR(plain(&R), "'1d float32 +0'");
    CHECK(run(L, "help(Counter)") == LANG_OK);
    CHECK(strstr(S.out, "Counter()") && strstr(S.out, "inc"));
    int before = hook_calls;
    run(L, "1");
    run(L, "1/0");
    CHECK(hook_calls == before + 2);
    lang_free(L);
}

TEST(random_input_never_crashes)
{
    lang_state *L = lang_new();
    static const char *frags[] = {
        "x", "=", "(", ")", "[", "]", "{", "}", ":", ",", ".", "1", "2.5", "'s'", "f'{x}'", "def", "if", "for",
        "in", "while", "lambda", "+", "-", "*", "**", "/", "//", "%", "@", "\n", "\n    ", " ", "return", "not",
        "and", "or", "array", "zeros", "len", "print", "None", "True", "[1,2]", "range(3)", "%time", "with",
        "import", "del", "\\", "#", "'''", "=", "==", "<", "pass", "break", "a[0]", "b.c", "-1e400", "\t",
        "class", "try", "except", "finally", "raise", "self", "super()", "Exception", "'%s%d' %", "@",
    };
    unsigned seed = 12345;
    int ran = 0;
    for (int i = 0; i < 3000; i++) {
        char code[512];
        code[0] = 0;
        int n = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 14;
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            strncat(code, frags[(seed >> 16) % (sizeof frags / sizeof frags[0])], sizeof code - strlen(code) - 1);
        }
        lang_status st = run(L, code);
        if (st == LANG_ERROR) CHECK(R.ename && R.evalue && R.ntraceback >= 1);
        char ind[16];
        const char *c = lang_is_complete(L, code, ind, sizeof ind);
        CHECK(c && (!strcmp(c, "complete") || !strcmp(c, "incomplete") || !strcmp(c, "invalid")));
        lang_completion comp;
        lang_complete(L, code, (int)strlen(code) / 2, &comp);
        lang_completion_clear(&comp);
        lang_bundle d = {0};
        lang_inspect(L, code, (int)strlen(code) / 2, 0, &d);
        lang_bundle_clear(&d);
        ran++;
    }
    CHECK(ran == 3000);
    lang_free(L);
}

int main(void)
{
    RUN(result_and_stdout);
    RUN(arrays_have_html);
    RUN(traceback_shape_and_colours);
    RUN(syntax_error_traceback);
    RUN(recursion_traceback_is_collapsed);
    RUN(errors_keep_earlier_bindings);
    RUN(interrupt_stops_loops_and_calls);
    RUN(eval_expression);
    RUN(completion);
    RUN(inspection);
    RUN(is_complete);
    RUN(info);
    RUN(input_through_the_frontend);
    RUN(binding_api);
    RUN(subclassable_builtin_class);
    RUN(random_input_never_crashes);
    lang_result_clear(&R);
    return test_summary();
}
