/* numfmt.h — numbers as Python and numpy print them.
 *
 * Pure C (no runtime, no interpreter): repr of floats, numpy's float32
 * scalar text, Python's format-spec mini-language (f-strings and
 * str.format). The growable string every display module writes into,
 * fmtbuf, is runtime/common/fmtbuf.h (included here).
 *
 * Ownership: every char * returned here is malloc'd and owned by the caller
 * (free()). NULL means out of memory, or for fmt_format_spec an invalid spec
 * (the message is then in err).
 */
#ifndef CGPU_NUMFMT_H
#define CGPU_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

#include "fmtbuf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- shortest digits ------------------------------------------------------- */

/* Shortest decimal digits that read back as x (as a double, or as a float
 * when is_float32): writes the significant digits (no sign, no point, no
 * trailing zeros; "0" for zero) into digits (>= 20 bytes) and the decimal
 * point position into *decpt (value = 0.DIGITS * 10^decpt). x must be
 * finite; its sign is ignored. Returns the number of digits. Can't fail. */
int fmt_shortest_digits(double x, int is_float32, char *digits, int *decpt);

/* ---- scalars --------------------------------------------------------------- */

/* Python's repr(float): "0.1", "-40.0", "1e-07", "1.5e+20", "1e+16", "inf",
 * "-inf", "nan", "-0.0". */
char *fmt_float_repr(double x);

/* numpy's str()/repr() of a float32 scalar (numpy 1.x): shortest digits
 * unique for float32, positional when 1e-4 <= |x| < 1e16 (or 0), else
 * scientific: "0.1", "211.74469", "-40.0", "1e-05", "1e+16". */
char *fmt_float32_repr(float x);

/* ---- format-spec mini-language ------------------------------------------- */

/* The value being formatted. FMT_FLOAT32 is a float32 number held exactly
 * in f: it formats like a Python float, except with an empty type and no
 * precision, where it prints its float32 shortest text ("0.1", not numpy's
 * "0.10000000149011612"). FMT_BOOL formats as "True"/"False" with an empty
 * spec and as the int 1/0 otherwise (Python's bool). */
typedef enum { FMT_INT, FMT_BOOL, FMT_FLOAT, FMT_FLOAT32, FMT_STR } fmt_kind;

typedef struct {
    fmt_kind    kind;
    int64_t     i;   /* FMT_INT, FMT_BOOL */
    double      f;   /* FMT_FLOAT, FMT_FLOAT32 */
    const char *s;   /* FMT_STR: UTF-8, borrowed */
} fmt_value;

/* format(value, spec) with Python 3.11's rules:
 *   [[fill]align][sign][z][#][0][width][grouping][.precision][type]
 * align < > ^ =, sign + - space, grouping , or _, types b c d o x X n
 * (int), e E f F g G n % (float, and int converted), s (str), none.
 * Returns the formatted text, or NULL with Python's message in err (e.g.
 * "Unknown format code 'd' for object of type 'float'"); *err_kind (may be
 * NULL) is set to "ValueError" or "OverflowError" on failure. Out of memory
 * also returns NULL, with err "out of memory". */
char *fmt_format_spec(const fmt_value *v, const char *spec, char *err, size_t errcap);
char *fmt_format_spec_ex(const fmt_value *v, const char *spec, char *err, size_t errcap,
                         const char **err_kind);

/* Python type name used in messages: "int", "bool", "float", "str". */
const char *fmt_kind_name(fmt_kind k);

#ifdef __cplusplus
}
#endif
#endif
