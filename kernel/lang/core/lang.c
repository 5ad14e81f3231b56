/* lang.c — the language as the kernel drives it (lang.h): state, global
 * names, execute, eval_expression, interrupt, results and bundles.
 */
#include <pthread.h>
#include <sys/resource.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include "interp.h"
#include "libraries.h"
#include "cli.h"

/* ---- bundles and results -------------------------------------------------------- */

void lang_bundle_clear(lang_bundle *b)
{
    for (int i = 0; i < b->n; i++) { free(b->mime[i]); free(b->data[i]); }
    b->n = 0;
}

int lang_bundle_add(lang_bundle *b, const char *mime, const char *data)
{
    if (b->n >= LANG_BUNDLE_MAX) return -1;
    char *m = strdup(mime), *d = strdup(data ? data : "");
    if (!m || !d) { free(m); free(d); return -1; }
    b->mime[b->n] = m;
    b->data[b->n] = d;
    b->n++;
    return 0;
}

void lang_result_clear(lang_result *r)
{
    lang_bundle_clear(&r->value);
    free(r->ename);
    free(r->evalue);
    for (int i = 0; i < r->ntraceback; i++) free(r->traceback[i]);
    free(r->traceback);
    r->ename = r->evalue = NULL;
    r->traceback = NULL;
    r->ntraceback = 0;
    r->status = LANG_OK;
}

/* ---- global names --------------------------------------------------------------------- */

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) { h ^= (unsigned char)*s; h *= 1099511628211ULL; }
    return h;
}

int lang_global_find(lang_state *L, const char *name)
{
    if (!L->gindex) return -1;
    size_t i = hash_name(name) & (size_t)L->gmask;
    for (;;) {
        int s = L->gindex[i];
        if (s < 0) return -1;
        if (strcmp(L->g[s].name, name) == 0) return s;
        i = (i + 1) & (size_t)L->gmask;
    }
}

static int gindex_grow(lang_state *L)
{
    int cap = L->gmask ? (L->gmask + 1) * 2 : 256;
    int *idx = malloc((size_t)cap * sizeof *idx);
    if (!idx) return -1;
    memset(idx, 0xff, (size_t)cap * sizeof *idx);
    for (int s = 0; s < L->ng; s++) {
        size_t i = hash_name(L->g[s].name) & (size_t)(cap - 1);
        while (idx[i] >= 0) i = (i + 1) & (size_t)(cap - 1);
        idx[i] = s;
    }
    free(L->gindex);
    L->gindex = idx;
    L->gmask = cap - 1;
    return 0;
}

int lang_global_slot(lang_state *L, const char *name)
{
    int s = lang_global_find(L, name);
    if (s >= 0) return s;
    if ((L->ng + 1) * 2 > L->gmask + 1 && gindex_grow(L) < 0) return -1;
    if (L->ng == L->capg) {
        int nc = L->capg ? L->capg * 2 : 256;
        gslot *g = realloc(L->g, (size_t)nc * sizeof *g);
        if (!g) return -1;
        L->g = g;
        L->capg = nc;
    }
    char *nm = strdup(name);
    if (!nm) return -1;
    s = L->ng++;
    L->g[s].name = nm;
    L->g[s].value = lv_missing();
    L->g[s].builtin = lv_missing();
    L->g[s].doc = NULL;
    size_t i = hash_name(name) & (size_t)L->gmask;
    while (L->gindex[i] >= 0) i = (i + 1) & (size_t)L->gmask;
    L->gindex[i] = s;
    return s;
}

/* ---- state ------------------------------------------------------------------------------ */

lang_state *lang_new(void)
{
    lang_state *L = calloc(1, sizeof *L);
    if (!L) return NULL;
    if (!(L->heap = lang_heap_new()) || gindex_grow(L) < 0) { lang_heap_free(L->heap); free(L); return NULL; }
    lang_heap *previous = lang_heap_enter(L->heap);
    classes_init(L);
    lang_open_libraries(L);
    lang_heap_leave(previous);
    /* resolve the memory limits now, so a malformed one is reported at start */
    rt_host_memory_limit(NULL);
    rt_gpu_memory_limit_for(0, NULL);
    return L;
}

