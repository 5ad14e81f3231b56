/* builtins_str.c — string methods and str.format. Strings are UTF-8;
 * case mapping and character classes follow Python (unicode.h says where
 * exactly).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp.h"
#include "libraries.h"
#include "unicode.h"

#define SELF_S lv_str_cstr(a->self)
#define SELF_N lv_str_len(a->self)

static lang_value str_result(lang_state *L, fmtbuf *b)
{
    size_t n = b->len;
    char *s = fmtbuf_take(b);
    if (!s) return n ? lang_nomem(L) : lv_str("");
    lang_value r = lv_str_n(s, n);
    free(s);
    return lv_is_err(r) ? lang_nomem(L) : r;
}

#define utf8_get uc_utf8_get

static void utf8_put(fmtbuf *b, uint32_t c)
{
    char o[4];
    if (c < 0x80) { fmtbuf_putc(b, (char)c); return; }
    if (c < 0x800) { o[0] = (char)(0xC0 | (c >> 6)); o[1] = (char)(0x80 | (c & 63)); fmtbuf_putn(b, o, 2); return; }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12)); o[1] = (char)(0x80 | ((c >> 6) & 63)); o[2] = (char)(0x80 | (c & 63));
        fmtbuf_putn(b, o, 3);
        return;
    }
    o[0] = (char)(0xF0 | (c >> 18)); o[1] = (char)(0x80 | ((c >> 12) & 63));
    o[2] = (char)(0x80 | ((c >> 6) & 63)); o[3] = (char)(0x80 | (c & 63));
    fmtbuf_putn(b, o, 4);
}

/* Python's final sigma rule: Σ lowers to ς at the end of a word (after a
 * cased letter and not before one). */
static int final_sigma(const char *s, size_t n, size_t at, size_t next)
{
    int before = 0, after = 0;
    for (size_t j = at; j > 0;) {
        size_t k = j - 1;
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
        uint32_t c;
        utf8_get(s, n, k, &c);
        if (c != '\'' && c != 0x2019) { before = uc_iscased(c); break; }
        j = k;
    }
    for (size_t j = next; j < n;) {
        uint32_t c;
        j += utf8_get(s, n, j, &c);
        if (c != '\'' && c != 0x2019) { after = uc_iscased(c); break; }
    }
    return before && !after;
}

/* upper, lower, title, capitalize, swapcase with Python's full mappings. */
static lang_value m_case(lang_state *L, const lang_args *a, int mode)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    size_t n = SELF_N, i = 0;
    const char *s = SELF_S;
    fmtbuf b;
    fmtbuf_init(&b);
    int prev_cased = 0, first = 1;
    while (i < n) {
        uint32_t c, o[3];
        size_t at = i;
        i += utf8_get(s, n, i, &c);
        char kind;
        switch (mode) {
        case 0: kind = 'u'; break;
        case 1: kind = 'l'; break;
        case 2: kind = prev_cased ? 'l' : 't'; prev_cased = uc_iscased(c); break;   /* title */
        case 3: kind = first ? 't' : 'l'; break;                                    /* capitalize */
        default: kind = uc_isupper(c) ? 'l' : uc_islower(c) ? 'u' : 0; break;      /* swapcase */
        }
        first = 0;
        int k = 1;
        if (!kind) o[0] = c;
        else if (kind == 'l' && c == 0x3A3) o[0] = final_sigma(s, n, at, i) ? 0x3C2 : 0x3C3;
        else k = uc_case_full(c, kind, o);
        for (int j = 0; j < k; j++) utf8_put(&b, o[j]);
    }
    return str_result(L, &b);
}
static lang_value m_upper(lang_state *L, const lang_args *a) { return m_case(L, a, 0); }
static lang_value m_lower(lang_state *L, const lang_args *a) { return m_case(L, a, 1); }
static lang_value m_title(lang_state *L, const lang_args *a) { return m_case(L, a, 2); }
static lang_value m_capitalize(lang_state *L, const lang_args *a) { return m_case(L, a, 3); }
static lang_value m_swapcase(lang_state *L, const lang_args *a) { return m_case(L, a, 4); }

