/* error.c — the runtime's error slot and the interrupt flag.
 *
 * Errors are thread-local: a failing function records a code and a message
 * here and returns NULL or the code; the caller reads them back with
 * rt_error_code() / rt_error_message(). Nothing in the runtime exits.
 */
#include "rt_core.h"

#include <stdarg.h>
#include <stdio.h>

/* Owned by the thread that failed; overwritten by its next failure. */
static _Thread_local rt_status err_code = RT_OK;
static _Thread_local char err_msg[1024];

rt_status rt_error_code(void) { return err_code; }

/* Never NULL: "" when no error is recorded. */
const char *rt_error_message(void) { return err_msg; }

void rt_clear_error(void) {
    err_code = RT_OK;
    err_msg[0] = '\0';
}

rt_status rt_set_error(rt_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_msg, sizeof err_msg, fmt, ap);
    va_end(ap);
    err_code = code;
    return code;
}

/* The host owns the flag (set from a signal handler or the control
 * channel); the runtime only reads it. */
static volatile sig_atomic_t *interrupt_flag;

void rt_set_interrupt_flag(volatile sig_atomic_t *flag) { interrupt_flag = flag; }

int rt_interrupted(void) { return interrupt_flag != NULL && *interrupt_flag != 0; }

/* "1.50 GiB" style, for messages (alloc.c, memlimit.c). */
void rt_format_bytes(size_t n, char *buf, size_t cap) {
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024.0 && u < 6) { v /= 1024.0; u++; }
    if (u == 0) snprintf(buf, cap, "%zu bytes", n);
    else snprintf(buf, cap, "%.2f %s", v, units[u]);
}
