/* ops.c — operators on values: arithmetic, comparison, truthiness,
 * membership, indexing and attributes, with Python's rules for host values
 * and numpy's for arrays.
 *
 * Integers are 64-bit: an int result that does not fit raises ValueError
 * ("integer overflow") instead of growing as Python's ints do.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp.h"
#include "scalar_rules.h"

/* ---- numbers ----------------------------------------------------------------------- */

static int64_t as_i64(lang_value v) { return v.type == LV_INT ? v.u.i : (int64_t)v.u.b; }

static lang_value overflow(lang_state *L, binop op, int64_t a, int64_t b)
{
    return lang_raise(L, LANG_E_VALUE, "integer overflow: %lld %s %lld does not fit in 64 bits (C-GPU ints are 64-bit; use floats for larger numbers)",
                      (long long)a, binop_symbol(op), (long long)b);
}

static lang_value int_pow(lang_state *L, int64_t a, int64_t b)
{
    if (b < 0) {
        if (a == 0) return lang_raise(L, LANG_E_ZERODIV, "0.0 cannot be raised to a negative power");
        return lv_float(pow((double)a, (double)b));
    }
    int64_t r = 1, base = a, e = b;
    while (e > 0) {
        if (e & 1) { if (__builtin_mul_overflow(r, base, &r)) return overflow(L, OP_POW, a, b); }
        e >>= 1;
        if (e && __builtin_mul_overflow(base, base, &base)) return overflow(L, OP_POW, a, b);
    }
    return lv_int(r);
}

/* Python's int / int: the exact quotient rounded once. Operands beyond
 * 2**53 are not exact as doubles, so the quotient is formed in 128 bits
 * with the remainder as a sticky bit before the one rounding. */
static double int_true_divide(int64_t x, int64_t y)
{
    const int64_t exact = (int64_t)1 << 53;
    if (x >= -exact && x <= exact && y >= -exact && y <= exact) return (double)x / (double)y;
    int neg = (x < 0) != (y < 0);
    uint64_t n = x < 0 ? 0 - (uint64_t)x : (uint64_t)x, d = y < 0 ? 0 - (uint64_t)y : (uint64_t)y;
    if (n == 0) return neg ? -0.0 : 0.0;
    int shift = __builtin_clzll(n) + 63;                 /* n << shift has its top bit at bit 126 */
    unsigned __int128 num = (unsigned __int128)n << shift;
    unsigned __int128 q = num / d;                       /* at least 63 significant bits */
    if (num % d) q |= 1;                                 /* sticky: below the rounding position */
    double r = ldexp((double)q, -shift);
    return neg ? -r : r;
}

static lang_value num_binary(lang_state *L, binop op, lang_value a, lang_value b)
{
    int both_int = a.type != LV_FLOAT && b.type != LV_FLOAT;
    if (both_int) {
        int64_t x = as_i64(a), y = as_i64(b), r;
        switch (op) {
        case OP_ADD: if (__builtin_add_overflow(x, y, &r)) return overflow(L, op, x, y); return lv_int(r);
        case OP_SUB: if (__builtin_sub_overflow(x, y, &r)) return overflow(L, op, x, y); return lv_int(r);
        case OP_MUL: if (__builtin_mul_overflow(x, y, &r)) return overflow(L, op, x, y); return lv_int(r);
        case OP_DIV:
            if (y == 0) return lang_raise(L, LANG_E_ZERODIV, "division by zero");
            return lv_float(int_true_divide(x, y));
        case OP_FLOORDIV: case OP_MOD: {
            if (y == 0) return lang_raise(L, LANG_E_ZERODIV, op == OP_MOD ? "integer modulo by zero" : "integer division or modulo by zero");
            if (x == INT64_MIN && y == -1) {
                if (op == OP_MOD) return lv_int(0);
                return overflow(L, op, x, y);
            }
            int64_t q = x / y, m = x % y;
            if (m != 0 && ((m < 0) != (y < 0))) { q--; m += y; }
            return lv_int(op == OP_MOD ? m : q);
        }
        case OP_POW: return int_pow(L, x, y);
        case OP_BITAND: case OP_BITOR: case OP_BITXOR: {
            int64_t v = op == OP_BITAND ? (x & y) : op == OP_BITOR ? (x | y) : (x ^ y);
            if (a.type == LV_BOOL && b.type == LV_BOOL) return lv_bool((int)v);
            return lv_int(v);
        }
        case OP_LSHIFT:
            if (y < 0) return lang_raise(L, LANG_E_VALUE, "negative shift count");
            if (y >= 63 || (x != 0 && (x > (INT64_MAX >> y) || x < (INT64_MIN >> y)))) return overflow(L, op, x, y);
            return lv_int((int64_t)((uint64_t)x << y));
        case OP_RSHIFT:
            if (y < 0) return lang_raise(L, LANG_E_VALUE, "negative shift count");
            return lv_int(y >= 63 ? (x < 0 ? -1 : 0) : x >> y);
        default: break;
        }
    } else {
        double x = lv_as_double(a), y = lv_as_double(b);
        switch (op) {
        case OP_ADD: return lv_float(x + y);
        case OP_SUB: return lv_float(x - y);
        case OP_MUL: return lv_float(x * y);
        case OP_DIV:
            if (y == 0) return lang_raise(L, LANG_E_ZERODIV, "float division by zero");
            return lv_float(x / y);
        case OP_FLOORDIV: case OP_MOD: {
            if (y == 0)
                return lang_raise(L, LANG_E_ZERODIV, op == OP_MOD ? "float modulo" : "float floor division by zero");
            /* Python's float_divmod, shared with the array kernels: -9.0 // (1/3) is -28.0 */
            return lv_float(op == OP_MOD ? d_mod(x, y) : d_floordiv(x, y));
        }
        case OP_POW:
            if (x == 0 && y < 0) return lang_raise(L, LANG_E_ZERODIV, "0.0 cannot be raised to a negative power");
            if (x < 0 && y != floor(y) && !isinf(x) && !isinf(y))
                return lang_raise(L, LANG_E_VALUE, "a negative number cannot be raised to a fractional power (the result would be complex)");
            {
                double r = pow(x, y);
                if (isinf(r) && !isinf(x) && !isinf(y))
                    return lang_raise(L, LANG_E_OVERFLOW, "numerical result out of range: %g ** %g", x, y);
                return lv_float(r);
            }
        default: break;
        }
    }
    return lang_raise(L, LANG_E_TYPE, "unsupported operand type(s) for %s: '%s' and '%s'", binop_symbol(op),
                      lv_type_name(a), lv_type_name(b));
}

/* ---- sequences ----------------------------------------------------------------------- */

