/* numfmt.c — numbers as Python and numpy print them.
 *
 * Digits come from the C library (printf's %e/%f are correctly rounded, as
 * Python's dtoa is); the layout of those digits follows CPython's
 * format_float_short (Python/pystrtod.c) and the format-spec rules of
 * Python/formatter_unicode.c, so that f-strings print what Python prints.
 */
#include "numfmt.h"
#include "utf8.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- digits ------------------------------------------------------------------ */

static int roundtrips(const char *text, double x, int f32) {
    if (f32) return strtof(text, NULL) == (float)x;
    return strtod(text, NULL) == x;
}

/* Parses printf's "%e" text "d.ddde+XX" into digits (trailing zeros
 * stripped) and a decimal point position. */
static int parse_e(const char *t, char *digits, int *decpt) {
    int n = 0;
    const char *p = t;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') digits[n++] = *p;
    int e = (*p == 'e') ? atoi(p + 1) : 0;
    while (n > 1 && digits[n - 1] == '0') n--;
    digits[n] = '\0';
    *decpt = e + 1;
    return n;
}

int fmt_shortest_digits(double x, int is_float32, char *digits, int *decpt) {
    x = fabs(x);
    if (x == 0 || !isfinite(x)) { strcpy(digits, "0"); *decpt = 1; return 1; }
    char buf[64];
    int maxp = is_float32 ? 9 : 17;
    for (int p = 1; p <= maxp; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, x);
        if (roundtrips(buf, x, is_float32)) return parse_e(buf, digits, decpt);
        /* Near a power of two the rounding interval is lopsided: the nearest
         * p-digit decimal can miss it while its neighbour hits it. */
        char m[32];
        int dn = 0;
        const char *q = buf;
        for (; *q && *q != 'e'; q++)
            if (*q >= '0' && *q <= '9') m[dn++] = *q;
        m[dn] = '\0';
        int e = atoi(q + 1) - (p - 1);
        unsigned long long mv = strtoull(m, NULL, 10);
        for (int d = -1; d <= 1; d += 2) {
            unsigned long long mm = mv + (unsigned long long)(long long)d;
            if (mm == 0) continue;
            snprintf(buf, sizeof buf, "%llue%d", mm, e);
            if (roundtrips(buf, x, is_float32)) {
                char md[32];
                int len = snprintf(md, sizeof md, "%llu", mm);
                int n = len;
                while (n > 1 && md[n - 1] == '0') n--;
                memcpy(digits, md, (size_t)n);
                digits[n] = '\0';
                *decpt = e + len;
                return n;
            }
        }
    }
    snprintf(buf, sizeof buf, "%.*e", maxp - 1, x);
    return parse_e(buf, digits, decpt);
}

/* Digits of |x| for CPython's dtoa modes: mode 2 gives `ndigits`
 * significant digits, mode 3 gives `ndigits` digits after the point;
 * trailing zeros stripped. Zero gives "0" at decpt 1; a value that rounds
 * to nothing in mode 3 gives "" at decpt -ndigits (as dtoa does). Returns a
 * malloc'd string or NULL. */
static char *dtoa_digits(double x, int mode, int ndigits, int *decpt, int *ndig) {
    x = fabs(x);
    char *out;
    if (x == 0) {
        out = malloc(2);
        if (!out) return NULL;
        strcpy(out, "0");
        *decpt = 1;
        *ndig = 1;
        return out;
    }
    size_t cap = (size_t)ndigits + 400;
    char *t = malloc(cap);
    out = malloc(cap);
    if (!t || !out) { free(t); free(out); return NULL; }
    if (mode == 2) {
        snprintf(t, cap, "%.*e", ndigits - 1, x);
        *ndig = parse_e(t, out, decpt);
    } else {
        snprintf(t, cap, "%.*f", ndigits, x);
        int n = 0, intlen = 0, lz = 0, seen = 0, in_frac = 0;
        for (const char *p = t; *p; p++) {
            if (*p == '.') { in_frac = 1; continue; }
            if (!in_frac) intlen++;
            if (!seen && *p == '0') { lz++; continue; }
            seen = 1;
            out[n++] = *p;
        }
        while (n > 0 && out[n - 1] == '0') n--;
        out[n] = '\0';
        *ndig = n;
        *decpt = n ? intlen - lz : -ndigits;
    }
    free(t);
    return out;
}