void lang_free(lang_state *L)
{
    if (!L) return;
    lang_heap *previous = lang_heap_enter(L->heap);
    /* release user values first: objects may still look at builtins */
    for (int i = 0; i < L->ng; i++) { lv_release(L->g[i].value); L->g[i].value = lv_missing(); }
    errors_reset(L);
    lv_gc_collect();
    classes_free(L);
    for (int i = 0; i < L->ng; i++) { lv_release(L->g[i].builtin); free(L->g[i].name); }
    free(L->g);
    free(L->gindex);
    errors_reset(L);
    free(L->tb);
    for (ext_entry *e = L->ext; e;) {
        ext_entry *n = e->next;
        if (e->free_fn && e->ptr) e->free_fn(e->ptr);
        free(e->key);
        free(e);
        e = n;
    }
    for (cell_hook *h = L->hooks; h;) {
        cell_hook *n = h->next;
        free(h);
        h = n;
    }
    free(L->classes);
    rt_set_interrupt_flag(NULL);
    rt_set_log_sink(NULL, NULL);
    lang_heap_leave(previous == L->heap ? NULL : previous);
    lang_heap_free(L->heap);
    free(L);
}

void lang_interrupt(lang_state *L) { L->interrupt = 1; }
void lang_clear_interrupt(lang_state *L) { L->interrupt = 0; }
volatile sig_atomic_t *lang_interrupt_flag(lang_state *L) { return &L->interrupt; }

/* Sets the C stack floor for the running thread: RecursionError is raised
 * well before the real end of the stack. */
static void compute_stack_limit(lang_state *L);

/* The bounds are read once per thread: on the main thread glibc's
 * pthread_getattr_np parses /proc/self/maps, tens of microseconds a cell. */
static void set_stack_limit(lang_state *L)
{
    static __thread char *limit;
    static __thread int known;
    if (!known) {
        compute_stack_limit(L);
        limit = L->stack_limit;
        known = 1;
    }
    L->stack_limit = limit;
}

static void compute_stack_limit(lang_state *L)
{
    pthread_attr_t attr;
    void *lo = NULL;
    size_t size = 0;
    char here;
    L->stack_limit = NULL;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &lo, &size) != 0) lo = NULL;
        pthread_attr_destroy(&attr);
    }
    uintptr_t h = (uintptr_t)&here;
    if (!lo || size < 64 * 1024 || h < (uintptr_t)lo || h > (uintptr_t)lo + size) {
        /* unknown or implausible bounds (a stack that grows on demand, or
         * a tool running the program on a stack of its own): the stack
         * rlimit below this point, as the main thread gets */
        struct rlimit rl;
        size_t assume = 8u << 20;
        if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= (1u << 20))
            assume = rl.rlim_cur > (64u << 20) ? (64u << 20) : (size_t)rl.rlim_cur;
        L->stack_limit = (char *)(h - assume + (512u << 10));
        return;
    }
    size_t margin = size / 8 > (256 << 10) ? (256 << 10) : size / 8;
    L->stack_limit = (char *)lo + margin;
}

static void syntax_error(lang_state *L, lang_arena *A, parse_result *pr)
{
    lang_raise(L, LANG_E_SYNTAX, "%s", pr->err);
    tb_push(L, A, pr->err_line > 0 ? pr->err_line : 1, pr->err_col, NULL);
}

static void run_cell_hooks(lang_state *L)
{
    int had_error = L->err_pending;
    for (cell_hook *h = L->hooks; h; h = h->next) {
        h->fn(L, h->ctx);
        /* a failing hook must not replace the cell's own error */
        if (!had_error && L->err_pending) errors_reset(L);
    }
}

void lang_device_log_sink(void *ctx, const char *line)
{
    lang_state *L = ctx;
    if (!L || !L->out) return;
    size_t n = strlen(line);
    lang_write(L, "stdout", line, n);
    if (!n || line[n - 1] != '\n') lang_write(L, "stdout", "\n", 1);
}