static lang_value seq_repeat(lang_state *L, lang_value s, int64_t n)
{
    if (n < 0) n = 0;
    if (s.type == LV_STR) {
        size_t len = lv_str_len(s);
        if (len == 0) n = 0;
        if (len && (uint64_t)n > (uint64_t)(SIZE_MAX / 2) / len)
            return lang_raise(L, LANG_E_MEMORY, "cannot allocate a string of %zu × %lld characters", len, (long long)n);
        if (lang_reserve(L, 2 * len * (size_t)n) < 0) return lv_err(); /* the buffer and the string */
        char *buf = malloc(len * (size_t)n + 1);
        if (!buf) return lang_nomem(L);
        for (int64_t i = 0; i < n; i++) memcpy(buf + (size_t)i * len, lv_str_cstr(s), len);
        buf[len * (size_t)n] = 0;
        lang_value r = lv_str_n(buf, len * (size_t)n);
        free(buf);
        return lv_is_err(r) ? lang_nomem(L) : r;
    }
    int64_t m;
    lang_value *items = lv_seq_items(s, &m);
    if (m == 0) n = 0; /* [] * 10**18 is [] at once, not 10**18 empty rounds */
    if (m && (uint64_t)n > (uint64_t)(SIZE_MAX / sizeof(lang_value)) / (uint64_t)m)
        return lang_raise(L, LANG_E_MEMORY, "cannot allocate a sequence of %lld × %lld items", (long long)m, (long long)n);
    if (lang_reserve(L, (size_t)m * (size_t)n * sizeof(lang_value)) < 0) return lv_err();
    size_t total = (size_t)(m * n);
    if (s.type == LV_LIST) {
        lang_value r = lv_list_new(total);
        if (lv_is_err(r)) return lang_nomem(L);
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < m; j++) lv_list_append(r, items[j]);
        return r;
    }
    lang_value r = lv_tuple_new(total);
    if (lv_is_err(r)) return lang_nomem(L);
    size_t k = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < m; j++) lv_tuple_set_take(r, k++, lv_retain(items[j]));
    return r;
}

static lang_value seq_concat(lang_state *L, lang_value a, lang_value b)
{
    if (a.type == LV_STR) {
        size_t la = lv_str_len(a), lb = lv_str_len(b);
        char *buf = malloc(la + lb + 1);
        if (!buf) return lang_nomem(L);
        memcpy(buf, lv_str_cstr(a), la);
        memcpy(buf + la, lv_str_cstr(b), lb);
        lang_value r = lv_str_n(buf, la + lb);
        free(buf);
        return lv_is_err(r) ? lang_nomem(L) : r;
    }
    int64_t na, nb;
    lang_value *ia = lv_seq_items(a, &na), *ib = lv_seq_items(b, &nb);
    if (a.type == LV_LIST) {
        lang_value r = lv_list_new((size_t)(na + nb));
        if (lv_is_err(r)) return lang_nomem(L);
        for (int64_t i = 0; i < na; i++) lv_list_append(r, ia[i]);
        for (int64_t i = 0; i < nb; i++) lv_list_append(r, ib[i]);
        return r;
    }
    lang_value r = lv_tuple_new((size_t)(na + nb));
    if (lv_is_err(r)) return lang_nomem(L);
    for (int64_t i = 0; i < na; i++) lv_tuple_set_take(r, (size_t)i, lv_retain(ia[i]));
    for (int64_t i = 0; i < nb; i++) lv_tuple_set_take(r, (size_t)(na + i), lv_retain(ib[i]));
    return r;
}

/* ---- arrays --------------------------------------------------------------------------- */

static int rt_op_of(binop op, rt_binary_op *out)
{
    switch (op) {
    case OP_ADD: *out = RT_ADD; return 0;
    case OP_SUB: *out = RT_SUB; return 0;
    case OP_MUL: *out = RT_MUL; return 0;
    case OP_DIV: *out = RT_DIV; return 0;
    case OP_FLOORDIV: *out = RT_FLOORDIV; return 0;
    case OP_MOD: *out = RT_MOD; return 0;
    case OP_POW: *out = RT_POW; return 0;
    case OP_BITAND: *out = RT_LOGICAL_AND; return 0;
    case OP_BITOR: *out = RT_LOGICAL_OR; return 0;
    case OP_BITXOR: *out = RT_NE; return 0;
    default: return -1;
    }
}

static int is_arrayish_host(lang_value v)
{
    return v.type == LV_LIST || v.type == LV_TUPLE;
}

/* A Python number as the runtime's weak scalar (its kind decides the
 * result dtype, never its value). */
rt_scalar lang_weak_scalar(lang_value v)
{
    if (v.type == LV_FLOAT) return rt_scalar_float(v.u.f);
    if (v.type == LV_BOOL) return rt_scalar_bool(v.u.b);
    return rt_scalar_int(v.u.i);
}

/* a op b where at least one side is an array */
static lang_value array_binary(lang_state *L, int is_cmp, int rop, binop op_for_msg, lang_value a, lang_value b)
{
    if (L->interrupt) { L->interrupt = 0; return lang_raise(L, LANG_E_INTERRUPT, "interrupted by the user"); }
    rt_binary_op rop2 = (rt_binary_op)rop;
    if ((rop2 == RT_LOGICAL_AND || rop2 == RT_LOGICAL_OR || (rop2 == RT_NE && !is_cmp))) {
        /* & | ^ are logical on bool arrays only */
        rt_array *x = lv_array(a) ? lv_array(a) : lv_array(b);
        lang_value other = lv_array(a) ? b : a;
        int ok = x->dtype == RT_BOOL && (other.type == LV_BOOL || (lv_array(other) && lv_array(other)->dtype == RT_BOOL));
        if (!ok)
            return lang_raise(L, LANG_E_TYPE, "'%s' on arrays needs bool arrays (got %s); compare first, e.g. (a > 0) & (a < 5)",
                              binop_symbol(op_for_msg), rt_dtype_name(x->dtype));
    }
    rt_array *r = NULL;
    if (lv_array(a) && lv_array(b)) {
        r = rt_binary(rop2, a.u.a, b.u.a);
    } else if (lv_array(a) && lv_is_number(b)) {
        r = rt_binary_weak(rop2, a.u.a, lang_weak_scalar(b), 0);
    } else if (lv_array(b) && lv_is_number(a)) {
        r = rt_binary_weak(rop2, b.u.a, lang_weak_scalar(a), 1);
    } else if (lv_array(a) && is_arrayish_host(b)) {
        /* a list is an array of its own dtype (not a weak scalar) */
        rt_array *t = lang_to_array(L, b, -1, "operand");
        if (!t) return lv_err();
        rt_array *t2 = rt_to_device(t, a.u.a->device);
        rt_array_release(t);
        if (!t2) return lang_raise_rt(L);
        r = rt_binary(rop2, a.u.a, t2);
        rt_array_release(t2);
    } else if (lv_array(b) && is_arrayish_host(a)) {
        rt_array *t = lang_to_array(L, a, -1, "operand");
        if (!t) return lv_err();
        rt_array *t2 = rt_to_device(t, b.u.a->device);
        rt_array_release(t);
        if (!t2) return lang_raise_rt(L);
        r = rt_binary(rop2, t2, b.u.a);
        rt_array_release(t2);
    } else {
        if (is_cmp) return lang_raise(L, LANG_E_TYPE, "comparison not supported between '%s' and '%s'", lv_type_name(a), lv_type_name(b));
        return lang_raise(L, LANG_E_TYPE, "unsupported operand type(s) for %s: '%s' and '%s'", binop_symbol(op_for_msg),
                          lv_type_name(a), lv_type_name(b));
    }
    return lang_array_result(L, r);
}