/* CPython's format_float_short: lays out `digits` (value 0.DIGITS*10^decpt)
 * for type e, f, g or r. For 'e' precision counts significant digits.
 * force_exp: -1 decide by the type's rule, 0/1 override (numpy's float32
 * scalar rule). */
static void layout_float(fmtbuf *b, const char *digits, int ndig, int decpt, char type,
                         int precision, int add_dot_0, int alt, int upper, int force_exp) {
    int use_exp = 0, vend = ndig;
    switch (type) {
    case 'e': use_exp = 1; vend = precision; break;
    case 'f': vend = decpt + precision; break;
    case 'g':
        if (decpt <= -4 || decpt > (add_dot_0 ? precision - 1 : precision)) use_exp = 1;
        if (alt) vend = precision;
        break;
    case 'r':
        if (decpt <= -4 || decpt > 16) use_exp = 1;
        break;
    }
    if (force_exp >= 0) use_exp = force_exp;
    int exp = 0;
    if (use_exp) { exp = decpt - 1; decpt = 1; }
    int vstart = decpt <= 0 ? decpt - 1 : 0;
    if (!use_exp && add_dot_0) vend = vend > decpt ? vend : decpt + 1;
    else vend = vend > decpt ? vend : decpt;

    size_t start = b->len;
    if (decpt <= 0) {
        fmtbuf_repeat(b, "0", decpt - vstart);
        fmtbuf_putc(b, '.');
        fmtbuf_repeat(b, "0", -decpt);
    } else {
        fmtbuf_repeat(b, "0", -vstart);
    }
    if (0 < decpt && decpt <= ndig) {
        fmtbuf_putn(b, digits, (size_t)decpt);
        fmtbuf_putc(b, '.');
        fmtbuf_putn(b, digits + decpt, (size_t)(ndig - decpt));
    } else {
        fmtbuf_putn(b, digits, (size_t)ndig);
    }
    if (ndig < decpt) {
        fmtbuf_repeat(b, "0", decpt - ndig);
        fmtbuf_putc(b, '.');
        fmtbuf_repeat(b, "0", vend - decpt);
    } else {
        fmtbuf_repeat(b, "0", vend - ndig);
    }
    if (!b->oom && b->len > start && b->s[b->len - 1] == '.' && !alt) b->s[--b->len] = '\0';
    if (use_exp) fmtbuf_printf(b, "%c%+.02d", upper ? 'E' : 'e', exp);
}

/* Python's float text for one type (no padding): sign, digits, exponent.
 * `type` is one of e f g r (upper for E F G); precision as in Python.
 * f32: shortest digits are float32's (type 'r'), with numpy's
 * positional/scientific rule. Returns 0, or -1 when out of memory. */
static int float_text(fmtbuf *b, double x, char type, int precision, int add_dot_0, int alt,
                      int upper, int sign_plus, int sign_space, int no_neg_0, int f32) {
    if (isnan(x)) {
        if (sign_plus) fmtbuf_putc(b, '+');
        else if (sign_space) fmtbuf_putc(b, ' ');
        fmtbuf_puts(b, upper ? "NAN" : "nan");
        return b->oom ? -1 : 0;
    }
    int neg = signbit(x) != 0;
    if (isinf(x)) {
        fmtbuf_puts(b, neg ? "-" : sign_plus ? "+" : sign_space ? " " : "");
        fmtbuf_puts(b, upper ? "INF" : "inf");
        return b->oom ? -1 : 0;
    }
    char sd[32];
    char *heap = NULL;
    const char *digits;
    int ndig, decpt, force_exp = -1;
    if (type == 'r') {
        ndig = fmt_shortest_digits(x, f32, sd, &decpt);
        digits = sd;
        if (f32) {
            double a = fabs(x);
            force_exp = !(a == 0 || (1e-4 <= a && a < 1e16));
        }
    } else {
        int mode = type == 'f' ? 3 : 2, nd = precision;
        if (type == 'e') nd = precision + 1;
        if (type == 'g' && nd == 0) nd = 1;
        heap = dtoa_digits(x, mode, nd, &decpt, &ndig);
        if (!heap) return -1;
        digits = heap;
        if (type == 'e') precision = nd;
        if (type == 'g') precision = nd;
    }
    if (neg && no_neg_0) {
        int allzero = 1;
        for (int i = 0; i < ndig; i++)
            if (digits[i] != '0') allzero = 0;
        if (allzero) neg = 0;
    }
    fmtbuf_puts(b, neg ? "-" : sign_plus ? "+" : sign_space ? " " : "");
    layout_float(b, digits, ndig, decpt, type, precision, add_dot_0, alt, upper, force_exp);
    free(heap);
    return b->oom ? -1 : 0;
}

