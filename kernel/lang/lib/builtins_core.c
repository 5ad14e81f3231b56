/* builtins_core.c — Python's builtin functions for host values: print, len,
 * range, the type constructors, min/max/sum (which also reduce arrays),
 * sorted, isinstance, help, input, time ...
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "interp.h"
#include "libraries.h"
#include "builtins_files.h"
#include "unicode.h"

/* ---- output ------------------------------------------------------------------------ */

static lang_value bi_print(lang_state *L, const lang_args *a)
{
    const char *sep = " ", *end = "\n";
    size_t seplen = 1, endlen = 1;
    lang_value file = lv_none();
    for (int k = 0; k < a->nkw; k++) {
        const char *kn = a->kwname[k];
        lang_value v = a->kw[k];
        if (strcmp(kn, "sep") == 0 || strcmp(kn, "end") == 0) {
            if (v.type == LV_NONE) continue;
            if (v.type != LV_STR) return lang_raise(L, LANG_E_TYPE, "%s must be None or a string, not %s", kn, lv_type_name(v));
            if (kn[0] == 's') { sep = lv_str_cstr(v); seplen = lv_str_len(v); }
            else { end = lv_str_cstr(v); endlen = lv_str_len(v); }
        } else if (strcmp(kn, "file") == 0) {
            if (v.type != LV_NONE && !lang_is_file(v))
                return lang_raise(L, LANG_E_TYPE, "print() file must be a file from open(), not %s", lv_type_name(v));
            file = v;
        } else if (strcmp(kn, "flush") != 0) {
            return lang_raise(L, LANG_E_TYPE, "print() got an unexpected keyword argument '%s'", kn);
        }
    }
    fmtbuf b;
    fmtbuf_init(&b);
    for (int i = 0; i < a->n; i++) {
        if (i) fmtbuf_putn(&b, sep, seplen);
        if (str_to(L, &b, a->v[i]) < 0) { fmtbuf_free(&b); return lv_err(); }
    }
    fmtbuf_putn(&b, end, endlen);
    size_t n = b.len;
    char *s = fmtbuf_take(&b);
    if (!s) return lang_nomem(L);
    int rc = 0;
    if (file.type != LV_NONE) rc = lang_file_write(L, file, s, n);
    else lang_write(L, "stdout", s, n);
    free(s);
    return rc < 0 ? lv_err() : lv_none();
}

static lang_value bi_input(lang_state *L, const lang_args *a)
{
    lang_value p[1];
    if (lang_args_bind(L, a, "prompt=", p) < 0) return lv_err();
    char *prompt = lv_is_missing(p[0]) ? strdup("") : lang_str(L, p[0]);
    if (!prompt) return L->err_pending ? lv_err() : lang_nomem(L);
    if (!L->out || !L->out->input) {
        free(prompt);
        return lang_raise(L, LANG_E_VALUE, "input() is not available: this frontend does not accept input (stdin is not allowed)");
    }
    char *line = NULL;
    int rc = L->out->input(L->out->ctx, prompt, 0, &line);
    free(prompt);
    if (rc < 0) {
        lang_value e = lang_raise(L, LANG_E_VALUE, "input() is not available: %s", line ? line : "the frontend does not allow stdin");
        free(line);
        return e;
    }
    lang_value r = lv_str_take(line ? line : strdup(""));
    return lv_is_err(r) ? lang_nomem(L) : r;
}

static lang_value bi_time(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return lv_float((double)t.tv_sec + t.tv_nsec * 1e-9);
}

/* ---- sizes and sequences ------------------------------------------------------------ */

static int64_t range_len(lv_rangeobj *r)
{
    if (r->step > 0) return r->stop > r->start ? (r->stop - r->start + r->step - 1) / r->step : 0;
    return r->start > r->stop ? (r->start - r->stop - r->step - 1) / (-r->step) : 0;
}

static lang_value bi_len(lang_state *L, const lang_args *a)
{
    if (a->n != 1 || a->nkw) return lang_raise(L, LANG_E_TYPE, "len() takes exactly one argument (%d given)", a->n + a->nkw);
    lang_value v = a->v[0];
    switch (v.type) {
    case LV_STR: return lv_int(lv_str_ncp(v));
    case LV_LIST: return lv_int((int64_t)lv_list_len(v));
    case LV_TUPLE: return lv_int((int64_t)lv_tuple_len(v));
    case LV_DICT: return lv_int((int64_t)lv_dict_len(v));
    case LV_RANGE: return lv_int(range_len(LV_OBJ(v, lv_rangeobj)));
    case LV_ARRAY:
        if (v.u.a->ndim == 0) return lang_raise(L, LANG_E_TYPE, "len() of unsized object (a 0-d array)");
        return lv_int(v.u.a->shape[0]);
    case LV_OBJECT: {
        const lang_class *c = lv_object_class(v);
        if (c->len) {
            int64_t n = c->len(L, v);
            return n < 0 ? lv_err() : lv_int(n);
        }
        break;
    }
    case LV_INSTANCE: {
        int64_t n = instance_len(L, v);
        return n < 0 ? lv_err() : lv_int(n);
    }
    default: break;
    }
    return lang_raise(L, LANG_E_TYPE, "object of type '%s' has no len()", lv_type_name(v));
}

static lang_value bi_range(lang_state *L, const lang_args *a)
{
    if (a->nkw) return lang_raise(L, LANG_E_TYPE, "range() takes no keyword arguments");
    if (a->n < 1 || a->n > 3) return lang_raise(L, LANG_E_TYPE, "range expected 1 to 3 arguments, got %d", a->n);
    int64_t x[3] = { 0, 0, 1 };
    for (int i = 0; i < a->n; i++) {
        lang_value v = a->v[i];
        if (v.type != LV_INT && v.type != LV_BOOL)
            return lang_raise(L, LANG_E_TYPE, "'%s' object cannot be interpreted as an integer", lv_type_name(v));
        x[a->n == 1 ? 1 : i] = v.type == LV_INT ? v.u.i : v.u.b;
    }
    if (x[2] == 0) return lang_raise(L, LANG_E_VALUE, "range() arg 3 must not be zero");
    lv_rangeobj *r = lv_alloc_obj(LV_RANGE, sizeof *r);
    if (!r) return lang_nomem(L);
    r->start = x[0];
    r->stop = x[1];
    r->step = x[2];
    return lv_from_obj(r);
}

static lang_value bi_enumerate(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    int64_t start = 0;
    if (lang_args_bind(L, a, "iterable, start=", v) < 0) return lv_err();
    if (!lv_is_missing(v[1]) && lang_get_int(L, v[1], "start", &start) < 0) return lv_err();
    return iter_enumerate(L, v[0], start);
}

static lang_value bi_zip(lang_state *L, const lang_args *a)
{
    if (a->nkw) return lang_raise(L, LANG_E_TYPE, "zip() takes no keyword arguments");
    return iter_zip(L, a->n, a->v);
}

static lang_value bi_reversed(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "sequence", v) < 0) return lv_err();
    if (v[0].type == LV_DICT || v[0].type == LV_ITER)
        return lang_raise(L, LANG_E_TYPE, "'%s' object is not reversible", lv_type_name(v[0]));
    lang_value l = iter_to_list(L, v[0]);
    if (lv_is_err(l)) return l;
    size_t n = lv_list_len(l);
    lang_value *it = lv_list_items(l);
    for (size_t i = 0; i < n / 2; i++) { lang_value t = it[i]; it[i] = it[n - 1 - i]; it[n - 1 - i] = t; }
    lang_value r = iter_new(L, l);
    lv_release(l);
    return r;
}