static lang_value matmul(lang_state *L, lang_value a, lang_value b)
{
    rt_array *x = NULL, *y = NULL;
    if (lv_array(a)) x = rt_array_retain(a.u.a);
    else if (is_arrayish_host(a)) x = lang_to_array(L, a, lv_array(b) ? (int)b.u.a->dtype : -1, "operand");
    if (lv_array(b)) y = rt_array_retain(b.u.a);
    else if (is_arrayish_host(b)) y = lang_to_array(L, b, x ? (int)x->dtype : -1, "operand");
    if (!x || !y) {
        rt_array_release(x);
        rt_array_release(y);
        if (L->err_pending) return lv_err();
        return lang_raise(L, LANG_E_TYPE, "unsupported operand type(s) for @: '%s' and '%s'", lv_type_name(a), lv_type_name(b));
    }
    rt_array *r = rt_matmul(x, y);
    rt_array_release(x);
    rt_array_release(y);
    return lang_array_result(L, r);
}

lang_value op_binary(lang_state *L, binop op, lang_value a, lang_value b)
{
    if (lv_is_number(a) && lv_is_number(b)) return num_binary(L, op, a, b);
    if (op == OP_MOD && a.type == LV_STR) return str_percent_format(L, a, b);
    if (a.type == LV_INSTANCE || b.type == LV_INSTANCE) {
        lang_value r = instance_binary(L, op, a, b);
        if (!lv_is_missing(r)) return r;
    }
    if (op == OP_MATMUL) return matmul(L, a, b);
    if (a.type == LV_ARRAY || b.type == LV_ARRAY) {
        rt_binary_op r;
        if (rt_op_of(op, &r) == 0) return array_binary(L, 0, (int)r, op, a, b);
    }
    if (op == OP_ADD && a.type == b.type && (a.type == LV_STR || a.type == LV_LIST || a.type == LV_TUPLE))
        return seq_concat(L, a, b);
    if (op == OP_MUL) {
        if ((a.type == LV_STR || a.type == LV_LIST || a.type == LV_TUPLE) && (b.type == LV_INT || b.type == LV_BOOL))
            return seq_repeat(L, a, as_i64(b));
        if ((b.type == LV_STR || b.type == LV_LIST || b.type == LV_TUPLE) && (a.type == LV_INT || a.type == LV_BOOL))
            return seq_repeat(L, b, as_i64(a));
    }
    if (op == OP_ADD && a.type == LV_STR && lv_is_number(b))
        return lang_raise(L, LANG_E_TYPE, "can only concatenate str (not \"%s\") to str; use str(x) or an f-string", lv_type_name(b));
    if (op == OP_ADD && (a.type == LV_LIST || a.type == LV_TUPLE) && a.type != b.type)
        return lang_raise(L, LANG_E_TYPE, "can only concatenate %s (not \"%s\") to %s", lv_type_name(a), lv_type_name(b), lv_type_name(a));
    return lang_raise(L, LANG_E_TYPE, "unsupported operand type(s) for %s: '%s' and '%s'", binop_symbol(op),
                      lv_type_name(a), lv_type_name(b));
}

lang_value op_unary(lang_state *L, unop op, lang_value a)
{
    switch (a.type) {
    case LV_INSTANCE: return instance_unary(L, op, a);
    case LV_INT: case LV_BOOL: {
        int64_t x = as_i64(a);
        if (op == UOP_NEG) { if (x == INT64_MIN) return lang_raise(L, LANG_E_VALUE, "integer overflow: -(%lld)", (long long)x); return lv_int(-x); }
        if (op == UOP_POS) return lv_int(x);
        return lv_int(~x);
    }
    case LV_FLOAT:
        if (op == UOP_NEG) return lv_float(-a.u.f);
        if (op == UOP_POS) return a;
        break;
    case LV_ARRAY:
        if (op == UOP_NEG) return lang_array_result(L, rt_unary(RT_NEG, a.u.a));
        if (op == UOP_POS) return lv_retain(a);
        if (a.u.a->dtype == RT_BOOL) return lang_array_result(L, rt_unary(RT_LOGICAL_NOT, a.u.a));
        return lang_raise(L, LANG_E_TYPE, "'~' on arrays needs a bool array (got %s)", rt_dtype_name(a.u.a->dtype));
    default: break;
    }
    return lang_raise(L, LANG_E_TYPE, "bad operand type for unary %s: '%s'",
                      op == UOP_NEG ? "-" : op == UOP_POS ? "+" : "~", lv_type_name(a));
}

/* ---- comparison --------------------------------------------------------------------- */

/* -1/0/1 ordering of a and b, or -2 with TypeError raised */
static int order(lang_state *L, lang_value a, lang_value b, const char *opname)
{
    if (lv_is_number(a) && lv_is_number(b)) {
        if (a.type != LV_FLOAT && b.type != LV_FLOAT) {
            int64_t x = as_i64(a), y = as_i64(b);
            return x < y ? -1 : x > y;
        }
        double x = lv_as_double(a), y = lv_as_double(b);
        if (isnan(x) || isnan(y)) return 2; /* unordered: every comparison false */
        return x < y ? -1 : x > y;
    }
    if (a.type == LV_STR && b.type == LV_STR) {
        size_t la = lv_str_len(a), lb = lv_str_len(b);
        int c = memcmp(lv_str_cstr(a), lv_str_cstr(b), la < lb ? la : lb);
        if (c) return c < 0 ? -1 : 1;
        return la < lb ? -1 : la > lb;
    }
    if ((a.type == LV_LIST || a.type == LV_TUPLE) && a.type == b.type) {
        int64_t na, nb;
        lang_value *x = lv_seq_items(a, &na), *y = lv_seq_items(b, &nb);
        static int depth;
        if (depth > 500) {
            lang_fail(L, LANG_E_RECURSION, "maximum recursion depth exceeded in comparison");
            return -2;
        }
        for (int64_t i = 0; i < na && i < nb; i++) {
            if (lv_equal(x[i], y[i])) continue;
            depth++;
            int r = order(L, x[i], y[i], opname);
            depth--;
            return r;
        }
        return na < nb ? -1 : na > nb;
    }
    lang_fail(L, LANG_E_TYPE, "'%s' not supported between instances of '%s' and '%s'", opname, lv_type_name(a), lv_type_name(b));
    return -2;
}

int op_lt(lang_state *L, lang_value a, lang_value b)
{
    if (a.type == LV_INSTANCE || b.type == LV_INSTANCE) {
        lang_value r = op_compare(L, CMP_LT, a, b);
        if (lv_is_err(r)) return -1;
        int t = op_truthy(L, r);
        lv_release(r);
        return t;
    }
    int c = order(L, a, b, "<");
    if (c == -2) return -1;
    return c == -1;
}

static int is_same(lang_value a, lang_value b)
{
    if (a.type != b.type) return 0;
    switch (a.type) {
    case LV_NONE: return 1;
    case LV_BOOL: return a.u.b == b.u.b;
    case LV_INT: return a.u.i == b.u.i;
    case LV_FLOAT: return a.u.f == b.u.f;
    case LV_ARRAY: return a.u.a == b.u.a;
    default: return a.u.o == b.u.o;
    }
}