char *fmt_float_repr(double x) {
    fmtbuf b;
    fmtbuf_init(&b);
    if (float_text(&b, x, 'r', 0, 1, 0, 0, 0, 0, 0, 0)) { fmtbuf_free(&b); return NULL; }
    return fmtbuf_take(&b);
}

char *fmt_float32_repr(float x) {
    fmtbuf b;
    fmtbuf_init(&b);
    if (float_text(&b, (double)x, 'r', 0, 1, 0, 0, 0, 0, 0, 1)) { fmtbuf_free(&b); return NULL; }
    return fmtbuf_take(&b);
}

/* ---- format spec ------------------------------------------------------------- */

const char *fmt_kind_name(fmt_kind k) {
    switch (k) {
    case FMT_INT: return "int";
    case FMT_BOOL: return "bool";
    case FMT_FLOAT: case FMT_FLOAT32: return "float";
    case FMT_STR: return "str";
    }
    return "object";
}

/* A parsed spec (InternalFormatSpec in CPython). */
typedef struct {
    char     fill[5];   /* UTF-8 of the fill code point */
    int      fill_specified;
    uint32_t align;
    int      align_specified;
    uint32_t sign;      /* 0, '+', '-', ' ' */
    int      no_neg_0, alt;
    long     width, precision; /* -1 = absent */
    int      sep;       /* 0, ',' or '_' */
    int      group;     /* digits per group: 3, or 4 for '_' with b o x X */
    uint32_t type;      /* 0 = none */
} spec_t;

#define SPEC_MAX_NUM 100000000L /* width/precision beyond this would only exhaust memory */

/* Decodes UTF-8 into code points; returns the count. Invalid bytes decode
 * as themselves (one code point each). */
static size_t utf8_decode(const char *s, uint32_t *out, size_t cap) {
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && n < cap) {
        uint32_t c = *p;
        int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        int ok = 1;
        for (int i = 1; i <= extra && ok; i++) /* stop at the first bad byte: never read past a NUL */
            if ((p[i] & 0xC0) != 0x80) ok = 0;
        if (!ok || c >= 0xF8) extra = 0;
        if (extra) {
            c &= (uint32_t)(0x3F >> extra);
            for (int i = 1; i <= extra; i++) c = (c << 6) | (p[i] & 0x3F);
        }
        out[n++] = c;
        p += 1 + extra;
    }
    return n;
}

static int utf8_encode(uint32_t c, char *out) {
    if (c < 0x80) { out[0] = (char)c; return 1; }
    if (c < 0x800) { out[0] = (char)(0xC0 | (c >> 6)); out[1] = (char)(0x80 | (c & 0x3F)); return 2; }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12)); out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F)); return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18)); out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F)); out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static int is_align(uint32_t c) { return c == '<' || c == '>' || c == '=' || c == '^'; }

/* Writes the message for an unknown presentation type. */
static void unknown_type(uint32_t type, const char *tname, char *err, size_t cap) {
    if (type > 32 && type < 128)
        snprintf(err, cap, "Unknown format code '%c' for object of type '%s'", (char)type, tname);
    else
        snprintf(err, cap, "Unknown format code '\\x%x' for object of type '%s'", (unsigned)type, tname);
}