static lang_value m_strip_any(lang_state *L, const lang_args *a, int left, int right)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "chars=", v) < 0) return lv_err();
    const char *chars = NULL;
    if (!lv_is_missing(v[0]) && !lv_is_none(v[0]) && lang_get_str(L, v[0], "chars", &chars) < 0) return lv_err();
    const char *s = SELF_S;
    size_t b = 0, e = SELF_N;
    size_t cl = chars ? strlen(chars) : 0;
    if (left) {
        while (b < e) {
            uint32_t c;
            size_t k = utf8_get(s, e, b, &c);
            if (chars ? !memmem(chars, cl, s + b, k) : !uc_isspace(c)) break;
            b += k;
        }
    }
    if (right) {
        while (e > b) {
            size_t k = e - 1;
            while (k > b && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
            uint32_t c;
            size_t len = utf8_get(s, e, k, &c);
            if (chars ? !memmem(chars, cl, s + k, len) : !uc_isspace(c)) break;
            e = k;
        }
    }
    return lv_str_n(s + b, e - b);
}
static lang_value m_strip(lang_state *L, const lang_args *a) { return m_strip_any(L, a, 1, 1); }
static lang_value m_lstrip(lang_state *L, const lang_args *a) { return m_strip_any(L, a, 1, 0); }
static lang_value m_rstrip(lang_state *L, const lang_args *a) { return m_strip_any(L, a, 0, 1); }

/* Length in bytes of the whitespace character at s[i], 0 if it is not one. */
static size_t space_at(const char *s, size_t n, size_t i)
{
    uint32_t c;
    size_t k = utf8_get(s, n, i, &c);
    return uc_isspace(c) ? k : 0;
}

static lang_value m_split(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "sep=, maxsplit=", v) < 0) return lv_err();
    const char *sep = NULL;
    int64_t maxsplit = -1;
    if (!lv_is_missing(v[0]) && !lv_is_none(v[0]) && lang_get_str(L, v[0], "sep", &sep) < 0) return lv_err();
    if (!lv_is_missing(v[1]) && lang_get_int(L, v[1], "maxsplit", &maxsplit) < 0) return lv_err();
    if (sep && !*sep) return lang_raise(L, LANG_E_VALUE, "empty separator");
    lang_value out = lv_list_new(0);
    if (lv_is_err(out)) return lang_nomem(L);
    const char *s = SELF_S;
    size_t n = SELF_N, i = 0;
    int64_t splits = 0;
    if (!sep) {
        for (;;) {
            while (i < n && space_at(s, n, i)) i += space_at(s, n, i);
            if (i >= n) break;
            size_t j = i;
            if (maxsplit >= 0 && splits >= maxsplit) {
                j = n;   /* the rest, trailing whitespace included, as Python keeps it */
            } else {
                while (j < n && !space_at(s, n, j)) { uint32_t c; j += utf8_get(s, n, j, &c); }
            }
            lang_value w = lv_str_n(s + i, j - i);
            if (lv_is_err(w) || lv_list_append_take(out, w) < 0) { lv_release(out); return lang_nomem(L); }
            splits++;
            i = j;
        }
        return out;
    }
    size_t sl = strlen(sep);
    for (;;) {
        const char *f = (maxsplit >= 0 && splits >= maxsplit) ? NULL : memmem(s + i, n - i, sep, sl);
        size_t j = f ? (size_t)(f - s) : n;
        lang_value w = lv_str_n(s + i, j - i);
        if (lv_is_err(w) || lv_list_append_take(out, w) < 0) { lv_release(out); return lang_nomem(L); }
        if (!f) break;
        splits++;
        i = j + sl;
    }
    return out;
}

static lang_value m_splitlines(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    lang_value out = lv_list_new(0);
    if (lv_is_err(out)) return lang_nomem(L);
    const char *s = SELF_S;
    size_t n = SELF_N, i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '\n' && s[j] != '\r') j++;
        lang_value w = lv_str_n(s + i, j - i);
        if (lv_is_err(w) || lv_list_append_take(out, w) < 0) { lv_release(out); return lang_nomem(L); }
        if (j < n && s[j] == '\r' && j + 1 < n && s[j + 1] == '\n') j++;
        i = j + 1;
    }
    return out;
}

