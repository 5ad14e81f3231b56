/* utf8.h — UTF-8 rules shared by the protocol, the notebook writer and the
 * display code, with Python's strict decoder as the reference.
 *
 * Plain C, no dependency, no allocation.
 */
#ifndef CGPU_UTF8_H
#define CGPU_UTF8_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Length (1..4) of the valid UTF-8 sequence at s, or 0 when the bytes there
 * are not one or are cut short by avail (overlong forms, surrogates and code
 * points past U+10FFFF are invalid, as in Python's strict decoder). */
int utf8_seq(const unsigned char *s, size_t avail);

/* Bytes of s[0..len) that end on a character boundary: a multi-byte
 * character cut at the end is left out (for streaming in chunks). */
size_t utf8_complete(const char *s, size_t len);

/* Number of code points in s[0..nbytes) (invalid bytes count as one). */
size_t utf8_length(const char *s, size_t nbytes);

/* Bytes of s[0..len) before the first invalid sequence (len when valid). */
size_t utf8_valid_prefix(const char *s, size_t len);

#ifdef __cplusplus
}
#endif

#endif
