/* failalloc.c — the failing allocator (failalloc.h). Thread-safe: the CPU
 * backend allocates from its worker threads too. */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failalloc.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t al, size_t n);
int   __real_vasprintf(char **out, const char *fmt, va_list ap);

static atomic_long g_count, g_failed, g_fail_at; /* g_fail_at 0: disarmed */
static atomic_int  g_persistent;

void failalloc_arm(long n, int persistent) {
    atomic_store(&g_count, 0);
    atomic_store(&g_failed, 0);
    atomic_store(&g_persistent, persistent);
    atomic_store(&g_fail_at, n);
}

void failalloc_disarm(void) { atomic_store(&g_fail_at, 0); }
long failalloc_count(void) { return atomic_load(&g_count); }
long failalloc_failed(void) { return atomic_load(&g_failed); }

/* 1 when this allocation must fail. */
static int fail_now(void) {
    long at = atomic_load(&g_fail_at);
    if (at <= 0) return 0;
    long n = atomic_fetch_add(&g_count, 1) + 1;
    if (n == at || (n > at && atomic_load(&g_persistent))) {
        atomic_fetch_add(&g_failed, 1);
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { return fail_now() ? NULL : __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }
void *__wrap_aligned_alloc(size_t al, size_t n) { return fail_now() ? NULL : __real_aligned_alloc(al, n); }

char *__wrap_strdup(const char *s) {
    if (fail_now()) return NULL;
    size_t n = strlen(s) + 1;
    char *d = __real_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

int __wrap_vasprintf(char **out, const char *fmt, va_list ap) {
    if (fail_now()) { *out = NULL; return -1; }
    return __real_vasprintf(out, fmt, ap);
}
