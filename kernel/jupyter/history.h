/* history.h — this session's inputs and outputs, for history_request.
 *
 * One entry per execute_request with store_history (line = its
 * execution_count; output = the execute_result's text/plain, or none).
 * Answers the three hist_access_type forms the way IPython's history
 * manager does for the current session: tail (last n), range (lines
 * start <= line < stop) and search (glob over the input, last n matches,
 * optionally unique). Only the executing thread touches it.
 */
#ifndef CGPU_KN_HISTORY_H
#define CGPU_KN_HISTORY_H

#include <jansson.h>

#define KN_HISTORY_SESSION 1 /* the session number reported for this run */

/* Owned by the kernel (kn_history_clear). */
typedef struct {
    struct kn_hist_entry { int line; char *input; char *output; } *v;
    int n, cap;
} kn_history;

/* Adds a copy of input (and output, may be NULL). 0, or -1 on OOM. */
int  kn_history_add(kn_history *h, int line, const char *input, const char *output);
void kn_history_clear(kn_history *h);

/* Builds the history_reply content for a request's content (borrowed).
 * Returns a new object; never NULL except when out of memory. */
json_t *kn_history_reply(const kn_history *h, json_t *request);

#endif
