/* builtins_pystd.c — the parts of Python's standard modules that notebooks
 * use around training: os (environ, paths, directories), time, math,
 * random, logging, sys and csv. module_tree.c places them in their modules.
 *
 * os.environ is a dict; before the runtime discovers devices its entries
 * are copied into the process environment, so CUDA_VISIBLE_DEVICES set in
 * a cell hides GPUs as it does for TensorFlow.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "interp.h"
#include "modules.h"

extern char **environ;

/* ---- os.environ ---------------------------------------------------------------------------- */

/* The session's os.environ (owned here and by the module's cache). */
typedef struct { lang_value dict; } environ_state;

static environ_state *discovery_env;   /* the dict the runtime's discovery hook copies */

static void environ_sync(void *ctx)
{
    environ_state *e = ctx;
    size_t i = 0;
    lang_value k, v;
    while (lv_dict_next(e->dict, &i, &k, &v)) {
        if (k.type != LV_STR || v.type != LV_STR) continue;
        const char *cur = getenv(lv_str_cstr(k));
        if (!cur || strcmp(cur, lv_str_cstr(v)) != 0) setenv(lv_str_cstr(k), lv_str_cstr(v), 1);
    }
}

static void environ_free(void *p)
{
    environ_state *e = p;
    if (discovery_env == e) { rt_set_discovery_hook(NULL, NULL); discovery_env = NULL; }
    lv_release(e->dict);
    free(e);
}

static void environ_cell_end(lang_state *L, void *ctx)
{
    (void)ctx;
    environ_state *e = lang_ext_get(L, "os.environ");
    if (e) environ_sync(e);
}

lang_value os_environ(lang_state *L, const lang_args *a)
{
    (void)a;
    environ_state *e = calloc(1, sizeof *e);
    if (!e) return lang_nomem(L);
    e->dict = lv_dict_new();
    if (lv_is_err(e->dict)) { free(e); return lang_nomem(L); }
    for (char **p = environ; p && *p; p++) {
        const char *eq = strchr(*p, '=');
        if (!eq) continue;
        lang_value k = lv_str_n(*p, (size_t)(eq - *p)), v = lv_str(eq + 1);
        if (!lv_is_err(k) && !lv_is_err(v)) lv_dict_set(e->dict, k, v);
        lv_release(k);
        lv_release(v);
    }
    lang_value d = lv_retain(e->dict);
    lang_ext_set(L, "os.environ", e, environ_free);
    discovery_env = e;
    rt_set_discovery_hook(environ_sync, e);
    lang_on_cell_end(L, environ_cell_end, NULL);
    return d;
}

const char *module_getenv(lang_state *L, const char *key)
{
    environ_state *e = lang_ext_get(L, "os.environ");
    if (!e) return getenv(key);
    lang_value v = lv_dict_get_str(e->dict, key);
    return v.type == LV_STR ? lv_str_cstr(v) : NULL;
}

lang_value os_getenv(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    const char *k;
    if (lang_args_bind(L, a, "key, default=", v) < 0 || lang_get_str(L, v[0], "key", &k) < 0) return lv_err();
    environ_state *e = lang_ext_get(L, "os.environ");
    lang_value x = e ? lv_dict_get(e->dict, v[0]) : lv_missing();
    if (!lv_is_missing(x)) return lv_retain(x);
    const char *s = e ? NULL : getenv(k);
    if (s) return lv_str(s);
    return lv_is_missing(v[1]) ? lv_none() : lv_retain(v[1]);
}

/* ---- os and os.path -------------------------------------------------------------------------- */

static int path_arg(lang_state *L, const lang_args *a, const char *spec, lang_value *v, const char **path)
{
    if (lang_args_bind(L, a, spec, v) < 0) return -1;
    if (lv_is_missing(v[0])) { *path = "."; return 0; }
    return lang_get_str(L, v[0], "path", path);
}

/* Python's OSError text ("[Errno 2] No such file or directory: 'x'"); the
 * language has no OSError kind here, so it is a ValueError. */
