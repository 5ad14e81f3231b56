/* errors.c — raising errors and turning them into tracebacks.
 *
 * An error travels as a status: a function that fails records the error in
 * the lang_state (kind, message) and returns LV_ERR / -1; every caller
 * releases what it holds and passes the failure up. On the way out the
 * evaluator records one traceback entry per frame (eval_locate, tb_push),
 * and lang_execute turns the lot into IPython-style lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp.h"
#include "numfmt.h"

/* ORDER lang_error_kind */
static const char *const kind_names[LANG_E_COUNT] = {
    "SyntaxError", "NameError", "TypeError", "ValueError", "IndexError", "KeyError",
    "AttributeError", "ShapeError", "ZeroDivisionError", "AssertionError", "RecursionError",
    "ImportError", "DeviceError", "OutOfMemoryError", "KeyboardInterrupt",
    "BaseException", "Exception", "ArithmeticError", "LookupError",
    "OverflowError", "RuntimeError", "NotImplementedError", "StopIteration",
    "MemoryError", "ModuleNotFoundError",
    "OSError", "FileNotFoundError", "FileExistsError", "PermissionError",
    "IsADirectoryError", "NotADirectoryError",
    "UnicodeDecodeError", "UnsupportedOperation",
};

const char *lang_error_kind_name(lang_error_kind k)
{
    return k < LANG_E_COUNT ? kind_names[k] : "Error";
}

static void tb_clear(lang_state *L)
{
    for (int i = 0; i < L->ntb; i++) {
        arena_release(L->tb[i].arena);
        free(L->tb[i].func);
    }
    L->ntb = 0;
}

void errors_reset(lang_state *L)
{
    tb_clear(L);
    free(L->err_msg);
    L->err_msg = NULL;
    L->err_pending = 0;
    L->err_located = 0;
    lang_value v = L->err_value;
    L->err_value = lv_missing();
    lv_release(v);
}

void errors_set_value(lang_state *L, lang_value inst, lang_error_kind kind, const char *msg)
{
    errors_reset(L);
    L->err_msg = strdup(msg ? msg : "");
    L->err_kind = kind;
    L->err_value = lv_retain(inst);
    L->err_pending = 1;
}

/* ---- errors being handled (try/except) --------------------------------------- */

void errors_save(lang_state *L, exc_saved *s)
{
    s->prev = NULL;
    s->kind = L->err_kind;
    s->msg = L->err_msg;
    s->value = L->err_value.type == LV_INSTANCE ? L->err_value : lv_missing();
    s->tb = L->tb;
    s->ntb = L->ntb;
    s->captb = L->captb;
    L->err_msg = NULL;
    L->err_value = lv_missing();
    L->tb = NULL;
    L->ntb = L->captb = 0;
    L->err_pending = 0;
    L->err_located = 0;
}

void errors_restore(lang_state *L, exc_saved *s)
{
    errors_reset(L);
    free(L->tb);
    L->err_kind = s->kind;
    L->err_msg = s->msg;
    L->err_value = s->value;
    L->tb = s->tb;
    L->ntb = s->ntb;
    L->captb = s->captb;
    L->err_pending = 1;
    L->err_located = 1; /* the frame that caught it is in the traceback */
    s->msg = NULL;
    s->value = lv_missing();
    s->tb = NULL;
    s->ntb = s->captb = 0;
}

void errors_restore_copy(lang_state *L, const exc_saved *s)
{
    errors_reset(L);
    L->err_kind = s->kind;
    L->err_msg = s->msg ? strdup(s->msg) : NULL;
    L->err_value = lv_retain(s->value);
    L->err_pending = 1;
    for (int i = 0; i < s->ntb; i++) tb_push(L, s->tb[i].arena, s->tb[i].line, s->tb[i].col, s->tb[i].func);
    L->err_located = 1;
}

void errors_saved_free(exc_saved *s)
{
    for (int i = 0; i < s->ntb; i++) {
        arena_release(s->tb[i].arena);
        free(s->tb[i].func);
    }
    free(s->tb);
    free(s->msg);
    lv_release(s->value);
    s->tb = NULL;
    s->msg = NULL;
    s->value = lv_missing();
    s->ntb = s->captb = 0;
}

static void vraise(lang_state *L, lang_error_kind k, const char *fmt, va_list ap)
{
    errors_reset(L);
    char *m = NULL;
    if (vasprintf(&m, fmt, ap) < 0) m = NULL;
    L->err_msg = m; /* NULL: message lost to OOM, shown as empty */
    L->err_kind = k;
    L->err_pending = 1;
}

lang_value lang_raise(lang_state *L, lang_error_kind k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vraise(L, k, fmt, ap);
    va_end(ap);
    return lv_err();
}

