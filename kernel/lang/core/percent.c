/* percent.c — printf-style string formatting: 'format' % values.
 *
 * Python's rules: the right operand is a tuple of values, a mapping for
 * '%(name)s' fields, or any other single value; each '%' field is
 *     %[(name)][flags][width][.precision]conversion
 * with flags '-' '+' ' ' '#' '0', width and precision digits or '*', and the
 * conversions d i u o x X e E f F g G c r s a %. Errors read as Python's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp.h"

typedef struct {
    const lang_value *items;   /* positional values */
    int64_t n, next;
    lang_value mapping;        /* LV_DICT, or LV_MISSING */
} pct_args;

static int next_arg(lang_state *L, pct_args *p, lang_value *out)
{
    if (p->next >= p->n) return lang_fail(L, LANG_E_TYPE, "not enough arguments for format string");
    *out = p->items[p->next++];
    return 0;
}

/* code points in s[0..n) */
static int64_t cp_count(const char *s, size_t n)
{
    int64_t c = 0;
    for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* appends s[0..n) padded to width (left-aligned with '-') */
static void put_padded(fmtbuf *b, const char *s, size_t n, int width, int left)
{
    int64_t pad = width - cp_count(s, n);
    if (!left) fmtbuf_repeat(b, " ", (int)pad);
    fmtbuf_putn(b, s, n);
    if (left) fmtbuf_repeat(b, " ", (int)pad);
}

/* an integer in base 8, 10 or 16 with Python's sign, '#', precision and '0' handling */
static void put_int(fmtbuf *b, int64_t v, char conv, const char *flags, int width, int prec)
{
    char digits[80];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    const char *fmt = conv == 'o' ? "%llo" : conv == 'x' ? "%llx" : conv == 'X' ? "%llX" : "%llu";
    int nd = snprintf(digits, sizeof digits, fmt, (unsigned long long)u);
    char prefix[8];
    int np = 0;
    if (v < 0) prefix[np++] = '-';
    else if (strchr(flags, '+')) prefix[np++] = '+';
    else if (strchr(flags, ' ')) prefix[np++] = ' ';
    if (strchr(flags, '#') && conv != 'd') { prefix[np++] = '0'; prefix[np++] = conv == 'o' ? 'o' : conv; }
    int zeros = prec > nd ? prec - nd : 0;
    int left = strchr(flags, '-') != NULL;
    int total = np + zeros + nd;
    if (!left && strchr(flags, '0') && width > total) { zeros += width - total; total = width; }
    if (!left) fmtbuf_repeat(b, " ", width - total);
    fmtbuf_putn(b, prefix, (size_t)np);
    fmtbuf_repeat(b, "0", zeros);
    fmtbuf_putn(b, digits, (size_t)nd);
    if (left) fmtbuf_repeat(b, " ", width - total);
}

/* one field's value converted and appended; 0 or -1 */
static int convert(lang_state *L, fmtbuf *b, lang_value v, char conv, const char *flags, int width, int prec)
{
    int left = strchr(flags, '-') != NULL;
    switch (conv) {
    case 's': case 'r': case 'a': {
        fmtbuf t;
        fmtbuf_init(&t);
        int rc = conv == 's' ? str_to(L, &t, v) : repr_to(L, &t, v, 0);
        char *s = fmtbuf_take(&t);
        if (rc < 0) { free(s); return -1; }
        if (!s) { lang_nomem(L); return -1; }
        size_t n = strlen(s);
        if (prec >= 0) {
            /* precision: at most prec code points */
            size_t i = 0;
            int64_t c = 0;
            while (i < n && c < prec) { i++; while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80) i++; c++; }
            n = i;
        }
        put_padded(b, s, n, width, left);
        free(s);
        return 0;
    }
    case 'd': case 'i': case 'u': case 'o': case 'x': case 'X': {
        int64_t i;
        if (v.type == LV_INT || v.type == LV_BOOL) i = v.type == LV_INT ? v.u.i : v.u.b;
        else if (v.type == LV_FLOAT && (conv == 'd' || conv == 'i' || conv == 'u')) {
            if (!isfinite(v.u.f)) return lang_fail(L, LANG_E_OVERFLOW, "cannot convert float %s to integer", isnan(v.u.f) ? "NaN" : "infinity");
            i = (int64_t)v.u.f;
        } else if (conv == 'd' || conv == 'i' || conv == 'u') {
            return lang_fail(L, LANG_E_TYPE, "%%%c format: a real number is required, not %s", conv, lv_type_name(v));
        } else {
            return lang_fail(L, LANG_E_TYPE, "%%%c format: an integer is required, not %s", conv, lv_type_name(v));
        }
        put_int(b, i, conv == 'i' || conv == 'u' ? 'd' : conv, flags, width, prec);
        return 0;
    }
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': {
        double d;
        if (lv_is_number(v)) d = lv_as_double(v);
        else if (v.type == LV_ARRAY && v.u.a->size == 1) { if (lang_get_float(L, v, "value", &d) < 0) return -1; }
        else return lang_fail(L, LANG_E_TYPE, "must be real number, not %s", lv_type_name(v));
        if (isnan(d)) d = copysign(d, 1.0);   /* Python never shows a NaN's sign: '%f' % -nan is 'nan' */
        char cf[32];
        snprintf(cf, sizeof cf, "%%%s*.*%c", flags, conv);
        fmtbuf_printf(b, cf, width, prec < 0 ? 6 : prec, d);
        return 0;
    }
    case 'c': {
        lang_value ch;
        if (v.type == LV_STR) {
            if (lv_str_ncp(v) != 1) return lang_fail(L, LANG_E_TYPE, "%%c requires an int or a unicode character, not a string of length %lld", (long long)lv_str_ncp(v));
            ch = lv_retain(v);
        } else if (v.type == LV_INT || v.type == LV_BOOL) {
            int s = lang_global_find(L, "chr");
            if (s < 0 || L->g[s].builtin.type != LV_BUILTIN) return lang_fail(L, LANG_E_TYPE, "%%c is not available");
            ch = lang_call(L, L->g[s].builtin, 1, &v, 0, NULL, NULL);
            if (lv_is_err(ch)) return lang_fail(L, LANG_E_OVERFLOW, "%%c arg not in range(0x110000)");
        } else {
            return lang_fail(L, LANG_E_TYPE, "%%c requires an int or a unicode character, not %s", lv_type_name(v));
        }
        put_padded(b, lv_str_cstr(ch), lv_str_len(ch), width, left);
        lv_release(ch);
        return 0;
    }
    default: return lang_fail(L, LANG_E_VALUE, "unsupported format character");
    }
}