static lang_value m_join(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "iterable", v) < 0) return lv_err();
    lang_value l = iter_to_list(L, v[0]);
    if (lv_is_err(l)) return l;
    fmtbuf b;
    fmtbuf_init(&b);
    size_t n = lv_list_len(l);
    for (size_t i = 0; i < n; i++) {
        lang_value x = lv_list_items(l)[i];
        if (x.type != LV_STR) {
            fmtbuf_free(&b);
            lv_release(l);
            return lang_raise(L, LANG_E_TYPE, "sequence item %zu: expected str instance, %s found", i, lv_type_name(x));
        }
        if (i) fmtbuf_putn(&b, SELF_S, SELF_N);
        fmtbuf_putn(&b, lv_str_cstr(x), lv_str_len(x));
    }
    lv_release(l);
    return str_result(L, &b);
}

static lang_value m_replace(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    const char *old, *new_;
    int64_t count = -1;
    if (lang_args_bind(L, a, "old, new, count=", v) < 0 || lang_get_str(L, v[0], "old", &old) < 0 ||
        lang_get_str(L, v[1], "new", &new_) < 0) return lv_err();
    if (!lv_is_missing(v[2]) && lang_get_int(L, v[2], "count", &count) < 0) return lv_err();
    size_t ol = lv_str_len(v[0]), nl = lv_str_len(v[1]), n = SELF_N, i = 0;
    const char *s = SELF_S;
    fmtbuf b;
    fmtbuf_init(&b);
    int64_t done = 0;
    if (ol == 0) {
        /* "ab".replace("", "-") == "-a-b-" */
        for (size_t k = 0; k <= n;) {
            if (count < 0 || done < count) { fmtbuf_putn(&b, new_, nl); done++; }
            if (k == n) break;
            uint32_t c;
            size_t len = utf8_get(s, n, k, &c);
            fmtbuf_putn(&b, s + k, len);
            k += len;
        }
        return str_result(L, &b);
    }
    while (i <= n) {
        const char *f = (count >= 0 && done >= count) ? NULL : memmem(s + i, n - i, old, ol);
        if (!f) { fmtbuf_putn(&b, s + i, n - i); break; }
        fmtbuf_putn(&b, s + i, (size_t)(f - (s + i)));
        fmtbuf_putn(&b, new_, nl);
        i = (size_t)(f - s) + ol;
        done++;
    }
    return str_result(L, &b);
}

static lang_value m_affix(lang_state *L, const lang_args *a, int end)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "prefix", v) < 0) return lv_err();
    int64_t np;
    lang_value *opts = lv_seq_items(v[0], &np);
    lang_value one[1] = { v[0] };
    if (!opts || v[0].type != LV_TUPLE) { opts = one; np = 1; }
    for (int64_t k = 0; k < np; k++) {
        if (opts[k].type != LV_STR)
            return lang_raise(L, LANG_E_TYPE, "%s arg must be str or a tuple of str, not %s", end ? "endswith" : "startswith", lv_type_name(opts[k]));
        size_t pl = lv_str_len(opts[k]), n = SELF_N;
        if (pl > n) continue;
        if (memcmp(SELF_S + (end ? n - pl : 0), lv_str_cstr(opts[k]), pl) == 0) return lv_bool(1);
    }
    return lv_bool(0);
}
static lang_value m_startswith(lang_state *L, const lang_args *a) { return m_affix(L, a, 0); }
static lang_value m_endswith(lang_state *L, const lang_args *a) { return m_affix(L, a, 1); }