int lang_fail(lang_state *L, lang_error_kind k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vraise(L, k, fmt, ap);
    va_end(ap);
    return -1;
}

lang_value lang_nomem(lang_state *L)
{
    if (rt_error_code() == RT_EHOSTMEM) return lang_raise_rt(L); /* the limit, with its sizes */
    return lang_raise(L, LANG_E_MEMORY, "out of host memory");
}

int lang_reserve(lang_state *L, size_t bytes)
{
    if (rt_host_memory_reserve(bytes) == RT_OK) return 0;
    lang_raise_rt(L);
    return -1;
}

lang_error_kind lang_error_kind_of_errno(int e)
{
    switch (e) {
    case ENOENT: return LANG_E_FILE_NOT_FOUND;
    case EACCES: case EPERM: return LANG_E_PERMISSION;
    case EISDIR: return LANG_E_IS_A_DIRECTORY;
    case ENOTDIR: return LANG_E_NOT_A_DIRECTORY;
    case EEXIST: return LANG_E_FILE_EXISTS;
    default: return LANG_E_OS;
    }
}

lang_value lang_raise_rt(lang_state *L)
{
    lang_error_kind k;
    switch (rt_error_code()) {
    case RT_EVALUE: k = LANG_E_VALUE; break;
    case RT_ETYPE: k = LANG_E_TYPE; break;
    case RT_ESHAPE: k = LANG_E_SHAPE; break;
    case RT_EINDEX: k = LANG_E_INDEX; break;
    case RT_EDEVICE: k = LANG_E_DEVICE; break;
    case RT_EOOM: k = LANG_E_OOM; break;
    case RT_EINTERRUPT: k = LANG_E_INTERRUPT; break;
    case RT_EZERODIV: k = LANG_E_ZERODIV; break;
    case RT_EHOSTMEM: k = LANG_E_MEMORY; break;
    default: k = LANG_E_VALUE; break;
    }
    const char *m = rt_error_message();
    if (k == LANG_E_INTERRUPT) {
        L->interrupt = 0; /* one KeyboardInterrupt per request */
        if (!m || !*m) m = "interrupted by the user";
    }
    lang_raise(L, k, "%s", m && *m ? m : "array operation failed");
    rt_clear_error();
    return lv_err();
}

int lang_error_pending(lang_state *L) { return L->err_pending; }
lang_error_kind lang_error_kind_of(lang_state *L) { return L->err_kind; }
const char *lang_error_message(lang_state *L) { return L->err_msg ? L->err_msg : ""; }
void lang_error_clear(lang_state *L) { errors_reset(L); }

void tb_push(lang_state *L, lang_arena *A, int line, int col, const char *func)
{
    if (L->ntb == L->captb) {
        int nc = L->captb ? L->captb * 2 : 8;
        tb_entry *t = realloc(L->tb, (size_t)nc * sizeof *t);
        if (!t) return; /* the traceback loses a frame; the error itself stays */
        L->tb = t;
        L->captb = nc;
    }
    tb_entry *e = &L->tb[L->ntb++];
    e->arena = arena_retain(A);
    e->line = line;
    e->col = col;
    e->func = func ? strdup(func) : NULL;
}

/* ---- formatting ------------------------------------------------------------- */

#define RED    "\x1b[0;31m"
#define GREEN  "\x1b[0;32m"
#define BGREEN "\x1b[1;32m"
#define CYAN   "\x1b[0;36m"
#define BLUE   "\x1b[0;34m"
#define BRED   "\x1b[1;31m"
#define RESET  "\x1b[0m"

