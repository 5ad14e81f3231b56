/* memcap.c — a memory cap for the language fuzzer, and a sandbox for the
 * files a cell may write.
 *
 * Linked into fuzz_lang with -Wl,--wrap=malloc,... so that every allocation
 * made by the language and the runtime (and only by them: libc's and
 * libFuzzer's own allocations are not wrapped) passes through here. One
 * allocation larger than MEMCAP_ONE, or one that would take the live total
 * past MEMCAP_TOTAL, fails with NULL, the way a real malloc fails when the
 * machine is full: the language must turn that into a MemoryError.
 * Without the cap a cell like `zeros((1<<28,))` would make libFuzzer report
 * an out-of-memory "crash" that is just a large but legitimate request.
 *
 * fopen: `savefig(path)` and `model.save(path)` write files; a fuzzer must
 * not write to arbitrary paths, so every fopen outside /proc goes to one
 * scratch file per process instead.
 */
#include <malloc.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memcap.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t al, size_t n);
void  __real_free(void *p);
int   __real_vasprintf(char **out, const char *fmt, va_list ap);
FILE *__real_fopen(const char *path, const char *mode);

static atomic_llong g_live;          /* bytes handed out and not yet freed */
size_t memcap_one = 4u << 20;         /* largest single allocation */
size_t memcap_total = 96u << 20;      /* largest live total */
static atomic_ulong g_refused;

unsigned long memcap_refused(void) { return atomic_load(&g_refused); }
long long memcap_live(void) { return atomic_load(&g_live); }

static int over(size_t n) {
    if (n > memcap_one || (long long)n + atomic_load(&g_live) > (long long)memcap_total) {
        atomic_fetch_add(&g_refused, 1);
        return 1;
    }
    return 0;
}

static void *account(void *p) {
    if (p) atomic_fetch_add(&g_live, (long long)malloc_usable_size(p));
    return p;
}

void *__wrap_malloc(size_t n) {
    if (over(n)) return NULL;
    return account(__real_malloc(n));
}

void *__wrap_calloc(size_t n, size_t m) {
    if (m && n > (size_t)-1 / m) return NULL;
    if (over(n * m)) return NULL;
    return account(__real_calloc(n, m));
}

void *__wrap_aligned_alloc(size_t al, size_t n) {
    if (over(n)) return NULL;
    return account(__real_aligned_alloc(al, n));
}

void __wrap_free(void *p) {
    if (!p) return;
    atomic_fetch_sub(&g_live, (long long)malloc_usable_size(p));
    __real_free(p);
}

void *__wrap_realloc(void *p, size_t n) {
    if (!p) return __wrap_malloc(n);
    size_t old = malloc_usable_size(p);
    if (n > old && over(n - old)) return NULL;
    if (n > memcap_one) { atomic_fetch_add(&g_refused, 1); return NULL; }
    void *q = __real_realloc(p, n);
    if (q || n == 0) atomic_fetch_sub(&g_live, (long long)old);
    return account(q);
}

char *__wrap_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = __wrap_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

int __wrap_vasprintf(char **out, const char *fmt, va_list ap) {
    int r = __real_vasprintf(out, fmt, ap);
    if (r >= 0) account(*out);
    return r;
}

static char g_scratch[64];

FILE *__wrap_fopen(const char *path, const char *mode) {
    if (path && strncmp(path, "/proc/", 6) == 0 && mode[0] == 'r') return __real_fopen(path, mode);
    if (!g_scratch[0]) snprintf(g_scratch, sizeof g_scratch, "/tmp/cgpu-fuzz-%d.scratch", (int)getpid());
    return __real_fopen(g_scratch, mode);
}

void memcap_cleanup(void) {
    if (g_scratch[0]) unlink(g_scratch);
}
