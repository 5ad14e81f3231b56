/* fmtbuf.h — the one growable string buffer of the code base.
 *
 * Plain C with no dependency, so every layer uses it: the runtime (model
 * summaries, weight files), the language and its display code, the
 * protocol and the notebook writer.
 *
 * Ownership: a fmtbuf is owned by whoever declared it; its text is freed
 * with fmtbuf_free or handed over by fmtbuf_take. An allocation failure
 * sets `oom` and turns further writes into no-ops, so builders check once
 * at the end (fmtbuf_take returns NULL).
 */
#ifndef CGPU_FMTBUF_H
#define CGPU_FMTBUF_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char  *s;      /* NUL-terminated once anything was written; NULL before */
    size_t len, cap;
    int    oom;
} fmtbuf;

#define FMTBUF_INIT {NULL, 0, 0, 0}

void  fmtbuf_init(fmtbuf *b);
void  fmtbuf_free(fmtbuf *b);
void  fmtbuf_putn(fmtbuf *b, const char *s, size_t n);
void  fmtbuf_puts(fmtbuf *b, const char *s);
void  fmtbuf_putc(fmtbuf *b, char c);
void  fmtbuf_repeat(fmtbuf *b, const char *s, int n); /* s written n times (n <= 0: none) */
void  fmtbuf_printf(fmtbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void  fmtbuf_vprintf(fmtbuf *b, const char *fmt, va_list ap);
/* Hands the NUL-terminated string to the caller (and resets b); NULL when
 * an allocation failed along the way. */
char *fmtbuf_take(fmtbuf *b);

#ifdef __cplusplus
}
#endif

#endif