static int64_t cp_index(const char *s, size_t byte)
{
    int64_t n = 0;
    for (size_t i = 0; i < byte; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static lang_value m_find_any(lang_state *L, const lang_args *a, int raise, int rev)
{
    lang_value v[1];
    const char *sub;
    if (lang_args_bind(L, a, "sub", v) < 0 || lang_get_str(L, v[0], "sub", &sub) < 0) return lv_err();
    const char *s = SELF_S, *f = NULL;
    size_t n = SELF_N, sl = lv_str_len(v[0]);
    if (!rev) f = memmem(s, n, sub, sl);
    else for (size_t i = n + 1; i-- > 0;) if (i + sl <= n && memcmp(s + i, sub, sl) == 0) { f = s + i; break; }
    if (!f) {
        if (raise) return lang_raise(L, LANG_E_VALUE, "substring not found");
        return lv_int(-1);
    }
    return lv_int(cp_index(s, (size_t)(f - s)));
}
static lang_value m_find(lang_state *L, const lang_args *a) { return m_find_any(L, a, 0, 0); }
static lang_value m_rfind(lang_state *L, const lang_args *a) { return m_find_any(L, a, 0, 1); }
static lang_value m_sindex(lang_state *L, const lang_args *a) { return m_find_any(L, a, 1, 0); }

static lang_value m_scount(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *sub;
    if (lang_args_bind(L, a, "sub", v) < 0 || lang_get_str(L, v[0], "sub", &sub) < 0) return lv_err();
    size_t sl = lv_str_len(v[0]), n = SELF_N, i = 0;
    if (!sl) return lv_int(lv_str_ncp(a->self) + 1);
    int64_t c = 0;
    const char *s = SELF_S, *f;
    while (i <= n && (f = memmem(s + i, n - i, sub, sl))) { c++; i = (size_t)(f - s) + sl; }
    return lv_int(c);
}

/* isdigit, isalpha ...: every character satisfies pred (and there is one). */
static lang_value m_is(lang_state *L, const lang_args *a, int (*pred)(uint32_t))
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    size_t n = SELF_N, i = 0;
    if (!n) return lv_bool(0);
    while (i < n) {
        uint32_t c;
        i += utf8_get(SELF_S, n, i, &c);
        if (!pred(c)) return lv_bool(0);
    }
    return lv_bool(1);
}
static int is_alnum(uint32_t c) { return uc_isalpha(c) || uc_isdigit(c); }
static lang_value m_isdigit(lang_state *L, const lang_args *a) { return m_is(L, a, uc_isdigit); }
static lang_value m_isalpha(lang_state *L, const lang_args *a) { return m_is(L, a, uc_isalpha); }
static lang_value m_isspace(lang_state *L, const lang_args *a) { return m_is(L, a, uc_isspace); }
static lang_value m_isalnum(lang_state *L, const lang_args *a) { return m_is(L, a, is_alnum); }

/* isupper/islower: some cased character and none of the other case. */
static lang_value case_test(lang_state *L, const lang_args *a, int upper)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    size_t n = SELF_N, i = 0;
    int any = 0;
    while (i < n) {
        uint32_t c;
        i += utf8_get(SELF_S, n, i, &c);
        if (upper ? uc_isupper(c) : uc_islower(c)) any = 1;
        else if (uc_iscased(c)) return lv_bool(0);
    }
    return lv_bool(any);
}
static lang_value m_isupper(lang_state *L, const lang_args *a) { return case_test(L, a, 1); }
static lang_value m_islower(lang_state *L, const lang_args *a) { return case_test(L, a, 0); }

static lang_value m_pad(lang_state *L, const lang_args *a, int mode)
{
    lang_value v[2];
    int64_t width;
    const char *fill = " ";
    if (lang_args_bind(L, a, "width, fillchar=", v) < 0 || lang_get_int(L, v[0], "width", &width) < 0) return lv_err();
    if (!lv_is_missing(v[1])) {
        if (lang_get_str(L, v[1], "fillchar", &fill) < 0) return lv_err();
        if (lv_str_ncp(v[1]) != 1) return lang_raise(L, LANG_E_TYPE, "The fill character must be exactly one character long");
    }
    int64_t len = lv_str_ncp(a->self);
    if (width <= len) return lv_retain(a->self);
    int64_t pad = width - len, left = mode == 0 ? 0 : mode == 1 ? pad : pad / 2 + (pad & width & 1);
    fmtbuf b;
    fmtbuf_init(&b);
    for (int64_t i = 0; i < left; i++) fmtbuf_puts(&b, fill);
    fmtbuf_putn(&b, SELF_S, SELF_N);
    for (int64_t i = 0; i < pad - left; i++) fmtbuf_puts(&b, fill);
    return str_result(L, &b);
}
static lang_value m_ljust(lang_state *L, const lang_args *a) { return m_pad(L, a, 0); }
static lang_value m_rjust(lang_state *L, const lang_args *a) { return m_pad(L, a, 1); }
static lang_value m_center(lang_state *L, const lang_args *a) { return m_pad(L, a, 2); }