/* ---- type constructors ---------------------------------------------------------------- */

static lang_value bi_str(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "object=", v) < 0) return lv_err();
    if (lv_is_missing(v[0])) return lv_str("");
    if (v[0].type == LV_STR) return lv_retain(v[0]);
    char *s = lang_str(L, v[0]);
    if (!s) return lv_err();
    lang_value r = lv_str_take(s);
    return lv_is_err(r) ? lang_nomem(L) : r;
}

static lang_value bi_repr(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "object", v) < 0) return lv_err();
    char *s = lang_repr(L, v[0]);
    if (!s) return lv_err();
    lang_value r = lv_str_take(s);
    return lv_is_err(r) ? lang_nomem(L) : r;
}

static lang_value single_number(lang_state *L, lang_value v, const char *fname)
{
    if (v.type == LV_ARRAY) {
        if (v.u.a->size != 1)
            return lang_raise(L, LANG_E_TYPE, "only arrays with one element can be converted to Python scalars (%s() got %lld elements)",
                              fname, (long long)v.u.a->size);
        return lang_array_item(L, v.u.a, 0);
    }
    return lv_retain(v);
}

/* ---- int() and float() of a string: Python's literal rules ---------------------------- */

static int is_space_char(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static int digit_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

/* Python reads numbers in any script: decimal digits become ASCII digits,
 * whitespace a space, other non-ASCII characters '?' (never valid).
 * malloc'd, NULL when out of memory. */
static char *ascii_number_text(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        i += uc_utf8_get(s, n, i, &c);
        int d = uc_decimal(c);
        *o++ = c < 0x80 ? (char)c : d >= 0 ? (char)('0' + d) : uc_isspace(c) ? ' ' : '?';
    }
    *o = 0;
    return out;
}

/* int(text, base): surrounding whitespace, a sign, for base 0/2/8/16 the
 * matching 0x/0o/0b prefix (base 0 picks the base from it and rejects
 * other leading zeros), single underscores between digits or after the
 * prefix. Returns 0, -1 (not a literal) or -2 (beyond 64 bits). */
static int parse_int_text(const char *s, int base, int64_t *out)
{
    while (is_space_char(*s)) s++;
    int neg = 0;
    if (*s == '+' || *s == '-') neg = *s++ == '-';
    int prefixed = 0;
    if (s[0] == '0' && s[1]) {
        char p = (char)(s[1] | 0x20);
        int pb = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
        if (pb && (base == 0 || base == pb)) { base = pb; s += 2; prefixed = 1; }
    }
    int leading_zero_rule = base == 0;
    if (base == 0) base = 10;
    const char *start = s;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, val = 0;
    int overflow = 0, ndig = 0, nonzero = 0;
    for (;; s++) {
        if (*s == '_') {
            if ((s == start && !prefixed) || s[1] == '_' || !s[1]) return -1;
            continue;
        }
        int d = digit_value(*s);
        if (d >= base) break;
        ndig++;
        if (d) nonzero = 1;
        if (val > (limit - (uint64_t)d) / (uint64_t)base) overflow = 1;
        else val = val * (uint64_t)base + (uint64_t)d;
    }
    if (!ndig || s[-1] == '_') return -1;
    while (is_space_char(*s)) s++;
    if (*s) return -1;
    if (leading_zero_rule && !prefixed && *start == '0' && nonzero) return -1;   /* int('010', 0) */
    if (overflow) return -2;
    *out = neg ? (int64_t)(0 - val) : (int64_t)val;
    return 0;
}

/* Copies digits with single underscores between them into buf (without
 * the underscores); returns how many characters of s were read. */
static size_t scan_digits(const char *s, char *buf, size_t *n)
{
    size_t i = 0;
    while (1) {
        if (s[i] >= '0' && s[i] <= '9') { buf[(*n)++] = s[i++]; continue; }
        if (s[i] == '_' && i && s[i + 1] >= '0' && s[i + 1] <= '9') { i++; continue; }
        return i;
    }
}

/* float(text): a decimal literal (underscores as in code), inf, infinity
 * or nan in any case, with a sign and surrounding whitespace; no hex.
 * Returns 0, or -1 when text is not such a literal. */
static int parse_float_text(const char *s, double *out)
{
    while (is_space_char(*s)) s++;
    int neg = 0;
    if (*s == '+' || *s == '-') neg = *s++ == '-';
    size_t m = 0;
    while (s[m] && !is_space_char(s[m])) m++;
    const char *rest = s + m;
    while (is_space_char(*rest)) rest++;
    if (*rest) return -1;
    if ((m == 3 && strncasecmp(s, "inf", 3) == 0) || (m == 8 && strncasecmp(s, "infinity", 8) == 0) ||
        (m == 3 && strncasecmp(s, "nan", 3) == 0)) {
        double v = (*s | 0x20) == 'n' ? NAN : INFINITY;
        *out = neg ? -v : v;
        return 0;
    }
    char *buf = malloc(m + 2);
    if (!buf) return -1;
    size_t n = 0, ip = scan_digits(s, buf, &n), i = ip, fp = 0;
    if (s[i] == '.') {
        buf[n++] = '.';
        fp = scan_digits(s + i + 1, buf, &n);
        i += 1 + fp;
    }
    int ok = ip > 0 || fp > 0;
    if (ok && (s[i] == 'e' || s[i] == 'E')) {
        buf[n++] = 'e';
        i++;
        if (s[i] == '+' || s[i] == '-') buf[n++] = s[i++];
        size_t ep = scan_digits(s + i, buf, &n);
        ok = ep > 0;
        i += ep;
    }
    if (ok && i != m) ok = 0;
    buf[n] = 0;
    if (ok) *out = neg ? -strtod(buf, NULL) : strtod(buf, NULL);
    free(buf);
    return ok ? 0 : -1;
}

static lang_value bi_int(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "x=, base=", v) < 0) return lv_err();
    if (lv_is_missing(v[0])) return lv_int(0);
    int64_t base = 10;
    if (!lv_is_missing(v[1])) {
        if (lang_get_int(L, v[1], "base", &base) < 0) return lv_err();
        if (base != 0 && (base < 2 || base > 36)) return lang_raise(L, LANG_E_VALUE, "int() base must be >= 2 and <= 36, or 0");
        if (v[0].type != LV_STR) return lang_raise(L, LANG_E_TYPE, "int() can't convert non-string with explicit base");
    }
    lang_value x = single_number(L, v[0], "int");
    if (lv_is_err(x)) return x;
    lang_value r;
    switch (x.type) {
    case LV_INT: r = x; break;
    case LV_BOOL: r = lv_int(x.u.b); break;
    case LV_FLOAT:
        if (isnan(x.u.f)) r = lang_raise(L, LANG_E_VALUE, "cannot convert float NaN to integer");
        else if (isinf(x.u.f)) r = lang_raise(L, LANG_E_OVERFLOW, "cannot convert float infinity to integer");
        else if (fabs(x.u.f) >= 9.2233720368547758e18) r = lang_raise(L, LANG_E_VALUE, "integer overflow: %g does not fit in 64 bits", x.u.f);
        else r = lv_int((int64_t)x.u.f);
        break;
    case LV_STR: {
        int64_t val;
        char *text = ascii_number_text(lv_str_cstr(x), lv_str_len(x));
        if (!text) { r = lang_nomem(L); break; }
        int rc = parse_int_text(text, (int)base, &val);
        free(text);
        if (rc == 0) {
            r = lv_int(val);
        } else if (rc == -2) {
            r = lang_raise(L, LANG_E_VALUE, "integer overflow: int(%s) does not fit in 64 bits", lv_str_cstr(x));
        } else {
            char *q = lang_repr(L, x);
            r = lang_raise(L, LANG_E_VALUE, "invalid literal for int() with base %d: %s", (int)base, q ? q : "");
            free(q);
        }
        break;
    }
    default:
        r = lang_raise(L, LANG_E_TYPE, "int() argument must be a string or a number, not '%s'", lv_type_name(x));
    }
    lv_release(x);
    return r;
}

