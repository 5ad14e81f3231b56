/* fmtbuf.c — the growable string buffer (see fmtbuf.h). */
#include "fmtbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fmtbuf_init(fmtbuf *b) { b->s = NULL; b->len = b->cap = 0; b->oom = 0; }

void fmtbuf_free(fmtbuf *b) { free(b->s); fmtbuf_init(b); }

/* Makes room for n more bytes plus the NUL; 0 on success. */
static int fmtbuf_reserve(fmtbuf *b, size_t n) {
    if (b->oom) return -1;
    if (b->len + n + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1) {
        if (cap > ((size_t)-1) / 2) { b->oom = 1; return -1; }
        cap *= 2;
    }
    char *s = realloc(b->s, cap);
    if (!s) { b->oom = 1; return -1; }
    b->s = s;
    b->cap = cap;
    return 0;
}

void fmtbuf_putn(fmtbuf *b, const char *s, size_t n) {
    if (fmtbuf_reserve(b, n)) return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void fmtbuf_puts(fmtbuf *b, const char *s) { fmtbuf_putn(b, s, strlen(s)); }

void fmtbuf_putc(fmtbuf *b, char c) { fmtbuf_putn(b, &c, 1); }

void fmtbuf_repeat(fmtbuf *b, const char *s, int n) {
    size_t l = strlen(s);
    for (int i = 0; i < n; i++) fmtbuf_putn(b, s, l);
}

void fmtbuf_vprintf(fmtbuf *b, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || fmtbuf_reserve(b, (size_t)n)) return;
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void fmtbuf_printf(fmtbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fmtbuf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *fmtbuf_take(fmtbuf *b) {
    if (b->oom) { fmtbuf_free(b); return NULL; }
    if (!b->s && fmtbuf_reserve(b, 0)) return NULL;
    if (!b->s) return NULL;
    b->s[b->len] = '\0';
    char *s = b->s;
    fmtbuf_init(b);
    return s;
}