static lang_value os_error(lang_state *L, const char *what, const char *path)
{
    (void)what;
    return lang_raise(L, LANG_E_VALUE, "[Errno %d] %s: '%s'", errno, strerror(errno), path);
}

lang_value os_getcwd(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    char buf[PATH_MAX];
    if (!getcwd(buf, sizeof buf)) return os_error(L, "getcwd", ".");
    return lv_str(buf);
}

static int cmp_str(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

lang_value os_listdir(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *path;
    if (path_arg(L, a, "path=", v, &path) < 0) return lv_err();
    DIR *d = opendir(path);
    if (!d) return os_error(L, "listdir", path);
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **p = realloc(names, cap * sizeof *p);
            if (!p) break;
            names = p;
        }
        if (!(names[n] = strdup(e->d_name))) break;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    lang_value list = lv_list_new(n);
    for (size_t i = 0; i < n; i++) {
        if (!lv_is_err(list)) lv_list_append_take(list, lv_str(names[i]));
        free(names[i]);
    }
    free(names);
    return lv_is_err(list) ? lang_nomem(L) : list;
}

lang_value os_makedirs(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    const char *path;
    int exist_ok = 0;
    if (lang_args_bind(L, a, "name, mode=, exist_ok=", v) < 0 || lang_get_str(L, v[0], "name", &path) < 0) return lv_err();
    if (!lv_is_missing(v[2]) && lang_get_bool(L, v[2], "exist_ok", &exist_ok) < 0) return lv_err();
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return lang_raise(L, LANG_E_VALUE, "path too long");
    struct stat st;
    if (stat(buf, &st) == 0) {
        if (exist_ok && S_ISDIR(st.st_mode)) return lv_none();
        errno = EEXIST;
        return os_error(L, "makedirs", path);
    }
    for (char *p = buf + 1; ; p++) {
        if (*p != '/' && *p != '\0') continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return os_error(L, "makedirs", buf);
        *p = c;
        if (!c) break;
    }
    return lv_none();
}

lang_value os_remove(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *path;
    if (path_arg(L, a, "path", v, &path) < 0) return lv_err();
    if (unlink(path) != 0) return os_error(L, "remove", path);
    return lv_none();
}

lang_value os_path_join(lang_state *L, const lang_args *a)
{
    if (a->nkw) return lang_raise(L, LANG_E_TYPE, "join() takes no keyword arguments");
    if (a->n < 1) return lang_raise(L, LANG_E_TYPE, "join() missing required argument 'path'");
    fmtbuf b;
    fmtbuf_init(&b);
    for (int i = 0; i < a->n; i++) {
        const char *s;
        if (lang_get_str(L, a->v[i], "path", &s) < 0) { fmtbuf_free(&b); return lv_err(); }
        if (s[0] == '/') b.len = 0;                    /* an absolute part restarts the path */
        else if (b.len && b.s[b.len - 1] != '/') fmtbuf_putc(&b, '/');
        fmtbuf_puts(&b, s);
    }
    char *r = fmtbuf_take(&b);
    return r ? lv_str_take(r) : lv_str("");
}

static lang_value stat_test(lang_state *L, const lang_args *a, int want)
{
    lang_value v[1];
    const char *path;
    if (path_arg(L, a, "path", v, &path) < 0) return lv_err();
    struct stat st;
    if (stat(path, &st) != 0) return lv_bool(0);
    return lv_bool(want == 0 || (want == 1 && S_ISREG(st.st_mode)) || (want == 2 && S_ISDIR(st.st_mode)));
}
lang_value os_path_exists(lang_state *L, const lang_args *a) { return stat_test(L, a, 0); }
lang_value os_path_isfile(lang_state *L, const lang_args *a) { return stat_test(L, a, 1); }
lang_value os_path_isdir(lang_state *L, const lang_args *a) { return stat_test(L, a, 2); }

lang_value os_path_basename(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *path;
    if (path_arg(L, a, "path", v, &path) < 0) return lv_err();
    const char *s = strrchr(path, '/');
    return lv_str(s ? s + 1 : path);
}

