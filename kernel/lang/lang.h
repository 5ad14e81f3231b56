/* lang.h — the language as the kernel sees it.
 *
 * The Jupyter protocol (kernel/jupyter/) and the headless notebook runner
 * (kernel/runner.c) drive the interpreter only through this interface, the
 * way xeus plugs a language into its kernel: execute, complete, inspect,
 * is_complete, info, interrupt. Nothing here includes ZeroMQ or jansson, so
 * each side can be tested without the other.
 *
 * Ownership: lang_state is owned by its creator (lang_free). Bundles,
 * results and completions filled by these functions own their strings;
 * release them with the matching *_clear function. Strings passed in are
 * borrowed.
 */
#ifndef CGPU_LANG_H
#define CGPU_LANG_H

#include <stddef.h>
#include <signal.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lang_state lang_state;

/* A MIME bundle: data[i] is the representation for mime[i] (UTF-8 text;
 * "text/plain" always first when present). */
#define LANG_BUNDLE_MAX 6
typedef struct {
    int   n;
    char *mime[LANG_BUNDLE_MAX];
    char *data[LANG_BUNDLE_MAX];
} lang_bundle;
void lang_bundle_clear(lang_bundle *b);
/* Adds a copy of (mime, data); returns 0, or -1 when full or out of memory. */
int  lang_bundle_add(lang_bundle *b, const char *mime, const char *data);

/* Where a running cell's side effects go. Every callback may be NULL
 * (the effect is dropped). Called on the executing thread, in order. */
typedef struct {
    void *ctx;
    /* name is "stdout" or "stderr"; text is not NUL-terminated. The host
     * batches (a tight print loop must not send one message per line). */
    void (*stream)(void *ctx, const char *name, const char *text, size_t len);
    /* display_data (update == 0) or update_display_data (update == 1);
     * display_id may be NULL. */
    void (*display)(void *ctx, const lang_bundle *bundle, const char *display_id, int update);
    void (*clear_output)(void *ctx, int wait);
    /* input(): returns 0 and a malloc'd line in *value, or -1 with a
     * malloc'd message in *value when stdin is not allowed / failed. */
    int  (*input)(void *ctx, const char *prompt, int password, char **value);
} lang_output;

typedef enum { LANG_OK = 0, LANG_ERROR = 1 } lang_status;

typedef struct {
    lang_status status;
    lang_bundle value;     /* execute_result when value.n > 0 */
    char       *ename;     /* on error: "NameError" ... */
    char       *evalue;    /* on error: the message */
    char      **traceback; /* on error: lines (may contain ANSI colours) */
    int         ntraceback;
} lang_result;
void lang_result_clear(lang_result *r);

lang_state *lang_new(void);   /* NULL only when out of memory */
void        lang_free(lang_state *L);

/* Runs one cell. `silent` suppresses the execute_result (outputs from
 * print still go to `out`, the caller decides whether to forward them).
 * Never crashes on any input: errors come back in *res with status
 * LANG_ERROR and every earlier binding intact. */
lang_status lang_execute(lang_state *L, const char *code, const lang_output *out,
                         int silent, lang_result *res);

/* Evaluates one expression for user_expressions; fills `value` (text/plain
 * at least) or the error fields of *res. No side effects on outputs. */
lang_status lang_eval_expression(lang_state *L, const char *expr, lang_result *res);

/* Asks the running cell to stop at its next safe point with a
 * KeyboardInterrupt. Async-signal-safe; callable from any thread. */
void lang_interrupt(lang_state *L);
/* Clears a pending interrupt. lang_execute does not: the host calls this
 * before it announces a cell (execute_input), so that an interrupt aimed at
 * an earlier cell does not hit this one and one sent after the announcement
 * is never lost. */
void lang_clear_interrupt(lang_state *L);
/* The flag lang_interrupt sets (the runtime polls it between steps). */
volatile sig_atomic_t *lang_interrupt_flag(lang_state *L);

/* complete_request: matches for the token before cursor_pos (a position in
 * Unicode code points). cursor_start/cursor_end in code points. */
typedef struct {
    char **matches;
    int    n;
    int    cursor_start, cursor_end;
} lang_completion;
void lang_complete(lang_state *L, const char *code, int cursor_pos, lang_completion *c);
void lang_completion_clear(lang_completion *c);

/* inspect_request: returns 1 and fills `doc` (text/plain, maybe
 * text/markdown) when something is found at cursor_pos, else 0. */
int  lang_inspect(lang_state *L, const char *code, int cursor_pos, int detail_level,
                  lang_bundle *doc);

/* is_complete_request: returns "complete", "incomplete" or "invalid"; for
 * "incomplete" writes the suggested indent (spaces) into indent. */
const char *lang_is_complete(lang_state *L, const char *code, char *indent, size_t indent_cap);

/* language_info and banner for kernel_info_reply. */
typedef struct {
    const char *name;            /* "cgpu" */
    const char *version;         /* language version */
    const char *mimetype;        /* "text/x-cgpu" */
    const char *file_extension;  /* ".cg" */
    const char *pygments_lexer;  /* "python" (Python-flavoured syntax) */
    const char *codemirror_mode; /* "python" */
    const char *nbconvert_exporter; /* "python" */
    const char *banner;
} lang_info_t;
const lang_info_t *lang_info(void);

#ifdef __cplusplus
}
#endif
#endif