/* parse_internal_render_format_spec: 0 on success, -1 with err set. */
static int parse_spec(const char *spec, const char *tname, uint32_t default_type, uint32_t default_align,
                      spec_t *f, char *err, size_t errcap) {
    size_t slen = strlen(spec);
    uint32_t stackbuf[64];
    uint32_t *cp = slen < 64 ? stackbuf : malloc((slen + 1) * sizeof *cp);
    if (!cp) { snprintf(err, errcap, "out of memory"); return -1; }
    size_t end = utf8_decode(spec, cp, slen + 1), pos = 0;
    int rc = -1;

    memset(f, 0, sizeof *f);
    strcpy(f->fill, " ");
    f->align = default_align;
    f->width = f->precision = -1;
    f->type = default_type;
    f->group = 3;

    if (end - pos >= 2 && is_align(cp[pos + 1])) {
        f->fill[utf8_encode(cp[pos], f->fill)] = '\0';
        f->align = cp[pos + 1];
        f->fill_specified = f->align_specified = 1;
        pos += 2;
    } else if (end - pos >= 1 && is_align(cp[pos])) {
        f->align = cp[pos];
        f->align_specified = 1;
        pos++;
    }
    if (end - pos >= 1 && (cp[pos] == '+' || cp[pos] == '-' || cp[pos] == ' ')) f->sign = cp[pos++];
    if (end - pos >= 1 && cp[pos] == 'z') { f->no_neg_0 = 1; pos++; }
    if (end - pos >= 1 && cp[pos] == '#') { f->alt = 1; pos++; }
    if (!f->fill_specified && end - pos >= 1 && cp[pos] == '0') {
        strcpy(f->fill, "0");
        if (!f->align_specified && default_align == '>') f->align = '=';
        pos++;
    }
    for (int which = 0; which < 2; which++) {
        if (which == 1) {
            if (end - pos >= 1 && cp[pos] == ',') { f->sep = ','; pos++; }
            if (end - pos >= 1 && cp[pos] == '_') {
                if (f->sep) { snprintf(err, errcap, "Cannot specify both ',' and '_'."); goto out; }
                f->sep = '_';
                pos++;
            }
            if (end - pos >= 1 && cp[pos] == ',' && f->sep == '_') {
                snprintf(err, errcap, "Cannot specify both ',' and '_'.");
                goto out;
            }
            if (end - pos >= 1 && cp[pos] == '.') {
                pos++;
            } else {
                break;
            }
        }
        long v = 0;
        size_t start = pos;
        while (pos < end && cp[pos] >= '0' && cp[pos] <= '9') {
            if (v > SPEC_MAX_NUM) { snprintf(err, errcap, "Too many decimal digits in format string"); goto out; }
            v = v * 10 + (long)(cp[pos] - '0');
            pos++;
        }
        if (v > SPEC_MAX_NUM) { snprintf(err, errcap, "Too many decimal digits in format string"); goto out; }
        if (which == 0) {
            f->width = pos > start ? v : -1;
        } else {
            if (pos == start) { snprintf(err, errcap, "Format specifier missing precision"); goto out; }
            f->precision = v;
        }
    }
    if (end - pos > 1) {
        snprintf(err, errcap, "Invalid format specifier '%s' for object of type '%s'", spec, tname);
        goto out;
    }
    if (end - pos == 1) f->type = cp[pos++];
    if (f->sep) {
        switch (f->type) {
        case 'd': case 'e': case 'f': case 'g': case 'E': case 'G': case '%': case 'F': case 0:
            break;
        case 'b': case 'o': case 'x': case 'X':
            if (f->sep == '_') { f->group = 4; break; }
            /* fall through */
        default:
            if (f->type > 32 && f->type < 128)
                snprintf(err, errcap, "Cannot specify '%c' with '%c'.", f->sep, (char)f->type);
            else
                snprintf(err, errcap, "Cannot specify '%c' with '\\x%x'.", f->sep, (unsigned)f->type);
            goto out;
        }
    }
    rc = 0;
out:
    if (cp != stackbuf) free(cp);
    return rc;
}

/* Appends the integer-part digits grouped as CPython's
 * _PyUnicode_InsertThousandsGrouping does, zero-padded to min_width
 * (counting separators). sep == 0: no separators. */