static lang_value bi_float(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "x=", v) < 0) return lv_err();
    if (lv_is_missing(v[0])) return lv_float(0.0);
    lang_value x = single_number(L, v[0], "float");
    if (lv_is_err(x)) return x;
    lang_value r;
    if (lv_is_number(x)) r = lv_float(lv_as_double(x));
    else if (x.type == LV_STR) {
        double d;
        char *text = ascii_number_text(lv_str_cstr(x), lv_str_len(x));
        if (!text) { lv_release(x); return lang_nomem(L); }
        int rc = parse_float_text(text, &d);
        free(text);
        if (rc == 0) {
            r = lv_float(d);
        } else {
            char *q = lang_repr(L, x);
            r = lang_raise(L, LANG_E_VALUE, "could not convert string to float: %s", q ? q : "");
            free(q);
        }
    } else r = lang_raise(L, LANG_E_TYPE, "float() argument must be a string or a number, not '%s'", lv_type_name(x));
    lv_release(x);
    return r;
}

static lang_value bi_bool(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "x=", v) < 0) return lv_err();
    if (lv_is_missing(v[0])) return lv_bool(0);
    int t = op_truthy(L, v[0]);
    return t < 0 ? lv_err() : lv_bool(t);
}

static lang_value bi_list(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "iterable=", v) < 0) return lv_err();
    if (lv_is_missing(v[0])) { lang_value l = lv_list_new(0); return lv_is_err(l) ? lang_nomem(L) : l; }
    return iter_to_list(L, v[0]);
}

static lang_value bi_tuple(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "iterable=", v) < 0) return lv_err();
    if (lv_is_missing(v[0])) { lang_value t = lv_tuple_new(0); return lv_is_err(t) ? lang_nomem(L) : t; }
    if (v[0].type == LV_TUPLE) return lv_retain(v[0]);
    lang_value l = iter_to_list(L, v[0]);
    if (lv_is_err(l)) return l;
    lang_value t = lv_tuple_of(lv_list_len(l), lv_list_items(l));
    lv_release(l);
    return lv_is_err(t) ? lang_nomem(L) : t;
}

static lang_value bi_dict(lang_state *L, const lang_args *a)
{
    if (a->n > 1) return lang_raise(L, LANG_E_TYPE, "dict expected at most 1 argument, got %d", a->n);
    lang_value d = lv_dict_new();
    if (lv_is_err(d)) return lang_nomem(L);
    if (a->n == 1) {
        lang_value src = a->v[0];
        if (src.type == LV_DICT) {
            size_t i = 0;
            lang_value k, v;
            while (lv_dict_next(src, &i, &k, &v))
                if (lv_dict_set(d, k, v) < 0) { lv_release(d); return lang_nomem(L); }
        } else {
            lang_value l = iter_to_list(L, src);
            if (lv_is_err(l)) { lv_release(d); return l; }
            size_t n = lv_list_len(l);
            for (size_t i = 0; i < n; i++) {
                int64_t m;
                lang_value *kv = lv_seq_items(lv_list_items(l)[i], &m);
                if (!kv || m != 2) {
                    lv_release(l);
                    lv_release(d);
                    return lang_raise(L, LANG_E_VALUE, "dictionary update sequence element #%zu has the wrong shape (need a (key, value) pair)", i);
                }
                int r = lv_dict_set(d, kv[0], kv[1]);
                if (r < 0) {
                    lv_release(l);
                    lv_release(d);
                    return r == -2 ? lang_raise(L, LANG_E_TYPE, "unhashable type: '%s'", lv_type_name(kv[0])) : lang_nomem(L);
                }
            }
            lv_release(l);
        }
    }
    for (int k = 0; k < a->nkw; k++)
        if (lv_dict_set_str(d, a->kwname[k], a->kw[k]) < 0) { lv_release(d); return lang_nomem(L); }
    return d;
}

/* ---- numbers ---------------------------------------------------------------------------- */

static lang_value bi_abs(lang_state *L, const lang_args *a)
{
    if (a->n != 1 || a->nkw) return lang_raise(L, LANG_E_TYPE, "abs() takes exactly one argument (%d given)", a->n + a->nkw);
    lang_value v = a->v[0];
    switch (v.type) {
    case LV_INT:
        if (v.u.i == INT64_MIN) return lang_raise(L, LANG_E_VALUE, "integer overflow: abs(%lld)", (long long)v.u.i);
        return lv_int(v.u.i < 0 ? -v.u.i : v.u.i);
    case LV_FLOAT: return lv_float(fabs(v.u.f));
    case LV_BOOL: return lv_int(v.u.b);
    case LV_ARRAY: return lang_array_result(L, rt_unary(RT_ABS, v.u.a));
    case LV_INSTANCE: {
        lang_value r = lang_call_method(L, v, "__abs__", 0, NULL, 0, NULL, NULL);
        if (!lv_is_missing(r)) return r;
    } /* fall through */
    default: return lang_raise(L, LANG_E_TYPE, "bad operand type for abs(): '%s'", lv_type_name(v));
    }
}

static lang_value bi_round(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "number, ndigits=", v) < 0) return lv_err();
    lang_value x = v[0];
    int has_nd = !lv_is_missing(v[1]) && !lv_is_none(v[1]);
    int64_t nd = 0;
    if (has_nd && lang_get_int(L, v[1], "ndigits", &nd) < 0) return lv_err();
    if (x.type == LV_INT || x.type == LV_BOOL) {
        int64_t i = x.type == LV_INT ? x.u.i : x.u.b;
        if (!has_nd || nd >= 0) return lv_int(i);
        if (nd < -18) return lv_int(0);
        int64_t p = 1;
        for (int64_t k = 0; k < -nd; k++) p *= 10;
        int64_t q = i / p, r = i % p;
        if (r < 0) { q--; r += p; }
        if (2 * r > p || (2 * r == p && (q & 1))) q++;
        return lv_int(q * p);
    }
    if (x.type == LV_ARRAY) {
        if (x.u.a->size != 1) return lang_raise(L, LANG_E_TYPE, "round() of an array with %lld elements: use floor()/ceil() or format the values", (long long)x.u.a->size);
        lang_value it = lang_array_item(L, x.u.a, 0);
        if (lv_is_err(it)) return it;
        lang_args b = *a;
        lang_value args[2] = { it, v[1] };
        b.v = args;
        b.n = has_nd ? 2 : 1;
        b.nkw = 0;
        lang_value r = bi_round(L, &b);
        lv_release(it);
        return r;
    }
    if (x.type != LV_FLOAT) return lang_raise(L, LANG_E_TYPE, "type %s doesn't define __round__ method", lv_type_name(x));
    double d = x.u.f;
    if (!has_nd) {
        if (isnan(d)) return lang_raise(L, LANG_E_VALUE, "cannot convert float NaN to integer");
        if (isinf(d)) return lang_raise(L, LANG_E_OVERFLOW, "cannot convert float infinity to integer");
        double r = nearbyint(d); /* round half to even, like Python */
        if (fabs(r) >= 9.2233720368547758e18) return lang_raise(L, LANG_E_VALUE, "integer overflow: round(%g)", d);
        return lv_int((int64_t)r);
    }
    if (!isfinite(d)) return lv_float(d);
    if (nd > 300) return lv_float(d);
    if (nd >= 0) {
        /* correctly rounded through the decimal text, as Python does */
        char buf[512];
        snprintf(buf, sizeof buf, "%.*f", (int)nd, d);
        return lv_float(strtod(buf, NULL));
    }
    double p = pow(10.0, (double)-nd);
    return lv_float(nearbyint(d / p) * p);
}

