/* builtins_pymath.c — Python's math and random modules on host numbers.
 * random draws from the runtime's generator, so one seed (random.seed,
 * np.random.seed, tf.random.set_seed) reproduces host and device draws.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "interp.h"
#include "modules.h"

/* ---- math ------------------------------------------------------------------------------------------ */

static int math_arg(lang_state *L, lang_value v, double *x)
{
    if (!lv_is_number(v)) return lang_fail(L, LANG_E_TYPE, "must be real number, not %s", lv_type_name(v));
    *x = lv_as_double(v);
    return 0;
}

lang_value math_unary(lang_state *L, const lang_args *a)
{
    const char *f = a->fname;
    int is_log = strcmp(f, "log") == 0;
    lang_value v[2];
    double x, r;
    if (lang_args_bind(L, a, is_log ? "x, base=" : "x", v) < 0 || math_arg(L, v[0], &x) < 0) return lv_err();
    int domain = (!strcmp(f, "sqrt") && x < 0) || ((is_log || !strcmp(f, "log10") || !strcmp(f, "log2")) && x <= 0) ||
                 ((!strcmp(f, "asin") || !strcmp(f, "acos")) && fabs(x) > 1);
    if (domain) return lang_raise(L, LANG_E_VALUE, "math domain error");
    if (!strcmp(f, "floor") || !strcmp(f, "ceil") || !strcmp(f, "trunc")) {
        if (v[0].type == LV_INT || v[0].type == LV_BOOL) return lv_int(v[0].type == LV_INT ? v[0].u.i : v[0].u.b);
        if (!isfinite(x)) return lang_raise(L, LANG_E_VALUE, "cannot convert float %s to integer", isnan(x) ? "NaN" : "infinity");
        r = !strcmp(f, "floor") ? floor(x) : !strcmp(f, "ceil") ? ceil(x) : trunc(x);
        return lv_int((int64_t)r);
    }
    if (is_log) {
        r = log(x);
        if (!lv_is_missing(v[1])) {
            double b;
            if (math_arg(L, v[1], &b) < 0) return lv_err();
            if (b <= 0 || b == 1) return lang_raise(L, b == 1 ? LANG_E_ZERODIV : LANG_E_VALUE, "math domain error");
            r /= log(b);
        }
        return lv_float(r);
    }
    static const struct { const char *name; double (*fn)(double); } fns[] = {
        {"sqrt", sqrt}, {"exp", exp}, {"log10", log10}, {"log2", log2}, {"sin", sin}, {"cos", cos},
        {"tan", tan}, {"asin", asin}, {"acos", acos}, {"atan", atan}, {"tanh", tanh}, {"fabs", fabs},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (!strcmp(fns[i].name, f)) {
            r = fns[i].fn(x);
            if (isinf(r) && isfinite(x)) return lang_raise(L, LANG_E_VALUE, "math range error");
            return lv_float(r);
        }
    if (!strcmp(f, "degrees")) return lv_float(x * (180.0 / M_PI));
    if (!strcmp(f, "radians")) return lv_float(x * (M_PI / 180.0));
    return lang_raise(L, LANG_E_VALUE, "math.%s is not known", f);
}

lang_value math_binary(lang_state *L, const lang_args *a)
{
    const char *f = a->fname;
    lang_value v[2];
    double x, y;
    if (lang_args_bind(L, a, "x, y", v) < 0 || math_arg(L, v[0], &x) < 0 || math_arg(L, v[1], &y) < 0) return lv_err();
    if (!strcmp(f, "pow")) {
        if (x == 0 && y < 0) return lang_raise(L, LANG_E_VALUE, "math domain error");
        return lv_float(pow(x, y));
    }
    if (!strcmp(f, "atan2")) return lv_float(atan2(x, y));
    return lv_float(hypot(x, y));
}

lang_value math_test(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    double x;
    if (lang_args_bind(L, a, "x", v) < 0 || math_arg(L, v[0], &x) < 0) return lv_err();
    if (!strcmp(a->fname, "isnan")) return lv_bool(isnan(x));
    if (!strcmp(a->fname, "isinf")) return lv_bool(isinf(x));
    return lv_bool(isfinite(x));
}

lang_value math_factorial(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    int64_t n, r = 1;
    if (lang_args_bind(L, a, "n", v) < 0 || lang_get_int(L, v[0], "n", &n) < 0) return lv_err();
    if (n < 0) return lang_raise(L, LANG_E_VALUE, "factorial() not defined for negative values");
    if (n > 20) return lang_raise(L, LANG_E_VALUE, "factorial(%lld) does not fit a 64-bit int", (long long)n);
    for (int64_t i = 2; i <= n; i++) r *= i;
    return lv_int(r);
}

lang_value math_gcd(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    int64_t x, y;
    if (lang_args_bind(L, a, "a, b", v) < 0 || lang_get_int(L, v[0], "a", &x) < 0 || lang_get_int(L, v[1], "b", &y) < 0)
        return lv_err();
    if (x < 0) x = -x;
    if (y < 0) y = -y;
    while (y) { int64_t t = x % y; x = y; y = t; }
    return lv_int(x);
}

/* ---- random (the runtime's generator: one seed reproduces host and device draws) ---------------- */

static double host_uniform(void)
{
    uint32_t w[2];
    rt_rand_host_u32(w, 2);
    return ((double)(w[0] >> 5) * 67108864.0 + (double)(w[1] >> 6)) / 9007199254740992.0;
}

int64_t module_random_below(int64_t n)
{
    uint32_t w[2];
    rt_rand_host_u32(w, 2);
    uint64_t x = ((uint64_t)w[0] << 32) | w[1];
    return n <= 1 ? 0 : (int64_t)(x % (uint64_t)n);
}

lang_value random_seed(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    int64_t s = (int64_t)time(NULL);
    if (lang_args_bind(L, a, "a=", v) < 0) return lv_err();
    if (!lv_is_missing(v[0]) && !lv_is_none(v[0]) && lang_get_int(L, v[0], "a", &s) < 0) return lv_err();
    rt_seed((uint64_t)s);
    return lv_none();
}

lang_value random_random(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    return lv_float(host_uniform());
}

lang_value random_uniform(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    double lo, hi;
    if (lang_args_bind(L, a, "a, b", v) < 0 || lang_get_float(L, v[0], "a", &lo) < 0 || lang_get_float(L, v[1], "b", &hi) < 0)
        return lv_err();
    return lv_float(lo + (hi - lo) * host_uniform());
}

lang_value random_randint(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    int64_t lo, hi;
    if (lang_args_bind(L, a, "a, b", v) < 0 || lang_get_int(L, v[0], "a", &lo) < 0 || lang_get_int(L, v[1], "b", &hi) < 0)
        return lv_err();
    if (hi < lo) return lang_raise(L, LANG_E_VALUE, "empty range in randint(%lld, %lld)", (long long)lo, (long long)hi);
    return lv_int(lo + module_random_below(hi - lo + 1));
}

lang_value random_gauss(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    double mu = 0, sigma = 1;
    if (lang_args_bind(L, a, "mu=, sigma=", v) < 0) return lv_err();
    if (!lv_is_missing(v[0]) && lang_get_float(L, v[0], "mu", &mu) < 0) return lv_err();
    if (!lv_is_missing(v[1]) && lang_get_float(L, v[1], "sigma", &sigma) < 0) return lv_err();
    double u1 = host_uniform(), u2 = host_uniform();
    return lv_float(mu + sigma * sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2));
}

lang_value random_choice(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "seq", v) < 0) return lv_err();
    lang_value items = iter_to_list(L, v[0]);
    if (lv_is_err(items)) return items;
    size_t n = lv_list_len(items);
    lang_value r = n ? lv_retain(lv_list_items(items)[module_random_below((int64_t)n)])
                     : lang_raise(L, LANG_E_INDEX, "Cannot choose from an empty sequence");
    lv_release(items);
    return r;
}

/* Fisher-Yates on a list's items, in place (shared with np.random.shuffle). */
static void shuffle_items(lang_value *items, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)module_random_below((int64_t)i);
        lang_value t = items[i - 1];
        items[i - 1] = items[j];
        items[j] = t;
    }
}

lang_value random_shuffle(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "x", v) < 0) return lv_err();
    if (v[0].type != LV_LIST)
        return lang_raise(L, LANG_E_TYPE, "shuffle() takes a list, not %s%s", lv_type_name(v[0]),
                          v[0].type == LV_ARRAY ? " (for arrays: np.random.shuffle(x))" : "");
    shuffle_items(lv_list_items(v[0]), lv_list_len(v[0]));
    return lv_none();
}