int op_contains(lang_state *L, lang_value c, lang_value x)
{
    switch (c.type) {
    case LV_LIST: case LV_TUPLE: {
        int64_t n;
        lang_value *items = lv_seq_items(c, &n);
        for (int64_t i = 0; i < n; i++) if (lv_equal(items[i], x)) return 1;
        return 0;
    }
    case LV_STR:
        if (x.type != LV_STR) return lang_fail(L, LANG_E_TYPE, "'in <string>' requires string as left operand, not %s", lv_type_name(x));
        return memmem(lv_str_cstr(c), lv_str_len(c), lv_str_cstr(x), lv_str_len(x)) != NULL || lv_str_len(x) == 0;
    case LV_DICT:
        if (lv_hash(x) < 0) return lang_fail(L, LANG_E_TYPE, "unhashable type: '%s'", lv_type_name(x));
        return !lv_is_missing(lv_dict_get(c, x));
    case LV_RANGE: {
        lv_rangeobj *r = LV_OBJ(c, lv_rangeobj);
        if (!lv_is_number(x)) return 0;
        double d = lv_as_double(x);
        if (d != floor(d)) return 0;
        int64_t v = (int64_t)d;
        if (r->step > 0 ? (v < r->start || v >= r->stop) : (v > r->start || v <= r->stop)) return 0;
        return (v - r->start) % r->step == 0;
    }
    case LV_ARRAY: {
        lang_value eq = op_compare(L, CMP_EQ, c, x);
        if (lv_is_err(eq)) return -1;
        rt_array *m = rt_reduce(RT_MAX, eq.u.a, RT_ALL_AXES, 0);
        lv_release(eq);
        if (!m) { lang_raise_rt(L); return -1; }
        double d = 0;
        rt_status st = m->size ? rt_item(m, 0, &d) : RT_OK;
        rt_array_release(m);
        if (st != RT_OK) { lang_raise_rt(L); return -1; }
        return d != 0;
    }
    case LV_INSTANCE: return instance_contains(L, c, x);
    case LV_ITER: {
        lang_value lst = iter_to_list(L, c);
        if (lv_is_err(lst)) return -1;
        int r = op_contains(L, lst, x);
        lv_release(lst);
        return r;
    }
    default:
        return lang_fail(L, LANG_E_TYPE, "argument of type '%s' is not iterable", lv_type_name(c));
    }
}

lang_value op_compare(lang_state *L, cmpop op, lang_value a, lang_value b)
{
    static const char *const names[] = { "==", "!=", "<", "<=", ">", ">=" };
    switch (op) {
    case CMP_IN: case CMP_NOT_IN: {
        int r = op_contains(L, b, a);
        if (r < 0) return lv_err();
        return lv_bool(op == CMP_IN ? r : !r);
    }
    case CMP_IS: return lv_bool(is_same(a, b));
    case CMP_IS_NOT: return lv_bool(!is_same(a, b));
    default: break;
    }
    if (a.type == LV_ARRAY || b.type == LV_ARRAY) {
        static const rt_binary_op map[] = { RT_EQ, RT_NE, RT_LT, RT_LE, RT_GT, RT_GE };
        if ((lv_array(a) || lv_is_number(a) || is_arrayish_host(a)) && (lv_array(b) || lv_is_number(b) || is_arrayish_host(b)))
            return array_binary(L, 1, (int)map[op], OP_ADD, a, b);
        if (op == CMP_EQ) return lv_bool(0);
        if (op == CMP_NE) return lv_bool(1);
    }
    if (a.type == LV_INSTANCE || b.type == LV_INSTANCE) {
        lang_value r = op == CMP_EQ || op == CMP_NE ? lv_missing() : instance_compare(L, op, a, b);
        if (!lv_is_missing(r)) return r;
        if (op == CMP_NE) {
            /* __ne__ if defined, else the negation of __eq__ */
            r = instance_compare(L, op, a, b);
            if (!lv_is_missing(r)) return r;
        }
        int eq = op == CMP_EQ || op == CMP_NE ? instance_eq(L, a, b) : -2;
        if (eq == -1) return lv_err();
        if (eq >= 0) return lv_bool(op == CMP_EQ ? eq : !eq);
    }
    if (op == CMP_EQ) return lv_bool(lv_equal(a, b));
    if (op == CMP_NE) return lv_bool(!lv_equal(a, b));
    int c = order(L, a, b, names[op]);
    if (c == -2) return lv_err();
    if (c == 2) return lv_bool(0);
    switch (op) {
    case CMP_LT: return lv_bool(c < 0);
    case CMP_LE: return lv_bool(c <= 0);
    case CMP_GT: return lv_bool(c > 0);
    default: return lv_bool(c >= 0);
    }
}

int op_truthy(lang_state *L, lang_value v)
{
    if (v.type == LV_BOOL) return v.u.b;
    if (v.type == LV_INSTANCE) return instance_truthy(L, v);
    if (v.type == LV_ARRAY) {
        rt_array *a = v.u.a;
        if (a->size != 1)
            return lang_fail(L, LANG_E_VALUE, "The truth value of an array with %s element%s is ambiguous. Use a.any() or a.all()",
                             a->size == 0 ? "no" : "more than one", a->size == 0 ? "s" : "");
        double d;
        if (rt_item(a, 0, &d) != RT_OK) { lang_raise_rt(L); return -1; }
        return d != 0;
    }
    if (v.type == LV_OBJECT) {
        const lang_class *c = lv_object_class(v);
        if (c->len) {
            int64_t n = c->len(L, v);
            if (n < 0) return -1;
            return n != 0;
        }
    }
    return lv_truthy(v);
}

/* ---- slices ------------------------------------------------------------------------------ */

/* Python's slice.indices(len): start, step and count of a slice. */
/* Python's slice.indices(len): start, stop and step clamped to len, and
 * the number of items. */
static int slice_bounds(lang_state *L, const index_item *it, int64_t len, int64_t *start, int64_t *stop, int64_t *step,
                        int64_t *count)
{
    int64_t lo, hi, st = 1;
    if (!lv_is_missing(it->step) && !lv_is_none(it->step)) {
        if (lang_get_int(L, it->step, "slice step", &st) < 0) return -1;
        if (st == 0) return lang_fail(L, LANG_E_VALUE, "slice step cannot be zero");
    }
    int has_lo = !lv_is_missing(it->lo) && !lv_is_none(it->lo);
    int has_hi = !lv_is_missing(it->hi) && !lv_is_none(it->hi);
    if (has_lo && lang_get_int(L, it->lo, "slice start", &lo) < 0) return -1;
    if (has_hi && lang_get_int(L, it->hi, "slice stop", &hi) < 0) return -1;
    if (st > 0) {
        if (!has_lo) lo = 0;
        else { if (lo < 0) lo += len; if (lo < 0) lo = 0; if (lo > len) lo = len; }
        if (!has_hi) hi = len;
        else { if (hi < 0) hi += len; if (hi < 0) hi = 0; if (hi > len) hi = len; }
        *count = hi > lo ? (hi - lo + st - 1) / st : 0;
    } else {
        if (!has_lo) lo = len - 1;
        else { if (lo < 0) lo += len; if (lo < 0) lo = -1; if (lo > len - 1) lo = len - 1; }
        if (!has_hi) hi = -1;
        else { if (hi < 0) hi += len; if (hi < 0) hi = -1; if (hi > len - 1) hi = len - 1; }
        *count = lo > hi ? (lo - hi - st - 1) / (-st) : 0;
    }
    *start = lo;
    *stop = hi;
    *step = st;
    return 0;
}