static lang_value bi_divmod(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "a, b", v) < 0) return lv_err();
    if ((v[0].type == LV_FLOAT || v[1].type == LV_FLOAT) && lv_is_number(v[0]) && lv_is_number(v[1]) && lv_as_double(v[1]) == 0)
        return lang_raise(L, LANG_E_ZERODIV, "float divmod()");   /* Python's message */
    lang_value q = op_binary(L, OP_FLOORDIV, v[0], v[1]);
    if (lv_is_err(q)) return q;
    lang_value r = op_binary(L, OP_MOD, v[0], v[1]);
    if (lv_is_err(r)) { lv_release(q); return r; }
    lang_value t = lv_tuple_new(2);
    if (lv_is_err(t)) { lv_release(q); lv_release(r); return lang_nomem(L); }
    lv_tuple_set_take(t, 0, q);
    lv_tuple_set_take(t, 1, r);
    return t;
}

static lang_value bi_pow(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "base, exp", v) < 0) return lv_err();
    return op_binary(L, OP_POW, v[0], v[1]);
}

static lang_value bi_chr(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    int64_t c;
    if (lang_args_bind(L, a, "i", v) < 0 || lang_get_int(L, v[0], "chr() argument", &c) < 0) return lv_err();
    if (c < INT32_MIN || c > INT32_MAX) return lang_raise(L, LANG_E_OVERFLOW, "Python int too large to convert to C int");
    if (c < 0 || c > 0x10FFFF) return lang_raise(L, LANG_E_VALUE, "chr() arg not in range(0x110000)");
    char buf[5];
    size_t n;
    if (c < 0x80) { buf[0] = (char)c; n = 1; }
    else if (c < 0x800) { buf[0] = (char)(0xC0 | (c >> 6)); buf[1] = (char)(0x80 | (c & 63)); n = 2; }
    else if (c < 0x10000) { buf[0] = (char)(0xE0 | (c >> 12)); buf[1] = (char)(0x80 | ((c >> 6) & 63)); buf[2] = (char)(0x80 | (c & 63)); n = 3; }
    else { buf[0] = (char)(0xF0 | (c >> 18)); buf[1] = (char)(0x80 | ((c >> 12) & 63)); buf[2] = (char)(0x80 | ((c >> 6) & 63)); buf[3] = (char)(0x80 | (c & 63)); n = 4; }
    return lv_str_n(buf, n);
}

static lang_value bi_ord(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "c", v) < 0) return lv_err();
    if (v[0].type != LV_STR || lv_str_ncp(v[0]) != 1)
        return lang_raise(L, LANG_E_TYPE, "ord() expected a character (a string of length 1), but got %s", lv_type_name(v[0]));
    const unsigned char *s = (const unsigned char *)lv_str_cstr(v[0]);
    int64_t c = s[0];
    if (c >= 0xF0) c = ((c & 7) << 18) | ((s[1] & 63) << 12) | ((s[2] & 63) << 6) | (s[3] & 63);
    else if (c >= 0xE0) c = ((c & 15) << 12) | ((s[1] & 63) << 6) | (s[2] & 63);
    else if (c >= 0xC0) c = ((c & 31) << 6) | (s[1] & 63);
    return lv_int(c);
}

/* ---- min / max / sum -------------------------------------------------------------------------- */

lang_value array_reduce_call(lang_state *L, rt_reduce_op op, lang_value x, lang_value axis, lang_value keepdims); /* builtins_array.c */

static lang_value minmax(lang_state *L, const lang_args *a, int is_max)
{
    const char *name = is_max ? "max" : "min";
    lang_value key = lv_none(), dflt = lv_missing(), axis = lv_missing(), keep = lv_missing();
    for (int k = 0; k < a->nkw; k++) {
        const char *kn = a->kwname[k];
        if (strcmp(kn, "key") == 0) key = a->kw[k];
        else if (strcmp(kn, "default") == 0) dflt = a->kw[k];
        else if (strcmp(kn, "axis") == 0) axis = a->kw[k];
        else if (strcmp(kn, "keepdims") == 0) keep = a->kw[k];
        else return lang_raise(L, LANG_E_TYPE, "%s() got an unexpected keyword argument '%s'", name, kn);
    }
    if (a->n == 0) return lang_raise(L, LANG_E_TYPE, "%s expected at least 1 argument, got 0", name);
    if (a->n == 1 && a->v[0].type == LV_ARRAY)
        return array_reduce_call(L, is_max ? RT_MAX : RT_MIN, a->v[0], axis, keep);
    if (!lv_is_missing(axis) || !lv_is_missing(keep))
        return lang_raise(L, LANG_E_TYPE, "%s(): axis= and keepdims= are for arrays", name);
    lang_value items = a->n == 1 ? iter_to_list(L, a->v[0]) : lv_tuple_of((size_t)a->n, a->v);
    if (lv_is_err(items)) return L->err_pending ? items : lang_nomem(L);
    int64_t n;
    lang_value *it = lv_seq_items(items, &n);
    if (n == 0) {
        lv_release(items);
        if (!lv_is_missing(dflt)) return lv_retain(dflt);
        return lang_raise(L, LANG_E_VALUE, "%s() arg is an empty sequence", name);
    }
    lang_value best = lv_missing(), bestk = lv_missing();
    for (int64_t i = 0; i < n; i++) {
        lang_value k = lv_is_none(key) ? lv_retain(it[i]) : lang_call(L, key, 1, &it[i], 0, NULL, NULL);
        if (lv_is_err(k)) { lv_release(bestk); lv_release(items); return k; }
        if (lv_is_missing(best)) { best = it[i]; bestk = k; continue; }
        lang_value c = op_compare(L, is_max ? CMP_GT : CMP_LT, k, bestk);
        if (lv_is_err(c)) { lv_release(k); lv_release(bestk); lv_release(items); return c; }
        int t = op_truthy(L, c);
        lv_release(c);
        if (t < 0) { lv_release(k); lv_release(bestk); lv_release(items); return lv_err(); }
        if (t) { lv_release(bestk); bestk = k; best = it[i]; }
        else lv_release(k);
    }
    lang_value r = lv_retain(best);
    lv_release(bestk);
    lv_release(items);
    return r;
}

