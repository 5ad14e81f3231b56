/* mime_json.h — MIME bundles and text as Jupyter records them in JSON.
 *
 * One set of rules for the protocol (execute_result, display_data, stream
 * text) and the notebook writer (the outputs of an .ipynb), so that a
 * notebook run headless records what a Jupyter client would have received.
 * Built when jansson is (CGPU_HAVE_JANSSON).
 *
 * Ownership: every json_t * returned is a new reference owned by the
 * caller (json_decref); NULL means out of memory.
 */
#ifndef CGPU_MIME_JSON_H
#define CGPU_MIME_JSON_H

#include <stddef.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* nbformat's rule (_is_json_mime): application/json and application/...+json
 * carry JSON values; every other type carries text. */
int mime_is_json(const char *mime);

/* A JSON string of s[0..len); each byte that is not valid UTF-8 becomes
 * U+FFFD (Python's errors="replace"). */
json_t *mime_json_text(const char *s, size_t len);

/* The value of one representation: for a JSON type the parsed value when
 * text parses, otherwise the text as a string. */
json_t *mime_json_value(const char *mime, const char *text);

/* The "data" object of a bundle of n (mime[i], data[i]) pairs; pairs with a
 * NULL member are skipped. */
json_t *mime_json_bundle(int n, char *const *mime, char *const *data);

#ifdef __cplusplus
}
#endif

#endif