lang_value os_path_dirname(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *path;
    if (path_arg(L, a, "path", v, &path) < 0) return lv_err();
    const char *s = strrchr(path, '/');
    if (!s) return lv_str("");
    size_t n = (size_t)(s - path);
    while (n > 1 && path[n - 1] == '/') n--;
    return lv_str_n(path, n ? n : 1);
}

lang_value os_path_splitext(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *path;
    if (path_arg(L, a, "path", v, &path) < 0) return lv_err();
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    while (*base == '.') base++;                       /* ".bashrc" has no extension */
    const char *dot = strrchr(base, '.');
    size_t cut = dot ? (size_t)(dot - path) : strlen(path);
    lang_value parts[2] = { lv_str_n(path, cut), lv_str(path + cut) };
    lang_value t = lv_tuple_of(2, parts);
    lv_release(parts[0]);
    lv_release(parts[1]);
    return t;
}

lang_value os_path_abspath(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *path;
    if (path_arg(L, a, "path", v, &path) < 0) return lv_err();
    if (path[0] == '/') return lv_str(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return os_error(L, "abspath", path);
    if (strcmp(path, ".") == 0) return lv_str(cwd);
    return lv_str_printf("%s/%s", cwd, path[0] == '.' && path[1] == '/' ? path + 2 : path);
}

/* ---- time ---------------------------------------------------------------------------------------- */

static double clock_seconds(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

lang_value time_time(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    return lv_float(clock_seconds(CLOCK_REALTIME));
}

lang_value time_perf_counter(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    return lv_float(clock_seconds(CLOCK_MONOTONIC));
}

lang_value time_sleep(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    double s;
    if (lang_args_bind(L, a, "seconds", v) < 0 || lang_get_float(L, v[0], "seconds", &s) < 0) return lv_err();
    if (s < 0) return lang_raise(L, LANG_E_VALUE, "sleep length must be non-negative");
    double end = clock_seconds(CLOCK_MONOTONIC) + s;
    for (;;) {   /* in slices, so an interrupt stops it */
        if (lang_check_interrupt(L) < 0) return lv_err();
        double left = end - clock_seconds(CLOCK_MONOTONIC);
        if (left <= 0) return lv_none();
        if (left > 0.05) left = 0.05;
        struct timespec ts = { 0, (long)(left * 1e9) };
        nanosleep(&ts, NULL);
    }
}

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
                          v[0].type == LV_ARRAY ? " (for arrays: x[np.random.permutation(len(x))])" : "");
    shuffle_items(lv_list_items(v[0]), lv_list_len(v[0]));
    return lv_none();
}

lang_value np_random_shuffle(lang_state *L, const lang_args *a) { return random_shuffle(L, a); }

/* ---- logging ------------------------------------------------------------------------------------------ */

typedef struct {
    char   *name;   /* owned */
    int64_t level;
} logger;

static void logger_free(void *p)
{
    logger *g = p;
    free(g->name);
    free(g);
}

static char *logger_repr(lang_state *L, lang_value self)
{
    (void)L;
    logger *g = lv_object_data(self);
    static const char *const names[] = {"NOTSET", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};
    int64_t k = g->level / 10;
    return lang_strdupf("<Logger %s (%s)>", g->name, k >= 0 && k <= 5 ? names[k] : "Level");
}

static lang_value logger_set_level(lang_state *L, const lang_args *a)
{
    logger *g = lv_object_data(a->self);
    lang_value v[1];
    if (lang_args_bind(L, a, "level", v) < 0) return lv_err();
    if (v[0].type == LV_STR) {
        static const struct { const char *n; int l; } lv[] = {
            {"DEBUG", 10}, {"INFO", 20}, {"WARNING", 30}, {"WARN", 30}, {"ERROR", 40}, {"CRITICAL", 50}, {"FATAL", 50}, {"NOTSET", 0}};
        for (size_t i = 0; i < sizeof lv / sizeof lv[0]; i++)
            if (!strcmp(lv[i].n, lv_str_cstr(v[0]))) { g->level = lv[i].l; return lv_none(); }
        return lang_raise(L, LANG_E_VALUE, "Unknown level: '%s'", lv_str_cstr(v[0]));
    }
    if (lang_get_int(L, v[0], "level", &g->level) < 0) return lv_err();
    return lv_none();
}

