/* unicode.h — character properties and case mapping of code points, as
 * Python's str methods see them. Case mapping, letters and case classes
 * agree with Python for U+0000–U+058F (Latin, IPA, Greek, Coptic,
 * Cyrillic, Armenian) and the ligatures U+FB00–U+FB06; printable and
 * whitespace agree everywhere, decimal digits too. Beyond those
 * ranges the C.UTF-8 locale's tables answer (close, not exact).
 */
#ifndef CGPU_LANG_UNICODE_H
#define CGPU_LANG_UNICODE_H
#include <stddef.h>
#include <stdint.h>

/* Full case mapping (ß -> "SS"): writes up to 3 code points to out and
 * returns how many. kind: 'u' upper, 'l' lower, 't' title. */
int uc_case_full(uint32_t c, char kind, uint32_t out[3]);
uint32_t uc_upper(uint32_t c);   /* simple (one code point) mappings */
uint32_t uc_lower(uint32_t c);
int uc_isalpha(uint32_t c);      /* Python's str.isalpha of one character */
int uc_isupper(uint32_t c);      /* uppercase letter (not titlecase) */
int uc_islower(uint32_t c);
int uc_iscased(uint32_t c);      /* upper, lower or titlecase */
int uc_decimal(uint32_t c);      /* value of a decimal digit (any script), or -1 */
int uc_isdigit(uint32_t c);      /* decimal digits and ¹ ² ³ */
int uc_isspace(uint32_t c);      /* Python's whitespace (str.split, strip) */
int uc_isprintable(uint32_t c);  /* repr() leaves it as it is */

/* Decodes the UTF-8 character at s[i] (n bytes in all) into *cp; returns
 * its length in bytes (1 for a stray byte). */
size_t uc_utf8_get(const char *s, size_t n, size_t i, uint32_t *cp);
#endif
