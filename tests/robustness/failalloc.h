/* failalloc.h — an allocator that fails the Nth allocation (test builds).
 *
 * failalloc.c defines __wrap_malloc, __wrap_calloc, __wrap_realloc,
 * __wrap_aligned_alloc, __wrap_strdup and __wrap_vasprintf; a binary linked
 * with -Wl,--wrap=malloc,... routes every allocation of its own objects
 * (the language, the runtime) through them. libc's internal allocations
 * are not counted.
 *
 * Disarmed (the default) nothing fails. failalloc_arm(n, persistent) resets
 * the counter: allocation number n (1-based) fails, and with persistent
 * every later one too (the way SQLite's test allocator runs both cases).
 */
#ifndef CGPU_FAILALLOC_H
#define CGPU_FAILALLOC_H

void failalloc_arm(long n, int persistent);
void failalloc_disarm(void);
long failalloc_count(void);   /* allocations seen since the last arm */
long failalloc_failed(void);  /* allocations refused since the last arm */

#endif