static int slice_indices(lang_state *L, const index_item *it, int64_t len, int64_t *start, int64_t *step, int64_t *count)
{
    int64_t stop;
    return slice_bounds(L, it, len, start, &stop, step, count);
}

/* byte offset of code point i in a UTF-8 string */
static size_t cp_offset(const char *s, size_t len, int64_t i)
{
    size_t o = 0;
    for (int64_t k = 0; k < i && o < len; k++) {
        o++;
        while (o < len && ((unsigned char)s[o] & 0xC0) == 0x80) o++;
    }
    return o;
}

static int norm_index(lang_state *L, lang_value v, int64_t len, const char *what, int64_t *out)
{
    int64_t i;
    if (v.type != LV_INT && v.type != LV_BOOL)
        return lang_fail(L, LANG_E_TYPE, "%s indices must be integers or slices, not %s", what, lv_type_name(v));
    i = as_i64(v);
    if (i < 0) i += len;
    if (i < 0 || i >= len) return lang_fail(L, LANG_E_INDEX, "%s index out of range", what);
    *out = i;
    return 0;
}

static lang_value str_getitem(lang_state *L, lang_value s, const index_item *it)
{
    const char *p = lv_str_cstr(s);
    size_t len = lv_str_len(s);
    int64_t ncp = lv_str_ncp(s);
    int ascii = ncp == (int64_t)len;
    if (!it->is_slice) {
        int64_t i;
        if (norm_index(L, it->v, ncp, "string", &i) < 0) return lv_err();
        size_t o = ascii ? (size_t)i : cp_offset(p, len, i);
        size_t e = o + 1;
        while (e < len && ((unsigned char)p[e] & 0xC0) == 0x80) e++;
        return lv_str_n(p + o, e - o);
    }
    int64_t start, step, count;
    if (slice_indices(L, it, ncp, &start, &step, &count) < 0) return lv_err();
    fmtbuf b;
    fmtbuf_init(&b);
    if (ascii) {
        for (int64_t k = 0, i = start; k < count; k++, i += step) fmtbuf_putc(&b, p[i]);
    } else {
        for (int64_t k = 0, i = start; k < count; k++, i += step) {
            size_t o = cp_offset(p, len, i), e = o + 1;
            while (e < len && ((unsigned char)p[e] & 0xC0) == 0x80) e++;
            fmtbuf_putn(&b, p + o, e - o);
        }
    }
    size_t n = b.len;
    char *t = fmtbuf_take(&b);
    if (!t) return count ? lang_nomem(L) : lv_str("");
    lang_value r = lv_str_n(t, n);
    free(t);
    return r;
}

static lang_value seq_getitem(lang_state *L, lang_value s, const index_item *it)
{
    int64_t n;
    lang_value *items = lv_seq_items(s, &n);
    const char *what = s.type == LV_LIST ? "list" : "tuple";
    if (!it->is_slice) {
        int64_t i;
        if (norm_index(L, it->v, n, what, &i) < 0) return lv_err();
        return lv_retain(items[i]);
    }
    int64_t start, step, count;
    if (slice_indices(L, it, n, &start, &step, &count) < 0) return lv_err();
    if (s.type == LV_LIST) {
        lang_value r = lv_list_new((size_t)count);
        if (lv_is_err(r)) return lang_nomem(L);
        for (int64_t k = 0, i = start; k < count; k++, i += step) lv_list_append(r, items[i]);
        return r;
    }
    lang_value r = lv_tuple_new((size_t)count);
    if (lv_is_err(r)) return lang_nomem(L);
    for (int64_t k = 0, i = start; k < count; k++, i += step) lv_tuple_set_take(r, (size_t)k, lv_retain(items[i]));
    return r;
}

static lang_value range_getitem(lang_state *L, lang_value rv, const index_item *it)
{
    lv_rangeobj *r = LV_OBJ(rv, lv_rangeobj);
    int64_t n = r->step > 0 ? (r->stop > r->start ? (r->stop - r->start + r->step - 1) / r->step : 0)
                            : (r->start > r->stop ? (r->start - r->stop - r->step - 1) / (-r->step) : 0);
    if (!it->is_slice) {
        int64_t i;
        if (norm_index(L, it->v, n, "range object", &i) < 0) return lv_err();
        return lv_int(r->start + i * r->step);
    }
    /* a slice of a range is a range, as in Python: range(10)[2:5] == range(2, 5) */
    int64_t start, stop, step, count;
    if (slice_bounds(L, it, n, &start, &stop, &step, &count) < 0) return lv_err();
    lv_rangeobj *s = lv_alloc_obj(LV_RANGE, sizeof *s);
    if (!s) return lang_nomem(L);
    s->start = r->start + start * r->step;
    s->stop = r->start + stop * r->step;
    s->step = r->step * step;
    return lv_from_obj(s);
}

/* ---- array indexing ---------------------------------------------------------------------- */

/* Builds the rt_index list for an array from index items; values that are
 * tuples are flattened. Returns the count, or -1. *fancy receives an index
 * array / list when the index is a single integer or bool array. */
static int array_index_spec(lang_state *L, const index_item *items, int n, rt_index *out, int cap, lang_value *fancy)
{
    int k = 0;
    *fancy = lv_missing();
    for (int i = 0; i < n; i++) {
        const index_item *it = &items[i];
        if (k >= cap) return lang_fail(L, LANG_E_INDEX, "too many indices for array");
        rt_index *x = &out[k];
        memset(x, 0, sizeof *x);
        if (it->is_slice) {
            x->kind = RT_IDX_SLICE;
            x->step = 1;
            if (!lv_is_missing(it->step) && !lv_is_none(it->step) && lang_get_int(L, it->step, "slice step", &x->step) < 0) return -1;
            if (x->step == 0) return lang_fail(L, LANG_E_VALUE, "slice step cannot be zero");
            if (!lv_is_missing(it->lo) && !lv_is_none(it->lo)) {
                if (lang_get_int(L, it->lo, "slice start", &x->start) < 0) return -1;
                x->has_start = 1;
            }
            if (!lv_is_missing(it->hi) && !lv_is_none(it->hi)) {
                if (lang_get_int(L, it->hi, "slice stop", &x->stop) < 0) return -1;
                x->has_stop = 1;
            }
            k++;
            continue;
        }
        lang_value v = it->v;
        if (v.type == LV_INT || v.type == LV_BOOL) { x->kind = RT_IDX_INT; x->index = as_i64(v); k++; continue; }
        if (v.type == LV_NONE) { x->kind = RT_IDX_NEWAXIS; k++; continue; }
        if (v.type == LV_TUPLE && n == 1) {
            int64_t m;
            lang_value *t = lv_seq_items(v, &m);
            index_item sub[RT_MAX_DIMS * 2];
            if (m > (int64_t)(sizeof sub / sizeof sub[0])) return lang_fail(L, LANG_E_INDEX, "too many indices for array");
            for (int64_t j = 0; j < m; j++) {
                memset(&sub[j], 0, sizeof sub[j]);
                sub[j].v = t[j];
                sub[j].lo = sub[j].hi = sub[j].step = lv_missing();
            }
            return array_index_spec(L, sub, (int)m, out, cap, fancy);
        }
        if ((v.type == LV_ARRAY || v.type == LV_LIST) && n == 1) { *fancy = v; return 0; }
        if (v.type == LV_FLOAT)
            return lang_fail(L, LANG_E_INDEX, "only integers, slices (':'), None and integer or boolean arrays are valid indices (got float %g)", v.u.f);
        return lang_fail(L, LANG_E_INDEX, "only integers, slices (':'), None and integer or boolean arrays are valid indices (got %s)",
                         lv_type_name(v));
    }
    return k;
}