static void put_grouped(fmtbuf *b, const char *digits, long n, long min_width, int sep, int group) {
    /* Built right to left into a scratch buffer, then reversed. */
    size_t cap = (size_t)(n + (min_width > 0 ? min_width : 0)) * 2 + 8;
    char *tmp = malloc(cap);
    if (!tmp) { b->oom = 1; return; }
    size_t k = 0;
    long remaining = n;
    int use_sep = 0;
    if (!sep) {
        long l = remaining > min_width ? remaining : min_width;
        if (l < 1) l = 1;
        for (long i = 0; i < remaining; i++) tmp[k++] = digits[n - 1 - i];
        for (long i = remaining; i < l; i++) tmp[k++] = '0';
    } else {
        for (;;) {
            long l = remaining > min_width ? remaining : min_width;
            if (l < 1) l = 1;
            if (l > group) l = group;
            long nz = l - remaining > 0 ? l - remaining : 0;
            long nc = remaining < l ? remaining : l;
            if (nc < 0) nc = 0;
            if (use_sep) tmp[k++] = (char)sep;
            for (long i = 0; i < nc; i++) tmp[k++] = digits[remaining - 1 - i];
            for (long i = 0; i < nz; i++) tmp[k++] = '0';
            use_sep = 1;
            remaining -= nc;
            min_width -= group;
            if (remaining <= 0 && min_width <= 0) break;
            min_width -= 1;
        }
    }
    for (size_t i = 0; i < k / 2; i++) { char c = tmp[i]; tmp[i] = tmp[k - 1 - i]; tmp[k - 1 - i] = c; }
    fmtbuf_putn(b, tmp, k);
    free(tmp);
}

/* Counts the grouped width without writing (same walk as put_grouped). */
static long grouped_width(long n, long min_width, int sep, int group) {
    if (!sep) {
        long l = n > min_width ? n : min_width;
        return l < 1 ? 1 : l;
    }
    long count = 0, remaining = n;
    int use_sep = 0;
    for (;;) {
        long l = remaining > min_width ? remaining : min_width;
        if (l < 1) l = 1;
        if (l > group) l = group;
        long nz = l - remaining > 0 ? l - remaining : 0;
        long nc = remaining < l ? remaining : l;
        if (nc < 0) nc = 0;
        count += use_sep + nz + nc;
        use_sep = 1;
        remaining -= nc;
        min_width -= group;
        if (remaining <= 0 && min_width <= 0) break;
        min_width -= 1;
    }
    return count;
}

/* CPython's calc_number_widths + fill_number: body is the number text
 * without its sign ("1234.5e+07"); n_digits leading digits get grouped;
 * prefix ("0x") goes after the sign. */
static void put_number(fmtbuf *b, const spec_t *f, int negative, const char *prefix,
                       const char *body, size_t n_digits, size_t n_body) {
    char sign = 0;
    if (f->sign == '+') sign = negative ? '-' : '+';
    else if (f->sign == ' ') sign = negative ? '-' : ' ';
    else if (negative) sign = '-';
    long n_sign = sign ? 1 : 0, n_prefix = (long)strlen(prefix);
    long n_rest = (long)(n_body - n_digits); /* decimal point + remainder, bytes */
    long rest_cols = (long)utf8_length(body + n_digits, (size_t)n_rest);
    long non_digit = n_sign + n_prefix + rest_cols;
    long min_width = (f->fill[0] == '0' && f->fill[1] == '\0' && f->align == '=') ? f->width - non_digit : 0;
    long n_grouped = n_digits ? grouped_width((long)n_digits, min_width, f->sep, f->group) : 0;
    long pad = f->width - (non_digit + n_grouped), lpad = 0, spad = 0, rpad = 0;
    if (pad > 0) {
        switch (f->align) {
        case '<': rpad = pad; break;
        case '^': lpad = pad / 2; rpad = pad - lpad; break;
        case '=': spad = pad; break;
        default: lpad = pad; break;
        }
    }
    fmtbuf_repeat(b, f->fill, (int)lpad);
    if (sign) fmtbuf_putc(b, sign);
    fmtbuf_puts(b, prefix);
    fmtbuf_repeat(b, f->fill, (int)spad);
    if (n_digits) put_grouped(b, body, (long)n_digits, min_width, f->sep, f->group);
    fmtbuf_putn(b, body + n_digits, (size_t)n_rest);
    fmtbuf_repeat(b, f->fill, (int)rpad);
}