static lang_value logger_get_level(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    return lv_int(((logger *)lv_object_data(a->self))->level);
}

/* debug/info/warning/error/critical(msg, *args): messages at or above the
 * logger's level (WARNING by default) go to stderr, as Python's last-resort
 * handler writes them. */
static lang_value logger_log(lang_state *L, const lang_args *a)
{
    logger *g = lv_object_data(a->self);
    const char *f = a->fname;
    int level = !strcmp(f, "debug") ? 10 : !strcmp(f, "info") ? 20 : !strcmp(f, "warning") || !strcmp(f, "warn") ? 30
              : !strcmp(f, "error") || !strcmp(f, "exception") ? 40 : 50;
    if (a->n < 1) return lang_raise(L, LANG_E_TYPE, "%s() missing required argument 'msg'", f);
    if (level < (g->level ? g->level : 30)) return lv_none();
    char *s = lang_str(L, a->v[0]);
    if (!s) return lv_err();
    if (a->n > 1) {   /* msg % args */
        lang_value args = a->n == 2 ? lv_retain(a->v[1]) : lv_tuple_of((size_t)a->n - 1, a->v + 1);
        lang_value r = op_binary(L, OP_MOD, a->v[0], args);
        lv_release(args);
        if (lv_is_err(r)) { free(s); return r; }
        free(s);
        s = lang_str(L, r);
        lv_release(r);
        if (!s) return lv_err();
    }
    lang_write(L, "stderr", s, strlen(s));
    lang_write(L, "stderr", "\n", 1);
    free(s);
    return lv_none();
}

static const lang_method logger_methods[] = {
    {"setLevel", logger_set_level, "setLevel(level)\nMessages below level are dropped.\n>>> logger.setLevel(logging.ERROR)"},
    {"getEffectiveLevel", logger_get_level, "getEffectiveLevel()\nThe logger's level.\n>>> logger.getEffectiveLevel()"},
    {"debug", logger_log, "debug(msg, *args)\nLogs at DEBUG.\n>>> logger.debug('x=%d', 1)"},
    {"info", logger_log, "info(msg, *args)\nLogs at INFO.\n>>> logger.info('epoch %d', 3)"},
    {"warning", logger_log, "warning(msg, *args)\nLogs at WARNING (stderr).\n>>> logger.warning('slow')"},
    {"warn", logger_log, "warn(msg, *args)\nLogs at WARNING.\n>>> logger.warn('slow')"},
    {"error", logger_log, "error(msg, *args)\nLogs at ERROR (stderr).\n>>> logger.error('failed')"},
    {"critical", logger_log, "critical(msg, *args)\nLogs at CRITICAL (stderr).\n>>> logger.critical('stop')"},
    {NULL, NULL, NULL},
};

static const lang_class logger_class = {
    .name = "Logger", .doc = "A logger: setLevel accepted; warnings and errors print to stderr.",
    .free = logger_free, .repr = logger_repr, .methods = logger_methods,
};

/* The session's loggers by name (a dict kept in the extension data). */
typedef struct { lang_value dict; } logger_registry;
static void logger_registry_free(void *p) { logger_registry *r = p; lv_release(r->dict); free(r); }