/* Runs `code` as a cell named by cell_number or filename. */
static lang_status execute_in_heap(lang_state *L, const char *code, const lang_output *out, int silent,
                                   lang_result *res, const char *filename, int first_line)
{
    memset(res, 0, sizeof *res);
    res->status = LANG_OK;
    /* The interrupt flag is NOT cleared here: the host clears it with
     * lang_clear_interrupt() before it announces the cell, so an interrupt
     * sent right after the announcement is never lost. */
    rt_set_interrupt_flag(&L->interrupt);
    struct timespec started;
    clock_gettime(CLOCK_MONOTONIC, &started);
    rt_set_log_sink(lang_device_log_sink, L);
    errors_reset(L);
    const lang_output *saved_out = L->out;
    L->out = out;
    if (!silent && !filename) L->exec_count++;
    set_stack_limit(L);
    L->depth = 0;

    lang_arena *A = arena_new(code ? code : "");
    if (!A) {
        res->status = LANG_ERROR;
        res->ename = strdup("OutOfMemoryError");
        res->evalue = strdup("out of host memory");
        L->out = saved_out;
        return LANG_ERROR;
    }
    A->cell_number = filename ? 0 : L->exec_count;
    A->filename = filename;
    A->line_offset = first_line - 1;

    parse_result pr;
    lang_value last = lv_missing();
    int ok = 0;
    if (parse_cell(A, code ? code : "", &pr) < 0) syntax_error(L, A, &pr);
    else if (resolve_cell(L, A, &pr) < 0) syntax_error(L, A, &pr);
    else if (eval_cell(L, pr.top, A, &last) == 0) ok = 1;

    if (ok && !silent && last.type != LV_MISSING && last.type != LV_NONE) {
        if (lang_display_bundle(L, last, &res->value) < 0) { ok = 0; lang_bundle_clear(&res->value); }
    }
    lv_release(last);
    if (!ok && !L->err_pending) lang_raise(L, LANG_E_VALUE, "the cell failed");
    run_cell_hooks(L);
    if (!ok) errors_to_result(L, res);
    else errors_reset(L);
    rt_clear_error();
    L->out = saved_out;
    arena_release(A);
    lv_gc_collect();
    /* A long cell may have freed a lot: give it back to the system so the
     * kernel's resident size returns to where it was (cheap next to the cell). */
    struct timespec ended;
    clock_gettime(CLOCK_MONOTONIC, &ended);
    if ((ended.tv_sec - started.tv_sec) * 1000000000L + (ended.tv_nsec - started.tv_nsec) > 5000000L)
        malloc_trim(0);
    return res->status;
}

lang_status lang_execute_named(lang_state *L, const char *code, const lang_output *out, int silent,
                               lang_result *res, const char *filename, int first_line)
{
    lang_heap *previous = lang_heap_enter(L->heap);
    lang_status st = execute_in_heap(L, code, out, silent, res, filename, first_line);
    lang_heap_leave(previous);
    return st;
}

lang_status lang_execute(lang_state *L, const char *code, const lang_output *out, int silent, lang_result *res)
{
    return lang_execute_named(L, code, out, silent, res, NULL, 1);
}

static lang_status eval_expression_in_heap(lang_state *L, const char *expr, lang_result *res)
{
    memset(res, 0, sizeof *res);
    res->status = LANG_OK;
    const lang_output *saved_out = L->out;
    L->out = NULL; /* no side effects on outputs */
    errors_reset(L);
    set_stack_limit(L);
    lang_arena *A = arena_new(expr ? expr : "");
    if (!A) { L->out = saved_out; res->status = LANG_ERROR; res->ename = strdup("OutOfMemoryError"); res->evalue = strdup("out of host memory"); return LANG_ERROR; }
    parse_result pr;
    lang_value v = lv_missing();
    int ok = 0;
    if (parse_expression(A, expr ? expr : "", &pr) < 0) syntax_error(L, A, &pr);
    else if (resolve_cell(L, A, &pr) < 0) syntax_error(L, A, &pr);
    else if (eval_cell(L, pr.top, A, &v) == 0) ok = 1;
    if (ok) {
        char *t = lang_repr(L, lv_is_missing(v) ? lv_none() : v);
        if (!t || lang_bundle_add(&res->value, "text/plain", t) < 0) ok = 0;
        free(t);
    }
    lv_release(v);
    if (!ok) {
        if (!L->err_pending) lang_nomem(L);
        errors_to_result(L, res);
    }
    rt_clear_error();
    L->out = saved_out;
    arena_release(A);
    return res->status;
}

lang_status lang_eval_expression(lang_state *L, const char *expr, lang_result *res)
{
    lang_heap *previous = lang_heap_enter(L->heap);
    lang_status st = eval_expression_in_heap(L, expr, res);
    lang_heap_leave(previous);
    return st;
}

const lang_info_t *lang_info(void)
{
    static const lang_info_t info = {
        "cgpu", CGPU_VERSION, "text/x-cgpu", ".cg", "python", "python", "python",
        "C-GPU " CGPU_VERSION " — a Python-flavoured array language on CPU and CUDA GPUs.\n"
        "Arrays: array(), zeros(), exp(), sum() ...; devices: list_physical_devices(\"GPU\"); "
        "training: Sequential, Dense, Adam; plots: plt. help(x) shows a builtin's doc.",
    };
    return &info;
}