static lang_value bi_max(lang_state *L, const lang_args *a) { return minmax(L, a, 1); }
static lang_value bi_min(lang_state *L, const lang_args *a) { return minmax(L, a, 0); }

static lang_value bi_sum(lang_state *L, const lang_args *a)
{
    lang_value v[4];
    if (lang_args_bind(L, a, "iterable, start=, axis=, keepdims=", v) < 0) return lv_err();
    if (v[0].type == LV_ARRAY) {
        lang_value r = array_reduce_call(L, RT_SUM, v[0], v[2], v[3]);
        if (lv_is_err(r) || lv_is_missing(v[1])) return r;
        lang_value s = op_binary(L, OP_ADD, r, v[1]);
        lv_release(r);
        return s;
    }
    if (!lv_is_missing(v[2]) || !lv_is_missing(v[3]))
        return lang_raise(L, LANG_E_TYPE, "sum(): axis= and keepdims= are for arrays");
    if (!lv_is_missing(v[1]) && v[1].type == LV_STR)
        return lang_raise(L, LANG_E_TYPE, "sum() can't sum strings [use ''.join(seq) instead]");
    lang_value acc = lv_is_missing(v[1]) ? lv_int(0) : lv_retain(v[1]);
    lang_value it = iter_new(L, v[0]);
    if (lv_is_err(it)) { lv_release(acc); return it; }
    for (;;) {
        lang_value x;
        int r = iter_next(L, it, &x);
        if (r < 0) { lv_release(acc); acc = lv_err(); break; }
        if (r == 0) break;
        lang_value s;
        if (acc.type == LV_FLOAT && x.type == LV_FLOAT) s = lv_float(acc.u.f + x.u.f);
        else s = op_binary(L, OP_ADD, acc, x);
        lv_release(x);
        lv_release(acc);
        acc = s;
        if (lv_is_err(acc)) break;
    }
    lv_release(it);
    return acc;
}

static lang_value bi_any_all(lang_state *L, const lang_args *a, int is_all)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "iterable", v) < 0) return lv_err();
    if (v[0].type == LV_ARRAY) {
        lang_value r = array_reduce_call(L, is_all ? RT_MIN : RT_MAX, v[0], lv_missing(), lv_missing());
        if (lv_is_err(r)) return r;
        int t = v[0].u.a->size == 0 ? is_all : op_truthy(L, r);
        lv_release(r);
        return t < 0 ? lv_err() : lv_bool(t);
    }
    lang_value it = iter_new(L, v[0]);
    if (lv_is_err(it)) return it;
    lang_value res = lv_bool(is_all);
    for (;;) {
        lang_value x;
        int r = iter_next(L, it, &x);
        if (r < 0) { res = lv_err(); break; }
        if (r == 0) break;
        int t = op_truthy(L, x);
        lv_release(x);
        if (t < 0) { res = lv_err(); break; }
        if (is_all && !t) { res = lv_bool(0); break; }
        if (!is_all && t) { res = lv_bool(1); break; }
    }
    lv_release(it);
    return res;
}
static lang_value bi_any(lang_state *L, const lang_args *a) { return bi_any_all(L, a, 0); }
static lang_value bi_all(lang_state *L, const lang_args *a) { return bi_any_all(L, a, 1); }

/* ---- sorting ---------------------------------------------------------------------------------------- */

/* stable merge sort of (key, value) pairs with op_lt; -1 on error */
static int merge_sort(lang_state *L, lang_value *k, lang_value *v, lang_value *tk, lang_value *tv, size_t n, int reverse)
{
    if (n < 2) return 0;
    size_t m = n / 2;
    if (merge_sort(L, k, v, tk, tv, m, reverse) < 0) return -1;
    if (merge_sort(L, k + m, v + m, tk, tv, n - m, reverse) < 0) return -1;
    size_t i = 0, j = m, o = 0;
    while (i < m && j < n) {
        /* take from the right only when strictly before (stability) */
        int lt = reverse ? op_lt(L, k[i], k[j]) : op_lt(L, k[j], k[i]);
        if (lt < 0) return -1;
        if (lt) { tk[o] = k[j]; tv[o++] = v[j++]; }
        else { tk[o] = k[i]; tv[o++] = v[i++]; }
    }
    while (i < m) { tk[o] = k[i]; tv[o++] = v[i++]; }
    while (j < n) { tk[o] = k[j]; tv[o++] = v[j++]; }
    memcpy(k, tk, n * sizeof *k);
    memcpy(v, tv, n * sizeof *v);
    return 0;
}

/* Sorts list in place by key (None: the items) and reverse. 0 or -1. */
int sort_list(lang_state *L, lang_value list, lang_value key, int reverse)
{
    size_t n = lv_list_len(list), total = n;
    if (n == 0 || (n == 1 && (lv_is_none(key) || lv_is_missing(key)))) return 0;
    /* As in Python, the list looks empty while the keys are computed and
     * sorted; a key function that changes it gets a ValueError and the
     * list keeps its items (and none of the change). */
    lv_listobj *lo = LV_OBJ(list, lv_listobj);
    lang_value *items = lo->items;
    size_t cap = lo->cap;
    lo->items = NULL;
    lo->n = lo->cap = 0;
    lang_value *keys = malloc(n * sizeof *keys), *vals = malloc(n * sizeof *vals);
    lang_value *tk = malloc(n * sizeof *tk), *tv = malloc(n * sizeof *tv);
    size_t nk = 0;
    int rc = 0;
    if (!keys || !vals || !tk || !tv) { lang_nomem(L); rc = -1; n = 0; }
    for (size_t i = 0; i < n; i++) {
        vals[i] = items[i];
        if (lv_is_none(key) || lv_is_missing(key)) keys[i] = lv_retain(items[i]);
        else {
            keys[i] = lang_call(L, key, 1, &items[i], 0, NULL, NULL);
            if (lv_is_err(keys[i])) { rc = -1; break; }
        }
        nk++;
    }
    if (rc == 0) rc = merge_sort(L, keys, vals, tk, tv, n, reverse);
    /* with reverse, equal runs keep their order: the comparisons above are
     * flipped rather than the result reversed */
    if (rc == 0) memcpy(items, vals, n * sizeof *items);
    for (size_t i = 0; i < nk; i++) lv_release(keys[i]);
    free(keys); free(vals); free(tk); free(tv);
    lang_value *added = lo->items;
    size_t nadded = lo->n;
    int modified = added != NULL;
    lo->items = items;
    lo->n = total;
    lo->cap = cap;
    for (size_t i = 0; i < nadded; i++) lv_release(added[i]);
    free(added);
    if (modified && rc == 0) { lang_raise(L, LANG_E_VALUE, "list modified during sort"); rc = -1; }
    return rc;
}

static lang_value bi_sorted(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    int rev = 0;
    if (lang_args_bind(L, a, "iterable, key=, reverse=", v) < 0) return lv_err();
    if (!lv_is_missing(v[2]) && lang_get_bool(L, v[2], "reverse", &rev) < 0) return lv_err();
    lang_value l = iter_to_list(L, v[0]);
    if (lv_is_err(l)) return l;
    if (sort_list(L, l, lv_is_missing(v[1]) ? lv_none() : v[1], rev) < 0) { lv_release(l); return lv_err(); }
    return l;
}

/* ---- functional --------------------------------------------------------------------------------------- */