/* Integer positions (int32 array) selected by a bool mask or an int index
 * array/list, for rt_gather along axis 0 of a (or of a flattened a). */
static rt_array *fancy_indices(lang_state *L, rt_array *a, lang_value f, int *flatten)
{
    *flatten = 0;
    rt_array *idx = lang_to_array(L, f, -1, "index");
    if (!idx) return NULL;
    if (idx->dtype == RT_BOOL) {
        /* mask: same shape as a (flattened selection) or as a's first axis */
        int same = idx->ndim == a->ndim;
        for (int i = 0; same && i < a->ndim; i++) same = idx->shape[i] == a->shape[i];
        int first = idx->ndim == 1 && a->ndim >= 1 && idx->shape[0] == a->shape[0];
        if (!same && !first) {
            char s1[64], s2[64];
            rt_format_shape(idx->shape, idx->ndim, s1, sizeof s1);
            rt_format_shape(a->shape, a->ndim, s2, sizeof s2);
            rt_array_release(idx);
            lang_raise(L, LANG_E_INDEX, "boolean index of shape %s does not match the array's shape %s", s1, s2);
            return NULL;
        }
        *flatten = same && a->ndim > 1;
        unsigned char *m = malloc((size_t)idx->size + 1);
        int32_t *pos = malloc(((size_t)idx->size + 1) * sizeof *pos);
        if (!m || !pos) { free(m); free(pos); rt_array_release(idx); lang_nomem(L); return NULL; }
        if (rt_to_host(idx, RT_BOOL, m) != RT_OK) { free(m); free(pos); rt_array_release(idx); lang_raise_rt(L); return NULL; }
        int64_t cnt = 0;
        for (int64_t i = 0; i < idx->size; i++) if (m[i]) pos[cnt++] = (int32_t)i;
        int64_t shp[1] = { cnt };
        rt_array *r = rt_from_host(pos, RT_INT32, shp, 1, RT_INT32, a->device);
        free(m);
        free(pos);
        rt_array_release(idx);
        if (!r) lang_raise_rt(L);
        return r;
    }
    if (idx->dtype == RT_INT64 || idx->dtype == RT_UINT8) { /* gathers take int32 positions */
        rt_array *t = rt_cast(idx, RT_INT32);
        rt_array_release(idx);
        if (!t) { lang_raise_rt(L); return NULL; }
        idx = t;
    }
    if (idx->dtype != RT_INT32) {
        rt_array_release(idx);
        lang_raise(L, LANG_E_INDEX, "arrays used as indices must be of integer or boolean type");
        return NULL;
    }
    if (idx->device != a->device) {
        rt_array *t = rt_to_device(idx, a->device);
        rt_array_release(idx);
        if (!t) lang_raise_rt(L);
        return t;
    }
    return idx;
}

static lang_value array_getitem(lang_state *L, rt_array *a, const index_item *items, int n)
{
    rt_index spec[RT_MAX_DIMS * 2];
    lang_value fancy;
    int k = array_index_spec(L, items, n, spec, RT_MAX_DIMS * 2, &fancy);
    if (k < 0) return lv_err();
    if (!lv_is_missing(fancy)) {
        int flatten;
        rt_array *idx = fancy_indices(L, a, fancy, &flatten);
        if (!idx) return lv_err();
        rt_array *src = flatten ? rt_reshape(a, (int64_t[]){ -1 }, 1) : rt_array_retain(a);
        rt_array *r = src ? rt_gather(src, idx, 0) : NULL;
        rt_array_release(src);
        rt_array_release(idx);
        return lang_array_result(L, r);
    }
    rt_array *v = rt_index_view(a, spec, k);
    if (!v) return lang_raise_rt(L);
    if (v->ndim == 0) {
        lang_value r = lang_array_item(L, v, 0);
        rt_array_release(v);
        return r;
    }
    return lv_array_take(v);
}

lang_value array_index0(lang_state *L, rt_array *a, int64_t i)
{
    if (a->ndim == 0) return lang_raise(L, LANG_E_TYPE, "iteration over a 0-d array");
    if (a->ndim == 1) {
        if (i < 0) i += a->shape[0];
        if (i < 0 || i >= a->shape[0])
            return lang_raise(L, LANG_E_INDEX, "index %lld is out of bounds for axis 0 with size %lld", (long long)i, (long long)a->shape[0]);
        return lang_array_item(L, a, i * 1);
    }
    rt_index x;
    memset(&x, 0, sizeof x);
    x.kind = RT_IDX_INT;
    x.index = i;
    rt_array *v = rt_index_view(a, &x, 1);
    return v ? lv_array_take(v) : lang_raise_rt(L);
}

static int array_setitem(lang_state *L, rt_array *a, const index_item *items, int n, lang_value v)
{
    rt_index spec[RT_MAX_DIMS * 2];
    lang_value fancy;
    int k = array_index_spec(L, items, n, spec, RT_MAX_DIMS * 2, &fancy);
    if (k < 0) return -1;
    if (!lv_is_missing(fancy)) {
        /* a[mask] = v: a = where(mask, v, a), written in place */
        rt_array *mask = lang_to_array(L, fancy, -1, "index");
        if (!mask) return -1;
        if (mask->dtype != RT_BOOL) {
            rt_array_release(mask);
            return lang_fail(L, LANG_E_INDEX, "assignment through an integer index array is not supported; use a boolean mask or slices");
        }
        rt_array *val = lang_to_array(L, v, a->dtype, "value");
        if (!val) { rt_array_release(mask); return -1; }
        rt_array *m2 = mask;
        if (mask->ndim == 1 && a->ndim > 1 && mask->shape[0] == a->shape[0]) {
            int64_t shp[RT_MAX_DIMS];
            shp[0] = mask->shape[0];
            for (int i = 1; i < a->ndim; i++) shp[i] = 1;
            m2 = rt_reshape(mask, shp, a->ndim);
            rt_array_release(mask);
            if (!m2) { rt_array_release(val); lang_raise_rt(L); return -1; }
        }
        rt_array *w = rt_where(m2, val, a);
        rt_array_release(m2);
        rt_array_release(val);
        if (!w) { lang_raise_rt(L); return -1; }
        rt_status st = rt_assign(a, w);
        rt_array_release(w);
        if (st != RT_OK) { lang_raise_rt(L); return -1; }
        return 0;
    }
    rt_array *view = rt_index_view(a, spec, k);
    if (!view) { lang_raise_rt(L); return -1; }
    rt_status st;
    if (lv_is_number(v)) st = rt_assign_weak(view, lang_weak_scalar(v));
    else {
        rt_array *val = lang_to_array(L, v, a->dtype, "value");
        if (!val) { rt_array_release(view); return -1; }
        st = rt_assign(view, val);
        rt_array_release(val);
    }
    rt_array_release(view);
    if (st != RT_OK) { lang_raise_rt(L); return -1; }
    return 0;
}