static lang_value m_zfill(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    int64_t width;
    if (lang_args_bind(L, a, "width", v) < 0 || lang_get_int(L, v[0], "width", &width) < 0) return lv_err();
    int64_t len = lv_str_ncp(a->self);
    if (width <= len) return lv_retain(a->self);
    const char *s = SELF_S;
    fmtbuf b;
    fmtbuf_init(&b);
    size_t start = 0;
    if (*s == '+' || *s == '-') { fmtbuf_putc(&b, *s); start = 1; }
    for (int64_t i = 0; i < width - len; i++) fmtbuf_putc(&b, '0');
    fmtbuf_putn(&b, s + start, SELF_N - start);
    return str_result(L, &b);
}

/* ---- str.format ---------------------------------------------------------------------- */

/* Resolves a field name ("", "0", "name", "0[1]", "x.shape") to a value. */
static lang_value format_field(lang_state *L, const char *f, size_t n, const lang_args *a, int *autonum)
{
    size_t i = 0;
    while (i < n && f[i] != '.' && f[i] != '[') i++;
    lang_value v;
    if (i == 0) {
        if (*autonum < 0) return lang_raise(L, LANG_E_VALUE, "cannot switch from manual field specification to automatic field numbering");
        int k = (*autonum)++;
        if (k >= a->n) return lang_raise(L, LANG_E_INDEX, "Replacement index %d out of range for positional args tuple", k);
        v = lv_retain(a->v[k]);
    } else if (isdigit((unsigned char)f[0])) {
        if (*autonum > 0) return lang_raise(L, LANG_E_VALUE, "cannot switch from automatic field numbering to manual field specification");
        *autonum = -1;
        long k = strtol(f, NULL, 10);
        if (k >= a->n) return lang_raise(L, LANG_E_INDEX, "Replacement index %ld out of range for positional args tuple", k);
        v = lv_retain(a->v[k]);
    } else {
        v = lv_missing();
        for (int k = 0; k < a->nkw; k++)
            if (strlen(a->kwname[k]) == i && strncmp(a->kwname[k], f, i) == 0) { v = lv_retain(a->kw[k]); break; }
        if (lv_is_missing(v)) return lang_raise(L, LANG_E_KEY, "'%.*s'", (int)i, f);
    }
    while (i < n) {
        if (f[i] == '.') {
            size_t j = ++i;
            while (j < n && f[j] != '.' && f[j] != '[') j++;
            char nm[128];
            snprintf(nm, sizeof nm, "%.*s", (int)(j - i), f + i);
            lang_value w = op_getattr(L, v, nm);
            lv_release(v);
            if (lv_is_err(w)) return w;
            v = w;
            i = j;
        } else {
            size_t j = ++i;
            while (j < n && f[j] != ']') j++;
            if (j >= n) { lv_release(v); return lang_raise(L, LANG_E_VALUE, "Missing ']' in format string"); }
            index_item it;
            memset(&it, 0, sizeof it);
            it.lo = it.hi = it.step = lv_missing();
            int numeric = j > i;
            for (size_t k = i; k < j; k++) numeric &= isdigit((unsigned char)f[k]) != 0;
            it.v = numeric ? lv_int(strtol(f + i, NULL, 10)) : lv_str_n(f + i, j - i);
            lang_value w = op_getitem(L, v, &it, 1, 0);
            lv_release(it.v);
            lv_release(v);
            if (lv_is_err(w)) return w;
            v = w;
            i = j + 1;
        }
    }
    return v;
}

/* autonum counts automatic fields ({}) across the string and the nested
 * fields of its specs, as Python numbers them: '{:>{}}' is {0:>{1}}. */