static lang_value bi_map(lang_state *L, const lang_args *a)
{
    if (a->n < 2) return lang_raise(L, LANG_E_TYPE, "map() must have at least two arguments");
    lang_value z = iter_zip(L, a->n - 1, a->v + 1);
    if (lv_is_err(z)) return z;
    lang_value out = lv_list_new(0);
    if (lv_is_err(out)) { lv_release(z); return lang_nomem(L); }
    for (;;) {
        lang_value t;
        int r = iter_next(L, z, &t);
        if (r < 0) { lv_release(out); out = lv_err(); break; }
        if (r == 0) break;
        lang_value y = lang_call(L, a->v[0], (int)lv_tuple_len(t), lv_tuple_items(t), 0, NULL, NULL);
        lv_release(t);
        if (lv_is_err(y)) { lv_release(out); out = y; break; }
        lv_list_append_take(out, y);
    }
    lv_release(z);
    if (lv_is_err(out)) return out;
    lang_value it = iter_new(L, out);
    lv_release(out);
    return it;
}

static lang_value bi_filter(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "function, iterable", v) < 0) return lv_err();
    lang_value l = iter_to_list(L, v[1]);
    if (lv_is_err(l)) return l;
    lang_value out = lv_list_new(0);
    if (lv_is_err(out)) { lv_release(l); return lang_nomem(L); }
    size_t n = lv_list_len(l);
    for (size_t i = 0; i < n; i++) {
        lang_value x = lv_list_items(l)[i];
        lang_value c = lv_is_none(v[0]) ? lv_retain(x) : lang_call(L, v[0], 1, &x, 0, NULL, NULL);
        if (lv_is_err(c)) { lv_release(out); lv_release(l); return c; }
        int t = op_truthy(L, c);
        lv_release(c);
        if (t < 0) { lv_release(out); lv_release(l); return lv_err(); }
        if (t) lv_list_append(out, x);
    }
    lv_release(l);
    lang_value it = iter_new(L, out);
    lv_release(out);
    return it;
}

/* ---- types and introspection ---------------------------------------------------------------------------- */

static lang_value not_constructible(lang_state *L, const lang_args *a)
{
    return lang_raise(L, LANG_E_TYPE, "cannot create '%s' instances", a->fname ? a->fname : "object");
}

static const char *tag_name(int tag)
{
    switch (tag) {
    case LV_NONE: return "NoneType";
    case LV_BOOL: return "bool";
    case LV_INT: return "int";
    case LV_FLOAT: return "float";
    case LV_STR: return "str";
    case LV_LIST: return "list";
    case LV_TUPLE: return "tuple";
    case LV_DICT: return "dict";
    case LV_RANGE: return "range";
    case LV_ARRAY: return "array";
    case LV_FUNCTION: return "function";
    case LV_BUILTIN: return "builtin_function_or_method";
    default: return NULL;
    }
}

static lang_value bi_type(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "object", v) < 0) return lv_err();
    lang_value x = v[0];
    if (x.type == LV_INSTANCE) return lv_retain(lv_from_obj(LV_OBJ(x, lv_instanceobj)->cls));
    if (x.type == LV_CLASS) {
        int s = lang_global_find(L, "type");
        if (s >= 0 && L->g[s].builtin.type == LV_BUILTIN) return lv_retain(L->g[s].builtin);
    }
    if (x.type == LV_OBJECT) {
        const lang_class *c = lv_object_class(x);
        int s = lang_global_find(L, c->name);
        if (s >= 0 && L->g[s].builtin.type == LV_BUILTIN && LV_OBJ(L->g[s].builtin, lv_builtinobj)->cls == c)
            return lv_retain(L->g[s].builtin);
        lang_value t = lang_builtin_value(L, c->name, not_constructible, c->doc);
        if (!lv_is_err(t)) LV_OBJ(t, lv_builtinobj)->cls = c;
        return t;
    }
    const char *nm = tag_name(x.type);
    if (!nm) nm = lv_type_name(x);
    int s = lang_global_find(L, nm);
    if (s >= 0 && L->g[s].builtin.type == LV_BUILTIN && LV_OBJ(L->g[s].builtin, lv_builtinobj)->type_tag == x.type)
        return lv_retain(L->g[s].builtin);
    lang_value t = lang_builtin_value(L, nm, not_constructible, NULL);
    if (!lv_is_err(t) && tag_name(x.type)) LV_OBJ(t, lv_builtinobj)->type_tag = x.type;
    return t;
}

static int instance_of(lang_value x, lang_value t)
{
    if (t.type == LV_CLASS) return lang_is_instance(x, t);
    if (t.type != LV_BUILTIN) return -1;
    lv_builtinobj *b = LV_OBJ(t, lv_builtinobj);
    if (b->cls) return lv_object_class(x) == b->cls;
    if (b->type_tag < 0) return -1;
    if (b->type_tag == LV_INT && x.type == LV_BOOL) return 1; /* bool is an int */
    return x.type == b->type_tag;
}

static lang_value bi_isinstance(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "object, classinfo", v) < 0) return lv_err();
    int64_t n;
    lang_value *ts = lv_seq_items(v[1], &n);
    if (ts && v[1].type == LV_TUPLE) {
        for (int64_t i = 0; i < n; i++) {
            int r = instance_of(v[0], ts[i]);
            if (r < 0) return lang_raise(L, LANG_E_TYPE, "isinstance() arg 2 must be a type or tuple of types");
            if (r) return lv_bool(1);
        }
        return lv_bool(0);
    }
    int r = instance_of(v[0], v[1]);
    if (r < 0) return lang_raise(L, LANG_E_TYPE, "isinstance() arg 2 must be a type or tuple of types");
    return lv_bool(r);
}

static int subclass_of(lang_value c, lang_value t)
{
    if (t.type == LV_CLASS) return c.type == LV_CLASS && class_is_subclass(LV_OBJ(c, lv_classobj), LV_OBJ(t, lv_classobj));
    if (t.type != LV_BUILTIN) return -1;
    return c.type == LV_BUILTIN && lv_equal(c, t);
}

static lang_value bi_issubclass(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "cls, classinfo", v) < 0) return lv_err();
    if (v[0].type != LV_CLASS && !(v[0].type == LV_BUILTIN && (LV_OBJ(v[0], lv_builtinobj)->cls || LV_OBJ(v[0], lv_builtinobj)->type_tag >= 0)))
        return lang_raise(L, LANG_E_TYPE, "issubclass() arg 1 must be a class");
    int64_t n = 1;
    lang_value *ts = v[1].type == LV_TUPLE ? lv_seq_items(v[1], &n) : &v[1];
    for (int64_t i = 0; i < n; i++) {
        int r = subclass_of(v[0], ts[i]);
        if (r < 0) return lang_raise(L, LANG_E_TYPE, "issubclass() arg 2 must be a class or tuple of classes");
        if (r) return lv_bool(1);
    }
    return lv_bool(0);
}

static lang_value bi_iter(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "object", v) < 0) return lv_err();
    return iter_new(L, v[0]);
}