/* ---- getitem / setitem / delitem ------------------------------------------------------------ */

static lang_value tuple_key(lang_state *L, const index_item *items, int n)
{
    lang_value t = lv_tuple_new((size_t)n);
    if (lv_is_err(t)) return lang_nomem(L);
    for (int i = 0; i < n; i++) {
        if (items[i].is_slice) { lv_release(t); return lang_raise(L, LANG_E_TYPE, "unhashable type: 'slice'"); }
        lv_tuple_set_take(t, (size_t)i, lv_retain(items[i].v));
    }
    return t;
}

static lang_value key_error(lang_state *L, lang_value key)
{
    return lang_raise_key(L, key);
}

lang_value op_getitem(lang_state *L, lang_value obj, const index_item *items, int n, int tuple_form)
{
    if (obj.type == LV_ARRAY) return array_getitem(L, obj.u.a, items, n);
    if (obj.type == LV_DICT) {
        lang_value key = tuple_form ? tuple_key(L, items, n) : lv_retain(items[0].v);
        if (lv_is_err(key)) return key;
        if (!tuple_form && items[0].is_slice) { lv_release(key); return lang_raise(L, LANG_E_TYPE, "unhashable type: 'slice'"); }
        if (lv_hash(key) < 0) {
            lang_raise(L, LANG_E_TYPE, "unhashable type: '%s'", lv_type_name(key));
            lv_release(key);
            return lv_err();
        }
        lang_value v = lv_dict_get(obj, key);
        if (lv_is_missing(v)) { key_error(L, key); lv_release(key); return lv_err(); }
        lv_release(key);
        return lv_retain(v);
    }
    if (obj.type == LV_INSTANCE) {
        if (!tuple_form && items[0].is_slice)
            return lang_raise(L, LANG_E_TYPE, "'%s' object: slicing an instance is not supported in C-GPU (it has no slice objects); index it with keys or integers",
                              lv_type_name(obj));
        lang_value key = tuple_form ? tuple_key(L, items, n) : lv_retain(items[0].v);
        if (lv_is_err(key)) return key;
        lang_value r = instance_getitem(L, obj, key);
        lv_release(key);
        return r;
    }
    if (obj.type == LV_OBJECT) {
        const lang_class *c = lv_object_class(obj);
        if (c->getitem) {
            lang_value key = tuple_form ? tuple_key(L, items, n) : lv_retain(items[0].v);
            if (lv_is_err(key)) return key;
            lang_value r = c->getitem(L, obj, key);
            lv_release(key);
            if (r.type == LV_ERR && !L->err_pending) lang_raise(L, LANG_E_INDEX, "indexing %s failed", c->name);
            return r;
        }
        return lang_raise(L, LANG_E_TYPE, "'%s' object is not subscriptable", c->name);
    }
    if (obj.type != LV_STR && obj.type != LV_LIST && obj.type != LV_TUPLE && obj.type != LV_RANGE)
        return lang_raise(L, LANG_E_TYPE, "'%s' object is not subscriptable", lv_type_name(obj));
    if (tuple_form || n != 1)
        return lang_raise(L, LANG_E_TYPE, "%s indices must be integers or slices, not tuple", lv_type_name(obj));
    if (obj.type == LV_STR) return str_getitem(L, obj, &items[0]);
    if (obj.type == LV_RANGE) return range_getitem(L, obj, &items[0]);
    return seq_getitem(L, obj, &items[0]);
}

static int list_setslice(lang_state *L, lang_value list, const index_item *it, lang_value v)
{
    lv_listobj *l = LV_OBJ(list, lv_listobj);
    int64_t start, step, count;
    if (slice_indices(L, it, (int64_t)l->n, &start, &step, &count) < 0) return -1;
    lang_value src = iter_to_list(L, v);
    if (lv_is_err(src)) return -1;
    size_t m = lv_list_len(src);
    lang_value *items = lv_list_items(src);
    if (step != 1) {
        if ((int64_t)m != count) {
            lv_release(src);
            return lang_fail(L, LANG_E_VALUE, "attempt to assign sequence of size %zu to extended slice of size %lld", m, (long long)count);
        }
        for (int64_t k = 0, i = start; k < count; k++, i += step) {
            lang_value old = l->items[i];
            l->items[i] = lv_retain(items[k]);
            lv_release(old);
        }
        lv_release(src);
        return 0;
    }
    /* replace l[start:start+count] by src */
    size_t newn = l->n - (size_t)count + m;
    if (newn > l->cap) {
        lang_value *ni = realloc(l->items, newn * sizeof *ni);
        if (!ni) { lv_release(src); lang_nomem(L); return -1; }
        l->items = ni;
        l->cap = newn;
    }
    for (int64_t k = 0; k < count; k++) lv_release(l->items[start + k]);
    memmove(l->items + start + m, l->items + start + count, (l->n - (size_t)start - (size_t)count) * sizeof(lang_value));
    for (size_t k = 0; k < m; k++) l->items[start + (int64_t)k] = lv_retain(items[k]);
    l->n = newn;
    lv_release(src);
    return 0;
}

int op_setitem(lang_state *L, lang_value obj, const index_item *items, int n, int tuple_form, lang_value v)
{
    if (obj.type == LV_INSTANCE) {
        if (!tuple_form && items[0].is_slice)
            return lang_fail(L, LANG_E_TYPE, "'%s' object: slice assignment to an instance is not supported in C-GPU (it has no slice objects)",
                             lv_type_name(obj));
        lang_value key = tuple_form ? tuple_key(L, items, n) : lv_retain(items[0].v);
        if (lv_is_err(key)) return -1;
        int r = instance_setitem(L, obj, key, v);
        lv_release(key);
        return r;
    }
    switch (obj.type) {
    case LV_ARRAY: return array_setitem(L, obj.u.a, items, n, v);
    case LV_DICT: {
        lang_value key = tuple_form ? tuple_key(L, items, n) : lv_retain(items[0].v);
        if (lv_is_err(key)) return -1;
        if (!tuple_form && items[0].is_slice) { lv_release(key); return lang_fail(L, LANG_E_TYPE, "unhashable type: 'slice'"); }
        int r = lv_dict_set(obj, key, v);
        if (r == -2) lang_raise(L, LANG_E_TYPE, "unhashable type: '%s'", lv_type_name(key));
        else if (r < 0) lang_nomem(L);
        lv_release(key);
        return r < 0 ? -1 : 0;
    }
    case LV_LIST: {
        if (tuple_form || n != 1) return lang_fail(L, LANG_E_TYPE, "list indices must be integers or slices, not tuple");
        if (items[0].is_slice) return list_setslice(L, obj, &items[0], v);
        lv_listobj *l = LV_OBJ(obj, lv_listobj);
        int64_t i;
        if (norm_index(L, items[0].v, (int64_t)l->n, "list assignment", &i) < 0) return -1;
        lang_value old = l->items[i];
        l->items[i] = lv_retain(v);
        lv_release(old);
        return 0;
    }
    default:
        return lang_fail(L, LANG_E_TYPE, "'%s' object does not support item assignment", lv_type_name(obj));
    }
}