lang_value logging_get_logger(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *name = strcmp(a->fname, "get_logger") == 0 ? "tensorflow" : "root";
    if (lang_args_bind(L, a, strcmp(a->fname, "get_logger") == 0 ? "" : "name=", v) < 0) return lv_err();
    if (strcmp(a->fname, "get_logger") != 0 && !lv_is_missing(v[0]) && !lv_is_none(v[0]) &&
        lang_get_str(L, v[0], "name", &name) < 0) return lv_err();
    logger_registry *r = lang_ext_get(L, "logging");
    if (!r) {
        if (!(r = calloc(1, sizeof *r))) return lang_nomem(L);
        r->dict = lv_dict_new();
        lang_ext_set(L, "logging", r, logger_registry_free);
    }
    lang_value x = lv_dict_get_str(r->dict, name);
    if (!lv_is_missing(x)) return lv_retain(x);
    logger *g = calloc(1, sizeof *g);
    if (!g || !(g->name = strdup(name))) { free(g); return lang_nomem(L); }
    lang_value obj = lang_object_new(L, &logger_class, g);
    if (!lv_is_err(obj)) lv_dict_set_str(r->dict, name, obj);
    return obj;
}

/* logging.info(...) and friends: the root logger's method of that name. */
lang_value logging_log(lang_state *L, const lang_args *a)
{
    lang_args none = { 0, NULL, 0, NULL, NULL, lv_none(), "getLogger" };
    lang_value root = logging_get_logger(L, &none);
    if (lv_is_err(root)) return root;
    lang_args b = *a;
    b.self = root;
    lang_value r = logger_log(L, &b);
    lv_release(root);
    return r;
}

lang_value matplotlib_use(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    const char *backend;
    if (lang_args_bind(L, a, "backend, force=", v) < 0 || lang_get_str(L, v[0], "backend", &backend) < 0) return lv_err();
    return lv_none();
}

lang_value logging_basic_config(lang_state *L, const lang_args *a)
{
    (void)L; (void)a;
    return lv_none();
}

/* ---- sys -------------------------------------------------------------------------------------------------- */

lang_value sys_argv(lang_state *L, const lang_args *a)
{
    (void)a;
    lang_value l = lv_list_new(1);
    if (lv_is_err(l) || lv_list_append_take(l, lv_str("cgpu-kernel")) < 0) { lv_release(l); return lang_nomem(L); }
    return l;
}

static lang_value stream_write(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *s;
    if (lang_args_bind(L, a, "s", v) < 0 || lang_get_str(L, v[0], "s", &s) < 0) return lv_err();
    const char *name = lv_object_data(a->self);
    lang_write(L, name, s, lv_str_len(v[0]));
    return lv_int(lv_str_ncp(v[0]));
}

static lang_value stream_flush(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    return lv_none();
}

static char *stream_repr(lang_state *L, lang_value self)
{
    (void)L;
    return lang_strdupf("<%s (the cell's output)>", (const char *)lv_object_data(self));
}

static const lang_method stream_methods[] = {
    {"write", stream_write, "write(s)\nWrites text to the cell's output.\n>>> sys.stdout.write('done\\n')"},
    {"flush", stream_flush, "flush()\nAccepted: the cell's output is sent as it is written.\n>>> sys.stdout.flush()"},
    {NULL, NULL, NULL},
};

static void no_free(void *p) { (void)p; }
static const lang_class stream_class = {
    .name = "TextIOWrapper", .doc = "sys.stdout / sys.stderr: the running cell's output streams.",
    .free = no_free, .repr = stream_repr, .methods = stream_methods,
};

lang_value sys_stdout(lang_state *L, const lang_args *a) { (void)a; return lang_object_new(L, &stream_class, (void *)"stdout"); }
lang_value sys_stderr(lang_state *L, const lang_args *a) { (void)a; return lang_object_new(L, &stream_class, (void *)"stderr"); }

/* ---- csv: rows through any file object with write() / read() (or a list of lines) ----------- */

typedef struct {
    lang_value file;      /* owned */
    char       delim;
    char       eol[8];    /* lineterminator */
} csv_writer_data;

static void csv_writer_free(void *p)
{
    csv_writer_data *w = p;
    lv_release(w->file);
    free(w);
}

/* One row as CSV text ("excel" dialect: quote fields holding the delimiter,
 * a quote or a line break; lines end with \r\n). */