/* next(iterator, default=): the next item; StopIteration (or default) at the end */
static lang_value bi_next(lang_state *L, const lang_args *a)
{
    lang_value v[2], out;
    if (lang_args_bind(L, a, "iterator, default=", v) < 0) return lv_err();
    int r;
    if (v[0].type == LV_ITER) r = iter_next(L, v[0], &out);
    else if (v[0].type == LV_INSTANCE) {
        int64_t pos = 0;
        r = instance_next(L, v[0], 0, &pos, &out);
    } else return lang_raise(L, LANG_E_TYPE, "'%s' object is not an iterator", lv_type_name(v[0]));
    if (r < 0) return lv_err();
    if (r > 0) return out;
    if (!lv_is_missing(v[1])) return lv_retain(v[1]);
    return lang_raise(L, LANG_E_STOP_ITERATION, "%s", "");
}

static lang_value bi_help(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "object=", v) < 0) return lv_err();
    char *t;
    if (lv_is_missing(v[0]))
        t = strdup("C-GPU help: help(x) shows the documentation of a builtin, a function or a value.\n"
                   "Builtins: print len range enumerate zip str int float list dict sorted ...\n"
                   "Arrays: array zeros ones full arange linspace eye rand randn exp log sqrt sum mean max ...\n"
                   "Devices: list_physical_devices list_logical_devices device set_log_device_placement ...\n");
    else t = lang_help_text(L, v[0], NULL);
    if (!t) return L->err_pending ? lv_err() : lang_nomem(L);
    lang_write(L, "stdout", t, strlen(t));
    if (!*t || t[strlen(t) - 1] != '\n') lang_write(L, "stdout", "\n", 1);
    free(t);
    return lv_none();
}

static lang_value bi_format(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "value, format_spec=", v) < 0) return lv_err();
    const char *spec = "";
    if (!lv_is_missing(v[1]) && lang_get_str(L, v[1], "format_spec", &spec) < 0) return lv_err();
    return format_value(L, v[0], spec);
}

static lang_value bi_getattr(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    const char *name;
    if (lang_args_bind(L, a, "object, name, default=", v) < 0 || lang_get_str(L, v[1], "attribute name", &name) < 0) return lv_err();
    lang_value r = op_getattr(L, v[0], name);
    if (lv_is_err(r) && !lv_is_missing(v[2]) && lang_error_kind_of(L) == LANG_E_ATTRIBUTE) {
        lang_error_clear(L);
        return lv_retain(v[2]);
    }
    return r;
}

static lang_value bi_hasattr(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    const char *name;
    if (lang_args_bind(L, a, "object, name", v) < 0 || lang_get_str(L, v[1], "attribute name", &name) < 0) return lv_err();
    lang_value r = op_getattr(L, v[0], name);
    if (lv_is_err(r)) {
        if (lang_error_kind_of(L) != LANG_E_ATTRIBUTE) return r;
        lang_error_clear(L);
        return lv_bool(0);
    }
    lv_release(r);
    return lv_bool(1);
}

static lang_value bi_callable(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "object", v) < 0) return lv_err();
    if (v[0].type == LV_INSTANCE) {
        lang_value cls = lv_from_obj(LV_OBJ(v[0], lv_instanceobj)->cls);
        lang_value f = op_getattr(L, cls, "__call__");
        if (lv_is_err(f)) { lang_error_clear(L); return lv_bool(0); }
        lv_release(f);
        return lv_bool(1);
    }
    int c = v[0].type == LV_FUNCTION || v[0].type == LV_BUILTIN || v[0].type == LV_CLASS ||
            (v[0].type == LV_OBJECT && lv_object_class(v[0])->call);
    return lv_bool(c);
}

/* display(*objs): shows values as rich outputs now (IPython's display) */
static lang_value bi_display(lang_state *L, const lang_args *a)
{
    for (int k = 0; k < a->nkw; k++)
        if (strcmp(a->kwname[k], "display_id") != 0)
            return lang_raise(L, LANG_E_TYPE, "display() got an unexpected keyword argument '%s'", a->kwname[k]);
    for (int i = 0; i < a->n; i++) {
        lang_bundle b = {0};
        if (lang_display_bundle(L, a->v[i], &b) < 0) { lang_bundle_clear(&b); return lv_err(); }
        lang_display(L, &b, NULL, 0);
        lang_bundle_clear(&b);
    }
    return lv_none();
}

static lang_value bi_clear_output(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    int wait = 0;
    if (lang_args_bind(L, a, "wait=", v) < 0) return lv_err();
    if (!lv_is_missing(v[0]) && lang_get_bool(L, v[0], "wait", &wait) < 0) return lv_err();
    lang_clear_output(L, wait);
    return lv_none();
}

static int add_unique(lang_value list, const char *name)
{
    size_t n = lv_list_len(list);
    for (size_t i = 0; i < n; i++) if (strcmp(lv_str_cstr(lv_list_items(list)[i]), name) == 0) return 0;
    lang_value s = lv_str(name);
    if (lv_is_err(s)) return -1;
    return lv_list_append_take(list, s);
}

static int dir_add(void *ctx, const char *name) { return add_unique(*(lang_value *)ctx, name); }

/* dir(x): the attribute and method names of a value; dir(): the user's names */
static lang_value bi_dir(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "object=", v) < 0) return lv_err();
    lang_value out = lv_list_new(0);
    if (lv_is_err(out)) return lang_nomem(L);
    int rc = 0;
    if (lv_is_missing(v[0])) {
        for (int i = 0; i < L->ng && rc == 0; i++)
            if (L->g[i].value.type != LV_MISSING) rc = add_unique(out, L->g[i].name);
    } else if (v[0].type == LV_INSTANCE || v[0].type == LV_CLASS) {
        rc = class_each_attr(v[0], dir_add, &out);
    } else {
        const lang_method *m = op_methods_of(L, v[0]);
        for (; m && m->name && rc == 0; m++) rc = add_unique(out, m->name);
        const char *const *attrs = op_attrs_of(L, v[0]);
        for (; attrs && *attrs && rc == 0; attrs++) rc = add_unique(out, *attrs);
    }
    if (rc < 0 || sort_list(L, out, lv_none(), 0) < 0) { lv_release(out); return L->err_pending ? lv_err() : lang_nomem(L); }
    return out;
}