static lang_value format_fields(lang_state *L, const char *s, size_t n, const lang_args *a, int *autonum)
{
    fmtbuf b;
    fmtbuf_init(&b);
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        if (c == '{' && i + 1 < n && s[i + 1] == '{') { fmtbuf_putc(&b, '{'); i += 2; continue; }
        if (c == '}' && i + 1 < n && s[i + 1] == '}') { fmtbuf_putc(&b, '}'); i += 2; continue; }
        if (c == '}') { fmtbuf_free(&b); return lang_raise(L, LANG_E_VALUE, "Single '}' encountered in format string"); }
        if (c != '{') { fmtbuf_putc(&b, c); i++; continue; }
        /* a field: {name!conv:spec} with nested {} in spec */
        size_t j = ++i;
        int depth = 1;
        while (j < n && depth) {
            if (s[j] == '{') depth++;
            else if (s[j] == '}') depth--;
            if (depth) j++;
        }
        if (j >= n) { fmtbuf_free(&b); return lang_raise(L, LANG_E_VALUE, "Single '{' encountered in format string"); }
        size_t fe = i;
        while (fe < j && s[fe] != '!' && s[fe] != ':') fe++;
        char conv = 0;
        size_t se = fe;
        if (fe < j && s[fe] == '!') {
            if (fe + 1 >= j) { fmtbuf_free(&b); return lang_raise(L, LANG_E_VALUE, "end of string while looking for conversion specifier"); }
            conv = s[fe + 1];
            se = fe + 2;
            if ((conv != 'r' && conv != 's' && conv != 'a') || (se < j && s[se] != ':')) {
                fmtbuf_free(&b);
                return lang_raise(L, LANG_E_VALUE, "Unknown conversion specifier %c", conv);
            }
        }
        lang_value v = format_field(L, s + i, fe - i, a, autonum);
        if (lv_is_err(v)) { fmtbuf_free(&b); return v; }
        if (conv) {
            char *t = conv == 's' ? lang_str(L, v) : lang_repr(L, v);
            lv_release(v);
            if (!t) { fmtbuf_free(&b); return lv_err(); }
            v = lv_str_take(t);
            if (lv_is_err(v)) { fmtbuf_free(&b); return lang_nomem(L); }
        }
        lang_value spec = lv_str("");
        if (se < j && s[se] == ':') {
            lv_release(spec);
            /* the spec may hold nested fields: format it first */
            spec = format_fields(L, s + se + 1, j - se - 1, a, autonum);
            if (lv_is_err(spec)) { lv_release(v); fmtbuf_free(&b); return spec; }
        }
        lang_value out = format_value(L, v, lv_str_cstr(spec));
        lv_release(spec);
        lv_release(v);
        if (lv_is_err(out)) { fmtbuf_free(&b); return out; }
        fmtbuf_putn(&b, lv_str_cstr(out), lv_str_len(out));
        lv_release(out);
        i = j + 1;
    }
    return str_result(L, &b);
}

lang_value str_format(lang_state *L, const char *s, size_t n, const lang_args *a)
{
    int autonum = 0;
    return format_fields(L, s, n, a, &autonum);
}

static lang_value m_format(lang_state *L, const lang_args *a)
{
    return str_format(L, SELF_S, SELF_N, a);
}