static char *csv_format_row(lang_state *L, lang_value row, char delim, const char *eol)
{
    lang_value items = iter_to_list(L, row);
    if (lv_is_err(items)) return NULL;
    fmtbuf b;
    fmtbuf_init(&b);
    for (size_t i = 0; i < lv_list_len(items); i++) {
        lang_value x = lv_list_items(items)[i];
        char *s = lv_is_none(x) ? strdup("") : lang_str(L, x);
        if (!s) { lv_release(items); fmtbuf_free(&b); return NULL; }
        if (i) fmtbuf_putc(&b, delim);
        if (strchr(s, delim) || strchr(s, '"') || strchr(s, '\n') || strchr(s, '\r')) {
            fmtbuf_putc(&b, '"');
            for (const char *p = s; *p; p++) {
                if (*p == '"') fmtbuf_putc(&b, '"');
                fmtbuf_putc(&b, *p);
            }
            fmtbuf_putc(&b, '"');
        } else {
            fmtbuf_puts(&b, s);
        }
        free(s);
    }
    lv_release(items);
    fmtbuf_puts(&b, eol);
    char *r = fmtbuf_take(&b);
    if (!r) lang_nomem(L);
    return r;
}

static lang_value call_method(lang_state *L, lang_value obj, const char *name, int n, const lang_value *args)
{
    lang_value m = op_getattr(L, obj, name);
    if (lv_is_err(m)) return m;
    lang_value r = lang_call(L, m, n, args, 0, NULL, NULL);
    lv_release(m);
    return r;
}

static lang_value csv_writerow(lang_state *L, const lang_args *a)
{
    csv_writer_data *w = lv_object_data(a->self);
    lang_value v[1];
    if (lang_args_bind(L, a, "row", v) < 0) return lv_err();
    char *line = csv_format_row(L, v[0], w->delim, w->eol);
    if (!line) return lv_err();
    lang_value s = lv_str_take(line);
    lang_value r = call_method(L, w->file, "write", 1, &s);
    lv_release(s);
    return r;
}

static lang_value csv_writerows(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "rows", v) < 0) return lv_err();
    lang_value rows = iter_to_list(L, v[0]);
    if (lv_is_err(rows)) return rows;
    for (size_t i = 0; i < lv_list_len(rows); i++) {
        lang_args one = { 1, &lv_list_items(rows)[i], 0, NULL, NULL, a->self, "writerow" };
        lang_value r = csv_writerow(L, &one);
        if (lv_is_err(r)) { lv_release(rows); return r; }
        lv_release(r);
    }
    lv_release(rows);
    return lv_none();
}

static const lang_method csv_writer_methods[] = {
    {"writerow", csv_writerow, "writerow(row)\nWrites one row (any iterable of values).\n>>> w.writerow([epoch, loss])"},
    {"writerows", csv_writerows, "writerows(rows)\nWrites several rows.\n>>> w.writerows([[1, 2], [3, 4]])"},
    {NULL, NULL, NULL},
};

static const lang_class csv_writer_class = {
    .name = "writer", .doc = "A CSV writer: writerow(row), writerows(rows).",
    .free = csv_writer_free, .methods = csv_writer_methods,
};

static int csv_delimiter(lang_state *L, lang_value v, char *out)
{
    *out = ',';
    if (lv_is_missing(v)) return 0;
    const char *s;
    if (lang_get_str(L, v, "delimiter", &s) < 0) return -1;
    if (strlen(s) != 1) return lang_fail(L, LANG_E_TYPE, "\"delimiter\" must be a 1-character string");
    *out = s[0];
    return 0;
}

lang_value csv_writer(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    char delim;
    const char *eol = "\r\n";
    if (lang_args_bind(L, a, "f, delimiter=, lineterminator=", v) < 0 || csv_delimiter(L, v[1], &delim) < 0 ||
        (!lv_is_missing(v[2]) && lang_get_str(L, v[2], "lineterminator", &eol) < 0)) return lv_err();
    if (strlen(eol) >= sizeof ((csv_writer_data *)0)->eol) return lang_raise(L, LANG_E_VALUE, "lineterminator is too long");
    lang_value w = op_getattr(L, v[0], "write");
    if (lv_is_err(w)) {
        lang_error_clear(L);
        return lang_raise(L, LANG_E_TYPE, "argument 1 must have a \"write\" method (a file opened with open(path, 'w'))");
    }
    lv_release(w);
    csv_writer_data *d = calloc(1, sizeof *d);
    if (!d) return lang_nomem(L);
    d->file = lv_retain(v[0]);
    d->delim = delim;
    snprintf(d->eol, sizeof d->eol, "%s", eol);
    return lang_object_new(L, &csv_writer_class, d);
}