static int format_string(fmtbuf *b, const char *s, const spec_t *f, char *err, size_t cap) {
    if (f->sign) {
        snprintf(err, cap, f->sign == ' ' ? "Space not allowed in string format specifier"
                                          : "Sign not allowed in string format specifier");
        return -1;
    }
    if (f->no_neg_0) { snprintf(err, cap, "Negative zero coercion (z) not allowed in string format specifier"); return -1; }
    if (f->alt) { snprintf(err, cap, "Alternate form (#) not allowed in string format specifier"); return -1; }
    if (f->align == '=') { snprintf(err, cap, "'=' alignment not allowed in string format specifier"); return -1; }
    size_t nbytes = strlen(s), len = utf8_length(s, nbytes);
    if (f->precision >= 0 && (long)len > f->precision) {
        /* keep the first `precision` code points */
        size_t i = 0, count = 0;
        while (i < nbytes) {
            if (((unsigned char)s[i] & 0xC0) != 0x80) {
                if ((long)count == f->precision) break;
                count++;
            }
            i++;
        }
        nbytes = i;
        len = (size_t)f->precision;
    }
    long total = f->width > (long)len ? f->width : (long)len, lpad = 0;
    if (f->align == '>') lpad = total - (long)len;
    else if (f->align == '^') lpad = (total - (long)len) / 2;
    fmtbuf_repeat(b, f->fill, (int)lpad);
    fmtbuf_putn(b, s, nbytes);
    fmtbuf_repeat(b, f->fill, (int)(total - (long)len - lpad));
    return 0;
}

static int format_float(fmtbuf *b, double x, int f32, const spec_t *fin, char *err, size_t cap) {
    spec_t f = *fin;
    uint32_t type = f.type;
    int add_dot_0 = 0, add_pct = 0, precision = (int)f.precision, upper = 0, default_precision = 6;
    if (type == 0) { add_dot_0 = 1; type = 'r'; default_precision = 0; }
    if (type == 'n') type = 'g';
    if (type == '%') { type = 'f'; x *= 100; add_pct = 1; }
    if (precision < 0) precision = default_precision;
    else if (type == 'r') type = 'g';
    if (type == 'E' || type == 'F' || type == 'G') { upper = 1; type = type - 'A' + 'a'; }
    fmtbuf t;
    fmtbuf_init(&t);
    if (float_text(&t, x, (char)type, precision, add_dot_0, f.alt, upper, 0, 0, f.no_neg_0,
                   f32 && type == 'r')) {
        fmtbuf_free(&t);
        snprintf(err, cap, "out of memory");
        return -1;
    }
    if (add_pct) fmtbuf_putc(&t, '%');
    char *text = fmtbuf_take(&t);
    if (!text) { snprintf(err, cap, "out of memory"); return -1; }
    int negative = text[0] == '-';
    const char *body = text + negative;
    size_t n_body = strlen(body), n_digits = 0;
    while (n_digits < n_body && body[n_digits] >= '0' && body[n_digits] <= '9') n_digits++;
    put_number(b, &f, negative, "", body, n_digits, n_body);
    free(text);
    return 0;
}