void lang_init_core(lang_state *L)
{
    lang_register_builtin(L, "display", bi_display,
        "display(*objs)\nShows each value as a rich output now (arrays as tables, figures as images).\n>>> display(array([1, 2]))");
    lang_register_builtin(L, "clear_output", bi_clear_output,
        "clear_output(wait=False)\nClears the cell's output (with wait, when the next output arrives).\n>>> clear_output(wait=True)");
    lang_register_builtin(L, "dir", bi_dir,
        "dir(object=)\nThe attribute and method names of a value; without argument, the names you defined.\n>>> dir([])[:3]\n['append', 'clear', 'copy']");
    lang_register_builtin(L, "print", bi_print,
        "print(*values, sep=' ', end='\\n', file=None)\nWrites the values, separated by sep and followed by end, to the cell's output (or to a file from open()).\n>>> print(\"x =\", 3)\nx = 3");
    lang_register_builtin(L, "input", bi_input,
        "input(prompt='')\nAsks the user for a line of text (when the frontend allows stdin) and returns it.\n>>> name = input(\"name? \")");
    lang_register_builtin(L, "time", bi_time,
        "time()\nSeconds since the epoch, as a float.\n>>> t0 = time(); ...; print(time() - t0)");
    lang_register_builtin(L, "len", bi_len,
        "len(x)\nNumber of items of a string, list, tuple, dict, range, or the first axis of an array.\n>>> len([1, 2, 3])\n3");
    lang_register_type(L, "range", bi_range,
        "range(stop) / range(start, stop, step=1)\nThe integers from start up to (not including) stop.\n>>> list(range(1, 7, 2))\n[1, 3, 5]", LV_RANGE);
    lang_register_builtin(L, "enumerate", bi_enumerate,
        "enumerate(iterable, start=0)\nPairs (index, item) for each item.\n>>> list(enumerate(['a', 'b']))\n[(0, 'a'), (1, 'b')]");
    lang_register_builtin(L, "zip", bi_zip,
        "zip(*iterables)\nTuples of the i-th items of each iterable, up to the shortest.\n>>> list(zip([1, 2], 'ab'))\n[(1, 'a'), (2, 'b')]");
    lang_register_builtin(L, "reversed", bi_reversed,
        "reversed(sequence)\nThe items in reverse order.\n>>> list(reversed([1, 2, 3]))\n[3, 2, 1]");
    lang_register_type(L, "str", bi_str,
        "str(object='')\nThe text form of a value (what print shows).\n>>> str(2.5)\n'2.5'", LV_STR);
    lang_register_builtin(L, "repr", bi_repr,
        "repr(object)\nThe printable representation of a value (strings quoted).\n>>> repr('a')\n\"'a'\"");
    lang_register_type(L, "int", bi_int,
        "int(x=0, base=10)\nAn integer from a number (truncating toward zero) or a string.\n>>> int(-3.7)\n-3", LV_INT);
    lang_register_type(L, "float", bi_float,
        "float(x=0.0)\nA floating-point number from a number or a string.\n>>> float(\"1e-3\")\n0.001", LV_FLOAT);
    lang_register_type(L, "bool", bi_bool,
        "bool(x=False)\nThe truth value of x.\n>>> bool([])\nFalse", LV_BOOL);
    static const lang_type_methods list = { lang_list_methods, NULL, NULL }, tuple = { lang_tuple_methods, NULL, NULL },
                                   dict = { lang_dict_methods, NULL, NULL };
    lang_register_type_methods(L, LV_LIST, &list);
    lang_register_type_methods(L, LV_TUPLE, &tuple);
    lang_register_type_methods(L, LV_DICT, &dict);
    lang_register_type(L, "list", bi_list,
        "list(iterable=())\nA new list of the items.\n>>> list('abc')\n['a', 'b', 'c']", LV_LIST);
    lang_register_type(L, "tuple", bi_tuple,
        "tuple(iterable=())\nA new tuple of the items.\n>>> tuple([1, 2])\n(1, 2)", LV_TUPLE);
    lang_register_type(L, "dict", bi_dict,
        "dict(mapping_or_pairs=None, **kwargs)\nA new dictionary (insertion-ordered).\n>>> dict(a=1, b=2)\n{'a': 1, 'b': 2}", LV_DICT);
    lang_register_builtin(L, "abs", bi_abs,
        "abs(x)\nAbsolute value of a number, or element-wise of an array.\n>>> abs(-2.5)\n2.5");
    lang_register_builtin(L, "round", bi_round,
        "round(number, ndigits=None)\nRounds half to even; an int without ndigits, else a float.\n>>> round(2.675, 2)\n2.67");
    lang_register_builtin(L, "divmod", bi_divmod,
        "divmod(a, b)\nThe pair (a // b, a % b).\n>>> divmod(7, 2)\n(3, 1)");
    lang_register_builtin(L, "pow", bi_pow,
        "pow(base, exp)\nbase ** exp.\n>>> pow(2, 10)\n1024");
    lang_register_builtin(L, "chr", bi_chr,
        "chr(i)\nThe character with Unicode code point i.\n>>> chr(65)\n'A'");
    lang_register_builtin(L, "ord", bi_ord,
        "ord(c)\nThe Unicode code point of a one-character string.\n>>> ord('A')\n65");
    lang_register_builtin(L, "min", bi_min,
        "min(iterable, key=None, default=) / min(a, b, ...) / min(array, axis=None, keepdims=False)\nThe smallest item; for an array, its minimum (over an axis).\n>>> min(3, 1, 2)\n1");
    lang_register_builtin(L, "max", bi_max,
        "max(iterable, key=None, default=) / max(a, b, ...) / max(array, axis=None, keepdims=False)\nThe largest item; for an array, its maximum (over an axis).\n>>> max([3, 1, 2])\n3");
    lang_register_builtin(L, "sum", bi_sum,
        "sum(iterable, start=0) / sum(array, axis=None, keepdims=False)\nThe sum of the items; for an array, the sum of its elements (over an axis).\n>>> sum([1, 2, 3])\n6");
    lang_register_builtin(L, "any", bi_any,
        "any(iterable)\nTrue when at least one item is true.\n>>> any([0, 0, 1])\nTrue");
    lang_register_builtin(L, "all", bi_all,
        "all(iterable)\nTrue when every item is true.\n>>> all([1, 2, 0])\nFalse");
    lang_register_builtin(L, "sorted", bi_sorted,
        "sorted(iterable, key=None, reverse=False)\nA new sorted list (stable).\n>>> sorted([3, 1, 2], reverse=True)\n[3, 2, 1]");
    lang_register_builtin(L, "map", bi_map,
        "map(function, *iterables)\nfunction applied to each item (of the iterables in parallel).\n>>> list(map(abs, [-1, 2]))\n[1, 2]");
    lang_register_builtin(L, "filter", bi_filter,
        "filter(function, iterable)\nThe items for which function(item) is true.\n>>> list(filter(lambda x: x > 1, [1, 2, 3]))\n[2, 3]");
    lang_register_builtin(L, "type", bi_type,
        "type(object)\nThe type of a value.\n>>> type(1.5)\n<class 'float'>");
    lang_register_builtin(L, "isinstance", bi_isinstance,
        "isinstance(object, classinfo)\nTrue when object is of the type (or one of a tuple of types).\n>>> isinstance(3, (int, float))\nTrue");
    lang_register_builtin(L, "iter", bi_iter,
        "iter(object)\nAn iterator over object (lists, strings, dicts, ranges, arrays, instances with __iter__).\n>>> it = iter([1, 2]); next(it)\n1");
    lang_register_builtin(L, "next", bi_next,
        "next(iterator, default=)\nThe iterator's next item; at the end default, or StopIteration.\n>>> next(iter([]), 'done')\n'done'");
    lang_register_builtin(L, "issubclass", bi_issubclass,
        "issubclass(cls, classinfo)\nTrue when cls is classinfo or derives from it (or from one of a tuple).\n>>> issubclass(KeyError, LookupError)\nTrue");
    lang_register_builtin(L, "help", bi_help,
        "help(x)\nShows the documentation of a builtin, a function or a value.\n>>> help(len)");
    lang_register_builtin(L, "format", bi_format,
        "format(value, format_spec='')\nFormats a value with Python's format-spec mini-language.\n>>> format(3.14159, '.2f')\n'3.14'");
    lang_register_builtin(L, "getattr", bi_getattr,
        "getattr(object, name, default=)\nThe attribute `name` of object (or default when it has none).\n>>> getattr(a, 'shape')");
    lang_register_builtin(L, "hasattr", bi_hasattr,
        "hasattr(object, name)\nTrue when object has the attribute.\n>>> hasattr([], 'append')\nTrue");
    lang_register_builtin(L, "callable", bi_callable,
        "callable(object)\nTrue for functions and other callable values.\n>>> callable(len)\nTrue");
}