/* Splits CSV text into rows of strings (quoted fields may hold delimiters,
 * doubled quotes and line breaks; an empty line is an empty row, as
 * Python's csv.reader gives it). */
static lang_value csv_parse(lang_state *L, const char *s, char delim)
{
    lang_value rows = lv_list_new(0), row = lv_list_new(0);
    fmtbuf f;
    fmtbuf_init(&f);
    int quoted = 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (quoted) {
            if (c == '"' && p[1] == '"') { fmtbuf_putc(&f, '"'); p++; }
            else if (c == '"') quoted = 0;
            else fmtbuf_putc(&f, c);
        } else if (c == '"' && f.len == 0) {
            quoted = 1;
        } else if (c == delim) {
            lv_list_append_take(row, lv_str_n(f.s ? f.s : "", f.len));
            f.len = 0;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && p[1] == '\n') p++;
            if (f.len || lv_list_len(row)) lv_list_append_take(row, lv_str_n(f.s ? f.s : "", f.len));
            f.len = 0;
            lv_list_append_take(rows, row);
            row = lv_list_new(0);
        } else {
            fmtbuf_putc(&f, c);
        }
    }
    if (f.len || lv_list_len(row)) {
        lv_list_append_take(row, lv_str_n(f.s ? f.s : "", f.len));
        lv_list_append_take(rows, row);
    } else {
        lv_release(row);
    }
    int oom = f.oom;
    fmtbuf_free(&f);
    if (oom) { lv_release(rows); return lang_nomem(L); }
    return rows;
}

lang_value csv_reader(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    char delim;
    if (lang_args_bind(L, a, "f, delimiter=", v) < 0 || csv_delimiter(L, v[1], &delim) < 0) return lv_err();
    fmtbuf text;
    fmtbuf_init(&text);
    lang_value rd = v[0].type == LV_OBJECT ? op_getattr(L, v[0], "read") : lv_missing();
    if (lv_is_err(rd)) { lang_error_clear(L); rd = lv_missing(); }
    if (!lv_is_missing(rd)) {   /* a file object: its whole text */
        lang_value s = lang_call(L, rd, 0, NULL, 0, NULL, NULL);
        lv_release(rd);
        if (lv_is_err(s)) return s;
        if (s.type != LV_STR) { lv_release(s); return lang_raise(L, LANG_E_TYPE, "read() did not return a str"); }
        fmtbuf_putn(&text, lv_str_cstr(s), lv_str_len(s));
        lv_release(s);
    } else {                    /* an iterable of lines */
        lang_value lines = iter_to_list(L, v[0]);
        if (lv_is_err(lines)) return lines;
        for (size_t i = 0; i < lv_list_len(lines); i++) {
            lang_value x = lv_list_items(lines)[i];
            if (x.type != LV_STR) {
                lv_release(lines);
                fmtbuf_free(&text);
                return lang_raise(L, LANG_E_TYPE, "iterator should return strings, not %s", lv_type_name(x));
            }
            fmtbuf_putn(&text, lv_str_cstr(x), lv_str_len(x));
            if (!lv_str_len(x) || lv_str_cstr(x)[lv_str_len(x) - 1] != '\n') fmtbuf_putc(&text, '\n');
        }
        lv_release(lines);
    }
    char *s = fmtbuf_take(&text);
    lang_value rows = csv_parse(L, s ? s : "", delim);
    free(s);
    if (lv_is_err(rows)) return rows;
    lang_value it = iter_new(L, rows);   /* an iterator, as Python's reader (next(r) skips a header) */
    lv_release(rows);
    return it;
}