static int format_int(fmtbuf *b, int64_t v, const spec_t *f, char *err, size_t cap, const char **kind) {
    if (f->precision != -1) { snprintf(err, cap, "Precision not allowed in integer format specifier"); return -1; }
    if (f->no_neg_0) { snprintf(err, cap, "Negative zero coercion (z) not allowed in integer format specifier"); return -1; }
    if (f->type == 'c') {
        if (f->sign) { snprintf(err, cap, "Sign not allowed with integer format specifier 'c'"); return -1; }
        if (f->alt) { snprintf(err, cap, "Alternate form (#) not allowed with integer format specifier 'c'"); return -1; }
        if (v < 0 || v > 0x10ffff) {
            snprintf(err, cap, "%%c arg not in range(0x110000)");
            *kind = "OverflowError";
            return -1;
        }
        char ch[5];
        ch[utf8_encode((uint32_t)v, ch)] = '\0';
        /* the character is "remainder": copied, never grouped */
        put_number(b, f, 0, "", ch, 0, strlen(ch));
        return 0;
    }
    int base = 10, upper = 0;
    const char *prefix = "";
    switch (f->type) {
    case 'b': base = 2; prefix = "0b"; break;
    case 'o': base = 8; prefix = "0o"; break;
    case 'x': base = 16; prefix = "0x"; break;
    case 'X': base = 16; prefix = "0X"; upper = 1; break;
    default: break;
    }
    if (!f->alt) prefix = "";
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char digits[72];
    int n = 0;
    do {
        int d = (int)(u % (uint64_t)base);
        digits[n++] = (char)(d < 10 ? '0' + d : (upper ? 'A' : 'a') + d - 10);
        u /= (uint64_t)base;
    } while (u);
    for (int i = 0; i < n / 2; i++) { char c = digits[i]; digits[i] = digits[n - 1 - i]; digits[n - 1 - i] = c; }
    digits[n] = '\0';
    put_number(b, f, v < 0, prefix, digits, (size_t)n, (size_t)n);
    return 0;
}

char *fmt_format_spec_ex(const fmt_value *v, const char *spec, char *err, size_t errcap,
                         const char **err_kind) {
    const char *kind_dummy;
    if (!err_kind) err_kind = &kind_dummy;
    *err_kind = "ValueError";
    if (errcap) err[0] = '\0';
    if (!spec) spec = "";
    fmtbuf b;
    fmtbuf_init(&b);
    /* An empty spec is str(value). */
    if (!*spec) {
        char *r = NULL;
        switch (v->kind) {
        case FMT_INT: fmtbuf_printf(&b, "%lld", (long long)v->i); r = fmtbuf_take(&b); break;
        case FMT_BOOL: fmtbuf_puts(&b, v->i ? "True" : "False"); r = fmtbuf_take(&b); break;
        case FMT_FLOAT: r = fmt_float_repr(v->f); break;
        case FMT_FLOAT32: r = fmt_float32_repr((float)v->f); break;
        case FMT_STR: fmtbuf_puts(&b, v->s ? v->s : ""); r = fmtbuf_take(&b); break;
        }
        if (!r) snprintf(err, errcap, "out of memory");
        return r;
    }
    const char *tname = fmt_kind_name(v->kind);
    spec_t f;
    int rc;
    switch (v->kind) {
    case FMT_STR:
        if (parse_spec(spec, tname, 's', '<', &f, err, errcap)) return NULL;
        if (f.type != 's') { unknown_type(f.type, tname, err, errcap); return NULL; }
        rc = format_string(&b, v->s ? v->s : "", &f, err, errcap);
        break;
    case FMT_INT:
    case FMT_BOOL:
        if (parse_spec(spec, tname, 'd', '>', &f, err, errcap)) return NULL;
        switch (f.type) {
        case 'b': case 'c': case 'd': case 'o': case 'x': case 'X': case 'n':
            rc = format_int(&b, v->i, &f, err, errcap, err_kind);
            break;
        case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case '%':
            rc = format_float(&b, (double)v->i, 0, &f, err, errcap);
            break;
        default:
            unknown_type(f.type, tname, err, errcap);
            return NULL;
        }
        break;
    case FMT_FLOAT:
    case FMT_FLOAT32:
        if (parse_spec(spec, tname, 0, '>', &f, err, errcap)) return NULL;
        switch (f.type) {
        case 0: case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'n': case '%':
            rc = format_float(&b, v->f, v->kind == FMT_FLOAT32, &f, err, errcap);
            break;
        default:
            unknown_type(f.type, tname, err, errcap);
            return NULL;
        }
        break;
    default:
        snprintf(err, errcap, "cannot format this value");
        return NULL;
    }
    if (rc) { fmtbuf_free(&b); return NULL; }
    char *r = fmtbuf_take(&b);
    if (!r) snprintf(err, errcap, "out of memory");
    return r;
}

char *fmt_format_spec(const fmt_value *v, const char *spec, char *err, size_t errcap) {
    return fmt_format_spec_ex(v, spec, err, errcap, NULL);
}