/* line `n` (1-based) of src: pointer and length */
static const char *src_line(const char *src, int n, int *len)
{
    const char *p = src;
    for (int i = 1; i < n && p; i++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    if (!p) { *len = 0; return ""; }
    const char *e = strchr(p, '\n');
    *len = e ? (int)(e - p) : (int)strlen(p);
    if (*len > 0 && p[*len - 1] == '\r') (*len)--;
    return p;
}

static void where(fmtbuf *b, const lang_arena *A, int line, const char *func)
{
    if (A && A->filename) fmtbuf_printf(b, "File " GREEN "%s:%d" RESET, A->filename, line + A->line_offset);
    else if (A && A->cell_number > 0) fmtbuf_printf(b, "Cell " GREEN "In[%d], line %d" RESET, A->cell_number, line);
    else fmtbuf_printf(b, "Cell " GREEN "line %d" RESET, line);
    if (func) fmtbuf_printf(b, ", in " CYAN "%s" RESET, func);
}

/* the source lines around `line` with an arrow and a caret under col */
static void context(fmtbuf *b, const char *src, int line, int col)
{
    for (int l = line - 2 < 1 ? 1 : line - 2; l <= line; l++) {
        int len;
        const char *p = src_line(src, l, &len);
        if (l < line && len == 0) continue;
        if (l == line) fmtbuf_printf(b, "\n" BGREEN "----> %d" RESET " %.*s", l, len, p);
        else fmtbuf_printf(b, "\n" GREEN "%7d" RESET " %.*s", l, len, p);
        if (l == line && col >= 0 && col <= len) {
            /* width of the prefix "----> N " then col code points (tabs kept) */
            char num[16];
            int w = snprintf(num, sizeof num, "----> %d ", l);
            fmtbuf_putc(b, '\n');
            fmtbuf_repeat(b, " ", w);
            for (int i = 0; i < col; i++) {
                unsigned char c = (unsigned char)p[i];
                if ((c & 0xC0) == 0x80) continue;
                fmtbuf_putc(b, c == '\t' ? '\t' : ' ');
            }
            fmtbuf_puts(b, BRED "^" RESET);
        }
    }
}

static int same_frame(const tb_entry *a, const tb_entry *b)
{
    return a->arena == b->arena && a->line == b->line && a->col == b->col &&
           ((!a->func && !b->func) || (a->func && b->func && strcmp(a->func, b->func) == 0));
}

static char *dupstr(const char *s) { return strdup(s ? s : ""); }

void errors_to_result(lang_state *L, lang_result *res)
{
    const char *ename = lang_error_kind_name(L->err_kind);
    if (L->err_value.type == LV_INSTANCE && LV_OBJ(L->err_value, lv_instanceobj)->cls)
        ename = LV_OBJ(L->err_value, lv_instanceobj)->cls->name; /* a user's exception class */
    const char *msg = L->err_msg ? L->err_msg : "";
    res->status = LANG_ERROR;
    res->ename = dupstr(ename);
    res->evalue = dupstr(msg);
    int n = L->ntb;
    res->traceback = calloc((size_t)n + 3, sizeof(char *));
    res->ntraceback = 0;
    if (!res->traceback) { errors_reset(L); return; }
    fmtbuf b;
    if (L->err_kind == LANG_E_SYNTAX) {
        /* IPython: "  Cell In[1], line 1\n    x = (\n        ^" then the message */
        if (n > 0) {
            tb_entry *e = &L->tb[0];
            fmtbuf_init(&b);
            fmtbuf_puts(&b, "  ");
            where(&b, e->arena, e->line, NULL);
            int len;
            const char *p = src_line(e->arena ? e->arena->source : "", e->line, &len);
            fmtbuf_printf(&b, "\n    %.*s", len, p);
            if (e->col >= 0 && e->col <= len) {
                fmtbuf_puts(&b, "\n    ");
                for (int i = 0; i < e->col; i++) {
                    unsigned char c = (unsigned char)p[i];
                    if ((c & 0xC0) == 0x80) continue;
                    fmtbuf_putc(&b, c == '\t' ? '\t' : ' ');
                }
                fmtbuf_puts(&b, BRED "^" RESET);
            }
            char *s = fmtbuf_take(&b);
            if (s) res->traceback[res->ntraceback++] = s;
        }
    } else {
        fmtbuf_init(&b);
        fmtbuf_puts(&b, RED "---------------------------------------------------------------------------" RESET);
        char *s = fmtbuf_take(&b);
        if (s) res->traceback[res->ntraceback++] = s;
        fmtbuf_init(&b);
        int pad = 42 - (int)strlen(ename);
        fmtbuf_printf(&b, RED "%s" RESET "%*sTraceback (most recent call last)", ename, pad < 1 ? 1 : pad, "");
        s = fmtbuf_take(&b);
        if (s) res->traceback[res->ntraceback++] = s;
        /* entries are innermost first; show outermost first, with runs of
         * one repeated frame (deep recursion) collapsed as IPython does */
        for (int i = n - 1; i >= 0; i--) {
            tb_entry *e = &L->tb[i];
            int run = 1;
            while (i - run >= 0 && same_frame(e, &L->tb[i - run])) run++;
            fmtbuf_init(&b);
            where(&b, e->arena, e->line, e->func);
            context(&b, e->arena ? e->arena->source : "", e->line, e->col);
            s = fmtbuf_take(&b);
            if (s) res->traceback[res->ntraceback++] = s;
            if (run > 2) {
                fmtbuf_init(&b);
                fmtbuf_printf(&b, "    [... skipping similar frames: %s at line %d (%d times)]",
                              e->func ? e->func : "<cell>", e->line, run - 2);
                s = fmtbuf_take(&b);
                if (s) res->traceback[res->ntraceback++] = s;
                i -= run - 2;
            }
        }
    }
    fmtbuf_init(&b);
    fmtbuf_printf(&b, RED "%s" RESET ": %s", ename, msg);
    char *s = fmtbuf_take(&b);
    if (s) res->traceback[res->ntraceback++] = s;
    errors_reset(L);
}