int op_delitem(lang_state *L, lang_value obj, const index_item *items, int n, int tuple_form)
{
    if (obj.type == LV_DICT) {
        lang_value key = tuple_form ? tuple_key(L, items, n) : lv_retain(items[0].v);
        if (lv_is_err(key)) return -1;
        lang_value old = lv_dict_pop(obj, key);
        if (lv_is_missing(old)) { key_error(L, key); lv_release(key); return -1; }
        lv_release(old);
        lv_release(key);
        return 0;
    }
    if (obj.type == LV_LIST && !tuple_form && n == 1) {
        lv_listobj *l = LV_OBJ(obj, lv_listobj);
        if (!items[0].is_slice) {
            int64_t i;
            if (norm_index(L, items[0].v, (int64_t)l->n, "list assignment", &i) < 0) return -1;
            lv_release(l->items[i]);
            memmove(l->items + i, l->items + i + 1, (l->n - (size_t)i - 1) * sizeof(lang_value));
            l->n--;
            return 0;
        }
        int64_t start, step, count;
        if (slice_indices(L, &items[0], (int64_t)l->n, &start, &step, &count) < 0) return -1;
        if (step < 0) { start = start + (count - 1) * step; step = -step; }
        /* mark and compact */
        size_t w = 0;
        for (size_t i = 0; i < l->n; i++) {
            int del = (int64_t)i >= start && ((int64_t)i - start) % step == 0 && ((int64_t)i - start) / step < count;
            if (del) lv_release(l->items[i]);
            else l->items[w++] = l->items[i];
        }
        l->n = w;
        return 0;
    }
    return lang_fail(L, LANG_E_TYPE, "'%s' object does not support item deletion", lv_type_name(obj));
}

/* ---- attributes --------------------------------------------------------------------------------- */

static const lang_method *find_in(const lang_method *m, const char *name)
{
    for (; m && m->name; m++) if (m->name[0] == name[0] && strcmp(m->name, name) == 0) return m;
    return NULL;
}

static const lang_type_methods *type_of(lang_state *L, lang_value obj)
{
    return obj.type < LV_TYPE_COUNT ? L->types[obj.type] : NULL;
}

const lang_method *op_methods_of(lang_state *L, lang_value obj)
{
    if (obj.type == LV_OBJECT) return lv_object_class(obj)->methods;
    const lang_type_methods *t = type_of(L, obj);
    return t ? t->methods : NULL;
}

const char *const *op_attrs_of(lang_state *L, lang_value obj)
{
    if (obj.type == LV_OBJECT) return lv_object_class(obj)->attrs;
    const lang_type_methods *t = type_of(L, obj);
    return t ? t->attrs : NULL;
}

const lang_method *op_find_method(lang_state *L, lang_value obj, const char *name)
{
    return find_in(op_methods_of(L, obj), name);
}

lang_value bound_method(lang_state *L, const lang_method *m, lang_value self)
{
    lv_builtinobj *b = lv_alloc_obj(LV_BUILTIN, sizeof *b);
    if (!b) return lang_nomem(L);
    b->name = m->name;
    b->fn = m->fn;
    b->doc = m->doc;
    b->self = lv_retain(self);
    b->type_tag = -1;
    return lv_from_obj(b);
}

static lang_value no_attr(lang_state *L, lang_value obj, const char *name)
{
    if (obj.type == LV_OBJECT && strcmp(lv_object_class(obj)->name, "module") != 0)
        return lang_raise(L, LANG_E_ATTRIBUTE, "'%s' object has no attribute '%s'", lv_type_name(obj), name);
    if (obj.type == LV_OBJECT)
        return lang_raise(L, LANG_E_ATTRIBUTE, "module has no attribute '%s'", name);
    return lang_raise(L, LANG_E_ATTRIBUTE, "'%s' object has no attribute '%s'", lv_type_name(obj), name);
}

lang_value op_getattr(lang_state *L, lang_value obj, const char *name)
{
    if (obj.type == LV_INSTANCE || obj.type == LV_CLASS) return class_getattr(L, obj, name);
    const lang_method *m = op_find_method(L, obj, name);
    if (m) return bound_method(L, m, obj);
    const lang_type_methods *t = type_of(L, obj);
    if (t && t->getattr) {
        lang_value r = t->getattr(L, obj, name);
        if (lv_is_missing(r)) return no_attr(L, obj, name);
        return r;
    }
    switch (obj.type) {
    case LV_OBJECT: {
        const lang_class *c = lv_object_class(obj);
        if (c->getattr) {
            lang_value r = c->getattr(L, obj, name);
            if (r.type == LV_ERR && !L->err_pending) lang_raise(L, LANG_E_ATTRIBUTE, "reading %s.%s failed", c->name, name);
            if (!lv_is_missing(r)) return r;
        }
        return no_attr(L, obj, name);
    }
    case LV_FUNCTION: {
        lv_funcobj *f = LV_OBJ(obj, lv_funcobj);
        if (strcmp(name, "__name__") == 0) return lv_str(f->def->name);
        if (strcmp(name, "__doc__") == 0) return f->def->doc ? lv_str(f->def->doc) : lv_none();
        break;
    }
    case LV_BUILTIN: {
        lv_builtinobj *b = LV_OBJ(obj, lv_builtinobj);
        if (strcmp(name, "__name__") == 0) return lv_str(b->name);
        if (strcmp(name, "__doc__") == 0) return b->doc ? lv_str(b->doc) : lv_none();
        break;
    }
    default: break;
    }
    return no_attr(L, obj, name);
}

int op_setattr(lang_state *L, lang_value obj, const char *name, lang_value v)
{
    if (obj.type == LV_INSTANCE || obj.type == LV_CLASS) return class_setattr(L, obj, name, v);
    if (obj.type == LV_OBJECT) {
        const lang_class *c = lv_object_class(obj);
        if (c->setattr) {
            int r = c->setattr(L, obj, name, v);
            if (r < 0 && !L->err_pending) lang_raise(L, LANG_E_ATTRIBUTE, "setting %s.%s failed", c->name, name);
            return r < 0 ? -1 : 0;
        }
        return lang_fail(L, LANG_E_ATTRIBUTE, "'%s' object attribute '%s' is read-only", c->name, name);
    }
    if (obj.type == LV_ARRAY)
        return lang_fail(L, LANG_E_ATTRIBUTE, "array attribute '%s' is read-only (use reshape(), astype() or to() for a new array)", name);
    return lang_fail(L, LANG_E_ATTRIBUTE, "'%s' object has no attribute '%s'", lv_type_name(obj), name);
}