/* a width or precision: digits, or '*' taken from the arguments */
static int read_number(lang_state *L, const char **pp, pct_args *p, int *out, int star_ok)
{
    const char *q = *pp;
    if (*q == '*') {
        if (!star_ok) return lang_fail(L, LANG_E_TYPE, "* wants int");
        lang_value v = lv_none();
        if (next_arg(L, p, &v) < 0) return -1;
        if (v.type != LV_INT) return lang_fail(L, LANG_E_TYPE, "* wants int");
        *out = (int)(v.u.i > 100000 ? 100000 : v.u.i < -100000 ? -100000 : v.u.i);
        *pp = q + 1;
        return 1;
    }
    if (*q < '0' || *q > '9') return 0;
    long n = 0;
    while (*q >= '0' && *q <= '9') { if (n < 100000) n = n * 10 + (*q - '0'); q++; }
    if (n >= 100000) return lang_fail(L, LANG_E_VALUE, "width too big");
    *out = (int)n;
    *pp = q;
    return 1;
}

lang_value str_percent_format(lang_state *L, lang_value fmt, lang_value values)
{
    pct_args p = { NULL, 0, 0, lv_missing() };
    if (values.type == LV_TUPLE) {
        p.items = lv_tuple_items(values);
        p.n = (int64_t)lv_tuple_len(values);
    } else {
        p.items = &values;
        p.n = 1;
    }
    if (values.type == LV_DICT) p.mapping = values;
    const char *s = lv_str_cstr(fmt), *end = s + lv_str_len(fmt);
    int used_mapping = 0;
    fmtbuf b;
    fmtbuf_init(&b);
    for (const char *q = s; q < end;) {
        const char *pc = memchr(q, '%', (size_t)(end - q));
        if (!pc) { fmtbuf_putn(&b, q, (size_t)(end - q)); break; }
        fmtbuf_putn(&b, q, (size_t)(pc - q));
        q = pc + 1;
        if (q >= end) { lang_raise(L, LANG_E_VALUE, "incomplete format"); goto fail; }
        lang_value v = lv_missing(), held = lv_missing();
        if (*q == '(') {
            if (lv_is_missing(p.mapping)) {
                if (values.type != LV_DICT && values.type != LV_INSTANCE) { lang_raise(L, LANG_E_TYPE, "format requires a mapping"); goto fail; }
            }
            const char *k0 = ++q;
            int depth = 1;
            while (q < end && depth) { if (*q == '(') depth++; else if (*q == ')') depth--; if (depth) q++; }
            if (q >= end) { lang_raise(L, LANG_E_VALUE, "incomplete format key"); goto fail; }
            lang_value key = lv_str_n(k0, (size_t)(q - k0));
            q++;
            if (lv_is_err(key)) { lang_nomem(L); goto fail; }
            if (values.type == LV_DICT) {
                v = lv_dict_get(values, key);
                if (lv_is_missing(v)) { lang_raise_key(L, key); lv_release(key); goto fail; }
            } else {
                index_item it = { 0, key, lv_missing(), lv_missing(), lv_missing() };
                held = op_getitem(L, values, &it, 1, 0);
                if (lv_is_err(held)) { lv_release(key); goto fail; }
                v = held;
            }
            lv_release(key);
            used_mapping = 1;
        }
        char flags[8];
        int nf = 0;
        while (q < end && strchr("-+ #0", *q)) { if (nf < 7 && !memchr(flags, *q, (size_t)nf)) flags[nf++] = *q; q++; }
        flags[nf] = 0;
        int width = 0, prec = -1;
        int r = read_number(L, &q, &p, &width, lv_is_missing(v));
        if (r < 0) { lv_release(held); goto fail; }
        if (width < 0) {
            width = -width;
            if (!strchr(flags, '-') && nf < 7) { flags[nf++] = '-'; flags[nf] = 0; }
        }
        if (q < end && *q == '.') {
            q++;
            prec = 0;
            if (read_number(L, &q, &p, &prec, lv_is_missing(v)) < 0) { lv_release(held); goto fail; }
            if (prec < 0) prec = 0;
        }
        while (q < end && (*q == 'h' || *q == 'l' || *q == 'L')) q++;
        if (q >= end) { lv_release(held); lang_raise(L, LANG_E_VALUE, "incomplete format"); goto fail; }
        char conv = *q++;
        if (conv == '%') { fmtbuf_putc(&b, '%'); lv_release(held); continue; }
        if (!strchr("diouxXeEfFgGcrsa", conv)) {
            unsigned char uc = (unsigned char)conv;
            lang_raise(L, LANG_E_VALUE, "unsupported format character '%c' (0x%x) at index %lld", uc < 0x80 ? conv : '?', uc,
                       (long long)(q - 1 - s));
            lv_release(held);
            goto fail;
        }
        if (lv_is_missing(v) && next_arg(L, &p, &v) < 0) goto fail;
        int rc = convert(L, &b, v, conv, flags, width, prec);
        lv_release(held);
        if (rc < 0) goto fail;
    }
    if (!used_mapping && p.next < p.n && values.type != LV_DICT) {
        lang_raise(L, LANG_E_TYPE, "not all arguments converted during string formatting");
        goto fail;
    }
    {
        char *out = fmtbuf_take(&b);
        if (!out) return lang_nomem(L);
        lang_value res = lv_str_take(out);
        return lv_is_err(res) ? lang_nomem(L) : res;
    }
fail:
    fmtbuf_free(&b);
    return lv_err();
}