static const lang_method lang_str_methods[] = {
    {"upper", m_upper, "str.upper()\nA copy with letters in upper case.\n>>> 'abc'.upper()\n'ABC'"},
    {"lower", m_lower, "str.lower()\nA copy with letters in lower case.\n>>> 'ABC'.lower()\n'abc'"},
    {"title", m_title, "str.title()\nEach word capitalised.\n>>> 'hello world'.title()\n'Hello World'"},
    {"capitalize", m_capitalize, "str.capitalize()\nFirst character upper case, the rest lower case.\n>>> 'hELLO'.capitalize()\n'Hello'"},
    {"swapcase", m_swapcase, "str.swapcase()\nUpper case to lower and back.\n>>> 'aB'.swapcase()\n'Ab'"},
    {"strip", m_strip, "str.strip(chars=None)\nRemoves leading and trailing whitespace (or chars).\n>>> '  hi  '.strip()\n'hi'"},
    {"lstrip", m_lstrip, "str.lstrip(chars=None)\nRemoves leading whitespace (or chars).\n>>> '  hi'.lstrip()\n'hi'"},
    {"rstrip", m_rstrip, "str.rstrip(chars=None)\nRemoves trailing whitespace (or chars).\n>>> 'hi\\n'.rstrip()\n'hi'"},
    {"split", m_split, "str.split(sep=None, maxsplit=-1)\nThe words (split at whitespace, or at sep).\n>>> 'a,b,c'.split(',')\n['a', 'b', 'c']"},
    {"splitlines", m_splitlines, "str.splitlines()\nThe lines, without line endings.\n>>> 'a\\nb'.splitlines()\n['a', 'b']"},
    {"join", m_join, "str.join(iterable)\nThe strings of iterable joined with this string between them.\n>>> ', '.join(['a', 'b'])\n'a, b'"},
    {"replace", m_replace, "str.replace(old, new, count=-1)\nA copy with occurrences of old replaced by new.\n>>> 'aaa'.replace('a', 'b', 2)\n'bba'"},
    {"startswith", m_startswith, "str.startswith(prefix)\nTrue when the string starts with prefix (or one of a tuple).\n>>> 'GPU:0'.startswith('GPU')\nTrue"},
    {"endswith", m_endswith, "str.endswith(suffix)\nTrue when the string ends with suffix (or one of a tuple).\n>>> 'a.cg'.endswith('.cg')\nTrue"},
    {"find", m_find, "str.find(sub)\nIndex of the first occurrence of sub, or -1.\n>>> 'hello'.find('l')\n2"},
    {"rfind", m_rfind, "str.rfind(sub)\nIndex of the last occurrence of sub, or -1.\n>>> 'hello'.rfind('l')\n3"},
    {"index", m_sindex, "str.index(sub)\nIndex of the first occurrence of sub (ValueError when absent).\n>>> 'hello'.index('e')\n1"},
    {"count", m_scount, "str.count(sub)\nNumber of non-overlapping occurrences of sub.\n>>> 'banana'.count('a')\n3"},
    {"isdigit", m_isdigit, "str.isdigit()\nTrue when all characters are digits.\n>>> '42'.isdigit()\nTrue"},
    {"isalpha", m_isalpha, "str.isalpha()\nTrue when all characters are letters.\n>>> 'ab'.isalpha()\nTrue"},
    {"isalnum", m_isalnum, "str.isalnum()\nTrue when all characters are letters or digits.\n>>> 'a1'.isalnum()\nTrue"},
    {"isspace", m_isspace, "str.isspace()\nTrue when all characters are whitespace.\n>>> ' '.isspace()\nTrue"},
    {"isupper", m_isupper, "str.isupper()\nTrue when all cased characters are upper case.\n>>> 'AB'.isupper()\nTrue"},
    {"islower", m_islower, "str.islower()\nTrue when all cased characters are lower case.\n>>> 'ab'.islower()\nTrue"},
    {"ljust", m_ljust, "str.ljust(width, fillchar=' ')\nLeft-justified in a field of width.\n>>> 'a'.ljust(3) + '|'\n'a  |'"},
    {"rjust", m_rjust, "str.rjust(width, fillchar=' ')\nRight-justified in a field of width.\n>>> 'a'.rjust(3)\n'  a'"},
    {"center", m_center, "str.center(width, fillchar=' ')\nCentred in a field of width.\n>>> 'a'.center(3, '*')\n'*a*'"},
    {"zfill", m_zfill, "str.zfill(width)\nPadded with zeros on the left (after a sign).\n>>> '-7'.zfill(4)\n'-007'"},
    {"format", m_format, "str.format(*args, **kwargs)\nReplaces {} fields by the arguments, with format specs.\n>>> '{} degrees = {:.1f}'.format(100, 212.0)\n'100 degrees = 212.0'"},
    {NULL, NULL, NULL}
};

void lang_init_str(lang_state *L)
{
    static const lang_type_methods str = { lang_str_methods, NULL, NULL };
    lang_register_type_methods(L, LV_STR, &str);
}
