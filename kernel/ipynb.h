/* ipynb.h — Jupyter notebook files (nbformat 4) for the headless runner.
 *
 * A notebook is held as a jansson tree with every multi-line string joined
 * (cell sources, stream text, MIME data), the way nbformat holds it in
 * memory. ipynb_dump writes it back the way nbformat.write does (lines split
 * into lists, keys sorted, one-space indent, UTF-8, trailing newline), so a
 * notebook executed by the runner diffs cleanly against one executed by
 * nbconvert.
 *
 * Ownership: functions returning json_t * return a new reference (release
 * with json_decref); json_t arguments are borrowed. Strings returned as
 * char * are malloc'd and owned by the caller. Errors are reported through
 * a caller-supplied buffer (err, errcap) as one sentence; nothing exits.
 */
#ifndef CGPU_IPYNB_H
#define CGPU_IPYNB_H

#ifdef CGPU_HAVE_JANSSON

#include <stddef.h>
#include <jansson.h>
#include "lang.h"

/* Reads and checks a notebook: nbformat 4, a "cells" list of cells with a
 * cell_type and a source, a "metadata" object. Joins multi-line strings,
 * drops transient keys (orig_nbformat, signature, cell "trusted") and gives
 * cells of an nbformat >= 4.5 notebook an id when they lack one. `path` "-"
 * reads stdin. NULL with a message in err on failure. */
json_t *ipynb_load(const char *path, char *err, size_t errcap);
/* Same, from a NUL-terminated JSON text; `name` is used in messages. */
json_t *ipynb_loads(const char *text, const char *name, char *err, size_t errcap);

/* The notebook as nbformat writes it (see the top). NULL when out of
 * memory. The tree is not modified. */
char *ipynb_dumps(const json_t *nb);
/* Writes ipynb_dumps(nb) to `path` through a temporary file in the same
 * directory and a rename, so a reader never sees half a notebook; "-"
 * writes to stdout. 0, or -1 with a message in err. */
int ipynb_save(const json_t *nb, const char *path, char *err, size_t errcap);

/* The joined source of a cell (borrowed; "" when absent). */
const char *ipynb_cell_source(const json_t *cell);

/* Output constructors, nbformat's shapes (new references, NULL when out of
 * memory). Text that is not valid UTF-8 is repaired with U+FFFD, as a
 * Python kernel decoding with errors="replace" would. */
json_t *ipynb_stream(const char *name, const char *text, size_t len);
/* display_data (execution_count < 0) or execute_result. The data of JSON
 * MIME types (application/json, application/...+json) is parsed into JSON;
 * metadata is {}. */
json_t *ipynb_display(const lang_bundle *b, int execution_count);
json_t *ipynb_error(const char *ename, const char *evalue, char *const *traceback, int ntraceback);
/* Appends text to a stream output's "text". 0, or -1 when out of memory. */
int ipynb_stream_append(json_t *stream, const char *text, size_t len);
/* Replaces a display output's data with b's (update_display_data). */
int ipynb_display_update(json_t *output, const lang_bundle *b);

/* nbconvert's coalesce_streams \r rule on every stream output of a cell:
 * text up to a carriage return that does not end the line is dropped
 * (progress lines keep only their last state). */
void ipynb_fold_carriage_returns(json_t *outputs);

/* Current UTC time as nbclient stamps cell metadata:
 * "2024-05-01T12:00:00.123456Z". Writes into buf (cap >= 32). */
void ipynb_timestamp(char *buf, size_t cap);

#endif /* CGPU_HAVE_JANSSON */
#endif
